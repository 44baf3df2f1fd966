"""paperex.server.market.feeds: determinism by seed, scripted paths hitting their targets, CSV replay, correlation.

Times are offsets from T0 = 2024-01-01 00:00:00 UTC. Expected prices are worked by hand in the
comments; output is rounded half-even to the tick (BTCUSDT 0.1, ETHUSDT 0.01).
"""

import dataclasses
import itertools
import math
from decimal import Decimal

import pytest

from paperex.engine.instruments import DEFAULT_INSTRUMENTS, Instrument
from paperex.server.market.feeds import (
    Fixed,
    IndexJump,
    Jumps,
    MarketFeed,
    Path,
    RandomWalk,
    Replay,
    Segment,
    Track,
    cholesky,
    correlation_matrix,
    parse_timestamp,
)

S = 10**9
M = 60 * S
H = 60 * M
D = 24 * H
T0 = 1_704_067_200 * S
BTC, ETH = "BTCUSDT", "ETHUSDT"
CRASH = Path(Decimal("64900"), (Segment(H, Decimal("-0.2")), Segment(3 * H, Decimal("0.08"))))
CRASH_ETH = Path(Decimal("3400"), (Segment(H, Decimal("-0.2")),))


def feed(tracks: dict[str, Track], seed: int = 1, **options: object) -> MarketFeed:
    return MarketFeed(tracks, DEFAULT_INSTRUMENTS, seed=seed, start_ns=T0, **options)  # type: ignore[arg-type]


def series(market: MarketFeed, steps: int, step_ns: int = S) -> list[dict[str, Decimal]]:
    return [market.prices(T0 + k * step_ns) for k in range(steps + 1)]


def log_returns(prices: list[Decimal]) -> list[float]:
    return [math.log(float(b) / float(a)) for a, b in itertools.pairwise(prices)]


def sample_correlation(xs: list[float], ys: list[float]) -> float:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    return cov / math.sqrt(var_x * var_y)


# --- scripted paths -------------------------------------------------------------------------------


def test_path_segments_hit_their_targets_exactly_and_interpolate_geometrically() -> None:
    market = feed({BTC: CRASH})
    assert market.prices(T0) == {BTC: Decimal("64900.0")}
    # Halfway down: 64,900 x 0.8^(1/2) = 64,900 x 0.8944272 = 58,048.32 -> 58,048.3.
    assert market.prices(T0 + 30 * M)[BTC] == Decimal("58048.3")
    # -20% over one hour: 64,900 x 0.8 = 51,920.0 exactly at t = 1 h.
    assert market.prices(T0 + H)[BTC] == Decimal("51920.0")
    # Halfway up the +8% leg: 51,920 x 1.08^(1/2) = 51,920 x 1.0392305 = 53,956.85 -> 53,956.8.
    assert market.prices(T0 + H + 90 * M)[BTC] == Decimal("53956.8")
    # 51,920 x 1.08 = 56,073.6 at 4 h; after the script the last price holds.
    assert market.prices(T0 + 4 * H)[BTC] == Decimal("56073.6")
    assert market.prices(T0 + 10 * H)[BTC] == Decimal("56073.6")
    assert CRASH.targets() == (Decimal("51920.0"), Decimal("56073.60"))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_brownian_bridge_noise_wanders_but_still_ends_every_segment_on_target(seed: int) -> None:
    noisy = dataclasses.replace(CRASH, segments=tuple(dataclasses.replace(s, noise=3.0) for s in CRASH.segments))
    quiet, loud = series(feed({BTC: CRASH}), 4 * 360, 10 * S), series(feed({BTC: noisy}, seed), 4 * 360, 10 * S)
    assert loud[360][BTC] == Decimal("51920.0")  # t = 1 h: 64,900 x 0.8
    assert loud[4 * 360][BTC] == Decimal("56073.6")  # t = 4 h: 51,920 x 1.08
    moved = sum(a[BTC] != b[BTC] for a, b in zip(quiet, loud, strict=True))
    assert moved > 1000  # the noise is real: nearly every one of the 1,439 inner steps differs
    # 300% a year is 3.2% an hour; a bridge over 1 h never strays 10% from the line.
    assert all(abs(b[BTC] / a[BTC] - 1) < Decimal("0.1") for a, b in zip(quiet, loud, strict=True))


def test_after_the_script_the_price_holds_or_keeps_the_last_noise() -> None:
    script = (Segment(10 * S, Decimal("0.10"), noise=2.0),)
    hold = series(feed({BTC: Path(Decimal("64900"), script, "hold")}), 600)
    noise = series(feed({BTC: Path(Decimal("64900"), script, "noise")}), 600)
    assert hold[10][BTC] == noise[10][BTC] == Decimal("71390.0")  # 64,900 x 1.1
    assert {p[BTC] for p in hold[10:]} == {Decimal("71390.0")}
    assert len({p[BTC] for p in noise[10:]}) > 100


def test_prices_are_clamped_to_the_instruments_price_filter() -> None:
    down = Path(Decimal("64900"), (Segment(H, Decimal("-0.999")),))
    up = Path(Decimal("4000000"), (Segment(H, Decimal("0.5")),))
    market = feed({BTC: down, ETH: Fixed(Decimal("3400"))})
    # 64,900 x 0.001 = 64.9, below BTCUSDT's min_price 556.8.
    assert market.prices(T0 + H)[BTC] == Decimal("556.8")
    # 4,000,000 x 1.5 = 6,000,000, above max_price 4,529,764.
    assert feed({BTC: up}).prices(T0 + H)[BTC] == Decimal("4529764.0")


# --- random walks ---------------------------------------------------------------------------------


def walks(volatility: float = 0.6) -> dict[str, Track]:
    return {
        BTC: RandomWalk(Decimal("64900"), volatility=volatility, jumps=Jumps(24, -0.005, 0.01)),
        ETH: RandomWalk(Decimal("3400"), volatility=volatility * 1.2),
    }


def test_the_same_seed_gives_the_same_prices_and_another_seed_other_prices() -> None:
    first = series(feed(walks(), seed=7, correlation=0.9), 2000)
    again = series(feed(walks(), seed=7, correlation=0.9), 2000)
    other = series(feed(walks(), seed=8, correlation=0.9), 2000)
    assert first == again
    assert first[-1][BTC] != other[-1][BTC] and first[-1][ETH] != other[-1][ETH]
    assert sum(a != b for a, b in zip(first, other, strict=True)) > 1900


def test_an_instruments_path_does_not_depend_on_the_other_instruments() -> None:
    alone = [p[BTC] for p in series(feed({BTC: walks()[BTC]}, seed=3), 500)]
    paired = [p[BTC] for p in series(feed(walks(), seed=3), 500)]
    assert alone == paired


def test_a_walk_without_volatility_compounds_its_drift() -> None:
    flat = feed({BTC: RandomWalk(Decimal("64900"))})
    assert {p[BTC] for p in series(flat, 100)} == {Decimal("64900.0")}
    # 10% a year for one day in 24 hourly steps: 64,900 x e^(0.1 / 365) = 64,900 x 1.00027401 = 64,917.78.
    drifting = MarketFeed(
        {BTC: RandomWalk(Decimal("64900"), drift=0.1)}, DEFAULT_INSTRUMENTS, seed=1, start_ns=T0, step_ns=H
    )
    assert drifting.prices(T0 + D)[BTC] == Decimal("64917.8")


def test_a_mean_reverting_walk_halves_its_distance_to_the_mean_every_half_life() -> None:
    walk = RandomWalk(Decimal("64900"), half_life_ns=H, mean=Decimal("70000"))
    market = MarketFeed({BTC: walk}, DEFAULT_INSTRUMENTS, seed=1, start_ns=T0, step_ns=M)
    # Half the log distance: sqrt(64,900 x 70,000) = sqrt(4,543,000,000) = 67,401.78.
    assert market.prices(T0 + H)[BTC] == Decimal("67401.8")
    # A quarter: 70,000 x (64,900 / 70,000)^(1/4) = 70,000 x 0.9812658 = 68,688.61.
    assert market.prices(T0 + 2 * H)[BTC] == Decimal("68688.6")


def test_jumps_arrive_at_about_their_intensity() -> None:
    # No diffusion, 48 jumps a day of 1% (log) std: steps that move more than 0.1% are the jumps with
    # |size| > 0.1%, expected 48 x P(|N(0, 1)| > 0.1) = 48 x 0.92 = 44 (Poisson sd about 7).
    market = feed({BTC: RandomWalk(Decimal("64900"), jumps=Jumps(48, 0.0, 0.01))})
    returns = log_returns([p[BTC] for p in series(market, 86_400)])
    assert 20 <= sum(abs(r) > 0.001 for r in returns) <= 80


@pytest.mark.parametrize("rho", [0.9, -0.5])
def test_log_returns_of_two_walks_have_the_correlation_asked_for(rho: float) -> None:
    # 20,000 one-minute steps: the sample correlation's standard error is (1 - rho^2) / sqrt(20,000),
    # under 0.006; 0.03 is a loose bound and the seed is fixed, so the test is deterministic.
    # No jumps here: each instrument's jumps are its own and would dilute the correlation.
    tracks: dict[str, Track] = {
        BTC: RandomWalk(Decimal("64900"), volatility=0.8),
        ETH: RandomWalk(Decimal("3400"), volatility=1.0),
    }
    market = MarketFeed(tracks, DEFAULT_INSTRUMENTS, seed=11, start_ns=T0, step_ns=M, correlation=rho)
    prices = series(market, 20_000, M)
    btc, eth = log_returns([p[BTC] for p in prices]), log_returns([p[ETH] for p in prices])
    assert abs(sample_correlation(btc, eth) - rho) < 0.03


def test_three_walks_follow_a_correlation_matrix() -> None:
    sol = dataclasses.replace(DEFAULT_INSTRUMENTS[ETH], symbol="SOLUSDT")
    instruments: dict[str, Instrument] = {**DEFAULT_INSTRUMENTS, "SOLUSDT": sol}
    matrix = [[1.0, 0.6, 0.3], [0.6, 1.0, 0.5], [0.3, 0.5, 1.0]]
    tracks: dict[str, Track] = {
        BTC: RandomWalk(Decimal("64900"), volatility=0.8),
        ETH: RandomWalk(Decimal("3400"), volatility=0.8),
        "SOLUSDT": RandomWalk(Decimal("150"), volatility=0.8),
    }
    market = MarketFeed(tracks, instruments, seed=5, start_ns=T0, step_ns=M, correlation=matrix)
    prices = series(market, 20_000, M)
    returns = [log_returns([p[symbol] for p in prices]) for symbol in (BTC, ETH, "SOLUSDT")]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert abs(sample_correlation(returns[i], returns[j]) - matrix[i][j]) < 0.03


def test_cholesky_factor_and_correlation_inputs() -> None:
    # [[1, .5], [.5, 1]] = L Lt with L = [[1, 0], [.5, sqrt(1 - .25) = 0.8660254]].
    lower = cholesky([[1.0, 0.5], [0.5, 1.0]])
    assert lower[0] == [1.0, 0.0] and lower[1][0] == 0.5 and abs(lower[1][1] - 0.8660254) < 1e-7
    assert cholesky([[1.0, 1.0], [1.0, 1.0]]) == [[1.0, 0.0], [1.0, 0.0]]  # rho = 1: the same shock
    assert correlation_matrix([BTC, ETH], {(ETH, BTC): -0.3}) == [[1.0, -0.3], [-0.3, 1.0]]
    with pytest.raises(ValueError, match="not positive semi-definite"):
        # x = (1, -1, 1) gives xt A x = 3 - 2 x 2.7 < 0.
        cholesky([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    with pytest.raises(ValueError, match="SOLUSDT has no random feed"):
        correlation_matrix([BTC, ETH], {(BTC, "SOLUSDT"): 0.5})
    with pytest.raises(ValueError, match="exactly two"):
        correlation_matrix([BTC], 0.5)


def test_correlating_a_feed_without_randomness_is_refused() -> None:
    with pytest.raises(ValueError, match="ETHUSDT has no random feed"):
        feed({BTC: walks()[BTC], ETH: Fixed(Decimal("3400"))}, correlation={(BTC, ETH): 0.9})


# --- replay ---------------------------------------------------------------------------------------

CSV = """timestamp,price
1700000000,64900.0
1700000060,65020.0
1700000120,64960.5
"""
ROW0 = 1_700_000_000 * S


def test_replay_reproduces_the_rows_and_interpolates_linearly_between_them() -> None:
    market = feed({BTC: Replay.from_csv(CSV)})
    assert [market.prices(T0 + t * S)[BTC] for t in (0, 60, 120)] == [
        Decimal("64900.0"),
        Decimal("65020.0"),
        Decimal("64960.5"),
    ]
    market = feed({BTC: Replay.from_csv(CSV)})
    # 15 s into the first minute: 64,900 + 120 x 15/60 = 64,930.0.
    assert market.prices(T0 + 15 * S)[BTC] == Decimal("64930.0")
    # 30 s into the second: 65,020 - 59.5 x 30/60 = 64,990.25, half-even to the tick: 64,990.2.
    assert market.prices(T0 + 90 * S)[BTC] == Decimal("64990.2")
    assert market.prices(T0 + 300 * S)[BTC] == Decimal("64960.5")  # after the last row, the last price


def test_step_replay_holds_each_row_until_the_next() -> None:
    market = feed({BTC: Replay.from_csv(CSV, mode="step")})
    expected = {0: "64900.0", 15: "64900.0", 59: "64900.0", 60: "65020.0", 90: "65020.0", 120: "64960.5"}
    assert {t: str(market.prices(T0 + t * S)[BTC]) for t in expected} == expected


def test_before_the_first_row_the_replay_shows_the_first_price() -> None:
    # The feed start plays CSV time 30 s before the first row.
    market = feed({BTC: Replay.from_csv(CSV, origin_ns=ROW0 - 30 * S)})
    assert market.prices(T0)[BTC] == market.prices(T0 + 30 * S)[BTC] == Decimal("64900.0")
    assert market.prices(T0 + 45 * S)[BTC] == Decimal("64930.0")  # 15 s into the first minute
    assert market.prices(T0 + 90 * S)[BTC] == Decimal("65020.0")


def test_speed_runs_the_recording_faster() -> None:
    # x60: one feed second is one CSV minute, so each step lands on the next row.
    fast = feed({BTC: Replay.from_csv(CSV, speed=Decimal(60))})
    assert [fast.prices(T0 + t * S)[BTC] for t in (0, 1, 2)] == [
        Decimal("64900.0"),
        Decimal("65020.0"),
        Decimal("64960.5"),
    ]
    # x30: one feed second is half a CSV minute: 64,900 + 120 / 2 = 64,960.0.
    assert feed({BTC: Replay.from_csv(CSV, speed=Decimal(30))}).prices(T0 + S)[BTC] == Decimal("64960.0")


def test_binance_kline_export_reads_open_time_against_close() -> None:
    klines = (
        "1700000000000,64890.1,64950.0,64880.0,64900.0,12.5,1700000059999,811250.0,100,6.1,395000.0,0\n"
        "1700000060000,64900.0,65050.0,64890.0,65020.0,9.2,1700000119999,598000.0,80,4.0,260000.0,0\n"
    )
    replay = Replay.from_binance_klines(klines)
    assert replay.rows == ((ROW0, Decimal("64900.0")), (ROW0 + 60 * S, Decimal("65020.0")))
    # Binance spot files since 2025 carry microseconds; the magnitude tells them apart.
    micro = klines.replace("1700000000000,", "1700000000000000,").replace("1700000060000,", "1700000060000000,")
    assert Replay.from_binance_klines(micro).rows == replay.rows


def test_iso_timestamps_and_rebasing() -> None:
    replay = Replay.from_csv("2024-01-01T00:00:00Z,3400.00\n2024-01-01 00:01:00,3412.00\n", start=Decimal("1700"))
    assert [row[0] for row in replay.rows] == [T0, T0 + M]
    market = feed({ETH: replay})
    # Rebased so the first row reads 1,700: every price is halved, 3,412 -> 1,706.00.
    assert market.prices(T0)[ETH] == Decimal("1700.00")
    assert market.prices(T0 + M)[ETH] == Decimal("1706.00")
    assert parse_timestamp("1700000000.5") == ROW0 + S // 2


def test_bad_csv_rows_are_refused_with_their_line() -> None:
    with pytest.raises(ValueError, match="CSV line 3"):
        Replay.from_csv("t,p\n1700000000,64900\n1700000060,abc\n")
    with pytest.raises(ValueError, match="increase strictly"):
        Replay.from_csv("1700000060,64900\n1700000000,65000\n")
    with pytest.raises(ValueError, match="at least one row"):
        Replay.from_csv("time,price\n")


# --- the market feed ------------------------------------------------------------------------------


def test_scheduled_jumps_move_the_index_and_everything_after_it() -> None:
    jumps = [IndexJump(30 * S, BTC, Decimal("-0.1")), IndexJump(30 * M, ETH, Decimal("0.1"))]
    market = feed({BTC: Fixed(Decimal("64900")), ETH: CRASH_ETH}, jumps=jumps)
    assert market.prices(T0 + 29 * S)[BTC] == Decimal("64900.0")
    assert market.prices(T0 + 30 * S)[BTC] == Decimal("58410.0")  # 64,900 x 0.9
    # ETH -20% over 1 h, +10% at 30 min: 3,400 x 0.8 x 1.1 = 2,992.00 at 1 h.
    assert market.prices(T0 + H)[ETH] == Decimal("2992.00")


def test_prices_step_at_fixed_intervals_and_time_never_goes_back() -> None:
    market = MarketFeed({BTC: CRASH}, DEFAULT_INSTRUMENTS, seed=1, start_ns=T0, step_ns=30 * M)
    assert market.prices(T0 - H)[BTC] == Decimal("64900.0")  # before the start: the start price
    assert market.prices(T0 + 29 * M)[BTC] == Decimal("64900.0")  # still step 0
    assert market.prices(T0 + 59 * M)[BTC] == Decimal("58048.3")  # step 1 at 30 min
    assert market.ticks(T0 + H) == {BTC: 519_200}
    assert (market.step, market.time_ns, market.next_step_ns) == (2, T0 + H, T0 + 90 * M)
    with pytest.raises(ValueError, match="backwards"):
        market.prices(T0)


def test_every_price_sits_on_its_tick() -> None:
    prices = series(feed(walks(), seed=4, correlation=0.8), 1000)
    assert {p[BTC].as_tuple().exponent for p in prices} == {-1}
    assert {p[ETH].as_tuple().exponent for p in prices} == {-2}


def test_invalid_tracks_are_refused() -> None:
    with pytest.raises(ValueError, match="above -100%"):
        Segment(H, Decimal("-1"))
    with pytest.raises(ValueError, match="no drift"):
        RandomWalk(Decimal("64900"), drift=0.1, half_life_ns=H)
    with pytest.raises(ValueError, match="whole number"):
        feed({BTC: Path(Decimal("64900"), (Segment(S + 1, Decimal("0.1")),))})
    with pytest.raises(ValueError, match="not an instrument"):
        feed({"DOGEUSDT": Fixed(Decimal("0.1"))})
