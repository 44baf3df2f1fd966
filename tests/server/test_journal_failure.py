"""A journal write that fails (disk full, I/O error) stops the exchange at once and acknowledges
nothing it did not write: the waiting caller, later callers and queries are all refused
UNAVAILABLE/JOURNAL_FAILED, and a restart shows exactly what was acknowledged before the fault."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import grpc
import pytest

from paperex.server.wire.errors import Refused
from paperex.v1 import account_pb2, common_pb2, trading_pb2
from tests.server.conftest import btc_order, error_info, serving

HANG_GUARD = 20.0
"""Seconds a call may take before the test fails (a hang guard, never reached when things work)."""


def disk_full(rows: list[tuple[int, str]]) -> None:
    raise sqlite3.OperationalError("database or disk is full")


async def test_a_failed_journal_write_refuses_its_caller_and_everything_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(tmp_path) as exchange:
        await exchange.set_mark("BTCUSDT", "64900")
        alice = await exchange.open_account("alice")
        kept = btc_order(common_pb2.SIDE_BUY, "0.010", "64000.0")
        kept.client_order_id = "kept"
        await alice.trading.PlaceOrder(kept, metadata=alice.auth)
        sequencer = exchange.server.sequencer
        assert sequencer is not None and exchange.server.journal is not None
        acknowledged = sequencer.exchange.sequence
        monkeypatch.setattr(exchange.server.journal, "append", disk_full)

        lost = btc_order(common_pb2.SIDE_BUY, "0.010", "63000.0")
        lost.client_order_id = "lost"
        calls = [
            alice.trading.PlaceOrder(lost, metadata=alice.auth, timeout=HANG_GUARD),  # the batch that fails
            alice.trading.PlaceOrder(lost, metadata=alice.auth, timeout=HANG_GUARD),  # after the fault
            alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth, timeout=HANG_GUARD),
        ]
        for call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, refused.value.details()
            info = error_info(refused.value)
            assert info.reason == "JOURNAL_FAILED"
            assert info.metadata["acknowledged_sequence"] == str(acknowledged)
            assert "database or disk is full" in refused.value.details()
        assert sequencer.failed.is_set()  # `paperex serve` stops on it (exit code 1)

    async with serving(tmp_path) as restarted:
        assert restarted.server.sequencer is not None
        assert restarted.server.sequencer.exchange.sequence == acknowledged
        alice = type(alice)(restarted.channel, alice.key)
        open_orders = await alice.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=alice.auth)
        assert [order.client_order_id for order in open_orders.orders] == ["kept"]


async def test_a_query_waiting_for_the_failed_batch_is_refused_not_left_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query that reaches ``settled`` while the batch's write is still running waits for that write;
    when it fails, the query is refused like every later call (it once waited forever)."""
    writing, release = threading.Event(), threading.Event()

    def slow_disk_full(rows: list[tuple[int, str]]) -> None:
        writing.set()
        release.wait(HANG_GUARD)
        disk_full(rows)

    async with serving(tmp_path) as exchange:
        await exchange.set_mark("BTCUSDT", "64900")
        alice = await exchange.open_account("alice")
        sequencer = exchange.server.sequencer
        assert sequencer is not None and exchange.server.journal is not None
        monkeypatch.setattr(exchange.server.journal, "append", slow_disk_full)
        place = alice.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "63000.0"), metadata=alice.auth)
        await asyncio.get_running_loop().run_in_executor(None, writing.wait, HANG_GUARD)
        query = asyncio.create_task(sequencer.settled())
        await asyncio.sleep(0)  # the task runs up to its wait on the batch being written
        release.set()
        with pytest.raises(Refused) as refused:
            await asyncio.wait_for(query, HANG_GUARD)
        assert refused.value.reason == "JOURNAL_FAILED"
        with pytest.raises(grpc.aio.AioRpcError):
            await place
