"""paperex.server.state.candles.PriceCandleStore: mark and index candles, built from the 1-minute
candle a step updates, summed into the longer intervals as minutes close.

T0 is on a whole hour. The mark is set to 100 at T0+10 s, 105 at T0+20 s, 98 at T0+70 s and 101 at
T0+130 s (ticks):

    minute 0: open 100, high 105, low 100, close 105 (2 updates)
    minute 1: open 105 (the price runs on), high 105, low 98, close 98 (1 update)
    minute 2: open 98, high 101, low 98, close 101 so far (1 update), open
    the 5-minute candle so far: open 100, high 105, low 98, close 101, 4 updates
"""

from google.protobuf import duration_pb2

from paperex.server.state.candles import Candle, Interval, PriceCandleStore
from paperex.v1 import admin_pb2, market_data_pb2
from tests.server.conftest import Exchange

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
        Candle(T0 + M, Interval.M1, 105, 105, 98, 98, 0, 0, 1, closed=True),
        Candle(T0 + 2 * M, Interval.M1, 98, 101, 98, 101, 0, 0, 1),
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


async def test_get_candles_serves_the_mark_and_the_index(simulated: Exchange) -> None:
    """On a simulated clock: the mark set to 64,900, the index to 64,950 (the mark follows it, to 64,950
    with no book), and a minute later the mark to 65,000. The mark's 1-minute candles: 64,900 up to
    64,950 (closed), then one that opens at 64,950 (the mark runs on) and rises to 65,000; the index's
    one candle is 64,950 flat; no trade, so no trade candles."""
    admin = simulated.admin
    await admin.admin.SetMarkPrice(admin_pb2.SetMarkPriceRequest(symbol="BTCUSDT", price="64900"), metadata=admin.auth)
    await admin.admin.SetIndexPrice(
        admin_pb2.SetIndexPriceRequest(symbol="BTCUSDT", price="64950"), metadata=admin.auth
    )
    advance = admin_pb2.AdvanceTimeRequest(duration=duration_pb2.Duration(seconds=60))
    await admin.admin.AdvanceTime(advance, metadata=admin.auth)
    await admin.admin.SetMarkPrice(admin_pb2.SetMarkPriceRequest(symbol="BTCUSDT", price="65000"), metadata=admin.auth)

    async def candles(price: int) -> list[tuple[str, str, str, str, bool]]:
        request = market_data_pb2.GetCandlesRequest(
            symbol="BTCUSDT", interval=market_data_pb2.CANDLE_INTERVAL_1M, price=price
        )
        reply = await admin.market.GetCandles(request)
        return [(c.open, c.high, c.low, c.close, c.closed) for c in reply.candles]

    assert await candles(market_data_pb2.CANDLE_PRICE_MARK) == [
        ("64900.0", "64950.0", "64900.0", "64950.0", True),
        ("64950.0", "65000.0", "64950.0", "65000.0", False),
    ]
    assert (await candles(market_data_pb2.CANDLE_PRICE_INDEX))[0][:4] == ("64950.0",) * 4
    assert await candles(market_data_pb2.CANDLE_PRICE_LAST) == []
