"""Engine events as the values of an account's private event stream, and the log each account keeps of
them for resuming a stream.

Captured as the command is folded, so that an order or a position shows its state at that event (an IOC
accepted then filled in one command yields an accepted order, then the fill): the order record with its
changing fields copied then, the position's valuation, the wallets right after a change. The values name
no wire format; each API adapter renders them in its own when a reader reads one
(``paperex.server.wire.user_events`` for gRPC, ``paperex.server.binance_api.user_stream`` for the
venue's user data stream), so nothing is rendered for an account nobody follows.
"""

from collections.abc import Callable
from copy import copy
from typing import Any, NamedTuple

from paperex.engine.accounts import MarginMode
from paperex.engine.collateral import USDT
from paperex.engine.events import (
    AccountCreated,
    AssetModeChanged,
    BalanceChanged,
    BalanceReason,
    Event,
    FundingSettled,
    LiquidationTriggered,
    MarginCallIssued,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
    PositionChanged,
    PositionDeleveraged,
    PositionLiquidated,
    SettingsChanged,
    TrailingStopMoved,
)
from paperex.engine.instruments import Instrument
from paperex.engine.orders import BOTH, PositionSide
from paperex.engine.risk import FigureBasis, PositionFigures, figures
from paperex.engine.units import Amount, Lots, Ticks
from paperex.server.state.alerts import Alert
from paperex.server.state.history import FillRecord, History, OrderRecord, OrderSnapshot, OrderState, order_state
from paperex.server.state.wallets import Wallets


class OrderUpdate(NamedTuple):
    """An order event (``kind``: OrderAccepted, OrderTriggered, OrderAmended, OrderFilled, OrderCanceled,
    OrderExpired or TrailingStopMoved) with the order as the event left it."""

    sequence: int
    event_index: int
    ts: int
    kind: type
    record: OrderRecord
    state: OrderState
    fill: FillRecord | None
    """OrderFilled: the fill."""
    trigger_price: Ticks
    """OrderTriggered: the price that triggered it."""
    priority_kept: bool
    """OrderAmended: whether the order kept its place in the queue."""


class PositionUpdate(NamedTuple):
    """A position as a command left it (``PositionChanged``): ``position_figures`` works out its figures."""

    sequence: int
    event_index: int
    ts: int
    symbol: str
    mode: MarginMode
    leverage: int
    size: Lots
    entry_notional: Amount
    isolated_wallet: Amount
    mark_price: Ticks
    basis: FigureBasis | None
    """None for a flat position."""
    position_side: PositionSide = BOTH
    """The hedge leg (BOTH: a one-way position)."""


class BalanceUpdate(NamedTuple):
    """A wallet change (``BalanceChanged``) with the account's isolated wallets together right after it."""

    sequence: int
    event_index: int
    ts: int
    reason: BalanceReason
    cross_change: Amount
    cross_wallet: Amount
    symbol: str
    isolated_change: Amount
    isolated_wallet: Amount
    trade_id: int
    isolated_total: Amount
    asset: str = USDT
    """For another asset than USDT, ``cross_change`` and ``cross_wallet`` are that asset's change and
    balance (and the isolated and trade fields 0)."""
    position_side: PositionSide = BOTH
    """The hedge leg the change concerns (``paperex.engine.events.BalanceChanged.position_side``)."""


class AccountNotice(NamedTuple):
    """One of the rarer events, as the engine emitted it (a copy): a rejection, a funding payment, a margin
    call, a liquidation's start and steps, an auto-deleverage, a settings or asset mode change."""

    sequence: int
    event_index: int
    ts: int
    event: Event
    order: OrderSnapshot | None
    """PositionLiquidated: its liquidation order as the step left it."""


class AlertFired(NamedTuple):
    """A price alert crossed at ``price``, numbered after its command's own events."""

    sequence: int
    event_index: int
    ts: int
    alert: Alert
    """The alert as it fired (a copy)."""
    price: Ticks


UserEvent = OrderUpdate | PositionUpdate | BalanceUpdate | AccountNotice | AlertFired
"""What an account's event stream carries; each starts with its cursor (sequence, event index) and time."""


def position_figures(position: PositionChanged | PositionUpdate, spec: Instrument) -> PositionFigures | None:
    """The figures of the position as ``position`` left it (None when flat)."""
    if position.basis is None:
        return None
    return figures(
        spec,
        position.mode,
        position.leverage,
        position.size,
        position.entry_notional,
        position.isolated_wallet,
        position.basis,
        position.position_side,
    )


def alert_fired(alert: Alert, price: Ticks, sequence: int, index: int, ts: int) -> AlertFired:
    """The event of an alert fired at ``price`` by the command ``sequence``, numbered ``index``."""
    return AlertFired(sequence, index, ts, copy(alert), price)


_NOTICES = (
    OrderRejected,
    FundingSettled,
    MarginCallIssued,
    LiquidationTriggered,
    PositionDeleveraged,
    SettingsChanged,
    AssetModeChanged,
)


class UserEventCapture:
    """Turns one engine event into (account id, ``UserEvent``) for the account it concerns, from the
    event, the order history as folded so far and the account's wallets as folded so far: never the
    engine, which may be ahead of the event."""

    def __init__(self, history: History, wallets: Wallets) -> None:
        self.history = history
        self.wallets = wallets
        self.silent_accounts: set[int] = set()
        """The exchange's own accounts (created not liquidatable: the liquidity provider, the taker
        flow): no key can read their events, so none are captured."""
        self._capturers: dict[type, Callable[[Any, int, int, int], tuple[int, UserEvent] | None]] = {
            OrderAccepted: self._order,
            OrderTriggered: self._order,
            OrderAmended: self._order,
            OrderFilled: self._order,
            OrderCanceled: self._order,
            OrderExpired: self._order,
            TrailingStopMoved: self._order,
            PositionChanged: self._position,
            BalanceChanged: self._balance,
            PositionLiquidated: self._position_liquidated,
            AccountCreated: self._account_created,
            **dict.fromkeys(_NOTICES, self._notice),
        }

    def capture(self, event: Event, sequence: int, index: int, ts: int) -> tuple[int, UserEvent] | None:
        """(account id, its ``UserEvent``) for an event an account should see, else None."""
        if getattr(event, "account_id", 0) in self.silent_accounts:
            return None
        capturer = self._capturers.get(type(event))
        return None if capturer is None else capturer(event, sequence, index, ts)

    def _order(self, e: Any, sequence: int, index: int, ts: int) -> tuple[int, UserEvent]:
        record = self.history.orders[e.order_id]
        kind = type(e)
        fill, trigger, kept = None, 0, False
        if kind is OrderFilled:
            fill = self.history.last_fill(e.account_id)
        elif kind is OrderTriggered:
            trigger = e.trigger_price
        elif kind is OrderAmended:
            kept = e.priority_kept
        return e.account_id, OrderUpdate(sequence, index, ts, kind, record, order_state(record), fill, trigger, kept)

    def _position(self, e: PositionChanged, sequence: int, index: int, ts: int) -> tuple[int, UserEvent]:
        values = (
            e.symbol,
            e.mode,
            e.leverage,
            e.size,
            e.entry_notional,
            e.isolated_wallet,
            e.mark_price,
            e.basis,
            e.position_side,
        )
        return e.account_id, PositionUpdate(sequence, index, ts, *values)

    def _balance(self, e: BalanceChanged, sequence: int, index: int, ts: int) -> tuple[int, UserEvent]:
        """The wallets read model has folded ``e`` already: its isolated total is the one right after it."""
        if e.asset != USDT:
            return e.account_id, BalanceUpdate(
                sequence, index, ts, e.reason, e.delta, e.wallet, "", 0, 0, 0, 0, e.asset
            )
        isolated = self.wallets.isolated(e.account_id)
        values = (e.reason, e.delta, e.wallet, e.symbol, e.isolated_delta, e.isolated_wallet, e.trade_id, isolated)
        return e.account_id, BalanceUpdate(sequence, index, ts, *values, position_side=e.position_side)

    def _notice(self, e: Any, sequence: int, index: int, ts: int) -> tuple[int, UserEvent]:
        return e.account_id, AccountNotice(sequence, index, ts, copy(e), None)  # a copy: events are not frozen

    def _position_liquidated(self, e: PositionLiquidated, sequence: int, index: int, ts: int) -> tuple[int, UserEvent]:
        record = self.history.orders[e.order_id]
        return e.account_id, AccountNotice(sequence, index, ts, copy(e), (record, order_state(record)))

    def _account_created(self, e: AccountCreated, sequence: int, index: int, ts: int) -> None:
        """The exchange's own accounts are the ones created not liquidatable: silent from here on."""
        if not e.liquidatable:
            self.silent_accounts.add(e.account_id)
