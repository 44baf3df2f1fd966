"""paperex.server.market.scenarios: the shipped library parses and runs, scripted moves land where the files say,
liquidity regimes follow the clock, and bad files fail with the key path at fault.

Times are offsets from T0 = 2024-01-01 00:00:00 UTC; expected prices are worked by hand.
"""

import dataclasses
from decimal import Decimal
from pathlib import Path as FilePath

import pytest

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.server.market.feeds import MarketFeed, Path, RandomWalk, Replay
from paperex.server.market.scenarios import NORMAL_LIQUIDITY, Liquidity, Scenario, ScenarioError, library, load, parse

S = 10**9
M = 60 * S
H = 60 * M
T0 = 1_704_067_200 * S
BTC, ETH = "BTCUSDT", "ETHUSDT"
LIBRARY = ["calm", "chop", "flash-crash", "liquidity-drought", "squeeze", "trend-up"]

BASE = """
name = "custom"
duration = "2h"

[instruments.BTCUSDT]
start = 64900
feed = "path"
segments = [{ duration = "1h", change = "0%" }, { duration = "1h", change = "-20%" }]

[instruments.ETHUSDT]
start = 3400
feed = "walk"
volatility = "50%"
"""


def top(text: str, extra: str) -> str:
    """Add top-level keys (appended at the end they would land in the last table)."""
    return text.replace('duration = "2h"\n', 'duration = "2h"\n' + extra)


def at(feed: MarketFeed, offset_ns: int) -> dict[str, Decimal]:
    return feed.prices(T0 + offset_ns)


def test_the_library_ships_the_six_named_scenarios() -> None:
    scenarios = library()
    assert sorted(scenarios) == LIBRARY
    for name, scenario in scenarios.items():
        assert scenario.name == name and scenario.description
        assert scenario.symbols == (BTC, ETH)
        assert scenario.step_ns == S


@pytest.mark.parametrize("name", LIBRARY)
def test_every_library_scenario_runs_its_whole_duration_inside_the_price_filters(name: str) -> None:
    scenario = load(name, seed=1)
    feed = scenario.feed(DEFAULT_INSTRUMENTS, T0)
    starts = {BTC: Decimal("64900.0"), ETH: Decimal("3400.00")}
    assert feed.prices(T0) == starts
    steps = scenario.duration_ns // scenario.step_ns
    low = {symbol: starts[symbol] for symbol in starts}
    high = dict(low)
    for k in range(1, steps + 1):
        for symbol, price in feed.prices(T0 + k * scenario.step_ns).items():
            low[symbol], high[symbol] = min(low[symbol], price), max(high[symbol], price)
    assert feed.step == steps
    for symbol, instrument in DEFAULT_INSTRUMENTS.items():
        # Never pinned at a bound of the price filter, and no scenario more than halves or doubles a price.
        assert instrument.min_price * instrument.tick_size < low[symbol]
        assert high[symbol] < instrument.max_price * instrument.tick_size
        assert starts[symbol] / 2 < low[symbol] and high[symbol] < starts[symbol] * 2


@pytest.mark.parametrize("seed", [1, 2])
def test_flash_crash_takes_btc_down_20_percent_in_an_hour_with_eth_alongside(seed: int) -> None:
    scenario = load("flash-crash", seed)
    feed = scenario.feed(DEFAULT_INSTRUMENTS, T0)
    assert at(feed, 0) == {BTC: Decimal("64900.0"), ETH: Decimal("3400.00")}
    # 64,900 x 0.8 = 51,920.0; 3,400 x 0.78 = 2,652.00 (-22%, within the -20% to -25% asked for).
    assert at(feed, H) == {BTC: Decimal("51920.0"), ETH: Decimal("2652.00")}
    # Partial recovery: 51,920 x 1.08 = 56,073.6; 2,652 x 1.09 = 2,890.68.
    assert at(feed, 4 * H) == {BTC: Decimal("56073.6"), ETH: Decimal("2890.68")}
    assert scenario.correlation == ((BTC, ETH, 0.9),)


def test_flash_crash_liquidity_thins_during_the_crash() -> None:
    scenario = library()["flash-crash"]
    assert scenario.liquidity_at(0, BTC) == NORMAL_LIQUIDITY  # orders placed at the load meet a normal book
    assert scenario.liquidity_at(M, BTC) == Liquidity(Decimal(5), Decimal("0.2"))  # spread x5, depth 20%
    assert scenario.liquidity_at(59 * M, ETH) == Liquidity(Decimal(5), Decimal("0.2"))
    assert scenario.liquidity_at(H + 30 * M, BTC) == Liquidity(Decimal(2), Decimal("0.5"))
    assert scenario.liquidity_at(2 * H, BTC) == NORMAL_LIQUIDITY


def test_squeeze_gaps_up_then_rallies_to_plus_12_percent_in_30_minutes() -> None:
    feed = load("squeeze", 3).feed(DEFAULT_INSTRUMENTS, T0)
    # The +3% gap at 1 h: 64,900 x 1.03 = 66,847.0; ETH has no gap.
    assert at(feed, H) == {BTC: Decimal("66847.0"), ETH: Decimal("3400.00")}
    # +8.75% more by 1 h 30: 66,847 x 1.0875 = 72,696.1125 -> 72,696.1 (+12.0%); ETH 3,400 x 1.09 = 3,706.00.
    assert at(feed, 90 * M) == {BTC: Decimal("72696.1"), ETH: Decimal("3706.00")}
    # The fade: 72,696.1125 x 0.96 = 69,788.268 -> 69,788.3; 3,706 x 0.97 = 3,594.82.
    assert at(feed, 3 * H) == {BTC: Decimal("69788.3"), ETH: Decimal("3594.82")}
    assert library()["squeeze"].liquidity_at(75 * M, BTC) == Liquidity(Decimal(4), Decimal("0.25"))


def test_trend_up_ends_the_day_15_percent_higher() -> None:
    feed = load("trend-up", 9).feed(DEFAULT_INSTRUMENTS, T0)
    # 64,900 x 1.15 = 74,635.0; 3,400 x 1.18 = 4,012.00.
    assert at(feed, 24 * H) == {BTC: Decimal("74635.0"), ETH: Decimal("4012.00")}


def test_liquidity_drought_lasts_hours_and_recovers_in_stages() -> None:
    scenario = library()["liquidity-drought"]
    assert scenario.liquidity_at(30 * M, BTC) == NORMAL_LIQUIDITY
    assert scenario.liquidity_at(2 * H, ETH) == Liquidity(Decimal(10), Decimal("0.1"))
    assert scenario.liquidity_at(7 * H + 10 * M, BTC) == Liquidity(Decimal(3), Decimal("0.4"))
    assert scenario.liquidity_at(7 * H + 45 * M, BTC) == NORMAL_LIQUIDITY
    assert all(isinstance(track, RandomWalk) for track in scenario.tracks.values())


def test_chop_is_a_mean_reverting_walk() -> None:
    tracks = library()["chop"].tracks
    assert [track.half_life_ns for track in tracks.values() if isinstance(track, RandomWalk)] == [4 * H, 4 * H]


def test_the_same_seed_replays_a_scenario_and_another_seed_differs() -> None:
    def run(seed: int) -> list[dict[str, Decimal]]:
        feed = load("chop", seed).feed(DEFAULT_INSTRUMENTS, T0)
        return [feed.prices(T0 + k * 10 * S) for k in range(500)]

    assert run(5) == run(5)
    assert run(5)[-1] != run(6)[-1]
    assert load("chop", 5).seed == 5
    # feed(seed=...) overrides the scenario's seed.
    assert library()["chop"].feed(DEFAULT_INSTRUMENTS, T0, seed=5).prices(T0 + 4990 * S) == run(5)[-1]


def test_start_prices_can_come_from_the_running_exchange() -> None:
    feed = library()["flash-crash"].feed(DEFAULT_INSTRUMENTS, T0, start_prices={BTC: Decimal("60000")})
    assert at(feed, H)[BTC] == Decimal("48000.0")  # 60,000 x 0.8


def test_a_scenario_can_be_given_as_toml_text() -> None:
    scenario = load(BASE, seed=4)
    assert (scenario.name, scenario.seed, scenario.duration_ns) == ("custom", 4, 2 * H)
    assert isinstance(scenario.tracks[BTC], Path) and isinstance(scenario.tracks[ETH], RandomWalk)
    feed = scenario.feed(DEFAULT_INSTRUMENTS, T0)
    assert at(feed, 2 * H)[BTC] == Decimal("51920.0")


def test_replay_feeds_from_inline_csv_and_from_a_file_beside_the_scenario(tmp_path: FilePath) -> None:
    klines = "1700000000000,1,1,1,64900.0,0\n1700000060000,1,1,1,65020.0,0\n1700000120000,1,1,1,64960.5,0\n"
    inline = f"""
name = "replayed"
duration = "1h"
[instruments.BTCUSDT]
feed = "replay"
format = "binance"
speed = 60
csv_text = \"\"\"{klines}\"\"\"
"""
    feed = parse(inline).feed(DEFAULT_INSTRUMENTS, T0)
    # x60: each feed second is one CSV minute.
    assert [at(feed, t * S)[BTC] for t in (0, 1, 2, 3)] == [
        Decimal(p) for p in ("64900.0", "65020.0", "64960.5", "64960.5")
    ]
    (tmp_path / "btc.csv").write_text("time,price\n1700000000,64900.0\n1700000060,65020.0\n")
    from_file = parse(
        inline.replace(f'csv_text = """{klines}"""', 'csv = "btc.csv"\nmode = "step"').replace(
            'format = "binance"\n', ""
        ),
        base_dir=tmp_path,
    )
    track = from_file.tracks[BTC]
    assert isinstance(track, Replay) and track.mode == "step" and len(track.rows) == 2


def test_an_unknown_name_lists_the_library() -> None:
    with pytest.raises(ScenarioError, match="unknown scenario 'crash'; the library has calm, chop, flash-crash"):
        load("crash")


BAD = [
    (
        BASE.replace('change = "-20%"', 'change = "-20"'),
        "instruments.BTCUSDT.segments[1].change: '-20' is not a percentage",
    ),
    (
        BASE.replace('change = "-20%"', "change = -0.2"),
        "instruments.BTCUSDT.segments[1].change: Decimal('-0.2') is not a percentage",
    ),
    (
        BASE.replace('change = "-20%"', 'change = "-100%"'),
        "instruments.BTCUSDT.segments[1].change: '-100%' would take the price to zero or below",
    ),
    (
        BASE.replace('duration = "2h"', 'duration = "2x"'),
        "duration: '2x' is not a duration like '90s', '30m', '1h30m' or '1d'",
    ),
    (BASE.replace('duration = "2h"\n', ""), "duration: required"),
    (
        BASE.replace("volatility", "volatilty"),
        "instruments.ETHUSDT.volatilty: unknown key"
        " (expected one of drift, feed, half_life, jumps, mean, start, volatility)",
    ),
    (
        BASE.replace('feed = "walk"', 'feed = "gbm"'),
        "instruments.ETHUSDT.feed: 'gbm' is not one of path, walk, replay, fixed",
    ),
    (BASE.replace("start = 3400\n", ""), "instruments.ETHUSDT.start: required"),
    (BASE.replace("start = 3400", "start = -5"), "instruments.ETHUSDT.start: -5 is not a positive price"),
    (
        BASE.replace('volatility = "50%"', 'volatility = "-5%"'),
        "instruments.ETHUSDT.volatility: '-5%' must not be negative",
    ),
    (
        BASE + 'half_life = "1h"\ndrift = 0.1\n',
        "instruments.ETHUSDT: a mean-reverting walk has no drift: give one or the other",
    ),
    (
        BASE.replace('{ duration = "1h", change = "0%" }', '{ duration = "1500ms", change = "0%" }'),
        "instruments.BTCUSDT.segments[0].duration: '1500ms' is not a whole number of steps",
    ),
    (
        BASE.replace('"1h", change = "0%" }', '"1h", change = "0%", nois = 1 }'),
        "instruments.BTCUSDT.segments[0].nois: unknown key (expected one of change, duration, noise)",
    ),
    (
        BASE + "[correlation]\nBTCUSDT.ETHUSDT = 1.5\n",
        "correlation.BTCUSDT.ETHUSDT: Decimal('1.5') is not a correlation between -1 and 1",
    ),
    (
        BASE + "[correlation]\nBTCUSDT.SOLUSDT = 0.5\n",
        "correlation.BTCUSDT.SOLUSDT: SOLUSDT is not an instrument of the scenario",
    ),
    (
        top(BASE.replace('feed = "walk"\nvolatility = "50%"', 'feed = "fixed"'), "correlation = 0.9\n"),
        "correlation: one value needs exactly two random feeds, not 1",
    ),
    (BASE + '[[liquidity]]\nstart = "1h"\nspread = 5\ndepth = 0\n', "liquidity[0].depth: 0 must be positive"),
    (BASE + '[[liquidity]]\nstart = "1h"\nend = "30m"\nspread = 5\n', "liquidity[0].end: '30m' is not after the start"),
    (BASE + '[[events]]\nat = "3h"\nkind = "jump"\nchange = "-5%"\n', "events[0].at: '3h' is after the scenario's end"),
    (BASE + '[[events]]\nat = "1h"\nkind = "funding"\n', "events[0].kind: 'funding' is not 'jump' or 'liquidity'"),
    (
        BASE + '[[events]]\nat = "1h"\nkind = "jump"\nsymbol = "SOLUSDT"\nchange = "5%"\n',
        "events[0].symbol: SOLUSDT is not an instrument of the scenario",
    ),
    (BASE.replace('name = "custom"', "name = 5"), "name: expected a string, not 5"),
    (top(BASE, "colour = 1\n"), "colour: unknown key"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[message.split(":")[0] for _, message in BAD])
def test_bad_scenarios_name_the_key_at_fault(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse(text)
    assert str(caught.value).startswith(message)


def test_bad_toml_and_bad_replays_are_scenario_errors(tmp_path: FilePath) -> None:
    with pytest.raises(ScenarioError, match=r"^invalid TOML: "):
        parse("name = \n")
    replay = 'name = "r"\nduration = "1h"\n[instruments.BTCUSDT]\nfeed = "replay"\n'
    with pytest.raises(ScenarioError, match=r"^instruments\.BTCUSDT\.csv_text: CSV line 3: "):
        parse(replay + 'csv_text = "t,p\\n1700000000,64900\\n1700000060,lots\\n"\n')
    with pytest.raises(ScenarioError, match=r"^instruments\.BTCUSDT\.csv: a scenario given as text has no directory"):
        parse(replay + 'csv = "btc.csv"\n')
    with pytest.raises(
        ScenarioError, match=r"^instruments\.BTCUSDT\.csv: '\.\./btc\.csv' must be a plain relative path"
    ):
        parse(replay + 'csv = "../btc.csv"\n', base_dir=tmp_path)
    with pytest.raises(ScenarioError, match=r"^instruments\.BTCUSDT\.csv: cannot read 'btc\.csv'"):
        parse(replay + 'csv = "btc.csv"\n', base_dir=tmp_path)
    with pytest.raises(ScenarioError, match=r"^instruments\.BTCUSDT: give exactly one of csv"):
        parse(replay)


def test_a_scenario_must_fit_the_exchanges_instruments() -> None:
    doge = BASE.replace("instruments.ETHUSDT", "instruments.DOGEUSDT")
    with pytest.raises(ScenarioError, match=r"^instruments\.DOGEUSDT: not an instrument of this exchange"):
        parse(doge).feed(DEFAULT_INSTRUMENTS, T0)
    cheap = parse(BASE.replace("start = 64900", "start = 100"))
    with pytest.raises(ScenarioError, match=r"^instruments\.BTCUSDT\.start: 100 is outside the price filter \[556\.8"):
        cheap.feed(DEFAULT_INSTRUMENTS, T0)


def test_scenarios_are_values() -> None:
    scenario = library()["calm"]
    assert dataclasses.replace(scenario, seed=3) == load("calm", 3)
    assert isinstance(scenario, Scenario) and library() is not library()  # callers cannot edit the cache
