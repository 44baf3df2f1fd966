"""The venue's request parameters to engine commands, strictly, before anything is queued.

Parameters arrive as text (query string and form body merged). A malformed or missing one is refused
with the venue's code (-1102, -1100, -1130, -1116, ...); prices and quantities off the instrument's grid
are refused by the same conversions the gRPC adapter uses, worded by ``errors.venue_error``. The venue
moved conditional orders (STOP, TAKE_PROFIT, TRAILING_STOP_MARKET ...) to its algo-order endpoints;
sent to ``/fapi/v1/order`` they get its -4120.
"""

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from paperex.engine.accounts import MarginMode, PositionMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    PlaceOrder,
    SetLeverage,
    SetMarginMode,
)
from paperex.engine.instruments import Instrument
from paperex.engine.orders import OrderType, PositionSide, SelfTradePrevention, Side, TimeInForce, TriggerBy
from paperex.server.binance_api.errors import (
    ALGO_ORDER_TYPE,
    BATCH_SIZE,
    INVALID_CLIENT_ORDER_ID,
    INVALID_ORDER_TYPE,
    INVALID_SIDE,
    INVALID_STP_MODE,
    INVALID_TIME_IN_FORCE,
    POSITION_SIDE_MISMATCH,
    Answer,
    BinanceError,
    illegal_characters,
    mandatory,
    not_required,
    not_valid,
)
from paperex.server.core.records import IncomeType, Interval
from paperex.server.wire import parse

Params = Mapping[str, str]
T = TypeVar("T")

DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?", re.ASCII)
DECIMAL_RULE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
"""The venue's rule for a decimal parameter, as its -1100 message quotes it."""
CLIENT_ORDER_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}", re.ASCII)
"""The venue's rule for newClientOrderId."""
WHOLE = re.compile(r"[0-9]{1,20}", re.ASCII)
MS_NS = 1_000_000

TYPES = {"LIMIT": OrderType.LIMIT, "MARKET": OrderType.MARKET}
SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
TIME_IN_FORCE = {member.value: member for member in TimeInForce}
STP_MODES = {member.value: member for member in SelfTradePrevention}
VENUE_DEFAULT_STP = SelfTradePrevention.EXPIRE_MAKER
"""What the venue applies when ``selfTradePreventionMode`` is not sent."""
TRIGGER_BY = {"MARK_PRICE": TriggerBy.MARK, "CONTRACT_PRICE": TriggerBy.LAST}
"""``workingType``: the price a conditional order watches."""
ALGO_ORDER_TYPES = {
    "STOP": OrderType.STOP_LIMIT,
    "STOP_MARKET": OrderType.STOP_MARKET,
    "TAKE_PROFIT": OrderType.TAKE_PROFIT_LIMIT,
    "TAKE_PROFIT_MARKET": OrderType.TAKE_PROFIT_MARKET,
    "TRAILING_STOP_MARKET": OrderType.TRAILING_STOP_MARKET,
}
MARGIN_TYPES = {"ISOLATED": MarginMode.ISOLATED, "CROSSED": MarginMode.CROSS}
RESPONSE_TYPES = frozenset({"ACK", "RESULT"})
BOOLEANS = {"true": True, "false": False}
KLINE_INTERVALS = {
    "1m": Interval.M1,
    "5m": Interval.M5,
    "15m": Interval.M15,
    "1h": Interval.H1,
    "4h": Interval.H4,
    "1d": Interval.D1,
}
"""The venue's kline intervals that paperex keeps candles for (it has more: 3m, 30m, 2h, ... 1M)."""
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
DEFAULT_DEPTH, DEFAULT_KLINES, MAX_KLINES = 500, 500, 1500


def required(params: Params, name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise mandatory(name)
    return value


def choice(params: Params, name: str, table: Mapping[str, object], invalid: Answer | None = None) -> str:
    """A parameter that must be one of ``table``'s keys ("" when absent)."""
    value = params.get(name, "")
    if value and value not in table:
        raise invalid.error() if invalid else not_valid(name)
    return value


def one_of(params: Params, name: str, table: Mapping[str, T], invalid: Answer | None = None) -> T:
    """A required parameter that must be one of ``table``'s keys, as its value there."""
    return table[choice(params, name, table, invalid) or required(params, name)]


def flag(params: Params, name: str) -> bool:
    """A boolean parameter, in any case ("true", "True": clients print their language's booleans)."""
    value = params.get(name, "").lower()
    if value and value not in BOOLEANS:
        raise not_valid(name)
    return BOOLEANS.get(value, False)


def whole(params: Params, name: str) -> int | None:
    """A whole-number parameter (ids, times in ms, limits); None when absent."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not WHOLE.fullmatch(value):
        raise illegal_characters(name, "^[0-9]{1,20}$")
    return int(value)


def limit(params: Params, default: int, maximum: int) -> int:
    """``limit``: 1 to ``maximum``, ``default`` when absent."""
    value = whole(params, "limit") or default
    if not 1 <= value <= maximum:
        raise not_valid("limit")
    return value


def time_range(params: Params) -> tuple[int, int]:
    """``startTime`` and ``endTime`` (ms, both included) as [start, end) in ns, unbounded where absent."""
    start, end = whole(params, "startTime"), whole(params, "endTime")
    if start is not None and end is not None and start > end:
        raise BinanceError(400, -1023, "Start time is greater than end time.")
    return (start or 0) * MS_NS, (end + 1) * MS_NS if end is not None else 2**63


OTHER_INCOME_TYPES = frozenset(
    {
        "WELCOME_BONUS",
        "REFERRAL_KICKBACK",
        "COMMISSION_REBATE",
        "API_REBATE",
        "CONTEST_REWARD",
        "CROSS_COLLATERAL_TRANSFER",
        "OPTIONS_PREMIUM_FEE",
        "OPTIONS_SETTLE_PROFIT",
        "INTERNAL_TRANSFER",
        "DELIVERED_SETTELMENT",
        "COIN_SWAP_DEPOSIT",
        "COIN_SWAP_WITHDRAW",
        "POSITION_LIMIT_INCREASE_FEE",
        "STRATEGY_UMFUTURES_TRANSFER",
        "FEE_RETURN",
        "BFUSD_REWARD",
    }
)
"""The venue's income types that nothing here books: asking for one finds nothing."""


def income_type(params: Params) -> IncomeType | None:
    """``incomeType``, one paperex books; None (every kind) when absent."""
    value = params.get("incomeType", "")
    if not value:
        return None
    try:
        return IncomeType(value)
    except ValueError:
        raise not_valid("incomeType") from None


def decimal_text(params: Params, name: str, *, needed: bool = False) -> str:
    """A decimal parameter as sent ("" when absent and not ``needed``)."""
    value = required(params, name) if needed else params.get(name, "")
    if value and not DECIMAL.fullmatch(value):
        raise illegal_characters(name, DECIMAL_RULE)
    return value


def instrument(params: Params, instruments: Mapping[str, Instrument], key: str = "symbol") -> Instrument:
    """The instrument a request names by ``symbol`` (or ``pair``, as the index klines do)."""
    return parse.instrument(instruments, required(params, key))


POSITION_SIDES = {side.value: side for side in PositionSide}


def position_side(params: Params) -> PositionSide:
    """The order's ``positionSide``: BOTH unless given (the account's mode then decides whether it fits,
    the venue's -4061); a value that is none of BOTH, LONG, SHORT is -4061 at once."""
    side = POSITION_SIDES.get(params.get("positionSide", "BOTH"))
    if side is None:
        raise POSITION_SIDE_MISMATCH.error()
    return side


def position_mode(params: Params) -> PositionMode:
    """POST /fapi/v1/positionSide/dual: ``dualSidePosition`` true is hedge mode, false one-way."""
    if "dualSidePosition" not in params:
        raise mandatory("dualSidePosition")
    return PositionMode.HEDGE if flag(params, "dualSidePosition") else PositionMode.ONE_WAY


def place_order(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> PlaceOrder:
    """POST /fapi/v1/order: LIMIT or MARKET (conditional types: -4120)."""
    spec = instrument(params, instruments)
    kind = required(params, "type")
    if kind in ALGO_ORDER_TYPES:
        raise ALGO_ORDER_TYPE.error()
    order_type = TYPES.get(kind)
    if order_type is None:
        raise INVALID_ORDER_TYPE.error()
    for name in ("stopPrice", "activationPrice", "callbackRate"):
        if params.get(name):
            raise not_required(name)
    if flag(params, "closePosition"):
        raise not_required("closePosition")
    limit = order_type is OrderType.LIMIT
    return _order(params, account_id, spec, order_type, "newClientOrderId", priced=limit, time_in_force_required=limit)


def place_algo_order(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> PlaceOrder:
    """POST /fapi/v1/algoOrder (``algoType=CONDITIONAL``): a stop, take-profit or trailing stop, which
    watches ``triggerPrice`` by ``workingType`` (the venue's default: the last price)."""
    spec = instrument(params, instruments)
    if required(params, "algoType") != "CONDITIONAL":
        raise not_valid("algoType")
    order_type = ALGO_ORDER_TYPES.get(required(params, "type"))
    if order_type is None:
        raise INVALID_ORDER_TYPE.error()
    close_position = flag(params, "closePosition")
    if close_position:
        if order_type not in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET):
            raise not_required("closePosition")
        for name in ("quantity", "reduceOnly"):
            if params.get(name):
                raise not_required(name)
    trailing = order_type is OrderType.TRAILING_STOP_MARKET
    priced = order_type in (OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
    command = _order(
        params, account_id, spec, order_type, "clientAlgoId", priced=priced, needs_quantity=not close_position
    )
    command.close_position = close_position
    command.trigger_by = TRIGGER_BY[choice(params, "workingType", TRIGGER_BY) or "CONTRACT_PRICE"]
    if trailing:
        command.callback_bps = callback_bps(params)
        command.activation_price = parse.price(spec, decimal_text(params, "activatePrice"), "activatePrice")
    else:
        for name in ("callbackRate", "activatePrice"):
            if params.get(name):
                raise not_required(name)
        command.stop_price = parse.price(spec, decimal_text(params, "triggerPrice", needed=True), "triggerPrice")
    return command


def callback_bps(params: Params) -> int:
    """``callbackRate`` (a percent, 0.1 to 10 on the venue) in basis points; the engine checks the range."""
    text = decimal_text(params, "callbackRate", needed=True)
    bps = Decimal(text) * 100
    if bps != bps.to_integral_value():
        raise not_valid("callbackRate")
    return int(bps)


def _order(
    params: Params,
    account_id: int,
    spec: Instrument,
    order_type: OrderType,
    client_id_name: str,
    *,
    priced: bool,
    time_in_force_required: bool = False,
    needs_quantity: bool = True,
) -> PlaceOrder:
    """What regular and algo orders share: side, quantity, price, time in force, client id, self-trade
    prevention, and the parameters accepted for compatibility only."""
    side = one_of(params, "side", SIDES, INVALID_SIDE)
    leg = position_side(params)
    if params.get("priceMatch"):
        raise not_valid("priceMatch")  # the venue's queue/opponent pricing is not modelled
    choice(params, "workingType", TRIGGER_BY)
    choice(params, "newOrderRespType", dict.fromkeys(RESPONSE_TYPES))
    flag(params, "priceProtect")
    quantity = parse.quantity(spec, decimal_text(params, "quantity", needed=needs_quantity), "quantity")
    price = 0
    asked = choice(params, "timeInForce", TIME_IN_FORCE, INVALID_TIME_IN_FORCE)
    time_in_force = TIME_IN_FORCE[asked] if asked and priced else TimeInForce.GTC  # only a price rests
    if priced:
        price = parse.price(spec, decimal_text(params, "price", needed=True), "price")
        if time_in_force_required and not params.get("timeInForce"):
            raise mandatory("timeInForce")
    elif params.get("price"):
        raise not_required("price")
    expire_at = 0
    if time_in_force is TimeInForce.GTD:
        good_till = whole(params, "goodTillDate")
        if good_till is None:
            raise mandatory("goodTillDate")
        expire_at = good_till // 1000 * 1000 * MS_NS  # the venue keeps whole seconds
    elif params.get("goodTillDate"):
        raise not_required("goodTillDate")
    client_order_id = params.get(client_id_name, "")
    if client_order_id and not CLIENT_ORDER_ID.fullmatch(client_order_id):
        raise INVALID_CLIENT_ORDER_ID.error()
    stp = choice(params, "selfTradePreventionMode", {**STP_MODES, "NONE": None}, INVALID_STP_MODE)
    if stp == "NONE":
        raise INVALID_STP_MODE.error()  # every order here prevents self-trades
    return PlaceOrder(
        account_id=account_id,
        symbol=spec.symbol,
        side=side,
        order_type=order_type,
        quantity=quantity,
        price=price,
        time_in_force=time_in_force,
        reduce_only=flag(params, "reduceOnly"),
        client_order_id=client_order_id,
        stp=STP_MODES[stp] if stp else VENUE_DEFAULT_STP,
        expire_at=expire_at,
        position_side=leg,
    )


def order_key(params: Params) -> tuple[int, str]:
    """(orderId, origClientOrderId): one of them is required."""
    order_id = whole(params, "orderId") or 0
    client_order_id = params.get("origClientOrderId", "")
    if not order_id and not client_order_id:
        raise BinanceError(400, -1102, "Either orderId or origClientOrderId must be sent.")
    return order_id, client_order_id


def cancel_order(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> CancelOrder:
    spec = instrument(params, instruments)
    order_id, client_order_id = order_key(params)
    return CancelOrder(account_id=account_id, symbol=spec.symbol, order_id=order_id, client_order_id=client_order_id)


def cancel_all(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> CancelAllOrders:
    return CancelAllOrders(account_id=account_id, symbol=instrument(params, instruments).symbol)


def set_leverage(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> SetLeverage:
    spec = instrument(params, instruments)
    leverage = whole(params, "leverage")
    if leverage is None:
        raise mandatory("leverage")
    return SetLeverage(account_id=account_id, symbol=spec.symbol, leverage=leverage)


def set_margin_type(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> SetMarginMode:
    spec = instrument(params, instruments)
    mode = one_of(params, "marginType", MARGIN_TYPES)
    return SetMarginMode(account_id=account_id, symbol=spec.symbol, mode=mode)


def depth_limit(params: Params) -> int:
    limit = whole(params, "limit")
    if limit is None:
        return DEFAULT_DEPTH
    if limit not in DEPTH_LIMITS:
        raise not_valid("limit")
    return limit


def klines(params: Params) -> tuple[Interval, int | None, int | None, int]:
    """(interval, startTime ns, endTime ns, limit) of GET /fapi/v1/klines."""
    interval = KLINE_INTERVALS.get(required(params, "interval"))
    if interval is None:
        raise BinanceError(400, -1120, "Invalid interval.")
    start, end, limit = whole(params, "startTime"), whole(params, "endTime"), whole(params, "limit")
    if limit is not None and not 1 <= limit <= MAX_KLINES:
        raise not_valid("limit")
    if start is not None and end is not None and start > end:
        raise BinanceError(400, -1023, "Start time is greater than end time.")
    return (
        interval,
        None if start is None else start * MS_NS,
        None if end is None else end * MS_NS,
        limit or DEFAULT_KLINES,
    )


def amend_order(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> tuple[AmendOrder, Side]:
    """PUT /fapi/v1/order: the order (``orderId`` or ``origClientOrderId``), its new ``price`` and
    ``quantity`` (both required), and the ``side`` it must have."""
    spec = instrument(params, instruments)
    order_id, client_order_id = order_key(params)
    side = one_of(params, "side", SIDES, INVALID_SIDE)
    if params.get("priceMatch"):
        raise not_valid("priceMatch")  # the venue's queue/opponent pricing is not modelled
    quantity = parse.quantity(spec, decimal_text(params, "quantity", needed=True), "quantity")
    price = parse.price(spec, decimal_text(params, "price", needed=True), "price")
    command = AmendOrder(
        account_id=account_id,
        symbol=spec.symbol,
        order_id=order_id,
        client_order_id="" if order_id else client_order_id,
        quantity=quantity,
        price=price,
    )
    return command, side


MAX_BATCH_ORDERS = 5
MAX_BATCH_CANCELS = 10


def batch_orders(params: Params) -> list[dict[str, str]]:
    """``batchOrders``: a JSON list of 1 to 5 orders, each a parameter table as a single order's (values
    in the venue's text form, whatever JSON type a client sent them as)."""
    text = required(params, "batchOrders")
    try:
        orders = json.loads(text, parse_float=str)  # a number as its text: no binary rounding
    except ValueError:
        raise not_valid("batchOrders") from None
    if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
        raise not_valid("batchOrders")
    if not 1 <= len(orders) <= MAX_BATCH_ORDERS:
        raise BATCH_SIZE.error()
    return [{str(name): _text(value) for name, value in order.items()} for order in orders]


def _text(value: object) -> str:
    """A JSON value as the parameter text it stands for (``true``, not Python's ``True``)."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def batch_cancels(params: Params) -> list[dict[str, str]]:
    """DELETE /fapi/v1/batchOrders: ``orderIdList`` (ids) or ``origClientOrderIdList`` (client ids), at
    most 10, as JSON lists (ccxt spells them in lower case), each as a single cancel's parameters."""
    symbol = required(params, "symbol")
    ids = _id_list(params, "orderIdList", int)
    key = "orderId"
    if ids is None:
        ids, key = _id_list(params, "origClientOrderIdList", str), "origClientOrderId"
    if ids is None:
        raise BinanceError(400, -1102, "Either orderIdList or origClientOrderIdList must be sent.")
    return [{"symbol": symbol, key: str(value)} for value in ids]


def _id_list(params: Params, name: str, kind: type) -> list[object] | None:
    text = params.get(name) or params.get(name.lower())
    if not text:
        return None
    try:
        ids = json.loads(text)
    except ValueError:
        raise not_valid(name) from None
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_BATCH_CANCELS or not all(type(i) is kind for i in ids):
        raise not_valid(name)
    return ids


MARGIN_MOVES = {"1": True, "2": False}
"""``type`` of a position margin move: 1 adds, 2 removes."""


def position_margin(params: Params, account_id: int, instruments: Mapping[str, Instrument]) -> AdjustIsolatedMargin:
    """POST /fapi/v1/positionMargin: ``amount`` added (``type`` 1) to or removed (2) from the isolated
    position on ``symbol`` (on the ``positionSide`` leg in hedge mode; BOTH, the default, in one-way mode)."""
    spec = instrument(params, instruments)
    leg = position_side(params)
    adding = one_of(params, "type", MARGIN_MOVES)
    amount = parse.amount(decimal_text(params, "amount", needed=True))
    return AdjustIsolatedMargin(
        account_id=account_id, symbol=spec.symbol, amount=amount if adding else -amount, position_side=leg
    )


def margin_move_filter(params: Params) -> bool | None:
    """``type`` of the margin history: only additions (1), only removals (2), or both (absent)."""
    value = choice(params, "type", MARGIN_MOVES)
    return MARGIN_MOVES[value] if value else None


AUTO_CLOSE_TYPES = frozenset({"LIQUIDATION", "ADL"})


def auto_close_type(params: Params) -> str:
    """``autoCloseType`` of forceOrders ("" when absent: both)."""
    return choice(params, "autoCloseType", dict.fromkeys(AUTO_CLOSE_TYPES))
