"""The async SDK against a real server over gRPC: answers, typed refusals, retries and OrderSession."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest

from paperex.client import models
from paperex.client.client import AsyncAdmin, AsyncClient
from paperex.client.commands import AmendOrder, CancelAllOrders, CancelOrder, PlaceOrder
from paperex.client.enums import ClockMode, MarginMode, OrderStatus, Side, TimeInForce
from paperex.client.errors import (
    BatchTooLarge,
    InsufficientMargin,
    InvalidTick,
    PermissionDenied,
    PostOnlyWouldTake,
    RateLimited,
    Unauthenticated,
    Unavailable,
    UnknownOrder,
)
from paperex.client.retry import NO_RETRY, RetryPolicy
from paperex.client.sync import Admin
from paperex.server.core.admission import Limits
from tests.clients.conftest import ADMIN_TOKEN, LiveExchange

BTC = "BTCUSDT"


async def market(live: LiveExchange, mark: str = "64900") -> None:
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, mark)


async def test_a_limit_order_rests_then_fills_with_hand_computed_fees(live: LiveExchange) -> None:
    await market(live)
    maker = await live.open_account("maker", "10000")
    taker = await live.open_account("taker", "10000")
    resting = await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.010", price="64900.0"))
    assert resting.order.status is OrderStatus.NEW and resting.fills == []

    taken = await taker.place_order(PlaceOrder(BTC, Side.BUY, "0.004"))

    assert taken.order.status is OrderStatus.FILLED
    (fill,) = taken.fills
    assert (fill.price, fill.quantity, fill.is_maker) == (Decimal("64900.0"), Decimal("0.004"), False)
    assert fill.fee == Decimal("0.1298")  # 0.004 x 64,900 = 259.6 notional x 0.05% taker
    maker_order = await maker.get_order(BTC, order_id=resting.order.order_id)
    assert maker_order.status is OrderStatus.PARTIALLY_FILLED and maker_order.remaining_quantity == Decimal("0.006")
    (position,) = await taker.positions(BTC)
    assert position.size == Decimal("0.004") and position.side is Side.BUY
    assert (await taker.account()).wallet_balance == Decimal("9999.8702")  # 10,000 - 0.1298


async def test_refusals_raise_the_class_of_their_reason_with_details(live: LiveExchange) -> None:
    await market(live)
    client = await live.open_account("poor", "100")
    with pytest.raises(InsufficientMargin) as refused:
        await client.place_order(PlaceOrder(BTC, Side.BUY, "1.000", price="64000.0"))
    assert refused.value.required is not None and refused.value.available is not None
    assert refused.value.required > refused.value.available == Decimal("100")
    assert refused.value.code is grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(InvalidTick) as bad_tick:
        await client.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64000.05"))
    assert bad_tick.value.field == "price"
    with pytest.raises(UnknownOrder):
        await client.cancel_order(BTC, order_id=999)
    assert await client.open_orders() == []


async def test_credentials_are_checked(live: LiveExchange) -> None:
    stranger = AsyncClient(live.target, api_key="not-a-key", retry=NO_RETRY)
    live.clients.append(stranger)
    with pytest.raises(Unauthenticated):
        await stranger.account()
    account = await live.open_account("bot")
    account_key = account.metadata[0][1].removeprefix("Bearer ")
    for token, refusal in [(account_key, PermissionDenied), ("wrong", Unauthenticated)]:
        async with AsyncAdmin(live.target, admin_token=token, retry=NO_RETRY) as admin:
            with pytest.raises(refusal):
                await admin.clock()
    assert (await account.account()).name == "bot"


class LoseFirstAnswer(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Lets the first PlaceOrder reach the server, then reports UNAVAILABLE as if the answer was lost."""

    def __init__(self) -> None:
        self.lost = 0

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        call = await continuation(details, request)
        if details.method.endswith(b"/PlaceOrder") and not self.lost:
            await call
            self.lost += 1
            raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, details="answer lost on the way")
        return call


async def test_a_place_order_whose_answer_was_lost_is_retried_without_a_second_order(live: LiveExchange) -> None:
    await market(live)
    created = await live.admin.create_account("retry", "10000")  # type: ignore[union-attr]
    lossy = LoseFirstAnswer()
    channel = grpc.aio.insecure_channel(live.target, interceptors=[lossy])
    client = AsyncClient(live.target, api_key=created.api_key, channel=channel)
    try:
        placed = await client.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="64000.0"))
        assert lossy.lost == 1 and placed.duplicate
        assert [order.order_id for order in await client.open_orders()] == [placed.order.order_id]
    finally:
        await channel.close()


async def test_without_retries_the_lost_answer_surfaces_as_unavailable(live: LiveExchange) -> None:
    created = await live.admin.create_account("no-retry", "10000")  # type: ignore[union-attr]
    channel = grpc.aio.insecure_channel(live.target, interceptors=[LoseFirstAnswer()])
    client = AsyncClient(live.target, api_key=created.api_key, channel=channel, retry=NO_RETRY)
    try:
        await market(live)
        with pytest.raises(Unavailable):
            await client.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="64000.0"))
    finally:
        await channel.close()


@pytest.mark.parametrize("server_options", [{"limits": Limits(order_rate=2.0, order_burst=1)}])
async def test_rate_limits_carry_retry_after_and_the_default_policy_waits_it_out(live: LiveExchange) -> None:
    await market(live)
    strict = await live.open_account("strict", retry=NO_RETRY)
    await strict.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64000.0"))
    with pytest.raises(RateLimited) as limited:
        await strict.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64000.0"))
    assert limited.value.retry_after is not None and limited.value.retry_after.total_seconds() > 0

    patient = await live.open_account("patient", retry=RetryPolicy(attempts=5))
    placed = [await patient.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64000.0")) for _ in range(2)]
    assert [p.duplicate for p in placed] == [False, False]
    assert len(await patient.open_orders()) == 2


async def test_amend_cancel_and_cancel_all(live: LiveExchange) -> None:
    await market(live)
    client = await live.open_account("amender")
    first = await client.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="64000.0", client_order_id="first"))
    await client.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="63990.0"))
    amended = await client.amend_order(AmendOrder(BTC, client_order_id="first", quantity="0.005"))
    assert amended.priority_kept and amended.order.quantity == Decimal("0.005")
    moved = await client.amend_order(AmendOrder(BTC, order_id=first.order.order_id, price="63995.0"))
    assert not moved.priority_kept and moved.order.price == Decimal("63995.0")
    canceled = await client.cancel_order(BTC, client_order_id="first")
    assert canceled.status is OrderStatus.CANCELED
    remaining = await client.cancel_all_orders(BTC)
    assert [order.price for order in remaining] == [Decimal("63990.0")]
    history = [order async for order in client.orders(BTC, page_size=1)]  # one order per page
    assert [order.status for order in history] == [OrderStatus.CANCELED, OrderStatus.CANCELED]


async def test_preview_compares_cross_with_isolated_and_settings_change(live: LiveExchange) -> None:
    await market(live)
    client = await live.open_account("previewer", "15000")
    await client.set_leverage(BTC, 10)
    settings = await client.set_margin_mode(BTC, MarginMode.ISOLATED)
    assert (settings.margin_mode, settings.leverage) == (MarginMode.ISOLATED, 10)
    preview = await client.preview_order(PlaceOrder(BTC, Side.BUY, "0.100", price="64900.0"))
    assert preview.current_mode.margin_mode is MarginMode.ISOLATED
    assert preview.other_mode.margin_mode is MarginMode.CROSS
    assert preview.current_mode.initial_margin == Decimal("649")  # 0.1 x 64,900 / 10
    assert await client.open_orders() == []


async def test_an_order_session_returns_each_commands_result_and_refusal(live: LiveExchange) -> None:
    await market(live)
    client = await live.open_account("session")
    async with client.order_session(window=4) as session:
        results = await session.submit(
            [
                PlaceOrder(BTC, Side.BUY, "0.010", price="64000.0", client_order_id="s1"),
                PlaceOrder(BTC, Side.BUY, "0.010", price="64000.05"),
                PlaceOrder(BTC, Side.BUY, "0.010", price="64999.0", time_in_force=TimeInForce.GTX),
                CancelOrder(BTC, client_order_id="s1"),
            ]
        )
        many = await asyncio.gather(
            *(session.place_order(PlaceOrder(BTC, Side.SELL, "0.002", price=f"{65000 + i}.0")) for i in range(10))
        )
        with pytest.raises(PostOnlyWouldTake):
            await session.place_order(
                PlaceOrder(BTC, Side.SELL, "0.002", price="63000.0", time_in_force=TimeInForce.GTX)
            )
        swept = await session.submit([CancelAllOrders(BTC)])
    assert results[0].order.status is OrderStatus.NEW  # type: ignore[union-attr]
    assert isinstance(results[1], InvalidTick)
    assert results[2].order.status is OrderStatus.NEW  # type: ignore[union-attr]  # 64,999 rests: no asks yet
    assert results[3].status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert sorted(p.order.price for p in many) == [Decimal(f"{65000 + i}.0") for i in range(10)]
    assert len(swept[0]) == 11  # type: ignore[arg-type]  # the GTX bid and the ten asks


@pytest.mark.parametrize("server_options", [{"max_batch_commands": 3}])
async def test_a_batch_refused_whole_raises_and_the_session_goes_on(live: LiveExchange) -> None:
    await market(live)
    client = await live.open_account("batcher")
    async with client.order_session() as session:
        with pytest.raises(BatchTooLarge):
            await session.submit([PlaceOrder(BTC, Side.BUY, "0.002", price="64000.0") for _ in range(4)])
        placed = await session.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64000.0"))
    assert placed.order.status is OrderStatus.NEW


async def test_a_session_whose_server_restarts_fails_pending_work_then_reopens(live: LiveExchange) -> None:
    await market(live)
    client = await live.open_account("resilient")
    session = client.order_session()
    await session.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64000.0"))
    await live.stop()
    with pytest.raises(Unavailable):
        await session.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64001.0"))
    await live.start()
    await client.wait_until_ready()
    again = await session.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price="64002.0"))
    await session.close()
    assert again.order.status is OrderStatus.NEW
    assert sorted(order.price for order in await client.open_orders()) == [Decimal("64000.0"), Decimal("64002.0")]


def blocking_ledger(target: str) -> models.Ledger:
    with Admin(target, admin_token=ADMIN_TOKEN) as admin:
        return admin.ledger()


@pytest.mark.parametrize("server_options", [{"clock": "simulated"}])
async def test_the_ledger_adds_up_by_hand_after_a_trade(live: LiveExchange) -> None:
    """Deposits 100,000 + 50,000 = 150,000. One 0.010 BTC trade at 65,000 (notional 650): maker fee
    0.02% = 0.13, taker fee 0.05% = 0.325, fees 0.455, wallets 150,000 - 0.455 = 149,999.545. The long
    owes its entry notional 650 and the short is owed 650: open positions 0. No liquidation: insurance
    fund 0. 149,999.545 + 0.455 = 150,000 = net deposits: imbalance 0. No liquidity provider runs, so no
    internal account adds a deposit of its own."""
    assert live.admin is not None
    assert not (await live.admin.clock()).liquidity_provider
    await market(live, "65000")
    seller = await live.open_account("seller", "100000")
    buyer = await live.open_account("buyer", "50000")
    await seller.place_order(PlaceOrder(BTC, Side.SELL, "0.010", price="65000.0"))
    await buyer.place_order(PlaceOrder(BTC, Side.BUY, "0.010"))

    ledger = await live.admin.ledger()
    blocking = await asyncio.to_thread(blocking_ledger, live.target)

    assert (await seller.account()).wallet_balance == Decimal("99999.87")  # the maker's 0.13
    assert (await buyer.account()).wallet_balance == Decimal("49999.675")  # the taker's 0.325
    assert ledger == models.Ledger(
        asset="USDT",
        net_deposits=Decimal("150000"),
        wallets=Decimal("149999.545"),
        isolated_margin=Decimal(0),
        fees_collected=Decimal("0.455"),
        insurance_fund=Decimal(0),
        open_positions=Decimal(0),
        money_in_system=Decimal("150000"),
        imbalance=Decimal(0),
        sequence=(await live.admin.snapshot()).sequence,
        time=datetime(2026, 1, 1, tzinfo=UTC),  # a fresh simulated clock, never advanced
        insurance_contributions=Decimal(0),  # the default instruments start with empty funds
        exchanged=Decimal(0),  # no Multi-Assets account was auto-exchanged
    )
    assert ledger.conserved and blocking == ledger


@pytest.mark.parametrize("server_options", [{"clock": "simulated"}])
async def test_a_fresh_simulated_clock_reads_its_start_and_moves_only_when_advanced(live: LiveExchange) -> None:
    assert live.admin is not None
    start = datetime(2026, 1, 1, tzinfo=UTC)  # ServerConfig.start_time's default
    clock = await live.admin.clock()
    assert (clock.mode, clock.time) == (ClockMode.SIMULATED, start)
    advanced = await live.admin.advance_time(timedelta(minutes=5))
    stepped = await live.admin.step(3)
    assert advanced.time == start + timedelta(minutes=5) and advanced.steps == 300
    assert stepped.time == start + timedelta(minutes=5, seconds=3)
    assert (await live.admin.clock()).time == stepped.time


async def test_many_requests_in_flight_on_one_session_are_each_answered(live: LiveExchange) -> None:
    """grpc takes one message write at a time per call; concurrent writes must queue, never be lost
    (a lost write left its caller waiting forever)."""
    await market(live)
    client = await live.open_account("pipeliner", "1000000")
    async with client.order_session(window=16) as session:
        placed = await asyncio.wait_for(
            asyncio.gather(
                *(session.place_order(PlaceOrder(BTC, Side.BUY, "0.002", price=f"{60000 + i}.0")) for i in range(60))
            ),
            timeout=20,
        )
    assert sorted(p.order.price for p in placed) == [Decimal(f"{60000 + i}.0") for i in range(60)]
