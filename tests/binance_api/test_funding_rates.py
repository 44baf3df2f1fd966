"""Settled funding rates over REST (fundingRate, fundingInfo) and through ccxt, on a simulated clock.

The story, from the default BTCUSDT spec (interest 0.01% per 8 hours, cap 0.3% and floor -0.3%,
8-hour interval): the clock starts at 2026-01-01T00:00Z with the mark at 64,900. Funding falls due at 08:00;
nothing sampled a premium, so the rate is the interest rate alone, 0.0001, charged at the mark 64,900.
The mark is then set to 65,000, and at 16:00 the rate is again 0.0001, charged at 65,000.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from google.protobuf import duration_pb2

from paperex.v1 import admin_pb2
from tests.binance_api import validators
from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import SIMULATION_START_MS, call
from tests.server.conftest import Exchange, serving

BTC = "BTC/USDT:USDT"
HOUR_MS = 3_600_000
EIGHT = SIMULATION_START_MS + 8 * HOUR_MS
SIXTEEN = SIMULATION_START_MS + 16 * HOUR_MS


async def advance_hours(venue: Exchange, hours: int) -> None:
    span = duration_pb2.Duration(seconds=hours * 3600)
    await venue.admin.admin.AdvanceTime(admin_pb2.AdvanceTimeRequest(duration=span), metadata=venue.admin.auth)


@pytest.fixture
async def two_fundings(tmp_path: Path) -> AsyncIterator[Exchange]:
    """The story of the module docstring."""
    async with serving(tmp_path, binance=True, clock="simulated") as venue:
        await venue.set_mark("BTCUSDT", "64900")
        await advance_hours(venue, 8)
        await venue.set_mark("BTCUSDT", "65000")
        await advance_hours(venue, 8)
        yield venue


async def test_the_funding_history_oldest_first(two_fundings: Exchange, http: aiohttp.ClientSession) -> None:
    """Both funding times of BTCUSDT with their marks, oldest first; ETHUSDT (never marked) settles at
    the same times at mark 0, and the history of every symbol lists them all by time."""
    btc = await call(http, two_fundings, "GET", "/fapi/v1/fundingRate", query={"symbol": "BTCUSDT"})
    every = await call(http, two_fundings, "GET", "/fapi/v1/fundingRate")

    assert btc == (
        200,
        [
            {"symbol": "BTCUSDT", "fundingRate": "0.00010000", "fundingTime": EIGHT, "markPrice": "64900.0"},
            {"symbol": "BTCUSDT", "fundingRate": "0.00010000", "fundingTime": SIXTEEN, "markPrice": "65000.0"},
        ],
    )
    assert [(row["symbol"], row["fundingTime"]) for row in every[1]] == [
        ("BTCUSDT", EIGHT),
        ("ETHUSDT", EIGHT),
        ("BTCUSDT", SIXTEEN),
        ("ETHUSDT", SIXTEEN),
    ]


async def test_limit_takes_the_newest_unless_a_start_time_is_sent(
    two_fundings: Exchange, http: aiohttp.ClientSession
) -> None:
    """As the venue: without ``startTime`` the newest ``limit`` (16:00), from ``startTime`` the first
    (08:00); an end time before 16:00 leaves only 08:00; limit 1001 is -1130, a start after the end -1023."""
    one = {"symbol": "BTCUSDT", "limit": "1"}
    newest = await call(http, two_fundings, "GET", "/fapi/v1/fundingRate", query=one)
    first = await call(
        http, two_fundings, "GET", "/fapi/v1/fundingRate", query=one | {"startTime": str(SIMULATION_START_MS)}
    )
    before = await call(
        http, two_fundings, "GET", "/fapi/v1/fundingRate", query={"symbol": "BTCUSDT", "endTime": str(SIXTEEN - 1)}
    )
    too_many = await call(http, two_fundings, "GET", "/fapi/v1/fundingRate", query={"limit": "1001"})
    backwards = await call(
        http, two_fundings, "GET", "/fapi/v1/fundingRate", query={"startTime": str(SIXTEEN), "endTime": str(EIGHT)}
    )

    assert [row["fundingTime"] for row in newest[1]] == [SIXTEEN]
    assert [row["fundingTime"] for row in first[1]] == [EIGHT]
    assert [row["fundingTime"] for row in before[1]] == [EIGHT]
    assert too_many == (400, {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."})
    assert backwards == (400, {"code": -1023, "msg": "Start time is greater than end time."})


async def test_funding_info_shows_each_symbols_cap_floor_and_interval(
    two_fundings: Exchange, http: aiohttp.ClientSession
) -> None:
    """BTCUSDT's configured cap 0.3% and floor -0.3% with the venue's 8 decimals, every 8 hours."""
    status, info = await call(http, two_fundings, "GET", "/fapi/v1/fundingInfo")

    assert status == 200
    assert info[0] == {
        "symbol": "BTCUSDT",
        "adjustedFundingRateCap": "0.00300000",
        "adjustedFundingRateFloor": "-0.00300000",
        "fundingIntervalHours": 8,
        "disclaimer": False,
    }
    assert [row["symbol"] for row in info] == ["BTCUSDT", "ETHUSDT"]


async def test_ccxt_fetches_the_funding_rate_and_its_history(two_fundings: Exchange) -> None:
    """ccxt's fetch_funding_rate reads premiumIndex (the last rate 0.0001, the mark 65,000, the next
    funding at 24:00) and fetch_funding_rate_history the two settled rates, which ccxt's validator accepts."""
    alice = await two_fundings.open_account("alice")
    exchange = binanceusdm(two_fundings.binance_url, alice)
    try:
        await exchange.load_markets()
        current = await exchange.fetch_funding_rate(BTC)
        history = await exchange.fetch_funding_rate_history(BTC)
        for entry in history:
            validators.funding_rate_history(exchange, {}, "fetchFundingRateHistory", entry, BTC)
    finally:
        await exchange.close()

    assert (current["fundingRate"], current["markPrice"]) == (0.0001, 65000.0)
    assert current["fundingTimestamp"] == SIMULATION_START_MS + 24 * HOUR_MS
    assert [(entry["timestamp"], entry["fundingRate"]) for entry in history] == [(EIGHT, 0.0001), (SIXTEEN, 0.0001)]
