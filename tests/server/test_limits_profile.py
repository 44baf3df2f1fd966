"""The venue limits profile over gRPC: every call weighs one on the caller's address, new orders count
in the account's windows, refusals are RESOURCE_EXHAUSTED with RetryInfo and the figures, a ban has
its own reason; the SDK waits a rate limit out and gives up on a ban. The limits' wall clock is a
``ManualClock``: 960,000 s since the epoch opens a minute (and a 10 s window)."""

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import grpc
import pytest

from paperex.client.client import AsyncClient
from paperex.client.commands import AmendOrder, PlaceOrder
from paperex.client.enums import AlertDirection, OrderStatus, Side
from paperex.client.errors import Banned, RateLimited
from paperex.client.models import PlaceOrderResponse
from paperex.client.retry import RetryPolicy
from paperex.server.__main__ import config_from, parser
from paperex.server.core.admission import PROFILES, Limits
from paperex.server.core.venue_limits import VenueLimits
from paperex.v1 import account_pb2, admin_pb2, common_pb2, market_data_pb2
from tests.server.conftest import Exchange, ManualClock, btc_order, error_info, retry_info, serving

MINUTE_START = 960_000.0


def venue(**limits: int) -> Limits:
    """The binance profile's shape (the per-account budgets off) with small venue limits."""
    return Limits(order_rate=0, query_rate=0, anonymous_rate=0, venue=VenueLimits(**limits))  # type: ignore[arg-type]


async def _bot_key(exchange: Exchange, deposit: str) -> str:
    """A new account with ``deposit`` USDT: its API key."""
    request = admin_pb2.CreateAccountRequest(name="bot", initial_deposit=deposit)
    created = await exchange.admin.admin.CreateAccount(request, metadata=exchange.admin.auth)
    return str(created.api_key)


async def test_calls_weigh_on_the_peer_address_then_a_flood_is_refused_then_banned(tmp_path: Path) -> None:
    """3 weight a minute, 1 refusal allowed. At 960,010 s, 3 calls of Alice's pass; the 4th is refused
    RESOURCE_EXHAUSTED RATE_LIMITED with the figures and RetryInfo of the 50 s left in the minute; the
    5th bans 127.0.0.1 for 120 s (until 960,130 s): BANNED with RetryInfo 120 s. The operator's calls,
    from the same address, are not charged."""
    clock = ManualClock(MINUTE_START + 10)
    limits = venue(request_weight=3, refusals_before_ban=1)
    async with serving(tmp_path, limits=limits, limits_clock=clock) as exchange:
        alice = await exchange.open_account("alice", "1000")
        for _ in range(3):
            await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)
        with pytest.raises(grpc.aio.AioRpcError) as limited:
            await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)
        with pytest.raises(grpc.aio.AioRpcError) as banned:
            await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "60000"), metadata=alice.auth)
        listed = await exchange.admin.market.ListInstruments(
            market_data_pb2.ListInstrumentsRequest(), metadata=exchange.admin.auth
        )

    assert limited.value.code() == banned.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = error_info(limited.value)
    assert info.reason == "RATE_LIMITED"
    assert dict(info.metadata) == {
        "budget": "request_weight",
        "address": "127.0.0.1",
        "used": "3",
        "weight": "1",
        "limit": "3",
        "window": "1m",
        "retry_after": "50.000",
    }
    limited_delay = retry_info(limited.value)
    assert limited_delay is not None and limited_delay.retry_delay.ToTimedelta() == timedelta(seconds=50)
    ban = error_info(banned.value)
    assert (ban.reason, dict(ban.metadata)) == (
        "BANNED",
        {"address": "127.0.0.1", "until_ms": "960130000", "bans": "1", "retry_after": "120.000"},
    )
    ban_delay = retry_info(banned.value)
    assert ban_delay is not None and ban_delay.retry_delay.ToTimedelta() == timedelta(seconds=120)
    assert "BTCUSDT" in {instrument.symbol for instrument in listed.instruments}


async def test_the_retrying_sdk_survives_a_burst_without_losing_or_doubling_an_order(tmp_path: Path) -> None:
    """8 orders at once against 3 new orders per 10 s: the first window takes 3 and refuses the rest
    with the time left in it; the SDK waits that out (on the limits' clock) and sends them again, so
    the 8 rest in the book, once each, by their client order ids, after at least three windows (the
    clock moved 20 s or more, and only the SDK's waits move it)."""
    clock = ManualClock(MINUTE_START)
    limits = venue(request_weight=1000, orders_per_10s=3, orders_per_minute=100)
    async with serving(tmp_path, limits=limits, limits_clock=clock) as exchange:
        await exchange.set_mark("BTCUSDT", "65000")
        api_key = await _bot_key(exchange, "100000")
        policy = RetryPolicy(attempts=10, sleep=clock.wait)
        async with AsyncClient(exchange.address, api_key=api_key, retry=policy) as bot:
            orders = [PlaceOrder("BTCUSDT", Side.BUY, "0.002", price=f"{64000 + step}.0") for step in range(8)]
            placed = await asyncio.gather(*(bot.place_order(order) for order in orders))
            resting = await bot.open_orders("BTCUSDT")

    assert clock.now >= MINUTE_START + 20
    assert [reply.duplicate for reply in placed] == [False] * 8
    assert len({reply.order.order_id for reply in placed}) == 8
    assert sorted(order.client_order_id for order in resting) == sorted(order.client_order_id for order in orders)


async def test_the_sdk_gives_up_on_a_ban_at_once(tmp_path: Path) -> None:
    """1 weight a minute and no refusal allowed: the second call bans the address for 2 minutes, and
    the SDK raises ``Banned`` (not a ``RateLimited``) with the ban's 120 s, without waiting (its clock
    did not move)."""
    clock = ManualClock(MINUTE_START)
    limits = venue(request_weight=1, refusals_before_ban=0)
    async with serving(tmp_path, limits=limits, limits_clock=clock) as exchange:
        api_key = await _bot_key(exchange, "1000")
        policy = RetryPolicy(attempts=10, sleep=clock.wait)
        async with AsyncClient(exchange.address, api_key=api_key, retry=policy) as bot:
            await bot.open_orders()
            with pytest.raises(Banned) as banned:
                await bot.open_orders()

    assert not isinstance(banned.value, RateLimited)
    assert banned.value.retry_after == timedelta(seconds=120)
    assert banned.value.metadata["until_ms"] == "960120000"
    assert clock.now == MINUTE_START


def test_paperex_serve_selects_the_profile_and_its_flags_override_it() -> None:
    """``--limits`` picks the profile (default: the server's budgets, no venue limits); a limit flag
    given beside it wins over the profile's value, the others are the profile's."""

    def limits(*options: str) -> Limits:
        return config_from(parser().parse_args(["serve", *options])).limits

    assert limits() == Limits()
    assert limits("--limits", "binance") == PROFILES["binance"]
    assert limits("--limits", "binance", "--order-rate", "5") == replace(PROFILES["binance"], order_rate=5.0)
    assert limits("--query-rate", "7").venue is None


async def test_the_retrying_sdk_waits_out_a_rate_limit_on_amends_cancels_and_settings(tmp_path: Path) -> None:
    """2 weight a minute (every call weighs 1), from 960,030 s. Bids A and B use the minute. The amend
    of A to 63,000 is refused with the 30 s left: the SDK waits them on the limits' clock and amends
    at 960,060 (1 used); B's cancel (2). The leverage change is refused, waited 60 s, set to 5 at
    960,120 (1); A's cancel (2); a price alert refused, waited, created at 960,180. Each refusal did
    nothing (A amended once, each cancel answered CANCELED), and only the SDK's waits moved the clock:
    30 + 60 + 60 = 150 s."""
    clock = ManualClock(MINUTE_START + 30)
    limits = venue(request_weight=2, refusals_before_ban=5)
    async with serving(tmp_path, limits=limits, limits_clock=clock) as exchange:
        await exchange.set_mark("BTCUSDT", "65000")
        api_key = await _bot_key(exchange, "100000")
        policy = RetryPolicy(attempts=3, sleep=clock.wait)
        async with AsyncClient(exchange.address, api_key=api_key, retry=policy) as bot:
            first = await bot.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.002", price="64000"))
            second = await bot.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.002", price="64100"))
            amended = await bot.amend_order(AmendOrder("BTCUSDT", order_id=first.order.order_id, price="63000"))
            second_canceled = await bot.cancel_order("BTCUSDT", order_id=second.order.order_id)
            settings = await bot.set_leverage("BTCUSDT", 5)
            first_canceled = await bot.cancel_order("BTCUSDT", order_id=first.order.order_id)
            alert = await bot.create_price_alert("BTCUSDT", AlertDirection.CROSSES_ABOVE, "70000")

    assert clock.now == MINUTE_START + 180
    assert (amended.order.price, amended.order.status) == (Decimal("63000"), OrderStatus.NEW)
    assert second_canceled.status is first_canceled.status is OrderStatus.CANCELED
    assert settings.leverage == 5
    assert (alert.symbol, alert.price) == ("BTCUSDT", Decimal("70000"))


async def test_an_order_session_batch_refused_whole_for_the_order_window_is_sent_again_after_it(
    tmp_path: Path,
) -> None:
    """2 new orders per 10 s, from 960,000 s. A session's first batch places C; the next, D and E, would
    make 3 in the window and is refused whole with the 10 s left; the SDK's session waits them on the
    limits' clock and sends it again at 960,010, where both rest: three orders, once each."""
    clock = ManualClock(MINUTE_START)
    limits = venue(request_weight=1000, orders_per_10s=2, orders_per_minute=100)
    async with serving(tmp_path, limits=limits, limits_clock=clock) as exchange:
        await exchange.set_mark("BTCUSDT", "65000")
        api_key = await _bot_key(exchange, "100000")
        policy = RetryPolicy(attempts=3, sleep=clock.wait)
        async with AsyncClient(exchange.address, api_key=api_key, retry=policy) as bot:
            orders = [PlaceOrder("BTCUSDT", Side.BUY, "0.002", price=f"{64000 + step}") for step in range(3)]
            async with bot.order_session() as session:
                first = await session.submit(orders[:1])
                rest = await session.submit(orders[1:])
            resting = await bot.open_orders("BTCUSDT")

    assert clock.now == MINUTE_START + 10
    assert all(isinstance(result, PlaceOrderResponse) and not result.duplicate for result in first + rest)
    assert sorted(order.client_order_id for order in resting) == sorted(order.client_order_id for order in orders)
