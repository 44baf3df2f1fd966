"""Fault plans: how the venue misbehaves on request (added latency, refused calls, lost answers, late
acknowledgements, dropped streams, maintenance windows), as TOML an operator, a test or a scenario
writes. The plan is part of the scripted venue; ``paperex.server.core.faults`` draws each call's fate
from it.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

MILLISECOND_NS = 1_000_000
SECOND_NS = 1_000_000_000


class CallKind(StrEnum):
    """What a call does, for latency: venues publish their acknowledgement times per kind."""

    SUBMIT = "submit"
    CANCEL = "cancel"
    REPLACE = "replace"
    QUERY = "query"


class Latency(NamedTuple):
    """Added before a call is handled: uniform in [mean - jitter, mean + jitter] (never below 0)."""

    mean_ns: int
    jitter_ns: int = 0


PROFILES: dict[str, dict[CallKind, Latency]] = {
    "none": {},
    "binance": {
        CallKind.SUBMIT: Latency(5 * MILLISECOND_NS, 2 * MILLISECOND_NS),
        CallKind.CANCEL: Latency(8 * MILLISECOND_NS, 3 * MILLISECOND_NS),
        CallKind.REPLACE: Latency(12 * MILLISECOND_NS, 4 * MILLISECOND_NS),
    },
}
"""Named latency profiles; ``binance`` is the acknowledgement latency the venue's matching engine
publishes for new orders, cancels and amends (5, 8 and 12 ms), with jitter."""


@dataclass(frozen=True, slots=True)
class FaultPlan:
    latency: Mapping[CallKind, Latency] = field(default_factory=dict)
    unavailable: float = 0.0
    """The share of calls refused UNAVAILABLE before anything is done (safe to repeat)."""
    lost_answers: float = 0.0
    """The share of commands applied and journaled whose answer is lost: the caller is told
    UNAVAILABLE and must find out what happened (an order by its client order id)."""
    ack_delay_ns: int = 0
    """Commands are answered this long after they are durable."""
    drop_streams_after: int = 0
    """Streams end UNAVAILABLE after this many messages (0: never)."""
    maintenance: tuple[int, int] | None = None
    """Exchange times [start, end) in which new orders and amends are refused."""
    seed: int = 0
    set_at: int = 0
    """The sequence number of the command that set the plan: a new plan draws afresh."""
    drop_streams_at: int | None = None
    """The exchange time at which every stream open then ends UNAVAILABLE (None: never)."""


class FaultError(ValueError):
    """A plan that cannot be used, with the key at fault."""


_KEYS = {
    "profile",
    "latency",
    "unavailable",
    "lost_answers",
    "ack_delay",
    "drop_streams_after",
    "drop_streams_at",
    "maintenance",
    "seed",
}


def parse_plan(text: str, *, now: int, set_at: int) -> FaultPlan | None:
    """A plan from TOML; None for an empty text (no faults). Durations are milliseconds; the
    maintenance window starts ``start`` ms after ``now`` (the command's time) and lasts ``duration`` ms,
    and streams are dropped ``drop_streams_at`` ms after ``now``.

    >>> plan = parse_plan('profile = "binance"\\nunavailable = 0.25\\n[latency.query]\\nmean = 3', now=0, set_at=9)
    >>> plan.latency[CallKind.SUBMIT], plan.latency[CallKind.QUERY], plan.unavailable
    (Latency(mean_ns=5000000, jitter_ns=2000000), Latency(mean_ns=3000000, jitter_ns=0), 0.25)
    """
    if not text.strip():
        return None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FaultError(f"not TOML: {error}") from None
    return plan_from(doc, now=now, set_at=set_at)


def plan_from(doc: Mapping[str, Any], *, now: int, set_at: int) -> FaultPlan:
    """A plan from a parsed TOML table (a scenario's ``[faults]``, say)."""
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise FaultError(f"{unknown[0]}: unknown key (expected one of {', '.join(sorted(_KEYS))})")
    profile = doc.get("profile", "none")
    if profile not in PROFILES:
        raise FaultError(f"profile: {profile!r} is not one of {', '.join(sorted(PROFILES))}")
    latency = dict(PROFILES[profile])
    for kind, spec in _table(doc.get("latency", {}), "latency").items():
        if kind not in CallKind.__members__.values():
            raise FaultError(f"latency.{kind}: not a call kind ({', '.join(CallKind)})")
        table = _table(spec, f"latency.{kind}")
        mean = _milliseconds(table.get("mean", 0), f"latency.{kind}.mean")
        latency[CallKind(kind)] = Latency(mean, _milliseconds(table.get("jitter", 0), f"latency.{kind}.jitter"))
    maintenance = None
    if "maintenance" in doc:
        window = _table(doc["maintenance"], "maintenance")
        start = now + _milliseconds(window.get("start", 0), "maintenance.start")
        duration = _milliseconds(_required(window, "duration", "maintenance"), "maintenance.duration")
        maintenance = (start, start + duration)
    drop_at = now + _milliseconds(doc["drop_streams_at"], "drop_streams_at") if "drop_streams_at" in doc else None
    return FaultPlan(
        latency=latency,
        unavailable=_share(doc.get("unavailable", 0), "unavailable"),
        lost_answers=_share(doc.get("lost_answers", 0), "lost_answers"),
        ack_delay_ns=_milliseconds(doc.get("ack_delay", 0), "ack_delay"),
        drop_streams_after=_count(doc.get("drop_streams_after", 0), "drop_streams_after"),
        maintenance=maintenance,
        seed=_count(doc.get("seed", 0), "seed"),
        set_at=set_at,
        drop_streams_at=drop_at,
    )


def _table(raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise FaultError(f"{path}: expected a table")
    return raw


def _required(table: dict[str, Any], key: str, path: str) -> Any:
    if key not in table:
        raise FaultError(f"{path}.{key}: required")
    return table[key]


def _milliseconds(raw: Any, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        raise FaultError(f"{path}: expected milliseconds, a number at least 0, not {raw!r}")
    return round(raw * MILLISECOND_NS)


def _share(raw: Any, path: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 1:
        raise FaultError(f"{path}: expected a share between 0 and 1, not {raw!r}")
    return float(raw)


def _count(raw: Any, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise FaultError(f"{path}: expected a whole number at least 0, not {raw!r}")
    return raw
