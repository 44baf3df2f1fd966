"""Per-account token buckets, the way venues limit order requests.

Kept as GCRA (the generic cell rate algorithm): per key one float, the time at which the bucket
would be full again. That is an exact token bucket of ``burst`` tokens refilled at ``rate`` per
second (tokens at ``now`` = ``burst - (full_at - now) * rate``, capped at ``burst``), with one
number instead of two and no refill step. A key whose ``full_at`` has passed holds a full bucket,
which is the state of a key never seen, so it can be forgotten: that keeps memory bounded.
The caller passes ``now`` (monotonic seconds), so tests need no sleeping.

    >>> limiter = RateLimiter(rate_per_second=4, burst=2)
    >>> limiter.acquire("acct-1", 2, now=10.0), limiter.acquire("acct-1", 1, now=10.0)
    (0.0, 0.25)
"""

import math
from collections.abc import Hashable

_PRUNE_FLOOR = 1024
"""Tracked keys below which pruning is not worth a sweep."""


class RateLimiter:
    """Token buckets of ``burst`` tokens refilled at ``rate_per_second``, one per key; rate 0 disables."""

    __slots__ = ("_burst", "_full_at", "_prune_at", "_rate")

    def __init__(self, rate_per_second: float, burst: int) -> None:
        if not (rate_per_second >= 0 and math.isfinite(rate_per_second)):
            raise ValueError(f"rate_per_second must be finite and >= 0, got {rate_per_second}")
        if rate_per_second and burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self._rate = rate_per_second
        self._burst = burst
        self._full_at: dict[Hashable, float] = {}
        self._prune_at = _PRUNE_FLOOR

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    def delay(self, key: Hashable, count: int, now: float) -> float:
        """The seconds until ``key``'s bucket holds ``count`` tokens (0.0: now), taking nothing, so a
        caller can check several buckets before taking from any.

        A ``count`` above ``burst`` can never fit, so it returns ``math.inf``: a refusal without a
        retry hint (the edge should rather cap batch sizes at ``burst``).
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if not self._rate:
            return 0.0
        if count > self._burst:
            return math.inf
        full_at = max(self._full_at.get(key, now), now)
        return max(0.0, (full_at - now) - (self._burst - count) / self._rate)  # debt beyond what may stay owed

    def acquire(self, key: Hashable, count: int, now: float) -> float:
        """Take ``count`` tokens from ``key``'s bucket: 0.0 when taken, else ``delay`` (nothing taken).

        Retrying after the returned delay succeeds unless other requests for the key took tokens
        meanwhile.
        """
        wait = self.delay(key, count, now)
        if wait or not self._rate:
            return wait
        self._full_at[key] = max(self._full_at.get(key, now), now) + count / self._rate
        if len(self._full_at) >= self._prune_at:
            self.prune(now)
        return 0.0

    def prune(self, now: float) -> int:
        """Forget keys whose bucket is full at ``now``; returns how many. Runs by itself, amortised O(1)."""
        full_at = self._full_at
        before = len(full_at)
        self._full_at = {key: at for key, at in full_at.items() if at > now}
        self._prune_at = max(_PRUNE_FLOOR, 2 * len(self._full_at))
        return before - len(self._full_at)

    def __len__(self) -> int:
        """Keys tracked (buckets not yet full again), for metrics and tests."""
        return len(self._full_at)
