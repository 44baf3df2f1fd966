"""The venue's parameters to engine commands, and the venue's code for each malformed one.

BTCUSDT: tick 0.1 (60,000 is 600,000 ticks), lot 0.001 (0.002 is 2 lots).
"""

from collections.abc import Callable

import pytest

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, SelfTradePrevention, Side, TimeInForce, TriggerBy
from paperex.server.binance_api import params
from paperex.server.binance_api.errors import BinanceError, venue_error
from paperex.server.state.candles import Interval
from paperex.server.wire.errors import Refused

LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.002",
    "price": "60000",
}


def code_of(parse: Callable[[], object]) -> int:
    """The venue's code for what ``parse`` refuses (at the edge, or as a refusal worded for the venue)."""
    try:
        parse()
    except BinanceError as error:
        return error.code
    except Refused as refused:
        return venue_error(refused).code
    raise AssertionError("accepted")


def test_a_limit_order_becomes_the_engine_command() -> None:
    command = params.place_order({**LIMIT, "reduceOnly": "True", "newClientOrderId": "bot-1"}, 7, DEFAULT_INSTRUMENTS)
    assert (command.account_id, command.symbol, command.side, command.order_type) == (
        7,
        "BTCUSDT",
        Side.BUY,
        OrderType.LIMIT,
    )
    assert (command.quantity, command.price, command.time_in_force) == (2, 600_000, TimeInForce.GTC)
    assert (command.reduce_only, command.client_order_id) == (True, "bot-1")
    assert command.stp is SelfTradePrevention.EXPIRE_MAKER  # the venue's default


def test_a_gtd_order_keeps_whole_seconds_of_its_good_till_date() -> None:
    command = params.place_order(
        {**LIMIT, "timeInForce": "GTD", "goodTillDate": "1767225600999"}, 1, DEFAULT_INSTRUMENTS
    )
    assert command.expire_at == 1_767_225_600 * 10**9


def test_a_market_order_needs_no_price_or_time_in_force() -> None:
    command = params.place_order(
        {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.002"}, 1, DEFAULT_INSTRUMENTS
    )
    assert (command.order_type, command.side, command.price, command.quantity) == (OrderType.MARKET, Side.SELL, 0, 2)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"type": "STOP_MARKET", "stopPrice": "59000"}, -4120),
        ({"type": "TRAILING_STOP_MARKET"}, -4120),
        ({"type": "TAKE_PROFIT"}, -4120),
        ({"type": "ICEBERG"}, -1116),
        ({"side": "buy"}, -1117),
        ({"symbol": "DOGEUSDT"}, -1121),
        ({"symbol": ""}, -1102),
        ({"positionSide": "UP"}, -4061),
        ({"timeInForce": ""}, -1102),
        ({"timeInForce": "DAY"}, -1115),
        ({"price": ""}, -1102),
        ({"quantity": "1e-3"}, -1100),
        ({"quantity": "0.0015"}, -1111),  # not a whole number of lots
        ({"quantity": "0"}, -4003),
        ({"quantity": "1001"}, -4005),  # above the lot filter's 1,000
        ({"price": "60000.05"}, -4014),  # off the tick
        ({"price": "500"}, -4013),  # below the 556.8 minimum price
        ({"newClientOrderId": "not valid!"}, -4015),
        ({"selfTradePreventionMode": "NONE"}, -5039),
        ({"timeInForce": "GTD"}, -1102),  # GTD without goodTillDate
        ({"goodTillDate": "1767225600000"}, -1106),  # goodTillDate without GTD
        ({"reduceOnly": "yes"}, -1130),
        ({"closePosition": "true"}, -1106),
        ({"stopPrice": "59000"}, -1106),
        ({"priceMatch": "OPPONENT"}, -1106),  # a price beside it
        ({"priceMatch": "QUEUE_3"}, -5037),
    ],
)
def test_malformed_orders_get_the_venues_code(changes: dict[str, str], code: int) -> None:
    assert code_of(lambda: params.place_order({**LIMIT, **changes}, 1, DEFAULT_INSTRUMENTS)) == code


def test_a_market_order_with_a_price_is_refused() -> None:
    market = {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.002", "price": "60000"}
    assert code_of(lambda: params.place_order(market, 1, DEFAULT_INSTRUMENTS)) == -1106


def test_an_order_is_named_by_id_or_client_id() -> None:
    assert params.order_key({"orderId": "42"}) == (42, "")
    assert params.order_key({"origClientOrderId": "bot-1"}) == (0, "bot-1")
    assert code_of(lambda: params.order_key({})) == -1102
    assert code_of(lambda: params.order_key({"orderId": "4x"})) == -1100


def test_klines_parameters() -> None:
    """Times in ms become ns; the default limit is 500."""
    assert params.klines({"interval": "1h", "startTime": "1000", "endTime": "2000"}) == (
        Interval.H1,
        1000 * 10**6,
        2000 * 10**6,
        500,
    )
    assert code_of(lambda: params.klines({"interval": "3m"})) == -1120  # the venue has it, paperex keeps no 3m candles
    assert code_of(lambda: params.klines({"interval": "1m", "startTime": "2", "endTime": "1"})) == -1023
    assert code_of(lambda: params.klines({"interval": "1m", "limit": "1501"})) == -1130


def test_depth_limits_are_the_venues() -> None:
    assert [params.depth_limit({"limit": str(limit)}) for limit in (5, 1000)] == [5, 1000]
    assert params.depth_limit({}) == 500
    assert code_of(lambda: params.depth_limit({"limit": "7"})) == -1130


def test_margin_type_and_leverage() -> None:
    isolated = params.set_margin_type({"symbol": "ETHUSDT", "marginType": "ISOLATED"}, 3, DEFAULT_INSTRUMENTS)
    crossed = params.set_margin_type({"symbol": "ETHUSDT", "marginType": "CROSSED"}, 3, DEFAULT_INSTRUMENTS)
    assert (isolated.mode.name, crossed.mode.name) == ("ISOLATED", "CROSS")
    assert params.set_leverage({"symbol": "BTCUSDT", "leverage": "25"}, 3, DEFAULT_INSTRUMENTS).leverage == 25
    portfolio = {"symbol": "ETHUSDT", "marginType": "PORTFOLIO"}
    assert code_of(lambda: params.set_margin_type(portfolio, 3, DEFAULT_INSTRUMENTS)) == -1130
    assert code_of(lambda: params.set_margin_type({"symbol": "ETHUSDT"}, 3, DEFAULT_INSTRUMENTS)) == -1102


STOP = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET", "quantity": "0.002"}


def test_an_algo_order_becomes_a_conditional_engine_order() -> None:
    """The trigger watches the last price unless ``workingType`` says the mark; a callback rate of
    1 (%) is 100 basis points; a STOP is a stop-limit with its price."""
    stop = params.place_algo_order({**STOP, "triggerPrice": "63000"}, 1, DEFAULT_INSTRUMENTS)
    on_mark = params.place_algo_order(
        {**STOP, "triggerPrice": "63000", "workingType": "MARK_PRICE"}, 1, DEFAULT_INSTRUMENTS
    )
    trailing = params.place_algo_order(
        {**STOP, "type": "TRAILING_STOP_MARKET", "callbackRate": "1", "activatePrice": "66000"}, 1, DEFAULT_INSTRUMENTS
    )
    stop_limit = params.place_algo_order(
        {**STOP, "type": "STOP", "triggerPrice": "63000", "price": "62900"}, 1, DEFAULT_INSTRUMENTS
    )
    close_all = params.place_algo_order(
        {**STOP, "quantity": "", "closePosition": "true", "triggerPrice": "63000"}, 1, DEFAULT_INSTRUMENTS
    )
    assert (stop.order_type, stop.stop_price, stop.trigger_by) == (OrderType.STOP_MARKET, 630_000, TriggerBy.LAST)
    assert on_mark.trigger_by is TriggerBy.MARK
    assert (trailing.callback_bps, trailing.activation_price, trailing.stop_price) == (100, 660_000, 0)
    assert (stop_limit.order_type, stop_limit.price, stop_limit.stop_price) == (OrderType.STOP_LIMIT, 629_000, 630_000)
    assert (close_all.close_position, close_all.quantity) == (True, 0)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"algoType": ""}, -1102),
        ({"algoType": "VP"}, -1130),
        ({"type": "LIMIT"}, -1116),
        ({}, -1102),  # no triggerPrice
        ({"triggerPrice": "63000", "closePosition": "true"}, -1106),  # with a quantity
        ({"type": "TRAILING_STOP_MARKET"}, -1102),  # no callbackRate
        ({"type": "TRAILING_STOP_MARKET", "callbackRate": "0.123"}, -1130),  # finer than a basis point
        ({"triggerPrice": "63000.05"}, -4014),
        ({"triggerPrice": "63000", "callbackRate": "1"}, -1106),
    ],
)
def test_malformed_algo_orders_get_the_venues_code(changes: dict[str, str], code: int) -> None:
    assert code_of(lambda: params.place_algo_order({**STOP, **changes}, 1, DEFAULT_INSTRUMENTS)) == code


def test_a_batch_keeps_each_value_as_the_text_sent() -> None:
    """JSON numbers stay as written (0.1 is not 0.1000000000000000055...), booleans are the venue's words."""
    sent = '[{"symbol": "BTCUSDT", "quantity": 0.1, "price": 60000, "reduceOnly": true}]'
    assert params.batch_orders({"batchOrders": sent}) == [
        {"symbol": "BTCUSDT", "quantity": "0.1", "price": "60000", "reduceOnly": "true"}
    ]


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ({}, -1102),
        ({"batchOrders": "[]"}, -4082),
        ({"batchOrders": "[" + ",".join(["{}"] * 6) + "]"}, -4082),
        ({"batchOrders": '{"symbol": "BTCUSDT"}'}, -1130),
        ({"batchOrders": "[1, 2]"}, -1130),
    ],
)
def test_a_malformed_batch_is_refused_whole(sent: dict[str, str], code: int) -> None:
    assert code_of(lambda: params.batch_orders(sent)) == code


def test_batch_cancels_by_ids_or_client_ids_in_either_spelling() -> None:
    """ccxt spells the lists in lower case; the venue's documentation in camel case."""
    by_id = params.batch_cancels({"symbol": "BTCUSDT", "orderidlist": "[3,4]"})
    by_client = params.batch_cancels({"symbol": "BTCUSDT", "origClientOrderIdList": '["a","b"]'})
    assert by_id == [{"symbol": "BTCUSDT", "orderId": "3"}, {"symbol": "BTCUSDT", "orderId": "4"}]
    assert [item["origClientOrderId"] for item in by_client] == ["a", "b"]
    assert code_of(lambda: params.batch_cancels({"symbol": "BTCUSDT", "orderIdList": str(list(range(1, 12)))})) == -1130
    assert code_of(lambda: params.batch_cancels({"symbol": "BTCUSDT", "orderIdList": '["3"]'})) == -1130


def test_an_amend_names_the_order_and_its_new_price_and_quantity() -> None:
    """orderId wins over origClientOrderId when both come; 60,100 is 601,000 ticks and 0.003 is 3 lots."""
    sent = {"symbol": "BTCUSDT", "orderId": "9", "origClientOrderId": "x", "side": "SELL"}
    command, side = params.amend_order(sent | {"quantity": "0.003", "price": "60100"}, 7, DEFAULT_INSTRUMENTS)
    assert (command.order_id, command.client_order_id, command.quantity, command.price, side) == (
        9,
        "",
        3,
        601_000,
        Side.SELL,
    )
    assert code_of(lambda: params.amend_order(sent | {"quantity": "0.003"}, 7, DEFAULT_INSTRUMENTS)) == -1102
    assert (
        code_of(
            lambda: params.amend_order(sent | {"side": "UP", "price": "1", "quantity": "1"}, 7, DEFAULT_INSTRUMENTS)
        )
        == -1117
    )


def test_a_position_margin_move_is_signed_by_its_type() -> None:
    """Type 1 adds 12.5 USDT (1,250,000,000 units of 1e-8), type 2 removes it; amount 0 is -1130."""
    add = params.position_margin({"symbol": "BTCUSDT", "amount": "12.5", "type": "1"}, 7, DEFAULT_INSTRUMENTS)
    remove = params.position_margin({"symbol": "BTCUSDT", "amount": "12.5", "type": "2"}, 7, DEFAULT_INSTRUMENTS)
    assert (add.amount, remove.amount) == (1_250_000_000, -1_250_000_000)
    zero = {"symbol": "BTCUSDT", "amount": "0", "type": "1"}
    assert code_of(lambda: params.position_margin(zero, 7, DEFAULT_INSTRUMENTS)) == -1130
