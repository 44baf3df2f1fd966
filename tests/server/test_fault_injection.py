"""Injected faults over real gRPC: each kind fails a naive client (one call, no retry) and the SDK's
retrying client survives it without losing or doubling an order; a plan survives a restart and the
same calls meet the same faults on every run."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from paperex.client.client import AsyncClient
from paperex.client.commands import PlaceOrder
from paperex.client.enums import Side
from paperex.client.models import EventCursor, OrderAccepted
from paperex.v1 import account_pb2, admin_pb2, common_pb2, errors_pb2, trading_pb2
from tests.server.conftest import Client, Exchange, btc_order, error_info, retry_info, serving

HANG_GUARD = 20.0


async def inject(exchange: Exchange, plan: str, account_id: int = 0) -> None:
    request = admin_pb2.SetFaultsRequest(account_id=account_id, plan_toml=plan)
    await exchange.admin.admin.SetFaults(request, metadata=exchange.admin.auth)


async def account_id(client: Client) -> int:
    reply = await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)
    return int(reply.account.account_id)


def bid(client_order_id: str, price: str = "60000.0") -> trading_pb2.PlaceOrderRequest:
    order = btc_order(common_pb2.SIDE_BUY, "0.002", price)
    order.client_order_id = client_order_id
    return order


async def open_ids(client: Client) -> list[str]:
    reply = await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=client.auth)
    return sorted(order.client_order_id for order in reply.orders)


async def refused_reason(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call  # type: ignore[misc]
    return refused.value.code(), error_info(refused.value).reason


async def test_refused_calls_fail_a_naive_client_and_the_sdk_retries_through_them(exchange: Exchange) -> None:
    """Half the calls refused: of ten single tries some fail (the chance that none does is 1 in 1,024,
    and the draws are seeded); the SDK places five orders through the same plan, each exactly once."""
    await exchange.set_mark("BTCUSDT", "64900")
    alice = await exchange.open_account("alice")
    alice_id = await account_id(alice)
    await inject(exchange, "unavailable = 0.5\nseed = 3", alice_id)
    outcomes = []
    for n in range(10):
        try:
            await alice.trading.PlaceOrder(bid(f"naive-{n}"), metadata=alice.auth)
            outcomes.append("placed")
        except grpc.aio.AioRpcError as error:
            assert (error.code(), error_info(error).reason) == (grpc.StatusCode.UNAVAILABLE, "INJECTED_FAULT")
            outcomes.append("refused")
    assert "refused" in outcomes
    placed_naively = sorted(f"naive-{n}" for n, outcome in enumerate(outcomes) if outcome == "placed")

    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        for n in range(5):
            await sdk.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.002", price="60000", client_order_id=f"sdk-{n}"))
    await inject(exchange, "", alice_id)
    assert await open_ids(alice) == sorted([*placed_naively, *(f"sdk-{n}" for n in range(5))])


async def test_a_lost_answer_leaves_the_order_placed_and_the_sdk_finds_it_by_its_client_id(exchange: Exchange) -> None:
    await exchange.set_mark("BTCUSDT", "64900")
    alice = await exchange.open_account("alice")
    alice_id = await account_id(alice)
    await inject(exchange, "lost_answers = 1", alice_id)
    assert await refused_reason(alice.trading.PlaceOrder(bid("lost"), metadata=alice.auth)) == (
        grpc.StatusCode.UNAVAILABLE,
        "ANSWER_LOST",
    )
    await inject(exchange, "lost_answers = 0.5\nseed = 5", alice_id)
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        for n in range(4):
            await sdk.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.002", price="60000", client_order_id=f"sdk-{n}"))
    await inject(exchange, "", alice_id)
    assert await open_ids(alice) == ["lost", "sdk-0", "sdk-1", "sdk-2", "sdk-3"], "each order once, none lost"


async def test_maintenance_refuses_orders_with_the_time_left_and_the_sdk_waits_it_out(exchange: Exchange) -> None:
    """A 300 ms window from now: a place is refused with a retry delay of at most 0.3 s; a cancel
    still works; the SDK waits the delay and places."""
    await exchange.set_mark("BTCUSDT", "64900")
    alice = await exchange.open_account("alice")
    resting = await alice.trading.PlaceOrder(bid("resting"), metadata=alice.auth)
    await inject(exchange, "[maintenance]\nduration = 300")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await alice.trading.PlaceOrder(bid("during"), metadata=alice.auth)
    assert (refused.value.code(), error_info(refused.value).reason) == (grpc.StatusCode.UNAVAILABLE, "MAINTENANCE")
    delay = retry_info(refused.value)
    assert delay is not None and 0 < delay.retry_delay.ToTimedelta().total_seconds() <= 0.3
    cancel = trading_pb2.CancelOrderRequest(symbol="BTCUSDT", order_id=resting.order.order_id)
    await alice.trading.CancelOrder(cancel, metadata=alice.auth)
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        await sdk.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.002", price="60000", client_order_id="after"))
    assert await open_ids(alice) == ["after"]


async def test_a_dropped_user_stream_ends_a_naive_reader_and_the_sdk_resumes_without_a_gap(exchange: Exchange) -> None:
    """Streams dropped after 2 messages: a raw StreamUserEvents from the first command on ends
    UNAVAILABLE (STREAM_DROPPED) after two events; the SDK's stream resubscribes after its last cursor
    each time and delivers all six acceptances of six orders, in order."""
    await exchange.set_mark("BTCUSDT", "64900")
    alice = await exchange.open_account("alice")
    await inject(exchange, "drop_streams_after = 2", await account_id(alice))
    for n in range(6):
        await alice.trading.PlaceOrder(bid(f"o{n}"), metadata=alice.auth)
    raw = alice.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=account_pb2.EventCursor(sequence=1)), metadata=alice.auth
    )
    received = 0
    with pytest.raises(grpc.aio.AioRpcError) as dropped:
        async for _ in raw:
            received += 1
    assert received == 2
    assert (dropped.value.code(), error_info(dropped.value).reason) == (grpc.StatusCode.UNAVAILABLE, "STREAM_DROPPED")

    accepted = []
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        async with asyncio.timeout(HANG_GUARD):
            async for update in sdk.user_events(resume_after=EventCursor(sequence=1, index=0)):
                if isinstance(update.event, OrderAccepted):
                    accepted.append(update.event.order.client_order_id)
                if len(accepted) == 6:
                    break
    assert accepted == [f"o{n}" for n in range(6)]


async def test_a_plan_survives_a_restart_and_the_same_calls_meet_the_same_faults(tmp_path: Path) -> None:
    """Two exchanges given the same plan and the same 30 queries refuse the same ones; a restart keeps
    the plan in force (it is journaled) and draws afresh from its seed, so it refuses the same ones again."""
    plan = "unavailable = 0.4\nseed = 11"

    async def pattern(exchange: Exchange, alice: Client) -> list[bool]:
        refused = []
        for _ in range(30):
            try:
                await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)
                refused.append(False)
            except grpc.aio.AioRpcError as error:
                assert error_info(error).reason == "INJECTED_FAULT"
                refused.append(True)
        return refused

    runs, keys = [], []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        async with serving(tmp_path / name) as exchange:
            alice = await exchange.open_account("alice")
            await inject(exchange, plan)
            runs.append(await pattern(exchange, alice))
            keys.append(alice.key)
    assert runs[0] == runs[1] and any(runs[0]) and not all(runs[0])
    async with serving(tmp_path / "one") as restarted:
        assert await pattern(restarted, Client(restarted.channel, keys[0])) == runs[0]


SCENARIO = """
name = "outage"
duration = "1h"
[instruments.BTCUSDT]
start = 64900
feed = "fixed"
[faults]
unavailable = 1
"""


async def test_a_scenarios_faults_are_everyones_from_its_load(exchange: Exchange) -> None:
    """The scenario's ``[faults]`` refuse every account call once it is loaded; a mistake in them is the
    scenario's, named by its key path."""
    alice = await exchange.open_account("alice")
    bad = admin_pb2.LoadScenarioRequest(toml=SCENARIO.replace("unavailable = 1", "unavailable = 3"))
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await exchange.admin.admin.LoadScenario(bad, metadata=exchange.admin.auth)
    assert error_info(invalid.value).reason == "INVALID_SCENARIO"
    assert "faults.unavailable: expected a share between 0 and 1, not 3" in invalid.value.details()
    await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)

    await exchange.admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(toml=SCENARIO), metadata=exchange.admin.auth)
    assert await refused_reason(alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)) == (
        grpc.StatusCode.UNAVAILABLE,
        "INJECTED_FAULT",
    )


async def advance(exchange: Exchange, seconds: int) -> None:
    span = Duration()
    span.FromSeconds(seconds)
    await exchange.admin.admin.AdvanceTime(admin_pb2.AdvanceTimeRequest(duration=span), metadata=exchange.admin.auth)


async def test_streams_dropped_at_a_time_end_a_naive_reader_and_the_sdk_resumes_without_a_gap(
    simulated: Exchange,
) -> None:
    """Streams dropped 60 s of exchange time after the plan is set, on a simulated clock. A raw
    StreamUserEvents and the SDK's stream both see o0..o2 accepted; time is advanced 2 minutes: the raw
    stream ends UNAVAILABLE (STREAM_DROPPED, with the time it was dropped at), the SDK's resubscribes
    after its last cursor (a stream opened after the drop lives on) and sees o3..o5, each of the six
    acceptances once, in order."""
    await simulated.set_mark("BTCUSDT", "64900")
    alice = await simulated.open_account("alice")
    clock = await simulated.admin.admin.GetClock(admin_pb2.GetClockRequest(), metadata=simulated.admin.auth)
    await inject(simulated, "drop_streams_at = 60000", await account_id(alice))
    for n in range(3):
        await alice.trading.PlaceOrder(bid(f"o{n}"), metadata=alice.auth)
    start = account_pb2.EventCursor(sequence=1)
    raw = alice.account.StreamUserEvents(account_pb2.StreamUserEventsRequest(resume_after=start), metadata=alice.auth)
    raw_accepted: list[str] = []
    accepted: list[str] = []
    async with AsyncClient(simulated.address, api_key=alice.key) as sdk, asyncio.timeout(HANG_GUARD):
        updates = sdk.user_events(resume_after=EventCursor(sequence=1, index=0))
        async for message in raw:  # the raw stream is open before time moves
            if message.event.HasField("order_accepted"):
                raw_accepted.append(message.event.order_accepted.order.client_order_id)
            if len(raw_accepted) == 3:
                break
        async for update in updates:
            if isinstance(update.event, OrderAccepted):
                accepted.append(update.event.order.client_order_id)
            if len(accepted) == 3:
                break
        await advance(simulated, 120)
        with pytest.raises(grpc.aio.AioRpcError) as dropped:
            async for _ in raw:
                pass
        for n in range(3, 6):
            await alice.trading.PlaceOrder(bid(f"o{n}"), metadata=alice.auth)
        async for update in updates:
            if isinstance(update.event, OrderAccepted):
                accepted.append(update.event.order.client_order_id)
            if "o5" in accepted:
                break
    assert raw_accepted == ["o0", "o1", "o2"]
    assert accepted == [f"o{n}" for n in range(6)]
    assert (dropped.value.code(), error_info(dropped.value).reason) == (grpc.StatusCode.UNAVAILABLE, "STREAM_DROPPED")
    dropped_at = int(error_info(dropped.value).metadata["dropped_at_ns"])
    assert dropped_at == clock.time.ToNanoseconds() + 60 * 10**9


async def session_outcomes(exchange: Exchange, client: Client, prefix: str, count: int) -> list[str]:
    """One OrderSession request placing ``count`` bids ``prefix0``, ``prefix1``, ...: each result's
    outcome, "placed" or the rejection's reason."""

    async def requests() -> AsyncIterator[trading_pb2.OrderSessionRequest]:
        commands = [trading_pb2.OrderCommand(place_order=bid(f"{prefix}{n}")) for n in range(count)]
        yield trading_pb2.OrderSessionRequest(correlation_id="1", commands=commands)

    async with asyncio.timeout(HANG_GUARD):
        (response,) = [answer async for answer in client.trading.OrderSession(requests(), metadata=client.auth)]
    return [
        errors_pb2.RejectReason.Name(result.rejection.reason).removeprefix("REJECT_REASON_")
        if result.HasField("rejection")
        else "placed"
        for result in response.results
    ]


async def test_each_order_of_a_session_batch_meets_the_faults_as_a_unary_call_would(tmp_path: Path) -> None:
    """A fifth of the calls refused and a fifth of the answers lost (seed 1): one request of twelve
    places answers some INJECTED_FAULT (not placed) and some ANSWER_LOST (placed all the same) in its
    per-order results, and a second exchange given the same plan and the same request answers the same."""
    runs = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        async with serving(tmp_path / name) as running:
            await running.set_mark("BTCUSDT", "64900")
            alice = await running.open_account("alice")
            alice_id = await account_id(alice)
            await inject(running, "unavailable = 0.2\nlost_answers = 0.2\nseed = 1", alice_id)
            outcomes = await session_outcomes(running, alice, "n", 12)
            await inject(running, "", alice_id)
            runs.append((outcomes, await open_ids(alice)))
    (outcomes, placed), second = runs
    assert second == runs[0]
    assert {"INJECTED_FAULT", "ANSWER_LOST", "placed"} == set(outcomes)
    assert placed == sorted(f"n{n}" for n, outcome in enumerate(outcomes) if outcome != "INJECTED_FAULT")


async def test_the_sdk_session_repeats_what_is_safe_and_places_each_order_once(exchange: Exchange) -> None:
    """The same plan: a naive session's batch loses orders (refused) and answers (placed but unknown);
    the SDK's session places four batches of five through it, every result an order, each placed once."""
    await exchange.set_mark("BTCUSDT", "64900")
    alice = await exchange.open_account("alice")
    alice_id = await account_id(alice)
    await inject(exchange, "unavailable = 0.2\nlost_answers = 0.2\nseed = 1", alice_id)
    naive = await session_outcomes(exchange, alice, "naive", 12)
    assert "INJECTED_FAULT" in naive and "ANSWER_LOST" in naive
    placed_naively = [f"naive{n}" for n, outcome in enumerate(naive) if outcome != "INJECTED_FAULT"]
    ids = [[f"sdk{batch}-{n}" for n in range(5)] for batch in range(4)]
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk, sdk.order_session() as session:
        results = [
            await session.submit(
                [PlaceOrder("BTCUSDT", Side.BUY, "0.002", price="60000", client_order_id=i) for i in batch]
            )
            for batch in ids
        ]
    await inject(exchange, "", alice_id)
    placed = [result.order.client_order_id for batch in results for result in batch]  # type: ignore[union-attr]
    assert placed == [i for batch in ids for i in batch]
    assert await open_ids(alice) == sorted([*placed_naively, *placed])
