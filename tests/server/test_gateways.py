"""``paperex serve --gateways N`` over real processes: a sequencer process and gateway processes on
their own loopback ports (as the supervisor starts them, but each on a port of its own so that a test
picks which gateway it calls), real gRPC and real HTTP.

What must hold (``docs/architecture.md``, "Processes"): a command is answered by the gateway it was
sent to only once durable, and that gateway's queries reflect it at once (read-your-writes); every
gateway folds every batch, so another gateway shows it too and its streams carry it; a gateway killed
with SIGKILL loses no acknowledged order; while the sequencer is gone the gateways refuse with
UNAVAILABLE, and once it is started again they serve the recovered state.
"""

import asyncio
import hashlib
import hmac
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import grpc
import pytest

from paperex.server.persistence.journal import Durability, Journal
from paperex.v1 import account_pb2, admin_pb2, common_pb2, trading_pb2
from tests.server.conftest import ADMIN_TOKEN, Client, error_info
from tests.server.test_recovery import REPO, Trader, server_env, set_mark, within

DEADLINE = 60.0
"""Seconds a start or a wait may take before the test fails (never reached when things work)."""


async def _line(process: asyncio.subprocess.Process, prefix: str, log: Path) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + DEADLINE
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {prefix!r} line; log:\n{log.read_text()}"
        line = (await asyncio.wait_for(process.stdout.readline(), remaining)).decode()
        assert line, f"exited ({await process.wait()}); log:\n{log.read_text()}"
        if line.startswith(prefix):
            return line


@dataclass
class Role:
    """One process of the cluster, its log in a file."""

    arguments: list[str]
    log: Path
    process: asyncio.subprocess.Process | None = None
    grpc_address: str = ""
    rest_url: str = ""

    async def start(self) -> None:
        command = [sys.executable, "-m", "paperex.server", "serve", "--port", "0", "--admin-token", ADMIN_TOKEN]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command, *self.arguments, cwd=REPO, env=server_env(), stdout=asyncio.subprocess.PIPE, stderr=log
            )
        if "gateway" in self.arguments:
            self.grpc_address = (await _line(self.process, "paperex listening on", self.log)).split()[3]
            rest = await _line(self.process, "Binance", self.log)
            self.rest_url = rest.split(" on ")[1].split("/fapi")[0]
        else:
            await _line(self.process, "paperex sequencer ready", self.log)

    def signal(self, number: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, number)

    async def wait(self) -> int:
        assert self.process is not None
        return await within(self.process.wait(), DEADLINE)


@dataclass
class Cluster:
    db: Path
    socket: str
    sequencer: Role
    gateways: list[Role]
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def admin(self, gateway: int) -> Client:
        return Client(self.channels[gateway], ADMIN_TOKEN)

    def client(self, gateway: int, trader: Trader) -> Client:
        return Client(self.channels[gateway], trader.key)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    """A sequencer process and two gateways (with the Binance-compatible API), each on a port of its own."""
    db, socket = tmp_path / "journal.db", str(tmp_path / "sequencer.sock")
    common = ["--db", str(db), "--sequencer-socket", socket]
    sequencer = Role(["--role", "sequencer", *common, "--init"], tmp_path / "sequencer.log")
    gateways = [
        Role(["--role", "gateway", *common, "--binance-port", "0"], tmp_path / f"gateway{n}.log") for n in (1, 2)
    ]
    running = Cluster(db, socket, sequencer, gateways)
    try:
        await sequencer.start()
        sequencer.arguments.remove("--init")  # a restart recovers the journal
        for gateway in gateways:
            await gateway.start()
            running.channels.append(grpc.aio.insecure_channel(gateway.grpc_address))
        yield running
    finally:
        for channel in running.channels:
            await channel.close()
        for role in (*gateways, sequencer):
            if role.process is not None and role.process.returncode is None:
                role.signal(signal.SIGKILL)
                await role.process.wait()


def order(price: str, client_order_id: str, side: int = common_pb2.SIDE_BUY) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT",
        side=side,
        order_type=common_pb2.ORDER_TYPE_LIMIT,
        quantity="0.010",
        price=price,
        client_order_id=client_order_id,
    )


async def open_orders(client: Client) -> dict[str, int]:
    reply = await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=client.auth)
    return {o.client_order_id: o.order_id for o in reply.orders}


async def eventually_open(client: Client, expected: set[str]) -> None:
    """Another gateway shows a command once it has folded its batch (a new account's key with it):
    poll until it does."""

    async def poll() -> None:
        while True:
            try:
                if set(await open_orders(client)) == expected:
                    return
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error
            await asyncio.sleep(0.01)

    await within(poll(), DEADLINE)


async def rest(
    http: aiohttp.ClientSession, url: str, trader: Trader, secret: str, method: str, path: str, **params: str
) -> Any:
    """A signed call of the Binance-compatible API."""
    query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    async with http.request(
        method, f"{url}{path}?{query}&signature={signature}", headers={"X-MBX-APIKEY": trader.key}
    ) as response:
        body = await response.json()
        assert response.status == 200, body
        return body


async def trader_with_secret(admin: Client, name: str) -> tuple[Trader, str]:
    reply = await admin.admin.CreateAccount(
        admin_pb2.CreateAccountRequest(name=name, initial_deposit="100000"), metadata=admin.auth
    )
    return Trader(name, reply.account_id, reply.api_key), reply.api_secret


async def test_each_gateway_reads_its_own_writes_and_folds_the_others(cluster: Cluster) -> None:
    """gRPC and REST on both gateways: each call's own effect shows at once on the gateway that
    answered it (no polling), the other's once that gateway has folded the batch (polled)."""
    admin = cluster.admin(0)
    await set_mark(admin, "BTCUSDT", "64900")
    trader, secret = await trader_with_secret(admin, "alice")
    on_a, on_b = cluster.client(0, trader), cluster.client(1, trader)

    await on_a.trading.PlaceOrder(order("60000", "a1"), metadata=on_a.auth)
    assert set(await open_orders(on_a)) == {"a1"}
    await eventually_open(on_b, {"a1"})

    await on_b.trading.PlaceOrder(order("60001", "b1"), metadata=on_b.auth)
    assert set(await open_orders(on_b)) == {"a1", "b1"}
    await on_b.trading.CancelOrder(
        trading_pb2.CancelOrderRequest(symbol="BTCUSDT", client_order_id="a1"), metadata=on_b.auth
    )
    assert set(await open_orders(on_b)) == {"b1"}
    await eventually_open(on_a, {"b1"})

    async with aiohttp.ClientSession() as http:
        url_a, url_b = cluster.gateways[0].rest_url, cluster.gateways[1].rest_url
        placed = await rest(
            http, url_a, trader, secret, "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="LIMIT",
            timeInForce="GTC", quantity="0.010", price="60002", newClientOrderId="r1",
        )  # fmt: skip
        assert placed["status"] == "NEW"
        listed = await rest(http, url_a, trader, secret, "GET", "/fapi/v1/openOrders", symbol="BTCUSDT")
        assert {o["clientOrderId"] for o in listed} == {"b1", "r1"}
        await eventually_open(on_b, {"b1", "r1"})
        listed = await rest(http, url_b, trader, secret, "GET", "/fapi/v1/openOrders", symbol="BTCUSDT")
        assert {o["clientOrderId"] for o in listed} == {"b1", "r1"}


async def test_a_stream_on_one_gateway_carries_an_order_placed_through_the_other(cluster: Cluster) -> None:
    admin = cluster.admin(0)
    await set_mark(admin, "BTCUSDT", "64900")
    trader, _ = await trader_with_secret(admin, "bob")
    on_a, on_b = cluster.client(0, trader), cluster.client(1, trader)
    start = (await on_a.account.GetAccount(account_pb2.GetAccountRequest(), metadata=on_a.auth)).account.cursor
    stream = on_a.account.StreamUserEvents(account_pb2.StreamUserEventsRequest(resume_after=start), metadata=on_a.auth)
    await eventually_open(on_b, set())  # gateway B knows the new account's key

    placed = await on_b.trading.PlaceOrder(order("60000", "s1"), metadata=on_b.auth)

    message = await within(stream.read(), DEADLINE)
    stream.cancel()
    assert message.event.WhichOneof("event") == "order_accepted"
    assert message.event.order_accepted.order.order_id == placed.order.order_id
    assert message.event.order_accepted.order.client_order_id == "s1"


async def test_a_reset_through_one_gateway_resets_both(cluster: Cluster) -> None:
    """The account opened before Admin.Reset is gone on the gateway that reset (at once) and on the other
    (once it has the fresh state); a new account opened after it works on both."""
    admin = cluster.admin(0)
    await set_mark(admin, "BTCUSDT", "64900")
    old, _ = await trader_with_secret(admin, "frank")
    await eventually_open(cluster.client(1, old), set())

    await admin.admin.Reset(admin_pb2.ResetRequest(), metadata=admin.auth)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await open_orders(cluster.client(0, old))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED

    async def forgotten() -> None:
        while True:
            try:
                await open_orders(cluster.client(1, old))
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error
                return
            await asyncio.sleep(0.01)

    await within(forgotten(), DEADLINE)
    new, _ = await trader_with_secret(admin, "frank")  # the name is free again
    await set_mark(admin, "BTCUSDT", "64900")
    on_a = cluster.client(0, new)
    await on_a.trading.PlaceOrder(order("60000", "n1"), metadata=on_a.auth)
    await eventually_open(cluster.client(1, new), {"n1"})


async def test_a_gateway_killed_loses_no_acknowledged_order_and_the_other_serves(cluster: Cluster) -> None:
    """Orders sent through gateway A in concurrent tasks until A is killed with SIGKILL: every one it
    acknowledged is open on gateway B, which goes on taking orders."""
    admin = cluster.admin(1)
    await set_mark(admin, "BTCUSDT", "64900")
    trader, _ = await trader_with_secret(admin, "carol")
    on_a, on_b = cluster.client(0, trader), cluster.client(1, trader)
    await eventually_open(on_a, set())
    acknowledged: set[str] = set()
    enough = asyncio.Event()

    async def send(task: int) -> None:
        for number in range(1000):
            cid = f"k{task}-{number}"
            try:
                await on_a.trading.PlaceOrder(order(f"{50000 + number}", cid), metadata=on_a.auth)
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE, error
                return
            acknowledged.add(cid)
            if len(acknowledged) >= 40:
                enough.set()

    senders = [asyncio.ensure_future(send(task)) for task in range(4)]
    await within(enough.wait(), DEADLINE)
    cluster.gateways[0].signal(signal.SIGKILL)
    await within(asyncio.gather(*senders), DEADLINE)

    held = await open_orders(on_b)
    assert acknowledged <= set(held), sorted(acknowledged - set(held))[:5]
    await on_b.trading.PlaceOrder(order("49000", "after"), metadata=on_b.auth)
    assert "after" in await open_orders(on_b)


async def test_a_gateway_started_again_rebuilds_from_the_journal_what_it_serves(cluster: Cluster) -> None:
    """The sequencer keeps no read models: Admin.Snapshot through gateway B is made from the journal
    (stored at the sequence it answers, with the state hash it answers), and gateway B, killed and
    started again after one more order, rebuilds from that snapshot and the journal both orders and
    the order history (the cancelled one)."""
    admin = cluster.admin(1)
    await set_mark(admin, "BTCUSDT", "64900")
    trader, _ = await trader_with_secret(admin, "erin")
    on_a = cluster.client(0, trader)
    for cid in ("s1", "s2", "s3"):
        await on_a.trading.PlaceOrder(order("60000", cid), metadata=on_a.auth)
    await on_a.trading.CancelOrder(
        trading_pb2.CancelOrderRequest(symbol="BTCUSDT", client_order_id="s3"), metadata=on_a.auth
    )
    snapshot = await admin.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=admin.auth)
    await on_a.trading.PlaceOrder(order("60001", "s4"), metadata=on_a.auth)

    journal = Journal(cluster.db, Durability.OFF)
    try:
        stored, _ = journal.snapshot_at(snapshot.sequence)
    finally:
        journal.close()
    assert stored.state_hash == snapshot.state_hash
    b = cluster.gateways[1]
    b.signal(signal.SIGKILL)
    await b.wait()
    await b.start()
    cluster.channels[1] = grpc.aio.insecure_channel(b.grpc_address)
    on_b = cluster.client(1, trader)
    assert set(await open_orders(on_b)) == {"s1", "s2", "s4"}
    history = await on_b.trading.ListOrders(trading_pb2.ListOrdersRequest(symbol="BTCUSDT"), metadata=on_b.auth)
    statuses = {o.client_order_id: o.status for o in history.orders}
    assert statuses["s3"] == common_pb2.ORDER_STATUS_CANCELED
    assert set(statuses) == {"s1", "s2", "s3", "s4"}


async def test_without_the_sequencer_gateways_refuse_unavailable_until_it_is_back(cluster: Cluster) -> None:
    admin = cluster.admin(0)
    await set_mark(admin, "BTCUSDT", "64900")
    trader, _ = await trader_with_secret(admin, "dave")
    on_a = cluster.client(0, trader)
    await on_a.trading.PlaceOrder(order("60000", "before"), metadata=on_a.auth)
    cluster.sequencer.signal(signal.SIGKILL)
    await cluster.sequencer.wait()

    async def refused() -> grpc.aio.AioRpcError:
        while True:  # the gateway learns of it when its socket closes
            try:
                await on_a.trading.PlaceOrder(order("60001", "during"), metadata=on_a.auth)
            except grpc.aio.AioRpcError as error:
                return error
            await asyncio.sleep(0.01)

    error = await within(refused(), DEADLINE)
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert error_info(error).reason == "SHUTTING_DOWN"
    with pytest.raises(grpc.aio.AioRpcError) as query:
        await open_orders(on_a)
    assert query.value.code() == grpc.StatusCode.UNAVAILABLE

    await cluster.sequencer.start()  # recovers the journal; both gateways reconnect and resync

    async def served() -> None:
        while True:
            try:
                await on_a.trading.PlaceOrder(order("60002", "after"), metadata=on_a.auth)
                return
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE, error
            await asyncio.sleep(0.05)

    await within(served(), DEADLINE)
    held = set(await open_orders(on_a))
    assert {"before", "after"} <= held
    await eventually_open(cluster.client(1, trader), held)


async def _log_shows(log: Path, text: str, times: int) -> None:
    while log.read_text().count(text) < times:
        await asyncio.sleep(0.05)


async def test_the_supervisor_serves_on_one_port_and_starts_a_killed_gateway_again(tmp_path: Path) -> None:
    """``paperex serve --gateways 2``: one address for both gateways; a gateway killed with SIGKILL is
    started again (its pid changes) and the acknowledged order is still there; SIGTERM stops them all,
    each with a clean exit, and the sequencer's final snapshot is stored."""
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "paperex.server", "serve", "--port", "0", "--db", str(tmp_path / "j.db")]
    command += ["--admin-token", ADMIN_TOKEN, "--gateways", "2", "--binance", "off"]
    with log.open("ab") as stderr:
        supervisor = await asyncio.create_subprocess_exec(
            *command, cwd=REPO, env=server_env(), stdout=asyncio.subprocess.PIPE, stderr=stderr
        )
    try:
        line = await _line(supervisor, "paperex listening on", log)
        assert "(2 gateways, 1 sequencer)" in line
        await within(_log_shows(log, "gateway 2 started (pid", 1), DEADLINE)
        first_pid = int(log.read_text().split("gateway 1 started (pid ")[1].split(")")[0])
        async with grpc.aio.insecure_channel(line.split()[3]) as channel:
            admin = Client(channel, ADMIN_TOKEN)
            await set_mark(admin, "BTCUSDT", "64900")
            trader, _ = await trader_with_secret(admin, "erin")
            client = Client(channel, trader.key)
            await client.trading.PlaceOrder(order("60000", "kept"), metadata=client.auth)

            os.kill(first_pid, signal.SIGKILL)
            await within(_log_shows(log, "gateway 1 started (pid", 2), DEADLINE)

            async def listed() -> set[str]:
                while True:  # this channel's connection may have been the killed gateway's
                    try:
                        return set(await open_orders(client))
                    except grpc.aio.AioRpcError as error:
                        assert error.code() == grpc.StatusCode.UNAVAILABLE, error
                    await asyncio.sleep(0.05)

            assert await within(listed(), DEADLINE) == {"kept"}
        second_pid = int(log.read_text().split("gateway 1 started (pid ")[2].split(")")[0])
        assert second_pid != first_pid
        supervisor.send_signal(signal.SIGTERM)
        assert await within(supervisor.wait(), DEADLINE) == 0
        assert not Path(f"/proc/{second_pid}").exists()
        assert "Fatal Python error" not in log.read_text()  # no process aborted on its way out
        journal = Journal(tmp_path / "j.db", Durability.OFF)
        try:  # the sequencer's final snapshot, made by the checkpoint helper, is of the last command
            assert journal.snapshot_sequences()[0] == journal.last_sequence()
        finally:
            journal.close()
    finally:
        if supervisor.returncode is None:
            supervisor.kill()
            await supervisor.wait()
