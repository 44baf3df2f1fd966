"""Trading.OrderSession over real gRPC: one answer per request, one result per command, in order;
refusals in-band with the stream left open; pipelining; batch limits; authentication; and the same
orders and fills as the unary calls."""

import asyncio
import contextlib
from typing import Any

import grpc
import pytest

from paperex.v1 import account_pb2, common_pb2, errors_pb2, trading_pb2
from tests.server.conftest import Client, Exchange, error_info

HANG_GUARD = 10.0
BTC = "BTCUSDT"
BUY, SELL = common_pb2.SIDE_BUY, common_pb2.SIDE_SELL


def limit(side: int, quantity: str, price: str, **extra: Any) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=side, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity=quantity, price=price, **extra
    )


def market(side: int, quantity: str) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=side, order_type=common_pb2.ORDER_TYPE_MARKET, quantity=quantity
    )


def place(side: int, quantity: str, price: str, **extra: Any) -> trading_pb2.OrderCommand:
    return trading_pb2.OrderCommand(place_order=limit(side, quantity, price, **extra))


def amend(client_order_id: str, **change: str) -> trading_pb2.OrderCommand:
    return trading_pb2.OrderCommand(
        amend_order=trading_pb2.AmendOrderRequest(symbol=BTC, client_order_id=client_order_id, **change)
    )


def cancel(**key: Any) -> trading_pb2.OrderCommand:
    return trading_pb2.OrderCommand(cancel_order=trading_pb2.CancelOrderRequest(symbol=BTC, **key))


def cancel_all() -> trading_pb2.OrderCommand:
    return trading_pb2.OrderCommand(cancel_all_orders=trading_pb2.CancelAllOrdersRequest(symbol=BTC))


def request(correlation_id: str, *commands: trading_pb2.OrderCommand) -> trading_pb2.OrderSessionRequest:
    return trading_pb2.OrderSessionRequest(correlation_id=correlation_id, commands=commands)


def kinds(answer: trading_pb2.OrderSessionResponse) -> list[str | None]:
    return [result.WhichOneof("result") for result in answer.results]


async def read(session: Any) -> trading_pb2.OrderSessionResponse:
    answer = await asyncio.wait_for(session.read(), HANG_GUARD)
    assert answer is not grpc.aio.EOF, "the session ended early"
    return answer  # type: ignore[no-any-return]


async def ask(session: Any, message: trading_pb2.OrderSessionRequest) -> trading_pb2.OrderSessionResponse:
    await session.write(message)
    return await read(session)


async def close(session: Any) -> None:
    """Half-close; the server then ends the stream cleanly (EOF, status OK)."""
    await session.done_writing()
    assert await asyncio.wait_for(session.read(), HANG_GUARD) is grpc.aio.EOF
    assert await session.code() == grpc.StatusCode.OK


async def open_orders(client: Client) -> list[common_pb2.Order]:
    reply = await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(symbol=BTC), metadata=client.auth)
    return list(reply.orders)


async def trader(exchange: Exchange, name: str) -> Client:
    await exchange.set_mark(BTC, "64900")
    return await exchange.open_account(name)


async def test_a_batch_gets_one_answer_with_one_result_per_command_in_order(exchange: Exchange) -> None:
    alice = await trader(exchange, "alice")
    session = alice.trading.OrderSession(metadata=alice.auth)

    answer = await ask(
        session,
        request(
            "batch-1",
            place(BUY, "0.010", "64000.0", client_order_id="a"),
            place(BUY, "0.010", "64100.0", client_order_id="b"),
            amend("a", price="64050.0"),  # refers to an order placed earlier in the same batch
            cancel(client_order_id="b"),
            place(SELL, "0.010", "65500.0", client_order_id="c"),
            cancel_all(),
        ),
    )

    assert answer.correlation_id == "batch-1"
    assert not answer.HasField("rejection")
    assert kinds(answer) == [
        "place_order",
        "place_order",
        "amend_order",
        "cancel_order",
        "place_order",
        "cancel_all_orders",
    ]
    placed_a, placed_b, amended, canceled, placed_c, all_canceled = answer.results
    assert placed_a.place_order.order.status == common_pb2.ORDER_STATUS_NEW
    assert placed_a.place_order.order.client_order_id == "a"
    assert placed_b.place_order.order.price == "64100.0"
    assert (amended.amend_order.order.order_id, amended.amend_order.order.price) == (
        placed_a.place_order.order.order_id,
        "64050.0",
    )
    assert amended.amend_order.priority_kept is False  # a price change loses priority
    assert canceled.cancel_order.order.order_id == placed_b.place_order.order.order_id
    assert canceled.cancel_order.order.status == common_pb2.ORDER_STATUS_CANCELED
    assert canceled.cancel_order.order.end_reason == errors_pb2.END_REASON_CANCELED_BY_USER
    assert placed_c.place_order.order.side == SELL
    swept = sorted(order.client_order_id for order in all_canceled.cancel_all_orders.orders)
    assert swept == ["a", "c"]  # b was already gone
    assert await open_orders(alice) == []
    await close(session)


async def test_refusals_are_results_of_their_own_and_the_stream_stays_open(exchange: Exchange) -> None:
    maker = await trader(exchange, "maker")
    alice = await exchange.open_account("alice")
    await maker.trading.PlaceOrder(limit(SELL, "0.010", "64900.0"), metadata=maker.auth)
    session = alice.trading.OrderSession(metadata=alice.auth)

    answer = await ask(
        session,
        request(
            "mixed",
            place(BUY, "0.010", "64900.0", time_in_force=common_pb2.TIME_IN_FORCE_GTX),  # would take the ask
            place(BUY, "0.010", "64000.0", client_order_id="kept-1"),
            cancel(order_id=987_654),  # no such order
            place(BUY, "0.010", "63900.0", client_order_id="kept-2"),
        ),
    )

    assert answer.correlation_id == "mixed"
    assert kinds(answer) == ["rejection", "place_order", "rejection", "place_order"]
    assert answer.results[0].rejection.reason == errors_pb2.REJECT_REASON_POST_ONLY_WOULD_TAKE
    assert answer.results[2].rejection.reason == errors_pb2.REJECT_REASON_UNKNOWN_ORDER
    assert sorted(order.client_order_id for order in await open_orders(alice)) == ["kept-1", "kept-2"]

    after = await ask(session, request("after", cancel_all()))  # the same stream goes on
    assert after.correlation_id == "after"
    assert sorted(order.client_order_id for order in after.results[0].cancel_all_orders.orders) == ["kept-1", "kept-2"]
    await close(session)


IOC = common_pb2.TIME_IN_FORCE_IOC


async def test_pipelined_requests_are_answered_in_request_order(exchange: Exchange) -> None:
    """50 requests of 20 bids each: two rest (GTC), eighteen find no ask and expire (IOC), which keeps
    the account under the venue's 200 open orders per symbol."""
    alice = await trader(exchange, "alice")
    session = alice.trading.OrderSession(metadata=alice.auth)
    for r in range(50):
        commands = [
            place(
                BUY, "0.002", f"{64000 - r}.{c % 10}", client_order_id=f"r{r}-{c}", time_in_force=IOC if c >= 2 else 0
            )
            for c in range(20)
        ]
        await session.write(request(f"r{r}", *commands))  # sent without waiting for any answer
    await session.done_writing()

    answers = []
    while (answer := await asyncio.wait_for(session.read(), HANG_GUARD)) is not grpc.aio.EOF:
        answers.append(answer)

    assert [answer.correlation_id for answer in answers] == [f"r{r}" for r in range(50)]
    assert all(kinds(answer) == ["place_order"] * 20 for answer in answers)
    placed = [result.place_order.order for answer in answers for result in answer.results]
    assert [order.client_order_id for order in placed] == [f"r{r}-{c}" for r in range(50) for c in range(20)]
    new, expired = common_pb2.ORDER_STATUS_NEW, common_pb2.ORDER_STATUS_EXPIRED
    assert [order.status for order in placed] == ([new] * 2 + [expired] * 18) * 50
    order_ids = [order.order_id for order in placed]
    assert order_ids == sorted(set(order_ids))  # applied in the order sent
    assert len(await open_orders(alice)) == 100


async def test_a_batch_over_the_limit_is_refused_whole_and_the_stream_continues(exchange: Exchange) -> None:
    alice = await trader(exchange, "alice")
    session = alice.trading.OrderSession(metadata=alice.auth)

    def bids(tag: str, count: int, resting: int) -> list[trading_pb2.OrderCommand]:
        """``resting`` GTC bids, the rest IOC (they expire: no asks), under 200 open orders."""
        tif = [0] * resting + [IOC] * (count - resting)
        return [
            place(BUY, "0.002", "64000.0", client_order_id=f"{tag}-{i}", time_in_force=tif[i]) for i in range(count)
        ]

    too_many = await ask(session, request("too-many", *bids("big", 501, resting=100)))
    assert too_many.correlation_id == "too-many"
    assert too_many.rejection.reason == errors_pb2.REJECT_REASON_BATCH_TOO_LARGE
    assert list(too_many.results) == []
    assert await open_orders(alice) == []  # nothing of it was applied

    at_limit = await ask(session, request("at-limit", *bids("ok", 500, resting=100)))
    assert not at_limit.HasField("rejection")
    assert kinds(at_limit) == ["place_order"] * 500
    assert len(await open_orders(alice)) == 100
    await close(session)


async def test_an_empty_request_gets_an_empty_answer(exchange: Exchange) -> None:
    alice = await trader(exchange, "alice")
    session = alice.trading.OrderSession(metadata=alice.auth)

    empty = await ask(session, request("nothing"))

    assert empty.correlation_id == "nothing"
    assert list(empty.results) == []
    assert not empty.HasField("rejection")
    follow = await ask(session, request("something", place(BUY, "0.002", "64000.0")))
    assert kinds(follow) == ["place_order"]
    await close(session)


async def test_a_malformed_command_is_refused_alone(exchange: Exchange) -> None:
    alice = await trader(exchange, "alice")
    session = alice.trading.OrderSession(metadata=alice.auth)

    answer = await ask(
        session,
        request(
            "bad-decimal",
            place(BUY, "0.010", "64000.0", client_order_id="good-1"),
            place(BUY, "0.010", "64,000.0", client_order_id="bad"),
            place(BUY, "0.010", "63900.0", client_order_id="good-2"),
        ),
    )

    assert kinds(answer) == ["place_order", "rejection", "place_order"]
    refusal = answer.results[1].rejection
    assert refusal.reason in (errors_pb2.REJECT_REASON_INVALID_PRICE, errors_pb2.REJECT_REASON_INVALID_ARGUMENT)
    assert "price" in refusal.metadata["field"]
    assert sorted(order.client_order_id for order in await open_orders(alice)) == ["good-1", "good-2"]
    await close(session)


@pytest.mark.parametrize("key", ["", "pk_not-a-key"])
async def test_the_session_needs_an_api_key(exchange: Exchange, key: str) -> None:
    await trader(exchange, "alice")
    stranger = Client(exchange.channel, key)
    session = stranger.trading.OrderSession(metadata=stranger.auth)
    # The server refuses the call on its metadata without waiting for a message, so the refusal may be
    # back before or during the write (which then raises it, or "RPC already finished"): the read
    # below raises it in every case.
    with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
        await session.write(request("who", place(BUY, "0.002", "64000.0")))

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await asyncio.wait_for(session.read(), HANG_GUARD)

    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_info(refused.value).reason == "UNAUTHENTICATED"


def fill_terms(fill: common_pb2.Fill) -> tuple[Any, ...]:
    """What a fill says apart from ids and times, which differ between two runs."""
    return (fill.side, fill.price, fill.quantity, fill.is_maker, fill.fee, fill.fee_asset, fill.realized_pnl)


async def newest_first_fills(client: Client) -> list[common_pb2.Fill]:
    reply = await client.trading.ListTrades(trading_pb2.ListTradesRequest(symbol=BTC), metadata=client.auth)
    return list(reply.fills)


async def wallet(client: Client) -> str:
    reply = await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)
    return reply.account.wallet_balance


async def test_session_orders_are_the_same_orders_as_unary_ones(exchange: Exchange) -> None:
    """The same trade made twice, once with unary calls and once through sessions, gives the same fills.

    Maker asks 0.030 @ 64,900 and 0.020 @ 64,910; taker buys 0.040 at market:
    0.030 @ 64,900 = 1,947    taker fee 0.05% = 0.9735    maker fee 0.02% = 0.3894
    0.010 @ 64,910 = 649.1    taker fee 0.05% = 0.32455   maker fee 0.02% = 0.12982
    taker wallet 100,000 - 1.29805 = 99,998.70195; maker wallet 100,000 - 0.51922 = 99,999.48078
    The maker then cancels what is left (0.010 @ 64,910), so the second run meets the same book.
    """
    unary_maker, unary_taker = await trader(exchange, "unary-maker"), await exchange.open_account("unary-taker")
    maker, taker = await exchange.open_account("session-maker"), await exchange.open_account("session-taker")
    taker_fills = [
        (BUY, "64900.0", "0.030", False, "0.9735", "USDT", "0"),
        (BUY, "64910.0", "0.010", False, "0.32455", "USDT", "0"),
    ]
    maker_fills = [
        (SELL, "64900.0", "0.030", True, "0.3894", "USDT", "0"),
        (SELL, "64910.0", "0.010", True, "0.12982", "USDT", "0"),
    ]

    for ask_price in ("64900.0", "64910.0"):
        size = "0.030" if ask_price == "64900.0" else "0.020"
        await unary_maker.trading.PlaceOrder(limit(SELL, size, ask_price), metadata=unary_maker.auth)
    bought = await unary_taker.trading.PlaceOrder(market(BUY, "0.040"), metadata=unary_taker.auth)
    await unary_maker.trading.CancelAllOrders(trading_pb2.CancelAllOrdersRequest(symbol=BTC), metadata=unary_maker.auth)
    assert [fill_terms(fill) for fill in bought.fills] == taker_fills

    maker_session = maker.trading.OrderSession(metadata=maker.auth)
    taker_session = taker.trading.OrderSession(metadata=taker.auth)
    quoted = await ask(
        maker_session, request("quote", place(SELL, "0.030", "64900.0"), place(SELL, "0.020", "64910.0"))
    )
    quotes = [result.place_order.order for result in quoted.results]
    listed = await open_orders(maker)
    assert [(o.order_id, o.price, o.quantity, o.status) for o in listed] == [
        (o.order_id, o.price, o.quantity, common_pb2.ORDER_STATUS_NEW) for o in quotes
    ]
    took = await ask(taker_session, request("take", trading_pb2.OrderCommand(place_order=market(BUY, "0.040"))))
    (taken,) = took.results
    assert taken.place_order.order.status == common_pb2.ORDER_STATUS_FILLED
    assert [fill_terms(fill) for fill in taken.place_order.fills] == taker_fills
    left = await ask(maker_session, request("leave", cancel_all()))
    (swept,) = left.results[0].cancel_all_orders.orders
    assert (swept.order_id, swept.filled_quantity) == (quotes[1].order_id, "0.010")

    # the session's fills are the account's recorded fills, exactly
    assert list(reversed(await newest_first_fills(taker))) == list(taken.place_order.fills)
    for maker_client in (unary_maker, maker):
        assert [fill_terms(fill) for fill in reversed(await newest_first_fills(maker_client))] == maker_fills
    assert [await wallet(client) for client in (unary_taker, taker)] == ["99998.70195"] * 2
    assert [await wallet(client) for client in (unary_maker, maker)] == ["99999.48078"] * 2
    await close(maker_session)
    await close(taker_session)
