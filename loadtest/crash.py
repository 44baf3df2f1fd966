"""``python -m loadtest crash --rounds N``: kill -9 the server under load, restart it, and check that it
lost no acknowledged order.

Each round drives orders from a few concurrent clients (limit orders around the mark, so many cross
and fill) against a paperex subprocess on one journal, kills it with SIGKILL at a random moment,
restarts it on the same journal and reconciles: every order the server acknowledged (as the clients
recorded it) must be there under its client order id, with the same order id and at least the filled
quantity its acknowledgement showed. Calls the kill cut off have no known outcome and are not
checked. The last server is stopped with SIGINT. Exit code 1 when anything was lost.

    python -m loadtest crash --rounds 20 [--clients 4] [--durability batched] [--max-seconds 2] [--seed 1]
"""

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc

from loadtest.grpc_load.paperex import Account, Metadata, bearer, open_accounts
from loadtest.grpc_load.servers import PAPEREX_READY, ChildServer, paperex_command
from paperex.v1 import admin_pb2, admin_pb2_grpc, common_pb2, trading_pb2, trading_pb2_grpc

TOKEN = "crash-admin"
SYMBOL = "BTCUSDT"
MARK = Decimal(64900)
LOOKUPS_AT_ONCE = 64


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What the server answered for one order: its id and the quantity filled by then."""

    account: int
    order_id: int
    filled: Decimal


@dataclass(slots=True)
class Round:
    acknowledged: dict[str, Acknowledged] = field(default_factory=dict)
    """client_order_id -> the acknowledgement."""
    fills: int = 0
    refused: int = 0
    lost: list[str] = field(default_factory=list)


def lost_orders(acknowledged: dict[str, Acknowledged], found: dict[str, tuple[int, Decimal] | None]) -> list[str]:
    """What the restart lost: each acknowledged order absent, under another id, or filled less.

    >>> ack = {"a": Acknowledged(0, 7, Decimal("0.002")), "b": Acknowledged(0, 8, Decimal(0))}
    >>> lost_orders(ack, {"a": (7, Decimal("0.002")), "b": (8, Decimal("0.001"))})
    []
    >>> lost_orders(ack, {"a": (7, Decimal("0.001")), "b": None})
    ['a: filled 0.001, acknowledged 0.002', 'b: missing']
    """
    lost = []
    for cid, ack in acknowledged.items():
        seen = found.get(cid)
        if seen is None:
            lost.append(f"{cid}: missing")
        elif seen[0] != ack.order_id:
            lost.append(f"{cid}: order id {seen[0]}, acknowledged {ack.order_id}")
        elif seen[1] < ack.filled:
            lost.append(f"{cid}: filled {seen[1]}, acknowledged {ack.filled}")
    return lost


def order_request(rng: random.Random, client_order_id: str) -> trading_pb2.PlaceOrderRequest:
    """A GTC limit order of 0.002-0.006 BTC (above the 100 USDT minimum notional) within 0.2% of 64,900
    (both sides: many cross)."""
    side = rng.choice((common_pb2.SIDE_BUY, common_pb2.SIDE_SELL))
    price = (MARK * (1 + Decimal(rng.randint(-20, 20)) / 10_000)).quantize(Decimal("0.1"))
    return trading_pb2.PlaceOrderRequest(
        symbol=SYMBOL,
        side=side,
        order_type=common_pb2.ORDER_TYPE_LIMIT,
        quantity=str(Decimal(rng.randint(2, 6)) / 1000),
        price=str(price),
        client_order_id=client_order_id,
    )


async def drive(address: str, accounts: Sequence[Account], number: int, rng: random.Random) -> Round:
    """Orders from each account in a loop until the server goes away; what it acknowledged."""
    result = Round()

    async def client(index: int, stub: Any, auth: Metadata) -> None:
        """Ends when the kill cuts a call off (UNAVAILABLE); a refusal (margin, open-order cap) is skipped."""
        for sequence in range(10**9):
            cid = f"r{number}-c{index}-{sequence}"
            try:
                if sequence % 50 == 49:  # keep the open orders under the venue's cap
                    await stub.CancelAllOrders(trading_pb2.CancelAllOrdersRequest(symbol=SYMBOL), metadata=auth)
                reply = await stub.PlaceOrder(order_request(rng, cid), metadata=auth)
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.UNAVAILABLE:
                    return
                result.refused += 1
                continue
            filled = Decimal(reply.order.filled_quantity or 0)
            result.acknowledged[cid] = Acknowledged(index, reply.order.order_id, filled)
            result.fills += len(reply.fills)

    async with grpc.aio.insecure_channel(address) as channel:
        stub = trading_pb2_grpc.TradingStub(channel)
        await asyncio.gather(*(client(index, stub, account.metadata) for index, account in enumerate(accounts)))
    return result


async def reconcile(address: str, accounts: Sequence[Account], result: Round) -> None:
    """Look every acknowledged order up on the restarted server and record what it lost."""
    found: dict[str, tuple[int, Decimal] | None] = {}
    limit = asyncio.Semaphore(LOOKUPS_AT_ONCE)
    async with grpc.aio.insecure_channel(address) as channel:
        stub: Any = trading_pb2_grpc.TradingStub(channel)

        async def look_up(cid: str, ack: Acknowledged) -> None:
            request = trading_pb2.GetOrderRequest(symbol=SYMBOL, client_order_id=cid)
            async with limit:
                try:
                    order = (await stub.GetOrder(request, metadata=accounts[ack.account].metadata)).order
                except grpc.aio.AioRpcError as error:
                    if error.code() != grpc.StatusCode.NOT_FOUND:
                        raise
                    found[cid] = None
                    return
            found[cid] = (order.order_id, Decimal(order.filled_quantity or 0))

        await asyncio.gather(*(look_up(cid, ack) for cid, ack in result.acknowledged.items()))
    result.lost = lost_orders(result.acknowledged, found)


async def prepare(address: str, clients: int) -> list[Account]:
    async with grpc.aio.insecure_channel(address) as channel:
        admin: Any = admin_pb2_grpc.AdminStub(channel)
        await admin.SetMarkPrice(admin_pb2.SetMarkPriceRequest(symbol=SYMBOL, price=str(MARK)), metadata=bearer(TOKEN))
        names = [f"crash-{index}" for index in range(clients)]
        return await open_accounts(channel, TOKEN, names, "10000000")


async def run(args: argparse.Namespace, folder: Path) -> int:
    rng = random.Random(args.seed)
    db = folder / "journal.db"
    command = paperex_command(db, TOKEN, args.durability, extra=["--liquidity", "off"])
    server = ChildServer("paperex", command, PAPEREX_READY, folder / "server.log")
    address = await server.start()
    accounts = await prepare(address, args.clients)
    totals = Round()
    for number in range(1, args.rounds + 1):
        driving = asyncio.create_task(drive(address, accounts, number, rng))
        after = rng.uniform(0.05, args.max_seconds)
        await asyncio.sleep(after)  # the random moment of the kill
        os.kill(server.pid, signal.SIGKILL)
        assert server.process is not None
        await server.process.wait()
        result = await driving
        started = time.perf_counter()
        server = ChildServer("paperex", command, PAPEREX_READY, folder / "server.log")
        address = await server.start()
        restart = time.perf_counter() - started
        await reconcile(address, accounts, result)
        print(
            f"round {number}: killed after {after:.2f} s, {len(result.acknowledged):,} acknowledged orders, "
            f"{result.fills:,} fills, {result.refused} refused, restarted in {restart:.2f} s, {len(result.lost)} lost",
            flush=True,
        )
        for line in result.lost:
            print(f"  lost {line}", flush=True)
        totals.acknowledged.update(result.acknowledged)
        totals.fills += result.fills
        totals.lost += result.lost
    code = await server.stop_or_explain()
    print(
        f"{args.rounds} rounds, {len(totals.acknowledged):,} acknowledged orders, {totals.fills:,} fills, "
        f"{len(totals.lost)} lost (durability {args.durability})"
    )
    return 1 if totals.lost or code != 0 else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest crash", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients, one account each")
    parser.add_argument("--durability", choices=["batched", "strict", "off"], default="batched")
    parser.add_argument("--max-seconds", type=float, default=2.0, help="the kill comes 0.05 s to this after the load")
    parser.add_argument("--seed", type=int, default=1, help="order flow and kill moments")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="paperex-crash-") as folder:
        return asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
