"""Two accounts trade against each other over real gRPC: orders, fills, positions, history, errors."""

import grpc
import pytest

from paperex.v1 import account_pb2, admin_pb2, common_pb2, market_data_pb2, trading_pb2
from tests.server.conftest import Client, Exchange, error_info


def limit(symbol: str, side: int, quantity: str, price: str, **extra: object) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=symbol, side=side, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity=quantity, price=price, **extra
    )


async def test_a_market_buy_fills_against_a_resting_sell(exchange: Exchange) -> None:
    maker = await exchange.open_account("maker")
    taker = await exchange.open_account("taker")
    await exchange.set_mark("BTCUSDT", "64900")
    placed = await maker.trading.PlaceOrder(
        limit("BTCUSDT", common_pb2.SIDE_SELL, "0.100", "64900.0", client_order_id="ask-1"), metadata=maker.auth
    )
    assert placed.order.status == common_pb2.ORDER_STATUS_NEW
    assert placed.order.client_order_id == "ask-1"
    bought = await taker.trading.PlaceOrder(
        trading_pb2.PlaceOrderRequest(
            symbol="BTCUSDT", side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="0.040"
        ),
        metadata=taker.auth,
    )
    assert bought.order.status == common_pb2.ORDER_STATUS_FILLED
    assert bought.order.average_price == "64900.0"
    (fill,) = bought.fills
    # taker fee 0.05% of 0.04 x 64,900 = 2,596 -> 1.298 USDT
    assert (fill.price, fill.quantity, fill.is_maker, fill.fee) == ("64900.0", "0.040", False, "1.298")

    resting = await maker.trading.GetOrder(
        trading_pb2.GetOrderRequest(symbol="BTCUSDT", client_order_id="ask-1"), metadata=maker.auth
    )
    assert resting.order.status == common_pb2.ORDER_STATUS_PARTIALLY_FILLED
    assert resting.order.filled_quantity == "0.040"

    positions = await taker.account.ListPositions(account_pb2.ListPositionsRequest(), metadata=taker.auth)
    (position,) = positions.positions
    assert (position.symbol, position.size, position.entry_price) == ("BTCUSDT", "0.040", "64900.0")
    # IM = 2,596 / 20 = 129.8
    assert position.initial_margin == "129.8"

    summary = (await taker.account.GetAccount(account_pb2.GetAccountRequest(), metadata=taker.auth)).account
    # 100,000 deposited - 1.298 fee
    assert summary.cross_wallet_balance == "99998.702"
    # available = wallet - IM 129.8 (uPnL 0 at mark 64,900)
    assert summary.available_balance == "99868.902"

    book = await maker.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol="BTCUSDT", depth=10))
    assert [(level.price, level.quantity) for level in book.book.asks] == [("64900.0", "0.060")]


async def test_a_margin_refusal_names_the_shortfall(exchange: Exchange) -> None:
    poor = await exchange.open_account("poor", deposit="100")
    await exchange.set_mark("BTCUSDT", "64900")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await poor.trading.PlaceOrder(limit("BTCUSDT", common_pb2.SIDE_BUY, "1.000", "64900.0"), metadata=poor.auth)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(refused.value)
    assert info.reason == "INSUFFICIENT_MARGIN"
    assert info.domain == "paperex"
    # IM 64,900 / 20 = 3,245 + taker fee 0.05% x 64,900 = 32.45 -> 3,277.45 against 100 available
    assert (info.metadata["required"], info.metadata["available"]) == ("3277.45", "100")


async def test_an_account_created_without_a_name_gets_a_generated_one(exchange: Exchange) -> None:
    created = await exchange.admin.admin.CreateAccount(admin_pb2.CreateAccountRequest(), metadata=exchange.admin.auth)
    assert created.name.startswith("account-") and len(created.name) > len("account-")
    client = Client(exchange.channel, created.api_key)
    summary = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account
    assert (summary.account_id, summary.name, summary.wallet_balance) == (created.account_id, created.name, "0")
