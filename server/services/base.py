"""What every servicer shares: the runtime it works on and the error boundary around each RPC.

A ``Refused`` becomes its status with rich details; a slow stream reader is told RESOURCE_EXHAUSTED
(SLOW_CONSUMER); anything unexpected becomes INTERNAL with a request id, its traceback only in the
server log.
"""

import functools
import logging
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf.message import DecodeError

from paperex.engine.events import OrderRejected
from paperex.engine.instruments import Instrument
from paperex.server.adl import AdlBoard
from paperex.server.auth import Authenticator, Context
from paperex.server.errors import Refused, WireError, internal
from paperex.server.exchange import Applied, Exchange
from paperex.server.ratelimit import RateLimiter
from paperex.server.rejections import refusal
from paperex.server.sequencer import Sequencer
from paperex.server.services.decoding import Undecodable
from paperex.server.streams import Hub, SlowConsumer, StreamClosed

log = logging.getLogger("paperex.server.rpc")

MAX_REQUEST_BYTES = 1 << 20
"""Larger requests are refused as INVALID_ARGUMENT (the transport limit is set above this)."""

Req = TypeVar("Req")
Resp = TypeVar("Resp")


@dataclass(slots=True)
class Runtime:
    """The live server's parts, shared by the servicers."""

    sequencer: Sequencer
    hub: Hub[Any]
    auth: Authenticator
    limiter: RateLimiter
    clock_seconds: Callable[[], float]
    fresh_exchange: Callable[[], Exchange]
    """An empty exchange as this server makes them (Admin.Reset)."""
    simulated: bool = False
    stream_capacity: int = 65_536
    max_batch_commands: int = 500
    calls_started: int = 0
    """RPCs handed to a servicer so far: a graceful stop waits until gRPC hands over no more."""
    adl: AdlBoard = field(default_factory=AdlBoard)
    """ADL quantiles for position queries: current for a small symbol, at most a second old for a big one."""

    @property
    def exchange(self) -> Exchange:
        """The current state (replaced by Admin.Reset, so never cache it across awaits)."""
        return self.sequencer.exchange

    @property
    def now(self) -> int:
        """Engine time the next command would be stamped with (a fresh simulated clock: its start)."""
        return max(self.sequencer.exchange.now, self.sequencer.clock.now())

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self.sequencer.exchange.instruments

    def check_rate(self, account_id: int, orders: int) -> None:
        """Per-account order rate, like a venue's: RESOURCE_EXHAUSTED with a retry hint when exceeded."""
        wait = self.limiter.acquire(account_id, orders, self.clock_seconds())
        if wait == math.inf:
            raise Refused("RATE_LIMITED", f"{orders} orders at once exceed the rate limit's burst", {})
        if wait:
            message = f"order rate limit reached; retry in {wait:.3f} s"
            raise Refused("RATE_LIMITED", message, {"retry_after": f"{wait:.3f}"}, retry_after=wait)


class Servicer(Protocol):
    runtime: Runtime


S = TypeVar("S", bound=Servicer)


def refuse_if_rejected(applied: Applied) -> None:
    """Raise the refusal when the engine rejected the command (its one event is OrderRejected)."""
    first = applied.events[0] if applied.events else None
    if isinstance(first, OrderRejected):
        raise refusal(first)


def _check_request(request: Any) -> None:
    if type(request) is Undecodable:
        raise _malformed(f"are not a valid {request.message_type}")
    if request.ByteSize() > MAX_REQUEST_BYTES:
        raise WireError("INVALID_ARGUMENT", "request", f"request larger than {MAX_REQUEST_BYTES} bytes")


def _malformed(problem: str) -> WireError:
    return WireError("MALFORMED_REQUEST", "request", f"the request bytes {problem}")


async def _abort(context: Context, error: BaseException) -> None:
    if isinstance(error, DecodeError):  # a streamed request, decoded as the servicer reads it
        error = _malformed(f"do not decode ({error})")
    if isinstance(error, Refused):
        await context.abort_with_status(error.status())
    if isinstance(error, SlowConsumer):
        refused = Refused("SLOW_CONSUMER", f"stream cut: the reader fell {error.pending} messages behind")
        await context.abort_with_status(refused.status())
    request_id = uuid.uuid4().hex[:16]
    log.error("request %s failed", request_id, exc_info=error)
    await context.abort_with_status(internal(request_id))


def unary(
    method: Callable[[S, Req, Context], Awaitable[Resp]],
) -> Callable[[S, Req, Context], Awaitable[Resp]]:
    @functools.wraps(method)
    async def guarded(self: S, request: Req, context: Context) -> Resp:
        self.runtime.calls_started += 1
        try:
            _check_request(request)
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await _abort(context, error)
            raise  # unreachable: abort raises

    return guarded


def streaming(
    method: Callable[[S, Req, Context], AsyncIterator[Resp]],
) -> Callable[[S, Req, Context], AsyncIterator[Resp]]:
    @functools.wraps(method)
    async def guarded(self: S, request: Req, context: Context) -> AsyncIterator[Resp]:
        self.runtime.calls_started += 1
        try:
            if not isinstance(request, AsyncIterator):
                _check_request(request)
            async for item in method(self, request, context):
                yield item
        except StreamClosed:
            return  # an exchange reset: the stream ends cleanly and the client resubscribes
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await _abort(context, error)

    return guarded
