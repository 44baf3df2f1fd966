"""How calls are scheduled, whatever answers them: closed loop, open loop, and pipelined streams.

The schedules know nothing of paperex: a ``Workload`` (paperex's order flow, or the echo baseline)
says what the next unary call is and how a stream's requests and answers look, so the baseline is
measured by exactly the code that measures paperex.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import grpc

from loadtest.grpc_load.codes import error_code
from loadtest.grpc_load.flow import BATCH
from loadtest.grpc_load.stats import Recorder

CALL_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 60.0
"""How long answers to operations started in the window are awaited after it ends."""
SCHEDULE_SLACK_NS = 1_000_000
"""Open loop: the event loop's timer granularity (epoll waits in whole milliseconds)."""


@dataclass(slots=True)
class Window:
    """Nanosecond times (perf_counter_ns, CLOCK_MONOTONIC: the same in every process of the machine)
    of one run: start, end of warm-up, end of measurement."""

    start: int
    measure: int
    end: int

    @classmethod
    def at(cls, start: int, warmup: float, duration: float) -> Window:
        measure = start + round(warmup * 1e9)
        return cls(start, measure, measure + round(duration * 1e9))


@dataclass(slots=True)
class Call:
    """One unary operation: its kind, the aio multicallable, the request and the caller's metadata."""

    kind: str
    method: Any
    request: Any
    metadata: tuple[tuple[str, str], ...]
    answered: Callable[[str, Any], int] | None = None
    """Told of the reply; returns the fills it reports."""


class SessionCodec(Protocol):
    """One pipelined stream's requests and answers."""

    def open(self) -> Any:
        """Start the stream call."""

    def request(self, number: int) -> tuple[Any, list[str]]:
        """Request ``number`` and the kinds of the commands it carries."""

    def decode(self, reply: Any, number: int, kinds: list[str]) -> tuple[str | None, list[str | None], int]:
        """The whole request's failure code (or None), each command's (None: ok), and the fills."""


class Workload(Protocol):
    def next_call(self) -> Call: ...

    def session(self, index: int) -> SessionCodec: ...


class Driver:
    """Sends a workload's operations on a schedule and records the answers in a ``Recorder``."""

    def __init__(self, workload: Workload, recorder: Recorder) -> None:
        self.workload = workload
        self.recorder = recorder

    async def call(self, start: int, measured: bool) -> None:
        """One unary call, timed from ``start`` (its send, or its intended send time in open loop)."""
        recorder = self.recorder
        call = self.workload.next_call()
        try:
            reply = await call.method(call.request, metadata=call.metadata, timeout=CALL_TIMEOUT_S)
        except grpc.aio.AioRpcError as error:
            recorder.failed(call.kind, error_code(error), time.perf_counter_ns(), measured)
            return
        recorder.succeeded(call.kind, start, time.perf_counter_ns(), measured)
        if call.answered is not None:
            fills = call.answered(call.kind, reply)
            if measured:
                recorder.fills += fills

    async def closed_loop(self, window: Window, tasks: int) -> None:
        """``tasks`` loops, each sending its next call when the last is answered."""

        async def loop() -> None:
            perf_counter_ns = time.perf_counter_ns
            while (start := perf_counter_ns()) < window.end:
                await self.call(start, start >= window.measure)

        await asyncio.gather(*(loop() for _ in range(tasks)))

    async def open_loop(self, window: Window, rate: float, stride: int = 1, offset: int = 0) -> None:
        """Calls launched at ``window.start + (k * stride + offset) / rate``, answered or not.

        ``stride`` workers share the rate, each taking every ``stride``-th slot from ``offset``, so
        together they send evenly. The event loop's timers wake up to a millisecond late, so the
        scheduler aims half of ``SCHEDULE_SLACK_NS`` early and a call may leave that much before its
        time; each call is timed from the later of its intended and its actual send, and the
        difference is ``send_lag``.
        """
        loop = asyncio.get_running_loop()
        recorder = self.recorder
        interval = 1e9 / rate
        slack = SCHEDULE_SLACK_NS // 2
        tasks: set[asyncio.Task[None]] = set()

        async def send(intended: int) -> None:
            measured = intended >= window.measure
            sent = time.perf_counter_ns()
            if measured:
                recorder.send_lag.append((sent - intended) // 1000)
            recorder.outstanding += 1
            if recorder.outstanding > recorder.max_outstanding:
                recorder.max_outstanding = recorder.outstanding
            try:
                await self.call(max(sent, intended), measured)
            finally:
                recorder.outstanding -= 1

        k = 0
        while (intended := window.start + round((k * stride + offset) * interval)) < window.end:
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

    async def sessions(self, window: Window, streams: Sequence[int], depth: int) -> None:
        """One pipelined stream per index in ``streams``, at most ``depth`` requests outstanding on each."""
        await asyncio.gather(*(self._stream(self.workload.session(index), window, depth) for index in streams))

    async def _stream(self, codec: SessionCodec, window: Window, depth: int) -> None:
        recorder = self.recorder
        slots = asyncio.Semaphore(depth)
        sent: deque[tuple[int, int, list[str]]] = deque()
        call = codec.open()

        def record(start: int, kinds: list[str], batch_code: str | None, codes: Sequence[str | None]) -> None:
            now = time.perf_counter_ns()
            measured = start >= window.measure
            if batch_code is None:
                recorder.succeeded(BATCH, start, now, measured, counted=False)
            else:
                recorder.failed(BATCH, batch_code, now, measured, counted=False)
            for kind, code in zip(kinds, codes, strict=True):
                if code is None:
                    recorder.succeeded(kind, start, now, measured)
                else:
                    recorder.failed(kind, code, now, measured)

        async def read() -> None:
            while (reply := await call.read()) is not grpc.aio.EOF:
                start, number, kinds = sent.popleft()
                batch_code, codes, fills = codec.decode(reply, number, kinds)
                record(start, kinds, batch_code, codes if batch_code is None else [batch_code] * len(kinds))
                if start >= window.measure:
                    recorder.fills += fills
                slots.release()

        reader = asyncio.get_running_loop().create_task(read())
        try:
            for number in itertools.count():
                await slots.acquire()
                if reader.done() or time.perf_counter_ns() >= window.end:
                    break
                message, kinds = codec.request(number)
                sent.append((time.perf_counter_ns(), number, kinds))
                await call.write(message)
            await call.done_writing()
            await asyncio.wait_for(reader, DRAIN_TIMEOUT_S)
        except grpc.aio.AioRpcError as error:
            code = error_code(error)
            while sent:
                start, _, kinds = sent.popleft()
                record(start, kinds, code, [code] * len(kinds))
        finally:
            reader.cancel()
            call.cancel()
