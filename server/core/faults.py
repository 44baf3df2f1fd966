"""A venue that misbehaves on request: each call's fate under the fault plans in force
(``paperex.server.market.fault_plans``), per account or for everyone.

A plan is set by a journaled command (``SetFaults``) or a scenario, so a restart keeps it and a replay
knows it. Each call's fate is drawn from a generator seeded by the plan's seed, the command that set it
and the account, in the order the account's calls arrive: the same calls in the same order meet the
same faults, run after run. The application applies the decisions to every API surface alike; this
module only decides.
"""

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import NamedTuple, TypeVar

from paperex.server.market.fault_plans import SECOND_NS, CallKind, FaultPlan
from paperex.server.wire.errors import Refused


class Decision(NamedTuple):
    """One call's fate."""

    delay_ns: int = 0
    refuse: bool = False
    lose_answer: bool = False
    ack_delay_ns: int = 0


NO_FAULT = Decision()
T = TypeVar("T")


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

    def __init__(
        self,
        plans: Callable[[], Mapping[int, FaultPlan]],
        now: Callable[[], int],
        reach: Callable[[int], Awaitable[None]],
    ) -> None:
        self._plans = plans
        self._now = now
        self._reach = reach
        """Returns once the exchange's time has reached the given time."""
        self._injector = FaultInjector()

    @property
    def active(self) -> bool:
        """Whether any plan is in force."""
        return bool(self._plans())

    def fate(self, account_id: int, kind: CallKind, *, command: bool = False, order: bool = False) -> Decision:
        """The call's fate, drawn now without waiting: raises the refusal of an ``order`` during
        maintenance (before any draw); else what the caller must wait (``delay_ns``) and do."""
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
        return self._injector.decide(plans, account_id, kind, command=command)

    async def enter(self, account_id: int, kind: CallKind, *, command: bool = False, order: bool = False) -> Decision:
        """Waits the added latency, then refuses the call (an injected UNAVAILABLE, or an ``order``
        during maintenance) or lets it through with what ``leave`` must do."""
        decision = self.fate(account_id, kind, command=command, order=order)
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

    def stream_drop_at(self, account_id: int) -> int | None:
        """When a stream of the account opened now is dropped by its plan's ``drop_streams_at``; None when
        the plan has none or its time has come already (a stream opened after the drop lives on)."""
        plans = self._plans()
        plan = plan_for(plans, account_id) if plans else None
        at = plan.drop_streams_at if plan is not None else None
        return at if at is not None and self._now() < at else None

    async def dropped(self, at: int) -> Refused:
        """Waits until the exchange's time reaches ``at`` (a ``stream_drop_at``); the refusal a stream
        dropped then ends with."""
        await self._reach(at)
        return stream_dropped_at(at)

    async def cut_at(self, items: AsyncIterator[T], at: int) -> AsyncIterator[T]:
        """``items`` until the exchange's time reaches ``at``, then STREAM_DROPPED (raised)."""
        cut = asyncio.ensure_future(self._reach(at))
        following: asyncio.Future[T] | None = None
        try:
            while True:
                following = asyncio.ensure_future(anext(items))
                await asyncio.wait((following, cut), return_when=asyncio.FIRST_COMPLETED)
                if not following.done():
                    raise stream_dropped_at(at)
                try:
                    item = following.result()
                except StopAsyncIteration:
                    return
                yield item
        finally:
            cut.cancel()
            if following is not None and not following.done():
                following.cancel()  # the stream's own cleanup runs before the drop is answered
                await asyncio.wait((following,))


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


def stream_dropped_at(at: int) -> Refused:
    return Refused(
        "STREAM_DROPPED",
        "the stream was dropped at the time the fault plan set (an injected fault); subscribe again",
        {"dropped_at_ns": str(at)},
    )


def stream_dropped(messages: int) -> Refused:
    return Refused(
        "STREAM_DROPPED",
        f"the stream was dropped after {messages} messages (an injected fault); subscribe again",
        {"messages": str(messages)},
    )
