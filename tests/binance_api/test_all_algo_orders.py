"""GET /fapi/v1/allAlgoOrders: an account's conditional orders on a symbol, waiting or ended, over HTTP
and through ccxt's ``fetch_orders`` with ``trigger``."""

from pathlib import Path

import aiohttp

from tests.binance_api.conftest import binanceusdm
from tests.binance_api.test_rest import call
from tests.server.conftest import serving


async def test_all_algo_orders_lists_waiting_and_ended_ones(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Alice places a stop at 63,000, a take-profit at 67,000 (then canceled) and a plain limit bid.
    allAlgoOrders lists the two algo orders, oldest first (NEW, CANCELED), never the limit order;
    ``algoId`` lists from that one on; ``limit=1`` the newest; ccxt sees the same two, as trigger
    orders (open and canceled)."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        algo = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.002"}
        _, stop = await call(
            http,
            venue,
            "POST",
            "/fapi/v1/algoOrder",
            alice,
            form={**algo, "type": "STOP_MARKET", "triggerPrice": "63000"},
        )
        take_profit = {**algo, "type": "TAKE_PROFIT_MARKET", "triggerPrice": "67000"}
        _, profit = await call(http, venue, "POST", "/fapi/v1/algoOrder", alice, form=take_profit)
        await call(http, venue, "DELETE", "/fapi/v1/algoOrder", alice, form={"algoId": str(profit["algoId"])})
        bid = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002"}
        await call(http, venue, "POST", "/fapi/v1/order", alice, form={**bid, "price": "60000"})
        symbol = {"symbol": "BTCUSDT"}
        every = await call(http, venue, "GET", "/fapi/v1/allAlgoOrders", alice, query=symbol)
        from_second = await call(
            http, venue, "GET", "/fapi/v1/allAlgoOrders", alice, query={**symbol, "algoId": str(profit["algoId"])}
        )
        newest = await call(http, venue, "GET", "/fapi/v1/allAlgoOrders", alice, query={**symbol, "limit": "1"})
        exchange = binanceusdm(venue.binance_url, alice)
        try:
            seen = await exchange.fetch_orders("BTC/USDT:USDT", params={"trigger": True})
        finally:
            await exchange.close()

    assert every[0] == 200
    assert [(o["algoId"], o["orderType"], o["algoStatus"], o["triggerPrice"]) for o in every[1]] == [
        (stop["algoId"], "STOP_MARKET", "NEW", "63000.0"),
        (profit["algoId"], "TAKE_PROFIT_MARKET", "CANCELED", "67000.0"),
    ]
    assert [o["algoId"] for o in from_second[1]] == [o["algoId"] for o in newest[1]] == [profit["algoId"]]
    assert [(o["id"], o["status"], o["triggerPrice"]) for o in seen] == [
        (str(stop["algoId"]), "open", 63000.0),
        (str(profit["algoId"]), "canceled", 67000.0),
    ]
