"""What an API surface reads: the durable state as typed values, and the streams to follow it.

Every query first waits until nothing applied is still waiting for the journal
(``Sequencer.settled``) and then reads without awaiting, so an answer shows only state a crash cannot
take back. Answers are engine values (``AccountSummary``, ``PositionFigures``), read-model records and
the NamedTuples below, never wire messages: each adapter renders them in its own format. Streams are
subscriptions to the ``Hub`` topics, opened with nothing in flight so that a snapshot or a backlog and
the live messages after it leave neither a gap nor a duplicate.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from paperex.engine.accounts import PositionMode, SymbolSettings
from paperex.engine.audit import Ledger
from paperex.engine.book import DepthLevel
from paperex.engine.collateral import AssetFigures
from paperex.engine.commands import PlaceOrder
from paperex.engine.funding import next_boundary
from paperex.engine.instruments import Instrument
from paperex.engine.margin import max_notional_for
from paperex.engine.orders import PositionSide
from paperex.engine.risk import AccountSummary, OrderPreview, PositionFigures, estimated_price, preview
from paperex.engine.units import Amount, Ticks
from paperex.engine.validation import check_position_side
from paperex.engine.views import band_reference
from paperex.server.core.exchange import Exchange, book_topic, candles_topic, trades_topic, user_topic
from paperex.server.core.faults import FaultGate
from paperex.server.core.streams import Hub, Subscription
from paperex.server.core.writer import Writer
from paperex.server.market.fault_plans import CallKind
from paperex.server.market.scenarios import Scenario, library
from paperex.server.state.adl import AdlBoard
from paperex.server.state.alerts import Alert
from paperex.server.state.candles import Candle, CandlePrice, Interval
from paperex.server.state.funding_history import FundingRecord
from paperex.server.state.history import FillRecord, OrderSnapshot, order_state
from paperex.server.state.income import IncomeRecord, IncomeType
from paperex.server.state.liquidation_records import LiquidationRecord
from paperex.server.state.margin_adjustments import MarginAdjustment
from paperex.server.state.open_interest import OpenInterestSample
from paperex.server.state.public_trades import AggregateTrade, PublicTrade
from paperex.server.state.ticker_stats import Ticker
from paperex.server.wire.errors import Refused, WireError
from paperex.server.wire.rejections import refused

PUBLIC = 0
"""The account of a public read (market data): the fault plan for everyone applies."""
WHOLE_BOOK = 2**32
"""A depth above any request: every level."""


class SymbolLimits(NamedTuple):
    """An account's margin mode and leverage on a symbol, and the position notional that leverage allows."""

    symbol: str
    settings: SymbolSettings
    max_notional: Amount


class HeldPosition(NamedTuple):
    figures: PositionFigures
    adl_quantile: int
    """1..5 in its side's auto-deleverage queue (5: first to go); 0 for the exchange's own accounts."""


class FlatPosition(NamedTuple):
    """A symbol the account holds nothing in: its settings and the mark."""

    symbol: str
    settings: SymbolSettings
    mark_price: Ticks


class AccountOverview(NamedTuple):
    """Everything GetAccount shows: the figures, the settings per symbol and the newest event's cursor."""

    summary: AccountSummary
    name: str
    limits: list[SymbolLimits]
    cursor: tuple[int, int]
    adl_quantiles: dict[tuple[str, PositionSide], int]
    """(symbol, leg) -> the position's ADL quantile."""
    ts: int
    position_mode: PositionMode = PositionMode.ONE_WAY
    multi_assets: bool = False
    assets: tuple[AssetFigures, ...] = ()
    """The balances besides USDT."""


class Book(NamedTuple):
    symbol: str
    sequence: int
    """The book update this depth includes (``StreamOrderBook`` continues at ``sequence + 1``)."""
    bids: list[DepthLevel]
    asks: list[DepthLevel]
    ts: int


class SigningAccount(NamedTuple):
    account_id: int
    api_secret: str


class InsuranceFunds(NamedTuple):
    total: Amount
    by_symbol: list[tuple[str, Amount]]


class Clock(NamedTuple):
    simulated: bool
    now: int
    scenario: str
    """The running scenario's name, empty without one."""
    scenario_elapsed: int
    step_ns: int
    liquidity_provider: bool


class Queries:
    """The reads on the exchange that ``sequencer`` writes; the base of ``Application``."""

    def __init__(
        self,
        sequencer: Writer,
        hub: Hub[Any],
        *,
        simulated: bool = False,
        stream_capacity: int = 65_536,
    ) -> None:
        self.sequencer = sequencer
        self.hub = hub
        self.simulated = simulated
        """A simulated clock: time moves only by ``advance_by``, ``advance_until`` and ``step``."""
        self.stream_capacity = stream_capacity
        """Messages a stream reader may fall behind before it is cut (SLOW_CONSUMER)."""
        self.adl = AdlBoard()
        """ADL quantiles: current for a small symbol, at most a second old for a big one."""
        self.faults = FaultGate(lambda: self.sequencer.exchange.faults, lambda: self.now, self.reach)
        """The injected faults an account's calls meet (``paperex.server.core.faults``)."""
        self._time_moved = asyncio.Event()
        """Set (and replaced) whenever simulated time is advanced."""

    async def reach(self, ts: int) -> None:
        """Returns once the exchange's time is at least ``ts``: a timer on a wall clock; on a simulated
        clock, once time is advanced that far."""
        while (now := self.now) < ts:
            if self.simulated:
                await self._time_moved.wait()
            else:
                await asyncio.sleep((ts - now) / 1e9)

    def _announce_time(self) -> None:
        """Wake whoever waits in ``reach``: simulated time moved."""
        moved, self._time_moved = self._time_moved, asyncio.Event()
        moved.set()

    async def _settled(self, account_id: int) -> None:
        """An account's read (``PUBLIC``: market data, under everyone's plan) meets its injected faults,
        then waits until the state it reads is durable."""
        await self.faults.enter(account_id, CallKind.QUERY)
        await self.sequencer.settled()

    @property
    def exchange(self) -> Exchange:
        """The current state (replaced by a reset, so never kept across awaits)."""
        return self.sequencer.exchange

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self.sequencer.exchange.instruments

    @property
    def now(self) -> int:
        """Engine time the next command would be stamped with (a fresh simulated clock: its start)."""
        return max(self.sequencer.exchange.now, self.sequencer.clock.now())

    def account_by_key(self, key_hash: str) -> int | None:
        """The account an API key's hash belongs to (None: no such key)."""
        return self.sequencer.exchange.account_by_key.get(key_hash)

    def signing_account(self, key_hash: str) -> SigningAccount | None:
        """The account an API key's hash belongs to, with the secret its requests are signed with (None:
        no such key)."""
        exchange = self.sequencer.exchange
        account_id = exchange.account_by_key.get(key_hash)
        return None if account_id is None else SigningAccount(account_id, exchange.accounts[account_id].api_secret)

    # ------------------------------------------------------------------ orders

    async def order(self, account_id: int, symbol: str, order_id: int, client_order_id: str) -> OrderSnapshot | None:
        """One of the account's orders on ``symbol`` (empty: any symbol), by id or client order id; None
        when unknown."""
        await self._settled(account_id)
        record = self.exchange.history.order(account_id, order_id, client_order_id)
        if record is None or (symbol and record.symbol != symbol):
            return None
        return record, order_state(record)

    async def open_orders(self, account_id: int, symbols: list[str]) -> list[OrderSnapshot]:
        """The account's open orders on ``symbols``, by symbol, oldest first."""
        await self._settled(account_id)
        history = self.exchange.history
        return [
            (record, order_state(record)) for symbol in symbols for record in history.open_orders(account_id, symbol)
        ]

    async def orders_page(
        self, account_id: int, symbol: str, start: int, end: int, before_id: int, size: int
    ) -> list[OrderSnapshot]:
        """Newest first: the account's orders (on ``symbol``, or all) with id < ``before_id`` (0: no
        bound) created in [start, end)."""
        await self._settled(account_id)
        page = self.exchange.history.orders_page(account_id, symbol, start, end, before_id, size)
        return [(record, order_state(record)) for record in page]

    async def preview(self, command: PlaceOrder) -> tuple[OrderPreview, OrderPreview, int]:
        """What placing ``command`` would cost in the account's margin mode and in the other one, and
        the engine time of the estimate. A market order needs a book or a mark price to estimate from."""
        await self._settled(command.account_id)
        results = self.exchange.results
        accounts, symbol = results.margin_accounts, command.symbol
        market = accounts.market(symbol)
        touch = results.books.best_price(symbol, command.side.opposite)
        price = command.price or command.stop_price
        if not price and touch is None and not band_reference(market):
            message = "no book or mark price to estimate a market order: give a price"
            raise WireError("INVALID_ORDER_PARAMETERS", "order.price", message)
        price = price or estimated_price(market, touch)
        account = accounts.account(command.account_id)
        refusal = check_position_side(command, account.position_mode)
        if refusal is not None:
            raise refused(refusal.reason, {"symbol": symbol, "position_side": command.position_side.value})
        current, other = preview(
            account, accounts.markets(), symbol, command.side, command.quantity, price, command.position_side
        )
        return current, other, results.now

    async def fills_page(
        self, account_id: int, symbol: str, order_id: int, start: int, end: int, before_trade: int, size: int
    ) -> list[FillRecord]:
        """Newest first: the account's fills (of ``symbol`` and ``order_id`` when given) with trade id
        < ``before_trade`` (0: no bound) in [start, end)."""
        await self._settled(account_id)
        return self.exchange.history.fills_page(account_id, symbol, order_id, start, end, before_trade, size)

    # ------------------------------------------------------------------ accounts

    async def position_mode(self, account_id: int) -> PositionMode:
        await self._settled(account_id)
        return self.exchange.margin_accounts.position_mode(account_id)

    async def account(self, account_id: int) -> AccountOverview:
        await self._settled(account_id)
        return self._overview(self.exchange, account_id)

    async def multi_assets(self, account_id: int) -> bool:
        """Whether the account is in Multi-Assets mode."""
        await self._settled(account_id)
        return self.exchange.margin_accounts.multi_assets(account_id)

    async def accounts_page(self, after_id: int, size: int) -> list[AccountOverview]:
        """Up to ``size`` traders' accounts with id > ``after_id``, by id (the exchange's own are hidden)."""
        await self.sequencer.settled()
        exchange = self.exchange
        entries = exchange.accounts.values()
        ids = [entry.account_id for entry in entries if entry.account_id > after_id and not entry.internal]
        return [self._overview(exchange, account_id) for account_id in ids[:size]]

    def _overview(self, exchange: Exchange, account_id: int) -> AccountOverview:
        summary = exchange.margin_accounts.summary(account_id)
        return AccountOverview(
            summary,
            exchange.accounts[account_id].name,
            self._limits(exchange, account_id),
            exchange.last_cursor(account_id),
            {
                (figures.symbol, figures.position_side): self.adl.quantile(
                    exchange, figures.symbol, account_id, figures.position_side
                )
                for figures in summary.positions
            },
            exchange.results.now,
            exchange.margin_accounts.position_mode(account_id),
            exchange.margin_accounts.multi_assets(account_id),
            exchange.margin_accounts.asset_figures(account_id),
        )

    def _limits(self, exchange: Exchange, account_id: int) -> list[SymbolLimits]:
        accounts = exchange.margin_accounts
        return [
            symbol_limits(spec, accounts.settings(account_id, symbol)) for symbol, spec in exchange.instruments.items()
        ]

    async def positions(self, account_id: int, symbol: str) -> tuple[list[HeldPosition | FlatPosition], int]:
        """Open positions (every symbol, or ``symbol``'s, shown flat when nothing is held) and the time."""
        await self._settled(account_id)
        exchange = self.exchange
        accounts = exchange.margin_accounts
        held: list[HeldPosition | FlatPosition] = [
            HeldPosition(figures, self.adl.quantile(exchange, figures.symbol, account_id, figures.position_side))
            for figures in accounts.summary(account_id).positions
            if not symbol or figures.symbol == symbol
        ]
        if symbol and not held:
            held = [FlatPosition(symbol, accounts.settings(account_id, symbol), accounts.market(symbol).mark_price)]
        return held, exchange.results.now

    def adl_quantile(self, account_id: int, symbol: str, leg: PositionSide = PositionSide.BOTH) -> int:
        """The position's (hedge leg's) current ADL quantile: a ranking refreshed on its own schedule, not
        a figure of any one command."""
        return self.adl.quantile(self.exchange, symbol, account_id, leg)

    async def alerts(self, account_id: int, symbol: str) -> list[Alert]:
        """The account's price alerts (on ``symbol``, or all)."""
        await self._settled(account_id)
        return self.exchange.alerts.of(account_id, symbol)

    async def income_page(
        self, account_id: int, symbol: str, income_type: IncomeType | None, start: int, end: int, after: int, size: int
    ) -> tuple[list[IncomeRecord], int]:
        """The account's money moves in [start, end) after id ``after``, and the id to continue from (0: none)."""
        await self._settled(account_id)
        return self.exchange.income.page(account_id, symbol, income_type, start, end, after, size)

    async def liquidations_page(
        self, account_id: int, symbol: str, before: int, size: int
    ) -> tuple[list[LiquidationRecord], int]:
        """Newest first: the account's liquidations with id < ``before`` (0: no bound), and the id to
        continue below (0: none)."""
        await self._settled(account_id)
        return self.exchange.liquidations.page(account_id, symbol, before, size)

    @contextlib.asynccontextmanager
    async def user_events(
        self, account_id: int, after: tuple[int, int] | None
    ) -> AsyncIterator[tuple[list[Any], Subscription[Any]]]:
        """The retained events after the cursor ``after`` (none without one), then the live ones.

        Raises Refused (CURSOR_EXPIRED) when the events after the cursor are no longer retained."""
        await self._settled(account_id)
        backlog: list[Any] = []
        if after is not None:
            found = self.exchange.events_after(account_id, *after)
            if found is None:
                raise Refused("CURSOR_EXPIRED", "events that old are no longer retained: GetAccount, then resume")
            backlog = found
        async with self.hub.subscribe(user_topic(account_id), self.stream_capacity) as live:
            yield backlog, live

    # ------------------------------------------------------------------ market data

    async def book(self, symbol: str, depth: int = 0) -> Book:
        """The top ``depth`` levels of each side (0: every level)."""
        await self._settled(PUBLIC)
        return self._book(self.exchange, symbol, depth or WHOLE_BOOK)

    @staticmethod
    def _book(exchange: Exchange, symbol: str, depth: int) -> Book:
        books = exchange.results.books
        bids, asks = books.depth(symbol, depth)
        return Book(symbol, books.sequence[symbol], bids, asks, exchange.results.now)

    @contextlib.asynccontextmanager
    async def book_updates(self, symbol: str) -> AsyncIterator[tuple[Book, Subscription[Any]]]:
        """The whole book at a sequence number, then every update after it."""
        await self._settled(PUBLIC)
        async with self.hub.subscribe(book_topic(symbol), self.stream_capacity) as updates:
            yield self._book(self.exchange, symbol, WHOLE_BOOK), updates

    def trades(self, symbol: str) -> Subscription[Any]:
        """The symbol's trades from now on, a message per command that traded."""
        return self.hub.subscribe(trades_topic(symbol), self.stream_capacity)

    async def tickers(self, symbols: list[str]) -> list[Ticker]:
        await self._settled(PUBLIC)
        exchange = self.exchange
        return [self._ticker(exchange, symbol) for symbol in symbols]

    @staticmethod
    def _ticker(exchange: Exchange, symbol: str) -> Ticker:
        results = exchange.results
        now, prices, accounts = results.now, results.prices, results.margin_accounts
        market = accounts.market(symbol)
        bids, asks = results.books.depth(symbol, 1)
        return Ticker(
            symbol,
            market.last_price,
            bids[0] if bids else None,
            asks[0] if asks else None,
            market.mark_price,
            prices.index.get(symbol, 0),
            prices.funding_rate.get(symbol, 0),
            next_boundary(now, market.instrument.funding_interval_hours) if now else 0,
            accounts.open_interest(symbol),
            results.ticker_stats.snapshot(symbol, now),
            now,
        )

    async def candles(
        self,
        symbol: str,
        interval: Interval,
        start: int | None,
        end: int | None,
        limit: int,
        price: CandlePrice = CandlePrice.LAST,
    ) -> list[Candle]:
        """The symbol's bars of ``price`` opening in [start, end] (None: unbounded), oldest first: with
        ``start`` the first ``limit`` of them, without it the newest ``limit`` (``CandleStore.history``)."""
        await self._settled(PUBLIC)
        results = self.exchange.results
        store = {CandlePrice.MARK: results.mark_candles, CandlePrice.INDEX: results.index_candles}.get(price)
        return (store or results.candles).history(symbol, interval, start, end, limit)

    async def open_interest_history(
        self, symbol: str, period_ns: int, start: int | None, end: int | None, limit: int
    ) -> list[OpenInterestSample]:
        """The symbol's open interest at each multiple of ``period_ns`` (a multiple of 5 minutes) in
        [start, end], oldest first (``OpenInterestHistory.samples``)."""
        await self._settled(PUBLIC)
        return self.exchange.results.open_interest.samples(symbol, period_ns, start, end, limit)

    @contextlib.asynccontextmanager
    async def candle_updates(
        self, symbol: str, interval: Interval
    ) -> AsyncIterator[tuple[Candle | None, Subscription[Any]]]:
        """The current candle (None before any trade), then every change and close of it and its successors."""
        await self._settled(PUBLIC)
        async with self.hub.subscribe(candles_topic(symbol, interval), self.stream_capacity) as bars:
            current = self.exchange.candles.history(symbol, interval, limit=1)
            yield (current[0] if current else None), bars

    # ------------------------------------------------------------------ operator

    async def insurance_funds(self) -> InsuranceFunds:
        await self.sequencer.settled()
        funds = self.exchange.results.funds.insurance
        return InsuranceFunds(sum(funds.values()), list(funds.items()))

    async def ledger(self) -> tuple[Ledger, int, int]:
        """Where the money is, with the sequence number and the time it is true at."""
        await self.sequencer.settled()
        exchange = self.exchange
        results = exchange.results
        return results.funds.ledger(results.margin_accounts), exchange.sequence, results.now

    async def clock(self) -> Clock:
        await self.sequencer.settled()
        exchange = self.exchange
        market = exchange.market
        scenario = market.scenario
        return Clock(
            self.simulated,
            self.now,
            scenario.name if scenario is not None else "",
            exchange.results.now - market.started_at if scenario is not None else 0,
            market.step_ns,
            market.liquidity_enabled,
        )

    @staticmethod
    def scenarios() -> list[Scenario]:
        """The shipped scenario library, by name."""
        return [scenario for _, scenario in sorted(library().items())]

    # ------------------------------------------------------------------ histories the venue APIs show

    async def funding_history(
        self, symbols: list[str], start: int, end: int, size: int, *, oldest: bool
    ) -> list[FundingRecord]:
        """Oldest first: the funding times of ``symbols`` in [start, end), the first ``size`` of them
        when ``oldest``, else the newest ``size``."""
        await self._settled(PUBLIC)
        return self.exchange.results.funding.page(symbols, start, end, size, oldest=oldest)

    async def margin_adjustments(
        self, account_id: int, symbol: str, added: bool | None, start: int, end: int, size: int
    ) -> list[MarginAdjustment]:
        """Oldest first: the account's own isolated margin moves on ``symbol`` in [start, end) (only
        additions or only removals when ``added`` says which)."""
        await self._settled(account_id)
        return self.exchange.results.margin_adjustments.page(account_id, symbol, added, start, end, size)

    async def public_trades(self, symbol: str, from_id: int | None, size: int) -> list[PublicTrade]:
        """Oldest first: the symbol's trades from id ``from_id`` on (the first ``size``), or the newest ``size``."""
        await self._settled(PUBLIC)
        return self.exchange.results.public_trades.recent(symbol, from_id, size)

    async def aggregate_trades(
        self, symbol: str, from_id: int | None, start: int, end: int, size: int
    ) -> list[AggregateTrade]:
        """Oldest first: the symbol's aggregate trades from ``from_id`` on, or the newest in [start, end)."""
        await self._settled(PUBLIC)
        return self.exchange.results.public_trades.aggregates(symbol, from_id, start, end, size)

    async def liquidation_orders(
        self, account_id: int, symbol: str, start: int, end: int, size: int
    ) -> list[OrderSnapshot]:
        """Oldest first: the newest ``size`` liquidation orders of the account (on ``symbol``, or any)
        placed in [start, end)."""
        await self._settled(account_id)
        found: list[OrderSnapshot] = []
        records, before = self.exchange.liquidations.page(account_id, symbol, 0, size)
        while records:
            for record in records:
                for order in reversed(record.orders):
                    if (not symbol or order.symbol == symbol) and start <= order.created < end:
                        found.append((order, order_state(order)))
            if len(found) >= size or not before:
                break
            records, before = self.exchange.liquidations.page(account_id, symbol, before, size)
        return found[:size][::-1]


def symbol_limits(spec: Instrument, settings: SymbolSettings) -> SymbolLimits:
    return SymbolLimits(spec.symbol, settings, max_notional_for(spec, settings.leverage))
