"""Throughput and memory of ``Engine.apply`` on a seeded synthetic BTCUSDT flow.

Run ``python -m loadtest.bench_engine [--seed N] [--ops N] [--depth N] [--json]`` (also
``--repetitions N``; ``--profile`` prints a cProfile of one replay of the flow instead; ``--mypyc``
compiles ``engine/`` with mypyc first and measures the compiled build, see ``build_mypyc``).

The flow is generated once, before anything is timed, by driving a live engine: about 60% limit adds
near the touch (never marketable, so each one rests), 25% cancels of orders that are resting at that
moment, and 15% takers (market orders or aggressive IOC limits sized to walk 1 to 3 levels), spread
over many accounts so self-trade prevention rarely fires. The book is pre-filled to ``--depth``
resting orders and the add/take mix is steered toward that depth, inside 1,000..10,000 orders.
Because the engine is deterministic (monotonic order ids, no clock), replaying the same command
objects on a fresh engine reproduces the same book, so every cancel hits a resting order.

What is timed: only the ``engine.apply(cmd)`` calls of the flow (the pre-fill is applied untimed);
events are produced and discarded; the garbage collector stays enabled. One warm-up replay (which
also checks that it reproduces the generator's events and state hash), then five repetitions on
fresh engines. Per repetition there are two replays:

* ``mixed``: one ``perf_counter`` pair around the whole loop;
* per operation: each call timed on its own and summed by kind (add, cancel, taker), minus the
  measured cost of one ``perf_counter`` call (reported as ``timer_overhead_ns``).

Bytes per resting order: tracemalloc's traced memory of an engine holding N resting orders (the
pre-fill), minus the empty engine, divided by N.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import compiled_build
from paperex.engine.commands import CancelOrder, Command, CreateAccount, Deposit, PlaceOrder, SetMarkPrice
from paperex.engine.engine import ENGINE_BUILD, Engine
from paperex.engine.events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.units import SCALE

SYMBOL = "BTCUSDT"
MID_TICKS = 650_000
"""65,000.0 USDT at BTCUSDT's 0.1 tick."""
ACCOUNTS = 1_000
FUNDS_PER_ACCOUNT = 1_000_000 * SCALE
"""Enough that the flow's orders pass the margin check, which still runs on every order."""
"""Accounts drawn uniformly: a walk of ~3 makers meets its own account about 0.3% of the time."""
MIN_LOTS, MAX_LOTS = 2, 40
"""0.002..0.040 BTC: at 65,000 the smallest is 130 USDT, above the 100 USDT minimum notional."""
DISTANCE_MEAN_TICKS = 100.0
"""Mean distance of an add behind the opposite touch (exponential), in ticks."""
DISTANCE_MAX_TICKS = 1_000
MIX = (0.60, 0.25, 0.15)
"""Target shares of add, cancel and taker commands."""
BOOK_FLOOR, BOOK_CEILING = 1_000, 10_000
REPETITIONS = 5
RESULTS = Path(__file__).resolve().parent / "results" / "engine.txt"

ADD, CANCEL, TAKE = 0, 1, 2
KINDS = ("add", "cancel", "taker")


@dataclass
class Flow:
    """Pre-generated commands: the untimed pre-fill and the timed flow with each command's kind."""

    prefill: list[Command]
    commands: list[Command]
    kinds: list[int]
    book_sizes: list[int] = field(default_factory=list)
    expected: Counter[str] = field(default_factory=Counter)
    final_hash: str = ""


class _Generator:
    """Drives a live engine to produce commands that are valid at the moment they are applied."""

    def __init__(self, seed: int, depth: int) -> None:
        self.rng = random.Random(seed)
        self.engine = Engine()
        self.depth = depth
        self.floor = min(BOOK_FLOOR, depth // 2)
        self.ceiling = max(BOOK_CEILING, depth * 2)
        self.resting: list[int] = []
        self.slot: dict[int, int] = {}
        self.owner: dict[int, int] = {}
        self.ts = 0
        self.tally: Counter[str] = Counter()

    # ------------------------------------------------------------------ bookkeeping

    def _apply(self, command: Command) -> None:
        for event in self.engine.apply(command):
            self.tally[type(event).__name__] += 1
            if isinstance(event, OrderAccepted):
                if event.order_type is OrderType.LIMIT and event.time_in_force is TimeInForce.GTC:
                    self._track(event.order_id, event.account_id)
            elif isinstance(event, OrderFilled):
                if event.is_maker and event.remaining == 0:
                    self._untrack(event.order_id)
            elif isinstance(event, OrderCanceled | OrderExpired):
                self.tally[f"ended:{event.reason}"] += 1
                self._untrack(event.order_id)
            elif isinstance(event, OrderRejected):
                raise RuntimeError(f"generated command was rejected: {event}")

    def _track(self, order_id: int, account_id: int) -> None:
        self.slot[order_id] = len(self.resting)
        self.resting.append(order_id)
        self.owner[order_id] = account_id

    def _untrack(self, order_id: int) -> None:
        index = self.slot.pop(order_id, None)
        if index is None:
            return
        last = self.resting.pop()
        if last != order_id:
            self.resting[index] = last
            self.slot[last] = index
        del self.owner[order_id]

    def _stamp(self) -> int:
        self.ts += 1_000
        return self.ts

    # ------------------------------------------------------------------ command makers

    def add(self) -> PlaceOrder:
        """A GTC limit near the touch that cannot cross: behind the opposite best by >= 1 tick."""
        rng = self.rng
        bids, asks = self.engine.depth(SYMBOL, 1)
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        distance = min(int(rng.expovariate(1.0 / DISTANCE_MEAN_TICKS)), DISTANCE_MAX_TICKS)
        if side is Side.BUY:
            anchor = asks[0].price if asks else (bids[0].price + 1 if bids else MID_TICKS + 1)
            price = anchor - 1 - distance
        else:
            anchor = bids[0].price if bids else (asks[0].price - 1 if asks else MID_TICKS - 1)
            price = anchor + 1 + distance
        return PlaceOrder(
            account_id=rng.randint(1, ACCOUNTS),
            symbol=SYMBOL,
            side=side,
            order_type=OrderType.LIMIT,
            quantity=rng.randint(MIN_LOTS, MAX_LOTS),
            price=price,
            ts=self._stamp(),
        )

    def cancel(self) -> CancelOrder:
        order_id = self.resting[self.rng.randrange(len(self.resting))]
        return CancelOrder(account_id=self.owner[order_id], symbol=SYMBOL, order_id=order_id, ts=self._stamp())

    def take(self) -> PlaceOrder | None:
        """A market order or an IOC limit at the k-th level, sized to reach into level k (k in 1..3)."""
        rng = self.rng
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        bids, asks = self.engine.depth(SYMBOL, 3)
        levels = asks if side is Side.BUY else bids
        if not levels:
            return None
        k = rng.randint(1, len(levels))
        quantity = sum(level.quantity for level in levels[: k - 1]) + rng.randint(1, levels[k - 1].quantity)
        quantity = max(quantity, MIN_LOTS)
        market = rng.random() < 0.5
        return PlaceOrder(
            account_id=rng.randint(1, ACCOUNTS),
            symbol=SYMBOL,
            side=side,
            order_type=OrderType.MARKET if market else OrderType.LIMIT,
            quantity=quantity,
            price=0 if market else levels[k - 1].price,
            time_in_force=TimeInForce.GTC if market else TimeInForce.IOC,
            ts=self._stamp(),
        )

    def choose(self) -> int:
        """The next kind: the target mix, tilted toward adds below the target depth and away above it."""
        size = len(self.resting)
        if size <= self.floor:
            return ADD
        deviation = max(-1.0, min(1.0, (size - self.depth) / self.depth))
        add_share = MIX[0] - 0.25 * deviation
        if size >= self.ceiling:
            add_share = 0.0
        draw = self.rng.random()
        if draw < add_share:
            return ADD
        cancel_share = (1.0 - add_share) * MIX[1] / (MIX[1] + MIX[2])
        return CANCEL if draw < add_share + cancel_share else TAKE

    def _next(self, kind: int) -> tuple[int, Command]:
        if kind == CANCEL:
            return kind, self.cancel()
        if kind == TAKE:
            take = self.take()
            if take is not None:
                return kind, take
        return ADD, self.add()

    def generate(self, ops: int) -> Flow:
        prefill: list[Command] = [SetMarkPrice(symbol=SYMBOL, price=MID_TICKS, ts=self._stamp())]
        for account_id in range(1, ACCOUNTS + 1):
            prefill.append(CreateAccount(account_id=account_id))
            prefill.append(Deposit(account_id=account_id, amount=FUNDS_PER_ACCOUNT))
        for command in prefill:
            self._apply(command)
        while len(self.resting) < self.depth:
            add = self.add()
            prefill.append(add)
            self._apply(add)
        self.tally.clear()
        commands: list[Command] = []
        kinds: list[int] = []
        sizes: list[int] = []
        while len(commands) < ops:
            kind, command = self._next(self.choose())
            self._apply(command)
            commands.append(command)
            kinds.append(kind)
            sizes.append(len(self.resting))
        if resting_ids(self.engine) != set(self.resting):
            raise RuntimeError("tracked resting ids disagree with the engine's book")
        self.engine.check_invariants()
        return Flow(prefill, commands, kinds, sizes, self.tally, self.engine.state_hash())


def resting_ids(engine: Engine) -> set[int]:
    return {order.order_id for side in Side for level in engine.l3(SYMBOL, side) for order in level}


def generate(seed: int, ops: int, depth: int) -> Flow:
    return _Generator(seed, depth).generate(ops)


# ---------------------------------------------------------------------- timing


def _fresh_engine(flow: Flow) -> Engine:
    engine = Engine()
    for command in flow.prefill:
        engine.apply(command)
    return engine


def time_mixed(flow: Flow) -> float:
    """Seconds for the whole flow on a pre-filled fresh engine, one clock pair around the loop."""
    engine = _fresh_engine(flow)
    apply = engine.apply
    commands = flow.commands
    perf_counter = time.perf_counter
    start = perf_counter()
    for command in commands:
        apply(command)
    return perf_counter() - start


def timer_overhead() -> float:
    """Median seconds between two back-to-back ``perf_counter`` calls (what a per-call timing adds)."""
    perf_counter = time.perf_counter
    samples = []
    for _ in range(20_000):
        start = perf_counter()
        samples.append(perf_counter() - start)
    return statistics.median(samples)


def time_by_kind(flow: Flow, overhead: float) -> list[float]:
    """Seconds spent in ``apply`` per kind (add, cancel, taker), each call timed on its own."""
    engine = _fresh_engine(flow)
    apply = engine.apply
    perf_counter = time.perf_counter
    totals = [0.0, 0.0, 0.0]
    for command, kind in zip(flow.commands, flow.kinds, strict=True):
        start = perf_counter()
        apply(command)
        totals[kind] += perf_counter() - start
    counts = Counter(flow.kinds)
    return [totals[kind] - counts[kind] * overhead for kind in (ADD, CANCEL, TAKE)]


def verify_replay(flow: Flow) -> Counter[str]:
    """Replay once untimed (the warm-up) and check it reproduces the generator's run exactly."""
    engine = _fresh_engine(flow)
    seen: Counter[str] = Counter()
    for command in flow.commands:
        for event in engine.apply(command):
            seen[type(event).__name__] += 1
            if isinstance(event, OrderCanceled | OrderExpired):
                seen[f"ended:{event.reason}"] += 1
    if seen != flow.expected or engine.state_hash() != flow.final_hash:
        raise RuntimeError("replay diverged from generation: the engine is not deterministic")
    engine.check_invariants()
    return seen


def bytes_per_resting_order(flow: Flow) -> tuple[float, int]:
    """tracemalloc: (memory of an engine holding the pre-fill's resting orders - empty engine) / N."""
    gc.collect()
    tracemalloc.start()
    try:
        engine = Engine()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        apply = engine.apply
        for command in flow.prefill:
            apply(command)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        resting = len(resting_ids(engine))
    finally:
        tracemalloc.stop()
    return (after - before) / resting, resting


# ---------------------------------------------------------------------- optional mypyc build


def build_mypyc(target: Path) -> None:
    """Compile the engine and the server's results stage with mypyc into ``target`` as the compiled build
    does (``compiled_build.stage``, whose ``mypy.ini`` mypyc reads there; needs mypy, which brings mypyc,
    and a C compiler). The checkout itself never gets extension modules:
    they would take precedence over the ``.py`` files and silently run stale code after the next edit.
    The copy's own ``paperex`` package shadows the installed one; the benchmark imports nothing else of it."""
    modules = compiled_build.stage(target)
    subprocess.run([sys.executable, "-m", "mypyc", *modules], cwd=target, check=True, stdout=subprocess.DEVNULL)


def run_compiled(argv: Sequence[str]) -> int:
    """Build the engine with mypyc in a temporary directory and rerun this benchmark on it."""
    repository = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="paperex-mypyc-") as target:
        build_mypyc(Path(target))
        path = os.pathsep.join(filter(None, (target, str(repository), os.environ.get("PYTHONPATH"))))
        env = {**os.environ, "PYTHONPATH": path}
        return subprocess.run(
            [sys.executable, "-m", "loadtest.bench_engine", *argv], env=env, cwd=target, check=False
        ).returncode


# ---------------------------------------------------------------------- reporting


def _processor() -> str:
    name = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return name or platform.machine()


def machine() -> dict[str, object]:
    affinity: Callable[[int], set[int]] | None = getattr(os, "sched_getaffinity", None)
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(affinity(0)) if affinity else os.cpu_count(),
        "processor": _processor(),
        "gc_enabled": gc.isenabled(),
    }


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def profile(seed: int, ops: int, depth: int, top: int = 25) -> None:
    """cProfile of one mixed replay (``apply`` calls only, after the warm-up), by own time."""
    flow = generate(seed, ops, depth)
    verify_replay(flow)
    engine = _fresh_engine(flow)
    apply = engine.apply
    profiler = cProfile.Profile()
    profiler.enable()
    for command in flow.commands:
        apply(command)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats(pstats.SortKey.TIME).print_stats(top)


def run(seed: int, ops: int, depth: int, repetitions: int = REPETITIONS) -> dict[str, object]:
    flow = generate(seed, ops, depth)
    counts = Counter(flow.kinds)
    replay = verify_replay(flow)  # doubles as the warm-up pass
    overhead = timer_overhead()
    mixed: list[float] = []
    per_kind: list[list[float]] = [[], [], []]
    for _ in range(repetitions):
        mixed.append(ops / time_mixed(flow))
        for kind, seconds in enumerate(time_by_kind(flow, overhead)):
            per_kind[kind].append(counts[kind] / seconds)
    per_order, measured_orders = bytes_per_resting_order(flow)
    result: dict[str, object] = {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "ops": ops,
        "depth": depth,
        "repetitions": repetitions,
        "mix": {KINDS[kind]: counts[kind] for kind in (ADD, CANCEL, TAKE)},
        "book_size": {"min": min(flow.book_sizes), "max": max(flow.book_sizes), "end": flow.book_sizes[-1]},
        "trades": replay["TradeExecuted"],
        "rejections": replay["OrderRejected"],
        "self_trade_expiries": replay["ended:SELF_TRADE_PREVENTION"],
        "mixed_ops_per_s": statistics.median(mixed),
        "add_ops_per_s": statistics.median(per_kind[ADD]),
        "cancel_ops_per_s": statistics.median(per_kind[CANCEL]),
        "taker_ops_per_s": statistics.median(per_kind[TAKE]),
        "spread_ops_per_s": {"mixed": _spread(mixed)} | {KINDS[k]: _spread(per_kind[k]) for k in (ADD, CANCEL, TAKE)},
        "timer_overhead_ns": overhead * 1e9,
        "bytes_per_resting_order": per_order,
        "bytes_measured_at_orders": measured_orders,
        "engine_build": ENGINE_BUILD,
        "machine": machine(),
    }
    return result


def _summary_line(result: dict[str, object]) -> str:
    info = result["machine"]
    assert isinstance(info, dict)
    return (
        f"{result['timestamp']} seed={result['seed']} ops={result['ops']} depth={result['depth']} "
        f"mixed={result['mixed_ops_per_s']:,.0f}/s add={result['add_ops_per_s']:,.0f}/s "
        f"cancel={result['cancel_ops_per_s']:,.0f}/s taker={result['taker_ops_per_s']:,.0f}/s "
        f"bytes/order={result['bytes_per_resting_order']:,.0f} engine={result['engine_build']} "
        f"{info['implementation']} {info['python']} cpus={info['cpu_count']} {info['processor']}"
    )


def _report(result: dict[str, object]) -> str:
    spread = result["spread_ops_per_s"]
    mix = result["mix"]
    book = result["book_size"]
    info = result["machine"]
    assert isinstance(spread, dict) and isinstance(mix, dict) and isinstance(book, dict) and isinstance(info, dict)
    total = sum(mix.values())
    lines = [
        f"engine benchmark ({result['engine_build']} engine): {SYMBOL}, seed={result['seed']}, ops={result['ops']:,}, "
        f"pre-fill depth={result['depth']:,}, {result['repetitions']} repetition(s) after a warm-up",
        "mix: " + ", ".join(f"{kind} {count:,} ({count / total:.1%})" for kind, count in mix.items()),
        f"book: {book['min']:,}..{book['max']:,} resting orders during the flow (ends at {book['end']:,}); "
        f"{result['trades']:,} trades, {result['rejections']} rejections, "
        f"{result['self_trade_expiries']} self-trade expiries",
        f"{'ops/s':<10}{'min':>14}{'median':>14}{'max':>14}",
    ]
    for name in ("mixed", *KINDS):
        row = spread[name]
        lines.append(f"{name:<10}{row['min']:>14,.0f}{row['median']:>14,.0f}{row['max']:>14,.0f}")
    lines += [
        f"per-operation figures time each apply() alone, less {result['timer_overhead_ns']:.0f} ns timer overhead",
        f"memory: {result['bytes_per_resting_order']:,.0f} bytes per resting order "
        f"(tracemalloc, engine with {result['bytes_measured_at_orders']:,} resting orders)",
        "machine: " + ", ".join(f"{key}={value}" for key, value in info.items()),
    ]
    return "\n".join(lines)


def append_result(result: dict[str, object], path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as results:
        results.write(_summary_line(result) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=1, help="random seed of the synthetic flow (default 1)")
    parser.add_argument("--ops", type=int, default=100_000, help="timed commands per repetition (default 100,000)")
    parser.add_argument("--depth", type=int, default=5_000, help="resting orders to pre-fill (default 5,000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--repetitions", type=int, default=REPETITIONS, help="timed repetitions (default 5)")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one replay instead (nothing is recorded)"
    )
    parser.add_argument(
        "--mypyc",
        action="store_true",
        help="compile engine/ with mypyc into a temporary directory first and measure that build "
        "(needs mypy and a C compiler; the checkout is not changed)",
    )
    args = parser.parse_args(argv)
    if args.ops < 1 or args.depth < 2 or args.repetitions < 1:
        parser.error("--ops and --repetitions must be >= 1 and --depth >= 2")
    if args.mypyc:
        rest = [arg for arg in (sys.argv[1:] if argv is None else argv) if arg != "--mypyc"]
        return run_compiled(rest)
    if args.profile:
        profile(args.seed, args.ops, args.depth)
        return 0
    result = run(args.seed, args.ops, args.depth, args.repetitions)
    append_result(result)
    print(json.dumps(result) if args.json else _report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
