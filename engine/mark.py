"""Mark price by the venue method: Binance USD-M perpetuals.

    mark    = median(Price 1, Price 2, last contract price)
    Price 1 = index x (1 + last funding rate x time until the next funding / funding interval)
    Price 2 = index + moving average of the basis ((bid1 + ask1) / 2 - index) over the last 30 s

Binance samples the basis once a second over 30 s (since 2025-09-18; before, 30 points 5 s apart).
Everything here is exact (integers and Fractions); only the final mark is rounded, to the nearest
tick with exact halves going to the even tick: the mark is shared by longs and shorts, so there is
no side to round against, and half-to-even carries no drift up or down over many updates.

Choices where the venue publishes no rule:

* **Sampling.** The engine has no clock of its own: the basis is sampled when an index price arrives,
  at most once per whole second of engine time (the first update of a second samples; later ones in
  the same second reuse the samples). The window is by time: it holds the samples of the current
  second and the 29 before it, so seconds without an index update (or without a two-sided book)
  simply count fewer samples, averaged equally. Nothing is filled in for a missing second.
* **No two-sided book.** The basis is not sampled (a one-sided book has no mid). Price 2 is the
  index plus the average of the samples the window still holds, or the index itself when it holds
  none.
* **No last trade yet.** Price 2 takes the last price's place: median(P1, P2, P2) = P2, so a market
  that has never traded marks at the index plus its basis (Binance's mark before the first trade is
  not published; P2 is the input built from the live book).
* **Funding rate.** "Last funding rate" is the rate of the interval that settled last (0 before the
  first settlement), per funding interval, and the fraction of the interval still to run scales it.
* **Price filter.** The engine keeps the rounded mark inside the instrument's [min_price, max_price]
  (a large basis could otherwise carry it out).
* **Overrides.** ``SetMarkPrice`` sets the mark directly (an admin override); the next index update
  recomputes it from the inputs above. An instrument with ``mark_method = "index"`` marks at the
  index itself.

>>> window = BasisWindow()
>>> window.sample(0, 650_010, 650_030, 650_000)  # mid 65,002.0, index 65,000.0: basis +20 ticks
True
>>> venue_mark(650_000, 0, 0, 8 * 3_600 * SECOND_NS, window.average(0), 0)
650020
"""

from collections import deque
from enum import StrEnum
from fractions import Fraction

from paperex.engine.units import SCALE, SECOND_NS, Rate, Ticks

BASIS_WINDOW_SECONDS = 30
"""Binance's basis window since 2025-09-18: 30 one-second samples."""


class MarkMethod(StrEnum):
    """How an index update moves the mark: the venue's median, or the raw index (tests, simple feeds)."""

    MEDIAN = "median"
    INDEX = "index"


class BasisWindow:
    """The basis samples of the last ``BASIS_WINDOW_SECONDS`` whole seconds, one per second at most.

    A sample is kept as (second, bid1 + ask1 - 2 x index): twice the basis, in ticks, so it stays an
    integer; ``total`` is their running sum.
    """

    __slots__ = ("samples", "total")

    def __init__(self) -> None:
        self.samples: deque[tuple[int, int]] = deque()
        self.total = 0

    def _expire(self, second: int) -> None:
        """Drop samples taken before the window that ends with ``second``."""
        samples = self.samples
        oldest = second - BASIS_WINDOW_SECONDS
        while samples and samples[0][0] <= oldest:
            self.total -= samples.popleft()[1]

    def sample(self, now_ns: int, best_bid: Ticks | None, best_ask: Ticks | None, index: Ticks) -> bool:
        """Record the basis at ``now_ns`` unless this second already has a sample or a book side is
        empty; True when a sample was taken."""
        second = now_ns // SECOND_NS
        samples = self.samples
        if not best_bid or not best_ask or (samples and samples[-1][0] == second):
            return False
        self._expire(second)
        doubled = best_bid + best_ask - 2 * index
        samples.append((second, doubled))
        self.total += doubled
        return True

    def average(self, now_ns: int) -> Fraction | None:
        """Mean basis (ticks) of the samples still inside the window at ``now_ns``; None when empty."""
        self._expire(now_ns // SECOND_NS)
        count = len(self.samples)
        return Fraction(self.total, 2 * count) if count else None


def price1(index: Ticks, funding_rate: Rate, until_funding_ns: int, interval_ns: int) -> Fraction:
    """index x (1 + rate x time until funding / interval); ``funding_rate`` in 1e-8 units per interval,
    the time to go clamped to [0, interval].

    >>> hour = 3_600 * SECOND_NS
    >>> price1(650_000, 10_000, 4 * hour, 8 * hour)  # 65,000 x (1 + 0.0001 x 4/8) = 65,003.25
    Fraction(1300065, 2)
    """
    if interval_ns <= 0:
        raise ValueError(f"interval_ns must be positive, got {interval_ns}")
    until = min(max(until_funding_ns, 0), interval_ns)
    return index + Fraction(index * funding_rate * until, SCALE * interval_ns)


def price2(index: Ticks, average_basis: Fraction | None) -> Fraction:
    """index + the moving average of the basis; the index alone when no basis was sampled."""
    return Fraction(index) if average_basis is None else index + average_basis


def median_of_three(a: Fraction, b: Fraction, c: Fraction) -> Fraction:
    """The middle value of three.

    >>> median_of_three(Fraction(3), Fraction(1), Fraction(2))
    Fraction(2, 1)
    """
    return max(min(a, b), min(max(a, b), c))


def to_tick(price: Fraction) -> Ticks:
    """Nearest whole tick, an exact half to the even tick.

    >>> to_tick(Fraction(21, 2)), to_tick(Fraction(23, 2)), to_tick(Fraction(43, 4))
    (10, 12, 11)
    """
    return round(price)


def median_mark(p1: Fraction, p2: Fraction, last: Ticks) -> Ticks:
    """median(P1, P2, last) rounded to the tick; without a last trade (``last`` 0) Price 2 stands in
    for it, which makes the mark Price 2."""
    return to_tick(median_of_three(p1, p2, Fraction(last) if last else p2))


def venue_mark(
    index: Ticks,
    funding_rate: Rate,
    until_funding_ns: int,
    interval_ns: int,
    average_basis: Fraction | None,
    last: Ticks,
) -> Ticks:
    """The mark from its inputs (see the module docstring); the caller keeps it inside the price filter."""
    return median_mark(price1(index, funding_rate, until_funding_ns, interval_ns), price2(index, average_basis), last)
