"""Server streams that survive disconnects: resubscribe after a transient failure, with backoff.

What "resume" means differs per stream, so each subscribe() call decides where to start again: the
order book starts from a fresh snapshot, user events from the last cursor seen.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import grpc

from paperex.client.errors import PaperexError, SlowConsumer, Unavailable, from_rpc_error
from paperex.client.retry import TRANSIENT, RetryPolicy

T = TypeVar("T")


class StreamEnded(Unavailable):
    """The server closed a stream that has no end of its own (it is stopping): subscribe again."""


class SequenceGap(Unavailable):
    """An order-book update did not follow the previous one: the mirror must start from a new snapshot."""


RESUBSCRIBE = (*TRANSIENT, SlowConsumer)


async def resubscribing(subscribe: Callable[[], AsyncIterator[T]], policy: RetryPolicy) -> AsyncIterator[T]:
    """Items of ``subscribe()``, subscribing again after a transient failure; ``policy.attempts``
    consecutive failures without an item in between give up with the last error."""
    failures = 0
    while True:
        try:
            async for item in subscribe():
                failures = 0
                yield item
            raise StreamEnded("the server ended the stream")
        except grpc.aio.AioRpcError as rpc_error:
            error: PaperexError = from_rpc_error(rpc_error)
        except RESUBSCRIBE as transient:
            error = transient
        if not isinstance(error, RESUBSCRIBE):
            raise error
        failures += 1
        if failures >= policy.attempts:
            raise error
        await asyncio.sleep(policy.backoff(failures))
