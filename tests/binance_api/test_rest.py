"""The REST API over raw HTTP: the venue's signing rules, the ways clients send parameters, and the
venue's answers where ccxt would hide them."""

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from paperex.server.binance_api.signing import signature
from paperex.v1 import admin_pb2, common_pb2
from tests.server.conftest import Client, Exchange, btc_order, serving

SIMULATION_START_MS = 1_767_225_600_000
"""Where the simulated clock starts (2026-01-01)."""


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


async def send(
    http: aiohttp.ClientSession,
    venue: Exchange,
    method: str,
    path: str,
    account: Client | None = None,
    *,
    query: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    stamp_ms: int | None = None,
    key: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Mapping[str, str], Any]:
    """One request, answered with its status, headers and body; with ``account`` signed as the venue
    asks: ``timestamp`` added to the form when there is one (else the query), the signature over query
    + form appended to the same part. The URL goes as encoded here (aiohttp would otherwise re-quote it,
    and the signed query would change)."""
    query_text, form_text = urlencode(query or {}), urlencode(form or {})
    sent_headers = dict(headers or {})
    if account is not None:
        stamp = f"timestamp={stamp_ms if stamp_ms is not None else wall_ms()}"
        if form is not None:
            form_text = f"{form_text}&{stamp}" if form_text else stamp
        else:
            query_text = f"{query_text}&{stamp}" if query_text else stamp
        signed = f"signature={signature(account.secret, query_text + form_text)}"
        if form is not None:
            form_text = f"{form_text}&{signed}"
        else:
            query_text = f"{query_text}&{signed}"
        sent_headers["X-MBX-APIKEY"] = account.key if key is None else key
    if form is not None:
        sent_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    url = f"{venue.binance_url}{path}" + (f"?{query_text}" if query_text else "")
    body = form_text if form is not None else None
    async with http.request(method, URL(url, encoded=True), data=body, headers=sent_headers) as reply:
        return reply.status, reply.headers, await reply.json(content_type=None)


async def call(
    http: aiohttp.ClientSession,
    venue: Exchange,
    method: str,
    path: str,
    account: Client | None = None,
    **options: Any,
) -> tuple[int, Any]:
    """``send``'s status and body."""
    status, _, body = await send(http, venue, method, path, account, **options)
    return status, body


async def test_public_market_data_needs_no_key(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """BTCUSDT's filters as the venue writes them: price band 5% is PERCENT_PRICE 1.0500 / 0.9500, the
    minimum notional 100, at most 200 open orders; the server time is the wall clock."""
    async with serving(tmp_path, binance=True) as venue:
        before = wall_ms()
        assert await call(http, venue, "GET", "/fapi/v1/ping") == (200, {})
        status, server_time = await call(http, venue, "GET", "/fapi/v1/time")
        after = wall_ms()
        _, info = await call(http, venue, "GET", "/fapi/v1/exchangeInfo")

    assert status == 200 and before <= server_time["serverTime"] <= after
    btc = next(symbol for symbol in info["symbols"] if symbol["symbol"] == "BTCUSDT")
    filters = {item["filterType"]: item for item in btc["filters"]}
    assert filters["PERCENT_PRICE"] == {
        "filterType": "PERCENT_PRICE",
        "multiplierUp": "1.0500",
        "multiplierDown": "0.9500",
        "multiplierDecimal": "4",
    }
    assert filters["MIN_NOTIONAL"]["notional"] == "100"
    assert filters["MAX_NUM_ORDERS"]["limit"] == 200
    assert (btc["contractType"], btc["pricePrecision"], btc["quantityPrecision"]) == ("PERPETUAL", 1, 3)


async def test_the_wall_clock_judges_timestamps_on_a_simulated_exchange(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """The exchange's clock stands at 2026-01-01; a client signs with its own clock, which the window is
    checked against: stamped now it passes, stamped with the exchange's time it is -1021."""
    async with serving(tmp_path, binance=True, clock="simulated") as venue:
        alice = await venue.open_account("alice", "10000")
        now = await call(http, venue, "GET", "/fapi/v3/balance", alice)
        simulated = await call(http, venue, "GET", "/fapi/v3/balance", alice, stamp_ms=SIMULATION_START_MS)

    assert now[0] == 200 and now[1][0]["balance"] == "10000"
    assert simulated == (400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."})


async def test_keys_and_signatures_are_checked(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """No key: -2014; a key we never issued: -2015 (both 401); alice's key with bob's secret: -1022."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice")
        bob = await venue.open_account("bob")
        no_key = await call(http, venue, "GET", "/fapi/v2/account", alice, key="")
        unknown = await call(http, venue, "GET", "/fapi/v2/account", alice, key="pk_unknown")
        forged = await call(http, venue, "GET", "/fapi/v2/account", Client(alice.channel, alice.key, bob.secret))

    assert no_key == (401, {"code": -2014, "msg": "API-key format invalid."})
    assert unknown == (401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
    assert forged == (400, {"code": -1022, "msg": "Signature for this request is not valid."})


async def test_the_signing_secret_survives_a_restart(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """The secret is journaled with the account: after a restart the same key and secret still sign."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice", "2500")
    async with serving(tmp_path, binance=True) as venue:
        status, balances = await call(http, venue, "GET", "/fapi/v2/balance", alice)

    assert status == 200 and balances[0]["balance"] == "2500"


async def test_clients_may_put_parameters_in_the_query_or_the_body(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """A POST with everything in the query and an empty JSON body (as some clients send) places an
    order; a DELETE with a form body cancels it."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        placed = await call(
            http,
            venue,
            "POST",
            "/fapi/v1/order",
            alice,
            query={**order, "quantity": "0.002", "price": "60000"},
            headers={"Content-Type": "application/json"},
        )
        order_id = str(placed[1]["orderId"])
        canceled = await call(
            http, venue, "DELETE", "/fapi/v1/order", alice, form={"symbol": "BTCUSDT", "orderId": order_id}
        )

    assert placed[0] == 200 and (placed[1]["status"], placed[1]["price"], placed[1]["origQty"]) == (
        "NEW",
        "60000.0",
        "0.002",
    )
    assert canceled[0] == 200 and canceled[1]["status"] == "CANCELED"


async def test_conditional_orders_belong_to_the_algo_endpoints(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Since 2025-12-09 the venue takes stops and take-profits only as algo orders: on /fapi/v1/order
    they are -4120, and nothing is placed."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice")
        stop = {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET", "quantity": "0.002", "stopPrice": "60000"}
        refused = await call(http, venue, "POST", "/fapi/v1/order", alice, form=stop)
        _, open_orders = await call(http, venue, "GET", "/fapi/v1/openOrders", alice)

    assert refused[0] == 400 and refused[1]["code"] == -4120
    assert (
        refused[1]["msg"]
        == "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
    )
    assert open_orders == []


async def test_hedge_mode_switches_and_orders_name_their_leg(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """One-way is set (-4059 when asked again); hedge mode is switched on, then every order names its leg
    (-4061 without one, -1106 with reduceOnly), and positionRisk lists a LONG and a SHORT entry per
    symbol: Alice's 0.002 BTC bought at 64,900 into her LONG leg, her SHORT leg flat; userTrades reports
    the fill's leg (commission 0.002 x 64,900 x 0.05% = 0.0649). Back to one-way is refused while she
    holds it (-4068)."""
    dual = "/fapi/v1/positionSide/dual"
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "64900")
        alice, bob = await venue.open_account("alice"), await venue.open_account("bob")
        ask = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010"}
        await call(http, venue, "POST", "/fapi/v1/order", bob, form={**ask, "price": "64900"})
        before = await call(http, venue, "GET", dual, alice)
        again = await call(http, venue, "POST", dual, alice, form={"dualSidePosition": "false"})
        hedge = await call(http, venue, "POST", dual, alice, form={"dualSidePosition": "true"})
        after = await call(http, venue, "GET", dual, alice)
        buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"}
        unnamed = await call(http, venue, "POST", "/fapi/v1/order", alice, form=buy)
        reducing = await call(
            http, venue, "POST", "/fapi/v1/order", alice, form={**buy, "positionSide": "SHORT", "reduceOnly": "true"}
        )
        bought = await call(http, venue, "POST", "/fapi/v1/order", alice, form={**buy, "positionSide": "LONG"})
        _, risk = await call(http, venue, "GET", "/fapi/v2/positionRisk", alice, query={"symbol": "BTCUSDT"})
        _, trades = await call(http, venue, "GET", "/fapi/v1/userTrades", alice, query={"symbol": "BTCUSDT"})
        back = await call(http, venue, "POST", dual, alice, form={"dualSidePosition": "false"})

    assert before == (200, {"dualSidePosition": False})
    assert again[0] == 400 and (again[1]["code"], again[1]["msg"]) == (-4059, "No need to change position side.")
    assert hedge == (200, {"code": 200, "msg": "success"})
    assert after == (200, {"dualSidePosition": True})
    assert unnamed[0] == 400 and unnamed[1]["code"] == -4061
    assert reducing[0] == 400 and reducing[1]["code"] == -1106
    assert bought[0] == 200 and (bought[1]["positionSide"], bought[1]["status"]) == ("LONG", "FILLED")
    assert [(r["positionSide"], r["positionAmt"], r["entryPrice"]) for r in risk] == [
        ("LONG", "0.002", "64900.0"),
        ("SHORT", "0", "0"),
    ]
    assert [(t["positionSide"], t["side"], t["qty"], t["commission"]) for t in trades] == [
        ("LONG", "BUY", "0.002", "0.0649")
    ]
    assert back[0] == 400 and back[1]["code"] == -4068


async def test_a_refusal_carries_our_reason_and_figures_beside_the_venues_code(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """10 BTC at 60,000 at 20x needs 30,000 of initial margin plus the order's fee at the taker rate,
    600,000 x 0.0005 = 300: 30,300 against the 10,000 available."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice", "10000")
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        status, body = await call(
            http, venue, "POST", "/fapi/v1/order", alice, form={**order, "quantity": "10", "price": "60000"}
        )

    assert (status, body["code"], body["msg"]) == (400, -2019, "Margin is insufficient.")
    assert body["paperex"]["reason"] == "INSUFFICIENT_MARGIN"
    assert (body["paperex"]["metadata"]["required"], body["paperex"]["metadata"]["available"]) == ("30300", "10000")


async def test_a_waiting_algo_order_lives_on_the_algo_endpoints_only(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """A stop not yet triggered is listed by openAlgoOrders, not by openOrders; /fapi/v1/order does not
    know it (-2013); DELETE /fapi/v1/algoOrder cancels it by clientAlgoId."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        stop = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET"}
        stop |= {"quantity": "0.002", "triggerPrice": "63000", "clientAlgoId": "stop-1"}
        placed = await call(http, venue, "POST", "/fapi/v1/algoOrder", alice, form=stop)
        algo_id = str(placed[1]["algoId"])
        algo_listed = await call(http, venue, "GET", "/fapi/v1/openAlgoOrders", alice)
        listed = await call(http, venue, "GET", "/fapi/v1/openOrders", alice)
        as_order = await call(
            http, venue, "GET", "/fapi/v1/order", alice, query={"symbol": "BTCUSDT", "orderId": algo_id}
        )
        canceled = await call(http, venue, "DELETE", "/fapi/v1/algoOrder", alice, form={"clientAlgoId": "stop-1"})
        after = await call(http, venue, "GET", "/fapi/v1/algoOrder", alice, query={"algoId": algo_id})

    assert placed[0] == 200 and (placed[1]["algoStatus"], placed[1]["triggerPrice"]) == ("NEW", "63000.0")
    assert [order["algoId"] for order in algo_listed[1]] == [int(algo_id)]
    assert listed == (200, [])
    assert as_order == (400, {"code": -2013, "msg": "Order does not exist.", "paperex": as_order[1]["paperex"]})
    assert canceled == (200, {"algoId": int(algo_id), "clientAlgoId": "stop-1", "code": "200", "msg": "success"})
    assert after[1]["algoStatus"] == "CANCELED"


async def test_market_data_from_one_book(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """A gRPC maker bids 0.010 at 64,000 and offers 0.010 at 65,000; a taker lifts 0.004 of the offer.
    The last price is 65,000, the touch 64,000 / 65,000 with 0.006 left on offer; funding is due at the
    next 8-hour boundary (00:00, 08:00, 16:00 UTC)."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        maker = await venue.open_account("maker", "1000000")
        await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
        await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "64000"), metadata=maker.auth)
        taker = await venue.open_account("taker")
        await taker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.004"), metadata=taker.auth)
        btc = {"symbol": "BTCUSDT"}
        _, price = await call(http, venue, "GET", "/fapi/v1/ticker/price", query=btc)
        _, prices = await call(http, venue, "GET", "/fapi/v2/ticker/price")
        _, touch = await call(http, venue, "GET", "/fapi/v1/ticker/bookTicker", query=btc)
        _, premium = await call(http, venue, "GET", "/fapi/v1/premiumIndex", query=btc)
        _, depth = await call(http, venue, "GET", "/fapi/v1/depth", query={**btc, "limit": "5"})
        _, day = await call(http, venue, "GET", "/fapi/v1/ticker/24hr", query=btc)

    assert price["price"] == "65000.0"
    assert [entry["symbol"] for entry in prices] == ["BTCUSDT", "ETHUSDT"]
    assert (touch["bidPrice"], touch["bidQty"], touch["askPrice"], touch["askQty"]) == (
        "64000.0",
        "0.010",
        "65000.0",
        "0.006",
    )
    assert (premium["markPrice"], premium["lastFundingRate"], premium["interestRate"]) == ("65000.0", "0", "0.0001")
    assert premium["nextFundingTime"] % (8 * 3_600_000) == 0 and premium["nextFundingTime"] > premium["time"]
    assert (depth["bids"], depth["asks"]) == ([["64000.0", "0.010"]], [["65000.0", "0.006"]])
    assert depth["lastUpdateId"] > 0
    assert (day["lastPrice"], day["volume"], day["quoteVolume"], day["count"]) == ("65000.0", "0.004", "260", 1)


async def test_account_views_v2_and_v3(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Alice (10,000) buys 0.004 BTCUSDT at 65,000 at the default 20x: v2 lists every symbol (ETHUSDT
    flat), v3 the held one only. At 20x the largest position allowed is the 10,000,000 tier's cap (the
    highest tier allowing 20x); the first bracket is 0.4% up to 50,000 at 125x."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        maker = await venue.open_account("maker", "1000000")
        await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
        alice = await venue.open_account("alice", "10000")
        market = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.004"}
        await call(http, venue, "POST", "/fapi/v1/order", alice, form=market)
        _, v2 = await call(http, venue, "GET", "/fapi/v2/account", alice)
        _, v3 = await call(http, venue, "GET", "/fapi/v3/account", alice)
        _, risk_v2 = await call(http, venue, "GET", "/fapi/v2/positionRisk", alice)
        _, risk_v3 = await call(http, venue, "GET", "/fapi/v3/positionRisk", alice)
        _, brackets = await call(http, venue, "GET", "/fapi/v1/leverageBracket", alice, query={"symbol": "BTCUSDT"})

    by_symbol = {position["symbol"]: position for position in v2["positions"]}
    assert (by_symbol["BTCUSDT"]["positionAmt"], by_symbol["BTCUSDT"]["entryPrice"]) == ("0.004", "65000.0")
    assert (by_symbol["BTCUSDT"]["leverage"], by_symbol["BTCUSDT"]["maxNotional"]) == ("20", "10000000")
    assert (by_symbol["ETHUSDT"]["positionAmt"], by_symbol["ETHUSDT"]["isolated"]) == ("0", False)
    assert [(p["symbol"], p["positionAmt"], p["initialMargin"]) for p in v3["positions"]] == [
        ("BTCUSDT", "0.004", "13")
    ]
    assert (v3["totalWalletBalance"], v3["totalPositionInitialMargin"], v3["availableBalance"]) == (
        "9999.87",
        "13",
        "9986.87",
    )
    assert [(p["symbol"], p["marginType"], p["positionAmt"]) for p in risk_v2] == [
        ("BTCUSDT", "cross", "0.004"),
        ("ETHUSDT", "cross", "0"),
    ]
    assert [(p["symbol"], p["notional"], p["maintMargin"]) for p in risk_v3] == [("BTCUSDT", "260", "1.04")]
    assert brackets[0]["brackets"][0] == {
        "bracket": 1,
        "initialLeverage": 125,
        "notionalCap": 50000,
        "notionalFloor": 0,
        "maintMarginRatio": 0.004,
        "cum": 0,
    }


async def test_open_order_and_cancel_all(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Two resting buys: openOrder finds one by client id; allOpenOrders cancels both; openOrder then
    answers -2013 as the order is no longer open."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002"}
        await call(
            http, venue, "POST", "/fapi/v1/order", alice, form={**order, "price": "60000", "newClientOrderId": "a"}
        )
        await call(
            http, venue, "POST", "/fapi/v1/order", alice, form={**order, "price": "61000", "newClientOrderId": "b"}
        )
        found = await call(
            http, venue, "GET", "/fapi/v1/openOrder", alice, query={"symbol": "BTCUSDT", "origClientOrderId": "b"}
        )
        done = await call(http, venue, "DELETE", "/fapi/v1/allOpenOrders", alice, form={"symbol": "BTCUSDT"})
        left = await call(http, venue, "GET", "/fapi/v1/openOrders", alice, query={"symbol": "BTCUSDT"})
        gone = await call(
            http, venue, "GET", "/fapi/v1/openOrder", alice, query={"symbol": "BTCUSDT", "origClientOrderId": "b"}
        )

    assert found[0] == 200 and (found[1]["clientOrderId"], found[1]["price"]) == ("b", "61000.0")
    assert done == (200, {"code": 200, "msg": "The operation of cancel all open order is done."})
    assert left == (200, [])
    assert (gone[0], gone[1]["code"]) == (400, -2013)


async def test_a_rotated_key_brings_a_new_secret(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """RotateApiKey issues a new key and a new secret: the old pair is refused (-2015), the new one signs."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice", "700")
        rotated = await venue.admin.admin.RotateApiKey(
            admin_pb2.RotateApiKeyRequest(account_id=1),
            metadata=venue.admin.auth,  # alice: the first account
        )
        old = await call(http, venue, "GET", "/fapi/v2/balance", alice)
        new = await call(
            http, venue, "GET", "/fapi/v2/balance", Client(alice.channel, rotated.api_key, rotated.api_secret)
        )

    assert rotated.api_secret and rotated.api_secret != alice.secret
    assert old == (401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
    assert new[0] == 200 and new[1][0]["balance"] == "700"


async def test_mark_and_index_price_klines(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """On a simulated clock starting 2026-01-01: the mark set to 64,900, then the index to 64,950 (the
    mark follows it with no book): the mark's first minute runs 64,900 up to 64,950 in 2 updates, the
    index's is 64,950 flat (1 update); the venue's shape: no volumes, the close time the minute's last ms,
    the count of updates. The index klines name the symbol as ``pair``."""
    async with serving(tmp_path, binance=True, clock="simulated") as venue:
        await venue.set_mark("BTCUSDT", "64900")
        index = admin_pb2.SetIndexPriceRequest(symbol="BTCUSDT", price="64950")
        await venue.admin.admin.SetIndexPrice(index, metadata=venue.admin.auth)
        mark = await call(http, venue, "GET", "/fapi/v1/markPriceKlines", query={"symbol": "BTCUSDT", "interval": "1m"})
        index_klines = await call(
            http, venue, "GET", "/fapi/v1/indexPriceKlines", query={"pair": "BTCUSDT", "interval": "1m"}
        )
    start = SIMULATION_START_MS
    assert mark == (
        200,
        [[start, "64900.0", "64950.0", "64900.0", "64950.0", "0", start + 59_999, "0", 2, "0", "0", "0"]],
    )
    assert index_klines[1][0][1:5] == ["64950.0"] * 4 and index_klines[1][0][8] == 1
