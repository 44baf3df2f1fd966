"""A naive order book, used as the oracle for the engine's matching in property tests.

Plain dict of price -> Python list (FIFO) per side, linear scans everywhere, no cleverness: slow and
obviously right. It models the order rules for plain flows: GTC and IOC limit
orders; market orders limited by the price band around the last trade (else the best opposite
price); amends, where only a pure quantity decrease keeps priority, anything else re-enters as a
taker at the back of its new level, and a quantity at or below what is filled cancels the order (as
Binance's modify does); cancels. No self-trade prevention, reduce-only, triggers or mark price:
callers use one account per order.
"""

from dataclasses import dataclass

BUY = 1
SELL = -1
BAND_DENOMINATOR = 10_000


@dataclass
class RefOrder:
    order_id: int
    account_id: int
    side: int
    price: int
    quantity: int
    filled: int = 0

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled


@dataclass(frozen=True)
class RefTrade:
    maker_id: int
    taker_id: int
    price: int
    quantity: int


@dataclass(frozen=True)
class RefOutcome:
    """What one command did: rejected, or accepted with its trades and the taker's unfilled rest
    (``expired`` is the remainder an IOC or market order gave up, or a canceled order's, 0 when none)."""

    rejected: bool
    order_id: int = 0
    trades: tuple[RefTrade, ...] = ()
    expired: int = 0


REJECTED = RefOutcome(rejected=True)


class ReferenceBook:
    def __init__(self, band_bps: int = 500) -> None:
        self.band_bps = band_bps
        self.queues: dict[int, dict[int, list[RefOrder]]] = {BUY: {}, SELL: {}}
        self.next_id = 1
        self.last = 0
        self.owner: dict[int, int] = {}

    # ------------------------------------------------------------------ commands

    def place_limit(self, account_id: int, side: int, price: int, quantity: int, tif: str) -> RefOutcome:
        if self._out_of_band(side, price, self.last):
            return REJECTED
        order = self._new(account_id, side, price, quantity)
        trades = self._take(order, price)
        if order.remaining and tif == "GTC":
            self._append(order)
            return RefOutcome(False, order.order_id, trades, 0)
        return RefOutcome(False, order.order_id, trades, order.remaining)

    def place_market(self, account_id: int, side: int, quantity: int) -> RefOutcome:
        order = self._new(account_id, side, 0, quantity)
        reference = self.last or self.best_price(-side)
        trades: tuple[RefTrade, ...] = ()
        if reference:
            trades = self._take(order, self._band_limit(side, reference))
        return RefOutcome(False, order.order_id, trades, order.remaining)

    def cancel(self, order_id: int) -> RefOutcome:
        order = self._find(order_id)
        if order is None:
            return REJECTED
        self._unlink(order)
        return RefOutcome(False, order_id, (), order.remaining)

    def amend(self, order_id: int, quantity: int, price: int) -> RefOutcome:
        """``quantity``/``price`` 0 mean unchanged (as AmendOrder)."""
        order = self._find(order_id)
        if order is None:
            return REJECTED
        new_quantity = quantity or order.quantity
        new_price = price or order.price
        if new_quantity == order.quantity and new_price == order.price:
            return REJECTED
        if self._out_of_band(order.side, new_price, self.last):
            return REJECTED
        if new_quantity <= order.filled:  # Binance's modify cancels the order rather than refusing
            self._unlink(order)
            return RefOutcome(False, order_id, (), order.remaining)
        if new_price == order.price and new_quantity < order.quantity:
            order.quantity = new_quantity
            return RefOutcome(False, order_id)
        self._unlink(order)
        order.quantity, order.price = new_quantity, new_price
        trades = self._take(order, new_price)
        if order.remaining:
            self._append(order)
        return RefOutcome(False, order_id, trades, 0)

    # ------------------------------------------------------------------ queries

    def best_price(self, side: int) -> int:
        prices = list(self.queues[side])
        if not prices:
            return 0
        return max(prices) if side == BUY else min(prices)

    def l3(self, side: int) -> list[list[tuple[int, int]]]:
        """Every resting (order_id, remaining), level by level, best level first, oldest first."""
        prices = sorted(self.queues[side], reverse=side == BUY)
        return [[(o.order_id, o.remaining) for o in self.queues[side][p]] for p in prices]

    # ------------------------------------------------------------------ internals

    def _new(self, account_id: int, side: int, price: int, quantity: int) -> RefOrder:
        order = RefOrder(self.next_id, account_id, side, price, quantity)
        self.owner[order.order_id] = account_id
        self.next_id += 1
        return order

    def _band_limit(self, side: int, reference: int) -> int:
        if side == BUY:
            return reference * (BAND_DENOMINATOR + self.band_bps) // BAND_DENOMINATOR
        return -(-reference * (BAND_DENOMINATOR - self.band_bps) // BAND_DENOMINATOR)

    def _out_of_band(self, side: int, price: int, reference: int) -> bool:
        if not reference:
            return False
        limit = self._band_limit(side, reference)
        return price > limit if side == BUY else price < limit

    def _take(self, taker: RefOrder, limit: int) -> tuple[RefTrade, ...]:
        trades = []
        book = self.queues[-taker.side]
        while taker.remaining:
            eligible = [p for p in book if (p <= limit if taker.side == BUY else p >= limit)]
            if not eligible:
                break
            price = min(eligible) if taker.side == BUY else max(eligible)
            queue = book[price]
            maker = queue[0]
            quantity = min(maker.remaining, taker.remaining)
            maker.filled += quantity
            taker.filled += quantity
            trades.append(RefTrade(maker.order_id, taker.order_id, price, quantity))
            self.last = price
            if maker.remaining == 0:
                queue.pop(0)
                if not queue:
                    del book[price]
        return tuple(trades)

    def _append(self, order: RefOrder) -> None:
        self.queues[order.side].setdefault(order.price, []).append(order)

    def _find(self, order_id: int) -> RefOrder | None:
        for queues in self.queues.values():
            for queue in queues.values():
                for order in queue:
                    if order.order_id == order_id:
                        return order
        return None

    def _unlink(self, order: RefOrder) -> None:
        queue = self.queues[order.side][order.price]
        queue.remove(order)
        if not queue:
            del self.queues[order.side][order.price]
