"""Which asyncio event loop the server runs on: uvloop where installed (every platform but Windows).

grpc.aio's per-call work is callbacks on the loop, so the loop's own cost shows: unary PlaceOrder at 64
in flight, four alternating rounds on this (noisy, 2-core) machine: 1,892-2,259/s (mean 2,124) on
asyncio's loop, 1,988-2,724/s (mean 2,403) on uvloop.
The load tool's echo baseline runs on the same loop, so the ratio it reports stays fair.
"""

import asyncio
from collections.abc import Callable


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None (asyncio's default loop) when uvloop is not installed."""
    try:
        import uvloop  # noqa: PLC0415 - optional at run time
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
