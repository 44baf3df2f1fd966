"""Each symbol's order book as price levels per side, folded from ``BookLevelChanged`` events, with the
book's sequence number (one per command that changed the book, as ``StreamOrderBook`` numbers its
updates).

The engine reports every level a command touched with its total after the command (0: gone), so the
levels kept here are the engine's book in aggregate: what depth, the best prices and book tickers show.
"""

from bisect import bisect_left, insort
from collections.abc import Iterable

from paperex.engine.book import DepthLevel
from paperex.engine.events import BookLevelChanged
from paperex.engine.orders import Side
from paperex.engine.units import Ticks


class _Side:
    """One side's levels, with their keys sorted best first (a bid's key is its negated price)."""

    __slots__ = ("keys", "levels", "sign")

    def __init__(self, side: Side) -> None:
        self.sign = -1 if side is Side.BUY else 1
        self.levels: dict[Ticks, DepthLevel] = {}
        self.keys: list[int] = []

    def top(self, limit: int) -> list[DepthLevel]:
        levels, sign = self.levels, self.sign
        return [levels[key * sign] for key in self.keys[:limit]]


class Books:
    def __init__(self, symbols: Iterable[str]) -> None:
        self.sequence = dict.fromkeys(symbols, 0)
        """The number of the symbol's latest book update (0 before any)."""
        self._sides = {(symbol, side): _Side(side) for symbol in self.sequence for side in Side}

    def fold(self, e: BookLevelChanged) -> None:
        side = self._sides[(e.symbol, e.side)]
        levels, price = side.levels, e.price
        known = price in levels
        if e.quantity:
            levels[price] = DepthLevel(price, e.quantity, e.orders)
            if not known:
                insort(side.keys, price * side.sign)
        elif known:
            del levels[price]
            del side.keys[bisect_left(side.keys, price * side.sign)]

    def advance(self, symbol: str) -> int:
        """The number of the symbol's next book update (one per command that changed its book)."""
        sequence = self.sequence[symbol] = self.sequence[symbol] + 1
        return sequence

    def depth(self, symbol: str, limit: int) -> tuple[list[DepthLevel], list[DepthLevel]]:
        """The top ``limit`` levels as (bids, asks), best first."""
        return self._sides[(symbol, Side.BUY)].top(limit), self._sides[(symbol, Side.SELL)].top(limit)

    def best_price(self, symbol: str, side: Side) -> Ticks | None:
        """The best price on ``side`` (None: no level)."""
        book_side = self._sides[(symbol, side)]
        return book_side.keys[0] * book_side.sign if book_side.keys else None
