"""The client side of a run, spread over ``--workers`` processes so one Python process is not the limit.

Each worker is the same coroutine, ``run_worker``: it opens its own channels and its own bot
accounts, says it is ready, waits for the common start time, then runs its share of the schedule
(in-flight loops, streams, subscribers; in open loop every ``workers``-th send slot, so together they
send evenly at the full rate) and returns its exact samples. With one worker it runs on the parent's
own event loop; with more, each in a process started with ``spawn`` (a fork would inherit gRPC's
threads). The parent merges the records: latencies are concatenated, counts added, so percentiles
stay exact. Progress counters and the start signal travel through a small shared-memory ``Board``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
import traceback
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import grpc

from loadtest.grpc_load.drive import Driver, Window, Workload
from loadtest.grpc_load.echo import EchoWorkload
from loadtest.grpc_load.flow import DEPOSIT, Centre, Flow, Mix
from loadtest.grpc_load.paperex import PaperexWorkload, WireSizes, account_tag, follow_mark, mark_ticks, open_accounts
from loadtest.grpc_load.settings import Settings, share
from loadtest.grpc_load.stats import Recorder
from loadtest.grpc_load.subscribers import Delivery, follow_book

READY_TIMEOUT_S = 120.0
START_DELAY_NS = 50_000_000
"""The common start is this far after the last worker is ready, so every worker sees it in time."""
PUBLISH_EVERY_S = 0.2
_CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What worker ``index`` of ``workers`` runs against ``address``: paperex, or the echo when ``echo`` is set."""

    index: int
    workers: int
    address: str
    admin_token: str
    settings: Settings
    rate: float | None
    echo: WireSizes | None = None
    follow_market: bool = False

    def part(self, total: int) -> int:
        return share(total, self.index, self.workers)


@dataclass(slots=True)
class WorkerResult:
    recorder: Recorder
    delivery: Delivery

    def merge(self, other: WorkerResult) -> None:
        self.recorder.merge(other.recorder)
        self.delivery.merge(other.delivery)


class Board:
    """Shared counters: the start time (0 until the parent sets it), then per worker ready, answers, errors."""

    def __init__(self, workers: int, raw: Any = None) -> None:
        self.workers = workers
        self.raw = raw if raw is not None else _CONTEXT.RawArray("q", 1 + 3 * workers)

    def ready(self, index: int) -> None:
        self.raw[1 + 3 * index] = 1

    def all_ready(self) -> bool:
        return all(self.raw[1 + 3 * index] for index in range(self.workers))

    def go(self, start_ns: int) -> None:
        self.raw[0] = start_ns

    async def started(self) -> int:
        """Wait for the common start time (once the parent has set it, until it comes) and return it."""
        while not self.raw[0]:
            await asyncio.sleep(0.005)
        start = int(self.raw[0])
        await asyncio.sleep(max(0, start - time.perf_counter_ns()) / 1e9)
        return start

    def publish(self, index: int, completed: int, errors: int) -> None:
        self.raw[2 + 3 * index] = completed
        self.raw[3 + 3 * index] = errors

    def totals(self) -> tuple[int, int]:
        """Answers and errors so far over every worker."""
        cells = self.raw[:]
        return sum(cells[2::3]), sum(cells[3::3])


async def _workload(spec: WorkerSpec, channels: Sequence[grpc.aio.Channel], centre: Centre) -> Workload:
    """The echo's calls, or this worker's bots: its own accounts, each with its own flow."""
    settings = spec.settings
    if spec.echo is not None:
        return EchoWorkload(channels, spec.echo)
    tag = account_tag(f"bot{spec.index}")
    names = [f"{tag}-{number}" for number in range(spec.part(settings.accounts))]
    accounts = await open_accounts(channels[0], spec.admin_token, names, DEPOSIT)
    mix = Mix.parse(settings.mix)
    first_seed = settings.seed * 1_000_003 + spec.index * 10_007
    flows = [
        Flow(account, mix, settings.cancel, settings.max_open, first_seed + number, centre)
        for number, account in enumerate(accounts)
    ]
    return PaperexWorkload(channels, flows, settings.batch)


def _schedule(driver: Driver, spec: WorkerSpec, window: Window) -> Awaitable[None]:
    settings = spec.settings
    if settings.mode == "unary":
        return driver.closed_loop(window, spec.part(settings.in_flight))
    if settings.mode == "session":
        return driver.sessions(window, range(spec.part(settings.streams)), settings.window)
    assert spec.rate is not None
    return driver.open_loop(window, spec.rate, spec.workers, spec.index)


async def run_worker(spec: WorkerSpec, board: Board) -> WorkerResult:
    """Set up, wait for the common start, run this worker's share of the run, return its samples."""
    settings = spec.settings
    channels = [grpc.aio.insecure_channel(spec.address) for _ in range(settings.channels)]
    feed = grpc.aio.insecure_channel(spec.address)  # subscribers and price follower, apart from the order flow
    try:
        centre = Centre()
        workload = await _workload(spec, channels, centre)
        if spec.follow_market:
            centre.ticks = await mark_ticks(feed)
        board.ready(spec.index)
        start = await board.started()
        window = Window.at(start, settings.warmup, settings.duration)
        recorder = Recorder(start)
        delivery = Delivery(spec.part(settings.subscribers) if spec.echo is None else 0)
        background = [
            asyncio.ensure_future(follow_book(feed, window, delivery, slot)) for slot in range(len(delivery.updates))
        ]
        if spec.follow_market:
            background.append(asyncio.ensure_future(follow_mark(feed, centre, window.end)))
        publisher = asyncio.ensure_future(_publish(board, spec.index, recorder))
        try:
            await _schedule(Driver(workload, recorder), spec, window)
            await asyncio.gather(*background)
        finally:
            for task in (*background, publisher):
                task.cancel()
            board.publish(spec.index, recorder.completed, recorder.errors)
        return WorkerResult(recorder, delivery)
    finally:
        for channel in (*channels, feed):
            await channel.close()


async def _publish(board: Board, index: int, recorder: Recorder) -> None:
    while True:
        board.publish(index, recorder.completed, recorder.errors)
        await asyncio.sleep(PUBLISH_EVERY_S)


def _child(spec: WorkerSpec, raw: Any, connection: Connection) -> None:
    """A worker process's entry: the result, or the traceback, goes back over ``connection``."""
    try:
        result = asyncio.run(run_worker(spec, Board(spec.workers, raw)))
    except BaseException:
        connection.send(("error", traceback.format_exc()))
    else:
        connection.send(("ok", result))
    connection.close()


class Crew:
    """Runs the workers of one run: ``start`` returns the common start time, ``finish`` the merged samples."""

    def __init__(self, specs: Sequence[WorkerSpec]) -> None:
        self.specs = specs
        self.board = Board(len(specs))
        self._task: asyncio.Task[WorkerResult] | None = None
        self._children: list[tuple[Any, Connection]] = []

    @property
    def pids(self) -> list[int]:
        """The processes doing the client's work: the parent and its worker processes."""
        return [os.getpid(), *(process.pid for process, _ in self._children)]

    async def __aenter__(self) -> Crew:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop whatever still runs (after a failure)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        for process, connection in self._children:
            if process.is_alive():
                process.terminate()
            process.join()
            connection.close()

    async def start(self) -> int:
        if len(self.specs) == 1:
            self._task = asyncio.get_running_loop().create_task(run_worker(self.specs[0], self.board))
        else:
            for spec in self.specs:
                receiver, sender = _CONTEXT.Pipe(duplex=False)
                process = _CONTEXT.Process(target=_child, args=(spec, self.board.raw, sender), daemon=True)
                process.start()
                sender.close()
                self._children.append((process, receiver))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.board.all_ready():
            self._raise_if_failed()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers were not ready after {READY_TIMEOUT_S:g} s")
            await asyncio.sleep(0.01)
        start = time.perf_counter_ns() + START_DELAY_NS
        self.board.go(start)
        return start

    def _raise_if_failed(self) -> None:
        if self._task is not None and self._task.done():
            self._task.result()
        for index, (process, connection) in enumerate(self._children):
            if connection.poll() or not process.is_alive():
                _receive(index, connection)

    async def finish(self) -> WorkerResult:
        if self._task is not None:
            return await self._task
        results = await asyncio.gather(
            *(asyncio.to_thread(_receive, index, connection) for index, (_, connection) in enumerate(self._children))
        )
        merged = results[0]
        for result in results[1:]:
            merged.merge(result)
        return merged


def _receive(index: int, connection: Connection) -> WorkerResult:
    try:
        status, payload = connection.recv()
    except EOFError:
        raise RuntimeError(f"worker {index} died without a result") from None
    if status != "ok":
        raise RuntimeError(f"worker {index} failed:\n{payload}")
    result: WorkerResult = payload
    return result
