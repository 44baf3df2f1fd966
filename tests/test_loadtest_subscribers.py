"""Order-book subscribers: gap detection on a made-up stream, and gap-free delivery on a real one."""

import asyncio
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from loadtest.grpc_load.drive import Window
from loadtest.grpc_load.subscribers import ENDED, Delivery, follow_book
from paperex.v1 import market_data_pb2
from tests.test_grpc_load import run_tool


class FakeStream:
    """A StreamOrderBook call that plays ``messages`` then ends, or with None, stays silent."""

    def __init__(self, messages: list[market_data_pb2.StreamOrderBookResponse] | None) -> None:
        self.messages = messages

    async def read(self) -> Any:
        if self.messages is None:
            await asyncio.Event().wait()
        return self.messages.pop(0) if self.messages else grpc.aio.EOF

    def cancel(self) -> None:
        pass


class FakeStub:
    """Plays each of ``streams`` on one subscription; later subscriptions stay silent."""

    def __init__(self, *streams: list[market_data_pb2.StreamOrderBookResponse]) -> None:
        self.streams = list(streams)

    def StreamOrderBook(self, request: market_data_pb2.StreamOrderBookRequest) -> FakeStream:  # noqa: N802
        return FakeStream(self.streams.pop(0) if self.streams else None)


def book(sequence: int) -> market_data_pb2.StreamOrderBookResponse:
    return market_data_pb2.StreamOrderBookResponse(snapshot=market_data_pb2.OrderBook(sequence=sequence))


def update(sequence: int, stamp_ns: int) -> market_data_pb2.StreamOrderBookResponse:
    message = market_data_pb2.StreamOrderBookResponse(update=market_data_pb2.OrderBookUpdate(sequence=sequence))
    message.update.time.FromNanoseconds(stamp_ns)
    return message


async def test_a_subscriber_counts_a_gap_times_each_update_and_subscribes_again_after_an_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = time.time_ns()
    # first subscription: snapshot 5, then 6, 7 and 9 (8 is missing); the second starts afresh at 20
    stub = FakeStub([book(5), update(6, now), update(7, now), update(9, now)], [book(20), update(21, now)])
    monkeypatch.setattr("loadtest.grpc_load.subscribers.market_data_pb2_grpc.MarketDataStub", lambda channel: stub)
    monkeypatch.setattr("loadtest.grpc_load.subscribers.RESUBSCRIBE_PAUSE_S", 0.0)
    start = time.perf_counter_ns()
    delivery = Delivery(1)
    await follow_book(None, Window.at(start, 0.0, 0.5), delivery, 0)  # type: ignore[arg-type]
    assert delivery.gaps == 1
    assert delivery.updates == [4]
    assert len(delivery.received.latencies) == 4 and min(delivery.received.latencies) >= 0
    assert delivery.received.errors == {ENDED: 2}  # both ended; the third stayed silent to the end


def test_subscribers_read_every_update_in_sequence_while_orders_flow(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["unary", "--duration", "1", "--warmup", "0.3", "--in-flight", "4", "--accounts", "4"]
    report = run_tool(capsys, tmp_path / "grpc.txt", *args, "--subscribers", "4", "--no-baseline")
    (run,) = report["runs"]
    subscribers = run["subscribers"]
    assert subscribers["count"] == 4
    assert subscribers["gaps"] == 0
    assert subscribers["cut"] == 0 and subscribers["ended_by_code"] == {}
    assert subscribers["updates_per_s_per_subscriber"]["min"] > 0
    latency = subscribers["delivery_latency_us"]
    assert latency["p50"] <= latency["p99"] <= latency["p99.9"] <= latency["max"]
    assert sum(count for _, _, count in subscribers["histogram_us"]) == subscribers["updates"]
    assert subscribers["p99_within_5ms"] == (latency["p99"] <= 5000)
