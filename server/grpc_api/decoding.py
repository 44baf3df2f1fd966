"""Request bytes that do not decode are the caller's mistake: INVALID_ARGUMENT, never a traceback.

grpc.aio decodes a unary request before the servicer runs, and answers a decoding failure UNKNOWN with
a traceback in the log for every such call, before any credential is checked. So the services'
deserializers are wrapped: a request that does not decode reaches the servicer as an ``Undecodable``,
which the error boundary of every RPC (``paperex.server.grpc_api.services.base``) refuses as MALFORMED_REQUEST.
A streamed request is decoded while the servicer reads it, inside that boundary, which refuses the
``DecodeError`` itself. The services whose servicers are grpc's (health, reflection) get the same
refusal from ``guarded``, in front of their servicer.
"""

import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from paperex.server.grpc_api.status import status
from paperex.server.wire.errors import WireError


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


def malformed(problem: str) -> WireError:
    """The refusal of request bytes that ``problem`` describes (BadRequest names ``request``)."""
    return WireError("MALFORMED_REQUEST", "request", f"the request bytes {problem}")


def guarded(handler: "grpc.RpcMethodHandler[Any, Any]") -> "grpc.RpcMethodHandler[Any, Any]":
    """A handler of a servicer that is not ours (health, reflection), whose undecodable requests are
    refused MALFORMED_REQUEST before that servicer sees them, with nothing logged."""
    serializer = handler.response_serializer
    if handler.stream_stream is not None:
        streaming: Any = handler.stream_stream  # grpc's stubs type it for sync iterators

        async def stream_stream(requests: AsyncIterator[Any], context: Any) -> Any:
            return await _run(streaming(_decoded(requests, context), context), context)

        return grpc.stream_stream_rpc_method_handler(stream_stream, handler.request_deserializer, serializer)
    if handler.request_streaming or handler.request_deserializer is None:
        return handler
    deserializer = _tolerant(handler.request_deserializer)
    behavior = handler.unary_stream or handler.unary_unary
    assert behavior is not None

    async def unary_request(request: Any, context: Any) -> Any:
        if type(request) is Undecodable:
            await context.abort_with_status(status(malformed(f"are not a valid {request.message_type}")))
        return await _run(behavior(request, context), context)

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(unary_request, deserializer, serializer)
    return grpc.unary_unary_rpc_method_handler(unary_request, deserializer, serializer)


async def _run(outcome: Any, context: Any) -> Any:
    """A behavior's outcome: an async generator's items are written to the call, a coroutine awaited."""
    if inspect.isasyncgen(outcome):
        async for item in outcome:
            await context.write(item)
        return None
    return await outcome


async def _decoded(requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
    try:
        async for request in requests:
            yield request
    except DecodeError as error:
        await context.abort_with_status(status(malformed(f"do not decode ({error})")))
