"""The order commands: place (active or conditional), amend, cancel and cancel-all, each admitted by
its checks before anything changes, then accepted into ``OpenOrders`` and run by ``Execution``."""

from dataclasses import replace

from paperex.engine.accounts import ONE_WAY
from paperex.engine.commands import AmendOrder, CancelAllOrders, CancelOrder, PlaceOrder
from paperex.engine.events import DuplicatePlaceIgnored, OrderAmended, TrailingStopMoved
from paperex.engine.execution import Execution
from paperex.engine.market import Market
from paperex.engine.matching import crosses
from paperex.engine.open_orders import OpenOrders
from paperex.engine.orders import (
    BOTH,
    CONDITIONAL_TYPES,
    LIMIT_PRICED_TYPES,
    LONG,
    SELL,
    TRAILING_STOP_MARKET,
    Order,
    TimeInForce,
)
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.refusals import Refusal, count, quantity
from paperex.engine.risk import margin_check
from paperex.engine.state import EngineState
from paperex.engine.triggers import would_fire_now
from paperex.engine.units import Lots, Ticks
from paperex.engine.validation import check_new_order, check_position_side, check_price_and_size
from paperex.engine.views import band_reference

MAX_OPEN_ORDERS = 200
"""Open orders (resting or waiting for a trigger) per account and symbol: Binance's MAX_NUM_ORDERS."""

CANCELED_BY_USER = EndReason.CANCELED_BY_USER


class OrderCommands:
    """Handlers of the order commands over ``EngineState``."""

    def __init__(self, state: EngineState, open_orders: OpenOrders, execution: Execution) -> None:
        self.state = state
        self._open_orders = open_orders
        self._execution = execution

    def place(self, cmd: PlaceOrder) -> None:
        state = self.state
        market = state.markets.get(cmd.symbol)
        if market is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        account = state.accounts.get(cmd.account_id)
        if account is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if cmd.client_order_id and self._is_retry(cmd, (cmd.account_id, cmd.client_order_id)):
            return None
        refusal = check_new_order(cmd, market.instrument, band_reference(market), state.now)
        if refusal is None and (cmd.position_side is not BOTH or account.position_mode is not ONE_WAY):
            refusal = check_position_side(cmd, account.position_mode)
        if refusal is not None:
            return self.state.reject(cmd, refusal.reason, None, refusal.figures)
        open_orders = state.account_orders.get((cmd.account_id, cmd.symbol))
        if open_orders is not None and len(open_orders) >= MAX_OPEN_ORDERS:
            return self.state.reject(cmd, RejectReason.TOO_MANY_OPEN_ORDERS, None, (count("limit", MAX_OPEN_ORDERS),))
        if cmd.order_type in CONDITIONAL_TYPES:
            return self._place_conditional(market, cmd)
        order = self._new_order(cmd)
        if order.reduce_only and order.position_side is not BOTH:
            refusal = self._leg_close_check(order, order.quantity)
            if refusal is not None:
                return self.state.reject(cmd, refusal.reason, None, refusal.figures)
        reason = self._execution.precheck(market, order)
        if reason is not None:
            return self.state.reject(cmd, reason)
        refusal = margin_check(
            account, market, state.markets, order.side, order.quantity, order.price, order.reduce_only
        )
        if refusal is not None:
            return self.state.reject(cmd, refusal.reason, None, refusal.figures)
        self._open_orders.accept(order, cmd)
        self._execution.execute(market, order)
        return None

    def _leg_close_check(self, order: Order, remaining: Lots) -> Refusal | None:
        """A hedge order that closes a leg may take off at most what the leg holds beyond the other
        closing orders resting on it (the venue refuses the rest): checked for ``remaining`` lots when
        it is placed and when it is amended."""
        state = self.state
        closable = self._execution.closable(order)
        resting = state.reduce_only.get((order.account_id, order.symbol), {}).values()
        free = closable - sum(o.remaining for o in resting if o.side is order.side and o is not order)
        if remaining <= free:
            return None
        figures = (quantity("quantity", remaining), quantity("closable", max(0, free)))
        return Refusal(RejectReason.CLOSE_EXCEEDS_POSITION, figures)

    def _is_retry(self, cmd: PlaceOrder, client_key: tuple[int, str]) -> bool:
        """Handle a known client_order_id: an identical retry is answered with the original order,
        a different order under an open id is refused. Returns True when the command is handled."""
        state = self.state
        known = state.client_ids.get(client_key) or state.recent_client_ids.get(client_key)
        if known is None:
            return False
        order, original = known[0], known[1]
        if replace(cmd, ts=original.ts) == original:
            state.events.append(
                DuplicatePlaceIgnored(cmd.account_id, cmd.symbol, order.order_id, cmd.client_order_id, order.status)
            )
            return True
        if client_key in state.client_ids:
            self.state.reject(cmd, RejectReason.DUPLICATE_CLIENT_ORDER_ID)
            return True
        return False

    def _place_conditional(self, market: Market, cmd: PlaceOrder) -> None:
        reference = market.trigger_price(cmd.trigger_by)
        order = self._new_order(cmd)
        if cmd.reduce_only and not self._execution.closable(order):
            return self.state.reject(cmd, RejectReason.REDUCE_ONLY_WOULD_INCREASE)
        if reference and would_fire_now(order, reference):
            return self.state.reject(cmd, RejectReason.WOULD_IMMEDIATELY_TRIGGER)
        self._open_orders.accept(order, cmd)
        market.triggers.add(order, reference)
        if order.stop_price and order.order_type is TRAILING_STOP_MARKET:
            self.state.events.append(
                TrailingStopMoved(order.order_id, order.account_id, order.symbol, order.stop_price)
            )
        return None

    def _new_order(self, cmd: PlaceOrder) -> Order:
        """The order ``cmd`` places; a hedge order that closes its leg (SELL/LONG, BUY/SHORT) is
        reduce-only by nature: it needs no margin and is trimmed as the leg shrinks."""
        leg = cmd.position_side
        closing = leg is not BOTH and (leg is LONG) == (cmd.side is SELL)
        return Order(
            self.state.next_order_id,
            cmd.account_id,
            cmd.symbol,
            cmd.side,
            cmd.order_type,
            cmd.quantity,
            cmd.price,
            cmd.time_in_force,
            cmd.stp,
            cmd.reduce_only or cmd.close_position or closing,
            cmd.close_position,
            cmd.client_order_id,
            cmd.stop_price,
            cmd.trigger_by,
            cmd.callback_bps,
            cmd.activation_price,
            cmd.expire_at,
            False,
            leg,
        )

    def _locate(self, cmd: AmendOrder | CancelOrder) -> Order | None:
        state = self.state
        if cmd.order_id:
            order = state.orders.get(cmd.order_id)
        else:
            entry = state.client_ids.get((cmd.account_id, cmd.client_order_id))
            order = entry[0] if entry else None
        if order is None or order.account_id != cmd.account_id or order.symbol != cmd.symbol:
            return None
        return order

    def amend(self, cmd: AmendOrder) -> None:
        market = self.state.markets.get(cmd.symbol)
        if market is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        order = self._locate(cmd)
        if order is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_ORDER)
        if not order.triggered or order.order_type not in LIMIT_PRICED_TYPES:
            return self.state.reject(cmd, RejectReason.ORDER_NOT_AMENDABLE, order)
        quantity = cmd.quantity or order.quantity
        price = cmd.price or order.price
        if quantity == order.quantity and price == order.price:
            return self.state.reject(cmd, RejectReason.NOTHING_TO_AMEND, order)
        if cmd.quantity < 0 or cmd.price < 0:
            return self.state.reject(
                cmd, RejectReason.INVALID_QUANTITY if cmd.quantity < 0 else RejectReason.INVALID_PRICE
            )
        refusal = check_price_and_size(
            market.instrument, order.side, price, quantity, band_reference(market), order.reduce_only
        )
        if refusal is not None:
            return self.state.reject(cmd, refusal.reason, order, refusal.figures)
        # Binance's modify cancels (rather than refuses) in exactly these two cases.
        if quantity <= order.filled:
            self._open_orders.unrest(order)
            return self._open_orders.end(order, EndReason.AMENDED_TO_FILLED, expired=False)
        if order.time_in_force is TimeInForce.GTX and crosses(market.book, order.side, price):
            self._open_orders.unrest(order)
            return self._open_orders.end(order, EndReason.POST_ONLY_WOULD_TAKE, expired=False)
        if price == order.price and quantity < order.quantity:
            self._execution.resize(order, quantity, priority_kept=True)
            return None
        if order.reduce_only and order.position_side is not BOTH:
            close_refusal = self._leg_close_check(order, quantity - order.filled)
            if close_refusal is not None:
                return self.state.reject(cmd, close_refusal.reason, order, close_refusal.figures)
        margin_refusal = self._amend_margin_check(market, order, quantity, price)
        if margin_refusal is not None:
            return self.state.reject(cmd, margin_refusal.reason, order, margin_refusal.figures)
        self._open_orders.unrest(order)
        order.quantity, order.price = quantity, price
        self.state.events.append(OrderAmended(order.order_id, order.account_id, order.symbol, quantity, price, False))
        self._execution.execute(market, order)
        return None

    def _amend_margin_check(self, market: Market, order: Order, quantity: Lots, price: Ticks) -> Refusal | None:
        """Check the amended order as if it replaced the current one (whose reservation is set aside)."""
        if order.reduce_only:
            return None
        remaining = order.quantity - order.filled
        self._open_orders.expose(order, -remaining)
        try:
            state = self.state
            account = state.accounts[order.account_id]
            return margin_check(account, market, state.markets, order.side, quantity - order.filled, price)
        finally:
            self._open_orders.expose(order, remaining)

    def cancel(self, cmd: CancelOrder) -> None:
        if cmd.symbol not in self.state.markets:
            return self.state.reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        order = self._locate(cmd)
        if order is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_ORDER)
        self._open_orders.unrest(order)
        self._open_orders.end(order, CANCELED_BY_USER, expired=False)
        return None

    def cancel_all(self, cmd: CancelAllOrders) -> None:
        if cmd.symbol not in self.state.markets:
            return self.state.reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        self._open_orders.cancel_all(cmd.account_id, cmd.symbol, CANCELED_BY_USER)
        return None
