"""The journal's format version: written when a journal is created, brought up to date when an older
journal is opened (keeping its snapshots), and a journal of a newer format refuses the start in one line."""

import contextlib
import sqlite3
from pathlib import Path

from paperex.server.core.exchange import Exchange
from paperex.server.core.sequencer import recover
from paperex.server.core.snapshot_schema import decode_exchange
from paperex.server.persistence.journal import FORMAT_SETTING, FORMAT_VERSION, Durability, Journal
from tests.server.conftest import config
from tests.server.test_journal_safety import deposits, refusal
from tests.server.test_recovery import open_trader, start


def format_row(db: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        row = connection.execute("SELECT value FROM settings WHERE key = ?", (FORMAT_SETTING,)).fetchone()
    return str(row[0]) if row else None


def test_a_new_journal_records_the_format_it_is_written_in(tmp_path: Path) -> None:
    Journal(tmp_path / "journal.db", Durability.OFF).close()
    assert format_row(tmp_path / "journal.db") == "2"


def test_a_journal_of_a_newer_format_refuses_the_start_and_is_left_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    Journal(db, Durability.OFF).close()
    with contextlib.closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE settings SET value = '3' WHERE key = ?", (FORMAT_SETTING,))
    line = refusal(db)
    assert line.strip() == (
        f"paperex: the journal {db} is format version 3; this version of paperex reads versions up to 2: "
        "start it with a newer paperex"
    )
    assert format_row(db) == "3"


async def test_a_format_1_journal_is_upgraded_and_its_snapshot_still_serves(tmp_path: Path) -> None:
    """Format 1 had no version row and recorded the engine's hash alone: the upgrade marks that hash,
    recovery checks the snapshot against its engine and starts from it (never from an empty exchange),
    and the state is the one the server left."""
    running = await start(config(tmp_path))
    try:
        trader = await open_trader(running.admin, "t", "100")
        await deposits(running, trader.account_id, 3)
        expected = (running.sequence, running.state_hash)
    finally:
        await running.stop()  # its final snapshot is at the last command
    db = tmp_path / "journal.db"
    with contextlib.closing(sqlite3.connect(db)) as connection, connection:
        (state,) = connection.execute("SELECT state FROM snapshots").fetchone()
        engine_hash = decode_exchange(state).engine.state_hash()
        connection.execute("UPDATE snapshots SET state_hash = ?", (engine_hash,))
        connection.execute("DELETE FROM settings WHERE key = ?", (FORMAT_SETTING,))

    def no_snapshot() -> Exchange:
        raise AssertionError("recovery passed over the format 1 snapshot")

    journal = Journal(db, Durability.OFF)
    try:
        recovered = recover(journal, no_snapshot)
        assert (recovered.sequence, recovered.state_hash()) == expected
        snapshot = journal.latest_snapshot()
        assert snapshot is not None and snapshot.state_hash == f"engine:{engine_hash}"
    finally:
        journal.close()
    assert format_row(db) == str(FORMAT_VERSION)
