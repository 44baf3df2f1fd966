"""One instrument's limit order book: price levels in a SortedDict, a FIFO per level, an id index.

No policy lives here (no matching rules, no events): only the structure and its invariants.
Both sides use one code path: a level's key is ``price * key_sign`` (asks +1, bids -1), so the best
level of either side is the smallest key. Costs: add O(log n) for a new level else O(1); cancel O(1)
plus O(log n) when its level empties; best level O(1).
"""

from collections.abc import Iterator
from typing import NamedTuple

from sortedcontainers import SortedDict

from paperex.engine.native import Reduced, reduced
from paperex.engine.orders import BUY, Order, Side
from paperex.engine.units import Lots, Ticks


class Level:
    """The orders resting at one price, oldest first, with their total remaining quantity."""

    __slots__ = ("count", "head", "price", "quantity", "side", "tail")

    def __init__(self, side: Side, price: Ticks) -> None:
        self.side = side
        self.price = price
        self.quantity: Lots = 0
        self.count = 0
        self.head: Order | None = None
        self.tail: Order | None = None

    def __reduce__(self) -> Reduced:
        return reduced(self, self.side, self.price)

    def orders(self) -> Iterator[Order]:
        order = self.head
        while order is not None:
            yield order
            order = order.next


class DepthLevel(NamedTuple):
    price: Ticks
    quantity: Lots
    orders: int


class BookSide:
    """The levels of one side, best first (smallest key); ``best_key`` caches the smallest key so the
    hot path reads the touch without a search."""

    __slots__ = ("best_key", "key_sign", "levels", "side")

    def __init__(self, side: Side) -> None:
        self.side = side
        self.key_sign = -1 if side is Side.BUY else 1
        self.levels: SortedDict[int, Level] = SortedDict()
        self.best_key: int | None = None

    def __reduce__(self) -> Reduced:
        return reduced(self, self.side)

    def best(self) -> Level | None:
        key = self.best_key
        return None if key is None else self.levels[key]

    def __iter__(self) -> Iterator[Level]:
        return iter(self.levels.values())


class OrderBook:
    """Resting orders of one instrument with price-time priority."""

    __slots__ = ("asks", "bids", "orders", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids = BookSide(Side.BUY)
        self.asks = BookSide(Side.SELL)
        self.orders: dict[int, Order] = {}

    def __reduce__(self) -> Reduced:
        return reduced(self, self.symbol)

    def side(self, side: Side) -> BookSide:
        return self.bids if side is BUY else self.asks

    def add(self, order: Order) -> Level:
        """Append ``order`` at the back of its price level; returns the level."""
        book_side = self.bids if order.side is BUY else self.asks
        key = order.price * book_side.key_sign
        level = book_side.levels.get(key)
        if level is None:
            level = book_side.levels[key] = Level(order.side, order.price)
            best_key = book_side.best_key
            if best_key is None or key < best_key:
                book_side.best_key = key
        tail = level.tail
        order.prev = tail
        order.next = None
        if tail is None:
            level.head = order
        else:
            tail.next = order
        level.tail = order
        level.quantity += order.quantity - order.filled
        level.count += 1
        self.orders[order.order_id] = order
        return level

    def remove(self, order: Order) -> Level:
        """Unlink ``order`` (whatever its remaining quantity) and drop its level if it empties; returns
        the level (an emptied one still reads quantity 0 and count 0)."""
        book_side = self.bids if order.side is BUY else self.asks
        key = order.price * book_side.key_sign
        level = book_side.levels[key]
        prev, nxt = order.prev, order.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
        order.prev = order.next = None
        level.quantity -= order.quantity - order.filled
        level.count -= 1
        if level.count == 0:
            levels = book_side.levels
            del levels[key]
            if key == book_side.best_key:
                book_side.best_key = levels.keys()[0] if levels else None
        del self.orders[order.order_id]
        return level

    def shrink(self, order: Order, lots: Lots) -> Level:
        """Account for ``lots`` leaving a resting order in place (a size decrease); returns the level."""
        book_side = self.bids if order.side is BUY else self.asks
        level = book_side.levels[order.price * book_side.key_sign]
        level.quantity -= lots
        return level

    def best_price(self, side: Side) -> Ticks | None:
        level = self.side(side).best()
        return None if level is None else level.price

    def depth(self, side: Side, limit: int) -> list[DepthLevel]:
        """Top ``limit`` aggregated levels of one side (L2), best first."""
        levels = self.side(side).levels
        return [DepthLevel(level.price, level.quantity, level.count) for level in levels.values()[:limit]]

    def level_quantity(self, side: Side, price: Ticks) -> Lots:
        book_side = self.side(side)
        level = book_side.levels.get(price * book_side.key_sign)
        return 0 if level is None else level.quantity

    def check(self) -> None:
        """Raise AssertionError unless the structure is consistent and the book is not crossed."""
        seen = 0
        for book_side in (self.bids, self.asks):
            for key, level in book_side.levels.items():
                assert key == level.price * book_side.key_sign
                orders = list(level.orders())
                assert orders, "empty level kept"
                assert level.count == len(orders)
                assert level.quantity == sum(o.remaining for o in orders)
                previous = None
                for order in orders:
                    assert order.prev is previous
                    assert order.side is book_side.side and order.price == level.price
                    assert order.remaining > 0
                    assert self.orders.get(order.order_id) is order
                    previous = order
                assert level.tail is previous
                seen += len(orders)
        assert seen == len(self.orders)
        for book_side in (self.bids, self.asks):
            levels = book_side.levels
            assert book_side.best_key == (levels.keys()[0] if levels else None), "stale best key"
        bid, ask = self.best_price(Side.BUY), self.best_price(Side.SELL)
        assert bid is None or ask is None or bid < ask, f"crossed book {bid} >= {ask}"
