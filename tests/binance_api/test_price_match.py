"""``priceMatch`` on POST /fapi/v1/order, as the venue prices it: OPPONENT(_5/_10/_20) takes the best
(5th, 10th, 20th best) price of the opposite side of the book, QUEUE(_n) that of the order's own side.

The book: bob bids 0.002 BTC at each of 64,900, 64,800, 64,700, 64,600 and 64,500 and offers 0.002 at
65,100 and 65,200 (the mark at 65,000).
"""

from pathlib import Path

import aiohttp

from paperex.v1 import common_pb2
from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import call
from tests.server.conftest import btc_order, serving

BIDS = ["64900", "64800", "64700", "64600", "64500"]
ASKS = ["65100", "65200"]


async def test_price_match_prices_limit_orders_from_the_book(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Alice's QUEUE_5 buy rests at the 5th best bid, 64,500; her post-only QUEUE sell at the best ask,
    65,100, beside bob's. OPPONENT_5 for a buy finds 2 ask levels: -5041. Through ccxt, an OPPONENT
    buy of 0.002 is priced at the best ask and takes bob's 0.002 there (bob's came first): filled at
    65,100. priceMatch with a price is -1106, on a MARKET order -5038, an unknown mode -5037."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice, bob = await venue.open_account("alice"), await venue.open_account("bob")
        for side, prices in ((common_pb2.SIDE_BUY, BIDS), (common_pb2.SIDE_SELL, ASKS)):
            for price in prices:
                await bob.trading.PlaceOrder(btc_order(side, "0.002", price), metadata=bob.auth)
        order = {"symbol": "BTCUSDT", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002"}
        queue_5 = await call(
            http, venue, "POST", "/fapi/v1/order", alice, form={**order, "side": "BUY", "priceMatch": "QUEUE_5"}
        )
        post_only = {**order, "side": "SELL", "timeInForce": "GTX", "priceMatch": "QUEUE"}
        queue = await call(http, venue, "POST", "/fapi/v1/order", alice, form=post_only)
        too_deep = await call(
            http, venue, "POST", "/fapi/v1/order", alice, form={**order, "side": "BUY", "priceMatch": "OPPONENT_5"}
        )
        refusals = [
            await call(http, venue, "POST", "/fapi/v1/order", alice, form=form)
            for form in (
                {**order, "side": "BUY", "priceMatch": "OPPONENT", "price": "65000"},
                {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "0.002", "side": "BUY", "priceMatch": "OPPONENT"},
                {**order, "side": "BUY", "priceMatch": "QUEUE_3"},
            )
        ]
        exchange = binanceusdm(venue.binance_url, alice)
        try:
            taken = await exchange.create_order(
                "BTC/USDT:USDT", "limit", "buy", 0.002, None, {"priceMatch": "OPPONENT"}
            )
        finally:
            await exchange.close()

    assert queue_5[0] == 200
    assert (queue_5[1]["price"], queue_5[1]["status"], queue_5[1]["priceMatch"]) == ("64500.0", "NEW", "QUEUE_5")
    assert (queue[1]["price"], queue[1]["status"], queue[1]["timeInForce"]) == ("65100.0", "NEW", "GTX")
    assert too_deep == (400, {"code": -5041, "msg": "No depth matches this BBO order"})
    assert [(status, body["code"]) for status, body in refusals] == [(400, -1106), (400, -5038), (400, -5037)]
    assert (taken["price"], taken["filled"], taken["average"], taken["status"]) == (65100.0, 0.002, 65100.0, "closed")
