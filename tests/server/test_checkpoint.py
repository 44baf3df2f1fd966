"""Automatic snapshots made by the helper process: exact, from the journal alone, never a pause."""

from functools import partial
from pathlib import Path

import pytest

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.server.core.checkpoint import Checkpointer, write_checkpoint
from paperex.server.core.exchange import Exchange
from paperex.server.persistence.journal import Durability, Journal
from paperex.v1 import admin_pb2
from tests.server.conftest import config
from tests.server.test_recovery import open_trader, set_mark, snapshot_sequences, start


async def test_the_helper_stores_the_snapshot_at_the_requested_sequence_with_the_live_state_hash(
    tmp_path: Path,
) -> None:
    running = await start(config(tmp_path, snapshot_every=12))
    try:
        trader = await open_trader(running.admin, "saver", "1000")
        await set_mark(running.admin, "BTCUSDT", "64900")
        while running.sequence < 12:  # one command per batch: the request comes at exactly 12
            deposit = admin_pb2.DepositRequest(account_id=trader.account_id, amount="1")
            await running.admin.admin.Deposit(deposit, metadata=running.admin.auth)
        assert running.server.checkpointer is not None
        await running.server.checkpointer.wait()
        live_hash = running.state_hash
        journal = Journal(tmp_path / "journal.db", Durability.OFF)
        try:
            snapshot = journal.latest_snapshot()
        finally:
            journal.close()
    finally:
        await running.stop()
    assert snapshot is not None
    assert (snapshot.sequence, snapshot.state_hash) == (12, live_hash)


def test_a_helper_asked_beyond_the_journal_stores_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "journal.db")
    Journal(db, Durability.OFF).close()
    with pytest.raises(RuntimeError, match="journal ends at 0, before 5"):
        write_checkpoint(db, Durability.OFF, partial(Exchange, DEFAULT_INSTRUMENTS), 5, 0)
    assert snapshot_sequences(tmp_path / "journal.db") == []


async def test_cancel_stops_a_running_helper(tmp_path: Path) -> None:
    db = str(tmp_path / "journal.db")
    Journal(db, Durability.OFF).close()
    checkpointer = Checkpointer(db, Durability.OFF, partial(Exchange, DEFAULT_INSTRUMENTS))
    checkpointer.request(1, 0)
    assert checkpointer.running
    checkpointer.cancel()
    assert not checkpointer.running
    await checkpointer.wait()  # nothing left to wait for
