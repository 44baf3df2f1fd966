"""The error model at the edge: reason codes to gRPC status codes, and rich ``google.rpc.Status`` replies.

Three kinds of failure, never mixed (``docs/architecture.md``): business refusals come back from the engine as
``OrderRejected`` events and are turned into a ``Refused`` here; malformed wire input raises
``WireError`` before anything is sequenced; anything else is a bug, answered INTERNAL with a request
id and logged with its traceback on the server only.
"""

from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from paperex.v1 import errors_pb2

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
        "MALFORMED_REQUEST",
    ),
    grpc.StatusCode.NOT_FOUND: (
        "UNKNOWN_SYMBOL",
        "UNKNOWN_ORDER",
        "UNKNOWN_ACCOUNT",
        "UNKNOWN_ALERT",
        "UNKNOWN_SCENARIO",
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
        "ACCOUNT_IN_LIQUIDATION",
        "CURSOR_EXPIRED",
        "CLOCK_NOT_SIMULATED",
    ),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (
        "RATE_LIMITED",
        "SERVER_BUSY",
        "TOO_MANY_STREAMS",
        "SLOW_CONSUMER",
        "TOO_MANY_OPEN_ORDERS",
        "TOO_MANY_ALERTS",
    ),
    grpc.StatusCode.UNAUTHENTICATED: ("UNAUTHENTICATED",),
    grpc.StatusCode.PERMISSION_DENIED: ("PERMISSION_DENIED",),
    grpc.StatusCode.UNAVAILABLE: ("SHUTTING_DOWN", "JOURNAL_FAILED"),
    grpc.StatusCode.INTERNAL: ("INTERNAL",),
}

REASON_TO_STATUS: dict[str, grpc.StatusCode] = {reason: code for code, reasons in _CODES.items() for reason in reasons}
"""Every proto ``RejectReason`` (unprefixed, as ErrorInfo carries it) to its one gRPC status code."""

_PREFIX = "REJECT_REASON_"
MAX_MESSAGE_BYTES = 1000
MAX_METADATA_BYTES = 200
"""Refusals echo parts of the request; clipped (in UTF-8 bytes, which grpc-message percent-encodes to up
to three characters each) so the status stays below the 8 KiB of trailers a client accepts by default."""


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, ending in "..." when cut, never inside a character.

    >>> _clip("abcdef", 5), _clip("€€€", 8), _clip("€€", 6)
    ('ab...', '€...', '€€')
    """
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "..."


def reason_value(reason: str) -> Any:
    """The proto enum number of an unprefixed reason name."""
    return errors_pb2.RejectReason.Value(_PREFIX + reason)


class Refused(Exception):
    """A request the exchange refused: a reason code, a human message and machine-readable details."""

    def __init__(
        self,
        reason: str,
        message: str,
        metadata: dict[str, str] | None = None,
        *,
        field: str = "",
        retry_after: float = 0.0,
    ) -> None:
        message = _clip(message, MAX_MESSAGE_BYTES)
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.metadata = {key: _clip(value, MAX_METADATA_BYTES) for key, value in (metadata or {}).items()}
        if field:
            self.metadata["field"] = field
        self.field = field
        self.retry_after = retry_after

    @property
    def code(self) -> grpc.StatusCode:
        return REASON_TO_STATUS[self.reason]

    def rejection(self) -> errors_pb2.Rejection:
        """The in-band form (OrderSession results, user events)."""
        return errors_pb2.Rejection(reason=reason_value(self.reason), message=self.message, metadata=self.metadata)

    def status(self) -> grpc.Status:
        """The out-of-band form: ``google.rpc.Status`` with ErrorInfo (+ BadRequest, RetryInfo)."""
        details = [error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=self.metadata)]
        if self.field:
            violation = error_details_pb2.BadRequest.FieldViolation(field=self.field, description=self.message)
            details.append(error_details_pb2.BadRequest(field_violations=[violation]))
        if self.retry_after:
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(max(1, round(self.retry_after * 1e9)))
            details.append(error_details_pb2.RetryInfo(retry_delay=delay))
        code: int = self.code.value[0]
        return _status(code, self.message, details)


class WireError(Refused):
    """Malformed input caught at the edge, before the sequencer: INVALID_ARGUMENT with the field named."""

    def __init__(self, reason: str, field: str, message: str, metadata: dict[str, str] | None = None) -> None:
        super().__init__(reason, message, metadata, field=field)


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
