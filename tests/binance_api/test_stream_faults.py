"""The Binance WebSocket streams meet the fault plan's stream drop at a time: the market streams under
everyone's plan, the user data stream under its account's."""

import asyncio
from pathlib import Path

import aiohttp
from aiohttp import WSCloseCode, WSMsgType
from google.protobuf.duration_pb2 import Duration

from paperex.v1 import admin_pb2, common_pb2
from tests.binance_api.test_user_stream import listen_key, received
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
