"""Execution of an active order: the checks against the book and position before it runs, the walk
through the book as a taker (fills go to ``Settlement``), then resting or ending what is left; and
keeping resting reduce-only orders within what their positions can still close."""

from paperex.engine.events import OrderAmended
from paperex.engine.market import Market
from paperex.engine.matching import WalkEnd, crosses, fillable, walk
from paperex.engine.open_orders import OpenOrders
from paperex.engine.orders import (
    BUY,
    EXPIRED,
    FILLED,
    FOK,
    GTX,
    LIMIT_PRICED_TYPES,
    RESTING_TIME_IN_FORCE,
    Order,
    Side,
)
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.settlement import Settlement
from paperex.engine.state import EngineState
from paperex.engine.units import Lots
from paperex.engine.validation import band_limit
from paperex.engine.views import band_reference

# Enum members bound once (see ``paperex.engine.orders.BUY``): attribute lookups on an Enum class are slow.
BOOK_EMPTY, PRICE_LIMIT, SELF_TRADE = WalkEnd.BOOK_EMPTY, WalkEnd.PRICE_LIMIT, WalkEnd.SELF_TRADE
IOC_REMAINDER = EndReason.IOC_REMAINDER


class Execution:
    """Runs orders through the book over ``EngineState``; fills go to ``Settlement.settle``."""

    def __init__(self, state: EngineState, open_orders: OpenOrders, settlement: Settlement) -> None:
        self.state = state
        self._open_orders = open_orders
        self._settlement = settlement

    def closable(self, order: Order) -> Lots:
        """What of its position ``order`` could close."""
        return self.state.position(order.account_id, order.symbol).closable_by(order.side)

    def precheck(self, market: Market, order: Order) -> RejectReason | None:
        """Rules that depend on the book or the position, checked before anything changes:
        reduce-only direction, post-only, fill-or-kill."""
        if order.reduce_only and not self.closable(order):
            return RejectReason.REDUCE_ONLY_WOULD_INCREASE
        tif = order.time_in_force
        if tif is GTX and crosses(market.book, order.side, order.price):
            return RejectReason.POST_ONLY_WOULD_TAKE
        if tif is FOK:
            want = self._taker_want(order)
            if fillable(market.book, order, order.price, want, self.closable) < order.remaining:
                return RejectReason.FOK_NOT_FILLABLE
        return None

    def execute(self, market: Market, order: Order) -> None:
        """Run an accepted, active order as a taker, then rest or end what is left."""
        self.finish(market, order, self.take(market, order))

    def take(self, market: Market, order: Order) -> WalkEnd:
        """Walk the book with an accepted, active order as the taker; returns why the walk ended."""
        book = market.book
        priced = order.order_type in LIMIT_PRICED_TYPES
        if priced:
            limit = order.price
        else:
            reference = band_reference(market) or book.best_price(order.side.opposite) or 0
            limit = band_limit(market.instrument, order.side, reference) if reference else 0
        opposite = book.asks if order.side is BUY else book.bids
        best_key = opposite.best_key
        if best_key is None or not limit:
            end = BOOK_EMPTY
        elif best_key <= limit * opposite.key_sign:
            end = walk(
                book, order, limit, self._taker_want(order), self._settlement.settle, self._expire_maker, self.closable
            )
        else:
            end = PRICE_LIMIT
        if self.state.touched:
            self.trim_reduce_only()
        return end

    def finish(self, market: Market, order: Order, end: WalkEnd) -> None:
        """Rest or end what a walk left of an order."""
        status = order.status
        if status is FILLED or status is EXPIRED:
            return
        if end is SELF_TRADE:
            self._open_orders.end(order, EndReason.SELF_TRADE_PREVENTION, expired=True)
        elif order.reduce_only and not self.closable(order):
            self._open_orders.end(order, EndReason.REDUCE_ONLY, expired=True)
        elif order.order_type not in LIMIT_PRICED_TYPES:
            band_hit = end is PRICE_LIMIT
            self._open_orders.end(
                order, EndReason.MARKET_PRICE_BAND if band_hit else EndReason.NO_LIQUIDITY, expired=True
            )
        elif order.time_in_force in RESTING_TIME_IN_FORCE:
            self._rest(market, order)
        else:
            self._open_orders.end(order, IOC_REMAINDER, expired=True)

    def _taker_want(self, order: Order) -> Lots:
        remaining = order.quantity - order.filled
        return min(remaining, self.closable(order)) if order.reduce_only else remaining

    def _rest(self, market: Market, order: Order) -> None:
        level = market.book.add(order)
        market.dirty[level] = None
        if not order.reduce_only:
            remaining = order.quantity - order.filled
            self._open_orders.expose(order, remaining)
        else:
            state = self.state
            key = (order.account_id, order.symbol)
            resting = state.reduce_only.get(key)
            if resting is None:
                resting = state.reduce_only[key] = {}
            resting[order.order_id] = order
            state.touched[key] = None
            self.trim_reduce_only()

    def _expire_maker(self, maker: Order, reason: EndReason) -> None:
        """A resting order taken off mid-walk (self-trade prevention or a spent reduce-only order)."""
        self._open_orders.unrest(maker)
        self._open_orders.end(maker, reason, expired=True)

    def trim_reduce_only(self) -> None:
        """After positions move, shrink resting reduce-only orders (newest first) so that together
        they never exceed what they can close; orders on the wrong side expire."""
        state = self.state
        touched, state.touched = state.touched, {}
        for key in touched:
            resting = state.reduce_only.get(key)
            if not resting:
                continue
            position = state.position(*key)
            allowance = {Side.BUY: position.closable_by(Side.BUY), Side.SELL: position.closable_by(Side.SELL)}
            for order in sorted(resting.values(), key=lambda o: o.order_id):
                keep = min(order.remaining, allowance[order.side])
                allowance[order.side] -= keep
                if keep == order.remaining:
                    continue
                if keep == 0:
                    self._open_orders.unrest(order)
                    self._open_orders.end(order, EndReason.REDUCE_ONLY, expired=True)
                    continue
                self.resize(order, order.filled + keep, priority_kept=True)

    def resize(self, order: Order, quantity: Lots, priority_kept: bool) -> None:
        """Shrink a resting order in place (keeps its queue position)."""
        market = self.state.markets[order.symbol]
        market.dirty[market.book.shrink(order, order.quantity - quantity)] = None
        if not order.reduce_only:
            self._open_orders.expose(order, quantity - order.quantity)
        order.quantity = quantity
        self.state.events.append(
            OrderAmended(order.order_id, order.account_id, order.symbol, quantity, order.price, priority_kept)
        )
