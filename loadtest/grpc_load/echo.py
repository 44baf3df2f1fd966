"""The transport baseline: a trivial grpc.aio echo service that answers with paperex's wire sizes.

Run in the same run as paperex, with the same client settings (mode, in-flight calls, rate, streams,
batch, window, channels, workers), it measures what grpc.aio alone costs on this machine, so every
report can state paperex as a ratio of that ceiling. The service needs no .proto: generic handlers
with no serializers pass bytes through. ``Unary`` answers one request; ``Session`` (bidirectional)
answers each request on the stream, like OrderSession. A request starts with an 8-byte header (the
size of the answer wanted, and the request's number) and is padded to the size of a paperex
PlaceOrder request (or an OrderSession request of ``--batch`` of them); the answer is that header
padded to the size of a PlaceOrder answer (or of the OrderSession answer). The client sends one
prebuilt payload, so it does not pay paperex's per-call protobuf building either: this is the raw
ceiling.

The server is a process of its own, like paperex's: ``python -m loadtest.grpc_load.echo --port 0``
prints ``echo listening on HOST:PORT`` and stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc

from loadtest.grpc_load.drive import Call
from loadtest.grpc_load.paperex import WireSizes
from paperex.server.grpc_api.event_loop import event_loop_factory

SERVICE = "paperex.loadtest.Echo"
UNARY_PATH = f"/{SERVICE}/Unary"
SESSION_PATH = f"/{SERVICE}/Session"
ECHO = "echo"
HEADER_BYTES = 8
READY_PREFIX = "echo listening on "
STOP_GRACE_S = 1.0


def payload(size: int, reply_size: int, number: int = 0) -> bytes:
    """A request of ``size`` bytes (at least the header) asking for an answer of ``reply_size`` bytes.

    >>> payload(10, 3, 1)
    b'\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x01\\x00\\x00'
    """
    return (reply_size.to_bytes(4, "big") + number.to_bytes(4, "big")).ljust(size, b"\0")


def answer(request: bytes) -> bytes:
    """The request's header (as much of it as fits) padded to the answer size it asks for.

    >>> answer(payload(10, 3, 1)), len(answer(payload(10, 300, 1)))
    (b'\\x00\\x00\\x00', 300)
    """
    size = int.from_bytes(request[:4], "big")
    return request[: min(size, HEADER_BYTES)].ljust(size, b"\0")


def request_number(reply: bytes) -> int:
    return int.from_bytes(reply[4:HEADER_BYTES], "big")


async def _unary(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    return answer(request)


async def _session(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[bytes, bytes]
) -> AsyncIterator[bytes]:
    async for request in requests:
        yield answer(request)


def handler() -> grpc.GenericRpcHandler:
    """The echo service's methods, bytes in and bytes out."""
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Unary": grpc.unary_unary_rpc_method_handler(_unary),
            "Session": grpc.stream_stream_rpc_method_handler(_session),
        },
    )


async def serve(host: str, port: int) -> None:
    """Listen (port 0: a free one), print the address, answer until SIGINT or SIGTERM."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((handler(),))
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    print(f"{READY_PREFIX}{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(STOP_GRACE_S)


class EchoWorkload:
    """The echo calls the baseline sends instead of the bots' operations, channels round-robin."""

    def __init__(self, channels: Sequence[grpc.aio.Channel], sizes: WireSizes) -> None:
        self.channels = channels
        self.sizes = sizes
        self.methods: list[Any] = [channel.unary_unary(UNARY_PATH) for channel in channels]
        self.request = payload(sizes.request, sizes.reply)
        self._turn = itertools.count()

    def next_call(self) -> Call:
        method = self.methods[next(self._turn) % len(self.methods)]
        return Call(ECHO, method, self.request, (), self.answered)

    def answered(self, kind: str, reply: bytes) -> int:
        if len(reply) != self.sizes.reply:
            raise RuntimeError(f"the echo answered {len(reply)} bytes, not {self.sizes.reply}")
        return 0

    def session(self, index: int) -> EchoSessionCodec:
        return EchoSessionCodec(self.channels[index % len(self.channels)], self.sizes)


class EchoSessionCodec:
    """Echo stream requests the size of an OrderSession batch; each answer checked by number and size."""

    def __init__(self, channel: grpc.aio.Channel, sizes: WireSizes) -> None:
        self.method: Any = channel.stream_stream(SESSION_PATH)
        self.sizes = sizes

    def open(self) -> Any:
        return self.method()

    def request(self, number: int) -> tuple[bytes, list[str]]:
        return payload(self.sizes.batch_request, self.sizes.batch_reply, number), [ECHO] * self.sizes.batch

    def decode(self, reply: bytes, number: int, kinds: list[str]) -> tuple[str | None, list[str | None], int]:
        if len(reply) != self.sizes.batch_reply or request_number(reply) != number:
            raise RuntimeError(f"echo answer of {len(reply)} bytes for request {request_number(reply)}, not {number}")
        return None, [None] * len(kinds), 0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest.grpc_load.echo", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:  # the loop paperex runs on
        runner.run(serve(args.host, args.port))


if __name__ == "__main__":
    main(sys.argv[1:])
