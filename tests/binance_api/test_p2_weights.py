"""The venue's weights of the P2 routes under the venue limits profile, read back from
``X-MBX-USED-WEIGHT-1M`` (the address's weight in the minute, on a manual clock inside one minute)."""

import json
from pathlib import Path

import aiohttp

from tests.binance_api.test_limits import MINUTE_START, WEIGHT, venue
from tests.binance_api.test_rest import send
from tests.server.conftest import ManualClock, serving

SYMBOL = {"symbol": "BTCUSDT"}


async def test_each_p2_route_weighs_what_the_venue_publishes(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """From 0 in the minute: trades 5 (5), aggTrades 20 (25), openInterest 1 (26), fundingRate 0 (26),
    forceOrders 50 for every symbol (76) and 20 for one (96), commissionRate 20 (116), adlQuantile 5
    (121), a batch of one order 5 (126), an amend 0 (126)."""
    clock = ManualClock(MINUTE_START)
    async with serving(tmp_path, binance=True, limits=venue(request_weight=10_000), limits_clock=clock) as exchange:
        await exchange.set_mark("BTCUSDT", "65000")
        alice = await exchange.open_account("alice")
        used = []
        for path, account, query in (
            ("/fapi/v1/trades", None, SYMBOL),
            ("/fapi/v1/aggTrades", None, SYMBOL),
            ("/fapi/v1/openInterest", None, SYMBOL),
            ("/fapi/v1/fundingRate", None, SYMBOL),
            ("/fapi/v1/forceOrders", alice, {}),
            ("/fapi/v1/forceOrders", alice, SYMBOL),
            ("/fapi/v1/commissionRate", alice, SYMBOL),
            ("/fapi/v1/adlQuantile", alice, {}),
        ):
            status, headers, _ = await send(http, exchange, "GET", path, account, query=query)
            assert status == 200
            used.append(int(headers[WEIGHT]))
        bid = SYMBOL | {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002", "price": "64000"}
        _, headers, placed = await send(
            http, exchange, "POST", "/fapi/v1/batchOrders", alice, form={"batchOrders": json.dumps([bid])}
        )
        used.append(int(headers[WEIGHT]))
        moved = SYMBOL | {"orderId": str(placed[0]["orderId"]), "side": "BUY", "quantity": "0.002", "price": "64100"}
        status, headers, _ = await send(http, exchange, "PUT", "/fapi/v1/order", alice, form=moved)
        used.append(int(headers[WEIGHT]))

    assert status == 200
    assert used == [5, 25, 26, 26, 76, 96, 116, 121, 126, 126]
