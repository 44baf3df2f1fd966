"""Token buckets with hand-computed figures; ``now`` is passed in, so nothing sleeps.

Most figures use rate 4/s (a token every 0.25 s) and times that are binary fractions, so every
expected value is an exact float and compared with ``==``.
"""

import math

import pytest

from paperex.server.core.ratelimit import RateLimiter


def test_the_burst_is_available_at_once_then_tokens_come_at_the_rate() -> None:
    limiter = RateLimiter(rate_per_second=4, burst=8)

    assert [limiter.acquire("acct", 1, now=100.0) for _ in range(8)] == [0.0] * 8
    assert limiter.acquire("acct", 1, now=100.0) == 0.25  # next token in 1/4 s


def test_refill_arithmetic() -> None:
    """Rate 4/s, burst 8, all 8 taken at t=0.

    t=0.5:  0.5 * 4 = 2 tokens back; 3 wanted -> 1 short -> 1/4 s; 2 wanted -> taken, 0 left.
    t=1.0:  2 back again; 2 taken.
    t=3.5:  the bucket was full again at t=3.0; 2.5 s * 4 = 10 would be back but it holds 8:
            8 taken, then 1 more is 0.25 s away.
    """
    limiter = RateLimiter(rate_per_second=4, burst=8)
    assert limiter.acquire("acct", 8, now=0.0) == 0.0

    assert limiter.acquire("acct", 3, now=0.5) == 0.25
    assert limiter.acquire("acct", 2, now=0.5) == 0.0
    assert limiter.acquire("acct", 1, now=0.5) == 0.25

    assert limiter.acquire("acct", 2, now=1.0) == 0.0

    assert limiter.acquire("acct", 8, now=3.5) == 0.0
    assert limiter.acquire("acct", 1, now=3.5) == 0.25


def test_the_retry_hint_is_exact_and_a_refusal_takes_nothing() -> None:
    """Rate 4/s, burst 2: both taken at t=0, full again at t=0.5. At t=0.125, 2 tokens are 0.375 s away."""
    limiter = RateLimiter(rate_per_second=4, burst=2)
    limiter.acquire("acct", 2, now=0.0)

    assert limiter.acquire("acct", 2, now=0.125) == 0.375
    assert limiter.acquire("acct", 2, now=0.125) == 0.375  # the refusal consumed nothing
    assert limiter.acquire("acct", 2, now=math.nextafter(0.5, 0.0)) > 0.0  # not a moment early
    assert limiter.acquire("acct", 2, now=0.125 + 0.375) == 0.0


def test_a_non_binary_rate_within_float_rounding() -> None:
    """Rate 10/s, burst 5: 5 taken at t=0; at t=0.25, 2.5 tokens are back, so 4 wanted is 1.5 tokens = 0.15 s away."""
    limiter = RateLimiter(rate_per_second=10, burst=5)
    limiter.acquire("acct", 5, now=0.0)

    assert limiter.acquire("acct", 4, now=0.25) == pytest.approx(0.15)
    assert limiter.acquire("acct", 2, now=0.25) == 0.0


def test_a_fractional_rate() -> None:
    """Rate 0.5/s, burst 1: a token every 2 s."""
    limiter = RateLimiter(rate_per_second=0.5, burst=1)

    assert limiter.acquire("acct", 1, now=0.0) == 0.0
    assert limiter.acquire("acct", 1, now=1.0) == 1.0
    assert limiter.acquire("acct", 1, now=2.0) == 0.0


def test_a_count_equal_to_the_burst_fits_a_full_bucket_only() -> None:
    limiter = RateLimiter(rate_per_second=4, burst=8)

    assert limiter.acquire("acct", 8, now=0.0) == 0.0
    assert limiter.acquire("acct", 8, now=1.0) == 1.0  # 4 back, 4 short at 4/s
    assert limiter.acquire("acct", 8, now=2.0) == 0.0


def test_a_count_above_the_burst_never_fits_and_takes_nothing() -> None:
    limiter = RateLimiter(rate_per_second=4, burst=8)

    assert limiter.acquire("acct", 9, now=0.0) == math.inf
    assert limiter.acquire("acct", 8, now=0.0) == 0.0  # the refusal left the bucket full


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(rate_per_second=4, burst=2)

    assert limiter.acquire(1, 2, now=0.0) == 0.0
    assert limiter.acquire(1, 1, now=0.0) == 0.25
    assert limiter.acquire(2, 2, now=0.0) == 0.0
    assert limiter.acquire((1, "orders"), 2, now=0.0) == 0.0


def test_rate_zero_disables_limiting() -> None:
    limiter = RateLimiter(rate_per_second=0, burst=0)

    assert [limiter.acquire("acct", 1_000, now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert len(limiter) == 0


@pytest.mark.parametrize(
    ("rate", "burst", "match"),
    [(-1, 8, "rate"), (math.nan, 8, "rate"), (math.inf, 8, "rate"), (4, 0, "burst")],
)
def test_impossible_settings_are_refused(rate: float, burst: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RateLimiter(rate_per_second=rate, burst=burst)


@pytest.mark.parametrize("count", [0, -1])
def test_a_count_below_one_is_a_bug(count: int) -> None:
    with pytest.raises(ValueError, match="count"):
        RateLimiter(rate_per_second=4, burst=8).acquire("acct", count, now=0.0)


def test_prune_forgets_exactly_the_full_buckets() -> None:
    """Rate 4/s, burst 8: one token is back to full after 0.25 s, eight after 2 s."""
    limiter = RateLimiter(rate_per_second=4, burst=8)
    limiter.acquire("a", 1, now=0.0)
    limiter.acquire("b", 1, now=0.0)
    limiter.acquire("c", 8, now=0.0)

    assert limiter.prune(now=0.25) == 2
    assert len(limiter) == 1
    assert limiter.acquire("a", 8, now=0.25) == 0.0  # forgotten = full
    assert limiter.acquire("c", 1, now=0.25) == 0.0  # 1 of 8 back: kept state is intact
    assert limiter.acquire("c", 1, now=0.25) == 0.25


def test_memory_stays_bounded_by_pruning_as_it_goes() -> None:
    """10,000 keys, one request each, 1 ms apart; a bucket (rate 100/s, burst 1) is full after 10 ms."""
    limiter = RateLimiter(rate_per_second=100, burst=1)
    most = 0
    for i in range(10_000):
        assert limiter.acquire(i, 1, now=i / 1000) == 0.0
        most = max(most, len(limiter))

    assert most <= 1024  # the floor below which no sweep runs
    assert len(limiter) < 1024
