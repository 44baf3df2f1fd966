"""What every servicer shares: the runtime it works on and the error boundary around each RPC.

Every stream holds a place among the open streams while it runs (``paperex.server.core.admission``);
under a venue limits profile every call weighs one on its caller's address.
A ``Refused`` becomes its status with rich details; a slow stream reader is told RESOURCE_EXHAUSTED
(SLOW_CONSUMER); anything unexpected becomes INTERNAL with a request id, its traceback only in the
server log.
"""

import functools
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf.message import DecodeError

from paperex.engine.instruments import Instrument
from paperex.server.core.admission import Admission, peer_address
from paperex.server.core.application import Application
from paperex.server.core.faults import stream_dropped
from paperex.server.core.queries import PUBLIC
from paperex.server.core.streams import SlowConsumer, StreamClosed
from paperex.server.grpc_api.auth import Authenticator, Context, presented_key
from paperex.server.grpc_api.decoding import Undecodable, malformed
from paperex.server.grpc_api.status import internal, status
from paperex.server.wire.errors import Refused

log = logging.getLogger("paperex.server.rpc")

CALL_WEIGHT = 1
"""What a gRPC call weighs under venue limits: the venue's lightest request."""

S = TypeVar("S", bound="Serving")
Req = TypeVar("Req")
Resp = TypeVar("Resp")


@dataclass(slots=True)
class Runtime:
    """What the servicers share: the application they call, and who may call it."""

    app: Application
    auth: Authenticator
    max_batch_commands: int = 500
    calls_started: int = 0
    """RPCs handed to a servicer so far: a graceful stop waits until gRPC hands over no more."""

    @property
    def admission(self) -> Admission:
        return self.app.admission

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self.app.instruments

    def reader(self, context: Context) -> int:
        """The calling account, charged one query; UNAUTHENTICATED or RATE_LIMITED."""
        account_id = self.auth.account(context)
        self.admission.query(account_id)
        return account_id

    def charge(self, context: Context) -> None:
        """Under venue limits, charge the call's weight to the caller's address (the operator's calls
        are free): RATE_LIMITED or BANNED."""
        if self.admission.venue is not None and not self.auth.is_admin(presented_key(context)):
            self.admission.request(peer_address(context.peer()), CALL_WEIGHT)

    def public(self, context: Context) -> None:
        """Charge a public call (market data): to the account's queries with a valid account key,
        to nobody with the admin token, else to the caller's address."""
        key = presented_key(context)
        account_id = self.auth.account_of(key)
        if account_id is not None:
            self.admission.query(account_id)
        elif not self.auth.is_admin(key):
            self.admission.anonymous(context.peer())


class Serving(Protocol):
    """A servicer: its methods reach the server through ``runtime``."""

    runtime: Runtime


def _check_request(request: Any) -> None:
    if type(request) is Undecodable:
        raise malformed(f"are not a valid {request.message_type}")


async def _abort(context: Context, error: BaseException) -> None:
    if isinstance(error, DecodeError):  # a streamed request, decoded as the servicer reads it
        error = malformed(f"do not decode ({error})")
    if isinstance(error, Refused):
        await context.abort_with_status(status(error))
    if isinstance(error, SlowConsumer):
        refused = Refused("SLOW_CONSUMER", f"stream cut: the reader fell {error.pending} messages behind")
        await context.abort_with_status(status(refused))
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
            self.runtime.charge(context)
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await _abort(context, error)
            raise  # unreachable: abort raises

    return guarded


def _stream_faults(runtime: Runtime, key: str) -> tuple[int, int | None]:
    """Messages the caller's stream may carry before an injected fault drops it (0: no limit), and the
    exchange time at which one drops it (None: none); the operator's streams are never dropped."""
    if runtime.auth.is_admin(key):
        return 0, None
    account_id = runtime.auth.account_of(key) or PUBLIC
    return runtime.app.faults.stream_budget(account_id), runtime.app.faults.stream_drop_at(account_id)


def streaming(
    method: Callable[[S, Req, Context], AsyncIterator[Resp]],
) -> Callable[[S, Req, Context], AsyncIterator[Resp]]:
    @functools.wraps(method)
    async def guarded(self: S, request: Req, context: Context) -> AsyncIterator[Resp]:
        self.runtime.calls_started += 1
        try:
            if not isinstance(request, AsyncIterator):
                _check_request(request)
            self.runtime.charge(context)
            budget, drop_at = _stream_faults(self.runtime, presented_key(context))
            with self.runtime.admission.stream(context.peer()):
                sent = 0
                items = method(self, request, context)
                if drop_at is not None:
                    items = self.runtime.app.faults.cut_at(items, drop_at)
                async for item in items:
                    yield item
                    sent += 1
                    if sent == budget:
                        raise stream_dropped(sent)
        except StreamClosed:
            return  # an exchange reset: the stream ends cleanly and the client resubscribes
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await _abort(context, error)

    return guarded
