"""The public tape (trades, historicalTrades, aggTrades), open interest and the account's fees over REST
and through ccxt's fetch_trades, fetch_open_interest and fetch_trading_fee(s).

The story (BTCUSDT, mark 65,000): a gRPC maker offers 0.002 at 65,000 and 0.002 at 65,010; alice buys
0.004 at market: two trades, one per price (65,000 x 0.002 = 130 and 65,010 x 0.002 = 130.02 of
quote). The maker then bids 0.002 at 64,900 twice; bob sells 0.004 at market: two trades at 64,900
(129.8 of quote each), the buyer the maker each time. The venue aggregates one taker order's fills at
one price: three aggregate trades, the last of 0.004 over both 64,900 trades. Open interest is the
long side: alice's 0.004 (the maker is flat again, bob short 0.004).
"""

from typing import Any

import aiohttp

from paperex.v1 import common_pb2
from tests.binance_api import validators
from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import call
from tests.server.conftest import Exchange, btc_order

BTC = "BTC/USDT:USDT"
SYMBOL = {"symbol": "BTCUSDT"}


async def trade_the_story(venue: Exchange, http: aiohttp.ClientSession) -> Any:
    """The module's story; returns alice's client."""
    maker = await venue.open_account("maker", "1000000")
    alice = await venue.open_account("alice")
    bob = await venue.open_account("bob")
    for price in ("65000", "65010"):
        await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.002", price), metadata=maker.auth)
    buy = SYMBOL | {"side": "BUY", "type": "MARKET", "quantity": "0.004"}
    assert (await call(http, venue, "POST", "/fapi/v1/order", alice, form=buy))[0] == 200
    for _ in range(2):
        await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.002", "64900"), metadata=maker.auth)
    await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.004"), metadata=bob.auth)
    return alice


async def test_trades_and_aggregate_trades(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """Four trades, oldest first, with their quote amounts and who was the maker; three aggregates, from
    an aggregate id on too; historicalTrades from an id needs only the API key (without one, -2014)."""
    alice = await trade_the_story(venue, http)
    _, trades = await call(http, venue, "GET", "/fapi/v1/trades", query=SYMBOL)
    first = trades[0]["id"]
    _, aggregates = await call(http, venue, "GET", "/fapi/v1/aggTrades", query=SYMBOL)
    _, later = await call(http, venue, "GET", "/fapi/v1/aggTrades", query=SYMBOL | {"fromId": str(first + 1)})
    keyed = {"X-MBX-APIKEY": alice.key}
    old = await call(
        http, venue, "GET", "/fapi/v1/historicalTrades", query=SYMBOL | {"fromId": str(first + 2)}, headers=keyed
    )
    no_key = await call(http, venue, "GET", "/fapi/v1/historicalTrades", query=SYMBOL)

    assert [{k: v for k, v in trade.items() if k not in ("id", "time")} for trade in trades] == [
        {"price": "65000.0", "qty": "0.002", "quoteQty": "130", "isBuyerMaker": False},
        {"price": "65010.0", "qty": "0.002", "quoteQty": "130.02", "isBuyerMaker": False},
        {"price": "64900.0", "qty": "0.002", "quoteQty": "129.8", "isBuyerMaker": True},
        {"price": "64900.0", "qty": "0.002", "quoteQty": "129.8", "isBuyerMaker": True},
    ]
    assert [trade["id"] for trade in trades] == [first, first + 1, first + 2, first + 3]
    assert [(a["a"], a["f"], a["l"], a["p"], a["q"], a["m"]) for a in aggregates] == [
        (first, first, first, "65000.0", "0.002", False),
        (first + 1, first + 1, first + 1, "65010.0", "0.002", False),
        (first + 2, first + 2, first + 3, "64900.0", "0.004", True),
    ]
    assert aggregates[2]["T"] == trades[2]["time"]
    assert [aggregate["a"] for aggregate in later] == [first + 1, first + 2]
    assert (old[0], [trade["id"] for trade in old[1]]) == (200, [first + 2, first + 3])
    assert no_key == (401, {"code": -2014, "msg": "API-key format invalid."})


async def test_open_interest_and_fees(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """Open interest 0.004 (the longs); the instrument's fees 0.02% maker and 0.05% taker, fee tier 0,
    one-way and single-asset; an unknown symbol is -1121."""
    alice = await trade_the_story(venue, http)
    _, interest = await call(http, venue, "GET", "/fapi/v1/openInterest", query=SYMBOL)
    fees = await call(http, venue, "GET", "/fapi/v1/commissionRate", alice, query=SYMBOL)
    _, config = await call(http, venue, "GET", "/fapi/v1/accountConfig", alice)
    unknown = await call(http, venue, "GET", "/fapi/v1/commissionRate", alice, query={"symbol": "DOGEUSDT"})

    assert (interest["symbol"], interest["openInterest"]) == ("BTCUSDT", "0.004")
    assert fees == (
        200,
        {
            "symbol": "BTCUSDT",
            "makerCommissionRate": "0.0002",
            "takerCommissionRate": "0.0005",
            "rpiCommissionRate": "0",
        },
    )
    assert (config["feeTier"], config["dualSidePosition"], config["multiAssetsMargin"]) == (0, False, False)
    assert unknown[1]["code"] == -1121


async def test_ccxt_reads_the_tape_open_interest_and_fees(venue: Exchange, http: aiohttp.ClientSession) -> None:
    """ccxt's fetch_trades (aggTrades by default), fetch_open_interest, fetch_trading_fee (commissionRate:
    the instrument's own rates) and fetch_trading_fees (only accountConfig's fee tier 0, which ccxt
    prices from its own table of the venue's tiers), each result passing ccxt's validators."""
    alice = await trade_the_story(venue, http)
    exchange = binanceusdm(venue.binance_url, alice)
    try:
        await exchange.load_markets()
        trades = await exchange.fetch_trades(BTC)
        interest = await exchange.fetch_open_interest(BTC)
        fee = await exchange.fetch_trading_fee(BTC)
        fees = await exchange.fetch_trading_fees()
        now = exchange.milliseconds()
        for trade in trades:
            validators.trade(exchange, {}, "fetchTrades", trade, BTC, now, True)
        validators.open_interest(exchange, {}, "fetchOpenInterest", interest)
        validators.trading_fee(exchange, {}, "fetchTradingFee", BTC, fee)
        for symbol, each in fees.items():
            validators.trading_fee(exchange, {}, "fetchTradingFees", symbol, each)
    finally:
        await exchange.close()

    assert [(t["side"], t["price"], t["amount"]) for t in trades] == [
        ("buy", 65000.0, 0.002),
        ("buy", 65010.0, 0.002),
        ("sell", 64900.0, 0.004),
    ]
    assert (interest["symbol"], interest["openInterestAmount"]) == (BTC, 0.004)
    assert (fee["maker"], fee["taker"]) == (0.0002, 0.0005)
    assert fees[BTC]["info"] == {"feeTier": 0}
