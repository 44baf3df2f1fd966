import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from paperex.v1 import errors_pb2 as _errors_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    SIDE_BUY: _ClassVar[Side]
    SIDE_SELL: _ClassVar[Side]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_STOP_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_STOP_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_TAKE_PROFIT_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_TAKE_PROFIT_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_TRAILING_STOP_MARKET: _ClassVar[OrderType]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNSPECIFIED: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_IOC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_FOK: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTX: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTD: _ClassVar[TimeInForce]

class TriggerBy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_BY_UNSPECIFIED: _ClassVar[TriggerBy]
    TRIGGER_BY_MARK: _ClassVar[TriggerBy]
    TRIGGER_BY_LAST: _ClassVar[TriggerBy]

class SelfTradePrevention(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SELF_TRADE_PREVENTION_UNSPECIFIED: _ClassVar[SelfTradePrevention]
    SELF_TRADE_PREVENTION_EXPIRE_TAKER: _ClassVar[SelfTradePrevention]
    SELF_TRADE_PREVENTION_EXPIRE_MAKER: _ClassVar[SelfTradePrevention]
    SELF_TRADE_PREVENTION_EXPIRE_BOTH: _ClassVar[SelfTradePrevention]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_NEW: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELED: _ClassVar[OrderStatus]
    ORDER_STATUS_EXPIRED: _ClassVar[OrderStatus]

class PositionSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POSITION_SIDE_UNSPECIFIED: _ClassVar[PositionSide]
    POSITION_SIDE_BOTH: _ClassVar[PositionSide]
    POSITION_SIDE_LONG: _ClassVar[PositionSide]
    POSITION_SIDE_SHORT: _ClassVar[PositionSide]

class PositionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POSITION_MODE_UNSPECIFIED: _ClassVar[PositionMode]
    POSITION_MODE_ONE_WAY: _ClassVar[PositionMode]
    POSITION_MODE_HEDGE: _ClassVar[PositionMode]

class MarginMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARGIN_MODE_UNSPECIFIED: _ClassVar[MarginMode]
    MARGIN_MODE_CROSS: _ClassVar[MarginMode]
    MARGIN_MODE_ISOLATED: _ClassVar[MarginMode]
SIDE_UNSPECIFIED: Side
SIDE_BUY: Side
SIDE_SELL: Side
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_LIMIT: OrderType
ORDER_TYPE_MARKET: OrderType
ORDER_TYPE_STOP_MARKET: OrderType
ORDER_TYPE_STOP_LIMIT: OrderType
ORDER_TYPE_TAKE_PROFIT_MARKET: OrderType
ORDER_TYPE_TAKE_PROFIT_LIMIT: OrderType
ORDER_TYPE_TRAILING_STOP_MARKET: OrderType
TIME_IN_FORCE_UNSPECIFIED: TimeInForce
TIME_IN_FORCE_GTC: TimeInForce
TIME_IN_FORCE_IOC: TimeInForce
TIME_IN_FORCE_FOK: TimeInForce
TIME_IN_FORCE_GTX: TimeInForce
TIME_IN_FORCE_GTD: TimeInForce
TRIGGER_BY_UNSPECIFIED: TriggerBy
TRIGGER_BY_MARK: TriggerBy
TRIGGER_BY_LAST: TriggerBy
SELF_TRADE_PREVENTION_UNSPECIFIED: SelfTradePrevention
SELF_TRADE_PREVENTION_EXPIRE_TAKER: SelfTradePrevention
SELF_TRADE_PREVENTION_EXPIRE_MAKER: SelfTradePrevention
SELF_TRADE_PREVENTION_EXPIRE_BOTH: SelfTradePrevention
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_NEW: OrderStatus
ORDER_STATUS_PARTIALLY_FILLED: OrderStatus
ORDER_STATUS_FILLED: OrderStatus
ORDER_STATUS_CANCELED: OrderStatus
ORDER_STATUS_EXPIRED: OrderStatus
POSITION_SIDE_UNSPECIFIED: PositionSide
POSITION_SIDE_BOTH: PositionSide
POSITION_SIDE_LONG: PositionSide
POSITION_SIDE_SHORT: PositionSide
POSITION_MODE_UNSPECIFIED: PositionMode
POSITION_MODE_ONE_WAY: PositionMode
POSITION_MODE_HEDGE: PositionMode
MARGIN_MODE_UNSPECIFIED: MarginMode
MARGIN_MODE_CROSS: MarginMode
MARGIN_MODE_ISOLATED: MarginMode

class Order(_message.Message):
    __slots__ = ("order_id", "client_order_id", "symbol", "side", "order_type", "time_in_force", "status", "price", "quantity", "filled_quantity", "average_price", "stop_price", "trigger_by", "triggered", "reduce_only", "close_position", "self_trade_prevention", "callback_bps", "activation_price", "expire_time", "end_reason", "is_liquidation", "create_time", "update_time", "is_auto_deleverage", "position_side")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FILLED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_BY_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_FIELD_NUMBER: _ClassVar[int]
    REDUCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_POSITION_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_BPS_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_PRICE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    IS_LIQUIDATION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    IS_AUTO_DELEVERAGE_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIDE_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    status: OrderStatus
    price: str
    quantity: str
    filled_quantity: str
    average_price: str
    stop_price: str
    trigger_by: TriggerBy
    triggered: bool
    reduce_only: bool
    close_position: bool
    self_trade_prevention: SelfTradePrevention
    callback_bps: int
    activation_price: str
    expire_time: _timestamp_pb2.Timestamp
    end_reason: _errors_pb2.EndReason
    is_liquidation: bool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    is_auto_deleverage: bool
    position_side: PositionSide
    def __init__(self, order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., time_in_force: _Optional[_Union[TimeInForce, str]] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ..., filled_quantity: _Optional[str] = ..., average_price: _Optional[str] = ..., stop_price: _Optional[str] = ..., trigger_by: _Optional[_Union[TriggerBy, str]] = ..., triggered: _Optional[bool] = ..., reduce_only: _Optional[bool] = ..., close_position: _Optional[bool] = ..., self_trade_prevention: _Optional[_Union[SelfTradePrevention, str]] = ..., callback_bps: _Optional[int] = ..., activation_price: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_reason: _Optional[_Union[_errors_pb2.EndReason, str]] = ..., is_liquidation: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_auto_deleverage: _Optional[bool] = ..., position_side: _Optional[_Union[PositionSide, str]] = ...) -> None: ...

class Trade(_message.Message):
    __slots__ = ("trade_id", "symbol", "price", "quantity", "aggressor_side", "time")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AGGRESSOR_SIDE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    trade_id: int
    symbol: str
    price: str
    quantity: str
    aggressor_side: Side
    time: _timestamp_pb2.Timestamp
    def __init__(self, trade_id: _Optional[int] = ..., symbol: _Optional[str] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ..., aggressor_side: _Optional[_Union[Side, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Fill(_message.Message):
    __slots__ = ("trade_id", "order_id", "client_order_id", "symbol", "side", "price", "quantity", "is_maker", "fee", "fee_asset", "realized_pnl", "is_liquidation", "time", "is_auto_deleverage", "position_side")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    IS_MAKER_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    FEE_ASSET_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    IS_LIQUIDATION_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IS_AUTO_DELEVERAGE_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIDE_FIELD_NUMBER: _ClassVar[int]
    trade_id: int
    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    price: str
    quantity: str
    is_maker: bool
    fee: str
    fee_asset: str
    realized_pnl: str
    is_liquidation: bool
    time: _timestamp_pb2.Timestamp
    is_auto_deleverage: bool
    position_side: PositionSide
    def __init__(self, trade_id: _Optional[int] = ..., order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ..., is_maker: _Optional[bool] = ..., fee: _Optional[str] = ..., fee_asset: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., is_liquidation: _Optional[bool] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_auto_deleverage: _Optional[bool] = ..., position_side: _Optional[_Union[PositionSide, str]] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("symbol", "margin_mode", "leverage", "size", "entry_price", "mark_price", "notional", "unrealized_pnl", "initial_margin", "maintenance_margin", "liquidation_price", "bankruptcy_price", "isolated_wallet", "margin_ratio", "adl_quantile", "max_removable_margin", "update_time", "position_side")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    INITIAL_MARGIN_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MARGIN_FIELD_NUMBER: _ClassVar[int]
    LIQUIDATION_PRICE_FIELD_NUMBER: _ClassVar[int]
    BANKRUPTCY_PRICE_FIELD_NUMBER: _ClassVar[int]
    ISOLATED_WALLET_FIELD_NUMBER: _ClassVar[int]
    MARGIN_RATIO_FIELD_NUMBER: _ClassVar[int]
    ADL_QUANTILE_FIELD_NUMBER: _ClassVar[int]
    MAX_REMOVABLE_MARGIN_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIDE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    margin_mode: MarginMode
    leverage: int
    size: str
    entry_price: str
    mark_price: str
    notional: str
    unrealized_pnl: str
    initial_margin: str
    maintenance_margin: str
    liquidation_price: str
    bankruptcy_price: str
    isolated_wallet: str
    margin_ratio: str
    adl_quantile: int
    max_removable_margin: str
    update_time: _timestamp_pb2.Timestamp
    position_side: PositionSide
    def __init__(self, symbol: _Optional[str] = ..., margin_mode: _Optional[_Union[MarginMode, str]] = ..., leverage: _Optional[int] = ..., size: _Optional[str] = ..., entry_price: _Optional[str] = ..., mark_price: _Optional[str] = ..., notional: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., initial_margin: _Optional[str] = ..., maintenance_margin: _Optional[str] = ..., liquidation_price: _Optional[str] = ..., bankruptcy_price: _Optional[str] = ..., isolated_wallet: _Optional[str] = ..., margin_ratio: _Optional[str] = ..., adl_quantile: _Optional[int] = ..., max_removable_margin: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., position_side: _Optional[_Union[PositionSide, str]] = ...) -> None: ...

class BookLevel(_message.Message):
    __slots__ = ("price", "quantity", "order_count")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    price: str
    quantity: str
    order_count: int
    def __init__(self, price: _Optional[str] = ..., quantity: _Optional[str] = ..., order_count: _Optional[int] = ...) -> None: ...
