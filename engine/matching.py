"""Price-time matching of one taker against the opposite side of a book, one path for both sides.

The walk decides *what* trades (price limit, FIFO, self-trade prevention, reduce-only makers) and
hands each fill to the engine's ``settle`` callback, which updates the book, positions and events.
Settlement may take other orders off the book, so the walk re-reads the best level every step.
"""

from collections.abc import Callable
from enum import Enum

from paperex.engine.book import Level, OrderBook
from paperex.engine.orders import BUY, Order, SelfTradePrevention, Side
from paperex.engine.reasons import EndReason
from paperex.engine.units import Lots, Ticks

Settle = Callable[[Level, Order, Order, Lots], None]
ExpireMaker = Callable[[Order, EndReason], None]
Closable = Callable[[Order], Lots]


class WalkEnd(Enum):
    """Why a walk stopped before the taker's remaining quantity was done, or that it was done."""

    DONE = "DONE"
    PRICE_LIMIT = "PRICE_LIMIT"
    BOOK_EMPTY = "BOOK_EMPTY"
    SELF_TRADE = "SELF_TRADE"


def crosses(book: OrderBook, side: Side, limit: Ticks) -> bool:
    """Would an order on ``side`` limited at ``limit`` take liquidity now?"""
    opposite = book.asks if side is BUY else book.bids
    best_key = opposite.best_key
    return best_key is not None and best_key <= limit * opposite.key_sign


def walk(
    book: OrderBook,
    taker: Order,
    limit: Ticks,
    want: Lots,
    settle: Settle,
    expire_maker: ExpireMaker,
    maker_closable: Closable,
) -> WalkEnd:
    """Fill up to ``want`` lots of ``taker`` at prices no worse than ``limit``."""
    opposite = book.asks if taker.side is BUY else book.bids
    limit_key = limit * opposite.key_sign
    levels = opposite.levels
    account = taker.account_id
    while want > 0:
        key = opposite.best_key
        if key is None:
            return WalkEnd.BOOK_EMPTY
        if key > limit_key:
            return WalkEnd.PRICE_LIMIT
        level = levels[key]
        maker = level.head
        assert maker is not None
        if maker.account_id == account:
            mode = taker.stp
            if mode is not SelfTradePrevention.EXPIRE_TAKER:
                expire_maker(maker, EndReason.SELF_TRADE_PREVENTION)
            if mode is SelfTradePrevention.EXPIRE_MAKER:
                continue
            return WalkEnd.SELF_TRADE
        quantity = maker.quantity - maker.filled
        if maker.reduce_only:
            quantity = min(quantity, maker_closable(maker))
            if quantity == 0:
                expire_maker(maker, EndReason.REDUCE_ONLY)
                continue
        quantity = min(quantity, want)
        settle(level, maker, taker, quantity)
        want -= quantity
    return WalkEnd.DONE


def fillable(book: OrderBook, taker: Order, limit: Ticks, want: Lots, maker_closable: Closable) -> Lots:
    """How much a walk would fill (capped at ``want``) without changing anything: the FOK dry run.

    It mirrors ``walk``: it stops at the taker's own order unless STP expires makers, and counts a
    reduce-only maker only up to what its account can still close after earlier fills in this run.
    """
    opposite = book.asks if taker.side is BUY else book.bids
    limit_key = limit * opposite.key_sign
    total = 0
    reduced: dict[int, Lots] = {}
    for key, level in opposite.levels.items():
        if key > limit_key:
            break
        for maker in level.orders():
            if maker.account_id == taker.account_id:
                if taker.stp is SelfTradePrevention.EXPIRE_MAKER:
                    continue
                return total
            quantity = maker.remaining
            if maker.reduce_only:
                quantity = min(quantity, maker_closable(maker) - reduced.get(maker.account_id, 0))
                if quantity <= 0:
                    continue
            reduced[maker.account_id] = reduced.get(maker.account_id, 0) + quantity
            total += quantity
            if total >= want:
                return want
    return total
