"""Admission control on a real server: request size, stream caps, budgets per account, per address and
for everyone, and connections that never speak. Small limits make each refusal reachable in a few calls;
rates of one token per 1,000 s make the buckets stand still for the length of a test."""

import asyncio
import socket
from pathlib import Path

import grpc
import pytest

from paperex.client.client import AsyncClient
from paperex.client.commands import PlaceOrder
from paperex.client.enums import Side
from paperex.client.errors import RateLimited, ServerBusy, TooManyStreams, from_rpc_error
from paperex.client.retry import RetryPolicy
from paperex.server.core.admission import Admission, Limits
from paperex.v1 import account_pb2, common_pb2, market_data_pb2, market_data_pb2_grpc, trading_pb2
from tests.server.conftest import Client, Exchange, btc_order, error_info, retry_info, serving

RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED
STILL = 0.001
"""A refill of one token per 1,000 s: a bucket that does not move while a test runs."""
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]
"""Channel options for a connection of its own (channels to one target otherwise share one)."""
HANG_GUARD = 30.0
"""Seconds before a call is declared hung (a guard, not a timing assertion)."""


def sequence(exchange: Exchange) -> int:
    assert exchange.server.sequencer is not None
    return exchange.server.sequencer.exchange.sequence


async def refusal(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code() == RESOURCE_EXHAUSTED, caught.value.details()
    return caught.value


def largest_batch() -> trading_pb2.OrderSessionRequest:
    """500 place orders (the batch limit) with every field at its longest: decimals of 64 characters,
    a 36-character client order id, a 20-character symbol, a 64-character correlation id."""
    decimal = "9" * 64
    order = trading_pb2.PlaceOrderRequest(
        symbol="X" * 20,
        side=common_pb2.SIDE_SELL,
        order_type=common_pb2.ORDER_TYPE_TAKE_PROFIT_LIMIT,
        quantity=decimal,
        price=decimal,
        stop_price=decimal,
        activation_price=decimal,
        time_in_force=common_pb2.TIME_IN_FORCE_GTD,
        client_order_id="c" * 36,
        reduce_only=True,
        close_position=True,
        callback_bps=10_000,
    )
    order.expire_time.FromNanoseconds(2**62)
    return trading_pb2.OrderSessionRequest(
        correlation_id="x" * 64, commands=[trading_pb2.OrderCommand(place_order=order)] * 500
    )


async def test_the_largest_batch_is_taken_in_and_a_request_above_the_receive_limit_is_refused(tmp_path: Path) -> None:
    """The default limit (256 KiB) takes the largest legitimate request, a full batch at every field's
    maximum (about 180 kB): it is answered in-band. One client order id of 256 KiB + 1 byte is refused
    by the transport before it reaches the server's code: nothing is sequenced."""
    async with serving(tmp_path) as exchange:
        alice = await exchange.open_account("alice")
        batch = largest_batch()
        assert batch.ByteSize() <= Limits().max_request_bytes
        session = alice.trading.OrderSession(metadata=alice.auth)
        try:
            await session.write(batch)
            reply = await asyncio.wait_for(session.read(), HANG_GUARD)
            assert len(reply.results) == 500
        finally:
            session.cancel()
        before = sequence(exchange)

        oversized = btc_order(common_pb2.SIDE_BUY, "0.002", "60000.0")
        oversized.client_order_id = "x" * (Limits().max_request_bytes + 1)
        await refusal(alice.trading.PlaceOrder(oversized, metadata=alice.auth))

        assert sequence(exchange) == before


async def open_trades(client: Client) -> grpc.aio.UnaryStreamCall[object, object]:
    """A trade stream that the server has taken in (its first, empty message read)."""
    stream = client.market.StreamTrades(market_data_pb2.StreamTradesRequest(symbol="BTCUSDT"))
    await asyncio.wait_for(stream.read(), HANG_GUARD)
    return stream


async def test_the_streams_of_one_connection_are_capped_with_the_limit_and_the_count(tmp_path: Path) -> None:
    """Three streams per connection: the fourth on the same channel is refused TOO_MANY_STREAMS with
    scope, limit 3 and open 3; a stream on another connection still opens."""
    async with serving(tmp_path, limits=Limits(streams_per_connection=3)) as exchange:
        first = Client(exchange.channel, "")
        streams = [await open_trades(first) for _ in range(3)]

        error = await refusal(open_trades(first))

        info = error_info(error)
        assert info.reason == "TOO_MANY_STREAMS"
        assert dict(info.metadata) == {"scope": "connection", "limit": "3", "open": "3"}
        async with grpc.aio.insecure_channel(exchange.address, options=OWN_CONNECTION) as other:
            (await open_trades(Client(other, ""))).cancel()
        for stream in streams:
            stream.cancel()


async def test_the_open_streams_of_the_whole_server_are_capped(tmp_path: Path) -> None:
    """Two streams on the server, each on its own connection: a third connection's is refused with
    scope server, limit 2, open 2, and the SDK raises TooManyStreams for it."""
    async with (
        serving(tmp_path, limits=Limits(streams=2)) as exchange,
        grpc.aio.insecure_channel(exchange.address, options=OWN_CONNECTION) as second,
        grpc.aio.insecure_channel(exchange.address, options=OWN_CONNECTION) as third,
    ):
        streams = [await open_trades(Client(exchange.channel, "")), await open_trades(Client(second, ""))]

        error = await refusal(open_trades(Client(third, "")))

        assert dict(error_info(error).metadata) == {"scope": "server", "limit": "2", "open": "2"}
        assert isinstance(from_rpc_error(error), TooManyStreams)
        for stream in streams:
            stream.cancel()


def test_a_closed_stream_gives_its_place_back() -> None:
    """One place per connection: the second stream of a peer is refused while the first is open, and
    taken once it has ended; the counts go back to zero."""
    admission = Admission(Limits(streams_per_connection=1), lambda: 0.0)
    with admission.stream("ipv4:127.0.0.1:5000"):
        with pytest.raises(Exception, match="TOO_MANY_STREAMS"), admission.stream("ipv4:127.0.0.1:5000"):
            pass
        assert admission.open_streams("ipv4:127.0.0.1:5000") == 1
    with admission.stream("ipv4:127.0.0.1:5000"):
        assert admission.open_streams() == 1
    assert admission.open_streams() == 0


async def test_an_account_over_its_order_share_is_refused_while_another_account_trades(tmp_path: Path) -> None:
    """Command budget 4 for everyone, order share 2 per account. Alice floods: her third order is
    refused RATE_LIMITED with a retry delay (about 1,000 s) and nothing is sequenced, so 2 commands of
    the budget are left and Bob's order goes through. Without the share, Alice's third and fourth
    orders would have taken the whole budget from Bob."""
    limits = Limits(order_rate=STILL, order_burst=2, command_rate=STILL, command_burst=4)
    async with serving(tmp_path, limits=limits) as exchange:
        alice, bob = await exchange.open_account("alice"), await exchange.open_account("bob")
        for price in ("60000.0", "60000.1"):
            await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", price), metadata=alice.auth)
        before = sequence(exchange)

        error = await refusal(
            alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "60000.2"), metadata=alice.auth)
        )

        assert sequence(exchange) == before
        info = error_info(error)
        assert (info.reason, info.metadata["budget"], info.metadata["burst"]) == ("RATE_LIMITED", "orders", "2")
        delay = retry_info(error)
        assert delay is not None and 0 < delay.retry_delay.ToNanoseconds() <= 1000 * 10**9
        await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "60000.3"), metadata=bob.auth)


async def test_the_command_budget_of_all_accounts_refuses_server_busy(tmp_path: Path) -> None:
    """No order share, a command budget of 3: two orders of Alice and one cancel of Bob (cancels count
    here) spend it; Bob's next order is refused SERVER_BUSY with a retry delay, nothing sequenced, and
    a batch in an OrderSession is refused whole in-band with the same reason."""
    async with serving(tmp_path, limits=Limits(order_rate=0, command_rate=STILL, command_burst=3)) as exchange:
        alice, bob = await exchange.open_account("alice"), await exchange.open_account("bob")
        for price in ("60000.0", "60000.1"):
            await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", price), metadata=alice.auth)
        cancel_all = trading_pb2.CancelAllOrdersRequest(symbol="BTCUSDT")
        await bob.trading.CancelAllOrders(cancel_all, metadata=bob.auth)
        before = sequence(exchange)

        error = await refusal(
            bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "60000.2"), metadata=bob.auth)
        )

        info = error_info(error)
        assert (info.reason, info.metadata["budget"]) == ("SERVER_BUSY", "commands")
        assert retry_info(error) is not None
        session = bob.trading.OrderSession(metadata=bob.auth)
        try:
            await session.write(
                trading_pb2.OrderSessionRequest(
                    correlation_id="one", commands=[trading_pb2.OrderCommand(cancel_all_orders=cancel_all)]
                )
            )
            reply = await asyncio.wait_for(session.read(), HANG_GUARD)
        finally:
            session.cancel()
        assert reply.rejection.metadata["budget"] == "commands"
        assert sequence(exchange) == before


async def test_the_sdk_waits_out_server_busy_by_its_retry_delay(tmp_path: Path) -> None:
    """A command budget of 1 refilled once a second: the SDK's second order, sent right after the
    first, is refused SERVER_BUSY (a RateLimited), and the policy retries it after the server's delay
    (client order ids make the retry safe), so both orders are placed."""
    assert issubclass(ServerBusy, RateLimited)
    async with serving(tmp_path, limits=Limits(order_rate=0, command_rate=1, command_burst=1)) as exchange:
        created = await exchange.open_account("alice")
        client = AsyncClient(exchange.address, api_key=created.key, retry=RetryPolicy(attempts=20))
        try:
            orders = [PlaceOrder("BTCUSDT", Side.BUY, "0.002", price=price) for price in ("60000.0", "60000.1")]
            placed = [await client.place_order(order) for order in orders]
        finally:
            await client.close()
        assert [reply.duplicate for reply in placed] == [False, False]


async def test_calls_without_a_valid_key_are_limited_per_address(tmp_path: Path) -> None:
    """Two calls per address without a key: the third is refused RATE_LIMITED naming the address, and
    so is a call with an unknown key (it has no account to be charged to); the same call with an
    account key is charged to the account and served."""
    async with serving(tmp_path, limits=Limits(anonymous_rate=STILL, anonymous_burst=2)) as exchange:
        alice = await exchange.open_account("alice")
        ticker = market_data_pb2.GetTickerRequest(symbol="BTCUSDT")
        stranger = market_data_pb2_grpc.MarketDataStub(exchange.channel)
        for _ in range(2):
            await stranger.GetTicker(ticker)

        error = await refusal(stranger.GetTicker(ticker))

        info = error_info(error)
        assert (info.reason, info.metadata["budget"], info.metadata["address"]) == (
            "RATE_LIMITED",
            "anonymous",
            "127.0.0.1",
        )
        assert retry_info(error) is not None
        await refusal(stranger.GetTicker(ticker, metadata=[("x-api-key", "pk_unknown")]))
        await alice.market.GetTicker(ticker, metadata=alice.auth)


async def test_queries_have_a_budget_per_account_apart_from_orders(tmp_path: Path) -> None:
    """Two queries per account: Alice's third is refused RATE_LIMITED (budget queries) with a retry
    delay; Bob's first is served, and so is Alice's order (orders have their own budget)."""
    async with serving(tmp_path, limits=Limits(query_rate=STILL, query_burst=2)) as exchange:
        alice, bob = await exchange.open_account("alice"), await exchange.open_account("bob")
        request = account_pb2.GetAccountRequest()
        for _ in range(2):
            await alice.account.GetAccount(request, metadata=alice.auth)

        error = await refusal(alice.account.GetAccount(request, metadata=alice.auth))

        info = error_info(error)
        assert (info.reason, info.metadata["budget"], info.metadata["burst"]) == ("RATE_LIMITED", "queries", "2")
        assert retry_info(error) is not None
        await bob.account.GetAccount(request, metadata=bob.auth)
        await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "60000.0"), metadata=alice.auth)


async def test_connections_that_never_speak_do_not_lock_new_clients_out(tmp_path: Path) -> None:
    """Four connections allowed, a handshake timeout of 0.2 s: four sockets connect and never send a
    byte; a new client still gets its answer, once the server has dropped them (the call waits for
    readiness instead of failing)."""
    limits = Limits(max_connections=4, handshake_timeout=0.2)
    async with serving(tmp_path, limits=limits) as exchange:
        host, port = exchange.address.rsplit(":", 1)
        silent = [socket.create_connection((host, int(port))) for _ in range(4)]
        try:
            options = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 500)]
            async with grpc.aio.insecure_channel(exchange.address, options=options) as fresh:
                stub = market_data_pb2_grpc.MarketDataStub(fresh)
                request = market_data_pb2.ListInstrumentsRequest()
                reply = await stub.ListInstruments(request, wait_for_ready=True, timeout=HANG_GUARD)
        finally:
            for sock in silent:
                sock.close()
        assert {instrument.symbol for instrument in reply.instruments} == {"BTCUSDT", "ETHUSDT"}
