"""A finished order's client id answers an identical retry for 60 s of the exchange's running time:
time the server was down does not count, so a request whose answer a crash swallowed can be retried
after a restart without placing the order twice. The ``Resume`` command that says so is journaled,
so a replay of the journal rebuilds the same state."""

from pathlib import Path

import grpc

from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.v1 import account_pb2, common_pb2
from tests.server.conftest import ADMIN_TOKEN, Client, btc_order, config
from tests.server.test_recovery import Running, crash_image, open_trader, set_mark

START_NS = 1_767_225_600 * 10**9
MINUTE_NS = 60 * 10**9


class ManualClock:
    """A wall clock (not simulated) that reads what the test sets."""

    simulated = False

    def __init__(self, ns: int) -> None:
        self.ns = ns

    def now(self) -> int:
        return self.ns


async def start_at(settings: ServerConfig, clock: ManualClock) -> Running:
    server = ExchangeServer(settings, clock=clock)
    port = await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return Running(server, channel, Client(channel, ADMIN_TOKEN))


async def position_size(client: Client) -> str:
    reply = await client.account.ListPositions(account_pb2.ListPositionsRequest(), metadata=client.auth)
    return "|".join(position.size for position in reply.positions)


async def test_a_retry_after_a_ten_minute_outage_returns_the_original_order(tmp_path: Path) -> None:
    """The maker offers 0.020 BTC at 64,900; the taker buys 0.010 at market as "once" (filled, so its id
    is only remembered for retries). Ten minutes later, after a restart, the identical request returns
    the original order and the position stays 0.010. The window counts running time only: 61 s after
    the restart the id is free again and the same request is a new order (position 0.020)."""
    clock = ManualClock(START_NS)
    running = await start_at(config(tmp_path), clock)
    try:
        await set_mark(running.admin, "BTCUSDT", "64900")
        maker = running.client(await open_trader(running.admin, "maker", "100000"))
        taker_account = await open_trader(running.admin, "taker", "100000")
        taker = running.client(taker_account)
        await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.020", "64900.0"), metadata=maker.auth)
        request = btc_order(common_pb2.SIDE_BUY, "0.010")
        request.client_order_id = "once"
        original = await taker.trading.PlaceOrder(request, metadata=taker.auth)
        assert original.order.status == common_pb2.ORDER_STATUS_FILLED
    finally:
        await running.stop()

    clock.ns += 10 * MINUTE_NS
    restarted = await start_at(config(tmp_path), clock)
    try:
        taker = restarted.client(taker_account)
        retried = await taker.trading.PlaceOrder(request, metadata=taker.auth)
        assert retried.duplicate
        assert retried.order.order_id == original.order.order_id
        assert await position_size(taker) == "0.010"

        clock.ns += MINUTE_NS + 10**9
        later = await taker.trading.PlaceOrder(request, metadata=taker.auth)
        assert not later.duplicate
        assert later.order.order_id > original.order.order_id
        assert await position_size(taker) == "0.020"
        sequence, state_hash = restarted.sequence, restarted.state_hash
        crash_image(tmp_path / "journal.db", tmp_path / "image.db")  # before the stop's snapshot
    finally:
        await restarted.stop()

    replayed = await start_at(config(tmp_path, db=str(tmp_path / "image.db")), clock)
    try:
        assert (replayed.sequence, replayed.state_hash) == (sequence, state_hash)
    finally:
        await replayed.stop()
