"""Exact latency samples and failure counts per operation, kept so that worker processes' records merge.

Every latency is kept (whole microseconds in an ``array``), so percentiles are exact (nearest rank)
and the records of several processes merge by concatenation, not by averaging percentiles.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))
HISTOGRAM_SUB_BITS = 5
"""Histogram rows: exact below 64 us, then 32 per power of two (each at most ~3% wide)."""
SECOND_NS = 1_000_000_000


def nearest_rank(ordered: Sequence[int], percent: float) -> int:
    """The smallest value with at least ``percent`` % of the values at or below it.

    >>> nearest_rank(list(range(1, 101)), 99.0), nearest_rank(list(range(1, 101)), 99.9)
    (99, 100)
    """
    return ordered[max(1, math.ceil(percent / 100.0 * len(ordered))) - 1]


def bucket_floor(micros: int) -> int:
    """The lower bound of the histogram row holding ``micros``: exact below 64, then 32 rows per octave.

    >>> [bucket_floor(v) for v in (63, 64, 65, 66, 1000, 1031, 1032)]
    [63, 64, 64, 66, 992, 1024, 1024]
    """
    shift = micros.bit_length() - HISTOGRAM_SUB_BITS - 1
    if shift <= 0:
        return micros
    return (micros >> shift) << shift


def histogram(ordered: Sequence[int]) -> list[list[int]]:
    """``[lower, upper, count]`` rows (inclusive bounds) of sorted latencies."""
    rows: list[list[int]] = []
    for floor, group in itertools.groupby(ordered, bucket_floor):
        shift = floor.bit_length() - HISTOGRAM_SUB_BITS - 1
        upper = floor + (1 << shift) - 1 if shift > 0 else floor
        rows.append([floor, upper, sum(1 for _ in group)])
    return rows


def latency_summary(values: Iterable[int]) -> dict[str, float] | None:
    """p50/p90/p99/p99.9, max, min and mean of latencies in microseconds; None without any."""
    ordered = sorted(values)
    if not ordered:
        return None
    summary: dict[str, float] = {name: nearest_rank(ordered, percent) for name, percent in PERCENTILES}
    summary |= {"max": ordered[-1], "min": ordered[0], "mean": round(sum(ordered) / len(ordered), 1)}
    return summary


def spread(values: Sequence[float]) -> dict[str, float] | None:
    """Min, median (upper) and max of a few figures, e.g. one per subscriber."""
    if not values:
        return None
    ordered = sorted(values)
    return {"min": ordered[0], "median": ordered[len(ordered) // 2], "max": ordered[-1]}


def add_into(total: list[int], part: Sequence[int]) -> None:
    """Element-wise ``total += part``, growing ``total`` as needed (per-second timelines)."""
    if len(total) < len(part):
        total.extend([0] * (len(part) - len(total)))
    for index, value in enumerate(part):
        total[index] += value


class Operation:
    """Successes with their latencies (us) and failures by code, for one kind of operation."""

    __slots__ = ("errors", "latencies")

    def __init__(self) -> None:
        self.latencies: array[int] = array("q")
        self.errors: Counter[str] = Counter()

    def merge(self, other: Operation) -> None:
        self.latencies.extend(other.latencies)
        self.errors.update(other.errors)

    def report(self, duration: float) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "ok": len(ordered),
            "errors": sum(self.errors.values()),
            "throughput_per_s": len(ordered) / duration,
            "latency_us": latency_summary(ordered),
            "errors_by_code": dict(sorted(self.errors.items())),
            "histogram_us": histogram(ordered),
        }


class Recorder:
    """What one worker measured in one run.

    Operations outside the measured window only move the progress counters and the per-second
    timelines (counted from ``origin_ns``, the run's start), which cover warm-up and drain too.
    """

    def __init__(self, origin_ns: int) -> None:
        self.origin_ns = origin_ns
        self.operations: dict[str, Operation] = {}
        self.completed = 0
        self.errors = 0
        self.fills = 0
        self.send_lag: array[int] = array("q")
        self.outstanding = 0
        self.max_outstanding = 0
        self.ok_per_s: list[int] = []
        self.errors_per_s: list[int] = []

    def operation(self, kind: str) -> Operation:
        found = self.operations.get(kind)
        if found is None:
            found = self.operations[kind] = Operation()
        return found

    def succeeded(self, kind: str, start_ns: int, now_ns: int, measured: bool, counted: bool = True) -> None:
        """One success answered at ``now_ns`` for an operation (intended to be) sent at ``start_ns``;
        not ``counted`` (a whole OrderSession request, whose commands are counted) it only has a latency."""
        if counted:
            self.completed += 1
            _bump(self.ok_per_s, (now_ns - self.origin_ns) // SECOND_NS)
        if measured:
            self.operation(kind).latencies.append((now_ns - start_ns) // 1000)

    def failed(self, kind: str, code: str, now_ns: int, measured: bool, counted: bool = True) -> None:
        if counted:
            self.completed += 1
            self.errors += 1
            _bump(self.errors_per_s, (now_ns - self.origin_ns) // SECOND_NS)
        if measured:
            self.operation(kind).errors[code] += 1

    def merge(self, other: Recorder) -> None:
        """Add another worker's record of the same run (same origin) into this one."""
        for kind, operation in other.operations.items():
            self.operation(kind).merge(operation)
        self.completed += other.completed
        self.errors += other.errors
        self.fills += other.fills
        self.send_lag.extend(other.send_lag)
        self.max_outstanding += other.max_outstanding
        add_into(self.ok_per_s, other.ok_per_s)
        add_into(self.errors_per_s, other.errors_per_s)


def _bump(timeline: list[int], second: int) -> None:
    if second >= len(timeline):
        timeline.extend([0] * (second + 1 - len(timeline)))
    timeline[second] += 1
