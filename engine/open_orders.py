"""The open orders' life cycle: accepted into the indexes, taken off the book or the trigger list,
ended (canceled or expired) and forgotten, expired when their GTD time comes; with each order's share
of its account's order exposure, and the retry window of finished orders' client ids."""

import heapq
from collections import OrderedDict

from paperex.engine.commands import PlaceOrder
from paperex.engine.events import OrderAccepted, OrderCanceled, OrderExpired
from paperex.engine.orders import CANCELED, EXPIRED, Order
from paperex.engine.reasons import EndReason
from paperex.engine.state import EXPIRIES_SWEPT_FROM, EngineState
from paperex.engine.units import Lots

RETRY_WINDOW_NS = 60 * 10**9
"""How long a finished order's client id still answers an identical retry (a timed-out request
retried later must not place twice); after that the id is free again, as on the venue. Time the
exchange was down does not count (``Resume``)."""


class OpenOrders:
    """Keeps ``EngineState``'s order indexes, order exposure and expiry heap in step with each order."""

    def __init__(self, state: EngineState) -> None:
        self.state = state

    def accept(self, order: Order, cmd: PlaceOrder | None, auto_deleverage: bool = False) -> None:
        """Index a new order under the next order id and emit its ``OrderAccepted``."""
        state = self.state
        state.next_order_id += 1
        state.orders[order.order_id] = order
        key = (order.account_id, order.symbol)
        orders = state.account_orders.get(key)
        if orders is None:
            orders = state.account_orders[key] = {}
        orders[order.order_id] = order
        if cmd is not None and order.client_order_id:
            state.client_ids[(order.account_id, order.client_order_id)] = (order, cmd)
        if order.expire_at:
            heapq.heappush(state.expiries, (order.expire_at, order.order_id))
            if len(state.expiries) > state.expiries_limit:
                self._sweep_expiries()
        state.events.append(
            OrderAccepted(
                order.order_id,
                order.account_id,
                order.symbol,
                order.side,
                order.order_type,
                order.quantity,
                order.price,
                order.time_in_force,
                order.stop_price,
                order.trigger_by,
                order.reduce_only,
                order.close_position,
                order.client_order_id,
                order.stp,
                order.callback_bps,
                order.activation_price,
                order.expire_at,
                order.liquidation,
                auto_deleverage,
                order.position_side,
            )
        )

    def expose(self, order: Order, lots: Lots) -> None:
        """Count ``lots`` more (or fewer, when negative) of a resting order in its account's exposure."""
        state = self.state
        market = state.markets[order.symbol]
        state.accounts[order.account_id].exposure(order.symbol).change(
            order.side, lots, lots * order.price * market.notional_unit
        )

    def unrest(self, order: Order) -> None:
        """Take an open order off the book or the trigger list (not yet marked finished)."""
        market = self.state.markets[order.symbol]
        if not order.triggered:
            market.triggers.remove(order)
            return
        market.dirty[market.book.remove(order)] = None
        if order.reduce_only:
            self.drop_reduce_only(order)
        else:
            self.expose(order, order.filled - order.quantity)

    def end(self, order: Order, reason: EndReason, expired: bool) -> None:
        """Finish an open order that is no longer resting or waiting."""
        remaining = order.quantity - order.filled
        if expired:
            order.status = EXPIRED
            self.state.events.append(OrderExpired(order.order_id, order.account_id, order.symbol, remaining, reason))
        else:
            order.status = CANCELED
            self.state.events.append(OrderCanceled(order.order_id, order.account_id, order.symbol, remaining, reason))
        self.forget(order)

    def cancel_all(self, account_id: int, symbol: str, reason: EndReason) -> None:
        """Cancel every open order (resting or waiting) of one account in one symbol, oldest first."""
        for order in list(self.state.account_orders.get((account_id, symbol), {}).values()):
            self.unrest(order)
            self.end(order, reason, expired=False)

    def forget(self, order: Order) -> None:
        """Drop a finished order from every index; remember its client id for late retries."""
        state = self.state
        order_id = order.order_id
        if state.orders.pop(order_id, None) is None:
            return
        key = (order.account_id, order.symbol)
        orders = state.account_orders[key]
        del orders[order_id]
        if not orders:
            del state.account_orders[key]
        if order.reduce_only:
            self.drop_reduce_only(order)
        if order.client_order_id:
            client_key = (order.account_id, order.client_order_id)
            order_, request = state.client_ids.pop(client_key)
            state.recent_client_ids.pop(client_key, None)  # re-inserted at the back: newest last
            state.recent_client_ids[client_key] = (order_, request, state.now)

    def drop_reduce_only(self, order: Order) -> None:
        reduce_only = self.state.reduce_only
        key = (order.account_id, order.symbol)
        resting = reduce_only.get(key)
        if resting is not None and resting.pop(order.order_id, None) is not None and not resting:
            del reduce_only[key]

    def discount_downtime(self, downtime: int) -> None:
        """Shift every finished order's retry window by ``downtime``, as if it had finished that much later."""
        state = self.state
        state.recent_client_ids = OrderedDict(
            (key, (order, request, finished + downtime))
            for key, (order, request, finished) in state.recent_client_ids.items()
        )

    def prune_recent_client_ids(self) -> None:
        """Free the client ids of orders that finished longer than the retry window ago."""
        recent, horizon = self.state.recent_client_ids, self.state.now - RETRY_WINDOW_NS
        while recent and next(iter(recent.values()))[2] < horizon:
            recent.popitem(last=False)

    def expire_due(self) -> None:
        """End every GTD order whose expiry time has come."""
        state = self.state
        expiries, now = state.expiries, state.now
        while expiries and expiries[0][0] <= now:
            expire_at, order_id = heapq.heappop(expiries)
            order = state.orders.get(order_id)
            if order is not None and order.expire_at == expire_at:
                self.unrest(order)
                self.end(order, EndReason.GTD_EXPIRED, expired=True)

    def _sweep_expiries(self) -> None:
        """Keep only the entries of orders still open with that expiry. A cancelled or filled GTD
        order's entry would otherwise stay until its time comes, however far ahead that is."""
        state = self.state
        live = [
            (expire_at, order_id)
            for expire_at, order_id in state.expiries
            if (order := state.orders.get(order_id)) is not None and order.expire_at == expire_at
        ]
        heapq.heapify(live)
        state.expiries = live
        state.expiries_limit = max(EXPIRIES_SWEPT_FROM, 2 * len(live))
