"""ccxt's ``binanceusdm``, unmodified, trading on paperex: a client no one here wrote.

BTCUSDT (built in): tick 0.1, lot 0.001, min notional 100, taker fee 0.05%, default leverage 20, first
maintenance bracket 0.4% up to 50,000 notional. Every account opens with 10,000 USDT unless noted.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import ccxt.async_support as ccxt
import pytest

from paperex.v1 import account_pb2, common_pb2
from tests.binance_api import validators
from tests.binance_api.conftest import binanceusdm
from tests.server.conftest import Exchange, btc_order

BTC = "BTC/USDT:USDT"


@asynccontextmanager
async def trader(venue: Exchange, name: str, deposit: str = "10000") -> AsyncIterator[ccxt.binanceusdm]:
    account = await venue.open_account(name, deposit)
    exchange = binanceusdm(venue.binance_url, account)
    try:
        yield exchange
    finally:
        await exchange.close()


async def test_load_markets_reads_the_instruments_filters(venue: Exchange) -> None:
    """exchangeInfo's filters become ccxt's precision and limits: the tick, the lot, the quantity range
    (1,000 on the book, 120 at market), the price range and the 100 USDT minimum notional."""
    async with trader(venue, "alice") as alice:
        markets = await alice.load_markets()

    btc = markets[BTC]
    assert (btc["type"], btc["linear"], btc["settle"], btc["contractSize"]) == ("swap", True, "USDT", 1.0)
    assert btc["precision"]["price"] == 0.1 and btc["precision"]["amount"] == 0.001
    assert btc["limits"]["amount"] == {"min": 0.001, "max": 1000.0}
    assert btc["limits"]["market"] == {"min": 0.001, "max": 120.0}
    assert btc["limits"]["price"] == {"min": 556.8, "max": 4529764.0}
    assert btc["limits"]["cost"]["min"] == 100.0
    assert (btc["maker"], btc["taker"]) == (0.0002, 0.0005)
    assert "ETH/USDT:USDT" in markets


async def test_a_ccxt_market_order_takes_a_grpc_makers_offer(venue: Exchange) -> None:
    """One book for both APIs. A gRPC maker offers 0.010 at 65,000; alice buys 0.004 at market with ccxt:
    notional 0.004 x 65,000 = 260, taker fee 260 x 0.0005 = 0.13, initial margin 260 / 20 = 13,
    maintenance 260 x 0.004 = 1.04. Her wallet is 10,000 - 0.13 = 9,999.87; with the mark at her entry
    nothing is unrealized, so 9,999.87 - 13 = 9,986.87 is free. 0.006 stays on offer; the one trade makes
    the one 1-minute candle with volume and the 24 h ticker; the maker is short 0.004."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    async with trader(venue, "alice") as alice:
        await alice.load_markets()
        order = await alice.create_order(BTC, "market", "buy", 0.004)
        trades = await alice.fetch_my_trades(BTC)
        positions = await alice.fetch_positions()
        balance = await alice.fetch_balance()
        book = await alice.fetch_order_book(BTC)
        candles = await alice.fetch_ohlcv(BTC, "1m")
        ticker = await alice.fetch_ticker(BTC)

    assert (order["status"], order["side"], order["filled"], order["average"], order["cost"]) == (
        "closed",
        "buy",
        0.004,
        65000.0,
        260.0,
    )
    assert [(t["side"], t["price"], t["amount"], t["cost"], t["takerOrMaker"], t["fee"]) for t in trades] == [
        ("buy", 65000.0, 0.004, 260.0, "taker", {"currency": "USDT", "cost": 0.13})
    ]
    assert [(p["symbol"], p["side"], p["contracts"], p["entryPrice"], p["notional"]) for p in positions] == [
        (BTC, "long", 0.004, 65000.0, 260.0)
    ]
    assert (positions[0]["initialMargin"], positions[0]["maintenanceMargin"]) == (13.0, 1.04)
    assert balance["USDT"] == {"free": 9986.87, "used": 13.0, "total": 9999.87}
    assert (book["asks"], book["bids"]) == ([[65000.0, 0.006]], [])
    assert [candle[1:] for candle in candles if candle[5]] == [[65000.0, 65000.0, 65000.0, 65000.0, 0.004]]
    assert (ticker["last"], ticker["baseVolume"], ticker["quoteVolume"]) == (65000.0, 0.004, 260.0)
    held = await maker.account.ListPositions(account_pb2.ListPositionsRequest(symbol="BTCUSDT"), metadata=maker.auth)
    assert [position.size for position in held.positions] == ["-0.004"]


async def test_a_limit_order_rests_then_is_canceled(venue: Exchange) -> None:
    """A buy of 0.002 at 60,000 rests (the book's only bid), is listed and fetched open, then canceled:
    fetched again it is canceled, unfilled, and nothing is open."""
    async with trader(venue, "alice") as alice:
        await alice.load_markets()
        placed = await alice.create_order(BTC, "limit", "buy", 0.002, 60000)
        listed = await alice.fetch_open_orders(BTC)
        fetched = await alice.fetch_order(placed["id"], BTC)
        book = await alice.fetch_order_book(BTC)
        canceled = await alice.cancel_order(placed["id"], BTC)
        after = await alice.fetch_order(placed["id"], BTC)
        still_open = await alice.fetch_open_orders(BTC)

    assert (placed["status"], placed["price"], placed["amount"], placed["filled"]) == ("open", 60000.0, 0.002, 0.0)
    assert [order["id"] for order in listed] == [placed["id"]]
    assert (fetched["status"], fetched["clientOrderId"]) == ("open", placed["clientOrderId"])
    assert book["bids"] == [[60000.0, 0.002]]
    assert canceled["status"] == after["status"] == "canceled"
    assert after["filled"] == 0.0
    assert still_open == []


async def test_leverage_and_margin_mode(venue: Exchange) -> None:
    """Leverage 10 on BTCUSDT allows the bracket capped at 20,000,000 notional (the highest tier allowing
    10x); ETHUSDT goes isolated once, and asking again is the venue's "no need to change" (-4046)."""
    async with trader(venue, "alice") as alice:
        await alice.load_markets()
        leverage = await alice.set_leverage(10, BTC)
        isolated = await alice.set_margin_mode("isolated", "ETH/USDT:USDT")
        with pytest.raises(ccxt.MarginModeAlreadySet):
            await alice.set_margin_mode("isolated", "ETH/USDT:USDT")

    assert leverage == {"leverage": 10, "maxNotionalValue": "20000000", "symbol": "BTCUSDT"}
    assert isolated == {"code": 200, "msg": "success"}


async def test_refusals_arrive_as_ccxt_exception_classes(venue: Exchange) -> None:
    """10 BTC at 60,000 needs 600,000 / 20 = 30,000 of margin against 10,000 (-2019: InsufficientFunds);
    0.001 at 60,000 is 60 of notional, below the 100 minimum (-4164: InvalidOrder); an unknown order id
    cannot be canceled (-2011) or fetched (-2013): OrderNotFound. None of it changes the account."""
    async with trader(venue, "alice") as alice:
        await alice.load_markets()
        with pytest.raises(ccxt.InsufficientFunds):
            await alice.create_order(BTC, "limit", "buy", 10, 60000)
        with pytest.raises(ccxt.InvalidOrder, match="no smaller than 100"):
            await alice.create_order(BTC, "limit", "buy", 0.001, 60000)
        with pytest.raises(ccxt.OrderNotFound, match="-2011"):
            await alice.cancel_order("999", BTC)
        with pytest.raises(ccxt.OrderNotFound, match="-2013"):
            await alice.fetch_order("999", BTC)
        open_orders = await alice.fetch_open_orders(BTC)
        balance = await alice.fetch_balance()

    assert open_orders == []
    assert balance["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}


async def test_a_stop_loss_set_with_the_entry_closes_the_position_when_the_mark_falls(venue: Exchange) -> None:
    """The seed's habit: a stop at 63,000 and a target at 67,000 with every entry, as algo orders on
    the mark. A gRPC maker offers at 65,000 and bids at 62,900; alice buys 0.004 (fee 0.13). The mark
    falls to 62,950: the stop fires and sells 0.004 at the bid, notional 251.6, fee 251.6 x 0.0005 =
    0.1258, realized (62,900 - 65,000) x 0.004 = -8.4. Her wallet: 10,000 - 0.13 - 8.4 - 0.1258 =
    9,991.3442; the stop is finished, its actual order is itself; the target still waits."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "62900"), metadata=maker.auth)
    on_mark = {"reduceOnly": True, "workingType": "MARK_PRICE"}
    async with trader(venue, "alice") as alice:
        await alice.load_markets()
        await alice.create_order(BTC, "market", "buy", 0.004)
        stop = await alice.create_order(BTC, "market", "sell", 0.004, None, {"stopLossPrice": 63000, **on_mark})
        target = await alice.create_order(BTC, "market", "sell", 0.004, None, {"takeProfitPrice": 67000, **on_mark})
        waiting = await alice.fetch_open_orders(BTC, None, None, {"trigger": True})
        await venue.set_mark("BTCUSDT", "62950")
        fired = await alice.fetch_order(stop["id"], BTC, {"trigger": True})
        trades = await alice.fetch_my_trades(BTC)
        positions = await alice.fetch_positions()
        balance = await alice.fetch_balance()
        still_waiting = await alice.fetch_open_orders(BTC, None, None, {"trigger": True})

    assert sorted(order["id"] for order in waiting) == sorted([stop["id"], target["id"]])
    assert (stop["info"]["orderType"], stop["info"]["triggerPrice"]) == ("STOP_MARKET", "63000.0")
    assert (fired["info"]["algoStatus"], fired["info"]["actualOrderId"]) == ("FINISHED", stop["id"])
    assert [(t["side"], t["price"], t["amount"], t["info"]["realizedPnl"]) for t in trades] == [
        ("buy", 65000.0, 0.004, "0"),
        ("sell", 62900.0, 0.004, "-8.4"),
    ]
    assert positions == []
    assert balance["USDT"]["total"] == 9991.3442
    assert [order["id"] for order in still_waiting] == [target["id"]]


async def test_ccxts_own_validators_accept_every_answer(venue: Exchange) -> None:
    """The structure checks ccxt ships (``ccxt.test.exchange.base``) on each kind of result: markets,
    orders (filled, resting, conditional), trades, positions, balance, book, candles, ticker, tiers.

    Alice holds 200, so her cross long has a liquidation price, from which ccxt derives the position's
    collateral (it checks that it is positive): wallet 200 - 0.13 = 199.87, liquidation price
    (260 - 199.87) / (0.004 x (1 - 0.004)) = 60.13 / 0.003984 = 15,092.87148594 (8 decimals, as the venue
    writes it); collateral (65,000 - 15,092.87148594 x 0.996) x 0.004 = 49,967.5 x 0.004 = 199.87."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    async with trader(venue, "alice", "200") as alice:
        markets = await alice.load_markets()
        filled = await alice.create_order(BTC, "market", "buy", 0.004)
        resting = await alice.create_order(BTC, "limit", "buy", 0.002, 60000)
        stop = await alice.create_order(
            BTC, "market", "sell", 0.004, None, {"stopLossPrice": 63000, "reduceOnly": True}
        )
        now = alice.milliseconds()
        for market in markets.values():
            validators.market(alice, {}, "loadMarkets", market)
        for order in (filled, resting, stop, *await alice.fetch_open_orders(BTC)):
            validators.order(alice, {}, "createOrder", order, BTC, now)
        for trade in await alice.fetch_my_trades(BTC):
            validators.trade(alice, {}, "fetchMyTrades", trade, BTC, now, False)
        positions = await alice.fetch_positions()
        for position in positions:  # the venue's v3 positionRisk has no leverage field
            validators.position(alice, {"leverage": True}, "fetchPositions", position, BTC, now)
        validators.balance(alice, {}, "fetchBalance", await alice.fetch_balance())
        validators.order_book(alice, {}, "fetchOrderBook", await alice.fetch_order_book(BTC), BTC)
        for candle in await alice.fetch_ohlcv(BTC, "1m"):
            validators.ohlcv(alice, {}, "fetchOHLCV", candle, BTC, now)
        validators.ticker(alice, {}, "fetchTicker", await alice.fetch_ticker(BTC), BTC)
        for tier in (await alice.fetch_leverage_tiers([BTC]))[BTC]:
            validators.leverage_tier(alice, {}, "fetchLeverageTiers", tier)

    assert [(p["liquidationPrice"], p["collateral"]) for p in positions] == [(15092.87148594, 199.87)]
