"""The SDK's enums read as their names and are found by them, wherever the SDK takes one."""

import pytest

from paperex.client import enums
from paperex.client.commands import PlaceOrder
from paperex.client.convert import enum_number
from paperex.client.enums import CandleInterval, MarginMode, OrderType, SelfTradePrevention, Side, TimeInForce
from paperex.v1 import common_pb2
from tests.clients.test_sdk_models import ENUMS

EVERY_ENUM = [*ENUMS, enums.LiquidationFeeModel, enums.IncomeType]


@pytest.mark.parametrize("kind", EVERY_ENUM, ids=lambda kind: kind.__name__)
def test_every_member_prints_as_its_name_and_is_found_by_it_in_any_case(kind: type[enums.WireEnum]) -> None:
    for member in kind:
        assert (str(member), f"{member}", f"{member:>30}".strip()) == (member.name,) * 3
        assert repr(member) == f"{kind.__name__}.{member.name}"
        assert kind.parse(member.name.lower()) is member
        assert kind.parse(member.name.title()) is member
        assert kind.parse(member) is member


def test_a_name_may_be_spelt_with_hyphens_as_on_the_command_line() -> None:
    assert OrderType.parse("take-profit-limit") is OrderType.TAKE_PROFIT_LIMIT
    assert SelfTradePrevention.parse("expire_both") is SelfTradePrevention.EXPIRE_BOTH


@pytest.mark.parametrize("word", ["hold", "", "BUYS", "1"])
def test_an_unknown_word_is_refused_naming_every_valid_one(word: str) -> None:
    with pytest.raises(ValueError, match=r"is not a Side: use one of BUY, SELL$"):
        Side.parse(word)


def test_an_order_takes_names_and_holds_members() -> None:
    """``side="buy"`` and friends are the members themselves once built: equal to the order written
    with members, and sent as the same wire numbers (BUY 1, STOP_LIMIT 4, GTX 4, MARK 1, EXPIRE_BOTH 3)."""
    spelt = PlaceOrder(
        "BTCUSDT",
        "buy",
        "0.010",
        price="64000",
        order_type="stop_limit",
        time_in_force="GTX",
        stop_price="63000",
        trigger_by="mark",
        self_trade_prevention="expire-both",
        client_order_id="c-1",
    )
    typed = PlaceOrder(
        "BTCUSDT",
        Side.BUY,
        "0.010",
        price="64000",
        order_type=OrderType.STOP_LIMIT,
        time_in_force=TimeInForce.GTX,
        stop_price="63000",
        trigger_by=enums.TriggerBy.MARK,
        self_trade_prevention=SelfTradePrevention.EXPIRE_BOTH,
        client_order_id="c-1",
    )

    assert spelt == typed and spelt.side is Side.BUY and spelt.resolved_type is OrderType.STOP_LIMIT
    request = spelt.to_proto()
    assert (request.side, request.order_type, request.time_in_force) == (
        common_pb2.SIDE_BUY,
        common_pb2.ORDER_TYPE_STOP_LIMIT,
        common_pb2.TIME_IN_FORCE_GTX,
    )
    assert (request.trigger_by, request.self_trade_prevention) == (1, 3)


def test_a_misspelt_order_fails_when_built() -> None:
    with pytest.raises(ValueError, match="'long' is not a Side: use one of BUY, SELL"):
        PlaceOrder("BTCUSDT", "long", "0.010")
    with pytest.raises(ValueError, match="GTC, IOC, FOK, GTX, GTD"):
        PlaceOrder("BTCUSDT", "sell", "0.010", time_in_force="day")


def test_the_client_calls_send_a_name_as_its_number() -> None:
    """What every Client method that takes an enum sends: ISOLATED 2, H1 4, nothing 0 (UNSPECIFIED)."""
    assert enum_number(MarginMode, "isolated") == 2
    assert enum_number(CandleInterval, "h1") == 4
    assert enum_number(MarginMode, None) == 0
    with pytest.raises(ValueError, match="use one of CROSS, ISOLATED"):
        enum_number(MarginMode, "hedged")
