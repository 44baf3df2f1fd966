"""Load on paperex over real gRPC: closed-loop unary, pipelined OrderSession streams, and open loop.

Run ``python -m loadtest.grpc_load MODE [options]`` with MODE one of:

* ``unary``: closed loop, ``--in-flight`` concurrent unary calls (each worker sends its next call
  when the previous one is answered), the accounts taken round-robin;
* ``session``: ``--streams`` OrderSession streams (one account each), ``--batch`` commands per
  request, at most ``--window`` requests outstanding per stream (pipelined);
* ``open-loop``: unary calls at a fixed ``--rate`` per second (a comma-separated list steps through
  several rates), each scheduled at its intended send time and timed from that time, so a slow
  answer delays nobody else's measurement (no coordinated omission); the client's own lateness is
  reported apart as ``send_lag_us``.

Unless ``--target HOST:PORT --admin-token T`` names a running server, the tool starts its own
(``python -m server serve --port 0`` with a temporary journal, the chosen ``--durability`` and the
order rate limit off) and stops it with SIGINT at the end; ``--profile-server FILE`` runs that
server under cProfile and prints the top entries. Setup, untimed: ``--accounts`` accounts with a
large deposit, the BTCUSDT mark price at 64,900, and unless ``--seed-levels 0`` a two-sided book of
1 BTC levels every 0.5 USDT from a separate account.

The order flow of each account: GTC limit orders of 0.002..0.020 BTC on a random side, priced a
geometric number of ticks (mean 1 USDT) behind 64,900.0, so bids stay below and asks above it and
the resting orders never cross one another; a ``--take-ratio`` share of market orders of
0.002..0.010 BTC; and cancels that bound the book: with ``--cancel all`` (the default) the account
sends CancelAllOrders after every ``--max-open`` limit orders; with ``--cancel oldest`` it cancels
its oldest resting order by id whenever it knows of ``--max-open`` of them (an order a taker filled
meanwhile makes that cancel fail with NOT_FOUND).

What is measured, in a window of ``--duration`` seconds after ``--warmup`` seconds: every operation
started (open loop: intended) inside the window, however late its answer; its latency from send (or
intended send) to the answer, in whole microseconds, every value kept, so percentiles are exact
(nearest rank) and the histogram of ``histogram_us`` is a summary of them; throughput is successful
operations over the window. A session command's latency is its request's. Failures are counted by
status code and ErrorInfo reason (unary, or a failed stream) or by RejectReason (a session command's
rejection) and have no latency. Included: the client and the server on one machine over loopback,
without TLS, each answer sent after its journal write under the server's durability mode.

The JSON report (``--json``) is one object: ``tool``, ``timestamp``, ``command``, ``mode``,
``target``, ``own_server``, ``durability``, ``settings``, ``machine``, ``included``,
``server_profile`` and ``runs``; each run has ``rate``, ``warmup_s``, ``duration_s``, ``ok``,
``errors``, ``throughput_per_s``, ``errors_by_code``, ``fills``, ``client_cpu_cores``,
``server_cpu_cores``, ``machine_cpu_cores`` (every process on the machine: more than client plus
server means something else ran meanwhile), ``max_outstanding``, ``send_lag_us`` and ``operations``; each operation has
``ok``, ``errors``, ``throughput_per_s``, ``latency_us`` (``p50``, ``p90``, ``p99``, ``p99.9``,
``max``, ``min``, ``mean``, or null without a success), ``errors_by_code`` and ``histogram_us``
(``[lower, upper, count]`` rows). A one-line summary of each run, with the exact command, the
durability and the machine, is appended to ``loadtest/results/grpc.txt`` (``--results``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import math
import os
import pstats
import random
import shlex
import signal
import sys
import tempfile
import time
from array import array
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from paperex.v1 import admin_pb2, admin_pb2_grpc, common_pb2, errors_pb2, trading_pb2, trading_pb2_grpc

from loadtest.bench_engine import machine

SYMBOL = "BTCUSDT"
MARK_TICKS = 649_000
"""64,900.0 USDT at BTCUSDT's 0.1 tick: the mark price set before the run and the centre of the flow."""
DEPOSIT = "1000000000"
"""Each account's deposit: far above what its open orders and positions can need."""
MIN_LOTS, MAX_LOTS = 2, 20
"""0.002..0.020 BTC: at ~64,900 the smallest is 129.8 USDT, above the 100 USDT minimum notional."""
TAKE_MAX_LOTS = 10
DISTANCE_MEAN_TICKS = 10.0
"""Mean distance of a limit order behind 64,900.0 (geometric, capped), inside the 5% price band."""
DISTANCE_MAX_TICKS = 300
SEED_STEP_TICKS, SEED_LOTS = 5, 1_000
"""The seeded book: 1 BTC every 0.5 USDT from 64,899.5 down and 64,900.5 up."""
CALL_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 60.0
"""How long answers to operations started in the window are awaited after it ends."""
SCHEDULE_SLACK_NS = 1_000_000
"""Open loop: the event loop's timer granularity (epoll waits in whole milliseconds)."""
SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 60.0
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))
HISTOGRAM_SUB_BITS = 5
"""Histogram rows: exact below 64 us, then 32 per power of two (each at most ~3% wide)."""
RESULTS = Path(__file__).resolve().parent / "results" / "grpc.txt"
REPO = Path(__file__).resolve().parent.parent
INCLUDED = (
    "client and server on one machine over loopback, no TLS; each answer leaves the server after its "
    "journal write under the stated durability; latency from send (open loop: intended send) to answer"
)

PLACE, TAKE, CANCEL, CANCEL_ALL, BATCH = "place_limit", "place_market", "cancel", "cancel_all", "session_batch"
SESSION_FIELDS = {PLACE: "place_order", TAKE: "place_order", CANCEL: "cancel_order", CANCEL_ALL: "cancel_all_orders"}
RESTING = (common_pb2.ORDER_STATUS_NEW, common_pb2.ORDER_STATUS_PARTIALLY_FILLED)
MODES = ("unary", "session", "open-loop")


def price_text(ticks: int) -> str:
    """BTCUSDT ticks as the wire's decimal string: 648_999 -> '64899.9'."""
    return f"{ticks // 10}.{ticks % 10}"


def lots_text(lots: int) -> str:
    """BTCUSDT lots (0.001 BTC) as the wire's decimal string: 25 -> '0.025'."""
    return f"{lots // 1000}.{lots % 1000:03d}"


BID_PRICES = [price_text(MARK_TICKS - 1 - distance) for distance in range(DISTANCE_MAX_TICKS + 1)]
ASK_PRICES = [price_text(MARK_TICKS + 1 + distance) for distance in range(DISTANCE_MAX_TICKS + 1)]
QUANTITIES = [lots_text(lots) for lots in range(MAX_LOTS + 1)]


# ---------------------------------------------------------------------- settings and order flow


@dataclass(slots=True)
class Settings:
    """One invocation's choices (the parsed command line)."""

    mode: str
    target: str = ""
    admin_token: str = ""
    durability: str = ""
    accounts: int = 32
    in_flight: int = 64
    streams: int = 2
    batch: int = 100
    window: int = 4
    rates: list[float] = field(default_factory=lambda: [2000.0])
    duration: float = 10.0
    warmup: float = 2.0
    take_ratio: float = 0.05
    cancel: str = "all"
    max_open: int = 20
    seed_levels: int = 20
    seed: int = 1
    channels: int = 1
    json: bool = False
    results: str = str(RESULTS)
    profile_server: str = ""
    profile_top: int = 25
    progress: bool = False


@dataclass(slots=True)
class Account:
    account_id: int
    metadata: tuple[tuple[str, str], ...]


class Flow:
    """One account's next operations: limit adds near the touch, some takers, and bounding cancels."""

    __slots__ = ("account", "adds", "cancel_oldest", "max_open", "resting", "rng", "take_ratio")

    def __init__(self, account: Account, settings: Settings, seed: int) -> None:
        self.account = account
        self.rng = random.Random(seed)
        self.take_ratio = settings.take_ratio
        self.max_open = settings.max_open
        self.cancel_oldest = settings.cancel == "oldest"
        self.adds = 0
        self.resting: deque[int] = deque()

    def next(self) -> tuple[str, Any]:
        """The kind of the next operation and its request."""
        rng = self.rng
        if self.cancel_oldest:
            if len(self.resting) >= self.max_open:
                order_id = self.resting.popleft()
                return CANCEL, trading_pb2.CancelOrderRequest(symbol=SYMBOL, order_id=order_id)
        elif self.adds >= self.max_open:
            self.adds = 0
            return CANCEL_ALL, trading_pb2.CancelAllOrdersRequest(symbol=SYMBOL)
        buy = rng.random() < 0.5
        side = common_pb2.SIDE_BUY if buy else common_pb2.SIDE_SELL
        if self.take_ratio and rng.random() < self.take_ratio:
            return TAKE, trading_pb2.PlaceOrderRequest(
                symbol=SYMBOL,
                side=side,
                order_type=common_pb2.ORDER_TYPE_MARKET,
                quantity=QUANTITIES[rng.randint(MIN_LOTS, TAKE_MAX_LOTS)],
            )
        self.adds += 1
        distance = min(int(rng.expovariate(1.0 / DISTANCE_MEAN_TICKS)), DISTANCE_MAX_TICKS)
        return PLACE, trading_pb2.PlaceOrderRequest(
            symbol=SYMBOL,
            side=side,
            order_type=common_pb2.ORDER_TYPE_LIMIT,
            time_in_force=common_pb2.TIME_IN_FORCE_GTC,
            quantity=QUANTITIES[rng.randint(MIN_LOTS, MAX_LOTS)],
            price=BID_PRICES[distance] if buy else ASK_PRICES[distance],
        )

    def placed(self, order: common_pb2.Order) -> None:
        """Remember a resting order for ``--cancel oldest``."""
        if self.cancel_oldest and order.status in RESTING:
            self.resting.append(order.order_id)


# ---------------------------------------------------------------------- measurement


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


def latency_summary(values: array[int]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    summary: dict[str, float] = {name: nearest_rank(ordered, percent) for name, percent in PERCENTILES}
    summary |= {"max": ordered[-1], "min": ordered[0], "mean": round(sum(ordered) / len(ordered), 1)}
    return summary


class Operation:
    """Successes with their latencies (us) and failures by code, for one kind of operation."""

    __slots__ = ("errors", "latencies")

    def __init__(self) -> None:
        self.latencies: array[int] = array("q")
        self.errors: Counter[str] = Counter()

    def report(self, duration: float) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "ok": len(ordered),
            "errors": sum(self.errors.values()),
            "throughput_per_s": len(ordered) / duration,
            "latency_us": latency_summary(self.latencies),
            "errors_by_code": dict(sorted(self.errors.items())),
            "histogram_us": histogram(ordered),
        }


class Recorder:
    """What one run measured; operations outside the window only move the progress counter."""

    def __init__(self) -> None:
        self.operations: dict[str, Operation] = {}
        self.completed = 0
        self.fills = 0
        self.send_lag: array[int] = array("q")
        self.outstanding = 0
        self.max_outstanding = 0

    def operation(self, kind: str) -> Operation:
        found = self.operations.get(kind)
        if found is None:
            found = self.operations[kind] = Operation()
        return found

    def succeeded(self, kind: str, latency_ns: int, measured: bool) -> None:
        self.completed += 1
        if measured:
            self.operation(kind).latencies.append(latency_ns // 1000)

    def failed(self, kind: str, code: str, measured: bool) -> None:
        self.completed += 1
        if measured:
            self.operation(kind).errors[code] += 1


def error_code(error: grpc.aio.AioRpcError) -> str:
    """``STATUS`` or ``STATUS/REASON`` from the google.rpc.Status details of a failed call."""
    code = error.code().name
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return f"{code}/{info.reason}"
    return code


def rejection_code(rejection: errors_pb2.Rejection) -> str:
    return "REJECTED/" + errors_pb2.RejectReason.Name(rejection.reason).removeprefix("REJECT_REASON_")


# ---------------------------------------------------------------------- the server


class ServerProcess:
    """A paperex server of the tool's own: a subprocess on a free loopback port with a temporary journal."""

    def __init__(self, durability: str, admin_token: str, workdir: Path, profile: str = "") -> None:
        self.durability = durability
        self.admin_token = admin_token
        self.workdir = workdir
        self.profile = profile
        self.log_path = workdir / "server.log"
        self.process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    def command(self) -> list[str]:
        serve = ["-m", "server", "serve", "--port", "0", "--db", str(self.workdir / "journal.db")]
        serve += ["--admin-token", self.admin_token, "--durability", self.durability, "--order-rate", "0"]
        profiler = ["-m", "cProfile", "-o", self.profile] if self.profile else []
        return [sys.executable, *profiler, *serve]

    async def start(self) -> str:
        """Start and return ``host:port`` from the line ``paperex listening on HOST:PORT ...``."""
        log = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.command(), cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=log
            )
        finally:
            log.close()
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        with self.log_path.open("ab") as output:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    line = await asyncio.wait_for(stdout.readline(), max(remaining, 0.001))
                except TimeoutError:
                    line = b""
                output.write(line)
                if line.startswith(b"paperex listening on "):
                    address = line.split()[3].decode()
                    break
                if not line:
                    await self.stop()
                    raise RuntimeError(f"the server did not start; its output:\n{self.tail()}")
        self._drain = asyncio.get_running_loop().create_task(self._copy_output(stdout))
        return address

    async def _copy_output(self, stdout: asyncio.StreamReader) -> None:
        """Keep reading stdout so the server never blocks on a full pipe."""
        with self.log_path.open("ab") as output:
            while line := await stdout.readline():
                output.write(line)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process so far, from /proc (None where there is none)."""
        if self.process is None:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> int | None:
        """SIGINT (graceful: the server snapshots, closes its journal, and cProfile writes its file)."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), SERVER_STOP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._drain is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._drain, 5.0)
        return process.returncode


# ---------------------------------------------------------------------- setup


async def prepare(channel: grpc.aio.Channel, settings: Settings) -> list[Flow]:
    """Mark price, accounts, and the seeded book; returns one flow per account."""
    admin = admin_pb2_grpc.AdminStub(channel)
    auth = (("authorization", f"Bearer {settings.admin_token}"),)
    await admin.SetMarkPrice(admin_pb2.SetMarkPriceRequest(symbol=SYMBOL, price=price_text(MARK_TICKS)), metadata=auth)
    tag = f"load-{os.getpid()}-{time.time_ns() // 1_000_000 % 10**9}"

    async def open_account(name: str) -> Account:
        request = admin_pb2.CreateAccountRequest(name=name, initial_deposit=DEPOSIT)
        reply = await admin.CreateAccount(request, metadata=auth)
        return Account(reply.account_id, (("authorization", f"Bearer {reply.api_key}"),))

    accounts = await asyncio.gather(*(open_account(f"{tag}-{index}") for index in range(settings.accounts)))
    if settings.seed_levels:
        seeder = await open_account(f"{tag}-seeder")
        await seed_book(trading_pb2_grpc.TradingStub(channel), seeder, settings.seed_levels)
    return [Flow(account, settings, settings.seed * 1_000_003 + index) for index, account in enumerate(accounts)]


async def seed_book(trading: Any, seeder: Account, levels: int) -> None:
    """``trading`` is a TradingStub on an aio channel (the generated stub types describe the sync API)."""

    def limit(side: Any, ticks: int) -> trading_pb2.PlaceOrderRequest:
        return trading_pb2.PlaceOrderRequest(
            symbol=SYMBOL,
            side=side,
            order_type=common_pb2.ORDER_TYPE_LIMIT,
            time_in_force=common_pb2.TIME_IN_FORCE_GTC,
            quantity=lots_text(SEED_LOTS),
            price=price_text(ticks),
        )

    orders = [
        limit(side, MARK_TICKS + sign * level * SEED_STEP_TICKS)
        for level in range(1, levels + 1)
        for side, sign in ((common_pb2.SIDE_BUY, -1), (common_pb2.SIDE_SELL, 1))
    ]
    await asyncio.gather(*(trading.PlaceOrder(order, metadata=seeder.metadata) for order in orders))


# ---------------------------------------------------------------------- drivers


@dataclass(slots=True)
class Window:
    """Nanosecond times (perf_counter_ns) of one run: start, end of warm-up, end of measurement."""

    start: int
    measure: int
    end: int

    @classmethod
    def after(cls, warmup: float, duration: float) -> Window:
        start = time.perf_counter_ns()
        measure = start + round(warmup * 1e9)
        return cls(start, measure, measure + round(duration * 1e9))


class Driver:
    """Sends the flows' operations over the channels and records the answers in a ``Recorder``."""

    def __init__(self, channels: Sequence[grpc.aio.Channel], flows: Sequence[Flow], settings: Settings) -> None:
        self.settings = settings
        self.flows = flows
        self.stubs: list[Any] = [trading_pb2_grpc.TradingStub(channel) for channel in channels]
        """Typed Any: the generated stub types describe the sync API, these are on aio channels."""
        self.recorder = Recorder()
        self._turn = itertools.count()

    def next_flow(self) -> tuple[Flow, Any]:
        """Accounts round-robin, and channels round-robin across them."""
        turn = next(self._turn)
        return self.flows[turn % len(self.flows)], self.stubs[turn % len(self.stubs)]

    async def call(self, flow: Flow, stub: Any, kind: str, request: Any, start: int, measured: bool) -> None:
        """One unary call, timed from ``start`` (its send, or its intended send time in open loop)."""
        recorder = self.recorder
        method: Any
        if kind == CANCEL:
            method = stub.CancelOrder
        elif kind == CANCEL_ALL:
            method = stub.CancelAllOrders
        else:
            method = stub.PlaceOrder
        try:
            response = await method(request, metadata=flow.account.metadata, timeout=CALL_TIMEOUT_S)
        except grpc.aio.AioRpcError as error:
            recorder.failed(kind, error_code(error), measured)
            return
        recorder.succeeded(kind, time.perf_counter_ns() - start, measured)
        if kind in (PLACE, TAKE):
            flow.placed(response.order)
            if measured:
                recorder.fills += len(response.fills)

    async def unary(self, window: Window) -> None:
        """Closed loop: ``--in-flight`` workers, each sending its next call when the last is answered."""

        async def worker() -> None:
            perf_counter_ns = time.perf_counter_ns
            while (start := perf_counter_ns()) < window.end:
                flow, stub = self.next_flow()
                kind, request = flow.next()
                await self.call(flow, stub, kind, request, start, start >= window.measure)

        await asyncio.gather(*(worker() for _ in range(self.settings.in_flight)))

    async def open_loop(self, window: Window, rate: float) -> None:
        """Calls launched at ``window.start + k / rate``, whether or not earlier ones were answered.

        The event loop's timers wake up to a millisecond late, so the scheduler aims half of
        ``SCHEDULE_SLACK_NS`` early and a call may leave that much before its time; each call is
        timed from the later of its intended and its actual send, and the difference is ``send_lag``.
        """
        loop = asyncio.get_running_loop()
        recorder = self.recorder
        interval = 1e9 / rate
        slack = SCHEDULE_SLACK_NS // 2
        tasks: set[asyncio.Task[None]] = set()

        async def send(intended: int) -> None:
            flow, stub = self.next_flow()
            kind, request = flow.next()
            measured = intended >= window.measure
            sent = time.perf_counter_ns()
            if measured:
                recorder.send_lag.append((sent - intended) // 1000)
            recorder.outstanding += 1
            if recorder.outstanding > recorder.max_outstanding:
                recorder.max_outstanding = recorder.outstanding
            try:
                await self.call(flow, stub, kind, request, max(sent, intended), measured)
            finally:
                recorder.outstanding -= 1

        k = 0
        while (intended := window.start + round(k * interval)) < window.end:
            ahead = intended - time.perf_counter_ns()
            if ahead > slack:
                await asyncio.sleep((ahead - slack) / 1e9)
                continue
            task = loop.create_task(send(intended))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            k += 1
            if k % 64 == 0:
                await asyncio.sleep(0)  # far behind schedule: still let answers in between bursts
        if tasks:
            await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT_S)

    async def session(self, window: Window) -> None:
        """``--streams`` OrderSession streams, each on its own account, requests pipelined."""
        flows = self.flows
        await asyncio.gather(
            *(
                self._stream(flows[i % len(flows)], self.stubs[i % len(self.stubs)], window)
                for i in range(self.settings.streams)
            )
        )

    async def _stream(self, flow: Flow, stub: Any, window: Window) -> None:
        recorder = self.recorder
        size = self.settings.batch
        slots = asyncio.Semaphore(self.settings.window)
        sent: deque[tuple[int, str, list[str]]] = deque()
        call = stub.OrderSession(metadata=flow.account.metadata)

        async def read() -> None:
            perf_counter_ns = time.perf_counter_ns
            while (response := await call.read()) is not grpc.aio.EOF:
                start, correlation_id, kinds = sent.popleft()
                latency = perf_counter_ns() - start
                measured = start >= window.measure
                if response.correlation_id != correlation_id:
                    raise RuntimeError(f"answer {response.correlation_id!r} came for request {correlation_id!r}")
                if response.HasField("rejection"):
                    recorder.failed(BATCH, rejection_code(response.rejection), measured)
                    for kind in kinds:
                        recorder.failed(kind, rejection_code(response.rejection), measured)
                else:
                    recorder.succeeded(BATCH, latency, measured)
                    for kind, result in zip(kinds, response.results, strict=True):
                        if result.HasField("rejection"):
                            recorder.failed(kind, rejection_code(result.rejection), measured)
                            continue
                        recorder.succeeded(kind, latency, measured)
                        if kind in (PLACE, TAKE):
                            flow.placed(result.place_order.order)
                            if measured:
                                recorder.fills += len(result.place_order.fills)
                slots.release()

        reader = asyncio.get_running_loop().create_task(read())
        try:
            for number in itertools.count():
                await slots.acquire()
                if reader.done() or time.perf_counter_ns() >= window.end:
                    break
                kinds: list[str] = []
                commands: list[trading_pb2.OrderCommand] = []
                for _ in range(size):
                    kind, request = flow.next()
                    kinds.append(kind)
                    commands.append(trading_pb2.OrderCommand(**{SESSION_FIELDS[kind]: request}))
                start = time.perf_counter_ns()
                correlation_id = str(number)
                sent.append((start, correlation_id, kinds))
                await call.write(trading_pb2.OrderSessionRequest(correlation_id=correlation_id, commands=commands))
            await call.done_writing()
            await asyncio.wait_for(reader, DRAIN_TIMEOUT_S)
        except grpc.aio.AioRpcError as error:
            code = error_code(error)
            while sent:
                start, _, kinds = sent.popleft()
                recorder.failed(BATCH, code, start >= window.measure)
                for kind in kinds:
                    recorder.failed(kind, code, start >= window.measure)
        finally:
            reader.cancel()
            call.cancel()


# ---------------------------------------------------------------------- a run


def machine_cpu_seconds() -> float | None:
    """CPU time every process on the machine has used (user, nice, system, irq, softirq, steal), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if fields[:1] != ["cpu"] or len(fields) < 9:
        return None
    return sum(int(fields[i]) for i in (1, 2, 3, 6, 7, 8)) / os.sysconf("SC_CLK_TCK")


async def sample_cpu(server: ServerProcess | None, window: Window) -> dict[str, float | None]:
    """Client, server and whole-machine CPU (in cores) over the measurement window: the machine's
    figure shows what else ran meanwhile (client and server share the machine with anything else)."""

    async def until(when: int) -> None:
        ahead = when - time.perf_counter_ns()
        if ahead > 0:
            await asyncio.sleep(ahead / 1e9)

    def sample() -> tuple[float | None, ...]:
        return time.process_time(), server.cpu_seconds() if server else None, machine_cpu_seconds()

    await until(window.measure)
    before = sample()
    await until(window.end)
    after = sample()
    seconds = (window.end - window.measure) / 1e9
    client, server_cores, machine_cores = (
        None if start is None or stop is None else round((stop - start) / seconds, 3)
        for start, stop in zip(before, after, strict=True)
    )
    return {"client": client, "server": server_cores, "machine": machine_cores}


async def show_progress(recorder: Recorder, window: Window) -> None:
    """One line on stderr per second: phase, answers in the last second, errors so far."""
    last = 0
    while True:
        await asyncio.sleep(1.0)
        now = time.perf_counter_ns()
        phase = "warm-up" if now < window.measure else "measuring" if now < window.end else "draining"
        errors = sum(sum(op.errors.values()) for op in recorder.operations.values())
        done = recorder.completed
        print(
            f"\r{(now - window.start) / 1e9:6.1f} s {phase:<9} {done - last:>8,} answers/s  errors {errors:,}   ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        last = done


async def measure(
    driver: Driver, settings: Settings, server: ServerProcess | None, rate: float | None
) -> dict[str, Any]:
    """One run: warm-up, then the measured window, then the drain; returns the run's report."""
    driver.recorder = recorder = Recorder()
    window = Window.after(settings.warmup, settings.duration)
    cpu = asyncio.get_running_loop().create_task(sample_cpu(server, window))
    progress = asyncio.get_running_loop().create_task(show_progress(recorder, window)) if settings.progress else None
    try:
        if settings.mode == "unary":
            await driver.unary(window)
        elif settings.mode == "session":
            await driver.session(window)
        else:
            assert rate is not None
            await driver.open_loop(window, rate)
        cores = await cpu
    finally:
        cpu.cancel()
        if progress is not None:
            progress.cancel()
            print(file=sys.stderr)
    return run_report(recorder, settings, rate, cores)


def run_report(recorder: Recorder, settings: Settings, rate: float | None, cores: dict[str, Any]) -> dict[str, Any]:
    duration = settings.duration
    operations = {kind: recorder.operations[kind].report(duration) for kind in sorted(recorder.operations)}
    commands = {kind: op for kind, op in operations.items() if kind != BATCH}
    errors: Counter[str] = Counter()
    for op in commands.values():
        errors.update(op["errors_by_code"])
    ok = sum(op["ok"] for op in commands.values())
    return {
        "rate": rate,
        "warmup_s": settings.warmup,
        "duration_s": duration,
        "ok": ok,
        "errors": sum(errors.values()),
        "throughput_per_s": ok / duration,
        "errors_by_code": dict(sorted(errors.items())),
        "fills": recorder.fills,
        "client_cpu_cores": cores["client"],
        "server_cpu_cores": cores["server"],
        "machine_cpu_cores": cores["machine"],
        "max_outstanding": recorder.max_outstanding,
        "send_lag_us": latency_summary(recorder.send_lag),
        "operations": operations,
    }


async def run(settings: Settings, argv: Sequence[str]) -> dict[str, Any]:
    """Start (or reach) the server, set up, run each rate (or the one closed-loop run), report."""
    server: ServerProcess | None = None
    workdir = tempfile.TemporaryDirectory(prefix="paperex-load-")
    try:
        if settings.target:
            address = settings.target
        else:
            settings.admin_token = settings.admin_token or f"load-{os.urandom(8).hex()}"
            server = ServerProcess(
                settings.durability, settings.admin_token, Path(workdir.name), settings.profile_server
            )
            address = await server.start()
        channels = [grpc.aio.insecure_channel(address) for _ in range(settings.channels)]
        try:
            flows = await prepare(channels[0], settings)
            driver = Driver(channels, flows, settings)
            rates: list[float | None] = list(settings.rates) if settings.mode == "open-loop" else [None]
            runs = [await measure(driver, settings, server, rate) for rate in rates]
        finally:
            for channel in channels:
                await channel.close()
    finally:
        if server is not None:
            code = await server.stop()
            if code not in (0, None):
                print(f"the server exited with {code}; its output:\n{server.tail()}", file=sys.stderr)
        workdir.cleanup()
    return {
        "tool": "paperex grpc_load",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command_line(argv),
        "mode": settings.mode,
        "target": address,
        "own_server": server is not None,
        "durability": settings.durability,
        "settings": {key: value for key, value in asdict(settings).items() if key != "admin_token"},
        "machine": machine(),
        "included": INCLUDED,
        "server_profile": settings.profile_server or None,
        "runs": runs,
    }


# ---------------------------------------------------------------------- reporting


def command_line(argv: Sequence[str]) -> str:
    """The invocation, with an admin token masked."""
    shown = list(argv)
    for index, word in enumerate(shown[:-1]):
        if word == "--admin-token":
            shown[index + 1] = "***"
    return shlex.join(["python", "-m", "loadtest.grpc_load", *shown])


def _ms(micros: float | None) -> str:
    return "-" if micros is None else f"{micros / 1000:.2f}"


def describe(settings: Settings) -> str:
    if settings.mode == "unary":
        return f"unary closed loop, {settings.in_flight} in flight"
    if settings.mode == "session":
        return (
            f"OrderSession, {settings.streams} stream(s), {settings.batch} commands per request, "
            f"{settings.window} request(s) outstanding per stream"
        )
    return "unary open loop at " + ", ".join(f"{rate:,.0f}/s" for rate in settings.rates)


def human_report(report: dict[str, Any], settings: Settings) -> str:
    where = "own server" if report["own_server"] else "external server"
    cancels = (
        f"CancelAllOrders after every {settings.max_open} limit orders"
        if settings.cancel == "all"
        else f"cancel the oldest of {settings.max_open} resting orders by id"
    )
    lines = [
        f"paperex gRPC load: {describe(settings)}; {settings.accounts} accounts, {settings.channels} channel(s)",
        f"server: {report['target']} ({where}), durability {report['durability']}; {INCLUDED}",
        f"flow: take ratio {settings.take_ratio:g}, {cancels}, seeded book {settings.seed_levels} level(s) a side",
    ]
    for result in report["runs"]:
        rate = f" at {result['rate']:,.0f}/s" if result["rate"] is not None else ""
        server_cpu, client_cpu, machine_cpu = (
            "n/a" if result[key] is None else f"{result[key]:.2f}"
            for key in ("server_cpu_cores", "client_cpu_cores", "machine_cpu_cores")
        )
        lines += [
            "",
            f"run{rate}: {result['duration_s']:g} s measured after {result['warmup_s']:g} s warm-up; "
            f"{result['throughput_per_s']:,.0f} ok/s ({result['ok']:,} ok, {result['errors']:,} errors, "
            f"{result['fills']:,} fills); CPU cores: server {server_cpu}, client {client_cpu}, "
            f"whole machine {machine_cpu}",
            f"{'operation':<14}{'ok':>10}{'ok/s':>10}{'p50 ms':>9}{'p90':>8}{'p99':>8}{'p99.9':>8}{'max':>9}"
            f"{'errors':>8}",
        ]
        for kind, op in result["operations"].items():
            latency = op["latency_us"] or {}
            lines.append(
                f"{kind:<14}{op['ok']:>10,}{op['throughput_per_s']:>10,.0f}{_ms(latency.get('p50')):>9}"
                f"{_ms(latency.get('p90')):>8}{_ms(latency.get('p99')):>8}{_ms(latency.get('p99.9')):>8}"
                f"{_ms(latency.get('max')):>9}{op['errors']:>8,}"
            )
        if result["send_lag_us"]:
            lag = result["send_lag_us"]
            lines.append(
                f"client send lag behind schedule: p50 {_ms(lag['p50'])} ms, p99 {_ms(lag['p99'])} ms, "
                f"max {_ms(lag['max'])} ms; at most {result['max_outstanding']:,} calls outstanding"
            )
        errors = result["errors_by_code"]
        lines.append("errors: " + (", ".join(f"{code} {count:,}" for code, count in errors.items()) or "none"))
    info = report["machine"]
    lines += ["", "machine: " + ", ".join(f"{key}={value}" for key, value in info.items())]
    return "\n".join(lines)


def summary_line(report: dict[str, Any], result: dict[str, Any]) -> str:
    info = report["machine"]
    figures = [report["timestamp"], report["mode"]]
    if result["rate"] is not None:
        figures.append(f"rate={result['rate']:g}/s")
    figures.append(f"durability={report['durability']}")
    if report["server_profile"]:
        figures.append("server-under-cProfile")
    figures.append(f"ok={result['throughput_per_s']:,.0f}/s")
    for kind, op in result["operations"].items():
        latency = op["latency_us"]
        if latency:
            figures.append(
                f"{kind}:p50={_ms(latency['p50'])}ms,p99={_ms(latency['p99'])}ms,"
                f"p99.9={_ms(latency['p99.9'])}ms,max={_ms(latency['max'])}ms"
            )
    figures += [
        f"errors={result['errors']}",
        f"server_cpu={result['server_cpu_cores']}",
        f"client_cpu={result['client_cpu_cores']}",
        f"machine_cpu={result['machine_cpu_cores']}",
        f"cpus={info['cpu_count']}",
        f"{info['implementation']}-{info['python']}",
        f"platform={info['platform']}",
        f"cmd={shlex.quote(report['command'])}",
    ]
    return " ".join(figures)


def append_results(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as results:
        for result in report["runs"]:
            results.write(summary_line(report, result) + "\n")


def profile_report(path: str, top: int) -> str:
    """The server profile's top entries by cumulative and by own time."""
    text = io.StringIO()
    stats = pstats.Stats(path, stream=text)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    return text.getvalue()


# ---------------------------------------------------------------------- command line


class _Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in ("", None, False):
            return action.help
        return super()._get_help_string(action)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m loadtest.grpc_load",
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=_Defaults,
    )
    add = root.add_argument
    add("mode", choices=MODES)
    add("--target", default="", help="HOST:PORT of a running server (default: start one)")
    add("--admin-token", default="", help="the target's admin token (needed with --target)")
    add("--durability", default="", help="own server: strict, batched (default) or off; with --target: as stated")
    add("--accounts", type=int, default=32, help="accounts sending orders")
    add("--in-flight", type=int, default=64, help="unary: concurrent calls")
    add("--streams", type=int, default=2, help="session: streams, one account each")
    add("--batch", type=int, default=100, help="session: commands per request")
    add("--window", type=int, default=4, help="session: outstanding requests per stream")
    add("--rate", default="2000", help="open-loop: calls per second, or a comma-separated list of steps")
    add("--duration", type=float, default=10.0, help="measured seconds (per rate step)")
    add("--warmup", type=float, default=2.0, help="unmeasured seconds before each measurement")
    add("--take-ratio", type=float, default=0.05, help="share of market orders")
    add("--cancel", choices=("all", "oldest"), default="all", help="how an account bounds its resting orders")
    add("--max-open", type=int, default=20, help="limit orders per account before it cancels")
    add("--seed-levels", type=int, default=20, help="seeded book levels per side (0: none)")
    add("--seed", type=int, default=1, help="random seed of the order flows")
    add("--channels", type=int, default=1, help="gRPC channels (connections) the calls are spread over")
    add("--json", action="store_true", help="print the JSON report instead of the table")
    add("--results", default=str(RESULTS), help="file the one-line summaries are appended to ('' for none)")
    add("--profile-server", default="", help="own server: run it under cProfile writing this file")
    add("--profile-top", type=int, default=25, help="entries of the server profile to print")
    add("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress line (default: on a tty)")
    return root


def settings_from(argv: Sequence[str]) -> Settings:
    args = parser().parse_args(argv)
    fail = parser().error
    try:
        rates = [float(rate) for rate in args.rate.split(",")]
    except ValueError:
        fail(f"--rate: {args.rate!r} is not a number or a comma-separated list of numbers")
    if args.target and not args.admin_token:
        fail("--target needs --admin-token")
    if args.profile_server and args.target:
        fail("--profile-server profiles the tool's own server: not with --target")
    durability = args.durability or ("unknown" if args.target else "batched")
    if not args.target and durability not in ("strict", "batched", "off"):
        fail("--durability is strict, batched or off")
    if min(args.accounts, args.in_flight, args.streams, args.batch, args.window, args.channels, args.max_open) < 1:
        fail("--accounts, --in-flight, --streams, --batch, --window, --channels and --max-open must be >= 1")
    if args.duration <= 0 or args.warmup < 0 or min(rates) <= 0 or not 0 <= args.take_ratio <= 1:
        fail("--duration and --rate must be > 0, --warmup >= 0, --take-ratio in 0..1")
    return Settings(
        mode=args.mode,
        target=args.target,
        admin_token=args.admin_token,
        durability=durability,
        accounts=args.accounts,
        in_flight=args.in_flight,
        streams=args.streams,
        batch=args.batch,
        window=args.window,
        rates=rates,
        duration=args.duration,
        warmup=args.warmup,
        take_ratio=args.take_ratio,
        cancel=args.cancel,
        max_open=args.max_open,
        seed_levels=args.seed_levels,
        seed=args.seed,
        channels=args.channels,
        json=args.json,
        results=args.results,
        profile_server=str(Path(args.profile_server).resolve()) if args.profile_server else "",
        profile_top=args.profile_top,
        progress=sys.stderr.isatty() if args.progress is None else args.progress,
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = settings_from(argv)
    report = asyncio.run(run(settings, argv))
    if settings.results:
        append_results(report, Path(settings.results))
    print(json.dumps(report) if settings.json else human_report(report, settings))
    if settings.profile_server:
        if Path(settings.profile_server).is_file():
            print(
                profile_report(settings.profile_server, settings.profile_top),
                file=sys.stderr if settings.json else sys.stdout,
            )
        else:
            print(f"the server profile {settings.profile_server} was not written", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
