"""Wire requests to engine commands, strictly: every malformed field is a ``WireError`` naming it.

Nothing here touches exchange state beyond the instrument table, so a request that fails to parse
is refused before it reaches the sequencer and changes nothing.
"""

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, NoReturn, TypeVar

from google.protobuf import descriptor, timestamp_pb2

from paperex.engine.accounts import MarginMode, PositionMode
from paperex.engine.collateral import USDT
from paperex.engine.commands import AmendOrder, CancelAllOrders, CancelOrder, PlaceOrder
from paperex.engine.instruments import Instrument
from paperex.engine.orders import OrderType, PositionSide, SelfTradePrevention, Side, TimeInForce, TriggerBy
from paperex.engine.reasons import RejectReason
from paperex.engine.units import MAX_DECIMAL_CHARS, SCALE, Amount, ConversionError, parse_decimal
from paperex.server.market.liquidity import parse_configs
from paperex.server.state.alerts import Direction
from paperex.server.state.candles import DEFAULT_LIMIT, MAX_LIMIT, CandlePrice, Interval
from paperex.server.state.income import IncomeType
from paperex.server.wire.errors import Refused, WireError
from paperex.server.wire.rejections import conversion_refusal
from paperex.server.wire.render import CANDLE_INTERVALS
from paperex.v1 import account_pb2, common_pb2, market_data_pb2, trading_pb2

E = TypeVar("E", bound=Enum)

CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9._:/-]{1,36}", re.ASCII)
"""Binance's rule for newClientOrderId."""

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

MAX_ASSET_CHARS = 16
"""The longest asset name taken."""


def _enum_table(proto_enum: descriptor.EnumDescriptor, engine_enum: type[E], prefix: str) -> dict[int, E]:
    return {proto_enum.values_by_name[prefix + member.name].number: member for member in engine_enum}


_SIDES = _enum_table(common_pb2.Side.DESCRIPTOR, Side, "SIDE_")
_ORDER_TYPES = _enum_table(common_pb2.OrderType.DESCRIPTOR, OrderType, "ORDER_TYPE_")
_TIME_IN_FORCE = _enum_table(common_pb2.TimeInForce.DESCRIPTOR, TimeInForce, "TIME_IN_FORCE_")
_TRIGGER_BY = _enum_table(common_pb2.TriggerBy.DESCRIPTOR, TriggerBy, "TRIGGER_BY_")
_STP = _enum_table(common_pb2.SelfTradePrevention.DESCRIPTOR, SelfTradePrevention, "SELF_TRADE_PREVENTION_")
_MARGIN_MODES = _enum_table(common_pb2.MarginMode.DESCRIPTOR, MarginMode, "MARGIN_MODE_")
_POSITION_SIDES = _enum_table(common_pb2.PositionSide.DESCRIPTOR, PositionSide, "POSITION_SIDE_")
_POSITION_MODES = _enum_table(common_pb2.PositionMode.DESCRIPTOR, PositionMode, "POSITION_MODE_")


def enum_value(table: Mapping[int, E], value: int, field: str, default: E | None = None) -> E:
    """A proto enum number as the engine member; UNSPECIFIED takes ``default`` or is refused."""
    member = table.get(value)
    if member is not None:
        return member
    if value == 0 and default is not None:
        return default
    return _invalid_enum(field, value)


def _invalid_enum(field: str, value: int) -> NoReturn:
    what = "is required" if value == 0 else f"has no value {value}"
    raise WireError("INVALID_ENUM_VALUE", field, f"{field} {what}")


def instrument(specs: Mapping[str, Instrument], symbol: str, field: str = "symbol") -> Instrument:
    if not symbol:
        raise WireError("MISSING_FIELD", field, f"{field} is required")
    spec = specs.get(symbol)
    if spec is None:
        raise Refused("UNKNOWN_SYMBOL", f"no instrument {symbol[:40]!r}", {"symbol": symbol[:40]})
    return spec


_STEP_FORMS: dict[int, tuple[Decimal, int, int]] = {}
"""id(step) -> (step, coefficient, decimal places); by identity, as Decimal("0.1") == Decimal("0.10")."""


def _step_form(step: Decimal) -> tuple[Decimal, int, int]:
    sign, digits, exponent = step.as_tuple()
    places = -exponent if isinstance(exponent, int) and exponent <= 0 and not sign and any(digits) else -1
    if len(_STEP_FORMS) >= 256:
        _STEP_FORMS.clear()
    form = _STEP_FORMS[id(step)] = (step, int("".join(map(str, digits))) if places >= 0 else 0, places)
    return form


def plain_steps(text: str, step: Decimal) -> int:
    """Whole ``step``s in a plain unsigned decimal such as "64900.1", by integer arithmetic; 0 for
    anything else (a sign, an exponent, blanks, non-ASCII digits, too long, not a whole number of
    steps, zero), which the caller then takes through the strict Decimal path to refuse or accept.

    >>> tick, lot = Decimal("0.1"), Decimal("0.001")
    >>> plain_steps("64900.1", tick), plain_steps("0.015", lot), plain_steps("1.25", tick), plain_steps("-1", tick)
    (649001, 15, 0, 0)
    """
    form = _STEP_FORMS.get(id(step))
    if form is None or form[0] is not step:
        form = _step_form(step)
    _, coefficient, places = form
    whole, dot, fraction = text.partition(".")
    if (
        places < 0
        or len(text) > MAX_DECIMAL_CHARS
        or not (whole.isdigit() and whole.isascii())
        or (dot and not (fraction.isdigit() and fraction.isascii()))
    ):
        return 0
    digits = int(whole + fraction)
    shift = places - len(fraction)
    if shift >= 0:
        steps, remainder = divmod(digits * 10**shift, coefficient)
    else:
        steps, remainder = divmod(digits, coefficient * 10**-shift)
    return 0 if remainder else steps


def price(spec: Instrument, text: str, field: str) -> int:
    """Optional price in ticks (0 when empty)."""
    if not text:
        return 0
    ticks = plain_steps(text, spec.tick_size)
    if ticks and spec.min_price <= ticks <= spec.max_price:
        return ticks  # what price_to_ticks returns for it, at a fifth of the cost
    try:
        return spec.price_to_ticks(text, field)
    except ConversionError as error:
        raise conversion_refusal(error, spec) from None


def quantity(spec: Instrument, text: str, field: str = "quantity") -> int:
    if not text:
        return 0
    lots = plain_steps(text, spec.lot_size)
    if lots and spec.min_qty <= lots <= spec.max_qty:
        return lots  # what qty_to_lots returns for it, at a fifth of the cost
    try:
        return spec.qty_to_lots(text, field)
    except ConversionError as error:
        raise conversion_refusal(error, spec) from None


def asset(text: str, field: str = "asset") -> str:
    """An asset name: USDT when empty; letters and digits otherwise (which assets exist is the engine's
    to say: UNKNOWN_ASSET)."""
    if not text:
        return USDT
    if len(text) > MAX_ASSET_CHARS or not (text.isascii() and text.isalnum() and text.isupper()):
        raise WireError("INVALID_ARGUMENT", field, f"{field} must be an asset name such as USDT or BTC")
    return text


def amount(text: str, field: str = "amount") -> Amount:
    """A positive amount of money with at most 8 decimals."""
    if not text:
        raise WireError("MISSING_FIELD", field, f"{field} is required")
    try:
        value = parse_decimal(text, field, RejectReason.INVALID_AMOUNT)
    except ConversionError as error:
        raise conversion_refusal(error) from None
    scaled = value * SCALE
    if value <= 0 or scaled != scaled.to_integral_value():
        raise WireError("INVALID_AMOUNT", field, f"{field} must be positive with at most 8 decimals")
    return int(scaled)


def reference_price(spec: Instrument, text: str, field: str = "price") -> int:
    """A required price for admin feeds."""
    if not text:
        raise WireError("MISSING_FIELD", field, f"{field} is required")
    return price(spec, text, field)


def nanoseconds(stamp: timestamp_pb2.Timestamp, field: str) -> int:
    if stamp.nanos < 0 or stamp.nanos >= 10**9 or stamp.seconds < 0:
        raise WireError("INVALID_ARGUMENT", field, f"{field} is not a valid timestamp")
    return stamp.seconds * 10**9 + stamp.nanos


def client_order_id(text: str, field: str = "client_order_id") -> str:
    if text and not CLIENT_ORDER_ID.fullmatch(text):
        raise WireError("INVALID_ARGUMENT", field, f"{field} must be 1-36 characters of [A-Za-z0-9._:/-]")
    return text


def place_order(request: trading_pb2.PlaceOrderRequest, account_id: int, specs: Mapping[str, Instrument]) -> PlaceOrder:
    spec = instrument(specs, request.symbol)
    order_type = enum_value(_ORDER_TYPES, request.order_type, "order_type")
    if not request.quantity and not request.close_position:
        raise WireError("MISSING_FIELD", "quantity", "quantity is required unless close_position is set")
    return PlaceOrder(
        account_id=account_id,
        symbol=spec.symbol,
        side=enum_value(_SIDES, request.side, "side"),
        order_type=order_type,
        quantity=quantity(spec, request.quantity),
        price=price(spec, request.price, "price"),
        time_in_force=enum_value(_TIME_IN_FORCE, request.time_in_force, "time_in_force", TimeInForce.GTC),
        stop_price=price(spec, request.stop_price, "stop_price"),
        trigger_by=enum_value(_TRIGGER_BY, request.trigger_by, "trigger_by", TriggerBy.MARK),
        reduce_only=request.reduce_only,
        close_position=request.close_position,
        client_order_id=client_order_id(request.client_order_id),
        stp=enum_value(_STP, request.self_trade_prevention, "self_trade_prevention", SelfTradePrevention.EXPIRE_TAKER),
        callback_bps=request.callback_bps,
        activation_price=price(spec, request.activation_price, "activation_price"),
        expire_at=_expire_at(request),
        position_side=position_side(request.position_side),
    )


def _expire_at(request: trading_pb2.PlaceOrderRequest) -> int:
    """A given expire_time must be a real time (the epoch itself is not "unset")."""
    if not request.HasField("expire_time"):
        return 0
    expire_at = nanoseconds(request.expire_time, "expire_time")
    if expire_at <= 0:
        raise WireError("INVALID_EXPIRE_TIME", "expire_time", "expire_time must be after the epoch")
    return expire_at


def _order_key(request: trading_pb2.AmendOrderRequest | trading_pb2.CancelOrderRequest) -> tuple[int, str]:
    key = request.WhichOneof("order_key")
    if key is None:
        raise WireError("MISSING_FIELD", "order_id", "order_id or client_order_id is required")
    if key == "order_id":
        if not request.order_id:
            raise WireError("INVALID_ARGUMENT", "order_id", "order_id must be positive")
        return request.order_id, ""
    if not request.client_order_id:
        raise WireError("MISSING_FIELD", "client_order_id", "client_order_id is empty")
    return 0, client_order_id(request.client_order_id)


def amend_order(request: trading_pb2.AmendOrderRequest, account_id: int, specs: Mapping[str, Instrument]) -> AmendOrder:
    spec = instrument(specs, request.symbol)
    order_id, client_id = _order_key(request)
    return AmendOrder(
        account_id=account_id,
        symbol=spec.symbol,
        order_id=order_id,
        client_order_id=client_id,
        quantity=quantity(spec, request.quantity),
        price=price(spec, request.price, "price"),
    )


def cancel_order(
    request: trading_pb2.CancelOrderRequest, account_id: int, specs: Mapping[str, Instrument]
) -> CancelOrder:
    spec = instrument(specs, request.symbol)
    order_id, client_id = _order_key(request)
    return CancelOrder(account_id=account_id, symbol=spec.symbol, order_id=order_id, client_order_id=client_id)


def cancel_all_orders(
    request: trading_pb2.CancelAllOrdersRequest, account_id: int, specs: Mapping[str, Instrument]
) -> CancelAllOrders:
    return CancelAllOrders(account_id=account_id, symbol=instrument(specs, request.symbol).symbol)


def trigger_by(value: int, field: str) -> TriggerBy:
    return enum_value(_TRIGGER_BY, value, field, TriggerBy.MARK)


_ALERT_DIRECTIONS = _enum_table(account_pb2.AlertDirection.DESCRIPTOR, Direction, "ALERT_DIRECTION_")


def alert_direction(value: int) -> Direction:
    return enum_value(_ALERT_DIRECTIONS, value, "direction")


_INCOME_TYPES = _enum_table(account_pb2.IncomeType.DESCRIPTOR, IncomeType, "INCOME_TYPE_")


def income_type(value: int) -> IncomeType | None:
    """An income type filter; UNSPECIFIED means every type (None)."""
    return enum_value(_INCOME_TYPES, value, "income_type") if value else None


def margin_mode(value: int) -> MarginMode:
    return enum_value(_MARGIN_MODES, value, "margin_mode", MarginMode.CROSS)


def position_side(value: int) -> PositionSide:
    """An order's or isolated margin move's leg; unset is BOTH (one-way mode)."""
    return enum_value(_POSITION_SIDES, value, "position_side", PositionSide.BOTH)


def position_mode(value: int) -> PositionMode:
    return enum_value(_POSITION_MODES, value, "position_mode")


def isolated_adjustment(request: account_pb2.AdjustIsolatedMarginRequest) -> Amount:
    """Signed amount: positive adds margin, negative removes it."""
    if request.adjustment == account_pb2.MARGIN_ADJUSTMENT_ADD:
        return amount(request.amount)
    if request.adjustment == account_pb2.MARGIN_ADJUSTMENT_REMOVE:
        return -amount(request.amount)
    return _invalid_enum("adjustment", request.adjustment)


def page_size(value: int) -> int:
    if value > MAX_PAGE_SIZE:
        raise WireError("INVALID_ARGUMENT", "page_size", f"page_size is at most {MAX_PAGE_SIZE}")
    return value or DEFAULT_PAGE_SIZE


def page_token(text: str) -> int:
    """Tokens are the id to continue below (opaque to clients)."""
    if not text:
        return 0
    if not text.isdigit() or len(text) > 20:
        raise WireError("INVALID_ARGUMENT", "page_token", "page_token is not one this server issued")
    return int(text)


def time_range(request: Any) -> tuple[int, int]:
    """[start, end) in ns from optional start_time/end_time fields; an end before the start is refused."""
    start = nanoseconds(request.start_time, "start_time") if request.HasField("start_time") else 0
    end = nanoseconds(request.end_time, "end_time") if request.HasField("end_time") else 2**63
    if end < start:
        raise WireError("INVALID_ARGUMENT", "end_time", "end_time is before start_time")
    return start, end


def short_text(text: str, field: str, limit: int = MAX_DECIMAL_CHARS) -> str:
    if len(text) > limit:
        raise WireError("INVALID_ARGUMENT", field, f"{field} is longer than {limit} characters")
    return text


_CANDLE_INTERVALS: dict[int, Interval] = {number: interval for interval, number in CANDLE_INTERVALS.items()}


def candle_interval(value: int) -> Interval:
    interval = _CANDLE_INTERVALS.get(value)
    if interval is None:
        what = "is required" if value == 0 else f"has no value {value}"
        raise WireError("INVALID_ENUM_VALUE", "interval", f"interval {what}")
    return interval


_CANDLE_PRICES: dict[int, CandlePrice] = {
    market_data_pb2.CANDLE_PRICE_UNSPECIFIED: CandlePrice.LAST,
    market_data_pb2.CANDLE_PRICE_LAST: CandlePrice.LAST,
    market_data_pb2.CANDLE_PRICE_MARK: CandlePrice.MARK,
    market_data_pb2.CANDLE_PRICE_INDEX: CandlePrice.INDEX,
}


def candle_price(value: int) -> CandlePrice:
    price = _CANDLE_PRICES.get(value)
    if price is None:
        raise WireError("INVALID_ENUM_VALUE", "price", f"price has no value {value}")
    return price


def candle_limit(value: int) -> int:
    """Candles to return: 0 means the default."""
    if value > MAX_LIMIT:
        raise WireError("INVALID_ARGUMENT", "limit", f"limit is at most {MAX_LIMIT}")
    return value or DEFAULT_LIMIT


DEFAULT_FUNDING_RATES, MAX_FUNDING_RATES = 100, 1_000
"""ListFundingRates' page: the venue's fundingRate default and maximum."""


def funding_rate_limit(value: int) -> int:
    """Funding times to return: 0 means the default."""
    if value > MAX_FUNDING_RATES:
        raise WireError("INVALID_ARGUMENT", "limit", f"limit is at most {MAX_FUNDING_RATES}")
    return value or DEFAULT_FUNDING_RATES


def liquidity_config(text: str) -> str:
    """The liquidity provider's settings (TOML), checked whole before they are journaled."""
    if text:
        try:
            parse_configs(text)
        except ValueError as error:
            raise WireError("INVALID_ARGUMENT", "config_toml", f"liquidity provider config: {error}") from None
    return text
