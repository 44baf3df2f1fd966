"""The exchange's whole deterministic state: the engine plus what the host derives from its events.

Everything here is a pure function of the command sequence (accounts and hashed keys, order and fill
history, income and liquidation records, user-event logs, book sequence numbers), so a pickled
``Exchange`` plus the journal's tail rebuilds it exactly. The sequencer is its only writer.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetIndexPrice,
    SetMarkPrice,
    Withdraw,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    BookLevelChanged,
    DuplicatePlaceIgnored,
    Event,
    MarkPriceChanged,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderRejected,
    TradeExecuted,
)
from paperex.engine.instruments import Instrument
from paperex.engine.orders import TriggerBy
from paperex.engine.reasons import RejectReason
from paperex.engine.risk import PositionFigures
from paperex.engine.units import Amount, Ticks
from paperex.server.core.exchange_commands import (
    CreatePriceAlert,
    DeletePriceAlert,
    LoadScenario,
    MarketStep,
    OpenAccount,
    RotateApiKey,
    SetFaults,
    SetLiquidityProvider,
    SetTakerFlow,
)
from paperex.server.core.faults import FaultError, FaultPlan, parse_plan
from paperex.server.core.state_hash import state_hash
from paperex.server.core.tape import ExchangeCommand
from paperex.server.market.history import Bar
from paperex.server.market.market_script import MarketScript
from paperex.server.market.scenarios import Scenario
from paperex.server.state.alerts import MAX_ALERTS_PER_ACCOUNT, Alert, AlertBook
from paperex.server.state.candles import Candle, CandleStore, Interval
from paperex.server.state.history import RETAINED_PER_ACCOUNT, History, OrderSnapshot, order_state
from paperex.server.state.income import IncomeHistory
from paperex.server.state.liquidation_records import LiquidationRecords
from paperex.server.state.ticker_stats import TickerStats
from paperex.server.state.user_events import UserEventLog, UserEventRenderer
from paperex.server.wire import render
from paperex.server.wire.errors import Refused
from paperex.v1 import account_pb2

USER_EVENTS_RETAINED = 10_000
"""Events kept per account for StreamUserEvents to resume from after a reconnect."""

_ONE_ORDER_COMMANDS = frozenset({PlaceOrder, AmendOrder, CancelOrder})
_ONE_ORDER_ANSWERS = frozenset({OrderAccepted, DuplicatePlaceIgnored, OrderAmended, OrderCanceled})
"""A place, amend or cancel answers with the order its first event names (unless it was rejected)."""

Publication = tuple[Hashable, Any]
"""A stream topic and the message for it, published once the command is durable."""


def book_topic(symbol: str) -> Hashable:
    return ("book", symbol)


def trades_topic(symbol: str) -> Hashable:
    return ("trades", symbol)


def user_topic(account_id: int) -> Hashable:
    return ("user", account_id)


def candles_topic(symbol: str, interval: Interval) -> Hashable:
    return ("candles", symbol, interval)


class AccountEntry(NamedTuple):
    account_id: int
    name: str
    key_hash: str
    internal: bool = False


@dataclass(slots=True)
class Applied:
    """One command's outcome: its sequence number, events, and what streams should see.

    An answer is built from this alone, after the command is journaled, while later commands may
    already have changed the state: so what an answer needs beyond the events is taken here, as the
    command leaves it, in values that later commands cannot change.
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


class Exchange:
    """Engine + accounts + projections; mutate only through ``apply``."""

    faults: dict[int, FaultPlan] = {}  # noqa: RUF012  (never mutated: _set_faults replaces it)
    """Fault plans in force by account (0: everyone). A class default, so a state pickled before
    faults existed loads without any."""

    def __init__(self, instruments: Mapping[str, Instrument], history_retention: int = RETAINED_PER_ACCOUNT) -> None:
        self.instruments = dict(instruments)
        self.engine = Engine(self.instruments)
        self.history = History(history_retention)
        self.income = IncomeHistory(self.history.retained)
        self.liquidations = LiquidationRecords(self.history)
        self.sequence = 0
        self.accounts: dict[int, AccountEntry] = {}
        self.account_by_key: dict[str, int] = {}
        self._account_by_name: dict[str, int] = {}
        self.book_sequence = dict.fromkeys(self.instruments, 0)
        self.user_events: dict[int, UserEventLog] = {}
        self.candles = CandleStore()
        self.alerts = AlertBook()
        self.market = MarketScript(self.instruments)
        self._seen_prices: dict[tuple[str, TriggerBy], Ticks] = {}
        self.ticker_stats = TickerStats()
        self.faults = {}
        self._renderer = UserEventRenderer(self.engine, self.history)

    @property
    def now(self) -> int:
        return self.engine.now

    def state_hash(self) -> str:
        """Digest of everything a snapshot restores, the projections included (``paperex.server.core.state_hash``):
        equal in two processes exactly when their states are."""
        return state_hash(self)

    def apply(self, command: ExchangeCommand) -> Applied:
        """Apply one sequenced command (its ``ts`` already stamped)."""
        self.sequence += 1
        if isinstance(command, MarketStep) and command.at > command.ts:
            command.ts = command.at  # a simulated step: time jumps to it
        applied = Applied(self.sequence, command.ts, command, [])
        if isinstance(command, OpenAccount):
            applied.events = self._open_account(command, applied)
        elif isinstance(command, RotateApiKey):
            self._rotate_key(command, applied)
        elif isinstance(command, CreatePriceAlert):
            self._create_alert(command, applied)
        elif isinstance(command, DeletePriceAlert):
            self._delete_alert(command, applied)
        elif isinstance(command, MarketStep):
            applied.events = self.market.step(self.engine, command.ts)
        elif isinstance(command, LoadScenario):
            try:
                events = self.market.load(command, self.engine, self._open_internal_account)
                applied.history = self.market.history_bars()
                applied.events = events + self.market.step(self.engine, command.ts)
            except Refused as refusal:
                applied.refusal = refusal
        elif isinstance(command, SetLiquidityProvider):
            try:
                applied.events = self.market.set_liquidity(command, self.engine, self._open_internal_account)
            except Refused as refusal:
                applied.refusal = refusal
        elif isinstance(command, SetFaults):
            self._set_faults(command, applied)
        elif isinstance(command, SetTakerFlow):
            applied.events = self.market.set_takers(command, self.engine, self._open_internal_account)
        else:
            applied.events = self.engine.apply(command)
            self.market.observe(applied.events)
        self._project(applied)
        if self.alerts.alerts:
            self._fire_alerts(applied)
        self._remember_prices(applied.events)
        self._keep_for_answer(applied)
        return applied

    def _keep_for_answer(self, applied: Applied) -> None:
        """What the command's answer shows beyond its events (``Applied``), taken now."""
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
        elif isinstance(command, Deposit | Withdraw) and command.account_id in self.engine.accounts:
            applied.wallets = self._wallets(command.account_id)
        elif isinstance(command, AdjustIsolatedMargin) and command.account_id in self.engine.accounts:
            applied.wallets = self._wallets(command.account_id)
            held = self.engine.summary(command.account_id).positions
            applied.position = next((figures for figures in held if figures.symbol == command.symbol), None)
        elif isinstance(command, SetIndexPrice | SetMarkPrice) and command.symbol in self.engine.markets:
            market = self.engine.markets[command.symbol]
            applied.prices = (market.index_price, market.mark_price)
        elif isinstance(command, LoadScenario) and applied.refusal is None:
            applied.scenario = self.market.scenario
        elif isinstance(command, SetLiquidityProvider):
            applied.liquidity_enabled = self.market.liquidity_enabled

    def _wallets(self, account_id: int) -> tuple[Amount, Amount]:
        account = self.engine.accounts[account_id]
        isolated = sum(position.isolated_wallet for position in account.positions.values())
        return account.wallet + isolated, account.wallet

    def _open_internal_account(self, name: str, deposit: Amount) -> tuple[int, list[Event]]:
        """The exchange's own accounts (the liquidity provider, the taker flow): no API key, hidden from listings,
        never liquidated."""
        known = self._account_by_name.get(name)
        if known is not None:
            return known, []
        account_id = len(self.accounts) + 1
        self.accounts[account_id] = AccountEntry(account_id, name, "", internal=True)
        self._renderer.silent_accounts |= {account_id}
        self._account_by_name[name] = account_id
        now = self.engine.now
        events = self.engine.apply(CreateAccount(account_id=account_id, liquidatable=False, ts=now))
        return account_id, events + self.engine.apply(Deposit(account_id=account_id, amount=deposit, ts=now))

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

    def _remember_prices(self, events: list[Event]) -> None:
        """The last mark and trade price per symbol, the 'before' of the next alert check."""
        seen = self._seen_prices
        for event in events:
            if isinstance(event, MarkPriceChanged):
                seen[(event.symbol, TriggerBy.MARK)] = event.price
            elif isinstance(event, TradeExecuted):
                seen[(event.symbol, TriggerBy.LAST)] = event.price

    def _fire_alerts(self, applied: Applied) -> None:
        """Alerts crossed by this command's price changes, as user events after the command's own."""
        moves: list[tuple[str, TriggerBy, Ticks]] = []
        for event in applied.events:
            if isinstance(event, MarkPriceChanged):
                moves.append((event.symbol, TriggerBy.MARK, event.price))
            elif isinstance(event, TradeExecuted):
                moves.append((event.symbol, TriggerBy.LAST, event.price))
        before = dict(self._seen_prices)
        index = len(applied.events)
        stamp = render.timestamp(applied.ts)
        for symbol, source, price in moves:
            previous = before.get((symbol, source), 0)
            before[(symbol, source)] = price
            spec = self.instruments[symbol]
            for alert in self.alerts.crossed(symbol, source, previous, price):
                message = account_pb2.UserEvent(
                    cursor=account_pb2.EventCursor(sequence=applied.sequence, index=index),
                    time=stamp,
                    price_alert_triggered=account_pb2.PriceAlertTriggered(
                        alert=render.price_alert(alert, spec), price=spec.ticks_to_price(price)
                    ),
                )
                index += 1
                self._log_user_event(alert.account_id, message, applied)

    def _log_user_event(self, account_id: int, message: account_pb2.UserEvent, applied: Applied) -> None:
        self._event_log(account_id).append(message)
        applied.publications.append((user_topic(account_id), message))

    def _event_log(self, account_id: int) -> UserEventLog:
        log = self.user_events.get(account_id)
        if log is None:
            log = self.user_events[account_id] = UserEventLog((), USER_EVENTS_RETAINED)
        return log

    def _open_account(self, command: OpenAccount, applied: Applied) -> list[Event]:
        if command.name in self._account_by_name:
            return [OrderRejected("CreateAccount", 0, "", RejectReason.ACCOUNT_ALREADY_EXISTS)]
        account_id = applied.account_id = len(self.accounts) + 1
        self.accounts[account_id] = AccountEntry(account_id, command.name, command.key_hash)
        self.account_by_key[command.key_hash] = account_id
        self._account_by_name[command.name] = account_id
        events = self.engine.apply(CreateAccount(account_id=account_id, ts=command.ts))
        if command.deposit:
            events += self.engine.apply(Deposit(account_id=account_id, amount=command.deposit, ts=command.ts))
        return events

    def _set_faults(self, command: SetFaults, applied: Applied) -> None:
        entry = self.accounts.get(command.account_id)
        if command.account_id and (entry is None or entry.internal):
            metadata = {"account_id": str(command.account_id)}
            applied.refusal = Refused("UNKNOWN_ACCOUNT", f"no account {command.account_id}", metadata)
            return
        try:
            plan = parse_plan(command.config, now=command.ts, set_at=applied.sequence)
        except FaultError as error:
            applied.refusal = Refused("INVALID_FAULTS", f"the fault plan is not valid: {error}")
            return
        faults = dict(self.faults)
        if plan is None:
            faults.pop(command.account_id, None)
        else:
            faults[command.account_id] = plan
        self.faults = faults

    def _rotate_key(self, command: RotateApiKey, applied: Applied) -> None:
        """The account answers to the new key hash only; the exchange's own accounts have no key."""
        entry = self.accounts.get(command.account_id)
        if entry is None or entry.internal:
            metadata = {"account_id": str(command.account_id)}
            applied.refusal = Refused("UNKNOWN_ACCOUNT", f"no account {command.account_id}", metadata)
            return
        del self.account_by_key[entry.key_hash]
        self.accounts[entry.account_id] = entry._replace(key_hash=command.key_hash)
        self.account_by_key[command.key_hash] = entry.account_id

    def _project(self, applied: Applied) -> None:
        """History, income and liquidation records, user events, book updates and the public tape from
        one command's events.

        Stream messages are captured, not rendered (``paperex.server.wire.deferred``): the sequencer renders one
        only for a topic with subscribers, and a resume renders the retained user events it reads.
        """
        ts, seq = applied.ts, applied.sequence
        publications = applied.publications
        levels: dict[str, list[Any]] = {}
        trades: dict[str, list[Any]] = {}
        bars: dict[tuple[str, Interval, int], Candle] = {}
        history, renderer = self.history, self._renderer
        fold, capture = history.fold, renderer.capture
        fold_income, fold_liquidation = self.income.fold, self.liquidations.fold
        for symbol, (bar_ns, imported) in applied.history.items():
            self.candles.replace_history(symbol, bar_ns, imported, ts)
        for index, event in enumerate(applied.events):
            fold(event, ts)
            if isinstance(event, BookLevelChanged):
                captured_level = (event.side, event.price, event.quantity, event.orders)
                levels.setdefault(event.symbol, []).append(captured_level)
                continue
            if isinstance(event, TradeExecuted):
                trades.setdefault(event.symbol, []).append(self._trade(event))
                self.ticker_stats.record(event.symbol, ts, event.price, event.quantity)
                for interval, bar in self.candles.record(event.symbol, ts, event.price, event.quantity):
                    bars[(event.symbol, interval, bar.open_time)] = bar
                continue
            fold_income(event, ts)
            fold_liquidation(event, seq, ts)
            captured = capture(event, seq, index, ts)
            if captured is None:
                continue
            account_id, kept, sent = captured
            self._event_log(account_id).append(kept)
            publications.append((user_topic(account_id), sent))
        for symbol, changed in levels.items():
            publications.append((book_topic(symbol), self._book_update(symbol, changed, ts)))
        for symbol, executed in trades.items():
            tape = render.defer(render.trades, symbol, executed, self.instruments[symbol], ts)
            publications.append((trades_topic(symbol), tape))
        for symbol, interval, bar in self.candles.advance(ts):
            bars[(symbol, interval, bar.open_time)] = bar
        for (symbol, interval, _), bar in bars.items():
            update = render.defer(render.candle_update, symbol, bar, self.instruments[symbol])
            publications.append((candles_topic(symbol, interval), update))

    def _book_update(self, symbol: str, changed: list[Any], ts: int) -> Any:
        """The symbol's next book delta, deferred; ``changed`` holds captured levels (render.BookLevelCapture)."""
        sequence = self.book_sequence[symbol] = self.book_sequence[symbol] + 1
        return render.defer(render.book_update, symbol, sequence, changed, self.instruments[symbol], ts)

    def _trade(self, event: TradeExecuted) -> Any:
        """The trade as captured for its deferred tape message (render.TradeCapture)."""
        return (event.trade_id, event.price, event.quantity, event.aggressor)

    # ------------------------------------------------------------------ queries

    def events_after(self, account_id: int, sequence: int, index: int) -> list[account_pb2.UserEvent] | None:
        """The account's retained events strictly after the cursor; None when the log no longer
        reaches back that far, or the cursor is from the future (the caller must resync)."""
        if sequence > self.sequence:
            return None
        log = self.user_events.get(account_id)
        return log.after(sequence, index) if log is not None else []

    def open_interest(self, symbol: str) -> int:
        """Total long lots (equal to total short lots)."""
        holders = self.engine.markets[symbol].holders
        return sum(max(0, self.engine.position(account_id, symbol).size) for account_id in holders)

    def last_cursor(self, account_id: int) -> tuple[int, int]:
        """The cursor of the account's newest event ((0, 0) before any)."""
        log = self.user_events.get(account_id)
        return log.last_cursor() if log is not None else (0, 0)
