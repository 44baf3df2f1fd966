"""Between protobuf messages and the SDK's dataclasses, driven by the dataclasses' type hints.

One plan per dataclass, built on first use: for every field, how to turn the proto value into the
Python one. Money and prices travel as decimal strings and come back as ``Decimal``; going out,
``decimal_text`` refuses floats, whose binary value is never the price the caller meant.
"""

import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from functools import cache
from typing import Any, TypeVar

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from paperex.client import models
from paperex.client.enums import WireEnum
from paperex.v1 import account_pb2

T = TypeVar("T")
W = TypeVar("W", bound=WireEnum)
Converter = Callable[[Any], Any]

EVENT_TYPES: dict[str, type] = {
    "order_accepted": models.OrderAccepted,
    "order_rejected": models.OrderRejected,
    "order_triggered": models.OrderTriggered,
    "order_amended": models.OrderAmended,
    "trailing_stop_moved": models.TrailingStopMoved,
    "order_filled": models.OrderFilled,
    "order_canceled": models.OrderCanceled,
    "order_expired": models.OrderExpired,
    "position_changed": models.PositionChanged,
    "balance_changed": models.BalanceChanged,
    "funding_settled": models.FundingSettled,
    "margin_call_issued": models.MarginCallIssued,
    "liquidation_started": models.LiquidationStarted,
    "position_liquidated": models.PositionLiquidated,
    "position_deleveraged": models.PositionDeleveraged,
    "symbol_settings_changed": models.SymbolSettingsChanged,
    "price_alert_triggered": models.PriceAlertTriggered,
    "asset_mode_changed": models.AssetModeChanged,
}


def from_proto(cls: type[T], message: Message) -> T:
    """The dataclass ``cls`` filled from ``message`` (same field names)."""
    plan = _plan(typing.cast(type, cls), message.DESCRIPTOR)
    return cls(**{name: convert(message) for name, convert in plan})


def user_event(message: account_pb2.UserEvent) -> models.UserEvent:
    """A UserEvent with its oneof payload as the matching dataclass."""
    kind = message.WhichOneof("event")
    if kind is None:
        raise ValueError("user event without a payload (a newer server?)")
    return models.UserEvent(
        cursor=from_proto(models.EventCursor, message.cursor),
        time=_timestamp(message.time) if message.HasField("time") else None,
        event=from_proto(EVENT_TYPES[kind], getattr(message, kind)),
    )


def enum_number(kind: type[W], value: W | str | None) -> Any:
    """The wire number of an optional enum given as a member or its name (0, UNSPECIFIED, for None);
    an unknown name raises ValueError listing the valid ones. Typed Any because protoc's stubs type
    each enum field as its own generated enum, which an IntEnum's number is at runtime.

    >>> from paperex.client.enums import Side
    >>> enum_number(Side, "sell"), enum_number(Side, Side.BUY), enum_number(Side, None)
    (2, 1, 0)
    """
    return 0 if value is None else int(kind.parse(value))


def decimal_text(value: Decimal | int | str | None) -> str:
    """A price, quantity or amount as the wire's plain decimal string ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, bool | float):
        raise TypeError(f"{value!r}: pass a Decimal, int or str, never a float (binary floats are not exact prices)")
    if isinstance(value, str):
        return value
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@cache
def _plan(cls: type, descriptor: Descriptor) -> list[tuple[str, Converter]]:
    hints = typing.get_type_hints(cls)
    plan = []
    for name in cls.__dataclass_fields__:  # type: ignore[attr-defined]
        field = descriptor.fields_by_name[name]
        plan.append((name, _field_converter(name, field, hints[name])))
    return plan


def _field_converter(name: str, field: FieldDescriptor, hint: Any) -> Converter:
    optional, inner = _unwrap_optional(hint)
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        convert_item = _value_converter(field, item, optional=False)
        return lambda message: [convert_item(value) for value in getattr(message, name)]
    if typing.get_origin(inner) is dict:
        return lambda message: dict(getattr(message, name))
    convert = _value_converter(field, inner, optional)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return lambda message: convert(getattr(message, name)) if message.HasField(name) else None
    return lambda message: convert(getattr(message, name))


def _value_converter(field: FieldDescriptor, hint: Any, optional: bool) -> Converter:
    if hint is Decimal:
        return (lambda text: Decimal(text) if text else None) if optional else (lambda text: Decimal(text or 0))
    if isinstance(hint, type) and issubclass(hint, IntEnum):
        enum_type = hint
        return (lambda number: enum_type(number) if number else None) if optional else enum_type
    if hint is str and field.enum_type is not None:  # a reason code, kept as its unprefixed name
        names = {value.number: value.name for value in field.enum_type.values}
        prefix = _enum_prefix(names[0])
        return lambda number: names[number].removeprefix(prefix)
    if hint is datetime:
        return _timestamp
    if hint is timedelta:
        return lambda duration: duration.ToTimedelta()
    if hasattr(hint, "__dataclass_fields__"):
        return lambda message: from_proto(hint, message)
    return lambda value: value


def _timestamp(timestamp: Any) -> datetime:
    stamp: datetime = timestamp.ToDatetime(tzinfo=UTC)
    return stamp


def _enum_prefix(unspecified_name: str) -> str:
    """``REJECT_REASON_UNSPECIFIED`` -> ``REJECT_REASON_``."""
    return unspecified_name.removesuffix("UNSPECIFIED")


def _unwrap_optional(hint: Any) -> tuple[bool, Any]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (member,) = (arg for arg in typing.get_args(hint) if arg is not type(None))  # models use only `X | None`
        return True, member
    return False, hint
