"""Order-book stream subscribers while orders flow: delivery latency, updates per second, gaps and cuts.

Each subscriber reads MarketData.StreamOrderBook(BTCUSDT): a snapshot, then updates, each starting
right after the previous one (anything else is a gap). A reader that falls behind gets its backlog
merged by the server into one message covering several sequence numbers: it counts as that many
updates, and its latency is its last update's (how stale the reader's book was). Delivery latency is
the client's wall clock (``time.time_ns()``) when an update is read minus the update's ``time``
field. That field is engine time, which on the server's wall clock is the server's
``time.time_ns()`` when its sequencer took the command that changed the book; client and server run
on one machine and read the same clock, so the difference covers applying the command, the journal
write, the fan-out and the transport (and the client's own queueing). It is meaningless against a
simulated clock. A negative difference (the clock stepped) counts as 0.

A subscriber the server cuts (RESOURCE_EXHAUSTED with reason SLOW_CONSUMER, or any other end) is
counted under its code and subscribes again for a fresh snapshot while the run lasts.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc

from loadtest.grpc_load.codes import error_code
from loadtest.grpc_load.drive import Window
from loadtest.grpc_load.flow import SYMBOL
from loadtest.grpc_load.stats import Operation, spread
from paperex.v1 import market_data_pb2, market_data_pb2_grpc

SLOW_CONSUMER = "RESOURCE_EXHAUSTED/SLOW_CONSUMER"
ENDED = "ENDED"
"""The server ended the stream without an error."""
RESUBSCRIBE_PAUSE_S = 0.1
"""Pause before subscribing again after an end other than a cut (e.g. the server is unavailable)."""
TARGET_P99_US = 5_000
"""The target: p99 delivery within 5 ms (50 subscribers at 500 updates/s each)."""


class Delivery:
    """What one worker's subscribers received in the measured window."""

    def __init__(self, subscribers: int) -> None:
        self.received = Operation()
        """Delivery latencies (us) and stream ends by code."""
        self.updates = [0] * subscribers
        """Updates each subscriber read in the window."""
        self.gaps = 0

    def merge(self, other: Delivery) -> None:
        self.received.merge(other.received)
        self.updates += other.updates
        self.gaps += other.gaps

    def report(self, duration: float) -> dict[str, Any] | None:
        """The subscribers' figures, or None when there were none."""
        if not self.updates:
            return None
        received = self.received.report(duration)
        latency = received["latency_us"]
        return {
            "count": len(self.updates),
            "updates": received["ok"],
            "updates_per_s_per_subscriber": spread([count / duration for count in self.updates]),
            "delivery_latency_us": latency,
            "histogram_us": received["histogram_us"],
            "gaps": self.gaps,
            "cut": received["errors_by_code"].get(SLOW_CONSUMER, 0),
            "ended_by_code": received["errors_by_code"],
            "p99_within_5ms": None if latency is None else latency["p99"] <= TARGET_P99_US,
        }


async def follow_book(channel: grpc.aio.Channel, window: Window, delivery: Delivery, slot: int) -> None:
    """Subscriber ``slot``: read the book stream until the window ends, subscribing again after a cut."""
    stub: Any = market_data_pb2_grpc.MarketDataStub(channel)
    while (remaining := window.end - time.perf_counter_ns()) > 0:
        try:
            code = await asyncio.wait_for(_read(stub, window, delivery, slot), remaining / 1e9)
        except TimeoutError:
            return
        if code != SLOW_CONSUMER:
            await asyncio.sleep(RESUBSCRIBE_PAUSE_S)


async def _read(stub: Any, window: Window, delivery: Delivery, slot: int) -> str:
    """One subscription, until it ends; returns (and counts) the code it ended with."""
    call = stub.StreamOrderBook(market_data_pb2.StreamOrderBookRequest(symbol=SYMBOL))
    received = delivery.received
    latencies = received.latencies
    expected = 0
    try:
        while (message := await call.read()) is not grpc.aio.EOF:
            if message.HasField("snapshot"):
                expected = message.snapshot.sequence + 1
                continue
            wall = time.time_ns()
            now = time.perf_counter_ns()
            update = message.update
            first = update.first_sequence or update.sequence  # the server merges a reader's backlog
            if first != expected:
                delivery.gaps += 1
            expected = update.sequence + 1
            if window.measure <= now < window.end:
                delivery.updates[slot] += update.sequence - first + 1
                stamp = update.time.seconds * 1_000_000_000 + update.time.nanos
                latencies.append(max(0, wall - stamp) // 1000)
        code = ENDED
    except grpc.aio.AioRpcError as error:
        code = error_code(error)
    finally:
        call.cancel()
    if window.measure <= time.perf_counter_ns() < window.end:
        received.errors[code] += 1
    return code
