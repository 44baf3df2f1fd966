"""Liquidation records per account (ListLiquidations): "why was I liquidated" as one answer.

A liquidation happens inside one command, as a run of events: ``LiquidationTriggered``, the orders it
canceled, its liquidation orders and their fills (auto-deleveraged ones included), then one
``PositionLiquidated`` per position. The margin calls of the same scope (the cross account, or one
isolated position: in hedge mode one isolated leg) since its previous liquidation are the timeline that
led there. The record keeps
the engine's values and the order history's records, rendered only when asked; it is rebuilt exactly
by replaying the journal, so it is part of the snapshot.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paperex.engine.accounts import MarginMode
from paperex.engine.events import (
    Event,
    LiquidationTriggered,
    MarginCallIssued,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    PositionLiquidated,
)
from paperex.engine.orders import BOTH, PositionSide
from paperex.engine.reasons import EndReason
from paperex.engine.units import Amount
from paperex.server.state.history import FillRecord, History, OrderRecord

RETAINED_PER_ACCOUNT = 1_000
"""Liquidations kept per account; the oldest go first."""
CALLS_PER_SCOPE = 16
"""Margin calls kept per scope while no liquidation comes: the newest ones tell the story."""

Scope = tuple[int, MarginMode, str, PositionSide]
"""(account id, margin mode, symbol, leg): the cross account (symbol empty, leg BOTH) or one isolated
position (a hedge leg LONG or SHORT, else BOTH)."""


@dataclass(slots=True)
class LiquidationRecord:
    """One liquidation of an account, as its events told it."""

    liquidation_id: int
    time: int
    mode: MarginMode
    symbol: str
    """The isolated position's symbol; empty for the cross account."""
    margin_balance: Amount
    maintenance_margin: Amount
    margin_calls: list[tuple[int, MarginCallIssued]]
    """(time, margin call), oldest first."""
    canceled: list[OrderRecord] = field(default_factory=list)
    orders: list[OrderRecord] = field(default_factory=list)
    fills: list[FillRecord] = field(default_factory=list)
    positions: list[PositionLiquidated] = field(default_factory=list)
    position_side: PositionSide = BOTH
    """The isolated hedge leg liquidated (BOTH: a one-way position, or the cross account)."""

    @property
    def insurance_fund_change(self) -> Amount:
        return sum(position.insurance_fund_change for position in self.positions)

    @property
    def realized_pnl(self) -> Amount:
        return sum(position.realized_pnl for position in self.positions)

    def concerns(self, symbol: str) -> bool:
        """An isolated liquidation concerns its symbol; a cross one every symbol it closed."""
        return self.symbol == symbol or any(position.symbol == symbol for position in self.positions)


class LiquidationRecords:
    """Every account's liquidations, newest last, with the margin calls still waiting for one."""

    def __init__(self, history: History) -> None:
        """``history``: the order history, folded before this (it holds the records to keep)."""
        self.history = history
        self._accounts: dict[int, deque[LiquidationRecord]] = {}
        self._last_id: dict[int, int] = {}
        self._pending_calls: dict[Scope, deque[tuple[int, MarginCallIssued]]] = {}
        self._open: LiquidationRecord | None = None
        """The liquidation being told: its events follow each other within one command."""
        self._open_account = 0
        self._open_sequence = 0

    def fold(self, event: Event, sequence: int, ts: int) -> None:
        """Fold one event of command ``sequence`` in (kinds a liquidation does not tell are ignored)."""
        folder = FOLDERS.get(type(event))
        if folder is not None:
            folder(self, event, sequence, ts)

    def _margin_call(self, e: MarginCallIssued, sequence: int, ts: int) -> None:
        scope = (e.account_id, e.mode, e.symbol, e.position_side)
        calls = self._pending_calls.get(scope)
        if calls is None:
            calls = self._pending_calls[scope] = deque(maxlen=CALLS_PER_SCOPE)
        calls.append((ts, e))

    def _trigger(self, e: LiquidationTriggered, sequence: int, ts: int) -> None:
        account_id = e.account_id
        liquidation_id = self._last_id[account_id] = self._last_id.get(account_id, 0) + 1
        calls = self._pending_calls.pop((account_id, e.mode, e.symbol, e.position_side), ())
        record = LiquidationRecord(
            liquidation_id,
            ts,
            e.mode,
            e.symbol,
            e.margin_balance,
            e.maintenance_margin,
            list(calls),
            position_side=e.position_side,
        )
        records = self._accounts.get(account_id)
        if records is None:
            records = self._accounts[account_id] = deque(maxlen=RETAINED_PER_ACCOUNT)
        records.append(record)
        self._open, self._open_account, self._open_sequence = record, account_id, sequence

    def _step(
        self, e: OrderCanceled | OrderAccepted | OrderFilled | PositionLiquidated, sequence: int, ts: int
    ) -> None:
        """An event of the open liquidation's account in its command. Its steps come in order (cancels,
        orders and fills, then the positions), so anything after a position is no longer part of it."""
        record = self._open
        if record is None or e.account_id != self._open_account or sequence != self._open_sequence:
            return
        if type(e) is PositionLiquidated:
            record.positions.append(e)
        elif record.positions:
            self._open = None
        elif type(e) is OrderCanceled:
            if e.reason is EndReason.LIQUIDATION:
                record.canceled.append(self.history.orders[e.order_id])
        elif type(e) is OrderAccepted:
            if e.liquidation:
                record.orders.append(self.history.orders[e.order_id])
        elif any(order.order_id == e.order_id for order in record.orders):
            record.fills.append(self.history.last_fill(e.account_id))

    # ------------------------------------------------------------------ queries

    def page(self, account_id: int, symbol: str, before_id: int, size: int) -> tuple[list[LiquidationRecord], int]:
        """Newest first: up to ``size`` liquidations with id < ``before_id`` (0: no bound) concerning
        ``symbol`` (empty: any), and the id to continue below (0 when no further one matches)."""
        page: list[LiquidationRecord] = []
        for record in reversed(self._accounts.get(account_id, ())):
            if before_id and record.liquidation_id >= before_id:
                continue
            if not symbol or record.concerns(symbol):
                if len(page) == size:
                    return page, page[-1].liquidation_id
                page.append(record)
        return page, 0


FOLDERS: dict[type, Callable[[LiquidationRecords, Any, int, int], None]] = {
    MarginCallIssued: LiquidationRecords._margin_call,
    LiquidationTriggered: LiquidationRecords._trigger,
    OrderCanceled: LiquidationRecords._step,
    OrderAccepted: LiquidationRecords._step,
    OrderFilled: LiquidationRecords._step,
    PositionLiquidated: LiquidationRecords._step,
}
"""Event type -> the method folding it (event, command sequence, time); the results stage calls it."""
