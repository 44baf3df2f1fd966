"""Refusals answered over gRPC: each reason code's one status code, and the rich ``google.rpc.Status``
(ErrorInfo, plus BadRequest for a field and RetryInfo for a delay) that carries it. Unexpected faults
are answered INTERNAL with a request id, never a traceback."""

from collections.abc import Iterable

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from paperex.server.wire.errors import Refused

DOMAIN = "paperex"

_CODES: dict[grpc.StatusCode, tuple[str, ...]] = {
    grpc.StatusCode.INVALID_ARGUMENT: (
        "INVALID_PRICE",
        "INVALID_QUANTITY",
        "INVALID_TICK",
        "INVALID_LOT",
        "PRICE_OUT_OF_BOUNDS",
        "QUANTITY_OUT_OF_BOUNDS",
        "MIN_NOTIONAL",
        "INVALID_ORDER_PARAMETERS",
        "INVALID_TIME_IN_FORCE",
        "INVALID_EXPIRE_TIME",
        "INVALID_CALLBACK_RATE",
        "INVALID_LEVERAGE",
        "INVALID_AMOUNT",
        "MISSING_FIELD",
        "INVALID_ENUM_VALUE",
        "INVALID_ARGUMENT",
        "BATCH_TOO_LARGE",
        "INVALID_SCENARIO",
        "INVALID_FAULTS",
        "MALFORMED_REQUEST",
    ),
    grpc.StatusCode.NOT_FOUND: (
        "UNKNOWN_SYMBOL",
        "UNKNOWN_ORDER",
        "UNKNOWN_ACCOUNT",
        "UNKNOWN_ALERT",
        "UNKNOWN_SCENARIO",
        "UNKNOWN_ASSET",
    ),
    grpc.StatusCode.ALREADY_EXISTS: ("DUPLICATE_CLIENT_ORDER_ID", "ACCOUNT_ALREADY_EXISTS"),
    grpc.StatusCode.FAILED_PRECONDITION: (
        "PRICE_OUT_OF_BAND",
        "WOULD_IMMEDIATELY_TRIGGER",
        "POST_ONLY_WOULD_TAKE",
        "FOK_NOT_FILLABLE",
        "REDUCE_ONLY_WOULD_INCREASE",
        "ORDER_NOT_AMENDABLE",
        "NOTHING_TO_AMEND",
        "INSUFFICIENT_MARGIN",
        "INSUFFICIENT_BALANCE",
        "LEVERAGE_TOO_HIGH",
        "POSITION_LIMIT_EXCEEDED",
        "MODE_CHANGE_WITH_OPEN_POSITION",
        "MODE_CHANGE_WITH_OPEN_ORDERS",
        "NO_ISOLATED_POSITION",
        "MARGIN_REMOVAL_TOO_LARGE",
        "ISOLATED_IN_MULTI_ASSETS_MODE",
        "ACCOUNT_IN_LIQUIDATION",
        "POSITION_SIDE_MISMATCH",
        "REDUCE_ONLY_IN_HEDGE_MODE",
        "CLOSE_EXCEEDS_POSITION",
        "POSITION_MODE_UNCHANGED",
        "POSITION_MODE_CHANGE_WITH_OPEN_POSITION",
        "POSITION_MODE_CHANGE_WITH_OPEN_ORDERS",
        "CURSOR_EXPIRED",
        "CLOCK_NOT_SIMULATED",
    ),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (
        "RATE_LIMITED",
        "BANNED",
        "SERVER_BUSY",
        "TOO_MANY_STREAMS",
        "SLOW_CONSUMER",
        "TOO_MANY_OPEN_ORDERS",
        "TOO_MANY_ALERTS",
    ),
    grpc.StatusCode.UNAUTHENTICATED: ("UNAUTHENTICATED",),
    grpc.StatusCode.PERMISSION_DENIED: ("PERMISSION_DENIED",),
    grpc.StatusCode.UNAVAILABLE: (
        "SHUTTING_DOWN",
        "JOURNAL_FAILED",
        "INJECTED_FAULT",
        "ANSWER_LOST",
        "MAINTENANCE",
        "STREAM_DROPPED",
    ),
    grpc.StatusCode.INTERNAL: ("INTERNAL",),
}

REASON_TO_STATUS: dict[str, grpc.StatusCode] = {reason: code for code, reasons in _CODES.items() for reason in reasons}
"""Every proto ``RejectReason`` (unprefixed, as ErrorInfo carries it) to its one gRPC status code."""


def status_code(refused: Refused) -> grpc.StatusCode:
    """The gRPC status code of a refusal's reason."""
    return REASON_TO_STATUS[refused.reason]


def status(refused: Refused) -> grpc.Status:
    """The out-of-band form of a refusal: ``google.rpc.Status`` with ErrorInfo (+ BadRequest, RetryInfo)."""
    details = [error_details_pb2.ErrorInfo(reason=refused.reason, domain=DOMAIN, metadata=refused.metadata)]
    if refused.field:
        violation = error_details_pb2.BadRequest.FieldViolation(field=refused.field, description=refused.message)
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    if refused.retry_after:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(max(1, round(refused.retry_after * 1e9)))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    code: int = status_code(refused).value[0]
    return _status(code, refused.message, details)


def internal(request_id: str) -> grpc.Status:
    """The reply to an unexpected fault: no traceback, only an id to find it in the server log."""
    info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=DOMAIN, metadata={"request_id": request_id})
    return _status(code_pb2.INTERNAL, f"internal error (request_id {request_id})", [info])


def _status(code: int, message: str, details: Iterable[Message]) -> grpc.Status:
    packed = []
    for detail in details:
        wrapped = any_pb2.Any()
        wrapped.Pack(detail)
        packed.append(wrapped)
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=packed))
