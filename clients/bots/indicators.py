"""Technical indicators on closing prices, computed exactly in ``Decimal`` (no float ever touches a price).

Each function looks at a sequence of closes, oldest first, and answers for its last element; a caller
that wants yesterday's value passes ``closes[:-1]``. Too few values for the period raise ValueError:
an indicator computed on less history than it needs would be a silent lie.

>>> closes = [Decimal(v) for v in (1, 2, 3, 4, 5)]
>>> sma(closes, 3), rsi(closes, 2), bollinger(closes, 5, Decimal(0)).middle
(Decimal('4'), Decimal('100'), Decimal('3'))
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Bands:
    """Bollinger bands: the middle is the simple average, the others ``width`` standard deviations away."""

    lower: Decimal
    middle: Decimal
    upper: Decimal


def sma(closes: Sequence[Decimal], period: int) -> Decimal:
    """Simple moving average of the last ``period`` closes: the trend's level, smoothed over that span."""
    _require(closes, period, period)
    return sum(closes[-period:], ZERO) / period


def rsi(closes: Sequence[Decimal], period: int) -> Decimal:
    """Relative Strength Index (0..100) with Wilder's smoothing, as charting venues compute it.

    The first average gain and loss are plain means of the first ``period`` changes; every later change
    updates them as ``avg = (avg x (period - 1) + change) / period``. RSI = 100 - 100 / (1 + gain / loss):
    100 when nothing fell, 50 when nothing moved at all. Needs ``period + 1`` closes; more history
    seeds the smoothing further back and converges on the venue's value.
    """
    _require(closes, period, period + 1)
    changes = [after - before for before, after in pairwise(closes)]
    gains = [change if change > 0 else ZERO for change in changes]
    losses = [-change if change < 0 else ZERO for change in changes]
    average_gain = sum(gains[:period], ZERO) / period
    average_loss = sum(losses[:period], ZERO) / period
    for gain, loss in zip(gains[period:], losses[period:], strict=True):
        average_gain = (average_gain * (period - 1) + gain) / period
        average_loss = (average_loss * (period - 1) + loss) / period
    if average_loss == 0:
        return HUNDRED if average_gain > 0 else HUNDRED / 2
    return HUNDRED - HUNDRED / (1 + average_gain / average_loss)


def bollinger(closes: Sequence[Decimal], period: int, width: Decimal) -> Bands:
    """Bollinger bands over the last ``period`` closes: the SMA plus and minus ``width`` population
    standard deviations (Bollinger's own definition), so the bands widen as the market gets noisier."""
    _require(closes, period, period)
    window = closes[-period:]
    middle = sum(window, ZERO) / period
    deviation = (sum(((close - middle) ** 2 for close in window), ZERO) / period).sqrt()
    return Bands(middle - width * deviation, middle, middle + width * deviation)


def _require(closes: Sequence[Decimal], period: int, needed: int) -> None:
    if period < 1:
        raise ValueError(f"period must be at least 1, got {period}")
    if len(closes) < needed:
        raise ValueError(f"{needed} closes needed for period {period}, got {len(closes)}")
