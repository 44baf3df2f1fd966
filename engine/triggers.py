"""Untriggered conditional orders of one instrument and the rule for when each fires.

Fixed stops sit in two sorted lists per trigger price (MARK or LAST): those that fire when the price
rises to their stop and those that fire when it falls to it, so a price move pops exactly the fired
ones in O(log n + k). Trailing stops ratchet an extreme price and are scanned on each move.
"""

from sortedcontainers import SortedList

from paperex.engine.orders import Order, OrderType, Side, TriggerBy
from paperex.engine.units import Ticks

_BPS = 10_000
_STOP_TYPES = frozenset({OrderType.STOP_MARKET, OrderType.STOP_LIMIT})


def fires_on_rise(order: Order) -> bool:
    """A buy stop and a sell take-profit fire when the price rises to the stop; the others on a fall."""
    return (order.order_type in _STOP_TYPES) == (order.side is Side.BUY)


def would_fire_now(order: Order, price: Ticks) -> bool:
    """Whether a stop would fire at once at ``price`` (a venue refuses such an order). A trailing
    stop counts as firing when its activation price is already reached (a sell's must lie above
    the price, a buy's below); one without activation price starts trailing at once, as intended."""
    if order.order_type is OrderType.TRAILING_STOP_MARKET:
        activation = order.activation_price
        if not activation:
            return False
        return activation <= price if order.side is Side.SELL else activation >= price
    return price >= order.stop_price if fires_on_rise(order) else price <= order.stop_price


def _ratchet(order: Order, low: Ticks, high: Ticks, last: Ticks) -> bool:
    """Move a trailing stop's extreme with the prices seen, and its ``stop_price`` with it (the price
    a callback away from the extreme, at the tick it fires: a sell's rounded down, a buy's up); True
    when ``last`` has reached it."""
    if order.side is Side.SELL:
        if not order.armed:
            if order.activation_price and high < order.activation_price:
                return False
            order.armed, order.extreme = True, high
        elif high > order.extreme:
            order.extreme = high
        order.stop_price = order.extreme * (_BPS - order.callback_bps) // _BPS
        return last <= order.stop_price
    if not order.armed:
        if order.activation_price and low > order.activation_price:
            return False
        order.armed, order.extreme = True, low
    elif low < order.extreme:
        order.extreme = low
    order.stop_price = -(-order.extreme * (_BPS + order.callback_bps) // _BPS)
    return last >= order.stop_price


class TriggerBook:
    """Conditional orders waiting for their price, per trigger source."""

    __slots__ = ("_falling", "_rising", "_trailing", "orders")

    def __init__(self) -> None:
        self._rising: dict[TriggerBy, SortedList[tuple[Ticks, int]]] = {s: SortedList() for s in TriggerBy}
        self._falling: dict[TriggerBy, SortedList[tuple[Ticks, int]]] = {s: SortedList() for s in TriggerBy}
        self._trailing: dict[TriggerBy, dict[int, Order]] = {source: {} for source in TriggerBy}
        self.orders: dict[int, Order] = {}

    def add(self, order: Order, reference: Ticks) -> None:
        """Start watching ``order``; a trailing stop without activation price arms at ``reference``."""
        self.orders[order.order_id] = order
        if order.order_type is OrderType.TRAILING_STOP_MARKET:
            if reference:
                _ratchet(order, reference, reference, reference)
            self._trailing[order.trigger_by][order.order_id] = order
        elif fires_on_rise(order):
            self._rising[order.trigger_by].add((order.stop_price, order.order_id))
        else:
            self._falling[order.trigger_by].add((order.stop_price, order.order_id))

    def remove(self, order: Order) -> None:
        del self.orders[order.order_id]
        if order.order_type is OrderType.TRAILING_STOP_MARKET:
            del self._trailing[order.trigger_by][order.order_id]
        elif fires_on_rise(order):
            self._rising[order.trigger_by].remove((order.stop_price, order.order_id))
        else:
            self._falling[order.trigger_by].remove((order.stop_price, order.order_id))

    def fire(self, source: TriggerBy, low: Ticks, high: Ticks, last: Ticks, moved: list[Order]) -> list[Order]:
        """Remove and return, oldest first, the orders that prices from ``low`` to ``high`` (ending at
        ``last``) fire; trailing stops whose trigger price moved without firing go to ``moved``."""
        fired: list[int] = []
        rising = self._rising[source]
        while rising and rising[0][0] <= high:
            fired.append(rising.pop(0)[1])
        falling = self._falling[source]
        while falling and falling[-1][0] >= low:
            fired.append(falling.pop()[1])
        trailing = self._trailing[source]
        if trailing:
            done = []
            for order_id, order in trailing.items():
                before = order.stop_price
                if _ratchet(order, low, high, last):
                    done.append(order_id)
                elif order.stop_price != before:
                    moved.append(order)
            for order_id in done:
                del trailing[order_id]
            fired.extend(done)
        fired.sort()
        return [self.orders.pop(order_id) for order_id in fired]
