"""Order and fill history per account, projected from engine events.

The engine keeps only live orders; bots also ask for finished ones (GetOrder, ListOrders) and for
their own fills (ListTrades), with the average fill price, times and end reason that venues show.
This projection is rebuilt exactly by replaying the journal, so it is part of the snapshot.
"""

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paperex.engine.events import (
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderTriggered,
    TrailingStopMoved,
)
from paperex.engine.orders import (
    BOTH,
    CONDITIONAL_TYPES,
    FINAL_STATUSES,
    OrderStatus,
    OrderType,
    PositionSide,
    SelfTradePrevention,
    Side,
    TimeInForce,
    TriggerBy,
)
from paperex.engine.reasons import EndReason
from paperex.engine.units import Amount, Lots, Ticks

RETAINED_PER_ACCOUNT = 20_000
"""Orders (and, separately, fills) kept per account by default; the oldest finished ones go first.

An account's list is cut back to the retention once it is a tenth over it. The retention is fixed
per journal (``paperex serve --history-retention``, recorded by ``paperex.server.grpc_api.app``): trimming is part of
the state a replay rebuilds, and a snapshot carries it."""
MIN_RETAINED = 1_000
"""The least retention allowed: below it, a busy bot's newest orders and fills would leave the history
before it could look them up."""


def checked_retention(retained: int) -> int:
    """``retained`` when it is an allowed retention, else ValueError."""
    if retained < MIN_RETAINED:
        raise ValueError(f"the history retention is at least {MIN_RETAINED:,} orders and fills, not {retained:,}")
    return retained


@dataclass(slots=True)
class OrderRecord:
    """One order as the account sees it, open or finished."""

    order_id: int
    account_id: int
    symbol: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    price: Ticks
    quantity: Lots
    stop_price: Ticks
    trigger_by: TriggerBy
    reduce_only: bool
    close_position: bool
    client_order_id: str
    stp: SelfTradePrevention
    callback_bps: int
    activation_price: Ticks
    expire_at: int
    liquidation: bool
    auto_deleverage: bool
    created: int
    updated: int
    triggered: bool
    status: OrderStatus = OrderStatus.NEW
    filled: Lots = 0
    fill_cost: int = 0
    """Sum of price x lots over the fills, for the average price."""
    end_reason: EndReason | None = None
    position_side: PositionSide = BOTH

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(slots=True, frozen=True)
class FillRecord:
    """One side of one trade, as its owner sees it."""

    trade_id: int
    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    price: Ticks
    quantity: Lots
    is_maker: bool
    fee: Amount
    realized_pnl: Amount
    liquidation: bool
    auto_deleverage: bool
    time: int
    position_side: PositionSide = BOTH
    """The hedge leg the fill traded (its order's; BOTH in one-way mode)."""


OrderState = tuple[OrderStatus, Lots, int, Lots, Ticks, int, bool, EndReason | None, Ticks]
"""What of an order changes after it is accepted: status, filled, fill cost, quantity, price, update
time, triggered, end reason, and the stop price (which a trailing stop moves)."""

OrderSnapshot = tuple[OrderRecord, OrderState]
"""An order as it was at one moment: the record (whose other fields never change) and its state then."""


def order_state(record: OrderRecord) -> OrderState:
    """The order's changing part now, to render later exactly as it is at this moment."""
    return (
        record.status,
        record.filled,
        record.fill_cost,
        record.quantity,
        record.price,
        record.updated,
        record.triggered,
        record.end_reason,
        record.stop_price,
    )


def fill_record(e: OrderFilled, order: OrderRecord, ts: int) -> FillRecord:
    """The owner's record of one fill: the event, plus what never changes of its order."""
    return FillRecord(
        e.trade_id,
        e.order_id,
        order.client_order_id,
        e.symbol,
        e.side,
        e.price,
        e.quantity,
        e.is_maker,
        e.fee,
        e.realized_pnl,
        order.liquidation,
        e.auto_deleverage,
        ts,
        order.position_side,
    )


@dataclass(slots=True)
class _AccountHistory:
    order_ids: list[int] = field(default_factory=list)
    fills: list[FillRecord] = field(default_factory=list)


class History:
    """Every account's orders and fills, newest last, with lookups by id and client id."""

    def __init__(self, retained: int = RETAINED_PER_ACCOUNT) -> None:
        self.retained = checked_retention(retained)
        self.orders: dict[int, OrderRecord] = {}
        self._accounts: dict[int, _AccountHistory] = {}
        self._by_client_id: dict[tuple[int, str], int] = {}
        self._open: dict[tuple[int, str], dict[int, OrderRecord]] = {}
        """The open orders of each (account, symbol), in the order accepted (by id)."""

    def _amend(self, e: OrderAmended, sequence: int, ts: int) -> None:
        record = self.orders[e.order_id]
        record.quantity, record.price, record.updated = e.quantity, e.price, ts

    def _trigger(self, e: OrderTriggered, sequence: int, ts: int) -> None:
        record = self.orders[e.order_id]
        record.triggered, record.quantity, record.updated = True, e.quantity, ts

    def _trail(self, e: TrailingStopMoved, sequence: int, ts: int) -> None:
        record = self.orders[e.order_id]
        record.stop_price, record.updated = e.stop_price, ts

    def last_fill(self, account_id: int) -> FillRecord:
        return self._accounts[account_id].fills[-1]

    def _account(self, account_id: int) -> _AccountHistory:
        history = self._accounts.get(account_id)
        if history is None:
            history = self._accounts[account_id] = _AccountHistory()
        return history

    def _accept(self, e: OrderAccepted, sequence: int, ts: int) -> None:
        record = self.orders[e.order_id] = OrderRecord(
            e.order_id,
            e.account_id,
            e.symbol,
            e.side,
            e.order_type,
            e.time_in_force,
            e.price,
            e.quantity,
            e.stop_price,
            e.trigger_by,
            e.reduce_only,
            e.close_position,
            e.client_order_id,
            e.stp,
            e.callback_bps,
            e.activation_price,
            e.expire_at,
            e.liquidation,
            e.auto_deleverage,
            ts,
            ts,
            e.order_type not in CONDITIONAL_TYPES,
            position_side=e.position_side,
        )
        key = (e.account_id, e.symbol)
        open_orders = self._open.get(key)
        if open_orders is None:
            open_orders = self._open[key] = {}
        open_orders[e.order_id] = record
        history = self._account(e.account_id)
        history.order_ids.append(e.order_id)
        if e.client_order_id:
            self._by_client_id[(e.account_id, e.client_order_id)] = e.order_id
        if len(history.order_ids) > self.retained * 11 // 10:
            self._trim_orders(history)

    def _fill(self, e: OrderFilled, sequence: int, ts: int) -> None:
        record = self.orders[e.order_id]
        record.filled, record.status, record.updated = e.filled, e.status, ts
        record.fill_cost += e.price * e.quantity
        if e.status in FINAL_STATUSES:
            self._close(record)
        history = self._account(e.account_id)
        history.fills.append(fill_record(e, record, ts))
        if len(history.fills) > self.retained * 11 // 10:
            del history.fills[: len(history.fills) - self.retained]

    def _end(self, e: OrderCanceled | OrderExpired, sequence: int, ts: int) -> None:
        record = self.orders[e.order_id]
        record.status = OrderStatus.CANCELED if type(e) is OrderCanceled else OrderStatus.EXPIRED
        record.end_reason, record.updated = e.reason, ts
        self._close(record)

    def _close(self, record: OrderRecord) -> None:
        """A finished order leaves the open ones."""
        key = (record.account_id, record.symbol)
        orders = self._open[key]
        del orders[record.order_id]
        if not orders:
            del self._open[key]

    def _trim_orders(self, history: _AccountHistory) -> None:
        """Forget the oldest finished orders beyond the retention (open ones always stay)."""
        excess = len(history.order_ids) - self.retained
        kept = []
        for order_id in history.order_ids:
            record = self.orders[order_id]
            if excess > 0 and record.finished:
                excess -= 1
                del self.orders[order_id]
                key = (record.account_id, record.client_order_id)
                if self._by_client_id.get(key) == order_id:
                    del self._by_client_id[key]
            else:
                kept.append(order_id)
        history.order_ids = kept

    # ------------------------------------------------------------------ queries

    def open_orders(self, account_id: int, symbol: str) -> list[OrderRecord]:
        """The account's open orders on ``symbol`` (resting or waiting for their trigger), oldest first."""
        return list(self._open.get((account_id, symbol), {}).values())

    def order(self, account_id: int, order_id: int = 0, client_order_id: str = "") -> OrderRecord | None:
        """One of the account's orders by id, or the newest carrying ``client_order_id``."""
        if not order_id:
            order_id = self._by_client_id.get((account_id, client_order_id), 0)
        record = self.orders.get(order_id)
        return record if record is not None and record.account_id == account_id else None

    def orders_page(
        self, account_id: int, symbol: str, start: int, end: int, before_id: int, size: int
    ) -> list[OrderRecord]:
        """Newest first: orders with id < ``before_id`` (0: no bound) created in [start, end)."""
        ids = self._account(account_id).order_ids
        stop = bisect_left(ids, before_id) if before_id else len(ids)
        page: list[OrderRecord] = []
        for index in range(stop - 1, -1, -1):
            record = self.orders[ids[index]]
            if record.created < start:
                break
            if record.created < end and (not symbol or record.symbol == symbol):
                page.append(record)
                if len(page) == size:
                    break
        return page

    def fills_page(
        self, account_id: int, symbol: str, order_id: int, start: int, end: int, before_trade: int, size: int
    ) -> list[FillRecord]:
        """Newest first: fills with trade id < ``before_trade`` (0: no bound) in [start, end)."""
        fills = self._account(account_id).fills
        stop = len(fills)
        if before_trade:
            stop = bisect_left(fills, before_trade, key=lambda fill: fill.trade_id)
        page: list[FillRecord] = []
        for index in range(stop - 1, -1, -1):
            fill = fills[index]
            if fill.time < start:
                break
            wanted = (not symbol or fill.symbol == symbol) and (not order_id or fill.order_id == order_id)
            if fill.time < end and wanted:
                page.append(fill)
                if len(page) == size:
                    break
        return page


FOLDERS: dict[type, Callable[[History, Any, int, int], None]] = {
    OrderAccepted: History._accept,
    OrderFilled: History._fill,
    OrderCanceled: History._end,
    OrderExpired: History._end,
    OrderAmended: History._amend,
    OrderTriggered: History._trigger,
    TrailingStopMoved: History._trail,
}
"""Event type -> the method folding it (event, command sequence, time); the results stage calls it."""
