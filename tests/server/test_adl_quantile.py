"""Position.adl_quantile over the wire: set by the queries, ranked when asked; 0 in stream events.

BETA (opened first, so the lower account id) deposits 5,000 USDT and ALPHA 1,000; each buys 0.1 BTC
from MAKER at 64,900 as taker (fee 0.05% x 6,490 = 3.245). At mark 70,000 each gains 510 with
maintenance 0.1 x 70,000 x 0.004 = 28. LeveragePnL: ALPHA 510/996.755 x 28/1,506.755 = 0.0095,
BETA 510/4,996.755 x 28/5,506.755 = 0.00052, so ALPHA leads the longs' queue (5) and BETA, second of
two, shows 5 - floor(5 x 1/2) = 3. MAKER, short 0.2 BTC at a loss, is the lone short: 5. IDLE holds
nothing: 0.
"""

import asyncio

from paperex.v1 import account_pb2, admin_pb2, common_pb2, trading_pb2
from tests.server.conftest import Client, Exchange

BTC = "BTCUSDT"


async def buy_from(maker: Client, taker: Client) -> None:
    sell = trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=common_pb2.SIDE_SELL, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity="0.100", price="64900"
    )
    await maker.trading.PlaceOrder(sell, metadata=maker.auth)
    buy = trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="0.100"
    )
    await taker.trading.PlaceOrder(buy, metadata=taker.auth)


async def account(client: Client) -> account_pb2.AccountSummary:
    return (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account


async def listed(client: Client, symbol: str = "") -> list[common_pb2.Position]:
    request = account_pb2.ListPositionsRequest(symbol=symbol)
    return list((await client.account.ListPositions(request, metadata=client.auth)).positions)


async def first_position_event(client: Client, cursor: account_pb2.EventCursor) -> common_pb2.Position:
    stream = client.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=cursor), metadata=client.auth
    )

    async def read() -> common_pb2.Position:
        async for reply in stream:
            if reply.event.WhichOneof("event") == "position_changed":
                return reply.event.position_changed.position
        raise AssertionError("the stream ended without a PositionChanged")

    try:
        return await asyncio.wait_for(read(), timeout=10)
    finally:
        stream.cancel()


async def test_queries_show_each_positions_place_in_the_adl_queue(exchange: Exchange) -> None:
    maker = await exchange.open_account("maker", deposit="1000000")
    beta = await exchange.open_account("beta", deposit="5000")
    alpha = await exchange.open_account("alpha", deposit="1000")
    idle = await exchange.open_account("idle", deposit="1000")
    await exchange.set_mark(BTC, "64900")
    cursor = (await account(alpha)).cursor
    await buy_from(maker, beta)
    await buy_from(maker, alpha)
    await exchange.set_mark(BTC, "70000")

    alpha_account, beta_account, maker_account = await account(alpha), await account(beta), await account(maker)
    (alpha_listed,), (beta_listed,), (idle_listed,) = await listed(alpha), await listed(beta), await listed(idle, BTC)
    admin_view = await exchange.admin.admin.ListAccounts(admin_pb2.ListAccountsRequest(), metadata=exchange.admin.auth)
    event = await first_position_event(alpha, cursor)

    assert [(p.size, p.adl_quantile) for p in alpha_account.positions] == [("0.100", 5)]
    assert [(p.size, p.adl_quantile) for p in beta_account.positions] == [("0.100", 3)]
    assert [(p.size, p.adl_quantile) for p in maker_account.positions] == [("-0.200", 5)]
    assert (alpha_listed.adl_quantile, beta_listed.adl_quantile) == (5, 3)
    assert (idle_listed.size, idle_listed.adl_quantile) == ("0", 0)
    assert {a.name: [p.adl_quantile for p in a.positions] for a in admin_view.accounts} == {
        "maker": [5],
        "beta": [3],
        "alpha": [5],
        "idle": [],
    }
    assert (event.size, event.adl_quantile) == ("0.100", 0)
