from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RejectReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REJECT_REASON_UNSPECIFIED: _ClassVar[RejectReason]
    REJECT_REASON_UNKNOWN_SYMBOL: _ClassVar[RejectReason]
    REJECT_REASON_UNKNOWN_ORDER: _ClassVar[RejectReason]
    REJECT_REASON_UNKNOWN_ACCOUNT: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_PRICE: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_QUANTITY: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_TICK: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_LOT: _ClassVar[RejectReason]
    REJECT_REASON_PRICE_OUT_OF_BOUNDS: _ClassVar[RejectReason]
    REJECT_REASON_QUANTITY_OUT_OF_BOUNDS: _ClassVar[RejectReason]
    REJECT_REASON_MIN_NOTIONAL: _ClassVar[RejectReason]
    REJECT_REASON_PRICE_OUT_OF_BAND: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_ORDER_PARAMETERS: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_TIME_IN_FORCE: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_EXPIRE_TIME: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_CALLBACK_RATE: _ClassVar[RejectReason]
    REJECT_REASON_WOULD_IMMEDIATELY_TRIGGER: _ClassVar[RejectReason]
    REJECT_REASON_POST_ONLY_WOULD_TAKE: _ClassVar[RejectReason]
    REJECT_REASON_FOK_NOT_FILLABLE: _ClassVar[RejectReason]
    REJECT_REASON_REDUCE_ONLY_WOULD_INCREASE: _ClassVar[RejectReason]
    REJECT_REASON_DUPLICATE_CLIENT_ORDER_ID: _ClassVar[RejectReason]
    REJECT_REASON_ORDER_NOT_AMENDABLE: _ClassVar[RejectReason]
    REJECT_REASON_NOTHING_TO_AMEND: _ClassVar[RejectReason]
    REJECT_REASON_TOO_MANY_OPEN_ORDERS: _ClassVar[RejectReason]
    REJECT_REASON_INSUFFICIENT_MARGIN: _ClassVar[RejectReason]
    REJECT_REASON_INSUFFICIENT_BALANCE: _ClassVar[RejectReason]
    REJECT_REASON_LEVERAGE_TOO_HIGH: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_LEVERAGE: _ClassVar[RejectReason]
    REJECT_REASON_MODE_CHANGE_WITH_OPEN_POSITION: _ClassVar[RejectReason]
    REJECT_REASON_MODE_CHANGE_WITH_OPEN_ORDERS: _ClassVar[RejectReason]
    REJECT_REASON_NO_ISOLATED_POSITION: _ClassVar[RejectReason]
    REJECT_REASON_MARGIN_REMOVAL_TOO_LARGE: _ClassVar[RejectReason]
    REJECT_REASON_ACCOUNT_IN_LIQUIDATION: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_AMOUNT: _ClassVar[RejectReason]
    REJECT_REASON_UNAUTHENTICATED: _ClassVar[RejectReason]
    REJECT_REASON_PERMISSION_DENIED: _ClassVar[RejectReason]
    REJECT_REASON_RATE_LIMITED: _ClassVar[RejectReason]
    REJECT_REASON_MISSING_FIELD: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_ENUM_VALUE: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_ARGUMENT: _ClassVar[RejectReason]
    REJECT_REASON_BATCH_TOO_LARGE: _ClassVar[RejectReason]
    REJECT_REASON_CURSOR_EXPIRED: _ClassVar[RejectReason]
    REJECT_REASON_SLOW_CONSUMER: _ClassVar[RejectReason]
    REJECT_REASON_ACCOUNT_ALREADY_EXISTS: _ClassVar[RejectReason]
    REJECT_REASON_SHUTTING_DOWN: _ClassVar[RejectReason]
    REJECT_REASON_INTERNAL: _ClassVar[RejectReason]
    REJECT_REASON_POSITION_LIMIT_EXCEEDED: _ClassVar[RejectReason]
    REJECT_REASON_UNKNOWN_ALERT: _ClassVar[RejectReason]
    REJECT_REASON_TOO_MANY_ALERTS: _ClassVar[RejectReason]
    REJECT_REASON_CLOCK_NOT_SIMULATED: _ClassVar[RejectReason]
    REJECT_REASON_UNKNOWN_SCENARIO: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_SCENARIO: _ClassVar[RejectReason]
    REJECT_REASON_SERVER_BUSY: _ClassVar[RejectReason]
    REJECT_REASON_TOO_MANY_STREAMS: _ClassVar[RejectReason]
    REJECT_REASON_MALFORMED_REQUEST: _ClassVar[RejectReason]
    REJECT_REASON_JOURNAL_FAILED: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_FAULTS: _ClassVar[RejectReason]
    REJECT_REASON_INJECTED_FAULT: _ClassVar[RejectReason]
    REJECT_REASON_ANSWER_LOST: _ClassVar[RejectReason]
    REJECT_REASON_MAINTENANCE: _ClassVar[RejectReason]
    REJECT_REASON_STREAM_DROPPED: _ClassVar[RejectReason]
    REJECT_REASON_BANNED: _ClassVar[RejectReason]

class EndReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    END_REASON_UNSPECIFIED: _ClassVar[EndReason]
    END_REASON_CANCELED_BY_USER: _ClassVar[EndReason]
    END_REASON_IOC_REMAINDER: _ClassVar[EndReason]
    END_REASON_FOK_NOT_FILLABLE: _ClassVar[EndReason]
    END_REASON_POST_ONLY_WOULD_TAKE: _ClassVar[EndReason]
    END_REASON_MARKET_PRICE_BAND: _ClassVar[EndReason]
    END_REASON_NO_LIQUIDITY: _ClassVar[EndReason]
    END_REASON_SELF_TRADE_PREVENTION: _ClassVar[EndReason]
    END_REASON_REDUCE_ONLY: _ClassVar[EndReason]
    END_REASON_GTD_EXPIRED: _ClassVar[EndReason]
    END_REASON_AMENDED_TO_FILLED: _ClassVar[EndReason]
    END_REASON_LIQUIDATION: _ClassVar[EndReason]
    END_REASON_INSUFFICIENT_MARGIN: _ClassVar[EndReason]
    END_REASON_RESET: _ClassVar[EndReason]
REJECT_REASON_UNSPECIFIED: RejectReason
REJECT_REASON_UNKNOWN_SYMBOL: RejectReason
REJECT_REASON_UNKNOWN_ORDER: RejectReason
REJECT_REASON_UNKNOWN_ACCOUNT: RejectReason
REJECT_REASON_INVALID_PRICE: RejectReason
REJECT_REASON_INVALID_QUANTITY: RejectReason
REJECT_REASON_INVALID_TICK: RejectReason
REJECT_REASON_INVALID_LOT: RejectReason
REJECT_REASON_PRICE_OUT_OF_BOUNDS: RejectReason
REJECT_REASON_QUANTITY_OUT_OF_BOUNDS: RejectReason
REJECT_REASON_MIN_NOTIONAL: RejectReason
REJECT_REASON_PRICE_OUT_OF_BAND: RejectReason
REJECT_REASON_INVALID_ORDER_PARAMETERS: RejectReason
REJECT_REASON_INVALID_TIME_IN_FORCE: RejectReason
REJECT_REASON_INVALID_EXPIRE_TIME: RejectReason
REJECT_REASON_INVALID_CALLBACK_RATE: RejectReason
REJECT_REASON_WOULD_IMMEDIATELY_TRIGGER: RejectReason
REJECT_REASON_POST_ONLY_WOULD_TAKE: RejectReason
REJECT_REASON_FOK_NOT_FILLABLE: RejectReason
REJECT_REASON_REDUCE_ONLY_WOULD_INCREASE: RejectReason
REJECT_REASON_DUPLICATE_CLIENT_ORDER_ID: RejectReason
REJECT_REASON_ORDER_NOT_AMENDABLE: RejectReason
REJECT_REASON_NOTHING_TO_AMEND: RejectReason
REJECT_REASON_TOO_MANY_OPEN_ORDERS: RejectReason
REJECT_REASON_INSUFFICIENT_MARGIN: RejectReason
REJECT_REASON_INSUFFICIENT_BALANCE: RejectReason
REJECT_REASON_LEVERAGE_TOO_HIGH: RejectReason
REJECT_REASON_INVALID_LEVERAGE: RejectReason
REJECT_REASON_MODE_CHANGE_WITH_OPEN_POSITION: RejectReason
REJECT_REASON_MODE_CHANGE_WITH_OPEN_ORDERS: RejectReason
REJECT_REASON_NO_ISOLATED_POSITION: RejectReason
REJECT_REASON_MARGIN_REMOVAL_TOO_LARGE: RejectReason
REJECT_REASON_ACCOUNT_IN_LIQUIDATION: RejectReason
REJECT_REASON_INVALID_AMOUNT: RejectReason
REJECT_REASON_UNAUTHENTICATED: RejectReason
REJECT_REASON_PERMISSION_DENIED: RejectReason
REJECT_REASON_RATE_LIMITED: RejectReason
REJECT_REASON_MISSING_FIELD: RejectReason
REJECT_REASON_INVALID_ENUM_VALUE: RejectReason
REJECT_REASON_INVALID_ARGUMENT: RejectReason
REJECT_REASON_BATCH_TOO_LARGE: RejectReason
REJECT_REASON_CURSOR_EXPIRED: RejectReason
REJECT_REASON_SLOW_CONSUMER: RejectReason
REJECT_REASON_ACCOUNT_ALREADY_EXISTS: RejectReason
REJECT_REASON_SHUTTING_DOWN: RejectReason
REJECT_REASON_INTERNAL: RejectReason
REJECT_REASON_POSITION_LIMIT_EXCEEDED: RejectReason
REJECT_REASON_UNKNOWN_ALERT: RejectReason
REJECT_REASON_TOO_MANY_ALERTS: RejectReason
REJECT_REASON_CLOCK_NOT_SIMULATED: RejectReason
REJECT_REASON_UNKNOWN_SCENARIO: RejectReason
REJECT_REASON_INVALID_SCENARIO: RejectReason
REJECT_REASON_SERVER_BUSY: RejectReason
REJECT_REASON_TOO_MANY_STREAMS: RejectReason
REJECT_REASON_MALFORMED_REQUEST: RejectReason
REJECT_REASON_JOURNAL_FAILED: RejectReason
REJECT_REASON_INVALID_FAULTS: RejectReason
REJECT_REASON_INJECTED_FAULT: RejectReason
REJECT_REASON_ANSWER_LOST: RejectReason
REJECT_REASON_MAINTENANCE: RejectReason
REJECT_REASON_STREAM_DROPPED: RejectReason
REJECT_REASON_BANNED: RejectReason
END_REASON_UNSPECIFIED: EndReason
END_REASON_CANCELED_BY_USER: EndReason
END_REASON_IOC_REMAINDER: EndReason
END_REASON_FOK_NOT_FILLABLE: EndReason
END_REASON_POST_ONLY_WOULD_TAKE: EndReason
END_REASON_MARKET_PRICE_BAND: EndReason
END_REASON_NO_LIQUIDITY: EndReason
END_REASON_SELF_TRADE_PREVENTION: EndReason
END_REASON_REDUCE_ONLY: EndReason
END_REASON_GTD_EXPIRED: EndReason
END_REASON_AMENDED_TO_FILLED: EndReason
END_REASON_LIQUIDATION: EndReason
END_REASON_INSUFFICIENT_MARGIN: EndReason
END_REASON_RESET: EndReason

class Rejection(_message.Message):
    __slots__ = ("reason", "message", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    reason: RejectReason
    message: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, reason: _Optional[_Union[RejectReason, str]] = ..., message: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...
