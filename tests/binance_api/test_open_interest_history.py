"""GET /futures/data/openInterestHist over HTTP and through ccxt, on a simulated clock from
2026-01-01T00:00Z, sampled every 5 minutes of exchange time.

The story: at 00:00 the mark is 65,000 and alice buys 0.010 BTC from bob (open interest 0.010). At
00:05 (the first sample: 0.010 at 65,000, value 650) the mark is set to 66,000 and alice buys 0.005
more (0.015). Ten minutes on, at 00:15, the mark is set again: the samples at 00:10 and 00:15 both
show 0.015 at 66,000, value 990 (nothing happened between them).
"""

from pathlib import Path

import aiohttp
from google.protobuf import duration_pb2

from paperex.v1 import admin_pb2, common_pb2
from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import SIMULATION_START_MS, call
from tests.server.conftest import Client, Exchange, btc_order, serving

MINUTE_MS = 60_000
SAMPLES = [
    (SIMULATION_START_MS + 5 * MINUTE_MS, "0.010", "650"),
    (SIMULATION_START_MS + 10 * MINUTE_MS, "0.015", "990"),
    (SIMULATION_START_MS + 15 * MINUTE_MS, "0.015", "990"),
]


async def advance_minutes(venue: Exchange, minutes: int) -> None:
    span = duration_pb2.Duration(seconds=minutes * 60)
    await venue.admin.admin.AdvanceTime(admin_pb2.AdvanceTimeRequest(duration=span), metadata=venue.admin.auth)


async def alice_buys(alice: Client, bob: Client, quantity: str, price: str) -> None:
    await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, quantity, price), metadata=bob.auth)
    await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, quantity), metadata=alice.auth)


async def test_open_interest_history_every_period(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """The story's samples for 5m, oldest first; 15m keeps the one at 00:15; ``limit=1`` the newest,
    with ``startTime`` the first; a period the venue does not offer is -1130. ccxt's
    fetch_open_interest_history reads the same figures."""
    async with serving(tmp_path, binance=True, clock="simulated") as venue:
        alice, bob = await venue.open_account("alice"), await venue.open_account("bob")
        await venue.set_mark("BTCUSDT", "65000")
        await alice_buys(alice, bob, "0.010", "65000")
        await advance_minutes(venue, 5)
        await venue.set_mark("BTCUSDT", "66000")
        await alice_buys(alice, bob, "0.005", "66000")
        await advance_minutes(venue, 10)
        await venue.set_mark("BTCUSDT", "66000")

        def query(**extra: str) -> dict[str, str]:
            return {"symbol": "BTCUSDT", "period": "5m", **extra}

        path = "/futures/data/openInterestHist"
        every = await call(http, venue, "GET", path, query=query())
        quarter = await call(http, venue, "GET", path, query=query(period="15m"))
        newest = await call(http, venue, "GET", path, query=query(limit="1"))
        first = await call(http, venue, "GET", path, query=query(limit="1", startTime=str(SIMULATION_START_MS)))
        refused = await call(http, venue, "GET", path, query=query(period="3m"))
        exchange = binanceusdm(venue.binance_url, alice)
        try:
            history = await exchange.fetch_open_interest_history("BTC/USDT:USDT", "5m")
        finally:
            await exchange.close()

    rows = [
        {"symbol": "BTCUSDT", "sumOpenInterest": amount, "sumOpenInterestValue": value, "timestamp": at}
        for at, amount, value in SAMPLES
    ]
    assert every == (200, rows)
    assert quarter == (200, rows[2:])
    assert newest == (200, rows[2:])
    assert first == (200, rows[:1])
    assert refused == (400, {"code": -1130, "msg": "Data sent for parameter 'period' is not valid."})
    assert [(row["timestamp"], row["openInterestAmount"], row["openInterestValue"]) for row in history] == [
        (at, float(amount), float(value)) for at, amount, value in SAMPLES
    ]
