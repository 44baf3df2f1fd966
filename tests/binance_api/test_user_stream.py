"""The user data stream: listenKey over REST, then the venue's messages on ``/ws/<listenKey>`` for
orders, fills, algo orders, wallet and settings changes made over REST and gRPC."""

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from paperex.server.binance_api.app import BinanceApi
from paperex.server.binance_api.listen_keys import ListenKeys
from paperex.v1 import admin_pb2, common_pb2, trading_pb2
from tests.binance_api.test_rest import call
from tests.server.conftest import Client, Exchange, btc_order, serving

MINUTE_MS = 60_000
WAIT_S = 30
"""Generous: the suite runs beside other engineers' on two cores; an event never takes this long."""


async def listen_key(http: aiohttp.ClientSession, venue: Exchange, account: Client, method: str = "POST") -> Any:
    """A listenKey route, with the API key alone (no signature), as the venue's USER_STREAM routes."""
    url = f"{venue.binance_url}/fapi/v1/listenKey"
    async with http.request(method, url, headers={"X-MBX-APIKEY": account.key}) as reply:
        return reply.status, await reply.json(content_type=None)


async def received(socket: aiohttp.ClientWebSocketResponse) -> Any:
    return await asyncio.wait_for(socket.receive_json(), WAIT_S)


async def open_account(venue: Exchange, name: str) -> tuple[int, Client]:
    reply = await venue.admin.admin.CreateAccount(
        admin_pb2.CreateAccountRequest(name=name, initial_deposit="100000"), metadata=venue.admin.auth
    )
    return reply.account_id, Client(venue.channel, reply.api_key, reply.api_secret)


def test_a_listen_key_lives_60_minutes_from_its_last_keep_alive() -> None:
    """Opened at 0 it expires at 60 min; kept alive at 59 it lives to 119; a POST while it lives gives
    the same key; after 119 it is gone and a POST makes a new one."""
    now = [0]
    keys = ListenKeys(lambda: now[0])
    first = keys.open(7)
    now[0] = 59 * MINUTE_MS
    assert keys.keep_alive(7) is not None
    now[0] = 100 * MINUTE_MS
    assert keys.open(7) == first  # and extended again, to 160
    now[0] = 159 * MINUTE_MS
    assert keys.find(first) is not None
    now[0] = 160 * MINUTE_MS
    assert keys.find(first) is None and keys.keep_alive(7) is None
    assert keys.open(7) != first


async def test_listen_key_routes_need_the_api_key_only(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """POST gives a 64-character key, again the same; PUT keeps it; DELETE ends it, and then PUT and the
    socket are -1125; no key is -2014."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice")
        opened = await listen_key(http, venue, alice)
        again = await listen_key(http, venue, alice)
        kept = await listen_key(http, venue, alice, "PUT")
        closed = await listen_key(http, venue, alice, "DELETE")
        after = await listen_key(http, venue, alice, "PUT")
        no_key = await listen_key(http, venue, Client(alice.channel, ""))
        async with http.get(f"{venue.binance_url}/ws/{opened[1]['listenKey']}") as socket_reply:
            socket = socket_reply.status, await socket_reply.json(content_type=None)

    key = opened[1]["listenKey"]
    assert opened[0] == 200 and len(key) == 64
    assert again == kept == (200, {"listenKey": key})
    assert closed == (200, {})
    assert after == socket == (400, {"code": -1125, "msg": "This listenKey does not exist."})
    assert no_key == (401, {"code": -2014, "msg": "API-key format invalid."})


async def test_orders_fills_and_wallet_changes_reach_the_user_stream(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Alice offers 0.010 BTC at 65,000 over REST; bob buys 0.004 at market over gRPC, so alice makes
    0.004 x 65,000 = 260 notional and pays the 0.02% maker fee, 0.052: her wallet 100,000 - 0.052 =
    99,999.948, short 0.004 at 65,000 (mark 65,000: no unrealized PnL). Then leverage 10 is an
    ACCOUNT_CONFIG_UPDATE, isolated margin on ETHUSDT (no position) a MARGIN_TYPE_CHANGE, and a deposit
    of 500 a DEPOSIT with bc 500 and the wallet at 100,499.948."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice_id, alice = await open_account(venue, "alice")
        bob = await venue.open_account("bob")
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
            offer = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC"}
            offer |= {"quantity": "0.010", "price": "65000", "newClientOrderId": "offer-1"}
            await call(http, venue, "POST", "/fapi/v1/order", alice, form=offer)
            accepted = await received(socket)
            await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.004"), metadata=bob.auth)
            filled, account = await received(socket), await received(socket)
            await call(http, venue, "POST", "/fapi/v1/leverage", alice, form={"symbol": "BTCUSDT", "leverage": "10"})
            leverage = await received(socket)
            isolated = {"symbol": "ETHUSDT", "marginType": "ISOLATED"}
            await call(http, venue, "POST", "/fapi/v1/marginType", alice, form=isolated)
            margin_type = await received(socket)
            deposit = admin_pb2.DepositRequest(account_id=alice_id, amount="500")
            await venue.admin.admin.Deposit(deposit, metadata=venue.admin.auth)
            deposited = await received(socket)

    assert accepted["e"] == "ORDER_TRADE_UPDATE"
    new = accepted["o"]
    assert (new["s"], new["c"], new["S"], new["o"], new["f"], new["x"], new["X"]) == (
        "BTCUSDT", "offer-1", "SELL", "LIMIT", "GTC", "NEW", "NEW"
    )  # fmt: skip
    assert (new["l"], new["z"], new["L"], new["n"], new["t"], new["ot"], new["ps"]) == (
        "0", "0", "0", "0", 0, "LIMIT", "BOTH"
    )  # fmt: skip
    trade = filled["o"]
    assert filled["e"] == "ORDER_TRADE_UPDATE" and (trade["x"], trade["X"], trade["i"]) == (
        "TRADE", "PARTIALLY_FILLED", new["i"]
    )  # fmt: skip
    assert (trade["l"], trade["z"], trade["L"], trade["ap"]) == ("0.004", "0.004", "65000.0", "65000.0")
    assert (trade["n"], trade["N"], trade["m"], trade["rp"]) == ("0.052", "USDT", True, "0")
    assert trade["t"] > 0 and trade["T"] == filled["T"]
    assert account["e"] == "ACCOUNT_UPDATE" and account["a"]["m"] == "ORDER"
    assert account["a"]["B"] == [{"a": "USDT", "wb": "99999.948", "cw": "99999.948", "bc": "0"}]
    [position] = account["a"]["P"]
    assert (position["s"], position["pa"], position["ep"], position["up"], position["mt"], position["ps"]) == (
        "BTCUSDT", "-0.004", "65000.0", "0", "cross", "BOTH"
    )  # fmt: skip
    assert leverage["e"] == "ACCOUNT_CONFIG_UPDATE" and leverage["ac"] == {"s": "BTCUSDT", "l": 10}
    assert margin_type["e"] == "ACCOUNT_UPDATE" and margin_type["a"]["m"] == "MARGIN_TYPE_CHANGE"
    assert [(p["s"], p["pa"], p["mt"]) for p in margin_type["a"]["P"]] == [("ETHUSDT", "0", "isolated")]
    assert deposited["a"]["m"] == "DEPOSIT"
    assert deposited["a"]["B"] == [{"a": "USDT", "wb": "100499.948", "cw": "100499.948", "bc": "500"}]


async def test_hedge_mode_orders_and_positions_name_their_leg_on_the_stream(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Alice in hedge mode sells 0.004 BTC into her SHORT leg at 65,000 (bob's bid over gRPC): her order
    update and the position in the ACCOUNT_UPDATE both carry ps SHORT."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        _, alice = await open_account(venue, "alice")
        bob = await venue.open_account("bob")
        await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "65000.0"), metadata=bob.auth)
        await call(http, venue, "POST", "/fapi/v1/positionSide/dual", alice, form={"dualSidePosition": "true"})
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
            sell = {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.004"}
            await call(http, venue, "POST", "/fapi/v1/order", alice, form={**sell, "positionSide": "SHORT"})
            messages = [await received(socket) for _ in range(3)]

    orders = [m["o"] for m in messages if m["e"] == "ORDER_TRADE_UPDATE"]
    [account] = [m for m in messages if m["e"] == "ACCOUNT_UPDATE"]
    assert [(o["X"], o["ps"]) for o in orders] == [("NEW", "SHORT"), ("FILLED", "SHORT")]
    assert [(p["s"], p["pa"], p["ps"]) for p in account["a"]["P"]] == [("BTCUSDT", "-0.004", "SHORT")]


async def test_algo_orders_stream_as_algo_updates(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """A stop-market buy at 66,000 on the mark waits: ALGO_UPDATE NEW, and no ORDER_TRADE_UPDATE; the
    mark at 66,100 triggers it: ALGO_UPDATE TRIGGERED naming the order it became (the same id here),
    then that order, a MARKET order of original type STOP_MARKET; the book is empty, so the market
    order expires: ORDER_TRADE_UPDATE EXPIRED, and the algo order is FINISHED."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
            stop = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "BUY", "type": "STOP_MARKET"}
            stop |= {"quantity": "0.002", "triggerPrice": "66000", "workingType": "MARK_PRICE", "clientAlgoId": "s-1"}
            await call(http, venue, "POST", "/fapi/v1/algoOrder", alice, form=stop)
            waiting = await received(socket)
            await venue.set_mark("BTCUSDT", "66100")
            updates = [await received(socket) for _ in range(4)]

    assert waiting["e"] == "ALGO_UPDATE"
    algo = waiting["o"]
    assert (algo["caid"], algo["at"], algo["o"], algo["X"], algo["ai"], algo["tp"], algo["wt"]) == (
        "s-1", "CONDITIONAL", "STOP_MARKET", "NEW", "", "66000.0", "MARK_PRICE"
    )  # fmt: skip
    assert [(update["e"], update["o"]["X"]) for update in updates] == [
        ("ALGO_UPDATE", "TRIGGERED"),
        ("ORDER_TRADE_UPDATE", "NEW"),
        ("ORDER_TRADE_UPDATE", "EXPIRED"),
        ("ALGO_UPDATE", "FINISHED"),
    ]
    triggered, working = updates[0]["o"], updates[1]["o"]
    assert triggered["ai"] == str(algo["aid"]) and triggered["tt"] > 0
    assert (working["i"], working["o"], working["ot"], working["c"]) == (algo["aid"], "MARKET", "STOP_MARKET", "s-1")


async def test_the_stream_shows_an_algo_order_as_the_rest_routes_do(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """A close-position stop-market sell at 60,000 on the mark has no quantity of its own: the stream's
    ALGO_UPDATE and GET /fapi/v1/algoOrder both show quantity "0", and every field they share agrees."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
            stop = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET"}
            stop |= {"closePosition": "true", "triggerPrice": "60000", "clientAlgoId": "exit"}
            await call(http, venue, "POST", "/fapi/v1/algoOrder", alice, form=stop)
            waiting = await received(socket)
        status, shown = await call(http, venue, "GET", "/fapi/v1/algoOrder", alice, query={"clientAlgoId": "exit"})

    algo = waiting["o"]
    assert status == 200 and (algo["q"], shown["quantity"], algo["cp"], algo["X"]) == ("0", "0", True, "NEW")
    same = {
        "caid": "clientAlgoId",
        "aid": "algoId",
        "o": "orderType",
        "S": "side",
        "q": "quantity",
        "tp": "triggerPrice",
    }
    assert {name: algo[name] for name in same} == {name: shown[rest] for name, rest in same.items()}
    assert (algo["caid"], algo["o"], algo["S"], algo["tp"]) == ("exit", "STOP_MARKET", "SELL", "60000.0")


async def test_an_expired_listen_key_says_so_and_closes_the_stream(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """With a validity of a fifth of a second and no keep-alive, the stream gets ``listenKeyExpired``
    naming the key, then closes; the key is gone (PUT: -1125)."""
    async with serving(tmp_path) as venue:
        short = BinanceApi(venue.server.application, listen_key_validity_ms=200)
        venue.binance_url = f"http://127.0.0.1:{await short.start('127.0.0.1', 0)}"
        try:
            alice = await venue.open_account("alice")
            _, opened = await listen_key(http, venue, alice)
            async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
                expired = await received(socket)
                closing = await asyncio.wait_for(socket.receive(), WAIT_S)
            kept = await listen_key(http, venue, alice, "PUT")
        finally:
            await short.stop()

    assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == opened["listenKey"]
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert kept == (400, {"code": -1125, "msg": "This listenKey does not exist."})


async def test_a_listen_key_subscribed_by_message_follows_the_account(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """As the venue (and the futures connector's ``user_data``): a connection to ``/ws`` subscribes to
    alice's listen key (beside a public stream, both listed); her gRPC order arrives as
    ORDER_TRADE_UPDATE. Once the key is deleted it is no longer listed, and it is an unknown stream."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice")
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws") as socket:
            names = [opened["listenKey"], "btcusdt@aggTrade"]
            await socket.send_json({"method": "SUBSCRIBE", "params": names, "id": 1})
            subscribed = await received(socket)
            await socket.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 3})
            listed = await received(socket)
            await alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "60000"), metadata=alice.auth)
            placed = await received(socket)
            await listen_key(http, venue, alice, "DELETE")
            await socket.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 4})
            listed_after = await received(socket)
            await socket.send_json({"method": "SUBSCRIBE", "params": [opened["listenKey"]], "id": 2})
            refused = await received(socket)

    assert subscribed == {"result": None, "id": 1}
    assert listed == {"result": names, "id": 3}
    assert listed_after == {"result": ["btcusdt@aggTrade"], "id": 4}
    assert (placed["e"], placed["o"]["X"], placed["o"]["q"], placed["o"]["p"]) == (
        "ORDER_TRADE_UPDATE", "NEW", "0.002", "60000.0"
    )  # fmt: skip
    assert refused == {
        "error": {"code": 2, "msg": f"Invalid request: unknown stream(s) {opened['listenKey']}"},
        "id": 2,
    }


async def test_a_subscribed_listen_key_that_expires_says_so(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """With a validity of a second, a listen key subscribed by message sends ``listenKeyExpired`` and is
    gone: no longer listed, and subscribing to it again is refused on the same connection."""
    async with serving(tmp_path) as venue:
        short = BinanceApi(venue.server.application, listen_key_validity_ms=1000)
        venue.binance_url = f"http://127.0.0.1:{await short.start('127.0.0.1', 0)}"
        try:
            alice = await venue.open_account("alice")
            _, opened = await listen_key(http, venue, alice)
            async with http.ws_connect(f"{venue.binance_url}/ws") as socket:
                await socket.send_json({"method": "SUBSCRIBE", "params": [opened["listenKey"]], "id": 1})
                subscribed = await received(socket)
                expired = await received(socket)
                await socket.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 3})
                listed = await received(socket)
                await socket.send_json({"method": "SUBSCRIBE", "params": [opened["listenKey"]], "id": 2})
                again = await received(socket)
        finally:
            await short.stop()

    assert subscribed == {"result": None, "id": 1}
    assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == opened["listenKey"]
    assert listed == {"result": [], "id": 3}
    assert again["error"]["code"] == 2


async def test_a_margin_call_lists_the_cross_positions(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Alice (1,000 USDT, leverage 20) buys 0.3 BTC at 65,000 from bob: notional 19,500, taker fee 9.75,
    wallet 990.25. The mark falls to 62,050: unrealized -0.3 x 2,950 = -885, margin balance 105.25,
    maintenance 0.4% x 0.3 x 62,050 = 74.46, ratio 74.46 / 105.25 = 0.707: past the 70% warning, short
    of liquidation. MARGIN_CALL carries the cross wallet and the position at that mark."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice_id, alice = await open_account(venue, "alice")
        withdrawal = admin_pb2.WithdrawRequest(account_id=alice_id, amount="99000")  # 100,000 - 99,000 = 1,000
        await venue.admin.admin.Withdraw(withdrawal, metadata=venue.admin.auth)
        bob = await venue.open_account("bob")
        await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.300", "65000"), metadata=bob.auth)
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
            buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.300"}
            await call(http, venue, "POST", "/fapi/v1/order", alice, form=buy)
            await venue.set_mark("BTCUSDT", "62050")

            async def margin_call() -> Any:
                while (message := await socket.receive_json())["e"] != "MARGIN_CALL":
                    pass
                return message

            called = await asyncio.wait_for(margin_call(), WAIT_S)

    assert called["cw"] == "990.25"
    assert called["p"] == [
        {
            "s": "BTCUSDT",
            "ps": "BOTH",
            "pa": "0.300",
            "mt": "CROSSED",
            "iw": "0",
            "mp": "62050.0",
            "up": "-885",
            "mm": "74.46",
        }
    ]


async def test_a_btc_deposit_is_an_account_update_of_btc(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """0.25 BTC deposited: ACCOUNT_UPDATE DEPOSIT whose balance entry is BTC's, in BTC (USDT did not move)."""
    async with serving(tmp_path, binance=True) as venue:
        alice_id, alice = await open_account(venue, "alice")
        _, opened = await listen_key(http, venue, alice)
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
            deposit = admin_pb2.DepositRequest(account_id=alice_id, amount="0.25", asset="BTC")
            await venue.admin.admin.Deposit(deposit, metadata=venue.admin.auth)
            deposited = await received(socket)

    assert (deposited["e"], deposited["a"]["m"]) == ("ACCOUNT_UPDATE", "DEPOSIT")
    assert deposited["a"]["B"] == [{"a": "BTC", "wb": "0.25", "cw": "0.25", "bc": "0.25"}]


async def test_an_order_sent_without_a_client_id_shows_a_generated_one(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Two bids without newClientOrderId: each answer, the stream and a query show
    ``paperex`` + its order id in 15 digits (22 letters and digits, as the venue's generated ids),
    and that id names the order for a query and a cancel. The second bid is no retry of the first
    (both rest), gRPC still shows no client id, a stop sent without clientAlgoId gets one the same way,
    and a client may not send an id of that shape itself (-4015)."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        _, alice = await open_account(venue, "alice")
        _, opened = await listen_key(http, venue, alice)
        bid = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002"}
        async with http.ws_connect(f"{venue.binance_url}/ws/{opened['listenKey']}") as socket:
            _, first = await call(http, venue, "POST", "/fapi/v1/order", alice, form={**bid, "price": "60000"})
            streamed = await received(socket)
        _, second = await call(http, venue, "POST", "/fapi/v1/order", alice, form={**bid, "price": "60000"})
        generated = f"paperex{first['orderId']:015d}"
        by_client_id = {"symbol": "BTCUSDT", "origClientOrderId": generated}
        _, queried = await call(http, venue, "GET", "/fapi/v1/order", alice, query=by_client_id)
        on_grpc = await alice.trading.GetOrder(
            trading_pb2.GetOrderRequest(symbol="BTCUSDT", order_id=first["orderId"]), metadata=alice.auth
        )
        _, canceled = await call(http, venue, "DELETE", "/fapi/v1/order", alice, form=by_client_id)
        stop = {"symbol": "BTCUSDT", "side": "SELL", "algoType": "CONDITIONAL", "type": "STOP_MARKET"}
        stop |= {"quantity": "0.002", "triggerPrice": "63000"}
        _, algo = await call(http, venue, "POST", "/fapi/v1/algoOrder", alice, form=stop)
        taken = await call(
            http, venue, "POST", "/fapi/v1/order", alice, form={**bid, "price": "60000", "newClientOrderId": generated}
        )

    assert len(generated) == 22 and generated.isalnum()
    assert first["clientOrderId"] == streamed["o"]["c"] == queried["clientOrderId"] == generated
    assert second["clientOrderId"] == f"paperex{second['orderId']:015d}" != generated
    assert second["status"] == "NEW"
    assert on_grpc.order.client_order_id == ""
    assert (canceled["orderId"], canceled["status"]) == (first["orderId"], "CANCELED")
    assert algo["clientAlgoId"] == f"paperex{algo['algoId']:015d}"
    assert taken == (400, {"code": -4015, "msg": "Client order id is not valid."})
