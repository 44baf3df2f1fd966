"""Amending orders (PUT order) and batches of orders (batchOrders: place, amend, cancel), over raw signed
HTTP for the venue's codes and through ccxt's edit_order, create_orders, edit_orders and cancel_orders.

BTCUSDT: tick 0.1, lot 0.001, minimum notional 100; the mark at 65,000, so every price here lies
inside the 5% band (61,750 to 68,250). Alice holds 100,000.
"""

import json
from typing import Any

import aiohttp

from paperex.v1 import common_pb2
from tests.binance_api import validators
from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import call
from tests.server.conftest import Client, Exchange, btc_order

BTC = "BTC/USDT:USDT"
BID = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


async def rest_bid(http: aiohttp.ClientSession, venue: Exchange, alice: Client, quantity: str, price: str) -> Any:
    status, placed = await call(
        http, venue, "POST", "/fapi/v1/order", alice, form=BID | {"quantity": quantity, "price": price}
    )
    assert status == 200, placed
    return placed


async def amend(http: aiohttp.ClientSession, venue: Exchange, alice: Client, **fields: str) -> tuple[int, Any]:
    return await call(http, venue, "PUT", "/fapi/v1/order", alice, form={"symbol": "BTCUSDT", **fields})


async def test_amend_moves_a_resting_order_and_refuses_as_the_venue(
    venue: Exchange, http: aiohttp.ClientSession
) -> None:
    """A bid of 0.002 at 64,000 becomes 0.003 at 64,100 (still resting, the book shows it there). Sent
    again unchanged it is -5027; the wrong side -1130; an unknown id -2013; a price off the 0.1 tick
    -4014; no price -1102. None of the refusals changes the order."""
    alice = await venue.open_account("alice")
    placed = await rest_bid(http, venue, alice, "0.002", "64000")
    order_id = str(placed["orderId"])
    moved = await amend(http, venue, alice, orderId=order_id, side="BUY", quantity="0.003", price="64100")
    again = await amend(http, venue, alice, orderId=order_id, side="BUY", quantity="0.003", price="64100")
    wrong_side = await amend(http, venue, alice, orderId=order_id, side="SELL", quantity="0.003", price="64200")
    unknown = await amend(http, venue, alice, orderId="999", side="BUY", quantity="0.003", price="64200")
    off_tick = await amend(http, venue, alice, orderId=order_id, side="BUY", quantity="0.003", price="64200.05")
    no_price = await amend(http, venue, alice, orderId=order_id, side="BUY", quantity="0.003")
    _, book = await call(http, venue, "GET", "/fapi/v1/depth", query={"symbol": "BTCUSDT"})
    _, after = await call(http, venue, "GET", "/fapi/v1/order", alice, query={"symbol": "BTCUSDT", "orderId": order_id})

    assert moved[0] == 200
    assert (moved[1]["status"], moved[1]["price"], moved[1]["origQty"], moved[1]["cumQty"]) == (
        "NEW",
        "64100.0",
        "0.003",
        "0",
    )
    assert again == (400, {"code": -5027, "msg": "No need to modify the order."} | {"paperex": again[1]["paperex"]})
    assert wrong_side == (400, {"code": -1130, "msg": "Data sent for parameter 'side' is not valid."})
    assert (unknown[0], unknown[1]["code"], unknown[1]["msg"]) == (400, -2013, "Order does not exist.")
    assert (off_tick[0], off_tick[1]["code"], off_tick[1]["msg"]) == (400, -4014, "Price not increased by tick size.")
    assert no_price == (
        400,
        {"code": -1102, "msg": "Mandatory parameter 'price' was not sent, was empty/null, or malformed."},
    )
    assert book["bids"] == [["64100.0", "0.003"]]
    assert (after["price"], after["origQty"], after["status"]) == ("64100.0", "0.003", "NEW")


async def test_amending_to_what_is_filled_cancels_the_order(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """The venue's rule: a partly filled order amended to a quantity at or below what is filled is
    canceled. Alice bids 0.005 at 64,000; a gRPC seller fills 0.002 of it; amended to 0.002 at
    64,000.1 it is canceled with 0.002 executed, and nothing of it rests."""
    alice = await venue.open_account("alice")
    seller = await venue.open_account("seller")
    placed = await rest_bid(http, venue, alice, "0.005", "64000")
    await seller.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.002", "64000"), metadata=seller.auth)
    fields = {"orderId": str(placed["orderId"]), "side": "BUY", "quantity": "0.002", "price": "64000.1"}
    status, canceled = await amend(http, venue, alice, **fields)
    _, book = await call(http, venue, "GET", "/fapi/v1/depth", query={"symbol": "BTCUSDT"})

    assert status == 200
    assert (canceled["status"], canceled["executedQty"], canceled["origQty"]) == ("CANCELED", "0.002", "0.005")
    assert book["bids"] == []


async def test_a_batch_answers_each_order_in_the_order_sent(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """Three bids in one batch: 0.002 at 64,000 and 0.003 at 63,000 rest; 0.001 at 64,000 is 64 of
    notional, below the minimum 100, and its place holds the venue's -4164 while the others stand. Six
    orders are the venue's -4082; a body that is not JSON -1130; no batch -1102."""
    alice = await venue.open_account("alice")
    batch = [
        BID | {"quantity": "0.002", "price": "64000"},
        BID | {"quantity": "0.001", "price": "64000"},
        BID | {"quantity": "0.003", "price": "63000"},
    ]
    status, answers = await call(
        http, venue, "POST", "/fapi/v1/batchOrders", alice, form={"batchOrders": json.dumps(batch)}
    )
    six = await call(http, venue, "POST", "/fapi/v1/batchOrders", alice, form={"batchOrders": json.dumps(batch * 2)})
    garbled = await call(http, venue, "POST", "/fapi/v1/batchOrders", alice, form={"batchOrders": "[{"})
    missing = await call(http, venue, "POST", "/fapi/v1/batchOrders", alice, form={})
    _, resting = await call(http, venue, "GET", "/fapi/v1/openOrders", alice, query={"symbol": "BTCUSDT"})

    assert status == 200
    assert [(a.get("status"), a.get("price"), a.get("origQty")) for a in (answers[0], answers[2])] == [
        ("NEW", "64000.0", "0.002"),
        ("NEW", "63000.0", "0.003"),
    ]
    assert (answers[1]["code"], answers[1]["msg"]) == (
        -4164,
        "Order's notional must be no smaller than 100 (unless you choose reduce only).",
    )
    assert six == (400, {"code": -4082, "msg": "Invalid number of batch place orders."})
    assert garbled == (400, {"code": -1130, "msg": "Data sent for parameter 'batchOrders' is not valid."})
    assert missing[1]["code"] == -1102
    assert sorted(order["orderId"] for order in resting) == sorted([answers[0]["orderId"], answers[2]["orderId"]])


async def test_a_batch_cancel_answers_an_unknown_id_in_its_place(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """Two resting bids and an id that names nothing, canceled in one request (ids as a JSON list in the
    query): both canceled, the unknown one the venue's -2011 in its place; a third bid by its client
    id; neither list sent is -1102."""
    alice = await venue.open_account("alice")
    first = await rest_bid(http, venue, alice, "0.002", "64000")
    second = await rest_bid(http, venue, alice, "0.002", "63000")
    third = BID | {"quantity": "0.002", "price": "62000", "newClientOrderId": "third-bid"}
    await call(http, venue, "POST", "/fapi/v1/order", alice, form=third)
    ids = json.dumps([first["orderId"], 999, second["orderId"]])
    status, answers = await call(
        http, venue, "DELETE", "/fapi/v1/batchOrders", alice, query={"symbol": "BTCUSDT", "orderIdList": ids}
    )
    by_client = json.dumps(["third-bid"])
    _, by_client_id = await call(
        http,
        venue,
        "DELETE",
        "/fapi/v1/batchOrders",
        alice,
        query={"symbol": "BTCUSDT", "origClientOrderIdList": by_client},
    )
    neither = await call(http, venue, "DELETE", "/fapi/v1/batchOrders", alice, query={"symbol": "BTCUSDT"})

    assert status == 200
    assert [answers[0]["status"], answers[2]["status"]] == ["CANCELED", "CANCELED"]
    assert (answers[1]["code"], answers[1]["msg"]) == (-2011, "Unknown order sent.")
    assert [(answer["status"], answer["clientOrderId"]) for answer in by_client_id] == [("CANCELED", "third-bid")]
    assert neither == (400, {"code": -1102, "msg": "Either orderIdList or origClientOrderIdList must be sent."})


async def test_ccxt_edits_creates_and_cancels_orders_in_batches(venue: Exchange) -> None:
    """ccxt's edit_order (PUT order), create_orders (POST batchOrders), edit_orders (PUT batchOrders) and
    cancel_orders (DELETE batchOrders, its lower-case ``orderidlist``), each result passing ccxt's order
    validator: a bid of 0.002 at 64,000 edited to 0.004 at 63,500; two bids created at once and moved
    down 100 each, then canceled together with the first."""
    alice = await venue.open_account("alice")
    exchange = binanceusdm(venue.binance_url, alice)
    try:
        await exchange.load_markets()
        placed = await exchange.create_order(BTC, "limit", "buy", 0.002, 64000)
        edited = await exchange.edit_order(placed["id"], BTC, "limit", "buy", 0.004, 63500)
        created = await exchange.create_orders(
            [
                {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.002, "price": 62000},
                {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.003, "price": 61900},
            ]
        )
        bids = [{"symbol": BTC, "type": "limit", "side": "buy"}] * 2
        moves = [
            {"id": created[0]["id"], "amount": 0.002, "price": 61900},
            {"id": created[1]["id"], "amount": 0.003, "price": 61800},
        ]
        moved = await exchange.edit_orders([bid | move for bid, move in zip(bids, moves, strict=True)])
        canceled = await exchange.cancel_orders([placed["id"], created[0]["id"], created[1]["id"]], BTC)
        now = exchange.milliseconds()
        for order in (edited, *created, *moved, *canceled):
            validators.order(exchange, {}, "createOrders", order, BTC, now)
        still_open = await exchange.fetch_open_orders(BTC)
    finally:
        await exchange.close()

    assert (edited["id"], edited["price"], edited["amount"], edited["status"]) == (placed["id"], 63500.0, 0.004, "open")
    assert [(order["price"], order["amount"]) for order in created] == [(62000.0, 0.002), (61900.0, 0.003)]
    assert [(order["price"], order["amount"]) for order in moved] == [(61900.0, 0.002), (61800.0, 0.003)]
    assert [order["status"] for order in canceled] == ["canceled"] * 3
    assert still_open == []
