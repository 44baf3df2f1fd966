"""The venue limits profile on the REST API: the weight and order-count headers on every answer, 429
with Retry-After, then 418 once banned, -1015 for too many new orders, all in the venue's words, one
order budget with gRPC, and ccxt's classes for them. The limits' wall clock is a ``ManualClock``:
960,000 s since the epoch opens a minute (and a 10 s window)."""

import json
from pathlib import Path

import aiohttp
import ccxt.async_support as ccxt
import grpc
import pytest

from paperex.server.core.admission import Limits
from paperex.server.core.venue_limits import VenueLimits
from paperex.v1 import common_pb2
from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import send
from tests.server.conftest import ManualClock, btc_order, error_info, serving

MINUTE_START = 960_000.0
WEIGHT, COUNT_10S, COUNT_1M = "X-MBX-USED-WEIGHT-1M", "X-MBX-ORDER-COUNT-10S", "X-MBX-ORDER-COUNT-1M"
DEPTH = {"symbol": "BTCUSDT", "limit": "5"}
"""Weighs 2 (5 to 50 levels)."""
ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002"}


def venue(**limits: int) -> Limits:
    """The binance profile's shape (the per-account budgets off) with small venue limits."""
    return Limits(order_rate=0, query_rate=0, anonymous_rate=0, venue=VenueLimits(**limits))  # type: ignore[arg-type]


async def test_a_naive_client_hammering_gets_429_then_418(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """10 weight a minute, 2 refusals allowed, bans of 120 s then 600 s. At 960,015 s, 5 order books
    of weight 2 use 2, 4, 6, 8, 10; the next 2 are 429 -1003 with the limit, Retry-After 45 (the
    minute ends at 960,060 s), still 10 used; the 8th is 418, banned until 960,135 s, Retry-After
    120; at 960,075 s still banned, 60 s left. At 960,135 s the ban is over: 200, 2 used."""
    clock = ManualClock(MINUTE_START + 15)
    limits = venue(request_weight=10, refusals_before_ban=2, ban_seconds=(120, 600))
    async with serving(tmp_path, binance=True, limits=limits, limits_clock=clock) as exchange:
        answers = [await send(http, exchange, "GET", "/fapi/v1/depth", query=DEPTH) for _ in range(8)]
        clock.now = MINUTE_START + 75
        still = await send(http, exchange, "GET", "/fapi/v1/depth", query=DEPTH)
        clock.now = MINUTE_START + 135
        over = await send(http, exchange, "GET", "/fapi/v1/depth", query=DEPTH)

    assert [(status, headers[WEIGHT]) for status, headers, _ in answers[:5]] == [
        (200, "2"),
        (200, "4"),
        (200, "6"),
        (200, "8"),
        (200, "10"),
    ]
    too_many = (
        "Too many requests; current limit is 10 requests per minute. Please use the websocket for live updates to"
        " avoid polling the API."
    )
    for status, headers, body in answers[5:7]:
        assert (status, headers["Retry-After"], headers[WEIGHT]) == (429, "45", "10")
        assert (body["code"], body["msg"]) == (-1003, too_many)
    status, headers, body = answers[7]
    banned = (
        "Way too many requests; IP banned until 960135000. Please use the websocket for live updates to avoid bans."
    )
    assert (status, headers["Retry-After"], body["code"], body["msg"]) == (418, "120", -1003, banned)
    assert (still[0], still[1]["Retry-After"]) == (418, "60")
    assert (over[0], over[1][WEIGHT]) == (200, "2")


async def test_every_answer_shows_the_usage_and_grpc_and_rest_orders_share_one_count(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """3 new orders per 10 s. Alice places 2 over gRPC (each call weighs 1 on 127.0.0.1) and 1 over REST
    (the order route weighs 0): the REST answer shows weight 2 and counts 3 and 3. A 4th over REST is
    429 -1015 in the venue's words, Retry-After 10, counts unchanged; over gRPC RATE_LIMITED (orders,
    10s) after its call's weight, 3. Her account (weight 5) shows 8 and her counts; a public answer
    the weight (9) alone."""
    clock = ManualClock(MINUTE_START)
    limits = venue(request_weight=1000, orders_per_10s=3, orders_per_minute=100)
    async with serving(tmp_path, binance=True, limits=limits, limits_clock=clock) as exchange:
        await exchange.set_mark("BTCUSDT", "65000")
        alice = await exchange.open_account("alice")
        for price in ("64000", "64001"):
            await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", price), metadata=alice.auth)
        placed = await send(http, exchange, "POST", "/fapi/v1/order", alice, form=ORDER | {"price": "64002"})
        refused = await send(http, exchange, "POST", "/fapi/v1/order", alice, form=ORDER | {"price": "64003"})
        with pytest.raises(grpc.aio.AioRpcError) as limited:
            await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "64004"), metadata=alice.auth)
        account = await send(http, exchange, "GET", "/fapi/v2/account", alice)
        ping = await send(http, exchange, "GET", "/fapi/v1/ping")

    def usage(headers: dict[str, str]) -> tuple[str | None, ...]:
        return headers.get(WEIGHT), headers.get(COUNT_10S), headers.get(COUNT_1M)

    assert (placed[0], usage(placed[1])) == (200, ("2", "3", "3"))
    status, headers, body = refused
    assert (status, headers["Retry-After"], usage(headers)) == (429, "10", ("2", "3", "3"))
    assert (body["code"], body["msg"]) == (-1015, "Too many new orders; current limit is 3 orders per TEN_SECONDS.")
    info = error_info(limited.value)
    assert (info.reason, info.metadata["budget"], info.metadata["window"]) == ("RATE_LIMITED", "orders", "10s")
    assert (account[0], usage(account[1])) == (200, ("8", "3", "3"))
    assert (ping[0], usage(ping[1])) == (200, ("9", None, None))


async def test_the_default_profile_counts_nothing_and_shows_no_usage(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    async with serving(tmp_path, binance=True) as exchange:
        alice = await exchange.open_account("alice")
        answers = [await send(http, exchange, "GET", "/fapi/v2/account", alice) for _ in range(3)]

    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert all(not {WEIGHT, COUNT_10S, COUNT_1M} & set(headers) for _, headers, _ in answers)


async def test_ccxt_meets_a_429_and_a_ban_as_ddos_protection(tmp_path: Path) -> None:
    """ccxt's binance raises DDoSProtection for HTTP 429 and 418 alike (before reading the code): 2
    weight a minute, 1 refusal allowed; server time weighs 1, so the 3rd is the 429 and the 4th the
    ban."""
    clock = ManualClock(MINUTE_START)
    limits = venue(request_weight=2, refusals_before_ban=1)
    async with serving(tmp_path, binance=True, limits=limits, limits_clock=clock) as exchange:
        exchange_client = binanceusdm(exchange.binance_url, await exchange.open_account("alice"))
        try:
            for _ in range(2):
                await exchange_client.fetch_time()
            with pytest.raises(ccxt.DDoSProtection, match="429") as limited:
                await exchange_client.fetch_time()
            with pytest.raises(ccxt.DDoSProtection, match="418") as banned:
                await exchange_client.fetch_time()
        finally:
            await exchange_client.close()

    assert "-1003" in str(limited.value) and "IP banned until 960120000" in str(banned.value)


async def test_a_batch_counts_5_on_the_10_seconds_and_1_on_the_minute_whatever_its_size(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """The venue's batchOrders weight: 5 on the 10 s order count, 1 on the minute's, 5 on the
    address's weight. A batch of 2 bids: counts 5 / 1, weight 5. A single order after it: 6 / 2,
    weight 5 (an order weighs 0). An amend batch of 1: 11 / 3, weight 10. With 12 allowed per 10 s, a
    third batch (11 + 5 > 12) is -1015 for the 10 s window and counts nothing: 11 / 3 still."""
    clock = ManualClock(MINUTE_START)
    limits = venue(orders_per_10s=12)
    async with serving(tmp_path, binance=True, limits=limits, limits_clock=clock) as exchange:
        await exchange.set_mark("BTCUSDT", "65000")
        alice = await exchange.open_account("alice")
        bids = [{**ORDER, "price": "60000"}, {**ORDER, "price": "60100"}]
        form = {"batchOrders": json.dumps(bids)}
        _, batch, placed = await send(http, exchange, "POST", "/fapi/v1/batchOrders", alice, form=form)
        _, single, _ = await send(http, exchange, "POST", "/fapi/v1/order", alice, form={**ORDER, "price": "60200"})
        moved = [{"symbol": "BTCUSDT", "orderId": placed[0]["orderId"], "side": "BUY", "quantity": "0.003",
                  "price": "60000"}]  # fmt: skip
        _, amend, amended = await send(
            http, exchange, "PUT", "/fapi/v1/batchOrders", alice, form={"batchOrders": json.dumps(moved)}
        )
        refused = await send(http, exchange, "POST", "/fapi/v1/batchOrders", alice, form=form)

    counts = [(h[COUNT_10S], h[COUNT_1M], h[WEIGHT]) for h in (batch, single, amend, refused[1])]
    assert counts == [("5", "1", "5"), ("6", "2", "5"), ("11", "3", "10"), ("11", "3", "15")]
    assert [order["status"] for order in placed] == ["NEW", "NEW"] and amended[0]["origQty"] == "0.003"
    assert (refused[0], refused[2]["code"]) == (429, -1015)
