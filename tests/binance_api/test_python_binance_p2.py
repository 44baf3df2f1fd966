"""python-binance's futures client on the P2 endpoints: it encodes batches its own way (a Python list's
text with its quotes turned into JSON's, in the query) and cancels by ``orderidlist``."""

from paperex.v1 import common_pb2
from tests.binance_api.test_python_binance import futures_client
from tests.server.conftest import Exchange, btc_order


async def test_python_binance_batches_amends_and_moves_isolated_margin(venue: Exchange) -> None:
    """Alice places two bids in one batch (0.002 at 64,000 and 0.003 at 63,000, numbers as Python values),
    moves the first to 0.002 at 64,100, then cancels both by id. Isolated on BTCUSDT, she buys 0.004 at
    65,000 from a gRPC maker (isolated wallet 260 / 20 - 0.13 = 12.87) and adds 10: 22.87, one move in
    the history. Her fees are the instrument's 0.02% and 0.05%."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    async with futures_client(venue, "alice", "10000") as alice:
        bid = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        placed = await alice.futures_place_batch_order(
            batchOrders=[bid | {"quantity": 0.002, "price": 64000}, bid | {"quantity": 0.003, "price": 63000}]
        )
        moved = await alice.futures_modify_order(
            symbol="BTCUSDT", orderId=placed[0]["orderId"], side="BUY", quantity=0.002, price=64100
        )
        canceled = await alice.futures_cancel_orders(
            symbol="BTCUSDT", orderidlist=[placed[0]["orderId"], placed[1]["orderId"]]
        )
        await alice.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
        await alice.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.004)
        added = await alice.futures_change_position_margin(symbol="BTCUSDT", amount=10, type=1)
        held = await alice.futures_position_information(symbol="BTCUSDT")
        history = await alice.futures_position_margin_history(symbol="BTCUSDT")
        fees = await alice.futures_commission_rate(symbol="BTCUSDT")

    assert [(order["status"], order["price"], order["origQty"]) for order in placed] == [
        ("NEW", "64000.0", "0.002"),
        ("NEW", "63000.0", "0.003"),
    ]
    assert (moved["orderId"], moved["price"]) == (placed[0]["orderId"], "64100.0")
    assert [order["status"] for order in canceled] == ["CANCELED", "CANCELED"]
    assert (added["type"], added["amount"]) == (1, 10)
    assert held[0]["isolatedWallet"] == "22.87"
    assert [(row["type"], row["amount"]) for row in history] == [(1, "10")]
    assert (fees["makerCommissionRate"], fees["takerCommissionRate"]) == ("0.0002", "0.0005")
