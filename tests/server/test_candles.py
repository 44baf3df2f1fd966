"""paperex.server.state.candles: epoch alignment, OHLCV updates, flat gap candles, retention, history ranges.

Times are built from T0 = 2024-01-01 00:00:00 UTC (1_704_067_200 s), a boundary of every interval,
so a candle's open time reads as an offset from T0. Prices are small tick counts and quote volumes
are summed by hand in the comments.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperex.server.core.snapshot_schema import SCHEMA
from paperex.server.persistence.snapshot_format import decode, encode
from paperex.server.state.candles import MAX_LIMIT, Candle, CandleSeries, CandleStore, Interval

S = 10**9
M = 60 * S
H = 60 * M
D = 24 * H
T0 = 1_704_067_200 * S
M1, M5, M15, H1, H4, D1 = Interval.M1, Interval.M5, Interval.M15, Interval.H1, Interval.H4, Interval.D1


def flat(open_time: int, price: int, interval: Interval = M1, closed: bool = True) -> Candle:
    return Candle(open_time, interval, price, price, price, price, 0, 0, 0, closed)


def minutes(candles: list[Candle]) -> list[int]:
    return [(candle.open_time - T0) // M for candle in candles]


def test_intervals_are_their_length_in_nanoseconds() -> None:
    assert [interval.value for interval in Interval] == [M, 5 * M, 15 * M, H, 4 * H, D]


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        # ts = 13:17:05 on 2024-01-01
        (M1, T0 + 13 * H + 17 * M),
        (M5, T0 + 13 * H + 15 * M),  # 17 // 5 * 5 = 15
        (M15, T0 + 13 * H + 15 * M),  # 17 // 15 * 15 = 15
        (H1, T0 + 13 * H),
        (H4, T0 + 12 * H),  # 13 // 4 * 4 = 12
        (D1, T0),  # the day opens at 00:00 UTC
    ],
)
def test_candles_are_aligned_to_the_epoch(interval: Interval, expected: int) -> None:
    assert interval.open_time(T0 + 13 * H + 17 * M + 5 * S) == expected


def test_close_time_is_the_last_nanosecond_of_the_interval() -> None:
    assert flat(T0, 100).close_time == T0 + M - 1
    assert flat(T0, 100, D1).close_time == T0 + D - 1


def test_a_trade_exactly_on_the_boundary_opens_the_next_candle() -> None:
    series = CandleSeries(M1)
    series.record(T0 + M - 1, 100, 1)  # last nanosecond of minute 0

    changed = series.record(T0 + M, 101, 2)

    assert changed == [
        Candle(T0, M1, 100, 100, 100, 100, 1, 100, 1, closed=True),
        Candle(T0 + M, M1, 101, 101, 101, 101, 2, 202, 1),  # quote 101 * 2
    ]


def test_high_low_close_and_volumes_follow_the_trades() -> None:
    series = CandleSeries(M1)
    first = series.record(T0 + 1 * S, 100, 1)
    series.record(T0 + 2 * S, 105, 2)
    series.record(T0 + 3 * S, 98, 3)

    changed = series.record(T0 + 4 * S, 101, 4)

    # volume 1 + 2 + 3 + 4 = 10; quote 100*1 + 105*2 + 98*3 + 101*4 = 100 + 210 + 294 + 404 = 1008
    assert changed == [Candle(T0, M1, 100, 105, 98, 101, 10, 1008, 4)]
    assert first == [Candle(T0, M1, 100, 100, 100, 100, 1, 100, 1)]  # a candle handed out never changes


def test_quote_volume_is_an_exact_integer() -> None:
    series = CandleSeries(M1)
    series.record(T0, 649_001_234, 10**12)

    changed = series.record(T0 + 1, 649_001_235, 3 * 10**12)

    # 649_001_234e12 + 3 * 649_001_235e12 = (649_001_234 + 1_947_003_705)e12
    assert changed[0].quote_volume == 2_596_004_939 * 10**12
    assert changed[0].volume == 4 * 10**12


def test_the_store_reports_every_interval_that_changed_or_closed() -> None:
    store = CandleStore()
    first = store.record("BTCUSDT", T0 + 4 * M + 59 * S, 100, 1)

    changed = store.record("BTCUSDT", T0 + 5 * M, 110, 2)

    assert [interval for interval, _ in first] == list(Interval)
    assert all(not candle.closed for _, candle in first)
    # 00:05:00 closes minute 4 and the 00:00 five-minute candle; the longer ones only update.
    assert changed == [
        (M1, Candle(T0 + 4 * M, M1, 100, 100, 100, 100, 1, 100, 1, closed=True)),
        (M1, Candle(T0 + 5 * M, M1, 110, 110, 110, 110, 2, 220, 1)),
        (M5, Candle(T0, M5, 100, 100, 100, 100, 1, 100, 1, closed=True)),
        (M5, Candle(T0 + 5 * M, M5, 110, 110, 110, 110, 2, 220, 1)),
        (M15, Candle(T0, M15, 100, 110, 100, 110, 3, 320, 2)),  # quote 100 + 220
        (H1, Candle(T0, H1, 100, 110, 100, 110, 3, 320, 2)),
        (H4, Candle(T0, H4, 100, 110, 100, 110, 3, 320, 2)),
        (D1, Candle(T0, D1, 100, 110, 100, 110, 3, 320, 2)),
    ]


def test_minutes_without_trades_are_flat_at_the_previous_close() -> None:
    series = CandleSeries(M1)
    series.record(T0 + 10 * S, 100, 1)
    series.record(T0 + 20 * S, 104, 1)

    changed = series.record(T0 + 3 * M + 1 * S, 110, 2)

    expected = [
        Candle(T0, M1, 100, 104, 100, 104, 2, 204, 2, closed=True),  # quote 100 + 104
        flat(T0 + 1 * M, 104),
        flat(T0 + 2 * M, 104),
        Candle(T0 + 3 * M, M1, 110, 110, 110, 110, 2, 220, 1),
    ]
    assert changed == expected
    assert series.history() == expected


def test_advance_closes_candles_that_saw_no_closing_trade() -> None:
    store = CandleStore()
    store.record("BTCUSDT", T0 + 30 * S, 100, 1)

    early = store.advance(T0 + 59 * S)
    closed = store.advance(T0 + 2 * M + 10 * S)

    assert early == []
    assert closed == [
        ("BTCUSDT", M1, Candle(T0, M1, 100, 100, 100, 100, 1, 100, 1, closed=True)),
        ("BTCUSDT", M1, flat(T0 + M, 100)),
    ]
    assert store.history("BTCUSDT", M1)[-1] == flat(T0 + 2 * M, 100, closed=False)  # open, no trade yet
    assert store.history("BTCUSDT", M5) == [Candle(T0, M5, 100, 100, 100, 100, 1, 100, 1)]


def test_the_first_trade_in_a_flat_open_candle_sets_its_open() -> None:
    store = CandleStore()
    store.record("BTCUSDT", T0 + 30 * S, 100, 1)
    store.advance(T0 + 2 * M + 10 * S)  # minute 2 is open and flat at 100

    changed = dict(store.record("BTCUSDT", T0 + 2 * M + 20 * S, 120, 3))

    # The flat placeholder's 100 is not a trade: open, high and low all come from the 120.
    assert changed[M1] == Candle(T0 + 2 * M, M1, 120, 120, 120, 120, 3, 360, 1)
    # quote 100*1 + 120*3 = 460
    assert changed[M5] == Candle(T0, M5, 100, 120, 100, 120, 4, 460, 2)


def test_advance_before_any_trade_does_nothing() -> None:
    store = CandleStore()

    assert store.advance(T0 + 10 * D) == []
    assert store.history("BTCUSDT", M1) == []


def test_advance_closes_every_symbol() -> None:
    store = CandleStore()
    store.record("BTCUSDT", T0, 100, 1)
    store.record("ETHUSDT", T0 + 4 * M, 50, 1)

    closed = store.advance(T0 + 5 * M)

    # BTCUSDT: minute 0 traded, minutes 1-4 flat, and the 00:00 five-minute candle.
    # ETHUSDT: minute 4 and its 00:00 five-minute candle (its history starts at minute 4).
    assert [(symbol, interval, (candle.open_time - T0) // M) for symbol, interval, candle in closed] == [
        ("BTCUSDT", M1, 0),
        ("BTCUSDT", M1, 1),
        ("BTCUSDT", M1, 2),
        ("BTCUSDT", M1, 3),
        ("BTCUSDT", M1, 4),
        ("BTCUSDT", M5, 0),
        ("ETHUSDT", M1, 4),
        ("ETHUSDT", M5, 0),
    ]


@pytest.mark.parametrize(
    ("later", "emitted", "kept"),
    [
        (3, [0, 1, 2], [0, 1, 2, 3]),  # 2 gap minutes: the traded minute 0 and both gaps fit in 3
        (4, [1, 2, 3], [1, 2, 3, 4]),  # 3 gap minutes: only the gaps are kept, minute 0 drops out
        (1000, [997, 998, 999], [997, 998, 999, 1000]),  # 999 gaps: the newest 3
    ],
)
def test_a_jump_keeps_only_the_retention(later: int, emitted: list[int], kept: list[int]) -> None:
    series = CandleSeries(M1, retention=3)
    series.record(T0, 100, 1)

    changed = series.record(T0 + later * M, 200, 1)

    assert minutes(changed) == [*emitted, later]
    assert minutes(series.history()) == kept


def test_a_jump_of_years_is_computed_not_enumerated() -> None:
    store = CandleStore(retention=3)
    store.record("BTCUSDT", T0, 100, 1)
    jump = T0 + 3650 * D + 30 * S  # ten years: 5,256,000 one-minute gaps if enumerated

    changed = store.record("BTCUSDT", jump, 200, 1)

    # Per interval, the newest 3 flat candles at 100, then the open one with the trade.
    assert len(changed) == 6 * 4
    assert store.history("BTCUSDT", M1) == [
        flat(T0 + 3650 * D - 3 * M, 100),
        flat(T0 + 3650 * D - 2 * M, 100),
        flat(T0 + 3650 * D - 1 * M, 100),
        Candle(T0 + 3650 * D, M1, 200, 200, 200, 200, 1, 200, 1),
    ]
    assert [candle.open_time for candle in store.history("BTCUSDT", D1)] == [
        T0 + day * D for day in (3647, 3648, 3649, 3650)
    ]


def test_retention_drops_the_oldest_candles() -> None:
    series = CandleSeries(M1, retention=2)
    for minute in range(5):
        series.record(T0 + minute * M, 100 + minute, 1)

    # 2 closed (minutes 2 and 3) plus the open minute 4
    assert [(candle.open, candle.closed) for candle in series.history()] == [(102, True), (103, True), (104, False)]


def ten_minutes() -> CandleSeries:
    """Minutes 0..9 at prices 100..109; minute 9 is open."""
    series = CandleSeries(M1)
    for minute in range(10):
        series.record(T0 + minute * M, 100 + minute, 1)
    return series


@pytest.mark.parametrize(
    ("start", "end", "limit", "expected"),
    [
        (None, None, 3, [7, 8, 9]),  # open range: the newest 3
        (None, None, 500, list(range(10))),
        (T0 + 2 * M, None, 3, [2, 3, 4]),  # a start: the first 3 from it
        (T0 + 2 * M - 1, None, 3, [2, 3, 4]),  # minute 1 opens before the start
        (T0 + 2 * M + 1, None, 3, [3, 4, 5]),  # minute 2 opens before the start too
        (None, T0 + 5 * M, 3, [3, 4, 5]),  # only an end: the newest 3 opening by then
        (None, T0 + 5 * M - 1, 3, [2, 3, 4]),
        (T0 + 2 * M, T0 + 4 * M, 500, [2, 3, 4]),  # both ends inclusive
        (T0 + 8 * M, None, 5, [8, 9]),
        (T0 - H, None, 2, [0, 1]),
        (None, T0 - 1, 500, []),
        (T0 + 20 * M, None, 500, []),
        (T0 + 5 * M, T0 + 3 * M, 500, []),
    ],
)
def test_history_range_and_limit(start: int | None, end: int | None, limit: int, expected: list[int]) -> None:
    candles = ten_minutes().history(start, end, limit)

    assert minutes(candles) == expected
    assert [candle.closed for candle in candles] == [minute != 9 for minute in expected]


def test_history_default_and_maximum_limit() -> None:
    store = CandleStore()
    store.record("BTCUSDT", T0, 100, 1)
    store.record("BTCUSDT", T0 + 600 * M, 100, 1)  # minutes 0..600: 601 candles

    default = store.history("BTCUSDT", M1)
    everything = store.history("BTCUSDT", M1, limit=MAX_LIMIT)

    assert minutes(default) == list(range(101, 601))  # the newest 500
    assert minutes(everything) == list(range(601))


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
def test_history_refuses_a_limit_out_of_range(limit: int) -> None:
    store = CandleStore()
    store.record("BTCUSDT", T0, 100, 1)

    with pytest.raises(ValueError, match="limit"):
        store.history("BTCUSDT", M1, limit=limit)
    with pytest.raises(ValueError, match="limit"):
        store.history("NEVERTRADED", M1, limit=limit)


def test_a_trade_before_the_open_candle_is_refused() -> None:
    series = CandleSeries(M1)
    series.record(T0 + M, 100, 1)

    with pytest.raises(ValueError, match="precedes"):
        series.record(T0 + M - 1, 100, 1)
    assert series.history() == [Candle(T0 + M, M1, 100, 100, 100, 100, 1, 100, 1)]


def test_retention_must_be_positive() -> None:
    with pytest.raises(ValueError, match="retention"):
        CandleSeries(M1, retention=0)
    with pytest.raises(ValueError, match="retention"):
        CandleStore(retention=0)


def test_a_snapshot_round_trip_keeps_state_and_behaviour() -> None:
    store = CandleStore(retention=50)
    store.record("BTCUSDT", T0 + 10 * S, 100, 1)
    store.record("ETHUSDT", T0 + 3 * M, 50, 2)
    store.advance(T0 + 7 * M)

    copy = decode(encode(store, SCHEMA), SCHEMA)

    for symbol in ("BTCUSDT", "ETHUSDT"):
        for interval in Interval:
            assert copy.history(symbol, interval) == store.history(symbol, interval)
    assert copy.record("BTCUSDT", T0 + 8 * M, 101, 1) == store.record("BTCUSDT", T0 + 8 * M, 101, 1)
    assert copy.advance(T0 + 20 * M) == store.advance(T0 + 20 * M)
    assert copy.history("ETHUSDT", M1) == store.history("ETHUSDT", M1)


# --- property: the store against a naive recomputation from the full trade list -----------------


def naive_candle(trades: list[tuple[int, int, int]], interval: Interval, open_time: int, closed: bool) -> Candle:
    """The candle opening at ``open_time`` recomputed from every trade (oldest first) of the symbol."""
    inside = [(price, lots) for ts, price, lots in trades if open_time <= ts < open_time + interval.value]
    if not inside:
        before = [price for ts, price, _ in trades if ts < open_time]
        return Candle(open_time, interval, before[-1], before[-1], before[-1], before[-1], 0, 0, 0, closed)
    prices = [price for price, _ in inside]
    return Candle(
        open_time,
        interval,
        prices[0],
        max(prices),
        min(prices),
        prices[-1],
        sum(lots for _, lots in inside),
        sum(price * lots for price, lots in inside),
        len(inside),
        closed,
    )


@dataclass
class Tape:
    """What the property test fed one symbol, and what the store said about it."""

    trades: list[tuple[int, int, int]] = field(default_factory=list)
    horizon: int = 0  # the latest time the symbol's series saw (trade or advance)
    emitted_closed: dict[Interval, list[int]] = field(default_factory=lambda: defaultdict(list))


def check_emitted(store: CandleStore, symbol: str, tape: Tape, interval: Interval, candle: Candle) -> None:
    """An emitted candle equals the naive one over the trades so far and is the one stored (a candle
    dropped by the retention is never reported); closed ones are final."""
    assert candle == naive_candle(tape.trades, interval, candle.open_time, candle.closed)
    assert store.history(symbol, interval, candle.open_time, candle.open_time) == [candle]
    if candle.closed:
        tape.emitted_closed[interval].append(candle.open_time)


DELTA = st.one_of(
    st.integers(0, 150).map(lambda seconds: seconds * S),
    st.sampled_from([M - 1, M, M + 1, 5 * M, H, 4 * H, D - 1, D]),
    st.integers(0, 3 * D),
)
EVENT = st.one_of(
    st.tuples(st.just("trade"), st.sampled_from(["BTCUSDT", "ETHUSDT"]), DELTA, st.integers(1, 30), st.integers(1, 5)),
    st.tuples(st.just("advance"), st.just(""), DELTA, st.just(0), st.just(0)),
)


@given(st.lists(EVENT, max_size=40), st.integers(1, 40))
def test_store_matches_naive_recomputation(events: list[tuple[str, str, int, int, int]], retention: int) -> None:
    store = CandleStore(retention=retention)
    tapes: dict[str, Tape] = {}
    ts = T0 + 17 * S
    for kind, symbol, delta, price, lots in events:
        ts += delta
        if kind == "trade":
            tape = tapes.setdefault(symbol, Tape())
            tape.trades.append((ts, price, lots))
            tape.horizon = ts
            for interval, candle in store.record(symbol, ts, price, lots):
                check_emitted(store, symbol, tape, interval, candle)
        else:
            for tape in tapes.values():
                tape.horizon = ts
            for symbol_closed, interval, candle in store.advance(ts):
                check_emitted(store, symbol_closed, tapes[symbol_closed], interval, candle)

    for symbol, tape in tapes.items():
        for interval in Interval:
            length = interval.value
            first = max(interval.open_time(tape.trades[0][0]), interval.open_time(tape.horizon) - retention * length)
            open_times = range(first, interval.open_time(tape.horizon) + length, length)
            expected = [naive_candle(tape.trades, interval, t, t != open_times[-1]) for t in open_times]

            assert store.history(symbol, interval, limit=MAX_LIMIT) == expected
            emitted = tape.emitted_closed[interval]
            assert emitted == sorted(set(emitted))  # each closed once, in order
            assert set(open_times[:-1]) <= set(emitted)  # every kept closed candle was reported
