"""The results stage: after a batch is journaled, each command's events folded into the read models, in
command order, with what its answer and the streams need.

The writer (``Exchange.execute``) has already applied the whole batch, so the engine is at the batch's
end when an earlier command is folded here: nothing here reads the engine. The read models are built
from the events alone (and the instrument table, which never changes), the answer's extras from the
read models as this command's fold leaves them. Price alerts are created, deleted and fired here too,
in the same order as the price moves that fire them.
"""

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, get_args

from paperex.engine.collateral import DEFAULT_COLLATERAL, USDT, CollateralAsset
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Deposit,
    PlaceOrder,
    SetIndexPrice,
    SetMarkPrice,
    Withdraw,
)
from paperex.engine.events import (
    BookLevelChanged,
    DuplicatePlaceIgnored,
    Event,
    IndexPriceChanged,
    MarkPriceChanged,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    PositionChanged,
    TradeExecuted,
)
from paperex.engine.instruments import Instrument
from paperex.engine.orders import TriggerBy
from paperex.engine.risk import PositionFigures
from paperex.engine.units import Amount, Lots, Ticks
from paperex.server.core.exchange_commands import CreatePriceAlert, DeletePriceAlert
from paperex.server.core.tape import ExchangeCommand
from paperex.server.market.history import Bar
from paperex.server.market.scenarios import Scenario
from paperex.server.state import funding_history, funds, history, income, liquidation_records, margin_accounts, wallets
from paperex.server.state.alerts import MAX_ALERTS_PER_ACCOUNT, Alert, AlertBook
from paperex.server.state.books import Books
from paperex.server.state.candles import Candle, CandleStore, Interval, PriceCandleStore
from paperex.server.state.funding_history import FundingHistory
from paperex.server.state.funds import Funds
from paperex.server.state.history import History, OrderSnapshot, order_state
from paperex.server.state.income import IncomeHistory
from paperex.server.state.liquidation_records import LiquidationRecords
from paperex.server.state.margin_accounts import MarginAccounts
from paperex.server.state.margin_adjustments import MarginAdjustments
from paperex.server.state.market_updates import BookUpdate, LevelChange, Trade, TradeBatch
from paperex.server.state.open_interest import OpenInterestHistory
from paperex.server.state.prices import PriceBoard
from paperex.server.state.public_trades import PublicTrades
from paperex.server.state.ticker_stats import TickerStats
from paperex.server.state.user_event_log import UserEventLog
from paperex.server.state.user_events import UserEventCapture, alert_fired, position_figures
from paperex.server.state.wallets import Wallets
from paperex.server.wire.errors import Refused

RESULTS_BUILD = "interpreted" if __file__.endswith(".py") else "mypyc"
"""Which build of the results stage runs, and so of the read models it folds: the optional compiled one
(``PAPEREX_MYPYC=1 pip install .``) compiles them with the engine (``paperex.engine.engine.ENGINE_BUILD``)."""

USER_EVENTS_RETAINED = 10_000
"""Events kept per account for StreamUserEvents to resume from after a reconnect."""

_ONE_ORDER_COMMANDS = frozenset({PlaceOrder, AmendOrder, CancelOrder})
_ONE_ORDER_ANSWERS = frozenset({OrderAccepted, DuplicatePlaceIgnored, OrderAmended, OrderCanceled})
"""A place, amend or cancel answers with the order its first event names (unless it was rejected)."""

Publication = tuple[Hashable, Any]
"""A stream topic and the value for it (a ``UserEvent``, ``BookUpdate``, ``TradeBatch`` or ``Candle``),
published once the command is durable; each adapter renders it in its own format."""


def book_topic(symbol: str) -> Hashable:
    return ("book", symbol)


def trades_topic(symbol: str) -> Hashable:
    return ("trades", symbol)


def user_topic(account_id: int) -> Hashable:
    return ("user", account_id)


def candles_topic(symbol: str, interval: Interval) -> Hashable:
    return ("candles", symbol, interval)


@dataclass(slots=True)
class Applied:
    """One command's outcome: its sequence number, events, and what streams should see.

    The writer fills the sequence, the events and the host commands' own outcomes (``account_id``,
    ``refusal``, ``scenario``, ``liquidity_enabled``); the results stage the rest. An answer is built
    from this alone, after the command is journaled and folded, while later commands may already have
    changed the state: so what it needs beyond the events is taken as the command leaves it, in values
    that later commands cannot change.
    """

    sequence: int
    ts: int
    command: ExchangeCommand
    events: list[Event]
    publications: list[Publication] = field(default_factory=list)
    account_id: int = 0
    """For OpenAccount: the id assigned."""
    alert: Alert | None = None
    """For CreatePriceAlert: the alert created."""
    refusal: Refused | None = None
    """A host command's refusal (the engine's are OrderRejected events)."""
    orders: dict[int, OrderSnapshot] = field(default_factory=dict)
    """For an order command: the orders it placed, amended or canceled, as it left them."""
    wallets: tuple[Amount, Amount] = (0, 0)
    asset_balance: Amount = 0
    """After a deposit or withdrawal: the balance of the asset it moved."""
    """For Deposit, Withdraw and AdjustIsolatedMargin: the account's wallet balance (isolated margin
    included) and cross wallet."""
    position: PositionFigures | None = None
    """For AdjustIsolatedMargin: the position's figures after it."""
    prices: tuple[Ticks, Ticks] = (0, 0)
    """For SetIndexPrice and SetMarkPrice: the symbol's index and mark price after it."""
    scenario: Scenario | None = None
    """For LoadScenario: the scenario loaded."""
    liquidity_enabled: bool = False
    """For SetLiquidityProvider: whether the provider quotes any symbol after it."""
    history: dict[str, tuple[int, list[Bar]]] = field(default_factory=dict)
    """For LoadScenario: the candle history it brings, per symbol (bar length, bars)."""


_FOLDING_MODELS: tuple[tuple[str, Mapping[type, Callable[[Any, Any, int, int], None]]], ...] = (
    ("history", history.FOLDERS),
    ("wallets", wallets.FOLDERS),
    ("margin_accounts", margin_accounts.FOLDERS),
    ("funds", funds.FOLDERS),
    ("income", income.FOLDERS),
    ("liquidations", liquidation_records.FOLDERS),
    ("funding", funding_history.FOLDERS),
)
"""The read models ``Results`` folds event by event (by attribute name, in folding order), each with its
``FOLDERS`` table: event type -> method(model, event, command sequence, time)."""

_ROUTES: dict[type, tuple[tuple[Callable[["Results"], Any], Callable[[Any, Any, int, int], None]], ...]] = {
    kind: tuple((attrgetter(name), folders[kind]) for name, folders in _FOLDING_MODELS if kind in folders)
    for kind in get_args(Event)
}
"""Event type -> (the read model, its folder) for each read model that folds it: worked out once, where
offering every event to every read model cost a call each."""


class Results:
    """The read models and the one way they change: ``fold``, a command at a time, in sequence order."""

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        history_retention: int,
        collateral: Mapping[str, CollateralAsset] = DEFAULT_COLLATERAL,
    ) -> None:
        self.instruments = instruments
        self.history = orders = History(history_retention)
        self.income = IncomeHistory(orders.retained)
        self.liquidations = LiquidationRecords(orders)
        self.user_events: dict[int, UserEventLog] = {}
        self.candles = CandleStore()
        self.mark_candles = PriceCandleStore()
        self.index_candles = PriceCandleStore()
        self.ticker_stats = TickerStats()
        self.alerts = AlertBook()
        self.prices = PriceBoard()
        self.wallets = Wallets()
        self.margin_accounts = MarginAccounts(instruments, self.wallets, orders, self.prices, collateral)
        self.funds = Funds(instruments)
        self.now = 0
        """The time of the latest command folded: what the read models show is true at it."""
        self.books = Books(instruments)
        self.funding = FundingHistory()
        self.margin_adjustments = MarginAdjustments()
        self.public_trades = PublicTrades()
        self.open_interest = OpenInterestHistory(instruments)
        self._user_event_capture = UserEventCapture(orders, self.wallets)

    def fold(self, applied: Applied) -> Applied:
        """Fold one applied command (the next in sequence) and complete its ``Applied``."""
        command = applied.command
        self.open_interest.advance(applied.ts, self._open_interest_now)  # before this command's events
        self.now = max(self.now, applied.ts)
        if isinstance(command, CreatePriceAlert):
            self._create_alert(command, applied)
        elif isinstance(command, DeletePriceAlert):
            self._delete_alert(command, applied)
        elif isinstance(command, AdjustIsolatedMargin):
            self.margin_adjustments.fold(command, applied.events, applied.ts)
        self._project(applied)
        if self.alerts.alerts:
            self._fire_alerts(applied)
        self.prices.fold(applied.events)
        self._keep_for_answer(applied)
        return applied

    def _open_interest_now(self, symbol: str) -> tuple[Lots, Ticks]:
        return self.margin_accounts.open_interest(symbol), self.prices.price(symbol, TriggerBy.MARK)

    def _keep_for_answer(self, applied: Applied) -> None:
        """What the command's answer shows beyond its events, from the read models as its fold left them."""
        command, events = applied.command, applied.events
        kind = type(command)
        if kind in _ONE_ORDER_COMMANDS:
            first = events[0] if events else None
            if type(first) in _ONE_ORDER_ANSWERS:
                record = self.history.orders[first.order_id]  # type: ignore[union-attr]
                applied.orders = {record.order_id: (record, order_state(record))}
        elif kind is CancelAllOrders:
            orders = self.history.orders
            canceled = [orders[e.order_id] for e in events if type(e) is OrderCanceled]
            applied.orders = {record.order_id: (record, order_state(record)) for record in canceled}
        elif isinstance(command, Deposit | Withdraw):
            applied.wallets = self.wallets.balances(command.account_id)
            if command.asset == USDT:
                applied.asset_balance = applied.wallets[1]
            else:
                applied.asset_balance = self.wallets.assets(command.account_id).get(command.asset, 0)
        elif isinstance(command, AdjustIsolatedMargin):
            applied.wallets = self.wallets.balances(command.account_id)
            account_id, symbol = command.account_id, command.symbol
            changed = [
                e
                for e in events
                if type(e) is PositionChanged
                and (e.account_id, e.symbol, e.position_side) == (account_id, symbol, command.position_side)
            ]
            applied.position = position_figures(changed[0], self.instruments[symbol]) if changed else None
        elif isinstance(command, SetIndexPrice | SetMarkPrice):
            applied.prices = self.prices.index_and_mark(command.symbol)

    def _create_alert(self, command: CreatePriceAlert, applied: Applied) -> None:
        if self.alerts.count(command.account_id) >= MAX_ALERTS_PER_ACCOUNT:
            applied.refusal = Refused(
                "TOO_MANY_ALERTS",
                f"at most {MAX_ALERTS_PER_ACCOUNT} price alerts per account",
                {"symbol": command.symbol},
            )
            return
        applied.alert = self.alerts.add(
            command.account_id,
            command.symbol,
            command.source,
            command.direction,
            command.price,
            command.repeating,
            command.note,
            command.ts,
        )

    def _delete_alert(self, command: DeletePriceAlert, applied: Applied) -> None:
        alert = self.alerts.alerts.get(command.alert_id)
        if alert is None or alert.account_id != command.account_id:
            metadata = {"alert_id": str(command.alert_id)}
            applied.refusal = Refused("UNKNOWN_ALERT", f"no price alert {command.alert_id}", metadata)
            return
        self.alerts.remove(command.alert_id)

    def _fire_alerts(self, applied: Applied) -> None:
        """Alerts crossed by this command's price changes, as user events after the command's own; the
        price board, not yet folded with this command, holds the prices before it."""
        moves: list[tuple[str, TriggerBy, Ticks]] = []
        for event in applied.events:
            if isinstance(event, MarkPriceChanged):
                moves.append((event.symbol, TriggerBy.MARK, event.price))
            elif isinstance(event, TradeExecuted):
                moves.append((event.symbol, TriggerBy.LAST, event.price))
        before: dict[tuple[str, TriggerBy], Ticks] = {}
        index = len(applied.events)
        for symbol, source, price in moves:
            previous = before.get((symbol, source))
            if previous is None:
                previous = self.prices.price(symbol, source)
            before[(symbol, source)] = price
            for alert in self.alerts.crossed(symbol, source, previous, price):
                fired = alert_fired(alert, price, applied.sequence, index, applied.ts)
                index += 1
                self._event_log(alert.account_id).append(fired)
                applied.publications.append((user_topic(alert.account_id), fired))

    def _event_log(self, account_id: int) -> UserEventLog:
        log = self.user_events.get(account_id)
        if log is None:
            log = self.user_events[account_id] = UserEventLog((), USER_EVENTS_RETAINED)
        return log

    def _project(self, applied: Applied) -> None:
        """History, income and liquidation records, wallets, funding rates, public trades, user events,
        book updates and the public tape from one command's events; the stream values are published as they
        are (an adapter renders one only when a subscriber reads it). Each event goes only to the read
        models that fold its kind (``_ROUTES``)."""
        ts, seq = applied.ts, applied.sequence
        publications = applied.publications
        levels: dict[str, list[LevelChange]] = {}
        trades: dict[str, list[Trade]] = {}
        bars: dict[tuple[str, Interval, int], Candle] = {}
        capture, routes = self._user_event_capture.capture, _ROUTES
        record_trade, mark_candles, index_candles = self.public_trades.record, self.mark_candles, self.index_candles
        for symbol, (bar_ns, imported) in applied.history.items():
            self.candles.replace_history(symbol, bar_ns, imported, ts)
        for index, event in enumerate(applied.events):
            for model, folder in routes[type(event)]:
                folder(model(self), event, seq, ts)
            if type(event) is BookLevelChanged:
                self.books.fold(event)
                captured_level = (event.side, event.price, event.quantity, event.orders)
                levels.setdefault(event.symbol, []).append(captured_level)
            elif type(event) is TradeExecuted:
                captured_trade = (event.trade_id, event.price, event.quantity, event.aggressor)
                trades.setdefault(event.symbol, []).append(captured_trade)
                self.ticker_stats.record(event.symbol, ts, event.price, event.quantity)
                record_trade(event, ts)
                for interval, bar in self.candles.record(event.symbol, ts, event.price, event.quantity):
                    bars[(event.symbol, interval, bar.open_time)] = bar
            elif type(event) is MarkPriceChanged:
                mark_candles.record(event.symbol, ts, event.price)
            elif type(event) is IndexPriceChanged:
                index_candles.record(event.symbol, ts, event.price)
            else:
                captured = capture(event, seq, index, ts)
                if captured is not None:
                    account_id, user_event = captured
                    self._event_log(account_id).append(user_event)
                    publications.append((user_topic(account_id), user_event))
        for symbol, changed in levels.items():
            publications.append((book_topic(symbol), self._book_update(symbol, changed, ts)))
        for symbol, executed in trades.items():
            publications.append((trades_topic(symbol), TradeBatch(symbol, ts, executed)))
        mark_candles.advance(ts)
        index_candles.advance(ts)
        for symbol, interval, bar in self.candles.advance(ts):
            bars[(symbol, interval, bar.open_time)] = bar
        for (symbol, interval, _), bar in bars.items():
            publications.append((candles_topic(symbol, interval), bar))

    def _book_update(self, symbol: str, changed: list[LevelChange], ts: int) -> BookUpdate:
        """The symbol's next book update."""
        sequence = self.books.advance(symbol)
        return BookUpdate(symbol, sequence, sequence, ts, changed)
