"""A command's answer is built from its own ``Applied`` after the journal write, when later commands may
already have changed the state: it shows the order as that command left it, and the fills among its
own events, whatever the history holds by then."""

from typing import Any

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AmendOrder,
    CancelOrder,
    PlaceOrder,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
)
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side
from paperex.engine.units import SCALE
from paperex.server.core.application import order_result
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.exchange_commands import OpenAccount
from paperex.server.grpc_api.services.trading import Answers
from paperex.server.state.history import MIN_RETAINED
from paperex.v1 import common_pb2

BTC = "BTCUSDT"
START_NS = 1_700_000_000 * 10**9


class Market:
    """An exchange fed commands one by one, a microsecond apart (BTCUSDT: tick 0.1, lot 0.001)."""

    def __init__(self, retention: int = MIN_RETAINED) -> None:
        self.exchange = Exchange(DEFAULT_INSTRUMENTS, history_retention=retention)
        self.ts = START_NS
        self.apply(SetMarkPrice(symbol=BTC, price=649_000))
        self.apply(OpenAccount(name="maker", key_hash="m", deposit=10**16))  # account 1
        self.apply(OpenAccount(name="taker", key_hash="t", deposit=10**16))  # account 2

    def apply(self, command: Any) -> Applied:
        self.ts += 1_000
        command.ts = self.ts
        return self.exchange.apply(command)


def limit(account_id: int, side: Side, lots: int, ticks: int) -> PlaceOrder:
    return PlaceOrder(
        account_id=account_id, symbol=BTC, side=side, order_type=OrderType.LIMIT, quantity=lots, price=ticks
    )


def market_buy(lots: int) -> PlaceOrder:
    return PlaceOrder(account_id=2, symbol=BTC, side=Side.BUY, order_type=OrderType.MARKET, quantity=lots)


def test_an_answer_shows_the_order_as_its_command_left_it() -> None:
    """A buy of 2 lots at 640,000 ticks (0.002 at 64000.0), then amended to 641,000 ticks (64100.0),
    then canceled: answered after all three, the place still shows a new order at 64000.0 and the amend
    one at 64100.0; only the cancel shows it canceled."""
    market = Market()
    placed = market.apply(limit(2, Side.BUY, 2, 640_000))
    order_id = placed.events[0].order_id
    amended = market.apply(AmendOrder(account_id=2, symbol=BTC, order_id=order_id, quantity=2, price=641_000))
    canceled = market.apply(CancelOrder(account_id=2, symbol=BTC, order_id=order_id))
    instruments = market.exchange.instruments
    answers = Answers(instruments)

    place = answers.place(order_result(placed, instruments))
    amend = answers.amend(order_result(amended, instruments))
    cancel = answers.cancel(order_result(canceled, instruments))

    assert (place.order.status, place.order.price, place.order.quantity) == (
        common_pb2.ORDER_STATUS_NEW,
        "64000.0",
        "0.002",
    )
    assert (amend.order.status, amend.order.price) == (common_pb2.ORDER_STATUS_NEW, "64100.0")
    assert (cancel.order.status, cancel.order.price) == (common_pb2.ORDER_STATUS_CANCELED, "64100.0")


def test_a_fill_answer_comes_from_the_command_events_not_the_history() -> None:
    """Two maker sells, 2 lots at 649,010 and 2 at 649,020 ticks (64901.0, 64902.0); a market buy of 4
    lots takes both: filled 0.004 at an average of (64901.0 x 2 + 64902.0 x 2) / 4 = 64901.5. Then 1,150
    more market buys of the taker, each filling 2 lots of a big maker sell at 64903.0, push that buy's
    fills out of a history that keeps 1,000 (trimmed once it is a tenth over): its answer still lists
    both of its fills."""
    market = Market()
    market.apply(limit(1, Side.SELL, 2, 649_010))
    market.apply(limit(1, Side.SELL, 2, 649_020))
    bought = market.apply(market_buy(4))
    market.apply(limit(1, Side.SELL, 2 * 1_150, 649_030))
    for _ in range(1_150):
        market.apply(market_buy(2))
    taker_fills = market.exchange.history.fills_page(2, BTC, 0, 0, 2**62, 0, 2_000)
    assert all(fill.price == 649_030 for fill in taker_fills), "the first buy's fills left the history"

    result = order_result(bought, market.exchange.instruments)
    answer = Answers(market.exchange.instruments).place(result)

    assert (answer.order.status, answer.order.filled_quantity, answer.order.average_price) == (
        common_pb2.ORDER_STATUS_FILLED,
        "0.004",
        "64901.5",
    )
    assert [(fill.price, fill.quantity, fill.is_maker) for fill in answer.fills] == [
        ("64901.0", "0.002", False),
        ("64902.0", "0.002", False),
    ]


def test_an_isolated_margin_answer_keeps_the_position_as_the_command_left_it() -> None:
    """The taker (account 2) buys 10 lots (0.010 BTC) isolated at 10x, then adds 10 USDT to the
    position's margin and after that 5 more: the first add's ``Applied`` holds the position with its
    isolated wallet 10 USDT (10 x 10^8 units) above what it was before, and the cross wallet 10 USDT
    below, untouched by the second add."""
    market = Market()
    market.apply(SetMarginMode(account_id=2, symbol=BTC, mode=MarginMode.ISOLATED))
    market.apply(SetLeverage(account_id=2, symbol=BTC, leverage=10))
    market.apply(limit(1, Side.SELL, 10, 649_000))
    market.apply(market_buy(10))
    engine = market.exchange.engine
    (before,) = engine.summary(2).positions
    wallet_before = engine.accounts[2].wallet

    added = market.apply(AdjustIsolatedMargin(account_id=2, symbol=BTC, amount=10 * SCALE))
    market.apply(AdjustIsolatedMargin(account_id=2, symbol=BTC, amount=5 * SCALE))

    assert added.position is not None
    assert (added.position.symbol, added.position.size) == (BTC, 10)
    assert added.position.isolated_wallet == before.isolated_wallet + 10 * SCALE
    assert added.wallets[1] == wallet_before - 10 * SCALE
