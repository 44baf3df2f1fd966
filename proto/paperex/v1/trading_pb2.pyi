import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from paperex.v1 import common_pb2 as _common_pb2
from paperex.v1 import errors_pb2 as _errors_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlaceOrderRequest(_message.Message):
    __slots__ = ("symbol", "side", "order_type", "quantity", "price", "time_in_force", "stop_price", "trigger_by", "reduce_only", "close_position", "client_order_id", "self_trade_prevention", "callback_bps", "activation_price", "expire_time", "position_side")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_BY_FIELD_NUMBER: _ClassVar[int]
    REDUCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_POSITION_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_BPS_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_PRICE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIDE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    side: _common_pb2.Side
    order_type: _common_pb2.OrderType
    quantity: str
    price: str
    time_in_force: _common_pb2.TimeInForce
    stop_price: str
    trigger_by: _common_pb2.TriggerBy
    reduce_only: bool
    close_position: bool
    client_order_id: str
    self_trade_prevention: _common_pb2.SelfTradePrevention
    callback_bps: int
    activation_price: str
    expire_time: _timestamp_pb2.Timestamp
    position_side: _common_pb2.PositionSide
    def __init__(self, symbol: _Optional[str] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., order_type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., time_in_force: _Optional[_Union[_common_pb2.TimeInForce, str]] = ..., stop_price: _Optional[str] = ..., trigger_by: _Optional[_Union[_common_pb2.TriggerBy, str]] = ..., reduce_only: _Optional[bool] = ..., close_position: _Optional[bool] = ..., client_order_id: _Optional[str] = ..., self_trade_prevention: _Optional[_Union[_common_pb2.SelfTradePrevention, str]] = ..., callback_bps: _Optional[int] = ..., activation_price: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., position_side: _Optional[_Union[_common_pb2.PositionSide, str]] = ...) -> None: ...

class PlaceOrderResponse(_message.Message):
    __slots__ = ("order", "fills", "duplicate")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    fills: _containers.RepeatedCompositeFieldContainer[_common_pb2.Fill]
    duplicate: bool
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ..., fills: _Optional[_Iterable[_Union[_common_pb2.Fill, _Mapping]]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class AmendOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "client_order_id", "quantity", "price")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    client_order_id: str
    quantity: str
    price: str
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ...) -> None: ...

class AmendOrderResponse(_message.Message):
    __slots__ = ("order", "fills", "priority_kept")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_KEPT_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    fills: _containers.RepeatedCompositeFieldContainer[_common_pb2.Fill]
    priority_kept: bool
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ..., fills: _Optional[_Iterable[_Union[_common_pb2.Fill, _Mapping]]] = ..., priority_kept: _Optional[bool] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "client_order_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    client_order_id: str
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ...) -> None: ...

class CancelAllOrdersRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class CancelAllOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_common_pb2.Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[_common_pb2.Order, _Mapping]]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "client_order_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    client_order_id: str
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ...) -> None: ...

class ListOpenOrdersRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class ListOpenOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_common_pb2.Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[_common_pb2.Order, _Mapping]]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("symbol", "start_time", "end_time", "page_size", "page_token")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, symbol: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_common_pb2.Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[_common_pb2.Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListTradesRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "start_time", "end_time", "page_size", "page_token")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTradesResponse(_message.Message):
    __slots__ = ("fills", "next_page_token")
    FILLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    fills: _containers.RepeatedCompositeFieldContainer[_common_pb2.Fill]
    next_page_token: str
    def __init__(self, fills: _Optional[_Iterable[_Union[_common_pb2.Fill, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PreviewOrderRequest(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: PlaceOrderRequest
    def __init__(self, order: _Optional[_Union[PlaceOrderRequest, _Mapping]] = ...) -> None: ...

class PreviewOrderResponse(_message.Message):
    __slots__ = ("current_mode", "other_mode")
    CURRENT_MODE_FIELD_NUMBER: _ClassVar[int]
    OTHER_MODE_FIELD_NUMBER: _ClassVar[int]
    current_mode: OrderPreview
    other_mode: OrderPreview
    def __init__(self, current_mode: _Optional[_Union[OrderPreview, _Mapping]] = ..., other_mode: _Optional[_Union[OrderPreview, _Mapping]] = ...) -> None: ...

class OrderPreview(_message.Message):
    __slots__ = ("margin_mode", "leverage", "accepted", "rejection", "estimated_price", "order_cost", "initial_margin", "open_loss", "fee", "available_balance_before", "available_balance_after", "position_after", "margin_ratio_after", "effective_leverage_after")
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_PRICE_FIELD_NUMBER: _ClassVar[int]
    ORDER_COST_FIELD_NUMBER: _ClassVar[int]
    INITIAL_MARGIN_FIELD_NUMBER: _ClassVar[int]
    OPEN_LOSS_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_BALANCE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    POSITION_AFTER_FIELD_NUMBER: _ClassVar[int]
    MARGIN_RATIO_AFTER_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_LEVERAGE_AFTER_FIELD_NUMBER: _ClassVar[int]
    margin_mode: _common_pb2.MarginMode
    leverage: int
    accepted: bool
    rejection: _errors_pb2.Rejection
    estimated_price: str
    order_cost: str
    initial_margin: str
    open_loss: str
    fee: str
    available_balance_before: str
    available_balance_after: str
    position_after: _common_pb2.Position
    margin_ratio_after: str
    effective_leverage_after: str
    def __init__(self, margin_mode: _Optional[_Union[_common_pb2.MarginMode, str]] = ..., leverage: _Optional[int] = ..., accepted: _Optional[bool] = ..., rejection: _Optional[_Union[_errors_pb2.Rejection, _Mapping]] = ..., estimated_price: _Optional[str] = ..., order_cost: _Optional[str] = ..., initial_margin: _Optional[str] = ..., open_loss: _Optional[str] = ..., fee: _Optional[str] = ..., available_balance_before: _Optional[str] = ..., available_balance_after: _Optional[str] = ..., position_after: _Optional[_Union[_common_pb2.Position, _Mapping]] = ..., margin_ratio_after: _Optional[str] = ..., effective_leverage_after: _Optional[str] = ...) -> None: ...

class OrderSessionRequest(_message.Message):
    __slots__ = ("correlation_id", "commands")
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    correlation_id: str
    commands: _containers.RepeatedCompositeFieldContainer[OrderCommand]
    def __init__(self, correlation_id: _Optional[str] = ..., commands: _Optional[_Iterable[_Union[OrderCommand, _Mapping]]] = ...) -> None: ...

class OrderCommand(_message.Message):
    __slots__ = ("place_order", "amend_order", "cancel_order", "cancel_all_orders")
    PLACE_ORDER_FIELD_NUMBER: _ClassVar[int]
    AMEND_ORDER_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ORDER_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ALL_ORDERS_FIELD_NUMBER: _ClassVar[int]
    place_order: PlaceOrderRequest
    amend_order: AmendOrderRequest
    cancel_order: CancelOrderRequest
    cancel_all_orders: CancelAllOrdersRequest
    def __init__(self, place_order: _Optional[_Union[PlaceOrderRequest, _Mapping]] = ..., amend_order: _Optional[_Union[AmendOrderRequest, _Mapping]] = ..., cancel_order: _Optional[_Union[CancelOrderRequest, _Mapping]] = ..., cancel_all_orders: _Optional[_Union[CancelAllOrdersRequest, _Mapping]] = ...) -> None: ...

class OrderSessionResponse(_message.Message):
    __slots__ = ("correlation_id", "results", "rejection")
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    correlation_id: str
    results: _containers.RepeatedCompositeFieldContainer[OrderCommandResult]
    rejection: _errors_pb2.Rejection
    def __init__(self, correlation_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[OrderCommandResult, _Mapping]]] = ..., rejection: _Optional[_Union[_errors_pb2.Rejection, _Mapping]] = ...) -> None: ...

class OrderCommandResult(_message.Message):
    __slots__ = ("place_order", "amend_order", "cancel_order", "cancel_all_orders", "rejection")
    PLACE_ORDER_FIELD_NUMBER: _ClassVar[int]
    AMEND_ORDER_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ORDER_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ALL_ORDERS_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    place_order: PlaceOrderResponse
    amend_order: AmendOrderResponse
    cancel_order: CancelOrderResponse
    cancel_all_orders: CancelAllOrdersResponse
    rejection: _errors_pb2.Rejection
    def __init__(self, place_order: _Optional[_Union[PlaceOrderResponse, _Mapping]] = ..., amend_order: _Optional[_Union[AmendOrderResponse, _Mapping]] = ..., cancel_order: _Optional[_Union[CancelOrderResponse, _Mapping]] = ..., cancel_all_orders: _Optional[_Union[CancelAllOrdersResponse, _Mapping]] = ..., rejection: _Optional[_Union[_errors_pb2.Rejection, _Mapping]] = ...) -> None: ...
