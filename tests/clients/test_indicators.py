"""paperex.client.bots.indicators: SMA, RSI (Wilder) and Bollinger bands against values worked out by hand."""

from decimal import Decimal

import pytest

from paperex.client.bots.indicators import Bands, bollinger, rsi, sma


def closes(*values: str | int) -> list[Decimal]:
    return [Decimal(value) for value in values]


def test_sma_averages_the_last_period_closes_exactly() -> None:
    """10 11 12 13 14: SMA3 = (12 + 13 + 14) / 3 = 13, SMA5 = 60 / 5 = 12; 64,900.1 and 64,900.2 average
    to exactly 64,900.15 (a float would not)."""
    assert sma(closes(10, 11, 12, 13, 14), 3) == 13
    assert sma(closes(10, 11, 12, 13, 14), 5) == 12
    assert sma(closes("64900.1", "64900.2"), 2) == Decimal("64900.15")


def test_rsi_uses_wilders_smoothing_not_a_simple_average() -> None:
    """10 12 11 13, period 2: changes +2 -1 +2. Seeded on the first two: gain (2 + 0) / 2 = 1, loss
    (0 + 1) / 2 = 0.5; then gain (1 x 1 + 2) / 2 = 1.5, loss (0.5 x 1 + 0) / 2 = 0.25; RS = 6,
    RSI = 100 - 100 / 7 = 85.714... (a simple average of the last two changes would give RS = 1 / 0.5,
    RSI 66.7)."""
    assert rsi(closes(10, 12, 11, 13), 2).quantize(Decimal("0.000001")) == Decimal("85.714286")


def test_rsi_over_the_trend_followers_tape() -> None:
    """64,500 64,400 64,300 64,200 64,100 64,200 64,400 64,700, period 5: changes -100 x4, +100, +200,
    +300. Seed: gain 100 / 5 = 20, loss 400 / 5 = 80 (RSI 20 at the 6th close); 7th: gain (20 x 4 + 200)
    / 5 = 56, loss 80 x 4 / 5 = 64; 8th: gain (56 x 4 + 300) / 5 = 104.8, loss 64 x 4 / 5 = 51.2;
    RSI = 100 - 100 x 51.2 / 156 = 100 - 32.820513 = 67.179487."""
    tape = closes(64500, 64400, 64300, 64200, 64100, 64200, 64400, 64700)
    assert rsi(tape[:6], 5) == 20
    assert rsi(tape, 5).quantize(Decimal("0.000001")) == Decimal("67.179487")


def test_rsi_is_100_without_losses_and_50_without_any_move() -> None:
    assert rsi(closes(1, 2, 3), 2) == 100
    assert rsi(closes(5, 5, 5), 2) == 50


def test_bollinger_bands_use_the_population_standard_deviation() -> None:
    """2 4 4 4 5 5 7 9: mean 40 / 8 = 5, squared deviations 9 1 1 1 0 0 4 16 = 32, variance 32 / 8 = 4,
    sd 2; width 2: lower 5 - 4 = 1, upper 5 + 4 = 9 (the sample sd, sqrt(32 / 7), would not give 2)."""
    assert bollinger(closes(2, 4, 4, 4, 5, 5, 7, 9), 8, Decimal(2)) == Bands(Decimal(1), Decimal(5), Decimal(9))


def test_bollinger_looks_at_the_last_period_closes_only() -> None:
    """100 then 2 4 4 4 5 5 7 9 over period 8: the 100 is outside the window, same bands as above."""
    assert bollinger(closes(100, 2, 4, 4, 4, 5, 5, 7, 9), 8, Decimal(2)).middle == 5


@pytest.mark.parametrize(
    ("compute", "values"),
    [
        (lambda v: sma(v, 3), closes(1, 2)),
        (lambda v: rsi(v, 3), closes(1, 2, 3)),  # RSI(3) needs four closes: three changes
        (lambda v: bollinger(v, 3, Decimal(2)), closes(1, 2)),
        (lambda v: sma(v, 0), closes(1, 2)),
    ],
)
def test_too_little_history_is_an_error_not_a_guess(compute, values) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        compute(values)
