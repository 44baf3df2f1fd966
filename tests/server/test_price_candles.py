"""paperex.server.state.candles.PriceCandleStore: mark and index candles, built from the 1-minute
candle a step updates, summed into the longer intervals as minutes close.

T0 is on a whole hour. The mark is set to 100 at T0+10 s, 105 at T0+20 s, 98 at T0+70 s and 101 at
T0+130 s (ticks):

    minute 0: open 100, high 105, low 100, close 105 (2 updates)
    minute 1: 98 flat (1 update)
    minute 2: 101 so far (1 update), open
    the 5-minute candle so far: open 100, high 105, low 98, close 101, 4 updates
"""

from paperex.server.state.candles import Candle, Interval, PriceCandleStore

S = 10**9
M = 60 * S
T0 = 1_800_000_000 * S - 1_800_000_000 * S % (3600 * S)


def store() -> PriceCandleStore:
    marks = PriceCandleStore()
    for at, price in ((10, 100), (20, 105), (70, 98), (130, 101)):
        marks.record("BTCUSDT", T0 + at * S, price)
    return marks


def test_a_step_updates_the_minute_and_the_longer_candles_read_it_in() -> None:
    marks = store()
    assert marks.history("BTCUSDT", Interval.M1) == [
        Candle(T0, Interval.M1, 100, 105, 100, 105, 0, 0, 2, closed=True),
        Candle(T0 + M, Interval.M1, 98, 98, 98, 98, 0, 0, 1, closed=True),
        Candle(T0 + 2 * M, Interval.M1, 101, 101, 101, 101, 0, 0, 1),
    ]
    for interval in (Interval.M5, Interval.H1, Interval.D1):
        (candle,) = marks.history("BTCUSDT", interval)
        assert (candle.open, candle.high, candle.low, candle.close, candle.trade_count) == (100, 105, 98, 101, 4)
        assert not candle.closed


def test_time_closes_the_candles_flat_at_the_last_price() -> None:
    """At T0+5m+1s minute 2 closes, minutes 3 and 4 are flat at 101, and the first 5-minute candle
    closes with the figures above; the next one opens flat at 101 without updates."""
    marks = store()
    marks.advance(T0 + 5 * M + S)
    minutes = marks.history("BTCUSDT", Interval.M1)
    assert [(c.open_time - T0) // M for c in minutes] == [0, 1, 2, 3, 4, 5]
    assert [(c.close, c.closed) for c in minutes[2:]] == [(101, True), (101, True), (101, True), (101, False)]
    closed, current = marks.history("BTCUSDT", Interval.M5)
    assert closed == Candle(T0, Interval.M5, 100, 105, 98, 101, 0, 0, 4, closed=True)
    assert current == Candle(T0 + 5 * M, Interval.M5, 101, 101, 101, 101, 0, 0, 0)


def test_an_update_after_a_quiet_spell_opens_its_interval_at_its_own_price() -> None:
    """The mark set to 120 at T0+7m: the 5-minute candle [T0+5m, T0+10m) held only flat minutes at
    101 before, so its open is the flat 101 and 120 is its high and close."""
    marks = store()
    marks.record("BTCUSDT", T0 + 7 * M, 120)
    _, current = marks.history("BTCUSDT", Interval.M5)
    assert (current.open, current.high, current.low, current.close) == (101, 120, 101, 120)


def test_a_symbol_without_prices_has_no_candles() -> None:
    assert store().history("ETHUSDT", Interval.H1) == []
