"""paperex.client.bots.trend: the crossover signal, its RSI filter and the protective prices, by hand.

Settings: SMA 3/5, RSI 5, bands 5 x 2. The rising tape 64,500 64,400 64,300 64,200 64,100 64,200
64,400 64,700 crosses up at its 8th close with RSI 67.18 (see test_indicators); the falling tape is
its mirror (129,000 - price), which crosses down at the 8th close with RSI 100 - 67.18 = 32.82.
"""

from decimal import Decimal

from paperex.client.bots.indicators import Bands
from paperex.client.bots.trend import SignalSettings, decide, protective_prices
from paperex.client.enums import Side

D = Decimal
SETTINGS = SignalSettings(fast=3, slow=5, rsi_period=5, band_period=5)
RISING = [D(v) for v in (64500, 64400, 64300, 64200, 64100, 64200, 64400, 64700)]
FALLING = [129_000 - close for close in RISING]
FLAT, LONG, SHORT = D(0), D("0.244"), D("-0.244")


def test_nothing_before_the_warmup() -> None:
    """A crossover needs SMA5 at two closes (6), RSI 5 six closes, bands five: six in all."""
    assert SETTINGS.warmup == 6
    assert decide(RISING[:5], FLAT, SETTINGS) is None


def test_a_long_on_the_close_where_the_fast_sma_crosses_above_the_slow_one() -> None:
    """7th close: SMA3 64,233.3 <= SMA5 64,240, no cross. 8th: SMA3 64,433.3 > SMA5 64,320, RSI 67.18 <
    70: enter long."""
    assert decide(RISING[:6], FLAT, SETTINGS).enter is None  # type: ignore[union-attr]
    assert decide(RISING[:7], FLAT, SETTINGS).enter is None  # type: ignore[union-attr]
    decision = decide(RISING, FLAT, SETTINGS)
    assert decision is not None and (decision.enter, decision.exit) == (Side.BUY, False)


def test_no_long_when_overbought() -> None:
    """The same crossover with overbought at 65: RSI 67.18 blocks the entry."""
    strict = SignalSettings(fast=3, slow=5, rsi_period=5, band_period=5, overbought=D(65))
    decision = decide(RISING, FLAT, strict)
    assert decision is not None and decision.enter is None and "overbought" in decision.reason


def test_a_cross_down_closes_a_long_and_goes_short() -> None:
    """Mirror tape: SMA3 129,000 - 64,433.3 < SMA5 129,000 - 64,320; RSI 32.82 > 30: exit and short."""
    decision = decide(FALLING, LONG, SETTINGS)
    assert decision is not None and (decision.enter, decision.exit) == (Side.SELL, True)


def test_oversold_blocks_the_short_but_never_the_exit() -> None:
    """Oversold at 35: RSI 32.82 blocks the short, the long against the new trend is still closed."""
    strict = SignalSettings(fast=3, slow=5, rsi_period=5, band_period=5, oversold=D(35))
    decision = decide(FALLING, LONG, strict)
    assert decision is not None and (decision.enter, decision.exit) == (None, True)


def test_no_second_entry_in_the_same_direction() -> None:
    decision = decide(RISING, LONG, SETTINGS)
    assert decision is not None and (decision.enter, decision.exit) == (None, False)
    decision = decide(FALLING, SHORT, SETTINGS)
    assert decision is not None and (decision.enter, decision.exit) == (None, False)


def test_the_long_stop_sits_at_the_lower_band_and_the_target_two_risks_above() -> None:
    """Bands on the last five rising closes: mean 64,320, variance 228,000 / 5 = 45,600, sd 213.54,
    lower 63,892.92 -> 63,892.9 (down). Entry 64,710: risk 817.1, take-profit 64,710 + 1,634.2 =
    66,344.2."""
    decision = decide(RISING, FLAT, SETTINGS)
    assert decision is not None
    stop, target = protective_prices(Side.BUY, D(64710), decision.bands, D(2), D(20), D("0.1"))
    assert (stop, target) == (D("63892.9"), D("66344.2"))


def test_the_short_stop_sits_at_the_upper_band() -> None:
    """Mirror: upper band 129,000 - 63,892.92 = 65,107.08 -> 65,107.1 (up). Entry 64,290: risk 817.1,
    take-profit 64,290 - 1,634.2 = 62,655.8."""
    decision = decide(FALLING, FLAT, SETTINGS)
    assert decision is not None
    stop, target = protective_prices(Side.SELL, D(64290), decision.bands, D(2), D(20), D("0.1"))
    assert (stop, target) == (D("65107.1"), D("62655.8"))


def test_narrow_bands_give_way_to_the_minimum_stop_distance() -> None:
    """Lower band 64,700 only 10 away from a 64,710 entry: 20 bps = 129.42 instead, stop 64,580.58 ->
    64,580.5; risk 129.5, take-profit 64,710 + 259 = 64,969.0."""
    bands = Bands(D(64700), D(64705), D(64710))
    assert protective_prices(Side.BUY, D(64710), bands, D(2), D(20), D("0.1")) == (D("64580.5"), D("64969.0"))
