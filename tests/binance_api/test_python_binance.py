"""python-binance's futures client, unmodified, trading on paperex (another client no one here wrote)."""

import asyncio
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from paperex.v1 import common_pb2
from tests.server.conftest import Exchange, btc_order

with warnings.catch_warnings():  # python-binance imports websockets' deprecated legacy client
    warnings.simplefilter("ignore", DeprecationWarning)
    from binance import AsyncClient, BinanceSocketManager
    from binance.exceptions import BinanceAPIException


@asynccontextmanager
async def futures_client(venue: Exchange, name: str, deposit: str) -> AsyncIterator[AsyncClient]:
    """The client as a bot author points it at paperex: its futures base URL replaced."""
    account = await venue.open_account(name, deposit)
    client = AsyncClient(account.key, account.secret)
    client.FUTURES_URL = f"{venue.binance_url}/fapi"
    try:
        yield client
    finally:
        await client.close_connection()


async def test_a_python_binance_bot_trades_with_a_stop_loss(venue: Exchange) -> None:
    """A gRPC maker offers 0.010 at 65,000 and bids 0.010 at 62,900. At 10x, alice buys 0.004 at market
    (notional 260, initial margin 26, fee 0.13) with a stop at 63,000 on the mark (python-binance sends
    it to the algo endpoint), and a buy of 0.002 at 60,000 that she cancels. The mark falls to 62,950:
    the stop sells 0.004 at 62,900 (fee 0.1258, realized -8.4). Wallet: 10,000 - 0.13 - 8.4 - 0.1258 =
    9,991.3442, flat. 10 BTC at 60,000 needs 60,000 of margin at 10x: -2019."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "62900"), metadata=maker.auth)
    async with futures_client(venue, "alice", "10000") as alice:
        leverage = await alice.futures_change_leverage(symbol="BTCUSDT", leverage=10)
        entry = await alice.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.004)
        stop = await alice.futures_create_order(
            symbol="BTCUSDT",
            side="SELL",
            type="STOP_MARKET",
            stopPrice=63000,
            quantity=0.004,
            reduceOnly=True,
            workingType="MARK_PRICE",
        )
        resting = await alice.futures_create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity=0.002, price=60000
        )
        listed = await alice.futures_get_open_orders(symbol="BTCUSDT")
        canceled = await alice.futures_cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
        held = await alice.futures_position_information(symbol="BTCUSDT")
        await venue.set_mark("BTCUSDT", "62950")
        after = await alice.futures_position_information(symbol="BTCUSDT")
        trades = await alice.futures_account_trades(symbol="BTCUSDT")
        balances = await alice.futures_account_balance()
        with pytest.raises(BinanceAPIException) as refused:
            await alice.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity=10, price=60000
            )

    assert leverage["leverage"] == 10
    assert (entry["status"], entry["avgPrice"], entry["executedQty"]) == ("FILLED", "65000.0", "0.004")
    assert (stop["algoStatus"], stop["orderType"], stop["triggerPrice"]) == ("NEW", "STOP_MARKET", "63000.0")
    assert [order["orderId"] for order in listed] == [resting["orderId"]]
    assert canceled["status"] == "CANCELED"
    assert [(p["positionAmt"], p["entryPrice"], p["initialMargin"]) for p in held] == [("0.004", "65000.0", "26")]
    assert after == []
    assert [(t["side"], t["price"], t["commission"], t["realizedPnl"]) for t in trades] == [
        ("BUY", "65000.0", "0.13", "0"),
        ("SELL", "62900.0", "0.1258", "-8.4"),
    ]
    assert [(b["asset"], b["balance"]) for b in balances] == [("USDT", "9991.3442")]
    assert (refused.value.status_code, refused.value.code) == (400, -2019)


async def test_the_socket_manager_follows_the_futures_user_stream(venue: Exchange) -> None:
    """python-binance's futures user socket (it asks for the listen key over REST, then connects to
    ``private/ws/<listenKey>``) gets alice's REST order as ORDER_TRADE_UPDATE, then the gRPC maker's
    fill of it and the ACCOUNT_UPDATE it causes (fee 0.02% x 0.004 x 65,000 = 0.052)."""
    maker = await venue.open_account("maker", "1000000")
    async with futures_client(venue, "alice", "10000") as alice:
        manager = BinanceSocketManager(alice)
        manager.FSTREAM_URL = venue.binance_url.replace("http://", "ws://", 1) + "/"
        async with manager.futures_user_socket() as stream:
            await alice.futures_create_order(
                symbol="BTCUSDT", side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.004", price="65000"
            )
            placed = await asyncio.wait_for(stream.recv(), 30)
            await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.004"), metadata=maker.auth)
            filled = await asyncio.wait_for(stream.recv(), 30)
            account = await asyncio.wait_for(stream.recv(), 30)

    assert (placed["e"], placed["o"]["X"], placed["o"]["q"]) == ("ORDER_TRADE_UPDATE", "NEW", "0.004")
    assert (filled["o"]["x"], filled["o"]["X"], filled["o"]["n"]) == ("TRADE", "FILLED", "0.052")
    assert account["e"] == "ACCOUNT_UPDATE" and account["a"]["B"][0]["wb"] == "9999.948"
