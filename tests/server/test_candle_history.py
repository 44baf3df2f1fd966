"""Candle history from a scenario's kline file: parsed, moved in time, scaled, summed into longer
intervals, and served by GetCandles before the first live candle.

The file used throughout has three 1-minute bars (Binance's export columns; times in ms):

    open time      open   high   low    close  volume  quote   trades
    1700000040000  29000  30000  28000  29500  2       59000   3
    1700000100000  29500  31000  29000  30500  1       30500   1
    1700000160000  30500  30500  29500  30000  0.5     15000   2

Scaled to a start price of 60000 every price doubles (60000 / 30000): bars of 58000/60000/56000/59000,
59000/62000/58000/61000 and 61000/61000/59000/60000; quote volumes double to 118000, 61000, 30000.
BTCUSDT has a 0.1 tick and a 0.001 lot, so 59000 is 590,000 ticks, 0.5 BTC 500 lots, and a quote
volume of 118000 USDT is 118000 / (0.1 x 0.001) = 1,180,000,000 tick-lots.
"""

import itertools
from pathlib import Path

import pytest

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.server.core.exchange import Exchange as ExchangeState
from paperex.server.core.exchange_commands import LoadScenario
from paperex.server.core.sequencer import recover
from paperex.server.core.state_hash import part_hash
from paperex.server.core.tape import encode
from paperex.server.market.history import KlineHistory, bars
from paperex.server.market.scenarios import ScenarioError, parse
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.state.candles import Candle, CandleStore, Interval
from paperex.v1 import admin_pb2, market_data_pb2
from tests.server.conftest import Exchange

KLINES = """open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote,ignore
1700000040000,29000,30000,28000,29500,2,1700000099999,59000,3,1,29500,0
1700000100000,29500,31000,29000,30500,1,1700000159999,30500,1,0,0,0
1700000160000,30500,30500,29500,30000,0.5,1700000219999,15000,2,0,0,0
"""
REPEATED_BAR = "1700000100000,1,1,1,1,1,1700000159999"
MINUTE = 60 * 10**9
T = 1_800_000_000_000 * 10**6
"""A time on a whole hour (1.8e12 ms / 3.6e6 ms = 500,000 hours) but not a whole day."""
BTC = DEFAULT_INSTRUMENTS["BTCUSDT"]
SCALED = [
    (T - 3 * MINUTE, 580_000, 600_000, 560_000, 590_000, 2000, 1_180_000_000, 3),
    (T - 2 * MINUTE, 590_000, 620_000, 580_000, 610_000, 1000, 610_000_000, 1),
    (T - 1 * MINUTE, 610_000, 610_000, 590_000, 600_000, 500, 300_000_000, 2),
]


def test_the_bars_are_moved_to_close_where_the_current_bar_opens_and_scaled_to_the_start() -> None:
    history = KlineHistory.from_binance_klines(KLINES)
    assert history.interval_ns == MINUTE
    assert bars(history, BTC, T, BTC.tick_size * 600_000) == SCALED


def test_unscaled_bars_keep_the_files_prices() -> None:
    """29000 USDT is 290,000 ticks; 59000 USDT of quote volume 590,000,000 tick-lots."""
    history = KlineHistory.from_binance_klines(KLINES, scale=False)
    first = bars(history, BTC, T, BTC.tick_size * 600_000)[0]
    assert first == (T - 3 * MINUTE, 290_000, 300_000, 280_000, 295_000, 2000, 590_000_000, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (KLINES.replace("1700000219999", "1700000279999"), "CSV line 4: a bar of 120000000000 ns"),
        (
            KLINES.replace("1700000160000,30500,30500,29500,30000,0.5,1700000219999", REPEATED_BAR),
            "CSV line 4: open times must increase",
        ),
        (KLINES.replace("29500,31000,29000", "29500,29000,31000"), "CSV line 3: prices out of order"),
        ("open_time,open\n", "the kline file has no bars"),
    ],
)
def test_a_broken_kline_file_is_refused_with_its_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KlineHistory.from_binance_klines(text)


def test_a_scenario_names_the_history_key_at_fault() -> None:
    text = 'name = "x"\nduration = "1h"\n[instruments.BTCUSDT]\nstart = 60000\nfeed = "fixed"\n'
    with pytest.raises(ScenarioError, match=r"history\.BTCUSDT\.csv_text: CSV line 3: prices out of order"):
        broken = KLINES.replace("29500,31000,29000", "29500,29000,31000")
        parse(text + f'[history.BTCUSDT]\ncsv_text = """{broken}"""\n')
    with pytest.raises(ScenarioError, match=r"history\.BTCUSDT\.colums: unknown key"):
        parse(text + '[history.BTCUSDT]\ncolums = 3\ncsv_text = ""\n')


def test_imported_bars_become_the_candles_of_every_interval_they_add_up_to() -> None:
    """Now is T + 30 s. 1m: the three bars, then an open candle flat at the last close (600,000).
    5m: T is on a 5-minute boundary, so the bars sum into one closed candle [T-5m, T): open 580,000,
    high 620,000, low 560,000, close 600,000, volume 2000 + 1000 + 500 = 3500, quote 1,180,000,000 +
    610,000,000 + 300,000,000 = 2,090,000,000, 3 + 1 + 2 = 6 trades; then the open flat one at T.
    1d: T is not on a day boundary, so the day's candle holds both the bars and now: it stays open."""
    store = CandleStore()
    store.replace_history("BTCUSDT", MINUTE, SCALED, T + 30 * 10**9)
    minute = store.history("BTCUSDT", Interval.M1)
    assert [(c.open_time, c.close, c.closed) for c in minute] == [
        (T - 3 * MINUTE, 590_000, True),
        (T - 2 * MINUTE, 610_000, True),
        (T - 1 * MINUTE, 600_000, True),
        (T, 600_000, False),
    ]
    assert minute[-1].volume == 0 and minute[-1].trade_count == 0
    five = store.history("BTCUSDT", Interval.M5)
    m5 = Interval.M5
    assert five == [
        Candle(T - 5 * MINUTE, m5, 580_000, 620_000, 560_000, 600_000, 3500, 2_090_000_000, 6, closed=True),
        Candle(T, m5, 600_000, 600_000, 600_000, 600_000, 0, 0, 0),
    ]
    (day,) = store.history("BTCUSDT", Interval.D1)
    assert (day.open, day.high, day.low, day.close) == (580_000, 620_000, 560_000, 600_000)
    assert (day.volume, day.closed) == (3500, False)


def test_live_trades_continue_the_imported_candles() -> None:
    """A trade of 7 lots at 601,000 at T + 40 s updates the open minute (opened flat at 600,000 without
    trades, so the trade sets its open) and the open day (high 620,000 stays; volume 3500 + 7)."""
    store = CandleStore()
    store.replace_history("BTCUSDT", MINUTE, SCALED, T + 30 * 10**9)
    store.record("BTCUSDT", T + 40 * 10**9, 601_000, 7)
    minute = store.history("BTCUSDT", Interval.M1)[-1]
    assert (minute.open_time, minute.open, minute.close) == (T, 601_000, 601_000)
    assert (minute.volume, minute.trade_count) == (7, 1)
    day = store.history("BTCUSDT", Interval.D1)[-1]
    assert (day.open, day.high, day.close, day.volume, day.trade_count) == (580_000, 620_000, 601_000, 3507, 7)


def test_a_gap_in_the_file_is_filled_flat() -> None:
    """Bars at T-5m and T-1m: the three minutes between are flat at the first bar's close, 590,000."""
    store = CandleStore()
    gapped = [(T - 5 * MINUTE, *SCALED[0][1:]), SCALED[2]]
    store.replace_history("BTCUSDT", MINUTE, gapped, T)
    minute = store.history("BTCUSDT", Interval.M1)
    assert [(c.open_time - T) // MINUTE for c in minute] == [-5, -4, -3, -2, -1, 0]
    assert [(c.open, c.close, c.volume) for c in minute[1:4]] == [(590_000, 590_000, 0)] * 3


SCENARIO = f'''
name = "warm-start"
duration = "1h"
[instruments.BTCUSDT]
start = 60000
feed = "fixed"
[history.BTCUSDT]
csv_text = """{KLINES}"""
'''


async def test_get_candles_serves_the_history_before_the_first_live_candle(simulated: Exchange) -> None:
    """Loaded on a simulated clock: the three scaled bars (prices above) are the three minutes before
    the current one, which is open and flat at the last close, 60000.0."""
    admin = simulated.admin
    await admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(toml=SCENARIO), metadata=admin.auth)
    request = market_data_pb2.GetCandlesRequest(symbol="BTCUSDT", interval=market_data_pb2.CANDLE_INTERVAL_1M)
    candles = (await admin.market.GetCandles(request)).candles
    assert [(c.open, c.high, c.low, c.close, c.volume, c.trade_count, c.closed) for c in candles] == [
        ("58000.0", "60000.0", "56000.0", "59000.0", "2.000", 3, True),
        ("59000.0", "62000.0", "58000.0", "61000.0", "1.000", 1, True),
        ("61000.0", "61000.0", "59000.0", "60000.0", "0.500", 2, True),
        ("60000.0", "60000.0", "60000.0", "60000.0", "0.000", 0, False),
    ]
    assert [c.quote_volume for c in candles] == ["118000", "61000", "30000", "0"]
    opens = [c.open_time.ToNanoseconds() for c in candles]
    assert [later - earlier for earlier, later in itertools.pairwise(opens)] == [MINUTE] * 3


def test_a_replay_of_the_journal_rebuilds_the_imported_candles(tmp_path: Path) -> None:
    """The candles come from the journaled LoadScenario alone (its text carries the file)."""
    live = ExchangeState(DEFAULT_INSTRUMENTS)
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    command = LoadScenario(text=SCENARIO, ts=T + 30 * 10**9)
    journal.append([(live.apply(command).sequence, encode(command))])
    assert len(live.candles.history("BTCUSDT", Interval.M1)) == 4
    replayed = recover(journal, lambda: ExchangeState(DEFAULT_INSTRUMENTS))
    assert part_hash(replayed, replayed.candles) == part_hash(live, live.candles)
