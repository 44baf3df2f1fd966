"""Running conditional orders (stops, take-profits, trailing stops): after prices move, fire what the
move reached, oldest first, and turn each fired order into a live one (which may trade, move the last
price and fire more). Which orders a move fires is ``paperex.engine.triggers``' ``TriggerBook``."""

from paperex.engine.events import OrderTriggered, TrailingStopMoved
from paperex.engine.execution import Execution
from paperex.engine.market import Market
from paperex.engine.open_orders import OpenOrders
from paperex.engine.orders import LIMIT_PRICED_TYPES, Order, TriggerBy
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.risk import margin_check
from paperex.engine.state import EngineState
from paperex.engine.units import Ticks


class TriggerRunner:
    """Fires and activates conditional orders over ``EngineState``."""

    def __init__(self, state: EngineState, open_orders: OpenOrders, execution: Execution) -> None:
        self.state = state
        self._open_orders = open_orders
        self._execution = execution

    def run(self, market: Market) -> None:
        """Fire conditional orders until prices stop moving them (a fired order may trade and move LAST).

        The trades of a walk are summarised by their lowest and highest price: a stop between the two
        was crossed even if the walk ended beyond it."""
        triggers = market.triggers
        if not triggers.orders:
            market.trade_low = market.trade_high = 0
            market.mark_moved = False
            return
        while market.trade_low or market.mark_moved:
            fired: list[tuple[Order, Ticks]] = []
            moved: list[Order] = []
            if market.mark_moved:
                market.mark_moved = False
                mark = market.mark_price
                fired += [(o, mark) for o in triggers.fire(TriggerBy.MARK, mark, mark, mark, moved)]
            if market.trade_low:
                low, high, last = market.trade_low, market.trade_high, market.last_price
                market.trade_low = market.trade_high = 0
                fired += [(o, last) for o in triggers.fire(TriggerBy.LAST, low, high, last, moved)]
            for order in moved:
                self.state.events.append(
                    TrailingStopMoved(order.order_id, order.account_id, order.symbol, order.stop_price)
                )
            fired.sort(key=lambda pair: pair[0].order_id)
            for order, price in fired:
                if order.order_id in self.state.orders:
                    self._activate(market, order, price)

    def _activate(self, market: Market, order: Order, trigger_price: Ticks) -> None:
        """A fired conditional order becomes a live market or limit order."""
        order.triggered = True
        if order.close_position:
            order.quantity = self._execution.closable(order)
        self.state.events.append(
            OrderTriggered(order.order_id, order.account_id, order.symbol, trigger_price, order.quantity)
        )
        if order.reduce_only and not self._execution.closable(order):
            return self._open_orders.end(order, EndReason.REDUCE_ONLY, expired=True)
        reason = self._execution.precheck(market, order)
        if reason is RejectReason.POST_ONLY_WOULD_TAKE:
            return self._open_orders.end(order, EndReason.POST_ONLY_WOULD_TAKE, expired=True)
        if reason is RejectReason.FOK_NOT_FILLABLE:
            return self._open_orders.end(order, EndReason.FOK_NOT_FILLABLE, expired=True)
        state = self.state
        account = state.accounts[order.account_id]
        price = order.price if order.order_type in LIMIT_PRICED_TYPES else 0
        if margin_check(account, market, state.markets, order.side, order.quantity, price, order.reduce_only):
            return self._open_orders.end(order, EndReason.INSUFFICIENT_MARGIN, expired=True)
        self._execution.execute(market, order)
        return None
