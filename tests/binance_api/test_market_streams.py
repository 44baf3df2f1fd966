"""Public WebSocket streams: the venue's local order book procedure on ``@depth`` from the REST
snapshot, combined streams, SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS and their refusals."""

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from paperex.v1 import common_pb2, trading_pb2
from tests.binance_api.test_rest import call
from tests.server.conftest import btc_order, serving

WAIT_S = 30
"""Generous: the suite runs beside other engineers' on two cores; a message never takes this long."""


async def received(socket: aiohttp.ClientWebSocketResponse) -> Any:
    return await asyncio.wait_for(socket.receive_json(), WAIT_S)


async def collect(socket: aiohttp.ClientWebSocketResponse, **wanted: Callable[[Any], bool]) -> dict[str, Any]:
    """For each name, the first message its test accepts (a combined stream interleaves its streams)."""
    found: dict[str, Any] = {}

    async def read() -> None:
        while len(found) < len(wanted):
            message = await socket.receive_json()
            for name, accepts in wanted.items():
                if name not in found and accepts(message):
                    found[name] = message

    await asyncio.wait_for(read(), WAIT_S)
    return found


def on(stream: str, accepts: Callable[[Any], bool] = lambda data: True) -> Callable[[Any], bool]:
    """A test of a combined stream's message: from ``stream``, with data ``accepts`` takes."""
    return lambda message: message["stream"] == stream and accepts(message["data"])


def applied(book: dict[str, dict[Decimal, Decimal]], update: Any) -> None:
    for side, levels in (("bids", update["b"]), ("asks", update["a"])):
        for price, quantity in levels:
            if Decimal(quantity):
                book[side][Decimal(price)] = Decimal(quantity)
            else:
                book[side].pop(Decimal(price), None)


def as_book(depth: Any) -> dict[str, dict[Decimal, Decimal]]:
    return {side: {Decimal(p): Decimal(q) for p, q in depth[side]} for side in ("bids", "asks")}


async def test_a_local_book_from_the_rest_snapshot_and_depth_updates(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """The venue's procedure: subscribe, take the REST snapshot (lastUpdateId L), then apply the updates
    whose u >= L, the first with pu == L, each next one's pu the previous u. Bob bids 0.010 at 64,000
    before; alice offers 0.020 at 66,000, bob lifts 0.005 of it: the local book is bid 0.010 @ 64,000,
    offer 0.015 @ 66,000, which is also what REST shows after."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        bob = await venue.open_account("bob")
        await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "64000"), metadata=bob.auth)
        async with http.ws_connect(f"{venue.binance_url}/ws/0") as socket:
            await socket.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@depth@100ms"], "id": 1})
            subscribed = await received(socket)
            _, snapshot = await call(http, venue, "GET", "/fapi/v1/depth", query={"symbol": "BTCUSDT"})
            offer = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC"}
            await call(
                http, venue, "POST", "/fapi/v1/order", alice, form=offer | {"quantity": "0.020", "price": "66000"}
            )
            first = await received(socket)
            await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.005"), metadata=bob.auth)
            second = await received(socket)
            await socket.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
            listed = await received(socket)
            await socket.send_json({"method": "UNSUBSCRIBE", "params": ["btcusdt@depth@100ms"], "id": 3})
            unsubscribed = await received(socket)
            await socket.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@depth7", "xyzusdt@trade"], "id": 4})
            refused = await received(socket)
            await socket.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 5})
            none_left = await received(socket)
        _, after = await call(http, venue, "GET", "/fapi/v1/depth", query={"symbol": "BTCUSDT"})

    assert subscribed == {"result": None, "id": 1}
    last_update = snapshot["lastUpdateId"]
    assert first["e"] == "depthUpdate" and first["s"] == "BTCUSDT"
    assert first["u"] >= last_update and first["pu"] == last_update and second["pu"] == first["u"]
    book = as_book(snapshot)
    applied(book, first)
    applied(book, second)
    assert book == {"bids": {Decimal(64000): Decimal("0.010")}, "asks": {Decimal(66000): Decimal("0.015")}}
    assert as_book(after) == book and after["lastUpdateId"] == second["u"]
    assert listed == {"result": ["btcusdt@depth@100ms"], "id": 2}
    assert unsubscribed == {"result": None, "id": 3}
    assert refused == {
        "error": {"code": 2, "msg": "Invalid request: unknown stream(s) btcusdt@depth7, xyzusdt@trade"},
        "id": 4,
    }
    assert none_left == {"result": [], "id": 5}


async def test_combined_streams_wrap_trades_and_the_touch(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Bob bids 0.010 at 64,000 over gRPC; alice sells 0.004 at market over REST: one trade at 64,000
    whose buyer (bob) made it, and the touch left with 0.006 bid; each message names its stream."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        bob = await venue.open_account("bob")
        names = "btcusdt@trade/btcusdt@aggTrade/btcusdt@bookTicker/btcusdt@depth5"
        async with http.ws_connect(f"{venue.binance_url}/stream?streams={names}") as socket:
            await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "64000"), metadata=bob.auth)
            await collect(socket, bid=on("btcusdt@bookTicker", lambda data: data["B"] == "0.010"))
            sale = {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.004"}
            await call(http, venue, "POST", "/fapi/v1/order", alice, form=sale)
            found = await collect(
                socket,
                trade=on("btcusdt@trade"),
                aggregate=on("btcusdt@aggTrade"),
                touch=on("btcusdt@bookTicker", lambda data: data["B"] == "0.006"),
                top=on("btcusdt@depth5", lambda data: data["b"][0][1] == "0.006"),
            )

    trade, aggregate, touch, top = found["trade"], found["aggregate"], found["touch"], found["top"]
    sold = trade["data"]
    assert (sold["e"], sold["s"], sold["p"], sold["q"], sold["m"], sold["X"]) == (
        "trade", "BTCUSDT", "64000.0", "0.004", True, "MARKET"
    )  # fmt: skip
    agg = aggregate["data"]
    assert (agg["e"], agg["a"], agg["f"], agg["l"], agg["p"], agg["q"], agg["m"]) == (
        "aggTrade", sold["t"], sold["t"], sold["t"], "64000.0", "0.004", True
    )  # fmt: skip
    assert (touch["data"]["b"], touch["data"]["a"], touch["data"]["A"]) == ("64000.0", "0", "0")
    assert top["data"]["b"] == [["64000.0", "0.006"]] and top["data"]["a"] == []


async def test_klines_mark_prices_and_tickers(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """One trade of 0.004 at 64,000: the minute's kline opens and closes at 64,000 with volume 0.004,
    quote volume 256, one trade, still running; the 24 h tickers show it as the last price; the mark
    stays at 65,000 in ``@markPrice`` and in ``!markPrice@arr``, which lists every symbol."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        bob = await venue.open_account("bob")
        names = "btcusdt@kline_1m/btcusdt@markPrice@1s/!markPrice@arr/btcusdt@ticker/btcusdt@miniTicker"
        async with http.ws_connect(f"{venue.binance_url}/stream?streams={names}") as socket:
            await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.004", "64000"), metadata=bob.auth)
            sell = trading_pb2.PlaceOrderRequest(
                symbol="BTCUSDT", side=common_pb2.SIDE_SELL, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="0.004"
            )
            await alice.trading.PlaceOrder(sell, metadata=alice.auth)
            found = await collect(
                socket,
                kline=on("btcusdt@kline_1m"),
                mark=on("btcusdt@markPrice@1s"),
                marks=on("!markPrice@arr"),
                ticker=on("btcusdt@ticker", lambda data: data["c"] == "64000.0"),
                mini=on("btcusdt@miniTicker", lambda data: data["c"] == "64000.0"),
            )

    kline, mark, marks, ticker, mini = (found[name] for name in ("kline", "mark", "marks", "ticker", "mini"))
    bar = kline["data"]["k"]
    assert kline["data"]["e"] == "kline" and (bar["s"], bar["i"], bar["x"]) == ("BTCUSDT", "1m", False)
    assert (bar["o"], bar["c"], bar["h"], bar["l"], bar["v"], bar["q"], bar["n"]) == (
        "64000.0", "64000.0", "64000.0", "64000.0", "0.004", "256", 1
    )  # fmt: skip
    assert bar["T"] == bar["t"] + 59_999
    assert (mark["data"]["e"], mark["data"]["s"], mark["data"]["p"]) == ("markPriceUpdate", "BTCUSDT", "65000.0")
    assert {(m["s"], m["e"]) for m in marks["data"]} == {("BTCUSDT", "markPriceUpdate"), ("ETHUSDT", "markPriceUpdate")}
    assert (ticker["data"]["e"], ticker["data"]["v"], ticker["data"]["n"]) == ("24hrTicker", "0.004", 1)
    assert (mini["data"]["e"], mini["data"]["o"], mini["data"]["q"]) == ("24hrMiniTicker", "64000.0", "256")


async def test_unknown_streams_are_refused(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """A combined stream naming an unknown stream is -1130 before any socket opens."""
    async with (
        serving(tmp_path, binance=True) as venue,
        http.get(f"{venue.binance_url}/stream?streams=btcusdt@trade/btcusdt@kline_7m") as reply,
    ):
        refused = reply.status, await reply.json()

    assert refused == (400, {"code": -1130, "msg": "Data sent for parameter 'streams' is not valid."})
