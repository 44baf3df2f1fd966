"""The trend follower's decisions, pure: the signal from closed candles and the protective prices.

Signal: the fast SMA crossing above the slow one calls for a long, crossing below for a short. RSI
filters the entry (no long when overbought, no short when oversold: the move is probably spent) but
never the exit: a position against the new trend is closed either way. Bollinger bands set the stop:
a long's stop sits at the lower band (a close there is outside the recent noise, so the trend is
wrong), at least ``min_stop_bps`` from the entry; the take-profit is ``reward_ratio`` times that risk
beyond the entry.

>>> settings = SignalSettings(fast=2, slow=3, rsi_period=2, band_period=3)
>>> decide([Decimal(v) for v in (5, 4, 3, 4, 6)], Decimal(0), settings).reason
'fast SMA crossed above the slow one but RSI 83.3 is overbought'
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from paperex.client.bots.grid import ceil_to, floor_to
from paperex.client.bots.indicators import Bands, bollinger, rsi, sma
from paperex.client.enums import Side

BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class SignalSettings:
    fast: int = 9
    slow: int = 21
    rsi_period: int = 14
    overbought: Decimal = Decimal(70)
    oversold: Decimal = Decimal(30)
    band_period: int = 20
    band_width: Decimal = Decimal(2)

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValueError(f"the fast SMA ({self.fast}) must be shorter than the slow one ({self.slow})")
        if not 0 <= self.oversold < self.overbought <= 100:
            raise ValueError("need 0 <= oversold < overbought <= 100")

    @property
    def warmup(self) -> int:
        """Closed candles needed before the first decision (a crossover needs the slow SMA twice)."""
        return max(self.slow + 1, self.rsi_period + 1, self.band_period)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the last close says: ``exit`` the current position, ``enter`` a new one (or neither), why,
    and the indicator values behind it for the log."""

    enter: Side | None
    exit: bool
    reason: str
    fast: Decimal
    slow: Decimal
    rsi: Decimal
    bands: Bands


def decide(closes: Sequence[Decimal], position: Decimal, settings: SignalSettings) -> Decision | None:
    """The decision at the last of ``closes`` (oldest first) holding ``position`` (signed); None while
    there are fewer than ``settings.warmup`` closes."""
    if len(closes) < settings.warmup:
        return None
    fast, slow = sma(closes, settings.fast), sma(closes, settings.slow)
    fast_before, slow_before = sma(closes[:-1], settings.fast), sma(closes[:-1], settings.slow)
    strength = rsi(closes, settings.rsi_period)
    bands = bollinger(closes, settings.band_period, settings.band_width)

    def decision(enter: Side | None, exit_: bool, reason: str) -> Decision:
        return Decision(enter, exit_, reason, fast, slow, strength, bands)

    if fast_before <= slow_before and fast > slow:
        wanted, against, blocked = Side.BUY, position < 0, strength >= settings.overbought
        filter_reason = f"RSI {strength:.1f} is overbought"
    elif fast_before >= slow_before and fast < slow:
        wanted, against, blocked = Side.SELL, position > 0, strength <= settings.oversold
        filter_reason = f"RSI {strength:.1f} is oversold"
    else:
        return decision(None, False, "no crossover")
    direction = "above" if wanted is Side.BUY else "below"
    already = (position > 0) if wanted is Side.BUY else (position < 0)
    if already:
        return decision(None, False, f"fast SMA crossed {direction} the slow one; already positioned")
    if blocked:
        return decision(None, against, f"fast SMA crossed {direction} the slow one but {filter_reason}")
    return decision(wanted, against, f"fast SMA crossed {direction} the slow one")


def protective_prices(
    side: Side, entry: Decimal, bands: Bands, reward_ratio: Decimal, min_stop_bps: Decimal, tick_size: Decimal
) -> tuple[Decimal, Decimal]:
    """(stop-loss, take-profit) trigger prices for an entry on ``side`` near ``entry``.

    A long's stop is the lower band or ``min_stop_bps`` under the entry, whichever is farther, rounded
    down to the tick (away from the entry: the risk is never understated); its take-profit is
    ``reward_ratio`` times the risk above the entry, rounded down (towards the entry: reachable). A
    short mirrors both, rounding up.
    """
    floor_gap = entry * min_stop_bps / BPS
    if side is Side.BUY:
        stop = floor_to(min(bands.lower, entry - floor_gap), tick_size)
        return stop, floor_to(entry + reward_ratio * (entry - stop), tick_size)
    stop = ceil_to(max(bands.upper, entry + floor_gap), tick_size)
    return stop, ceil_to(entry - reward_ratio * (stop - entry), tick_size)
