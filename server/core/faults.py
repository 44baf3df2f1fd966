"""A venue that misbehaves on request: added latency, refused calls, lost answers, late
acknowledgements, dropped streams and maintenance windows, per account or for everyone.

A plan is TOML (``parse_plan``), set by a journaled command (``SetFaults``), so a restart keeps it
and a replay knows it. Each call's fate is drawn from a generator seeded by the plan's seed, the
command that set it and the account, in the order the account's calls arrive: the same calls in the
same order meet the same faults, run after run. The application applies the decisions to every API
surface alike; this module only decides.
"""

import asyncio
import random
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from paperex.server.wire.errors import Refused

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


class Decision(NamedTuple):
    """One call's fate."""

    delay_ns: int = 0
    refuse: bool = False
    lose_answer: bool = False
    ack_delay_ns: int = 0


NO_FAULT = Decision()


class FaultError(ValueError):
    """A plan that cannot be used, with the key at fault."""


_KEYS = {"profile", "latency", "unavailable", "lost_answers", "ack_delay", "drop_streams_after", "maintenance", "seed"}


def parse_plan(text: str, *, now: int, set_at: int) -> FaultPlan | None:
    """A plan from TOML; None for an empty text (no faults). Durations are milliseconds; the
    maintenance window starts ``start`` ms after ``now`` (the command's time) and lasts ``duration`` ms.

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
    return FaultPlan(
        latency=latency,
        unavailable=_share(doc.get("unavailable", 0), "unavailable"),
        lost_answers=_share(doc.get("lost_answers", 0), "lost_answers"),
        ack_delay_ns=_milliseconds(doc.get("ack_delay", 0), "ack_delay"),
        drop_streams_after=_count(doc.get("drop_streams_after", 0), "drop_streams_after"),
        maintenance=maintenance,
        seed=_count(doc.get("seed", 0), "seed"),
        set_at=set_at,
    )


class FaultInjector:
    """Draws each call's fate from the plan in force for its account (its own, else everyone's)."""

    def __init__(self) -> None:
        self._draws: dict[int, tuple[FaultPlan, random.Random]] = {}
        """Each account's generator, with the plan it draws for: a new plan (a new command, or the
        state replaced by a reset or a restart) starts a new generator."""

    def decide(self, plans: Mapping[int, FaultPlan], account_id: int, kind: CallKind, *, command: bool) -> Decision:
        plan = plan_for(plans, account_id)
        if plan is None:
            return NO_FAULT
        known = self._draws.get(account_id)
        if known is not None and known[0] is plan:
            draws = known[1]
        else:
            draws = random.Random(f"paperex.faults:{plan.seed}:{plan.set_at}:{account_id}")
            self._draws[account_id] = (plan, draws)
        latency = plan.latency.get(kind)
        delay = 0
        if latency is not None:
            delay = max(0, latency.mean_ns + round(draws.uniform(-1, 1) * latency.jitter_ns))
        refuse = draws.random() < plan.unavailable
        lose = draws.random() < plan.lost_answers
        return Decision(delay, refuse, command and not refuse and lose, plan.ack_delay_ns if command else 0)


class FaultGate:
    """What a call awaits on its way in and out under the plans in force: the application passes every
    command and query of an account through it, so every API surface meets the same faults."""

    def __init__(self, plans: Callable[[], Mapping[int, FaultPlan]], now: Callable[[], int]) -> None:
        self._plans = plans
        self._now = now
        self._injector = FaultInjector()

    async def enter(self, account_id: int, kind: CallKind, *, command: bool = False, order: bool = False) -> Decision:
        """Waits the added latency, then refuses the call (an injected UNAVAILABLE, or an ``order``
        during maintenance) or lets it through with what ``leave`` must do."""
        plans = self._plans()
        if not plans:
            return NO_FAULT
        plan = plan_for(plans, account_id)
        if plan is None:
            return NO_FAULT
        if order:
            refusal = in_maintenance(plan, self._now())
            if refusal is not None:
                raise refusal
        decision = self._injector.decide(plans, account_id, kind, command=command)
        if decision.delay_ns:
            await asyncio.sleep(decision.delay_ns / SECOND_NS)
        if decision.refuse:
            raise refused()
        return decision

    async def leave(self, decision: Decision) -> None:
        """After a command is durable: a late acknowledgement, or a lost answer."""
        if decision.ack_delay_ns:
            await asyncio.sleep(decision.ack_delay_ns / SECOND_NS)
        if decision.lose_answer:
            raise answer_lost()

    def stream_budget(self, account_id: int) -> int:
        """Messages a stream of the account may carry before it is dropped (0: no limit)."""
        plans = self._plans()
        plan = plan_for(plans, account_id) if plans else None
        return plan.drop_streams_after if plan is not None else 0


def plan_for(plans: Mapping[int, FaultPlan], account_id: int) -> FaultPlan | None:
    """The account's own plan, else everyone's (account 0), else None."""
    return plans.get(account_id) or plans.get(0)


def refused() -> Refused:
    return Refused(
        "INJECTED_FAULT", "the exchange is unavailable (an injected fault: nothing was done); send the request again"
    )


def answer_lost() -> Refused:
    return Refused(
        "ANSWER_LOST",
        "the exchange is unavailable and the outcome is unknown (an injected fault: the command may have "
        "been carried out); look the order up by its client order id, or repeat it with the same one",
    )


def in_maintenance(plan: FaultPlan, now: int) -> Refused | None:
    """The refusal of a new order or amend during the plan's maintenance window, else None."""
    if plan.maintenance is None or not plan.maintenance[0] <= now < plan.maintenance[1]:
        return None
    end = plan.maintenance[1]
    return Refused(
        "MAINTENANCE",
        "the exchange is in maintenance and takes no new orders or amends until it ends (cancels work)",
        {"ends_at_ns": str(end)},
        retry_after=(end - now) / SECOND_NS,
    )


def stream_dropped(messages: int) -> Refused:
    return Refused(
        "STREAM_DROPPED",
        f"the stream was dropped after {messages} messages (an injected fault); subscribe again",
        {"messages": str(messages)},
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
