"""Fault plans (``paperex.server.market.fault_plans``) read from TOML with the key at fault named, and
(``paperex.server.core.faults``) each call's fate drawn the same way in every run."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from paperex.server.core.faults import NO_FAULT, FaultGate, FaultInjector
from paperex.server.market.fault_plans import CallKind, FaultError, FaultPlan, Latency, parse_plan
from paperex.server.wire.errors import Refused

MS = 1_000_000


def plan(text: str, now: int = 0, set_at: int = 1) -> FaultPlan:
    parsed = parse_plan(text, now=now, set_at=set_at)
    assert parsed is not None
    return parsed


def test_the_binance_profile_adds_the_venues_acknowledgement_latency() -> None:
    """5, 8 and 12 ms for submit, cancel and replace, with 2, 3 and 4 ms of jitter; a [latency.query]
    table adds a kind and overrides nothing else."""
    loaded = plan('profile = "binance"\n[latency.query]\nmean = 1.5\njitter = 0.5')
    assert dict(loaded.latency) == {
        CallKind.SUBMIT: Latency(5 * MS, 2 * MS),
        CallKind.CANCEL: Latency(8 * MS, 3 * MS),
        CallKind.REPLACE: Latency(12 * MS, 4 * MS),
        CallKind.QUERY: Latency(1_500_000, 500_000),
    }


def test_the_maintenance_window_starts_from_the_commands_time() -> None:
    """Set at t = 1,000 s: start 30,000 ms later, for 60,000 ms: [1,030 s, 1,090 s)."""
    loaded = plan("[maintenance]\nstart = 30000\nduration = 60000", now=1_000 * 10**9)
    assert loaded.maintenance == (1_030 * 10**9, 1_090 * 10**9)


def test_an_empty_plan_is_no_plan() -> None:
    assert parse_plan("  \n", now=0, set_at=1) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unavailable = 2", "unavailable: expected a share between 0 and 1, not 2"),
        ("ack_delay = -1", "ack_delay: expected milliseconds"),
        ('profile = "nyse"', "profile: 'nyse' is not one of binance, none"),
        ("droped_streams = 3", "droped_streams: unknown key"),
        ("[latency.submitt]\nmean = 1", "latency.submitt: not a call kind"),
        ("[maintenance]\nstart = 5", "maintenance.duration: required"),
        ("drop_streams_after = 2.5", "drop_streams_after: expected a whole number"),
        ("drop_streams_at = -1", "drop_streams_at: expected milliseconds, a number at least 0, not -1"),
        ("unavailable = ", "not TOML"),
    ],
)
def test_a_bad_plan_names_the_key_at_fault(text: str, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        parse_plan(text, now=0, set_at=1)


def fates(injector: FaultInjector, plans: dict[int, FaultPlan], account_id: int, calls: int) -> list[tuple[int, bool]]:
    return [
        (decision.delay_ns, decision.refuse)
        for decision in (injector.decide(plans, account_id, CallKind.SUBMIT, command=True) for _ in range(calls))
    ]


def test_the_same_calls_meet_the_same_faults_in_every_run() -> None:
    """Two injectors (two server runs) draw the same fates for the same plan and calls; another seed
    draws others."""
    text = 'profile = "binance"\nunavailable = 0.5\nseed = 7'
    plans = {0: plan(text)}
    first = fates(FaultInjector(), plans, 3, 50)
    assert first == fates(FaultInjector(), {0: plan(text)}, 3, 50)
    assert first != fates(FaultInjector(), {0: plan(text.replace("7", "8"))}, 3, 50)
    assert all(3 * MS <= delay <= 7 * MS for delay, _ in first), "5 ms +/- 2 ms"


def test_the_shares_hold_over_many_calls() -> None:
    """A quarter refused: over 2,000 calls the count lies well inside 400..600 (the standard deviation
    of a binomial(2,000, 0.25) is 19.4); none refused at 0, all at 1."""
    refused = sum(refuse for _, refuse in fates(FaultInjector(), {0: plan("unavailable = 0.25")}, 1, 2000))
    assert 400 < refused < 600
    assert not any(refuse for _, refuse in fates(FaultInjector(), {0: plan("seed = 1")}, 1, 100))
    assert all(refuse for _, refuse in fates(FaultInjector(), {0: plan("unavailable = 1")}, 1, 100))


def test_an_accounts_own_plan_beats_everyones_and_others_keep_everyones() -> None:
    injector = FaultInjector()
    plans = {0: plan("unavailable = 1"), 3: plan("unavailable = 0")}
    assert not injector.decide(plans, 3, CallKind.QUERY, command=False).refuse
    assert injector.decide(plans, 4, CallKind.QUERY, command=False).refuse
    assert injector.decide({3: plans[3]}, 4, CallKind.QUERY, command=False) == NO_FAULT


def test_only_a_command_loses_its_answer_or_waits_for_its_acknowledgement() -> None:
    injector = FaultInjector()
    plans = {0: plan("lost_answers = 1\nack_delay = 20")}
    query = injector.decide(plans, 1, CallKind.QUERY, command=False)
    command = injector.decide(plans, 1, CallKind.SUBMIT, command=True)
    assert (query.lose_answer, query.ack_delay_ns) == (False, 0)
    assert (command.lose_answer, command.ack_delay_ns) == (True, 20 * MS)


async def unreached(at: int) -> None:
    raise AssertionError(f"nothing here waits for a time ({at})")


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The seconds each ``asyncio.sleep`` of the gate was asked to wait (nothing waits)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    yield waits


async def test_the_gate_waits_the_latency_and_the_acknowledgement_delay(slept: list[float]) -> None:
    """3 ms of added latency (no jitter) before the command, 20 ms after it is durable."""
    plans = {0: plan("ack_delay = 20\n[latency.submit]\nmean = 3")}
    gate = FaultGate(lambda: plans, lambda: 0, unreached)
    decision = await gate.enter(1, CallKind.SUBMIT, command=True, order=True)
    await gate.leave(decision)
    assert slept == [0.003, 0.02]


async def test_the_gate_refuses_orders_in_maintenance_with_the_time_left(slept: list[float]) -> None:
    """Window [10 s, 70 s); at 40 s an order is refused with 30 s to wait; a cancel passes; at 70 s the
    window is over."""
    plans = {0: plan("[maintenance]\nstart = 10000\nduration = 60000")}
    now = [40 * 10**9]
    gate = FaultGate(lambda: plans, lambda: now[0], unreached)
    with pytest.raises(Refused) as refused:
        await gate.enter(1, CallKind.SUBMIT, command=True, order=True)
    assert (refused.value.reason, refused.value.retry_after) == ("MAINTENANCE", 30.0)
    assert refused.value.metadata == {"ends_at_ns": str(70 * 10**9)}
    assert await gate.enter(1, CallKind.CANCEL, command=True) == NO_FAULT
    now[0] = 70 * 10**9
    assert await gate.enter(1, CallKind.SUBMIT, command=True, order=True) == NO_FAULT


async def test_the_gate_refuses_and_loses_answers(slept: list[float]) -> None:
    gate = FaultGate(lambda: {0: plan("unavailable = 1")}, lambda: 0, unreached)
    with pytest.raises(Refused, match="INJECTED_FAULT"):
        await gate.enter(1, CallKind.QUERY)
    lost = FaultGate(lambda: {0: plan("lost_answers = 1")}, lambda: 0, unreached)
    decision = await lost.enter(1, CallKind.SUBMIT, command=True)
    with pytest.raises(Refused, match="ANSWER_LOST"):
        await lost.leave(decision)
    assert FaultGate(lambda: {0: plan("drop_streams_after = 4")}, lambda: 0, unreached).stream_budget(9) == 4
    assert FaultGate(dict, lambda: 0, unreached).stream_budget(9) == 0


def test_streams_are_dropped_at_a_time_counted_from_the_plan() -> None:
    """Set at t = 1,000 s with drop_streams_at = 250 ms: streams opened before 1,000.25 s are dropped
    then; one opened at that time or after is not."""
    plans = {0: plan("drop_streams_at = 250", now=1_000 * 10**9)}
    now = [1_000 * 10**9]
    gate = FaultGate(lambda: plans, lambda: now[0], unreached)
    assert gate.stream_drop_at(4) == 1_000_250_000_000
    now[0] = 1_000_250_000_000
    assert gate.stream_drop_at(4) is None
    assert FaultGate(lambda: {0: plan("drop_streams_after = 4")}, lambda: 0, unreached).stream_drop_at(4) is None


async def test_a_stream_cut_at_a_time_ends_with_the_time_it_was_dropped_at() -> None:
    """The items before the time pass; the time reached, the stream raises STREAM_DROPPED naming it."""
    reached = asyncio.Event()

    async def reach(at: int) -> None:
        await reached.wait()

    async def items() -> AsyncIterator[int]:
        yield 1
        yield 2
        reached.set()
        await asyncio.Event().wait()  # a quiet stream: nothing more comes
        yield 3

    gate = FaultGate(dict, lambda: 0, reach)
    seen = []
    with pytest.raises(Refused) as dropped:
        async for item in gate.cut_at(items(), 5):
            seen.append(item)
    assert seen == [1, 2]
    assert (dropped.value.reason, dropped.value.metadata) == ("STREAM_DROPPED", {"dropped_at_ns": "5"})
