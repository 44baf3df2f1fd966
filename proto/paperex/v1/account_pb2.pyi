import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from paperex.v1 import common_pb2 as _common_pb2
from paperex.v1 import errors_pb2 as _errors_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MarginAdjustment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARGIN_ADJUSTMENT_UNSPECIFIED: _ClassVar[MarginAdjustment]
    MARGIN_ADJUSTMENT_ADD: _ClassVar[MarginAdjustment]
    MARGIN_ADJUSTMENT_REMOVE: _ClassVar[MarginAdjustment]

class BalanceChangeReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BALANCE_CHANGE_REASON_UNSPECIFIED: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_DEPOSIT: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_WITHDRAWAL: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_REALIZED_PNL: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_FEE: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_FUNDING: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_ISOLATED_MARGIN_TRANSFER: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_LIQUIDATION_FEE: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_INSURANCE_FUND_COVER: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_ADL: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_INSURANCE_CLEAR: _ClassVar[BalanceChangeReason]
    BALANCE_CHANGE_REASON_AUTO_EXCHANGE: _ClassVar[BalanceChangeReason]

class AlertDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_DIRECTION_UNSPECIFIED: _ClassVar[AlertDirection]
    ALERT_DIRECTION_CROSSES_ABOVE: _ClassVar[AlertDirection]
    ALERT_DIRECTION_CROSSES_BELOW: _ClassVar[AlertDirection]

class IncomeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCOME_TYPE_UNSPECIFIED: _ClassVar[IncomeType]
    INCOME_TYPE_TRANSFER: _ClassVar[IncomeType]
    INCOME_TYPE_REALIZED_PNL: _ClassVar[IncomeType]
    INCOME_TYPE_COMMISSION: _ClassVar[IncomeType]
    INCOME_TYPE_FUNDING_FEE: _ClassVar[IncomeType]
    INCOME_TYPE_INSURANCE_CLEAR: _ClassVar[IncomeType]
    INCOME_TYPE_AUTO_DELEVERAGE: _ClassVar[IncomeType]
    INCOME_TYPE_AUTO_EXCHANGE: _ClassVar[IncomeType]
MARGIN_ADJUSTMENT_UNSPECIFIED: MarginAdjustment
MARGIN_ADJUSTMENT_ADD: MarginAdjustment
MARGIN_ADJUSTMENT_REMOVE: MarginAdjustment
BALANCE_CHANGE_REASON_UNSPECIFIED: BalanceChangeReason
BALANCE_CHANGE_REASON_DEPOSIT: BalanceChangeReason
BALANCE_CHANGE_REASON_WITHDRAWAL: BalanceChangeReason
BALANCE_CHANGE_REASON_REALIZED_PNL: BalanceChangeReason
BALANCE_CHANGE_REASON_FEE: BalanceChangeReason
BALANCE_CHANGE_REASON_FUNDING: BalanceChangeReason
BALANCE_CHANGE_REASON_ISOLATED_MARGIN_TRANSFER: BalanceChangeReason
BALANCE_CHANGE_REASON_LIQUIDATION_FEE: BalanceChangeReason
BALANCE_CHANGE_REASON_INSURANCE_FUND_COVER: BalanceChangeReason
BALANCE_CHANGE_REASON_ADL: BalanceChangeReason
BALANCE_CHANGE_REASON_INSURANCE_CLEAR: BalanceChangeReason
BALANCE_CHANGE_REASON_AUTO_EXCHANGE: BalanceChangeReason
ALERT_DIRECTION_UNSPECIFIED: AlertDirection
ALERT_DIRECTION_CROSSES_ABOVE: AlertDirection
ALERT_DIRECTION_CROSSES_BELOW: AlertDirection
INCOME_TYPE_UNSPECIFIED: IncomeType
INCOME_TYPE_TRANSFER: IncomeType
INCOME_TYPE_REALIZED_PNL: IncomeType
INCOME_TYPE_COMMISSION: IncomeType
INCOME_TYPE_FUNDING_FEE: IncomeType
INCOME_TYPE_INSURANCE_CLEAR: IncomeType
INCOME_TYPE_AUTO_DELEVERAGE: IncomeType
INCOME_TYPE_AUTO_EXCHANGE: IncomeType

class AccountSummary(_message.Message):
    __slots__ = ("account_id", "name", "asset", "wallet_balance", "cross_wallet_balance", "unrealized_pnl", "cross_unrealized_pnl", "margin_balance", "cross_margin_balance", "available_balance", "max_withdraw_amount", "initial_margin", "position_initial_margin", "open_order_initial_margin", "maintenance_margin", "cross_maintenance_margin", "margin_ratio", "total_notional", "effective_leverage", "positions", "symbol_settings", "cursor", "time", "multi_assets_mode", "assets", "collateral_value")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    CROSS_WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    CROSS_UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    MARGIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    CROSS_MARGIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_BALANCE_FIELD_NUMBER: _ClassVar[int]
    MAX_WITHDRAW_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    INITIAL_MARGIN_FIELD_NUMBER: _ClassVar[int]
    POSITION_INITIAL_MARGIN_FIELD_NUMBER: _ClassVar[int]
    OPEN_ORDER_INITIAL_MARGIN_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MARGIN_FIELD_NUMBER: _ClassVar[int]
    CROSS_MAINTENANCE_MARGIN_FIELD_NUMBER: _ClassVar[int]
    MARGIN_RATIO_FIELD_NUMBER: _ClassVar[int]
    TOTAL_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    MULTI_ASSETS_MODE_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    COLLATERAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    name: str
    asset: str
    wallet_balance: str
    cross_wallet_balance: str
    unrealized_pnl: str
    cross_unrealized_pnl: str
    margin_balance: str
    cross_margin_balance: str
    available_balance: str
    max_withdraw_amount: str
    initial_margin: str
    position_initial_margin: str
    open_order_initial_margin: str
    maintenance_margin: str
    cross_maintenance_margin: str
    margin_ratio: str
    total_notional: str
    effective_leverage: str
    positions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Position]
    symbol_settings: _containers.RepeatedCompositeFieldContainer[SymbolSettings]
    cursor: EventCursor
    time: _timestamp_pb2.Timestamp
    multi_assets_mode: bool
    assets: _containers.RepeatedCompositeFieldContainer[AssetBalance]
    collateral_value: str
    def __init__(self, account_id: _Optional[int] = ..., name: _Optional[str] = ..., asset: _Optional[str] = ..., wallet_balance: _Optional[str] = ..., cross_wallet_balance: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., cross_unrealized_pnl: _Optional[str] = ..., margin_balance: _Optional[str] = ..., cross_margin_balance: _Optional[str] = ..., available_balance: _Optional[str] = ..., max_withdraw_amount: _Optional[str] = ..., initial_margin: _Optional[str] = ..., position_initial_margin: _Optional[str] = ..., open_order_initial_margin: _Optional[str] = ..., maintenance_margin: _Optional[str] = ..., cross_maintenance_margin: _Optional[str] = ..., margin_ratio: _Optional[str] = ..., total_notional: _Optional[str] = ..., effective_leverage: _Optional[str] = ..., positions: _Optional[_Iterable[_Union[_common_pb2.Position, _Mapping]]] = ..., symbol_settings: _Optional[_Iterable[_Union[SymbolSettings, _Mapping]]] = ..., cursor: _Optional[_Union[EventCursor, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., multi_assets_mode: _Optional[bool] = ..., assets: _Optional[_Iterable[_Union[AssetBalance, _Mapping]]] = ..., collateral_value: _Optional[str] = ...) -> None: ...

class AssetBalance(_message.Message):
    __slots__ = ("asset", "wallet_balance", "index_price", "collateral_rate", "margin_value", "max_withdraw_amount")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    INDEX_PRICE_FIELD_NUMBER: _ClassVar[int]
    COLLATERAL_RATE_FIELD_NUMBER: _ClassVar[int]
    MARGIN_VALUE_FIELD_NUMBER: _ClassVar[int]
    MAX_WITHDRAW_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    asset: str
    wallet_balance: str
    index_price: str
    collateral_rate: str
    margin_value: str
    max_withdraw_amount: str
    def __init__(self, asset: _Optional[str] = ..., wallet_balance: _Optional[str] = ..., index_price: _Optional[str] = ..., collateral_rate: _Optional[str] = ..., margin_value: _Optional[str] = ..., max_withdraw_amount: _Optional[str] = ...) -> None: ...

class SymbolSettings(_message.Message):
    __slots__ = ("symbol", "margin_mode", "leverage", "max_notional")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    MAX_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    margin_mode: _common_pb2.MarginMode
    leverage: int
    max_notional: str
    def __init__(self, symbol: _Optional[str] = ..., margin_mode: _Optional[_Union[_common_pb2.MarginMode, str]] = ..., leverage: _Optional[int] = ..., max_notional: _Optional[str] = ...) -> None: ...

class EventCursor(_message.Message):
    __slots__ = ("sequence", "index")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    index: int
    def __init__(self, sequence: _Optional[int] = ..., index: _Optional[int] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: AccountSummary
    def __init__(self, account: _Optional[_Union[AccountSummary, _Mapping]] = ...) -> None: ...

class ListPositionsRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class ListPositionsResponse(_message.Message):
    __slots__ = ("positions",)
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Position]
    def __init__(self, positions: _Optional[_Iterable[_Union[_common_pb2.Position, _Mapping]]] = ...) -> None: ...

class SetLeverageRequest(_message.Message):
    __slots__ = ("symbol", "leverage")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    leverage: int
    def __init__(self, symbol: _Optional[str] = ..., leverage: _Optional[int] = ...) -> None: ...

class SetLeverageResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: SymbolSettings
    def __init__(self, settings: _Optional[_Union[SymbolSettings, _Mapping]] = ...) -> None: ...

class SetMarginModeRequest(_message.Message):
    __slots__ = ("symbol", "margin_mode")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    margin_mode: _common_pb2.MarginMode
    def __init__(self, symbol: _Optional[str] = ..., margin_mode: _Optional[_Union[_common_pb2.MarginMode, str]] = ...) -> None: ...

class SetMarginModeResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: SymbolSettings
    def __init__(self, settings: _Optional[_Union[SymbolSettings, _Mapping]] = ...) -> None: ...

class AdjustIsolatedMarginRequest(_message.Message):
    __slots__ = ("symbol", "adjustment", "amount", "position_side")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIDE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    adjustment: MarginAdjustment
    amount: str
    position_side: _common_pb2.PositionSide
    def __init__(self, symbol: _Optional[str] = ..., adjustment: _Optional[_Union[MarginAdjustment, str]] = ..., amount: _Optional[str] = ..., position_side: _Optional[_Union[_common_pb2.PositionSide, str]] = ...) -> None: ...

class GetPositionModeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetPositionModeResponse(_message.Message):
    __slots__ = ("position_mode",)
    POSITION_MODE_FIELD_NUMBER: _ClassVar[int]
    position_mode: _common_pb2.PositionMode
    def __init__(self, position_mode: _Optional[_Union[_common_pb2.PositionMode, str]] = ...) -> None: ...

class SetPositionModeRequest(_message.Message):
    __slots__ = ("position_mode",)
    POSITION_MODE_FIELD_NUMBER: _ClassVar[int]
    position_mode: _common_pb2.PositionMode
    def __init__(self, position_mode: _Optional[_Union[_common_pb2.PositionMode, str]] = ...) -> None: ...

class SetPositionModeResponse(_message.Message):
    __slots__ = ("position_mode",)
    POSITION_MODE_FIELD_NUMBER: _ClassVar[int]
    position_mode: _common_pb2.PositionMode
    def __init__(self, position_mode: _Optional[_Union[_common_pb2.PositionMode, str]] = ...) -> None: ...

class AdjustIsolatedMarginResponse(_message.Message):
    __slots__ = ("position", "cross_wallet_balance")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    CROSS_WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    position: _common_pb2.Position
    cross_wallet_balance: str
    def __init__(self, position: _Optional[_Union[_common_pb2.Position, _Mapping]] = ..., cross_wallet_balance: _Optional[str] = ...) -> None: ...

class StreamUserEventsRequest(_message.Message):
    __slots__ = ("resume_after",)
    RESUME_AFTER_FIELD_NUMBER: _ClassVar[int]
    resume_after: EventCursor
    def __init__(self, resume_after: _Optional[_Union[EventCursor, _Mapping]] = ...) -> None: ...

class StreamUserEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: UserEvent
    def __init__(self, event: _Optional[_Union[UserEvent, _Mapping]] = ...) -> None: ...

class UserEvent(_message.Message):
    __slots__ = ("cursor", "time", "order_accepted", "order_rejected", "order_triggered", "order_amended", "order_filled", "order_canceled", "order_expired", "position_changed", "balance_changed", "funding_settled", "margin_call_issued", "liquidation_started", "position_liquidated", "position_deleveraged", "symbol_settings_changed", "price_alert_triggered", "trailing_stop_moved", "asset_mode_changed")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ORDER_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ORDER_REJECTED_FIELD_NUMBER: _ClassVar[int]
    ORDER_TRIGGERED_FIELD_NUMBER: _ClassVar[int]
    ORDER_AMENDED_FIELD_NUMBER: _ClassVar[int]
    ORDER_FILLED_FIELD_NUMBER: _ClassVar[int]
    ORDER_CANCELED_FIELD_NUMBER: _ClassVar[int]
    ORDER_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    POSITION_CHANGED_FIELD_NUMBER: _ClassVar[int]
    BALANCE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    FUNDING_SETTLED_FIELD_NUMBER: _ClassVar[int]
    MARGIN_CALL_ISSUED_FIELD_NUMBER: _ClassVar[int]
    LIQUIDATION_STARTED_FIELD_NUMBER: _ClassVar[int]
    POSITION_LIQUIDATED_FIELD_NUMBER: _ClassVar[int]
    POSITION_DELEVERAGED_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_SETTINGS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    PRICE_ALERT_TRIGGERED_FIELD_NUMBER: _ClassVar[int]
    TRAILING_STOP_MOVED_FIELD_NUMBER: _ClassVar[int]
    ASSET_MODE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    cursor: EventCursor
    time: _timestamp_pb2.Timestamp
    order_accepted: OrderAccepted
    order_rejected: OrderRejected
    order_triggered: OrderTriggered
    order_amended: OrderAmended
    order_filled: OrderFilled
    order_canceled: OrderCanceled
    order_expired: OrderExpired
    position_changed: PositionChanged
    balance_changed: BalanceChanged
    funding_settled: FundingSettled
    margin_call_issued: MarginCallIssued
    liquidation_started: LiquidationStarted
    position_liquidated: PositionLiquidated
    position_deleveraged: PositionDeleveraged
    symbol_settings_changed: SymbolSettingsChanged
    price_alert_triggered: PriceAlertTriggered
    trailing_stop_moved: TrailingStopMoved
    asset_mode_changed: AssetModeChanged
    def __init__(self, cursor: _Optional[_Union[EventCursor, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_accepted: _Optional[_Union[OrderAccepted, _Mapping]] = ..., order_rejected: _Optional[_Union[OrderRejected, _Mapping]] = ..., order_triggered: _Optional[_Union[OrderTriggered, _Mapping]] = ..., order_amended: _Optional[_Union[OrderAmended, _Mapping]] = ..., order_filled: _Optional[_Union[OrderFilled, _Mapping]] = ..., order_canceled: _Optional[_Union[OrderCanceled, _Mapping]] = ..., order_expired: _Optional[_Union[OrderExpired, _Mapping]] = ..., position_changed: _Optional[_Union[PositionChanged, _Mapping]] = ..., balance_changed: _Optional[_Union[BalanceChanged, _Mapping]] = ..., funding_settled: _Optional[_Union[FundingSettled, _Mapping]] = ..., margin_call_issued: _Optional[_Union[MarginCallIssued, _Mapping]] = ..., liquidation_started: _Optional[_Union[LiquidationStarted, _Mapping]] = ..., position_liquidated: _Optional[_Union[PositionLiquidated, _Mapping]] = ..., position_deleveraged: _Optional[_Union[PositionDeleveraged, _Mapping]] = ..., symbol_settings_changed: _Optional[_Union[SymbolSettingsChanged, _Mapping]] = ..., price_alert_triggered: _Optional[_Union[PriceAlertTriggered, _Mapping]] = ..., trailing_stop_moved: _Optional[_Union[TrailingStopMoved, _Mapping]] = ..., asset_mode_changed: _Optional[_Union[AssetModeChanged, _Mapping]] = ...) -> None: ...

class OrderAccepted(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderRejected(_message.Message):
    __slots__ = ("command", "symbol", "order_id", "client_order_id", "rejection")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    command: str
    symbol: str
    order_id: int
    client_order_id: str
    rejection: _errors_pb2.Rejection
    def __init__(self, command: _Optional[str] = ..., symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ..., rejection: _Optional[_Union[_errors_pb2.Rejection, _Mapping]] = ...) -> None: ...

class OrderTriggered(_message.Message):
    __slots__ = ("order", "trigger_price")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_PRICE_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    trigger_price: str
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ..., trigger_price: _Optional[str] = ...) -> None: ...

class OrderAmended(_message.Message):
    __slots__ = ("order", "priority_kept")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_KEPT_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    priority_kept: bool
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ..., priority_kept: _Optional[bool] = ...) -> None: ...

class TrailingStopMoved(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderFilled(_message.Message):
    __slots__ = ("order", "fill")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    FILL_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    fill: _common_pb2.Fill
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ..., fill: _Optional[_Union[_common_pb2.Fill, _Mapping]] = ...) -> None: ...

class OrderCanceled(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderExpired(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ...) -> None: ...

class PositionChanged(_message.Message):
    __slots__ = ("position",)
    POSITION_FIELD_NUMBER: _ClassVar[int]
    position: _common_pb2.Position
    def __init__(self, position: _Optional[_Union[_common_pb2.Position, _Mapping]] = ...) -> None: ...

class BalanceChanged(_message.Message):
    __slots__ = ("reason", "change", "symbol", "trade_id", "wallet_balance", "cross_wallet_balance", "isolated_wallet", "cross_change", "isolated_change", "asset")
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    CROSS_WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    ISOLATED_WALLET_FIELD_NUMBER: _ClassVar[int]
    CROSS_CHANGE_FIELD_NUMBER: _ClassVar[int]
    ISOLATED_CHANGE_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    reason: BalanceChangeReason
    change: str
    symbol: str
    trade_id: int
    wallet_balance: str
    cross_wallet_balance: str
    isolated_wallet: str
    cross_change: str
    isolated_change: str
    asset: str
    def __init__(self, reason: _Optional[_Union[BalanceChangeReason, str]] = ..., change: _Optional[str] = ..., symbol: _Optional[str] = ..., trade_id: _Optional[int] = ..., wallet_balance: _Optional[str] = ..., cross_wallet_balance: _Optional[str] = ..., isolated_wallet: _Optional[str] = ..., cross_change: _Optional[str] = ..., isolated_change: _Optional[str] = ..., asset: _Optional[str] = ...) -> None: ...

class AssetModeChanged(_message.Message):
    __slots__ = ("multi_assets_mode",)
    MULTI_ASSETS_MODE_FIELD_NUMBER: _ClassVar[int]
    multi_assets_mode: bool
    def __init__(self, multi_assets_mode: _Optional[bool] = ...) -> None: ...

class FundingSettled(_message.Message):
    __slots__ = ("symbol", "funding_rate", "mark_price", "position_size", "payment", "funding_time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FUNDING_RATE_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    POSITION_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    FUNDING_TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    funding_rate: str
    mark_price: str
    position_size: str
    payment: str
    funding_time: _timestamp_pb2.Timestamp
    def __init__(self, symbol: _Optional[str] = ..., funding_rate: _Optional[str] = ..., mark_price: _Optional[str] = ..., position_size: _Optional[str] = ..., payment: _Optional[str] = ..., funding_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MarginCallIssued(_message.Message):
    __slots__ = ("margin_mode", "symbol", "threshold", "margin_ratio", "margin_balance", "maintenance_margin")
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MARGIN_RATIO_FIELD_NUMBER: _ClassVar[int]
    MARGIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MARGIN_FIELD_NUMBER: _ClassVar[int]
    margin_mode: _common_pb2.MarginMode
    symbol: str
    threshold: str
    margin_ratio: str
    margin_balance: str
    maintenance_margin: str
    def __init__(self, margin_mode: _Optional[_Union[_common_pb2.MarginMode, str]] = ..., symbol: _Optional[str] = ..., threshold: _Optional[str] = ..., margin_ratio: _Optional[str] = ..., margin_balance: _Optional[str] = ..., maintenance_margin: _Optional[str] = ...) -> None: ...

class LiquidationStarted(_message.Message):
    __slots__ = ("margin_mode", "symbol", "margin_balance", "maintenance_margin")
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARGIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MARGIN_FIELD_NUMBER: _ClassVar[int]
    margin_mode: _common_pb2.MarginMode
    symbol: str
    margin_balance: str
    maintenance_margin: str
    def __init__(self, margin_mode: _Optional[_Union[_common_pb2.MarginMode, str]] = ..., symbol: _Optional[str] = ..., margin_balance: _Optional[str] = ..., maintenance_margin: _Optional[str] = ...) -> None: ...

class PositionLiquidated(_message.Message):
    __slots__ = ("symbol", "margin_mode", "quantity", "average_price", "bankruptcy_price", "realized_pnl", "insurance_fund_change", "order_id", "deleveraged_quantity")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    BANKRUPTCY_PRICE_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_FUND_CHANGE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    DELEVERAGED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    margin_mode: _common_pb2.MarginMode
    quantity: str
    average_price: str
    bankruptcy_price: str
    realized_pnl: str
    insurance_fund_change: str
    order_id: int
    deleveraged_quantity: str
    def __init__(self, symbol: _Optional[str] = ..., margin_mode: _Optional[_Union[_common_pb2.MarginMode, str]] = ..., quantity: _Optional[str] = ..., average_price: _Optional[str] = ..., bankruptcy_price: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., insurance_fund_change: _Optional[str] = ..., order_id: _Optional[int] = ..., deleveraged_quantity: _Optional[str] = ...) -> None: ...

class PositionDeleveraged(_message.Message):
    __slots__ = ("symbol", "quantity", "price", "realized_pnl", "order_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quantity: str
    price: str
    realized_pnl: str
    order_id: int
    def __init__(self, symbol: _Optional[str] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., order_id: _Optional[int] = ...) -> None: ...

class SymbolSettingsChanged(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: SymbolSettings
    def __init__(self, settings: _Optional[_Union[SymbolSettings, _Mapping]] = ...) -> None: ...

class PriceAlert(_message.Message):
    __slots__ = ("alert_id", "symbol", "price_source", "direction", "price", "repeating", "fired", "create_time", "note")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    REPEATING_FIELD_NUMBER: _ClassVar[int]
    FIRED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    alert_id: int
    symbol: str
    price_source: _common_pb2.TriggerBy
    direction: AlertDirection
    price: str
    repeating: bool
    fired: int
    create_time: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, alert_id: _Optional[int] = ..., symbol: _Optional[str] = ..., price_source: _Optional[_Union[_common_pb2.TriggerBy, str]] = ..., direction: _Optional[_Union[AlertDirection, str]] = ..., price: _Optional[str] = ..., repeating: _Optional[bool] = ..., fired: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class PriceAlertTriggered(_message.Message):
    __slots__ = ("alert", "price")
    ALERT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    alert: PriceAlert
    price: str
    def __init__(self, alert: _Optional[_Union[PriceAlert, _Mapping]] = ..., price: _Optional[str] = ...) -> None: ...

class CreatePriceAlertRequest(_message.Message):
    __slots__ = ("symbol", "price_source", "direction", "price", "repeating", "note")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    REPEATING_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    price_source: _common_pb2.TriggerBy
    direction: AlertDirection
    price: str
    repeating: bool
    note: str
    def __init__(self, symbol: _Optional[str] = ..., price_source: _Optional[_Union[_common_pb2.TriggerBy, str]] = ..., direction: _Optional[_Union[AlertDirection, str]] = ..., price: _Optional[str] = ..., repeating: _Optional[bool] = ..., note: _Optional[str] = ...) -> None: ...

class CreatePriceAlertResponse(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: PriceAlert
    def __init__(self, alert: _Optional[_Union[PriceAlert, _Mapping]] = ...) -> None: ...

class ListPriceAlertsRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class ListPriceAlertsResponse(_message.Message):
    __slots__ = ("alerts",)
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[PriceAlert]
    def __init__(self, alerts: _Optional[_Iterable[_Union[PriceAlert, _Mapping]]] = ...) -> None: ...

class DeletePriceAlertRequest(_message.Message):
    __slots__ = ("alert_id",)
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    alert_id: int
    def __init__(self, alert_id: _Optional[int] = ...) -> None: ...

class DeletePriceAlertResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Income(_message.Message):
    __slots__ = ("income_id", "income_type", "income", "asset", "symbol", "trade_id", "time")
    INCOME_ID_FIELD_NUMBER: _ClassVar[int]
    INCOME_TYPE_FIELD_NUMBER: _ClassVar[int]
    INCOME_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    income_id: int
    income_type: IncomeType
    income: str
    asset: str
    symbol: str
    trade_id: int
    time: _timestamp_pb2.Timestamp
    def __init__(self, income_id: _Optional[int] = ..., income_type: _Optional[_Union[IncomeType, str]] = ..., income: _Optional[str] = ..., asset: _Optional[str] = ..., symbol: _Optional[str] = ..., trade_id: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListIncomeRequest(_message.Message):
    __slots__ = ("symbol", "income_type", "start_time", "end_time", "page_size", "page_token")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INCOME_TYPE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    income_type: IncomeType
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, symbol: _Optional[str] = ..., income_type: _Optional[_Union[IncomeType, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIncomeResponse(_message.Message):
    __slots__ = ("incomes", "next_page_token")
    INCOMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    incomes: _containers.RepeatedCompositeFieldContainer[Income]
    next_page_token: str
    def __init__(self, incomes: _Optional[_Iterable[_Union[Income, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MarginCallRecord(_message.Message):
    __slots__ = ("time", "margin_call")
    TIME_FIELD_NUMBER: _ClassVar[int]
    MARGIN_CALL_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    margin_call: MarginCallIssued
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., margin_call: _Optional[_Union[MarginCallIssued, _Mapping]] = ...) -> None: ...

class Liquidation(_message.Message):
    __slots__ = ("liquidation_id", "time", "margin_mode", "symbol", "margin_balance", "maintenance_margin", "margin_calls", "canceled_orders", "orders", "fills", "positions", "insurance_fund_change", "realized_pnl")
    LIQUIDATION_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    MARGIN_MODE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARGIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MARGIN_FIELD_NUMBER: _ClassVar[int]
    MARGIN_CALLS_FIELD_NUMBER: _ClassVar[int]
    CANCELED_ORDERS_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_FUND_CHANGE_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    liquidation_id: int
    time: _timestamp_pb2.Timestamp
    margin_mode: _common_pb2.MarginMode
    symbol: str
    margin_balance: str
    maintenance_margin: str
    margin_calls: _containers.RepeatedCompositeFieldContainer[MarginCallRecord]
    canceled_orders: _containers.RepeatedCompositeFieldContainer[_common_pb2.Order]
    orders: _containers.RepeatedCompositeFieldContainer[_common_pb2.Order]
    fills: _containers.RepeatedCompositeFieldContainer[_common_pb2.Fill]
    positions: _containers.RepeatedCompositeFieldContainer[PositionLiquidated]
    insurance_fund_change: str
    realized_pnl: str
    def __init__(self, liquidation_id: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., margin_mode: _Optional[_Union[_common_pb2.MarginMode, str]] = ..., symbol: _Optional[str] = ..., margin_balance: _Optional[str] = ..., maintenance_margin: _Optional[str] = ..., margin_calls: _Optional[_Iterable[_Union[MarginCallRecord, _Mapping]]] = ..., canceled_orders: _Optional[_Iterable[_Union[_common_pb2.Order, _Mapping]]] = ..., orders: _Optional[_Iterable[_Union[_common_pb2.Order, _Mapping]]] = ..., fills: _Optional[_Iterable[_Union[_common_pb2.Fill, _Mapping]]] = ..., positions: _Optional[_Iterable[_Union[PositionLiquidated, _Mapping]]] = ..., insurance_fund_change: _Optional[str] = ..., realized_pnl: _Optional[str] = ...) -> None: ...

class ListLiquidationsRequest(_message.Message):
    __slots__ = ("symbol", "page_size", "page_token")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    page_size: int
    page_token: str
    def __init__(self, symbol: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLiquidationsResponse(_message.Message):
    __slots__ = ("liquidations", "next_page_token")
    LIQUIDATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    liquidations: _containers.RepeatedCompositeFieldContainer[Liquidation]
    next_page_token: str
    def __init__(self, liquidations: _Optional[_Iterable[_Union[Liquidation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetAssetModeRequest(_message.Message):
    __slots__ = ("multi_assets_mode",)
    MULTI_ASSETS_MODE_FIELD_NUMBER: _ClassVar[int]
    multi_assets_mode: bool
    def __init__(self, multi_assets_mode: _Optional[bool] = ...) -> None: ...

class SetAssetModeResponse(_message.Message):
    __slots__ = ("multi_assets_mode",)
    MULTI_ASSETS_MODE_FIELD_NUMBER: _ClassVar[int]
    multi_assets_mode: bool
    def __init__(self, multi_assets_mode: _Optional[bool] = ...) -> None: ...

class GetAssetModeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetAssetModeResponse(_message.Message):
    __slots__ = ("multi_assets_mode",)
    MULTI_ASSETS_MODE_FIELD_NUMBER: _ClassVar[int]
    multi_assets_mode: bool
    def __init__(self, multi_assets_mode: _Optional[bool] = ...) -> None: ...
