"""Isolated position margin (positionMargin and its history), the account's liquidation orders
(forceOrders) and ADL quantiles over REST, and ccxt's add_margin, reduce_margin and fetch_my_liquidations.

BTCUSDT: mark 65,000, taker fee 0.05%, first maintenance bracket 0.4%; a gRPC maker supplies liquidity.
"""

import aiohttp

from paperex.v1 import account_pb2, common_pb2
from tests.binance_api import validators
from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import call
from tests.server.conftest import Client, Exchange, btc_order

BTC = "BTC/USDT:USDT"
SYMBOL = {"symbol": "BTCUSDT"}
BUY = SYMBOL | {"side": "BUY", "type": "MARKET", "quantity": "0.004"}


async def isolated_long(venue: Exchange, http: aiohttp.ClientSession) -> Client:
    """Alice, isolated on BTCUSDT, buys 0.004 at 65,000 from the maker's offer; ETHUSDT stays cross."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    alice = await venue.open_account("alice", "10000")
    await call(http, venue, "POST", "/fapi/v1/marginType", alice, form=SYMBOL | {"marginType": "ISOLATED"})
    assert (await call(http, venue, "POST", "/fapi/v1/order", alice, form=BUY))[0] == 200
    return alice


async def isolated_wallet(http: aiohttp.ClientSession, venue: Exchange, alice: Client) -> str:
    _, risk = await call(http, venue, "GET", "/fapi/v3/positionRisk", alice, query=SYMBOL)
    wallet: str = risk[0]["isolatedWallet"]
    return wallet


async def test_position_margin_moves_and_its_history(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """The trade leaves the isolated wallet at its initial margin 260 / 20 = 13 less the fee 0.13:
    12.87. Alice adds 10 (type 1) then removes 5 (type 2): 17.87; the history lists both moves, oldest
    first, as the user's own (USER_ADJUST); type 2 alone lists the removal."""
    alice = await isolated_long(venue, http)
    opened = await isolated_wallet(http, venue, alice)
    added = await call(
        http, venue, "POST", "/fapi/v1/positionMargin", alice, form=SYMBOL | {"amount": "10", "type": "1"}
    )
    removed = await call(
        http, venue, "POST", "/fapi/v1/positionMargin", alice, form=SYMBOL | {"amount": "5", "type": "2"}
    )
    after = await isolated_wallet(http, venue, alice)
    _, history = await call(http, venue, "GET", "/fapi/v1/positionMargin/history", alice, query=SYMBOL)
    _, removals = await call(http, venue, "GET", "/fapi/v1/positionMargin/history", alice, query=SYMBOL | {"type": "2"})

    assert added == (200, {"amount": 10, "code": 200, "msg": "Successfully modify position margin.", "type": 1})
    assert removed == (200, {"amount": 5, "code": 200, "msg": "Successfully modify position margin.", "type": 2})
    assert (opened, after) == ("12.87", "17.87")
    assert [(row["type"], row["amount"], row["deltaType"], row["asset"], row["positionSide"]) for row in history] == [
        (1, "10", "USER_ADJUST", "USDT", "BOTH"),
        (2, "5", "USER_ADJUST", "USDT", "BOTH"),
    ]
    assert [row["type"] for row in removals] == [2]


async def test_position_margin_refusals(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """Adding more than the 10,000 - 13 = 9,987 available (the fee came out of the isolated wallet) is
    -2018; removing more than the isolated position can spare -4051; a cross symbol without a position
    -2024; type 3 -1130; no amount -1102; a hedge-mode side -4061. None of it moves margin or enters the
    history."""
    alice = await isolated_long(venue, http)
    opened = await isolated_wallet(http, venue, alice)

    async def move(**fields: str) -> tuple[int, dict[str, object]]:
        status, body = await call(http, venue, "POST", "/fapi/v1/positionMargin", alice, form=fields)
        return status, {"code": body["code"], "msg": body["msg"]}

    too_much = await move(symbol="BTCUSDT", amount="9987.01", type="1")
    too_little_left = await move(symbol="BTCUSDT", amount="1000", type="2")
    cross = await move(symbol="ETHUSDT", amount="10", type="1")
    bad_type = await move(symbol="BTCUSDT", amount="10", type="3")
    no_amount = await move(symbol="BTCUSDT", type="1")
    hedge = await move(symbol="BTCUSDT", amount="10", type="1", positionSide="LONG")
    _, history = await call(http, venue, "GET", "/fapi/v1/positionMargin/history", alice, query=SYMBOL)

    assert too_much == (400, {"code": -2018, "msg": "Balance is insufficient"})
    assert too_little_left == (400, {"code": -4051, "msg": "Isolated balance insufficient."})
    assert cross == (400, {"code": -2024, "msg": "Position is not sufficient."})
    assert bad_type == (400, {"code": -1130, "msg": "Data sent for parameter 'type' is not valid."})
    assert no_amount == (
        400,
        {"code": -1102, "msg": "Mandatory parameter 'amount' was not sent, was empty/null, or malformed."},
    )
    assert hedge == (400, {"code": -4061, "msg": "Order's position side does not match user's setting."})
    assert await isolated_wallet(http, venue, alice) == opened
    assert history == []


async def test_ccxt_adds_and_reduces_margin(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """ccxt's add_margin (type 1) and reduce_margin (type 2) on alice's isolated long, each result
    passing ccxt's margin-modification validator."""
    alice = await isolated_long(venue, http)
    exchange = binanceusdm(venue.binance_url, alice)
    try:
        await exchange.load_markets()
        added = await exchange.add_margin(BTC, 10)
        reduced = await exchange.reduce_margin(BTC, 5)
        for change in (added, reduced):
            validators.margin_modification(exchange, {}, "addMargin", change)
    finally:
        await exchange.close()

    assert [(c["type"], c["amount"], c["code"], c["status"]) for c in (added, reduced)] == [
        ("add", 10.0, "USDT", "ok"),
        ("reduce", 5.0, "USDT", "ok"),
    ]


async def test_liquidation_orders_and_adl_quantiles(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """Alice holds 20 USDT cross at 100x and buys 0.004 at 65,000: wallet 20 - 0.13 = 19.87, maintenance
    0.4% of the notional. She is liquidated once 19.87 + 0.004 x (P - 65,000) <= 0.004 x P x 0.004, at
    P <= 240.13 / 0.003984 = 60,273.8: the mark set to 60,000 liquidates her into the maker's bid at
    60,000. As on the venue, her side of it is at her bankruptcy price 65,000 - 19.87 / 0.004 =
    60,032.5 (the fund keeps the difference). Before it, her ADL quantile over REST is the one gRPC
    shows; after it she holds nothing (no quantile) and forceOrders lists the one liquidation order, an
    IOC sell of 0.004 filled at 60,032.5, its client id the venue's ``autoclose-<ms>`` (none for
    autoCloseType ADL). ccxt's fetch_my_liquidations reads it and its validator accepts it."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "60000"), metadata=maker.auth)
    alice = await venue.open_account("alice", "20")
    await call(http, venue, "POST", "/fapi/v1/leverage", alice, form=SYMBOL | {"leverage": "100"})
    assert (await call(http, venue, "POST", "/fapi/v1/order", alice, form=BUY))[0] == 200
    _, held = await call(http, venue, "GET", "/fapi/v1/adlQuantile", alice)
    listed = await alice.account.ListPositions(account_pb2.ListPositionsRequest(symbol="BTCUSDT"), metadata=alice.auth)
    await venue.set_mark("BTCUSDT", "60000")
    _, after = await call(http, venue, "GET", "/fapi/v1/adlQuantile", alice, query=SYMBOL)
    _, forced = await call(http, venue, "GET", "/fapi/v1/forceOrders", alice)
    _, adl = await call(http, venue, "GET", "/fapi/v1/forceOrders", alice, query={"autoCloseType": "ADL"})
    exchange = binanceusdm(venue.binance_url, alice)
    try:
        await exchange.load_markets()
        liquidations = await exchange.fetch_my_liquidations(BTC)
        for liquidation in liquidations:
            validators.liquidation(exchange, {}, "fetchMyLiquidations", liquidation, BTC)
    finally:
        await exchange.close()

    quantile = listed.positions[0].adl_quantile
    assert 1 <= quantile <= 5
    assert held == [{"symbol": "BTCUSDT", "adlQuantile": {"LONG": quantile, "SHORT": 0, "BOTH": quantile}}]
    assert after == []
    assert [(o["side"], o["timeInForce"], o["executedQty"], o["avgPrice"], o["status"]) for o in forced] == [
        ("SELL", "IOC", "0.004", "60032.5", "FILLED")
    ]
    assert forced[0]["clientOrderId"] == f"autoclose-{forced[0]['time']}"
    assert adl == []
    assert [(item["side"], item["contracts"], item["price"]) for item in liquidations] == [("sell", 0.004, 60032.5)]


async def test_hedge_mode_position_margin_names_the_leg(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """In hedge mode positionMargin moves the named leg's isolated margin (12.87 + 10 on the LONG leg) and
    its history says which leg; adlQuantile lists the symbol once, under LONG (the only long: 5), SHORT and,
    the legs being isolated, BOTH (0) as the venue answers (HEDGE is its sign for cross legs)."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    alice = await venue.open_account("alice", "10000")
    dual = {"dualSidePosition": "true"}
    assert (await call(http, venue, "POST", "/fapi/v1/positionSide/dual", alice, form=dual))[0] == 200
    await call(http, venue, "POST", "/fapi/v1/marginType", alice, form=SYMBOL | {"marginType": "ISOLATED"})
    assert (await call(http, venue, "POST", "/fapi/v1/order", alice, form=BUY | {"positionSide": "LONG"}))[0] == 200
    moved = await call(
        http,
        venue,
        "POST",
        "/fapi/v1/positionMargin",
        alice,
        form=SYMBOL | {"amount": "10", "type": "1", "positionSide": "LONG"},
    )
    _, risk = await call(http, venue, "GET", "/fapi/v3/positionRisk", alice, query=SYMBOL)
    _, history = await call(http, venue, "GET", "/fapi/v1/positionMargin/history", alice, query=SYMBOL)
    _, quantiles = await call(http, venue, "GET", "/fapi/v1/adlQuantile", alice)

    assert moved[0] == 200
    assert [(row["positionSide"], row["isolatedWallet"]) for row in risk] == [("LONG", "22.87")]
    assert [(row["amount"], row["positionSide"]) for row in history] == [("10", "LONG")]
    assert [(row["symbol"], sorted(row["adlQuantile"])) for row in quantiles] == [
        ("BTCUSDT", ["BOTH", "LONG", "SHORT"])
    ]
    assert quantiles[0]["adlQuantile"] == {"LONG": 5, "SHORT": 0, "BOTH": 0}


async def test_a_hedge_legs_liquidation_order_and_adl_quantile_name_the_leg(
    venue: Exchange, http: aiohttp.ClientSession
) -> None:
    """The liquidation above with Alice in hedge mode holding the 0.004 BTC in her LONG leg (cross, 100x;
    a cross hedge account with one leg has the one-way figures): the only long, so adlQuantile shows
    LONG 5 with the venue's HEDGE sign for cross legs; at mark 60,000 forceOrders lists the IOC SELL of
    the LONG leg filled at her bankruptcy price 60,032.5 and userTrades reports that leg on both fills."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "60000"), metadata=maker.auth)
    alice = await venue.open_account("alice", "20")
    await call(http, venue, "POST", "/fapi/v1/positionSide/dual", alice, form={"dualSidePosition": "true"})
    await call(http, venue, "POST", "/fapi/v1/leverage", alice, form=SYMBOL | {"leverage": "100"})
    assert (await call(http, venue, "POST", "/fapi/v1/order", alice, form=BUY | {"positionSide": "LONG"}))[0] == 200
    _, held = await call(http, venue, "GET", "/fapi/v1/adlQuantile", alice)
    await venue.set_mark("BTCUSDT", "60000")
    _, forced = await call(http, venue, "GET", "/fapi/v1/forceOrders", alice)
    _, trades = await call(http, venue, "GET", "/fapi/v1/userTrades", alice, query=SYMBOL)

    assert held == [{"symbol": "BTCUSDT", "adlQuantile": {"LONG": 5, "SHORT": 0, "HEDGE": 0}}]
    assert [(o["side"], o["positionSide"], o["executedQty"], o["avgPrice"]) for o in forced] == [
        ("SELL", "LONG", "0.004", "60032.5")
    ]
    assert [(t["side"], t["positionSide"], t["price"]) for t in trades] == [
        ("BUY", "LONG", "65000.0"),
        ("SELL", "LONG", "60032.5"),
    ]
