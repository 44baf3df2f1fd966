"""paperex.engine.book.OrderBook on its own: structure, price-time order, aggregation and ``check()``.

The book holds no policy, so these tests drive it the way the engine does: ``add`` to rest, ``shrink``
plus a change to the order's ``filled`` (a fill) or ``quantity`` (a size decrease), ``remove`` to take
an order off. Prices are small tick counts so the expected figures are easy to add up by hand.
"""

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from paperex.engine.book import DepthLevel, Level, OrderBook
from paperex.engine.orders import Order, OrderType, SelfTradePrevention, Side, TimeInForce

SYMBOL = "BTCUSDT"


def make(order_id: int, side: Side, price: int, quantity: int, account_id: int = 1) -> Order:
    return Order(
        order_id,
        account_id,
        SYMBOL,
        side,
        OrderType.LIMIT,
        quantity,
        price,
        TimeInForce.GTC,
        SelfTradePrevention.EXPIRE_TAKER,
    )


def book_with(*orders: Order) -> OrderBook:
    book = OrderBook(SYMBOL)
    for order in orders:
        book.add(order)
    book.check()
    return book


def ids_at(book: OrderBook, side: Side, price: int) -> list[int]:
    for level in book.side(side):
        if level.price == price:
            return [order.order_id for order in level.orders()]
    return []


def fill(book: OrderBook, order: Order, lots: int) -> None:
    """A partial fill as the engine settles it: the level first, then the order."""
    book.shrink(order, lots)
    order.filled += lots


# ---------------------------------------------------------------------- add, remove, shrink


def test_empty_book() -> None:
    book = book_with()
    assert book.best_price(Side.BUY) is None and book.best_price(Side.SELL) is None
    assert book.depth(Side.BUY, 5) == [] and book.depth(Side.SELL, 5) == []
    assert book.orders == {}


def test_add_rests_the_order() -> None:
    order = make(1, Side.BUY, 100, 5)
    book = book_with(order)
    assert book.orders == {1: order}
    assert book.best_price(Side.BUY) == 100
    assert book.best_price(Side.SELL) is None
    assert book.level_quantity(Side.BUY, 100) == 5
    assert book.level_quantity(Side.SELL, 100) == 0  # the same price on the other side is another level
    assert book.depth(Side.BUY, 5) == [DepthLevel(100, 5, 1)]


def test_fifo_within_a_level() -> None:
    first, second, third = make(1, Side.SELL, 101, 2), make(2, Side.SELL, 101, 3), make(3, Side.SELL, 101, 4)
    book = book_with(first, second, third)
    assert ids_at(book, Side.SELL, 101) == [1, 2, 3]
    level = book.asks.best()
    assert level is not None and level.head is first and level.tail is third
    assert (level.quantity, level.count) == (9, 3)  # 2 + 3 + 4


@pytest.mark.parametrize(
    ("removed", "left", "quantity"),
    [
        (1, [2, 3], 7),  # head: 3 + 4
        (2, [1, 3], 6),  # middle: 2 + 4
        (3, [1, 2], 5),  # tail: 2 + 3
    ],
)
def test_remove_keeps_the_others_in_order(removed: int, left: list[int], quantity: int) -> None:
    orders = {1: make(1, Side.SELL, 101, 2), 2: make(2, Side.SELL, 101, 3), 3: make(3, Side.SELL, 101, 4)}
    book = book_with(*orders.values())
    book.remove(orders[removed])
    book.check()
    assert ids_at(book, Side.SELL, 101) == left
    assert book.level_quantity(Side.SELL, 101) == quantity
    assert removed not in book.orders
    assert orders[removed].prev is None and orders[removed].next is None


def test_readding_goes_to_the_back() -> None:
    orders = [make(i, Side.BUY, 99, 1) for i in (1, 2, 3)]
    book = book_with(*orders)
    book.remove(orders[0])
    book.add(orders[0])
    book.check()
    assert ids_at(book, Side.BUY, 99) == [2, 3, 1]


def test_shrink_after_a_partial_fill() -> None:
    first, second = make(1, Side.BUY, 100, 10), make(2, Side.BUY, 100, 6)
    book = book_with(first, second)
    fill(book, first, 3)
    book.check()
    assert book.level_quantity(Side.BUY, 100) == 13  # (10 - 3) + 6
    assert ids_at(book, Side.BUY, 100) == [1, 2]  # a fill keeps the queue position
    assert book.depth(Side.BUY, 1) == [DepthLevel(100, 13, 2)]


def test_shrink_for_a_size_decrease() -> None:
    order = make(1, Side.SELL, 105, 10)
    book = book_with(order)
    book.shrink(order, 4)
    order.quantity -= 4
    book.check()
    assert book.level_quantity(Side.SELL, 105) == 6  # 10 - 4


def test_remove_a_partly_filled_order_takes_only_its_remainder() -> None:
    first, second = make(1, Side.SELL, 101, 10), make(2, Side.SELL, 101, 5)
    book = book_with(first, second)
    fill(book, first, 4)
    book.remove(first)
    book.check()
    assert book.level_quantity(Side.SELL, 101) == 5  # 10 - 4 filled - 6 removed + 5


def test_fully_filled_head_then_removed() -> None:
    first, second = make(1, Side.SELL, 101, 10), make(2, Side.SELL, 101, 5)
    book = book_with(first, second)
    fill(book, first, 10)
    book.remove(first)
    book.check()
    assert book.depth(Side.SELL, 5) == [DepthLevel(101, 5, 1)]


# ---------------------------------------------------------------------- best prices and levels


def test_best_price_on_both_sides() -> None:
    book = book_with(
        make(1, Side.BUY, 98, 1),
        make(2, Side.BUY, 100, 1),
        make(3, Side.BUY, 99, 1),
        make(4, Side.SELL, 103, 1),
        make(5, Side.SELL, 101, 1),
        make(6, Side.SELL, 102, 1),
    )
    assert book.best_price(Side.BUY) == 100  # highest bid
    assert book.best_price(Side.SELL) == 101  # lowest ask


def test_levels_disappear_when_empty() -> None:
    top, next_bid, ask = make(1, Side.BUY, 100, 2), make(2, Side.BUY, 99, 3), make(3, Side.SELL, 101, 4)
    book = book_with(top, next_bid, ask)
    book.remove(top)
    book.check()
    assert book.best_price(Side.BUY) == 99  # the next level becomes the touch
    assert book.level_quantity(Side.BUY, 100) == 0
    assert [level.price for level in book.side(Side.BUY)] == [99]
    book.remove(next_bid)
    book.check()
    assert book.best_price(Side.BUY) is None
    assert list(book.side(Side.BUY)) == []
    assert book.depth(Side.SELL, 5) == [DepthLevel(101, 4, 1)]  # the other side is untouched


def test_a_level_comes_back_after_emptying() -> None:
    book = book_with(make(1, Side.SELL, 101, 2))
    book.remove(book.orders[1])
    book.add(make(2, Side.SELL, 101, 7))
    book.check()
    assert book.depth(Side.SELL, 5) == [DepthLevel(101, 7, 1)]


def test_a_better_price_takes_the_touch() -> None:
    book = book_with(make(1, Side.SELL, 105, 1), make(2, Side.BUY, 95, 1))
    book.add(make(3, Side.SELL, 104, 1))
    book.add(make(4, Side.BUY, 96, 1))
    book.check()
    assert (book.best_price(Side.BUY), book.best_price(Side.SELL)) == (96, 104)


def test_depth_aggregates_best_first() -> None:
    book = book_with(
        make(1, Side.BUY, 100, 2),
        make(2, Side.BUY, 100, 3),
        make(3, Side.BUY, 98, 7),
        make(4, Side.BUY, 99, 1),
        make(5, Side.BUY, 97, 4),
        make(6, Side.SELL, 101, 5),
        make(7, Side.SELL, 103, 1),
        make(8, Side.SELL, 103, 1),
        make(9, Side.SELL, 103, 1),
    )
    assert book.depth(Side.BUY, 3) == [
        DepthLevel(100, 5, 2),  # 2 + 3
        DepthLevel(99, 1, 1),
        DepthLevel(98, 7, 1),
    ]
    assert book.depth(Side.BUY, 10) == [*book.depth(Side.BUY, 3), DepthLevel(97, 4, 1)]
    assert book.depth(Side.SELL, 10) == [DepthLevel(101, 5, 1), DepthLevel(103, 3, 3)]  # 1 + 1 + 1
    assert book.depth(Side.SELL, 1) == [DepthLevel(101, 5, 1)]
    assert book.depth(Side.SELL, 0) == []


# ---------------------------------------------------------------------- check() sees corruption


def two_level_book() -> tuple[OrderBook, list[Order]]:
    orders = [make(1, Side.BUY, 100, 2), make(2, Side.BUY, 100, 3), make(3, Side.SELL, 101, 4)]
    return book_with(*orders), orders


def test_check_catches_a_wrong_level_quantity() -> None:
    book, _ = two_level_book()
    level = book.bids.best()
    assert level is not None
    level.quantity += 1
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_a_wrong_level_count() -> None:
    book, _ = two_level_book()
    level = book.asks.best()
    assert level is not None
    level.count = 2
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_a_shrink_without_the_order_changing() -> None:
    book, orders = two_level_book()
    book.shrink(orders[0], 1)  # the level says 4, the orders still add up to 5
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_an_order_missing_from_the_index() -> None:
    book, _ = two_level_book()
    del book.orders[2]
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_an_indexed_order_that_is_not_resting() -> None:
    book, _ = two_level_book()
    book.orders[9] = make(9, Side.BUY, 100, 1)
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_a_broken_back_link() -> None:
    book, orders = two_level_book()
    orders[1].prev = None  # 2 no longer points back at 1
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_a_wrong_tail() -> None:
    book, orders = two_level_book()
    level = book.bids.best()
    assert level is not None
    level.tail = orders[0]
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_a_filled_order_left_resting() -> None:
    book, orders = two_level_book()
    fill(book, orders[2], 4)  # fully filled but never removed
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_an_order_at_the_wrong_price() -> None:
    book, orders = two_level_book()
    orders[0].price = 99
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_an_empty_level_kept() -> None:
    book, _ = two_level_book()
    book.asks.levels[105] = Level(Side.SELL, 105)  # key 105 x +1 for asks
    with pytest.raises(AssertionError):
        book.check()


def test_check_catches_a_crossed_book() -> None:
    book, _ = two_level_book()
    book.add(make(4, Side.SELL, 100, 1))  # an ask at the best bid: the book has no policy to refuse it
    with pytest.raises(AssertionError, match="crossed"):
        book.check()


# ---------------------------------------------------------------------- random flows vs a dict model


class BookAgainstModel(RuleBasedStateMachine):
    """Random add / remove / fill / decrease against a plain model: per side, price -> FIFO of ids.

    Bids live on 90..100 and asks on 101..111 so the book never crosses (crossing is the matching
    engine's business, not the book's).
    """

    def __init__(self) -> None:
        super().__init__()
        self.book = OrderBook(SYMBOL)
        self.model: dict[Side, dict[int, list[int]]] = {Side.BUY: {}, Side.SELL: {}}
        self.resting: dict[int, Order] = {}
        self.next_id = 1

    def _drop_from_model(self, order: Order) -> None:
        queue = self.model[order.side][order.price]
        queue.remove(order.order_id)
        if not queue:
            del self.model[order.side][order.price]
        del self.resting[order.order_id]

    @rule(
        side=st.sampled_from(Side),
        offset=st.integers(min_value=0, max_value=10),
        quantity=st.integers(min_value=1, max_value=50),
    )
    def add(self, side: Side, offset: int, quantity: int) -> None:
        price = 100 - offset if side is Side.BUY else 101 + offset
        order = make(self.next_id, side, price, quantity, account_id=self.next_id % 3)
        self.next_id += 1
        self.book.add(order)
        self.model[side].setdefault(price, []).append(order.order_id)
        self.resting[order.order_id] = order

    @precondition(lambda self: self.resting)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        order = self.resting[data.draw(st.sampled_from(sorted(self.resting)))]
        self.book.remove(order)
        self._drop_from_model(order)

    @precondition(lambda self: self.resting)
    @rule(data=st.data(), whole=st.booleans())
    def fill(self, data: st.DataObject, whole: bool) -> None:
        """A fill of part of an order, or of all of it, which then leaves the book as in settlement."""
        order = self.resting[data.draw(st.sampled_from(sorted(self.resting)))]
        remaining = order.quantity - order.filled
        if whole or remaining == 1:
            fill(self.book, order, remaining)
            self.book.remove(order)
            self._drop_from_model(order)
        else:
            fill(self.book, order, data.draw(st.integers(min_value=1, max_value=remaining - 1)))

    @precondition(lambda self: any(o.quantity - o.filled > 1 for o in self.resting.values()))
    @rule(data=st.data())
    def decrease(self, data: st.DataObject) -> None:
        candidates = sorted(i for i, o in self.resting.items() if o.quantity - o.filled > 1)
        order = self.resting[data.draw(st.sampled_from(candidates))]
        lots = data.draw(st.integers(min_value=1, max_value=order.quantity - order.filled - 1))
        self.book.shrink(order, lots)
        order.quantity -= lots

    @invariant()
    def structure_is_consistent(self) -> None:
        self.book.check()

    @invariant()
    def agrees_with_model(self) -> None:
        for side, best_first in ((Side.BUY, True), (Side.SELL, False)):
            prices = sorted(self.model[side], reverse=best_first)
            expected = [
                DepthLevel(
                    price,
                    sum(self.resting[i].quantity - self.resting[i].filled for i in self.model[side][price]),
                    len(self.model[side][price]),
                )
                for price in prices
            ]
            assert self.book.depth(side, 1_000) == expected
            assert self.book.best_price(side) == (prices[0] if prices else None)
            assert [[o.order_id for o in level.orders()] for level in self.book.side(side)] == [
                self.model[side][price] for price in prices
            ]
        assert set(self.book.orders) == set(self.resting)


TestBookAgainstModel = BookAgainstModel.TestCase
