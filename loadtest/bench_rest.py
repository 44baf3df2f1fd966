"""Order placement over the Binance-compatible REST API against gRPC unary, on one connection each.

Run ``python -m loadtest.bench_rest [--orders N] [--rounds N]``.

A ``paperex serve`` subprocess (a temporary journal, ``--durability``, admission limits off) and one
client here: each round places ``--orders`` orders one after the other (each waits for its answer)
over one keep-alive HTTP connection, signed as the venue asks, then as many over one gRPC channel with
unary PlaceOrder. The orders are IOC buys far below an empty book, so each takes the whole place path
(parse, admission, margin check, journal, answer) and leaves nothing behind. Rounds alternate, so both
see the same machine; the figures are the median over rounds, and the ratio is REST over gRPC.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import grpc

from paperex.server.binance_api.signing import signature
from paperex.server.persistence.journal import Durability
from paperex.v1 import admin_pb2, admin_pb2_grpc, common_pb2, trading_pb2, trading_pb2_grpc

ADMIN_TOKEN = "admin_bench_rest"
LISTENING = re.compile(rb"paperex listening on (\S+)")
REST = re.compile(rb"compatible REST API on (http://\S+)/fapi")


async def start_server(db: Path, durability: str) -> tuple[asyncio.subprocess.Process, str, str]:
    """The server process, its gRPC address and its REST base URL (from its startup lines)."""
    command = [sys.executable, "-m", "paperex.server", "serve", "--port", "0", "--db", str(db)]
    command += ["--durability", durability]
    command += ["--admin-token", ADMIN_TOKEN, "--order-rate", "0", "--command-rate", "0", "--query-rate", "0"]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert process.stdout is not None
    address = base = ""
    while not (address and base):
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if not line:
            raise SystemExit(f"the server exited ({await process.wait()})")
        if found := LISTENING.search(line):
            address = found.group(1).decode()
        if found := REST.search(line):
            base = found.group(1).decode()
    return process, address, base


async def rest_round(http: aiohttp.ClientSession, base: str, key: str, secret: str, orders: int) -> float:
    started = time.perf_counter()
    for _ in range(orders):
        form = urlencode(
            {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC", "quantity": "0.002"}
            | {"price": "60000", "timestamp": str(time.time_ns() // 1_000_000)}
        )
        body = f"{form}&signature={signature(secret, form)}"
        headers = {"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"}
        async with http.post(f"{base}/fapi/v1/order", data=body, headers=headers) as reply:
            assert reply.status == 200, await reply.text()
            await reply.read()
    return orders / (time.perf_counter() - started)


async def grpc_round(trading: trading_pb2_grpc.TradingStub, key: str, orders: int) -> float:
    request = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT",
        side=common_pb2.SIDE_BUY,
        order_type=common_pb2.ORDER_TYPE_LIMIT,
        time_in_force=common_pb2.TIME_IN_FORCE_IOC,
        quantity="0.002",
        price="60000",
    )
    metadata = [("authorization", f"Bearer {key}")]
    started = time.perf_counter()
    for _ in range(orders):
        await trading.PlaceOrder(request, metadata=metadata)
    return orders / (time.perf_counter() - started)


async def bench(orders: int, rounds: int, durability: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        process, address, base = await start_server(Path(folder) / "journal.db", durability)
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                admin = admin_pb2_grpc.AdminStub(channel)
                reply = await admin.CreateAccount(
                    admin_pb2.CreateAccountRequest(name="bench", initial_deposit="1000000"),
                    metadata=[("authorization", f"Bearer {ADMIN_TOKEN}")],
                )
                await admin.SetMarkPrice(
                    admin_pb2.SetMarkPriceRequest(symbol="BTCUSDT", price="61000"),
                    metadata=[("authorization", f"Bearer {ADMIN_TOKEN}")],
                )
                trading = trading_pb2_grpc.TradingStub(channel)
                connector = aiohttp.TCPConnector(limit=1)
                async with aiohttp.ClientSession(connector=connector) as http:
                    await rest_round(http, base, reply.api_key, reply.api_secret, orders // 10 or 1)  # warm-up
                    await grpc_round(trading, reply.api_key, orders // 10 or 1)
                    rest, unary = [], []
                    for _ in range(rounds):
                        rest.append(await rest_round(http, base, reply.api_key, reply.api_secret, orders))
                        unary.append(await grpc_round(trading, reply.api_key, orders))
        finally:
            process.terminate()
            await process.wait()
    print(f"orders per round {orders}, rounds {rounds}, durability {durability}, one connection each, one in flight")
    for name, rates in (("REST  POST /fapi/v1/order", rest), ("gRPC  PlaceOrder (unary) ", unary)):
        print(f"{name}: median {statistics.median(rates):,.0f} orders/s (min {min(rates):,.0f}, max {max(rates):,.0f})")
    print(f"REST / gRPC: {statistics.median(rest) / statistics.median(unary):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per round and API (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, alternating the APIs (default %(default)s)")
    parser.add_argument("--durability", choices=[d.value for d in Durability], default=Durability.BATCHED.value)
    args = parser.parse_args()
    asyncio.run(bench(args.orders, args.rounds, args.durability))


if __name__ == "__main__":
    main()
