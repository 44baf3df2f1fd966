"""Typed exceptions: one class per reason code, grouped under the gRPC status family it travels with.

A failed call's ``google.rpc.Status`` (trailer ``grpc-status-details-bin``) carries an ``ErrorInfo``
whose ``reason`` picks the class; ``RetryInfo`` becomes ``RateLimited.retry_after`` and
``BadRequest`` the ``field``. Catch a family (``Refused``, ``InvalidRequest``) or one reason
(``InsufficientMargin``); an unknown reason from a newer server still raises the family's class.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import grpc
from google.rpc import error_details_pb2, status_pb2

from paperex.client.models import Rejection

DETAILS_KEY = "grpc-status-details-bin"  # grpc_status.rpc_status's key, which its type stubs do not declare
_BY_REASON: dict[str, type["PaperexError"]] = {}
_BY_CODE: dict[grpc.StatusCode, type["PaperexError"]] = {}


class PaperexError(Exception):
    """A call the exchange refused or could not answer."""

    reason: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        reason: str = "",
        code: grpc.StatusCode | None = None,
        metadata: dict[str, str] | None = None,
        field: str = "",
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(f"{reason or self.reason or code}: {message}" if (reason or self.reason or code) else message)
        self.message = message
        self.code = code
        self.metadata = metadata or {}
        self.field = field or self.metadata.get("field", "")
        self.retry_after = retry_after
        if reason:
            self.reason = reason  # type: ignore[misc]  # the wire's reason beats the class default

    def __init_subclass__(cls, reason: str = "", code: grpc.StatusCode | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if reason:
            cls.reason = reason
            _BY_REASON[reason] = cls
        if code is not None:
            _BY_CODE[code] = cls

    @property
    def symbol(self) -> str:
        return self.metadata.get("symbol", "")

    @property
    def order_id(self) -> int | None:
        text = self.metadata.get("order_id")
        return int(text) if text else None

    @property
    def required(self) -> Decimal | None:
        """For margin and balance refusals: what the command needed."""
        return _decimal(self.metadata.get("required"))

    @property
    def available(self) -> Decimal | None:
        """For margin and balance refusals: what the account had."""
        return _decimal(self.metadata.get("available"))


class InvalidRequest(PaperexError, code=grpc.StatusCode.INVALID_ARGUMENT):
    """The request itself is wrong: a filter, a parameter or a malformed field."""


class NotFound(PaperexError, code=grpc.StatusCode.NOT_FOUND):
    """The symbol, order, account, alert or scenario does not exist."""


class AlreadyExists(PaperexError, code=grpc.StatusCode.ALREADY_EXISTS):
    """A unique name or client order id is taken."""


class Refused(PaperexError, code=grpc.StatusCode.FAILED_PRECONDITION):
    """Well-formed, but the state of the account, order or market does not allow it now."""


class LimitExceeded(PaperexError, code=grpc.StatusCode.RESOURCE_EXHAUSTED):
    """A rate, count or buffer limit."""


class Unauthenticated(PaperexError, code=grpc.StatusCode.UNAUTHENTICATED, reason="UNAUTHENTICATED"):
    """No key, or a key the exchange does not know."""


class PermissionDenied(PaperexError, code=grpc.StatusCode.PERMISSION_DENIED, reason="PERMISSION_DENIED"):
    """An account key on an admin call."""


class Unavailable(PaperexError, code=grpc.StatusCode.UNAVAILABLE):
    """The server cannot be reached or is stopping; safe to retry idempotent calls."""


class DeadlineExceeded(PaperexError, code=grpc.StatusCode.DEADLINE_EXCEEDED):
    """No answer in time: a command may or may not have been applied (retry with its client_order_id)."""


class Cancelled(PaperexError, code=grpc.StatusCode.CANCELLED):
    """The call was cancelled (by the caller, or by the server under overload)."""


class InternalError(PaperexError, code=grpc.StatusCode.INTERNAL, reason="INTERNAL"):
    """A server fault; ``metadata['request_id']`` finds it in the server's log."""


# INVALID_ARGUMENT
class InvalidPrice(InvalidRequest, reason="INVALID_PRICE"): ...


class InvalidQuantity(InvalidRequest, reason="INVALID_QUANTITY"): ...


class InvalidTick(InvalidRequest, reason="INVALID_TICK"): ...


class InvalidLot(InvalidRequest, reason="INVALID_LOT"): ...


class PriceOutOfBounds(InvalidRequest, reason="PRICE_OUT_OF_BOUNDS"): ...


class QuantityOutOfBounds(InvalidRequest, reason="QUANTITY_OUT_OF_BOUNDS"): ...


class MinNotional(InvalidRequest, reason="MIN_NOTIONAL"): ...


class InvalidOrderParameters(InvalidRequest, reason="INVALID_ORDER_PARAMETERS"): ...


class InvalidTimeInForce(InvalidRequest, reason="INVALID_TIME_IN_FORCE"): ...


class InvalidExpireTime(InvalidRequest, reason="INVALID_EXPIRE_TIME"): ...


class InvalidCallbackRate(InvalidRequest, reason="INVALID_CALLBACK_RATE"): ...


class InvalidLeverage(InvalidRequest, reason="INVALID_LEVERAGE"): ...


class InvalidAmount(InvalidRequest, reason="INVALID_AMOUNT"): ...


class MissingField(InvalidRequest, reason="MISSING_FIELD"): ...


class InvalidEnumValue(InvalidRequest, reason="INVALID_ENUM_VALUE"): ...


class InvalidArgument(InvalidRequest, reason="INVALID_ARGUMENT"): ...


class BatchTooLarge(InvalidRequest, reason="BATCH_TOO_LARGE"): ...


class InvalidScenario(InvalidRequest, reason="INVALID_SCENARIO"): ...


class InvalidFaults(InvalidRequest, reason="INVALID_FAULTS"): ...


class MalformedRequest(InvalidRequest, reason="MALFORMED_REQUEST"): ...


# NOT_FOUND
class UnknownSymbol(NotFound, reason="UNKNOWN_SYMBOL"): ...


class UnknownOrder(NotFound, reason="UNKNOWN_ORDER"): ...


class UnknownAccount(NotFound, reason="UNKNOWN_ACCOUNT"): ...


class UnknownAlert(NotFound, reason="UNKNOWN_ALERT"): ...


class UnknownScenario(NotFound, reason="UNKNOWN_SCENARIO"): ...


# ALREADY_EXISTS
class DuplicateClientOrderId(AlreadyExists, reason="DUPLICATE_CLIENT_ORDER_ID"): ...


class AccountAlreadyExists(AlreadyExists, reason="ACCOUNT_ALREADY_EXISTS"): ...


# FAILED_PRECONDITION
class PriceOutOfBand(Refused, reason="PRICE_OUT_OF_BAND"): ...


class WouldImmediatelyTrigger(Refused, reason="WOULD_IMMEDIATELY_TRIGGER"): ...


class PostOnlyWouldTake(Refused, reason="POST_ONLY_WOULD_TAKE"): ...


class FokNotFillable(Refused, reason="FOK_NOT_FILLABLE"): ...


class ReduceOnlyWouldIncrease(Refused, reason="REDUCE_ONLY_WOULD_INCREASE"): ...


class OrderNotAmendable(Refused, reason="ORDER_NOT_AMENDABLE"): ...


class NothingToAmend(Refused, reason="NOTHING_TO_AMEND"): ...


class InsufficientMargin(Refused, reason="INSUFFICIENT_MARGIN"): ...


class InsufficientBalance(Refused, reason="INSUFFICIENT_BALANCE"): ...


class LeverageTooHigh(Refused, reason="LEVERAGE_TOO_HIGH"): ...


class PositionLimitExceeded(Refused, reason="POSITION_LIMIT_EXCEEDED"): ...


class ModeChangeWithOpenPosition(Refused, reason="MODE_CHANGE_WITH_OPEN_POSITION"): ...


class ModeChangeWithOpenOrders(Refused, reason="MODE_CHANGE_WITH_OPEN_ORDERS"): ...


class NoIsolatedPosition(Refused, reason="NO_ISOLATED_POSITION"): ...


class MarginRemovalTooLarge(Refused, reason="MARGIN_REMOVAL_TOO_LARGE"): ...


class UnknownAsset(NotFound, reason="UNKNOWN_ASSET"): ...


class IsolatedInMultiAssetsMode(Refused, reason="ISOLATED_IN_MULTI_ASSETS_MODE"): ...


class AccountInLiquidation(Refused, reason="ACCOUNT_IN_LIQUIDATION"): ...


class PositionSideMismatch(Refused, reason="POSITION_SIDE_MISMATCH"): ...


class ReduceOnlyInHedgeMode(Refused, reason="REDUCE_ONLY_IN_HEDGE_MODE"): ...


class CloseExceedsPosition(Refused, reason="CLOSE_EXCEEDS_POSITION"): ...


class PositionModeUnchanged(Refused, reason="POSITION_MODE_UNCHANGED"): ...


class PositionModeChangeWithOpenPosition(Refused, reason="POSITION_MODE_CHANGE_WITH_OPEN_POSITION"): ...


class PositionModeChangeWithOpenOrders(Refused, reason="POSITION_MODE_CHANGE_WITH_OPEN_ORDERS"): ...


class CursorExpired(Refused, reason="CURSOR_EXPIRED"): ...


class ClockNotSimulated(Refused, reason="CLOCK_NOT_SIMULATED"): ...


# RESOURCE_EXHAUSTED
class RateLimited(LimitExceeded, reason="RATE_LIMITED"): ...


class ServerBusy(RateLimited, reason="SERVER_BUSY"):
    """The server's command budget for all accounts is spent: a rate limit like the account's own,
    retried the same way (after the server's RetryInfo delay)."""


class Banned(LimitExceeded, reason="BANNED"):
    """The caller's address kept sending after its request weight was used up (a venue limits
    profile) and is banned: nothing is admitted until ``retry_after`` has passed (``metadata``:
    address, until_ms, bans). Not a ``RateLimited``: retry policies give up at once."""


class TooManyStreams(LimitExceeded, reason="TOO_MANY_STREAMS"):
    """The connection or the server has as many streams open as it allows (``metadata``: scope,
    limit, open); close one before opening another."""


class SlowConsumer(LimitExceeded, reason="SLOW_CONSUMER"): ...


class TooManyOpenOrders(LimitExceeded, reason="TOO_MANY_OPEN_ORDERS"): ...


class TooManyAlerts(LimitExceeded, reason="TOO_MANY_ALERTS"): ...


# UNAVAILABLE
class ShuttingDown(Unavailable, reason="SHUTTING_DOWN"): ...


class JournalFailed(Unavailable, reason="JOURNAL_FAILED"):
    """The server could not journal the command and stops: after its restart, look the order up by
    its client_order_id before sending it again."""


class InjectedFault(Unavailable, reason="INJECTED_FAULT"):
    """An injected fault (``Admin.SetFaults``): nothing was done; safe to repeat."""


class AnswerLost(Unavailable, reason="ANSWER_LOST"):
    """An injected fault: the command was carried out but its answer lost. A place repeated with the
    same client_order_id returns the original order (``duplicate``)."""


class Maintenance(Unavailable, reason="MAINTENANCE"):
    """An injected maintenance window: no new orders or amends until ``retry_after`` has passed."""


class StreamDropped(Unavailable, reason="STREAM_DROPPED"):
    """An injected fault ended the stream; the SDK's streams resubscribe by themselves."""


def error_class(reason: str, code: grpc.StatusCode | None = None) -> type[PaperexError]:
    """The class for a reason code; the status family's class for a reason this SDK does not know."""
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    return _BY_CODE.get(code, PaperexError) if code is not None else PaperexError


def from_rpc_error(error: grpc.aio.AioRpcError) -> PaperexError:
    """The typed exception for a failed call, decoded from its rich status when it carries one."""
    code = error.code()
    message = error.details() or ""
    status = _rich_status(error.trailing_metadata() or ())
    reason, metadata, field, retry_after = "", {}, "", None
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            retry_after = retry.retry_delay.ToTimedelta()
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            field = bad.field_violations[0].field if bad.field_violations else ""
    cls = error_class(reason, code)
    return cls(message, reason=reason, code=code, metadata=metadata, field=field, retry_after=retry_after)


def from_rejection(rejection: Rejection) -> PaperexError:
    """The typed exception for an in-band refusal (an OrderSession result); a rate limit's delay comes
    in its metadata, where a status would carry RetryInfo."""
    cls = error_class(rejection.reason)
    delay = rejection.metadata.get("retry_after")
    retry_after = timedelta(seconds=float(delay)) if delay else None
    return cls(rejection.message, reason=rejection.reason, metadata=rejection.metadata, retry_after=retry_after)


def _rich_status(trailers: Any) -> status_pb2.Status | None:
    for key, value in trailers:
        if key == DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text else None
