"""When and how long to wait before trying a call again.

Calls that are safe to repeat whatever happened (``repeatable``) are retried after transient failures:
queries, settings that set a value, and PlaceOrder, whose client_order_id makes a repeat return the
original order. Every other call (a cancel, an amend, a margin transfer) may have been carried out when
it failed, so it is retried only after a rate limit, a refusal that says nothing was done. A refusal is
an answer, never retried, except a rate limit when the policy says so. A server-asked delay (RetryInfo
on a rate limit or an UNAVAILABLE such as a maintenance window) is waited as asked, up to
``max_retry_after``; else the backoff is exponential. A ban (``Banned``: an address that kept sending
after its rate limit) is never retried.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from paperex.client.errors import Cancelled, DeadlineExceeded, PaperexError, RateLimited, Unavailable

T = TypeVar("T")
TRANSIENT = (Unavailable, DeadlineExceeded, Cancelled)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS's recommendation), capped."""

    attempts: int = 5
    initial_backoff: float = 0.05
    max_backoff: float = 2.0
    multiplier: float = 2.0
    retry_rate_limited: bool = True
    max_retry_after: float = 60.0
    """The longest server-asked delay (RetryInfo: a rate limit, a maintenance window, a stop) waited
    before a retry; a longer one is raised to the caller."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    """How a delay is waited: a test on a manual clock passes one that moves it instead."""

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before try ``attempt + 1`` (attempt counts from 1)."""
        cap = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return random.uniform(0, cap)

    def delay_for(self, error: PaperexError, attempt: int, *, repeatable: bool = True) -> float | None:
        """How long to wait before retrying after ``error`` a call that is ``repeatable`` or not (see
        above); None: do not retry."""
        if attempt >= self.attempts:
            return None
        if isinstance(error, RateLimited) and not self.retry_rate_limited:
            return None
        if not isinstance(error, (RateLimited, *(TRANSIENT if repeatable else ()))):
            return None
        if error.retry_after is None:
            return self.backoff(attempt)
        asked = error.retry_after.total_seconds()
        return asked if asked <= self.max_retry_after else None

    async def run(self, call: Callable[[], Awaitable[T]], *, repeatable: bool = True) -> T:
        """``call()`` until it answers, an error it may not be retried after, or the attempts run out."""
        attempt = 1
        while True:
            try:
                return await call()
            except PaperexError as error:
                delay = self.delay_for(error, attempt, repeatable=repeatable)
                if delay is None:
                    raise
            await self.sleep(delay)
            attempt += 1


NO_RETRY = RetryPolicy(attempts=1)
