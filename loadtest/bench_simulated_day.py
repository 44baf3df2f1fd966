"""How fast a simulated day runs: a server on a simulated clock, a library scenario with the liquidity
provider and its taker flow, and one Admin.AdvanceTime over the whole day at the scenario's step (1 s):
feed steps for every instrument, re-quotes, taker market orders, funding at 00/08/16h, all journaled
(durability batched).

    python -m loadtest.bench_simulated_day [--scenario calm] [--hours 24] [--liquidity on|off] [--takers on|off]
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import grpc
from google.protobuf import duration_pb2

from loadtest.record import record
from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.v1 import admin_pb2, admin_pb2_grpc

TOKEN = "bench"


async def run(scenario: str, hours: float, liquidity: bool, takers: bool = True) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as folder:
        config = ServerConfig(
            port=0,
            db=str(Path(folder) / "day.db"),
            admin_token=TOKEN,
            clock="simulated",
            liquidity=liquidity,
            takers=takers,
            scenario=scenario,
        )
        server = ExchangeServer(config)
        port = await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                admin = admin_pb2_grpc.AdminStub(channel)
                span = duration_pb2.Duration()
                span.FromSeconds(int(hours * 3600))
                started = time.perf_counter()
                reply = await admin.AdvanceTime(
                    admin_pb2.AdvanceTimeRequest(duration=span),
                    metadata=[("authorization", f"Bearer {TOKEN}")],
                    timeout=3600,
                )
                elapsed = time.perf_counter() - started
        finally:
            await server.stop()
    return elapsed, reply.steps, reply.sequence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="calm")
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--liquidity", choices=["on", "off"], default="on")
    parser.add_argument("--takers", choices=["on", "off"], default="on")
    args = parser.parse_args()
    elapsed, steps, sequence = asyncio.run(run(args.scenario, args.hours, args.liquidity == "on", args.takers == "on"))
    record(
        "simulated_day",
        f"simulated {args.hours:g} h of {args.scenario} (liquidity {args.liquidity}, takers {args.takers}): "
        f"{elapsed:.1f} s wall, {steps:,} steps, {sequence:,} commands",
    )


if __name__ == "__main__":
    main()
