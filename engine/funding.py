"""Funding inputs from the book: impact prices, the premium index sampled against the index price, and
its time-weighted average over one funding interval, as Binance USD-M computes them (see ``docs/margin.md``).
"""

from fractions import Fraction

from paperex.engine.book import BookSide
from paperex.engine.margin import premium_index
from paperex.engine.units import HOUR_NS, SCALE, Amount, Ticks

IMPACT_MARGIN: Amount = 200 * SCALE
"""Binance's impact margin notional is 200 USDT divided by the initial margin rate at max leverage."""


def impact_price(side: BookSide, notional: Amount, notional_unit: Amount) -> Fraction | None:
    """Average price (ticks) of filling ``notional`` against ``side``, or None when the book is too thin.

    The average is notional / lots taken, with the last level taken fractionally.
    """
    left, lots = notional, Fraction(0)
    for level in side:
        level_notional = level.quantity * level.price * notional_unit
        if level_notional >= left:
            lots += Fraction(left, level.price * notional_unit)
            return Fraction(notional, notional_unit) / lots
        lots += level.quantity
        left -= level_notional
    return None


PREMIUM_SCALE = 10**12
"""Samples are kept in 1e-12 units (far finer than the 1e-8 rate), so the interval's sum stays an
integer: exact fractions would grow without bound over thousands of samples."""


class PremiumSampler:
    """Σ i·P_i / Σ i over the samples of one interval: later samples weigh more, as on Binance."""

    __slots__ = ("count", "weighted")

    def __init__(self) -> None:
        self.count = 0
        self.weighted = 0

    def sample(self, impact_bid: Fraction | None, impact_ask: Fraction | None, index: Ticks) -> None:
        bid = index if impact_bid is None else impact_bid
        ask = index if impact_ask is None else impact_ask
        self.count += 1
        self.weighted += self.count * round(premium_index(bid, ask, index) * PREMIUM_SCALE)

    def average_and_reset(self) -> Fraction:
        count, weighted = self.count, self.weighted
        self.count, self.weighted = 0, 0
        return Fraction(weighted, PREMIUM_SCALE * (count * (count + 1) // 2)) if count else Fraction(0)


def next_boundary(now: int, interval_hours: int) -> int:
    """The first funding time strictly after ``now`` (intervals counted from 00:00 UTC)."""
    interval = interval_hours * HOUR_NS
    return (now // interval + 1) * interval
