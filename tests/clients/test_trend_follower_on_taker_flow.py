"""The trend-follower sample on a market that trades by itself: on trend-up (seed 7) with the liquidity
provider and the scenario's taker flow, the 1-minute candles move, and the bot with its default settings
(SMA 9/21, so 22 closed candles before any decision) enters within the first simulated hour (with this
seed at the 34th minute: a short on a dip). Without takers no trade prints, so no candle ever closes."""

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest

from paperex.client.bots import trend_follower
from tests.clients.conftest import LiveExchange

BTC = "BTCUSDT"


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {"clock": "simulated", "liquidity": True}


async def test_the_trend_follower_enters_within_the_first_hour_of_trend_up(live: LiveExchange) -> None:
    admin = live.admin
    assert admin is not None
    await admin.load_scenario("trend-up", seed=7)
    await admin.advance_time(timedelta(minutes=1))  # the first trades: the candle stream has something to send
    trader = await live.open_account("trend", "10000")
    follower = trend_follower.TrendFollower(trader, trend_follower.Settings(BTC))
    bot = asyncio.create_task(follower.run())
    try:
        await asyncio.wait_for(follower.streaming.wait(), 10)
        for _ in range(59):  # minutes 2..60
            seen = follower.closed_candles
            await admin.advance_time(timedelta(minutes=1))
            async with asyncio.timeout(20):
                while follower.closed_candles <= seen:  # the bot decides on each close before time moves on
                    await asyncio.sleep(0.01)
            if follower.entries:
                break
        assert follower.entries, "no entry in the first hour"
        assert follower.closed_candles >= 22, "no decision before the slow SMA has 22 closed candles"
        (entry,) = follower.entries[:1]
        positions = await trader.positions(BTC)
        assert positions and positions[0].size != 0 and entry.quantity > 0
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
