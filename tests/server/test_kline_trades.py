"""A replayed kline file that drives trades: each bar is printed along its path, so the exchange's
candles read the file's.

The file has three 1-minute BTCUSDT bars (Binance's columns; tick 0.1, lot 0.001):

    open   high   low    close  volume   path (low first when close >= open)     lots per point
    30000  30300  29900  30200  1.2      30000 -> 29900 -> 30300 -> 30200         1200 / 4 = 300
    30200  30250  30000  30050  0.5      30200 -> 30250 -> 30000 -> 30050         500 / 4 = 125
    30050  30100  30050  30100  0.013    30050 -> 30100 (low = open, close = high) 13 / 2 = 7, 6

The last bar's prints clear the minimum notional, 100 USDT: 7 lots x 30050 = 210.35 and 6 x 30100 =
180.6. Quote volumes: 0.3 x (30000 + 29900 + 30300 + 30200) = 36120; 0.125 x (30200 + 30250 + 30000 +
30050) = 15062.5; 210.35 + 180.6 = 390.95. One trade per point: 4, 4 and 2 trades.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.server.core.exchange import Exchange as ExchangeState
from paperex.server.core.exchange_commands import LoadScenario, MarketStep
from paperex.server.core.sequencer import recover
from paperex.server.core.state_hash import state_hash
from paperex.server.core.tape import encode
from paperex.server.market.scenarios import ScenarioError, parse
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.state.candles import Interval
from paperex.v1 import admin_pb2, market_data_pb2
from tests.server.conftest import serving

KLINES = """open_time,open,high,low,close,volume,close_time,quote_volume,count
1700000040000,30000,30300,29900,30200,1.2,1700000099999,36000,900
1700000100000,30200,30250,30000,30050,0.5,1700000159999,15100,300
1700000160000,30050,30100,30050,30100,0.013,1700000219999,391,7
"""
SCENARIO = f'''
name = "kline-trades"
duration = "1h"
[instruments.BTCUSDT]
feed = "replay"
format = "binance"
trades = true
csv_text = """{KLINES}"""
'''
MINUTE = 60 * 10**9
EXPECTED = [
    ("30000.0", "30300.0", "29900.0", "30200.0", "1.200", "36120", 4),
    ("30200.0", "30250.0", "30000.0", "30050.0", "0.500", "15062.5", 4),
    ("30050.0", "30100.0", "30050.0", "30100.0", "0.013", "390.95", 2),
]


@pytest.mark.parametrize("liquidity", [False, True], ids=["alone", "beside-the-liquidity-provider-and-takers"])
async def test_the_live_candles_read_the_files_bars(tmp_path: Path, liquidity: bool) -> None:
    """Loaded on a simulated clock, then four minutes on: the three minutes from the first minute
    boundary after the load are the file's bars (table above), also with the liquidity provider quoting
    around the index (it follows the same path, so its touch never stands past a print) and a taker
    flow of 30 a minute in the scenario (a traded file's symbol gets none)."""
    scenario = SCENARIO + ("[takers]\nrate = 30\n" if liquidity else "")
    async with serving(tmp_path, clock="simulated", liquidity=liquidity) as running:
        admin = running.admin
        await admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(toml=scenario), metadata=admin.auth)
        four_minutes = Duration()
        four_minutes.FromTimedelta(timedelta(minutes=4))
        await admin.admin.AdvanceTime(admin_pb2.AdvanceTimeRequest(duration=four_minutes), metadata=admin.auth)
        request = market_data_pb2.GetCandlesRequest(symbol="BTCUSDT", interval=market_data_pb2.CANDLE_INTERVAL_1M)
        candles = [c for c in (await admin.market.GetCandles(request)).candles if c.trade_count]
    assert [(c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trade_count) for c in candles] == EXPECTED
    opens = [c.open_time.ToNanoseconds() for c in candles]
    assert opens[0] % MINUTE == 0 and opens[1:] == [opens[0] + MINUTE, opens[0] + 2 * MINUTE]


def test_a_replay_of_the_journal_prints_the_same_trades(tmp_path: Path) -> None:
    """The prints come from the journaled LoadScenario and MarketSteps alone: replayed, the state
    (candles, accounts, positions) hashes the same. Loaded 20 s past a minute, so the bars start 40 s
    later."""
    live = ExchangeState(DEFAULT_INSTRUMENTS)
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    start = 28_333_333 * MINUTE + 20 * 10**9
    commands: list[LoadScenario | MarketStep] = [LoadScenario(text=SCENARIO, ts=start)]
    commands += [MarketStep(at=at, ts=at) for at in range(start + 10**9, start + 240 * 10**9, 10**9)]
    for command in commands:
        journal.append([(live.apply(command).sequence, encode(command))])
    assert live.candles.history("BTCUSDT", Interval.M1)[-2].volume == 13
    replayed = recover(journal, lambda: ExchangeState(DEFAULT_INSTRUMENTS))
    assert state_hash(replayed) == state_hash(live)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ('feed = "replay"\ntrades = true\ncsv_text = "1,2"', r'instruments\.BTCUSDT\.trades: .*format = "binance"'),
        ('feed = "replay"\ntrades = "yes"\ncsv_text = "1,2"', r"instruments\.BTCUSDT\.trades: expected true or false"),
        ('feed = "replay"\nvolume_scale = 2\ncsv_text = "1,2"', r"instruments\.BTCUSDT\.volume_scale: .*trades = true"),
    ],
)
def test_a_traded_replay_names_the_key_at_fault(keys: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse(f'name = "x"\nduration = "1h"\n[instruments.BTCUSDT]\n{keys}\n')


def test_bars_too_short_for_their_four_points_are_refused() -> None:
    """1-minute bars with a 20 s step: four points need 4 x 20 s = 80 s."""
    with pytest.raises(ScenarioError, match=r"instruments\.BTCUSDT\.csv_text: bars of 60000000000 ns .* 80000000000"):
        parse(SCENARIO.replace('duration = "1h"', 'duration = "1h"\nstep = "20s"'))
