"""Request bytes that do not decode are the caller's mistake: INVALID_ARGUMENT, never a traceback.

grpc.aio decodes a unary request before the servicer runs, and answers a decoding failure UNKNOWN with
a traceback in the log for every such call, before any credential is checked. So the services'
deserializers are wrapped: a request that does not decode reaches the servicer as an ``Undecodable``,
which the error boundary of every RPC (``paperex.server.grpc_api.services.base``) refuses as MALFORMED_REQUEST.
A streamed request is decoded while the servicer reads it, inside that boundary, which refuses the
``DecodeError`` itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError


@dataclass(frozen=True, slots=True)
class Undecodable:
    """What a request that does not decode as ``message_type`` is replaced with."""

    message_type: str


def _tolerant(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    message_type = deserializer.__self__.DESCRIPTOR.full_name  # type: ignore[attr-defined]  # Message.FromString
    undecodable = Undecodable(message_type)

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError:
            return undecodable

    return deserialize


def tolerant(handler: "grpc.RpcMethodHandler[Any, Any]") -> "grpc.RpcMethodHandler[Any, Any]":
    """``handler`` with a request deserializer that returns an ``Undecodable`` instead of raising
    (unary requests only: a stream's messages are decoded inside the servicer)."""
    if handler.request_streaming or handler.request_deserializer is None:
        return handler
    deserializer, serializer = _tolerant(handler.request_deserializer), handler.response_serializer
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(handler.unary_stream, deserializer, serializer)
    assert handler.unary_unary is not None
    return grpc.unary_unary_rpc_method_handler(handler.unary_unary, deserializer, serializer)
