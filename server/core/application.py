"""The application: what every API surface calls, so that an adapter (gRPC today) only maps its wire
to these calls and their results back, with no business logic of its own.

Commands pass admission, go through the sequencer and come back, once durable, as typed results built
from the command's own ``Applied`` (its events and what ``Exchange.apply`` took for its answer), never
from the live state, which later commands may already have changed. Queries read the read models once
nothing applied is still waiting for the journal (``Sequencer.settled``), without awaiting in between.
An engine rejection is raised as a ``Refused`` worded with its figures.
"""

import asyncio
from collections.abc import Mapping
from typing import NamedTuple

from paperex.engine.accounts import SymbolSettings
from paperex.engine.book import DepthLevel
from paperex.engine.commands import AmendOrder, CancelAllOrders, CancelOrder, PlaceOrder, SetLeverage, SetMarginMode
from paperex.engine.events import DuplicatePlaceIgnored, OrderAmended, OrderFilled, OrderRejected, SettingsChanged
from paperex.engine.instruments import Instrument
from paperex.engine.risk import AccountSummary, OrderPreview
from paperex.engine.units import Lots, Rate, Ticks
from paperex.server.core.admission import Admission
from paperex.server.core.credentials import key_hash
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.sequencer import Sequencer
from paperex.server.core.tape import ExchangeCommand
from paperex.server.state.candles import Candle, Interval
from paperex.server.state.history import FillRecord, OrderSnapshot, fill_record, order_state
from paperex.server.state.ticker_stats import Stats
from paperex.server.wire.errors import WireError
from paperex.server.wire.rejections import refusal

OrderCommand = PlaceOrder | AmendOrder | CancelOrder | CancelAllOrders


class OrderResult(NamedTuple):
    """An order command's outcome: the orders it placed, amended or canceled, as it left them, and
    their fills among its events (oldest first)."""

    orders: tuple[OrderSnapshot, ...]
    fills: tuple[FillRecord, ...]
    duplicate: bool = False
    """A place whose client order id matched an open identical order: ``orders`` holds that one."""
    priority_kept: bool = False
    """An amend that kept the order's place in the queue (only a smaller quantity does)."""


def refuse_if_rejected(applied: Applied, instruments: Mapping[str, Instrument]) -> None:
    """Raise the refusal when the engine rejected the command (its one event is OrderRejected)."""
    first = applied.events[0] if applied.events else None
    if isinstance(first, OrderRejected):
        raise refusal(first, instruments.get(first.symbol))


def order_result(applied: Applied, instruments: Mapping[str, Instrument]) -> OrderResult:
    """The one mapping of an order command's ``Applied`` to its result; raises its refusal."""
    events, orders, ts = applied.events, applied.orders, applied.ts
    first = events[0] if events else None
    if isinstance(first, OrderRejected):
        raise refusal(first, instruments.get(first.symbol))
    fills = [
        fill_record(event, orders[event.order_id][0], ts)
        for event in events
        if type(event) is OrderFilled and event.order_id in orders
    ]
    return OrderResult(
        tuple(orders.values()),
        tuple(fills),
        type(first) is DuplicatePlaceIgnored,
        isinstance(first, OrderAmended) and first.priority_kept,
    )


def rated(command: object) -> bool:
    """Places and amends count against the account's order rate (cancels never do, as on venues)."""
    return isinstance(command, PlaceOrder | AmendOrder)


class Application:
    """Commands and queries on the exchange that ``sequencer`` writes, admitted by ``admission``."""

    def __init__(self, sequencer: Sequencer, admission: Admission) -> None:
        self.sequencer = sequencer
        self.admission = admission

    @property
    def exchange(self) -> Exchange:
        """The current state (replaced by a reset, so never kept across awaits)."""
        return self.sequencer.exchange

    # ------------------------------------------------------------------ commands

    async def submit(self, account_id: int, command: ExchangeCommand, *, order: bool = True) -> Applied:
        """Admit one command of an account (counted against its order share unless ``order`` is
        False, as for cancels) and sequence it; its ``Applied`` once durable."""
        self.admission.commands(account_id, 1, int(order))
        return await self.sequencer.submit_one(command)

    async def order_command(self, command: OrderCommand) -> OrderResult:
        """Place, amend, cancel or cancel all: the result once durable, or its refusal raised."""
        applied = await self.submit(command.account_id, command, order=rated(command))
        return order_result(applied, self.exchange.instruments)

    def order_batch(self, account_id: int, commands: list[OrderCommand]) -> "asyncio.Future[list[Applied]]":
        """Admit and queue an account's commands in order, without waiting (a pipelining session):
        ``order_result`` maps each ``Applied`` of the future once it resolves."""
        if commands:
            self.admission.commands(account_id, len(commands), sum(1 for command in commands if rated(command)))
        return self.sequencer.enqueue(list(commands))

    # ------------------------------------------------------------------ queries

    async def order(self, account_id: int, symbol: str, order_id: int, client_order_id: str) -> OrderSnapshot | None:
        """One of the account's orders on ``symbol``, by id or client order id; None when unknown."""
        await self.sequencer.settled()
        record = self.exchange.history.order(account_id, order_id, client_order_id)
        if record is None or record.symbol != symbol:
            return None
        return record, order_state(record)

    async def open_orders(self, account_id: int, symbols: list[str]) -> list[OrderSnapshot]:
        """The account's open orders on ``symbols``, by symbol, oldest first."""
        await self.sequencer.settled()
        exchange = self.exchange
        orders = exchange.history.orders
        found: list[OrderSnapshot] = []
        for symbol in symbols:
            for order in sorted(exchange.engine.open_orders(account_id, symbol), key=lambda o: o.order_id):
                record = orders[order.order_id]
                found.append((record, order_state(record)))
        return found

    async def orders_page(
        self, account_id: int, symbol: str, start: int, end: int, before_id: int, size: int
    ) -> list[OrderSnapshot]:
        """Newest first: the account's orders (on ``symbol``, or all) with id < ``before_id`` (0: no
        bound) created in [start, end)."""
        await self.sequencer.settled()
        page = self.exchange.history.orders_page(account_id, symbol, start, end, before_id, size)
        return [(record, order_state(record)) for record in page]

    async def preview(self, command: PlaceOrder) -> tuple[OrderPreview, OrderPreview, int]:
        """What placing ``command`` would cost in the account's margin mode and in the other one, and
        the engine time of the estimate. A market order needs a book or a mark price to estimate from."""
        await self.sequencer.settled()
        exchange = self.exchange
        price = command.price or command.stop_price
        market = exchange.engine.markets[command.symbol]
        if not price and market.book.best_price(command.side.opposite) is None and not market.band_reference():
            message = "no book or mark price to estimate a market order: give a price"
            raise WireError("INVALID_ORDER_PARAMETERS", "order.price", message)
        current, other = exchange.engine.preview(
            command.account_id, command.symbol, command.side, command.quantity, price
        )
        return current, other, exchange.now

    async def fills_page(
        self, account_id: int, symbol: str, order_id: int, start: int, end: int, before_trade: int, size: int
    ) -> list[FillRecord]:
        """Newest first: the account's fills (of ``symbol`` and ``order_id`` when given) with trade id
        < ``before_trade`` (0: no bound) in [start, end)."""
        await self.sequencer.settled()
        return self.exchange.history.fills_page(account_id, symbol, order_id, start, end, before_trade, size)

    # ------------------------------------------------------------------ for the Binance-compatible API
    # Account, settings and market-data commands and queries the REST adapter needs that the application
    # did not offer yet (the gRPC servicers still reach the exchange for theirs); result types at the end.

    @property
    def instruments(self) -> Mapping[str, Instrument]:
        return self.exchange.instruments

    def signing_account(self, api_key: str) -> "SigningAccount | None":
        """The account of ``api_key``, with its signing secret; None for an unknown key."""
        exchange = self.exchange
        account_id = exchange.account_by_key.get(key_hash(api_key))
        if account_id is None:
            return None
        return SigningAccount(account_id, exchange.accounts[account_id].api_secret)

    async def order_of(self, account_id: int, order_id: int, client_order_id: str) -> OrderSnapshot | None:
        """One of the account's orders on any symbol, by id or client order id; None when unknown."""
        await self.sequencer.settled()
        record = self.exchange.history.order(account_id, order_id, client_order_id)
        return None if record is None else (record, order_state(record))

    async def account(self, account_id: int) -> "AccountView":
        """The account's figures and every symbol's settings."""
        await self.sequencer.settled()
        exchange = self.exchange
        account = exchange.engine.accounts[account_id]
        settings = {symbol: account.peek_setting(symbol) for symbol in exchange.instruments}
        return AccountView(exchange.engine.summary(account_id), settings, exchange.now)

    async def book(self, symbol: str, depth: int) -> "BookView":
        """The top ``depth`` levels of each side."""
        await self.sequencer.settled()
        exchange = self.exchange
        bids, asks = exchange.engine.depth(symbol, depth)
        return BookView(bids, asks, exchange.book_sequence[symbol], exchange.now)

    async def market(self, symbol: str) -> "MarketView":
        """A symbol's prices, funding, best levels and 24 h figures."""
        await self.sequencer.settled()
        exchange = self.exchange
        market = exchange.engine.markets[symbol]
        bids, asks = exchange.engine.depth(symbol, 1)
        return MarketView(
            market.last_price,
            market.mark_price,
            market.index_price,
            market.funding_rate,
            market.next_funding,
            bids[0] if bids else None,
            asks[0] if asks else None,
            exchange.ticker_stats.snapshot(symbol, exchange.now),
            exchange.open_interest(symbol),
            exchange.now,
        )

    async def candles(
        self, symbol: str, interval: Interval, start: int | None, end: int | None, limit: int
    ) -> list[Candle]:
        """``CandleStore.history``: with ``start`` the first ``limit`` of the range, else the newest."""
        await self.sequencer.settled()
        return self.exchange.candles.history(symbol, interval, start, end, limit)

    async def settings_command(self, command: SetLeverage | SetMarginMode) -> tuple[str, SymbolSettings]:
        """Set a symbol's leverage or margin mode: its settings once durable, or the refusal raised."""
        applied = await self.submit(command.account_id, command)
        refuse_if_rejected(applied, self.exchange.instruments)
        changed = next(event for event in applied.events if isinstance(event, SettingsChanged))
        return changed.symbol, SymbolSettings(changed.mode, changed.leverage)


# ---------------------------------------------------------------------- results of the block above


class SigningAccount(NamedTuple):
    account_id: int
    api_secret: str


class AccountView(NamedTuple):
    """An account's figures and every symbol's settings, at the engine time ``now``."""

    summary: AccountSummary
    settings: dict[str, SymbolSettings]
    now: int


class BookView(NamedTuple):
    """A symbol's top levels (best first) with the book's sequence number, at the engine time ``now``."""

    bids: list[DepthLevel]
    asks: list[DepthLevel]
    sequence: int
    now: int


class MarketView(NamedTuple):
    """A symbol's prices, funding, best levels and 24 h figures (``stats`` None: no trade in the window)."""

    last_price: Ticks
    mark_price: Ticks
    index_price: Ticks
    funding_rate: Rate
    next_funding: int
    best_bid: DepthLevel | None
    best_ask: DepthLevel | None
    stats: Stats | None
    open_interest: Lots
    now: int
