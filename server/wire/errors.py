"""Refusals as values: a reason code, a human message and the figures a caller needs.

Three kinds of failure, never mixed (``docs/architecture.md``): business refusals come back from the engine as
``OrderRejected`` events and are turned into a ``Refused`` here; malformed wire input raises
``WireError`` before anything is sequenced; anything else is a bug. How an adapter answers a refusal is
its own business: the gRPC adapter maps the reason to a status code (``paperex.server.grpc_api.status``).
"""

from typing import Any

from paperex.v1 import errors_pb2

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

    def rejection(self) -> errors_pb2.Rejection:
        """The in-band form (OrderSession results, user events)."""
        return errors_pb2.Rejection(reason=reason_value(self.reason), message=self.message, metadata=self.metadata)


class WireError(Refused):
    """Malformed input caught at the edge, before the sequencer: INVALID_ARGUMENT with the field named."""

    def __init__(self, reason: str, field: str, message: str, metadata: dict[str, str] | None = None) -> None:
        super().__init__(reason, message, metadata, field=field)
