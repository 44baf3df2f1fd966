"""paperex.server.state.ticker_stats: the rolling 24h ticker over one-minute buckets.

T0 = 2024-01-01 00:00:00 UTC is a minute boundary, so "minute k" is [T0 + k*M, T0 + (k+1)*M). A
snapshot at ``now`` keeps the minutes from ``now // M - 1440`` on: at T0 + 1440m + 30s minute 0 is
still in, at T0 + 1441m it has left.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperex.server.core.snapshot_schema import SCHEMA
from paperex.server.persistence.snapshot_format import decode, encode
from paperex.server.state.ticker_stats import MINUTE_NS, WINDOW_MINUTES, Stats, TickerStats

S = 10**9
M = MINUTE_NS
H = 60 * M
D = 24 * H
T0 = 1_704_067_200 * S
BTC = "BTCUSDT"


def ticker_with(*trades: tuple[int, int, int]) -> TickerStats:
    """Trades as (ts, price, lots) on BTCUSDT."""
    ticker = TickerStats()
    for ts, price, lots in trades:
        ticker.record(BTC, ts, price, lots)
    return ticker


def test_a_symbol_never_traded_has_no_figures() -> None:
    assert TickerStats().snapshot(BTC, T0) is None


def test_figures_within_one_minute() -> None:
    ticker = ticker_with((T0 + 1 * S, 100, 1), (T0 + 2 * S, 105, 2), (T0 + 3 * S, 98, 3), (T0 + 4 * S, 101, 4))

    # volume 1+2+3+4 = 10; quote 100*1 + 105*2 + 98*3 + 101*4 = 100 + 210 + 294 + 404 = 1008
    assert ticker.snapshot(BTC, T0 + 5 * S) == Stats(100, 105, 98, 101, 10, 1008, 4)


def test_the_window_reaches_back_to_the_start_of_the_minute_24h_ago() -> None:
    ticker = ticker_with((T0 + 59 * S, 100, 1))  # minute 0

    # now = T0 + 1441m - 1ns: now // M - 1440 = 1440 - 1440 = 0, minute 0 is in (24h + 1s after the trade)
    assert ticker.snapshot(BTC, T0 + 1441 * M - 1) == Stats(100, 100, 100, 100, 1, 100, 1)
    # now = T0 + 1441m: the window starts at minute 1
    assert ticker.snapshot(BTC, T0 + 1441 * M) is None


def test_the_high_falls_back_when_its_minute_leaves_the_window() -> None:
    ticker = ticker_with((T0 + 30 * S, 200, 1), (T0 + 10 * M + 30 * S, 150, 2), (T0 + 20 * M + 30 * S, 120, 3))

    # all three: volume 1+2+3 = 6, quote 200 + 300 + 360 = 860
    assert ticker.snapshot(BTC, T0 + 1440 * M + 30 * S) == Stats(200, 200, 120, 120, 6, 860, 3)
    # minute 0 left: volume 5, quote 300 + 360 = 660
    assert ticker.snapshot(BTC, T0 + 1441 * M) == Stats(150, 150, 120, 120, 5, 660, 2)
    # minute 10 left (window from minute 11)
    assert ticker.snapshot(BTC, T0 + 1451 * M) == Stats(120, 120, 120, 120, 3, 360, 1)
    # minute 20 left
    assert ticker.snapshot(BTC, T0 + 1461 * M) is None


def test_the_low_falls_back_when_its_minute_leaves_the_window() -> None:
    ticker = ticker_with((T0, 50, 1), (T0 + 5 * M, 80, 1), (T0 + 6 * M, 70, 1))

    assert ticker.snapshot(BTC, T0 + 1440 * M) == Stats(50, 80, 50, 70, 3, 200, 3)  # quote 50 + 80 + 70
    assert ticker.snapshot(BTC, T0 + 1441 * M) == Stats(80, 80, 70, 70, 2, 150, 2)


def test_the_open_is_the_first_trade_still_in_the_window() -> None:
    ticker = ticker_with((T0, 100, 1), (T0 + 1 * S, 90, 1), (T0 + 3 * M, 95, 1), (T0 + 3 * M + 1 * S, 97, 1))

    before = ticker.snapshot(BTC, T0 + 1440 * M)
    after = ticker.snapshot(BTC, T0 + 1441 * M)  # minute 0 (100 then 90) left

    assert before == Stats(100, 100, 90, 97, 4, 382, 4)  # quote 100 + 90 + 95 + 97
    assert after == Stats(95, 97, 95, 97, 2, 192, 2)  # quote 95 + 97


def test_extremes_inside_one_minute_leave_together() -> None:
    # minute 0: 100, 90, 95 (high 100, low 90); minute 1: 80; minute 2: 85
    ticker = ticker_with((T0, 100, 1), (T0 + 1, 90, 1), (T0 + 2, 95, 1), (T0 + M, 80, 1), (T0 + 2 * M, 85, 1))

    assert ticker.snapshot(BTC, T0 + 1440 * M) == Stats(100, 100, 80, 85, 5, 450, 5)  # 100+90+95+80+85
    assert ticker.snapshot(BTC, T0 + 1441 * M) == Stats(80, 85, 80, 85, 2, 165, 2)
    assert ticker.snapshot(BTC, T0 + 1442 * M) == Stats(85, 85, 85, 85, 1, 85, 1)


def test_memory_stays_within_1441_minutes_without_snapshots() -> None:
    ticker = TickerStats()
    for step in range(3 * 24 * 180):  # three days, a trade every 20 s, falling then rising prices
        ticker.record(BTC, T0 + step * 20 * S, 1 + abs(step - 6000), 1)

    window = ticker._windows[BTC]  # white box: the bound is the point of the design
    assert len(window._minutes) == WINDOW_MINUTES + 1
    assert len(window._high._entries) <= WINDOW_MINUTES + 1
    assert len(window._low._entries) <= WINDOW_MINUTES + 1


def test_symbols_are_independent() -> None:
    ticker = TickerStats()
    ticker.record(BTC, T0, 100, 1)
    ticker.record("ETHUSDT", T0 + 1, 7, 3)

    assert ticker.snapshot(BTC, T0 + M) == Stats(100, 100, 100, 100, 1, 100, 1)
    assert ticker.snapshot("ETHUSDT", T0 + M) == Stats(7, 7, 7, 7, 3, 21, 1)


def test_a_trade_from_an_earlier_minute_is_refused() -> None:
    ticker = ticker_with((T0 + M, 100, 1))

    with pytest.raises(ValueError, match="precedes"):
        ticker.record(BTC, T0 + M - 1, 90, 1)
    assert ticker.snapshot(BTC, T0 + M) == Stats(100, 100, 100, 100, 1, 100, 1)


def test_a_snapshot_round_trip_keeps_state_and_behaviour() -> None:
    ticker = ticker_with((T0, 200, 1), (T0 + 5 * M, 100, 2), (T0 + 9 * M, 150, 1))

    copy = decode(encode(ticker, SCHEMA), SCHEMA)

    assert copy.snapshot(BTC, T0 + 10 * M) == ticker.snapshot(BTC, T0 + 10 * M)
    copy.record(BTC, T0 + 11 * M, 120, 1)
    ticker.record(BTC, T0 + 11 * M, 120, 1)
    # minute 0 left: 100x2, 150x1, 120x1 -> volume 4, quote 200 + 150 + 120 = 470
    expected = Stats(100, 150, 100, 120, 4, 470, 3)
    assert copy.snapshot(BTC, T0 + 1441 * M) == ticker.snapshot(BTC, T0 + 1441 * M) == expected


# --- property: snapshots against a naive recomputation over every trade ----------------------------


def naive(trades: list[tuple[int, int, int]], now: int) -> Stats | None:
    inside = [(price, lots) for ts, price, lots in trades if ts // M >= now // M - WINDOW_MINUTES]
    if not inside:
        return None
    prices = [price for price, _ in inside]
    return Stats(
        prices[0],
        max(prices),
        min(prices),
        prices[-1],
        sum(lots for _, lots in inside),
        sum(price * lots for price, lots in inside),
        len(inside),
    )


DELTA = st.one_of(
    st.integers(0, 90).map(lambda seconds: seconds * S),
    st.integers(0, 120).map(lambda minutes: minutes * M),
    st.sampled_from([D - M, D - 1, D, D + 1, D + M]),
    st.integers(0, 2 * D),
)


@given(st.lists(st.tuples(st.booleans(), DELTA, st.integers(1, 30), st.integers(1, 5)), max_size=60))
def test_snapshots_match_naive_recomputation(events: list[tuple[bool, int, int, int]]) -> None:
    ticker = TickerStats()
    trades: list[tuple[int, int, int]] = []
    now = T0 + 17 * S
    for is_trade, delta, price, lots in events:
        now += delta
        if is_trade:
            ticker.record(BTC, now, price, lots)
            trades.append((now, price, lots))
        else:
            assert ticker.snapshot(BTC, now) == naive(trades, now)
    assert ticker.snapshot(BTC, now) == naive(trades, now)
