"""The SDK's enums, dataclasses and exceptions against the proto descriptors, and the conversions."""

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import IntEnum

import grpc
import pytest

from paperex.client import enums, errors, models
from paperex.client.commands import AmendOrder, CancelOrder, PlaceOrder
from paperex.client.convert import EVENT_TYPES, decimal_text, from_proto, user_event
from paperex.v1 import account_pb2, admin_pb2, common_pb2, errors_pb2, market_data_pb2, trading_pb2

ENUMS = {
    enums.Side: common_pb2.Side,
    enums.OrderType: common_pb2.OrderType,
    enums.TimeInForce: common_pb2.TimeInForce,
    enums.TriggerBy: common_pb2.TriggerBy,
    enums.SelfTradePrevention: common_pb2.SelfTradePrevention,
    enums.OrderStatus: common_pb2.OrderStatus,
    enums.MarginMode: common_pb2.MarginMode,
    enums.EndReason: errors_pb2.EndReason,
    enums.CandleInterval: market_data_pb2.CandleInterval,
    enums.BalanceChangeReason: account_pb2.BalanceChangeReason,
    enums.MarginAdjustment: account_pb2.MarginAdjustment,
    enums.AlertDirection: account_pb2.AlertDirection,
    enums.ClockMode: admin_pb2.ClockMode,
}

MODELS = {
    models.Order: common_pb2.Order,
    models.Trade: common_pb2.Trade,
    models.Fill: common_pb2.Fill,
    models.Position: common_pb2.Position,
    models.BookLevel: common_pb2.BookLevel,
    models.OrderBook: market_data_pb2.OrderBook,
    models.OrderBookUpdate: market_data_pb2.OrderBookUpdate,
    models.LeverageBracket: market_data_pb2.LeverageBracket,
    models.Instrument: market_data_pb2.Instrument,
    models.Ticker: market_data_pb2.Ticker,
    models.Candle: market_data_pb2.Candle,
    models.FundingRate: market_data_pb2.FundingRate,
    models.SymbolSettings: account_pb2.SymbolSettings,
    models.EventCursor: account_pb2.EventCursor,
    models.AccountSummary: account_pb2.AccountSummary,
    models.Rejection: errors_pb2.Rejection,
    models.OrderPreview: trading_pb2.OrderPreview,
    models.PreviewOrderResponse: trading_pb2.PreviewOrderResponse,
    models.PlaceOrderResponse: trading_pb2.PlaceOrderResponse,
    models.AmendOrderResponse: trading_pb2.AmendOrderResponse,
    models.AdjustIsolatedMarginResponse: account_pb2.AdjustIsolatedMarginResponse,
    models.PriceAlert: account_pb2.PriceAlert,
    models.UserEvent: account_pb2.UserEvent,
    models.CreateAccountResponse: admin_pb2.CreateAccountResponse,
    models.Balances: admin_pb2.DepositResponse,
    models.Clock: admin_pb2.GetClockResponse,
    models.AdvanceTimeResponse: admin_pb2.AdvanceTimeResponse,
    models.StepResponse: admin_pb2.StepResponse,
    models.Scenario: admin_pb2.Scenario,
    models.SetIndexPriceResponse: admin_pb2.SetIndexPriceResponse,
    models.Ledger: admin_pb2.GetLedgerResponse,
    models.SnapshotResponse: admin_pb2.SnapshotResponse,
} | {model: getattr(account_pb2, model.__name__) for model in EVENT_TYPES.values()}


def python_name(proto_name: str, prefix: str) -> str:
    """CANDLE_INTERVAL_1M -> M1 (an identifier cannot start with a digit); SIDE_BUY -> BUY."""
    name = proto_name.removeprefix(prefix)
    return name[-1] + name[:-1] if name[0].isdigit() else name


@pytest.mark.parametrize("enum_type", ENUMS, ids=lambda enum_type: enum_type.__name__)
def test_every_enum_has_exactly_the_proto_values(enum_type: type[IntEnum]) -> None:
    descriptor = ENUMS[enum_type]
    prefix = descriptor.Name(0).removesuffix("UNSPECIFIED")
    expected = {python_name(name, prefix): number for name, number in descriptor.items() if number}
    assert {member.name: member.value for member in enum_type} == expected


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_model_has_exactly_the_proto_fields(model: type) -> None:
    proto_fields = {field.name for field in MODELS[model].DESCRIPTOR.fields}
    if model is models.UserEvent:  # the oneof's sixteen payloads arrive as one `event` field
        proto_fields = {"cursor", "time", "event"}
    assert {field.name for field in dataclasses.fields(model)} == proto_fields


def test_every_reject_reason_has_its_own_exception_class() -> None:
    reasons = [name.removeprefix("REJECT_REASON_") for name, number in errors_pb2.RejectReason.items() if number]
    classes = {reason: errors.error_class(reason) for reason in reasons}
    assert all(cls.reason == reason for reason, cls in classes.items())
    assert len(set(classes.values())) == len(reasons)


def test_an_unknown_reason_falls_back_to_its_status_family() -> None:
    assert errors.error_class("SOMETHING_NEW", grpc.StatusCode.FAILED_PRECONDITION) is errors.Refused
    assert errors.error_class("SOMETHING_NEW") is errors.PaperexError
    assert issubclass(errors.InsufficientMargin, errors.Refused)
    assert issubclass(errors.RateLimited, errors.LimitExceeded)


def test_order_conversion_keeps_decimals_exact_and_maps_unset_to_none() -> None:
    message = common_pb2.Order(
        order_id=7,
        symbol="BTCUSDT",
        side=common_pb2.SIDE_SELL,
        order_type=common_pb2.ORDER_TYPE_LIMIT,
        status=common_pb2.ORDER_STATUS_PARTIALLY_FILLED,
        price="64900.10",
        quantity="0.100",
        filled_quantity="0.030",
    )
    message.create_time.FromDatetime(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC))
    order = from_proto(models.Order, message)
    assert order.price == Decimal("64900.10") and str(order.price) == "64900.10"
    assert order.side is enums.Side.SELL and order.status is enums.OrderStatus.PARTIALLY_FILLED
    assert order.average_price is None and order.end_reason is None and order.update_time is None
    assert order.create_time == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert order.remaining_quantity == Decimal("0.070")


def test_a_user_event_becomes_its_payload_dataclass() -> None:
    message = account_pb2.UserEvent(
        cursor=account_pb2.EventCursor(sequence=12, index=3),
        balance_changed=account_pb2.BalanceChanged(
            reason=account_pb2.BALANCE_CHANGE_REASON_FEE, change="-0.32", wallet_balance="99.68"
        ),
    )
    event = user_event(message)
    assert event.cursor == models.EventCursor(12, 3)
    assert isinstance(event.event, models.BalanceChanged)
    assert event.event.change == Decimal("-0.32") and event.event.reason is enums.BalanceChangeReason.FEE
    assert event.event.isolated_wallet is None


def test_a_rejection_carries_the_unprefixed_reason_and_metadata() -> None:
    message = errors_pb2.Rejection(
        reason=errors_pb2.REJECT_REASON_INSUFFICIENT_MARGIN, message="no", metadata={"required": "5.5"}
    )
    error = errors.from_rejection(from_proto(models.Rejection, message))
    assert isinstance(error, errors.InsufficientMargin)
    assert error.required == Decimal("5.5") and error.available is None


def test_durations_and_cursor_order() -> None:
    clock = admin_pb2.GetClockResponse(mode=admin_pb2.CLOCK_MODE_SIMULATED)
    clock.step.FromTimedelta(timedelta(seconds=1))
    converted = from_proto(models.Clock, clock)
    assert converted.step == timedelta(seconds=1) and converted.mode is enums.ClockMode.SIMULATED
    assert converted.scenario_elapsed is None
    assert models.EventCursor(3, 9) < models.EventCursor(4, 0) < models.EventCursor(4, 1)


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("64900.10"), "64900.1"), (Decimal("1E+3"), "1000"), (5, "5"), ("0.010", "0.010"), (None, "")],
)
def test_decimal_text_is_plain(value: Decimal | int | str | None, text: str) -> None:
    assert decimal_text(value) == text


@pytest.mark.parametrize("value", [0.1, True])
def test_floats_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="never a float"):
        decimal_text(value)  # type: ignore[arg-type]


def test_place_order_defaults_to_limit_with_a_price_and_market_without() -> None:
    limit = PlaceOrder("BTCUSDT", enums.Side.BUY, "0.01", price=Decimal("64000"))
    market = PlaceOrder("BTCUSDT", enums.Side.SELL, "0.01")
    assert limit.to_proto().order_type == common_pb2.ORDER_TYPE_LIMIT and limit.to_proto().price == "64000"
    assert market.to_proto().order_type == common_pb2.ORDER_TYPE_MARKET and market.to_proto().price == ""
    assert limit.client_order_id != market.client_order_id and len(limit.client_order_id) <= 36


def test_an_order_is_named_by_exactly_one_id() -> None:
    assert CancelOrder("BTCUSDT", order_id=5).to_proto().WhichOneof("order_key") == "order_id"
    assert AmendOrder("BTCUSDT", client_order_id="a1", price="1").to_proto().client_order_id == "a1"
    with pytest.raises(ValueError, match="exactly one"):
        CancelOrder("BTCUSDT").to_proto()
    with pytest.raises(ValueError, match="exactly one"):
        CancelOrder("BTCUSDT", order_id=5, client_order_id="a1").to_proto()
