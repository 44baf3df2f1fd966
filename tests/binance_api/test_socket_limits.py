"""The venue limits profile on the WebSocket streams: connections per address per 5 minutes refused at
the handshake (429, then 418 once banned), a client sending too many messages in a second closed 1008
"Too many requests", and subscribing past the streams a connection may follow closed 1008. The limits'
wall clock is a ``ManualClock``: 960,000 s since the epoch opens a 5 minutes' window (and a second)."""

from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSCloseCode

from tests.binance_api.test_limits import MINUTE_START, venue
from tests.binance_api.test_market_streams import received
from tests.binance_api.test_stream_faults import closed
from tests.server.conftest import ManualClock, serving


async def test_connections_past_the_5_minutes_share_are_refused_429_until_the_window_turns(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Two connections per 5 minutes: a market stream and a subscribing connection open; the third
    (a plain GET to show the body) is 429 -1003 with Retry-After 300 (the whole window left), a real
    handshake 429 too; 300 s on, the window turns and a connection opens again."""
    clock = ManualClock(MINUTE_START)
    async with serving(tmp_path, binance=True, limits=venue(connections_per_5m=2), limits_clock=clock) as exchange:
        url = exchange.binance_url
        async with http.ws_connect(f"{url}/ws/btcusdt@aggTrade"), http.ws_connect(f"{url}/ws/0"):
            async with http.get(f"{url}/ws/0") as refused:
                status, retry_after, body = refused.status, refused.headers.get("Retry-After"), await refused.json()
            with pytest.raises(aiohttp.WSServerHandshakeError) as handshake:
                await http.ws_connect(f"{url}/ws/0")
        clock.now += 300
        async with http.ws_connect(f"{url}/ws/0") as later:
            await later.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
            listed = await received(later)
    assert (status, retry_after, body["code"]) == (429, "300", -1003)
    assert handshake.value.status == 429
    assert listed == {"result": [], "id": 1}


async def test_a_client_sending_more_messages_in_a_second_than_allowed_is_closed(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Three messages per second: in one second of the clock three LIST_SUBSCRIPTIONS are answered,
    the fourth closes the connection 1008 "Too many requests" unanswered. A second later, on a new
    connection, three are answered again: the count is per connection and per second."""
    clock = ManualClock(MINUTE_START)
    async with serving(tmp_path, binance=True, limits=venue(messages_per_second=3), limits_clock=clock) as exchange:
        async with http.ws_connect(f"{exchange.binance_url}/ws/0") as socket:
            for request_id in (1, 2, 3, 4):
                await socket.send_json({"method": "LIST_SUBSCRIPTIONS", "id": request_id})
            answers = [await received(socket) for _ in range(3)]
            close = await closed(socket)
        clock.now += 1
        async with http.ws_connect(f"{exchange.binance_url}/ws/0") as socket:
            for request_id in (5, 6, 7):
                await socket.send_json({"method": "LIST_SUBSCRIPTIONS", "id": request_id})
            again = [(await received(socket))["id"] for _ in range(3)]
    assert answers == [{"result": [], "id": request_id} for request_id in (1, 2, 3)]
    assert close == (WSCloseCode.POLICY_VIOLATION, "Too many requests")
    assert again == [5, 6, 7]


async def test_following_more_streams_than_a_connection_may_closes_it(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Two streams per connection: subscribing to two is answered; a third (one new name beside one
    already followed: three in all) closes the connection 1008 with the figures; a combined stream
    naming three is closed as it opens."""
    clock = ManualClock(MINUTE_START)
    limits = venue(streams_per_connection=2)
    message = "Too many streams: 3 asked, the limit is 2 per connection"
    async with serving(tmp_path, binance=True, limits=limits, limits_clock=clock) as exchange:
        url = exchange.binance_url
        async with http.ws_connect(f"{url}/ws/0") as socket:
            await socket.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "btcusdt@trade"], "id": 1})
            subscribed = await received(socket)
            third = ["btcusdt@aggTrade", "btcusdt@bookTicker"]
            await socket.send_json({"method": "SUBSCRIBE", "params": third, "id": 2})
            subscribing_close = await closed(socket)
        names = "btcusdt@aggTrade/btcusdt@trade/btcusdt@bookTicker"
        async with http.ws_connect(f"{url}/stream?streams={names}") as combined:
            combined_close = await closed(combined)
    assert subscribed == {"result": None, "id": 1}
    assert subscribing_close == combined_close == (WSCloseCode.POLICY_VIOLATION, message)
