"""Which failures the retry policy repeats a call after: a call that may have been carried out when it
failed (a cancel, an amend, a margin transfer) only after a rate limit, which says nothing was done."""

from datetime import timedelta

import pytest

from paperex.client.errors import (
    AnswerLost,
    Cancelled,
    DeadlineExceeded,
    InjectedFault,
    PaperexError,
    RateLimited,
    ServerBusy,
    Unavailable,
)
from paperex.client.retry import RetryPolicy


class Recorder:
    """A call that fails with ``failure`` the first time, then answers "done"; and the waits asked."""

    def __init__(self, failure: PaperexError) -> None:
        self.failure = failure
        self.calls = 0
        self.waits: list[float] = []

    async def call(self) -> str:
        self.calls += 1
        if self.calls == 1:
            raise self.failure
        return "done"

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.mark.parametrize(
    "failure",
    [
        Unavailable("connection reset"),
        AnswerLost("the outcome is unknown"),
        InjectedFault("nothing was done"),
        DeadlineExceeded("no answer in time"),
        Cancelled("cancelled"),
    ],
)
async def test_a_call_that_may_have_been_carried_out_is_not_repeated_after_a_transient_failure(
    failure: PaperexError,
) -> None:
    """Each transient failure of a call that is not repeatable reaches the caller: one call, no wait."""
    recorder = Recorder(failure)
    with pytest.raises(type(failure)):
        await RetryPolicy(sleep=recorder.sleep).run(recorder.call, repeatable=False)
    assert (recorder.calls, recorder.waits) == (1, [])


@pytest.mark.parametrize("limit", [RateLimited, ServerBusy])
async def test_a_call_refused_for_a_rate_limit_is_repeated_after_the_servers_delay(limit: type[RateLimited]) -> None:
    """A rate limit (the account's, or the server's command budget) with RetryInfo 2.5 s: the policy
    waits exactly that and sends the call again, which answers."""
    recorder = Recorder(limit("retry in 2.500 s", retry_after=timedelta(seconds=2.5)))
    answer = await RetryPolicy(sleep=recorder.sleep).run(recorder.call, repeatable=False)
    assert (answer, recorder.calls, recorder.waits) == ("done", 2, [2.5])


async def test_a_repeatable_call_is_still_repeated_after_a_transient_failure() -> None:
    """A query meeting UNAVAILABLE is sent again after a backoff of at most the first cap, 0.05 s."""
    recorder = Recorder(Unavailable("connection reset"))
    answer = await RetryPolicy(sleep=recorder.sleep).run(recorder.call)
    assert (answer, recorder.calls) == ("done", 2)
    assert len(recorder.waits) == 1 and 0 <= recorder.waits[0] <= 0.05
