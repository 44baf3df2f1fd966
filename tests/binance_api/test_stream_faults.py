"""The Binance WebSocket streams meet the fault plan's stream drop at a time: the market streams under
everyone's plan, the user data stream under its account's."""

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import WSCloseCode, WSMsgType
from google.protobuf.duration_pb2 import Duration

from paperex.v1 import admin_pb2, common_pb2
from tests.binance_api.test_rest import call
from tests.binance_api.test_user_stream import listen_key, open_account, received
from tests.server.conftest import btc_order, serving

WAIT_S = 30
"""Generous: the suite runs beside other engineers' on two cores; a close never takes this long."""


async def closed(socket: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
    """Reads past any data up to the server's close frame: its code and reason."""
    async with asyncio.timeout(WAIT_S):
        while (message := await socket.receive()).type is not WSMsgType.CLOSE:
            assert message.type not in (WSMsgType.CLOSED, WSMsgType.ERROR), "the socket ended without a close frame"
    return message.data, message.extra


async def test_market_and_user_streams_close_at_the_planned_time(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Everyone's plan drops streams 60 s after it is set (simulated clock). A market stream and
    alice's user stream, both following before time moves (the subscription answered, an order's
    update received), get a close frame, GOING_AWAY (1001) with the fault's message, once time is
    advanced 2 minutes."""
    async with serving(tmp_path, binance=True, clock="simulated") as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        request = admin_pb2.SetFaultsRequest(account_id=0, plan_toml="drop_streams_at = 60000")
        await venue.admin.admin.SetFaults(request, metadata=venue.admin.auth)
        _, opened = await listen_key(http, venue, alice)
        async with (
            http.ws_connect(f"{venue.binance_url}/ws/0") as market,
            http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as user,
        ):
            await market.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 1})
            assert await received(market) == {"result": None, "id": 1}
            await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "60000"), metadata=alice.auth)
            assert (await received(user))["e"] == "ORDER_TRADE_UPDATE"
            span = Duration()
            span.FromSeconds(120)
            await venue.admin.admin.AdvanceTime(admin_pb2.AdvanceTimeRequest(duration=span), metadata=venue.admin.auth)
            market_close, user_close = await closed(market), await closed(user)
    message = "the stream was dropped at the time the fault plan set (an injected fault); subscribe again"
    assert (market_close, user_close) == ((WSCloseCode.GOING_AWAY, message), (WSCloseCode.GOING_AWAY, message))


async def until_closed(socket: aiohttp.ClientWebSocketResponse) -> tuple[list[Any], int, str]:
    """The messages a naive reader gets before the server's close frame, and its code and reason."""
    messages = []
    async with asyncio.timeout(WAIT_S):
        while (message := await socket.receive()).type is WSMsgType.TEXT:
            messages.append(message.json())
    assert message.type is WSMsgType.CLOSE, "the socket ended without a close frame"
    return messages, message.data, message.extra


async def test_a_naive_market_stream_reader_is_cut_after_the_planned_messages(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Everyone's plan drops streams after 2 messages. A connection following ``btcusdt@aggTrade``
    (the SUBSCRIBE answer is not a stream message) sees bob's bids lifted twice by alice's market
    sells, then a close frame, GOING_AWAY (1001) naming the count; the third trade never reaches it."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice, bob = await venue.open_account("alice"), await venue.open_account("bob")
        request = admin_pb2.SetFaultsRequest(account_id=0, plan_toml="drop_streams_after = 2")
        await venue.admin.admin.SetFaults(request, metadata=venue.admin.auth)
        await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "64000"), metadata=bob.auth)
        async with http.ws_connect(f"{venue.binance_url}/ws/0") as market:
            await market.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 1})
            assert await received(market) == {"result": None, "id": 1}
            for _ in range(3):
                await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.002"), metadata=alice.auth)
            messages, code, reason = await until_closed(market)
    assert [(message["e"], message["q"]) for message in messages] == [("aggTrade", "0.002")] * 2
    assert (code, reason) == (
        WSCloseCode.GOING_AWAY,
        "the stream was dropped after 2 messages (an injected fault); subscribe again",
    )


async def test_a_user_stream_cut_after_n_messages_reconnects_with_its_listen_key_and_loses_nothing(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Alice's plan drops her streams after 2 messages. Her user stream carries her first two orders'
    ORDER_TRADE_UPDATE (NEW), then closes 1001. A third order placed while she is away; she asks for
    her listen key again (the same key, as the venue answers while it lives), reconnects with it and
    sees her fourth order; the REST open orders, her resync, list all four."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice_id, alice = await open_account(venue, "alice")
        request = admin_pb2.SetFaultsRequest(account_id=alice_id, plan_toml="drop_streams_after = 2")
        await venue.admin.admin.SetFaults(request, metadata=venue.admin.auth)
        _, opened = await listen_key(http, venue, alice)
        prices = iter(["60000", "60100", "60200", "60300"])

        async def bid() -> int:
            order = btc_order(common_pb2.SIDE_BUY, "0.002", next(prices))
            return (await alice.trading.PlaceOrder(order, metadata=alice.auth)).order.order_id

        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as user:
            placed = [await bid(), await bid()]
            messages, code, _ = await until_closed(user)
        placed.append(await bid())
        _, again = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{again['listenKey']}") as user:
            placed.append(await bid())
            resumed = await received(user)
        _, open_orders = await call(http, venue, "GET", "/fapi/v1/openOrders", alice, query={"symbol": "BTCUSDT"})
    assert [(m["e"], m["o"]["x"], m["o"]["i"]) for m in messages] == [
        ("ORDER_TRADE_UPDATE", "NEW", order_id) for order_id in placed[:2]
    ]
    assert code == WSCloseCode.GOING_AWAY
    assert again["listenKey"] == opened["listenKey"]
    assert (resumed["e"], resumed["o"]["i"]) == ("ORDER_TRADE_UPDATE", placed[3])
    assert sorted(order["orderId"] for order in open_orders) == sorted(placed)


async def test_a_closed_stream_ends_with_the_close_handshake(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """The server closes a user stream from another task than the one reading it (its listen key
    deleted). A client that answers the close itself (``autoclose=False``, as ccxt.pro connects)
    reads the close frame, 1001 "listenKey closed", makes a REST call, then sends its own close
    frame: the server waited for it, so the close is clean and the client's code stays 1001 (the
    server dropping the connection after its frame made it 1006, abnormal closure)."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice")
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}", autoclose=False) as user:
            await listen_key(http, venue, alice, "DELETE")
            code, reason = await closed(user)
            assert (await call(http, venue, "GET", "/fapi/v1/ping")) == (200, {})
            await user.close()

    assert (code, reason) == (WSCloseCode.GOING_AWAY, "listenKey closed")
    assert (user.close_code, user.exception()) == (WSCloseCode.GOING_AWAY, None)
