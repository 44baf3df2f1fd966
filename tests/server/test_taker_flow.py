"""The taker flow on a real server with a simulated clock: on ``calm`` with the liquidity provider, an
hour prints trades (candles that move, a last price beside the index), money is conserved with the
takers' account in it, that account stays out of the listings, and a restart (from the stop's snapshot)
comes back to the same state, as does applying the journal's commands to an empty exchange; ``--takers
off`` keeps the same market silent."""

from pathlib import Path

from google.protobuf import duration_pb2

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.server.__main__ import config_from, parser
from paperex.server.core.exchange import Exchange
from paperex.server.core.tape import decode
from paperex.server.market.market_script import TAKER_FLOW_NAME
from paperex.server.persistence.journal import Durability, Journal
from paperex.v1 import admin_pb2, market_data_pb2
from tests.server.conftest import Exchange as ServedExchange
from tests.server.conftest import serving

BTC, ETH = "BTCUSDT", "ETHUSDT"
HOUR = duration_pb2.Duration(seconds=3_600)
MINUTE_CANDLES = market_data_pb2.CANDLE_INTERVAL_1M


async def load_calm_and_advance_an_hour(exchange: ServedExchange) -> None:
    admin = exchange.admin
    await admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(name="calm", seed=7), metadata=admin.auth)
    await admin.admin.AdvanceTime(admin_pb2.AdvanceTimeRequest(duration=HOUR), metadata=admin.auth, timeout=120)


async def ticker(exchange: ServedExchange, symbol: str) -> market_data_pb2.Ticker:
    return (await exchange.admin.market.GetTicker(market_data_pb2.GetTickerRequest(symbol=symbol))).ticker


async def test_an_hour_of_calm_prints_trades_that_follow_the_index_and_replays_to_the_same_state(
    tmp_path: Path,
) -> None:
    """calm: 6 takers a minute per instrument, median 2,000 USDT, against the provider's quotes 1 bp
    from the index (half-spread 2 bps x 0.5). Over an hour, ~360 arrivals per instrument: the 1-minute
    candles hold trades and do not all close at one price, and the last trade sits within 10 bps of
    the index (a median order takes the touch; even the cap, 50,000 USDT, walks a few levels 1 bp apart)."""
    settings = {"clock": "simulated", "liquidity": True}
    async with serving(tmp_path, **settings) as exchange:
        await load_calm_and_advance_an_hour(exchange)
        admin = exchange.admin
        for symbol in (BTC, ETH):
            request = market_data_pb2.GetCandlesRequest(symbol=symbol, interval=MINUTE_CANDLES, limit=60)
            candles = (await admin.market.GetCandles(request)).candles
            traded = [candle for candle in candles if candle.trade_count]
            assert len(traded) >= 50, f"{symbol}: {len(traded)} of 60 minutes traded"
            assert len({candle.close for candle in traded}) > 10, f"{symbol}: flat candles"
            now = await ticker(exchange, symbol)
            last, index = float(now.last_price), float(now.index_price)
            assert abs(last - index) <= index * 0.001, f"{symbol}: last {last} vs index {index}"
            assert float(now.volume_24h) > 0
        listed = await admin.admin.ListAccounts(admin_pb2.ListAccountsRequest(), metadata=admin.auth)
        assert listed.accounts == [], "neither the provider nor the takers are user accounts"
        ledger = await admin.admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=admin.auth)
        assert ledger.imbalance == "0" and float(ledger.fees_collected) > 0
        state = exchange.server.sequencer.exchange
        takers = next(entry for entry in state.accounts.values() if entry.name == TAKER_FLOW_NAME)
        assert takers.internal and takers.key_hash == ""
        assert state.engine.position(takers.account_id, BTC).size != 0, "the takers hold what they took"
        before = (state.sequence, state.state_hash())
    async with serving(tmp_path, **settings) as restarted:  # from the snapshot the stop took
        state = restarted.server.sequencer.exchange
        assert (state.sequence, state.state_hash()) == before
    replayed = Exchange(DEFAULT_INSTRUMENTS)
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        for _, body in journal.tail(0):  # every command from the first: no snapshot involved
            replayed.apply(decode(body))
    finally:
        journal.close()
    assert (replayed.sequence, replayed.state_hash()) == before


async def test_with_takers_off_the_same_market_prints_no_trade(tmp_path: Path) -> None:
    """The same hour of calm with ``--takers off``: the provider quotes, nothing takes, no trade prints
    (the last price stays unset) and no takers' account is opened."""
    async with serving(tmp_path, clock="simulated", liquidity=True, takers=False) as exchange:
        await load_calm_and_advance_an_hour(exchange)
        for symbol in (BTC, ETH):
            now = await ticker(exchange, symbol)
            assert now.last_price in ("", "0") and now.index_price
        state = exchange.server.sequencer.exchange
        assert TAKER_FLOW_NAME not in {entry.name for entry in state.accounts.values()}


def test_serve_runs_the_taker_flow_unless_told_takers_off() -> None:
    assert config_from(parser().parse_args(["serve", "--scenario", "calm"])).takers is True
    assert config_from(parser().parse_args(["serve", "--scenario", "calm", "--takers", "off"])).takers is False
