"""The public market's stream values: one command's changes to a symbol's book, and its trades there.

The results stage publishes them on the book and trades topics as it folds each command (a candle's
change is published as the ``Candle`` itself); each API adapter renders them in its own format when a
subscriber reads one, so nothing is rendered for a topic that nobody follows.
"""

from typing import NamedTuple

from paperex.engine.orders import Side
from paperex.engine.units import Lots, Ticks

LevelChange = tuple[Side, Ticks, Lots, int]
"""A changed book level: side, price, quantity (0: removed), order count (a plain tuple: one per event)."""

Trade = tuple[int, Ticks, Lots, Side]
"""An executed trade: trade id, price, quantity, aggressor side."""


class BookUpdate(NamedTuple):
    """The levels a symbol's book changed, in order, from update ``first_sequence`` to ``sequence``
    (one command's update has both equal; ``merged`` covers several)."""

    symbol: str
    first_sequence: int
    sequence: int
    ts: int
    levels: list[LevelChange]


class TradeBatch(NamedTuple):
    """One command's trades on one symbol, oldest first."""

    symbol: str
    ts: int
    trades: list[Trade]


def merged_book_updates(updates: list[BookUpdate]) -> BookUpdate:
    """Consecutive updates as one (for a reader that fell behind): the sequence range they cover and each
    changed level once, where it first changed, with its last quantity and order count.

    >>> from paperex.engine.orders import Side
    >>> first = BookUpdate("BTCUSDT", 4, 4, 10, [(Side.BUY, 100, 5, 1), (Side.SELL, 101, 2, 1)])
    >>> second = BookUpdate("BTCUSDT", 5, 5, 20, [(Side.SELL, 102, 1, 1), (Side.BUY, 100, 0, 0)])
    >>> merged_book_updates([first, second])  # doctest: +NORMALIZE_WHITESPACE
    BookUpdate(symbol='BTCUSDT', first_sequence=4, sequence=5, ts=20,
               levels=[(<Side.BUY: 1>, 100, 0, 0), (<Side.SELL: -1>, 101, 2, 1), (<Side.SELL: -1>, 102, 1, 1)])
    """
    levels: dict[tuple[Side, Ticks], LevelChange] = {}
    for update in updates:
        for level in update.levels:
            levels[level[0], level[1]] = level
    first, last = updates[0], updates[-1]
    return BookUpdate(last.symbol, first.first_sequence, last.sequence, last.ts, list(levels.values()))
