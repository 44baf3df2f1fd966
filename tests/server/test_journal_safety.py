"""What the server refuses to trust in a journal, and what it recovers from (the README's durability promise).

One writer per journal; a snapshot helper that outlives its server, or a reset, cannot put an old
snapshot back; an edited command refuses the start and names the row; a damaged snapshot falls back to
an earlier one or to the journal's start; a journal that lost acknowledged commands, or a new journal
where one existed, refuses the start unless asked for with --init. Refusals are checked through the
real ``python -m paperex.server serve``: one line on stderr, exit code 1, no traceback.
"""

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.server.core.exchange import Exchange
from paperex.server.core.sequencer import snapshot_of
from paperex.server.persistence.journal import Durability, Journal
from paperex.v1 import account_pb2, admin_pb2
from tests.server.conftest import config
from tests.server.test_recovery import (
    REPO,
    Running,
    crash_image,
    open_trader,
    serve_command,
    server_env,
    set_mark,
    start,
)

DEADLINE = 30.0


def serve(db: Path, *extra: str) -> tuple[int, str] | None:
    """Run ``python -m paperex.server serve`` on ``db``: (exit code, stderr) of a refusal, or None when the
    server started (it is stopped at once)."""
    process = subprocess.Popen(
        serve_command(db, *extra), cwd=REPO, env=server_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    if first.startswith("paperex listening on "):
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=DEADLINE)
        return None
    _, errors = process.communicate(timeout=DEADLINE)
    return process.returncode, errors


def refusal(db: Path, *extra: str) -> str:
    """The one line a refused start prints (exit code 1, nothing else on stderr)."""
    refused = serve(db, *extra)
    assert refused is not None, f"the server started on {db}"
    code, errors = refused
    assert (code, errors.count("\n")) == (1, 1), errors
    assert "Traceback" not in errors
    return errors


async def deposits(running: Running, account_id: int, count: int, amount: str = "1") -> None:
    for _ in range(count):
        request = admin_pb2.DepositRequest(account_id=account_id, amount=amount)
        await running.admin.admin.Deposit(request, metadata=running.admin.auth)


# ---------------------------------------------------------------------------------------------- 1. the helper


def test_a_snapshot_helper_exits_when_its_server_is_killed(tmp_path: Path) -> None:
    """The helper here would sleep 60 s before replaying (its ``fresh`` is slow): killing its parent
    with SIGKILL ends it within seconds, so it cannot write into a journal a later server owns."""
    db = tmp_path / "journal.db"
    Journal(db, Durability.OFF).close()
    parent_code = (
        "import functools, multiprocessing, time\n"
        "from paperex.server.core.checkpoint import Checkpointer\n"
        "from paperex.server.persistence.journal import Durability\n"
        f"checkpointer = Checkpointer({str(db)!r}, Durability.OFF, functools.partial(time.sleep, 60))\n"
        "checkpointer.request(1, 0)\n"
        "print(multiprocessing.active_children()[0].pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    helper = int(parent.stdout.readline())
    try:
        parent.kill()
        parent.wait(DEADLINE)
        deadline = time.monotonic() + 10
        while alive(helper):
            assert time.monotonic() < deadline, "the helper outlived its server"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            if alive(helper):
                os.kill(helper, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie nobody reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_a_snapshot_made_before_a_reset_is_not_stored_after_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        exchange = Exchange(DEFAULT_INSTRUMENTS)
        journal.append([(1, '["SetMarkPrice",{"symbol":"BTCUSDT","price":649000,"ts":1}]')])
        old_epoch = journal.epoch
        journal.wipe()
        journal.append([(1, '["SetMarkPrice",{"symbol":"BTCUSDT","price":649000,"ts":1}]')])
        assert not journal.save_snapshot(snapshot_of(exchange), old_epoch)
        assert journal.save_snapshot(snapshot_of(exchange), journal.epoch)
    finally:
        journal.close()


async def test_a_snapshot_beyond_the_last_command_is_ignored(tmp_path: Path) -> None:
    """An orphaned helper's snapshot of the journal before a reset (at 12, above the new journal's
    last command) must not bring back the old state nor hide the commands acknowledged after the reset."""
    running = await start(config(tmp_path))
    try:
        old = await open_trader(running.admin, "old", "100")
        await deposits(running, old.account_id, 10)
        await running.admin.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=running.admin.auth)
        with contextlib.closing(sqlite3.connect(tmp_path / "journal.db")) as db:
            orphan = db.execute("SELECT * FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        await running.admin.admin.Reset(admin_pb2.ResetRequest(), metadata=running.admin.auth)
        new = await open_trader(running.admin, "new", "500")
        expected = (running.sequence, running.state_hash)
    finally:
        await running.stop()
    assert orphan[0] > expected[0]
    with contextlib.closing(sqlite3.connect(tmp_path / "journal.db")) as db, db:
        db.execute(f"INSERT INTO snapshots VALUES ({', '.join('?' * len(orphan))})", orphan)
    restarted = await start(config(tmp_path))
    try:
        assert (restarted.sequence, restarted.state_hash) == expected
        client = restarted.client(new)
        account = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account
        assert account.name == "new"
    finally:
        await restarted.stop()


# ---------------------------------------------------------------------------------------------- 2. one writer


async def test_a_second_server_on_the_same_journal_refuses_naming_the_holder(tmp_path: Path) -> None:
    running = await start(config(tmp_path))
    try:
        line = await asyncio.to_thread(refusal, tmp_path / "journal.db")
        assert str(tmp_path / "journal.db") in line
        assert f"in use by process {os.getpid()}" in line
        await set_mark(running.admin, "BTCUSDT", "64900")  # the first server serves on
    finally:
        await running.stop()


# ---------------------------------------------------------------------------------------------- 3. integrity


async def test_an_edited_command_refuses_the_start_and_names_it(tmp_path: Path) -> None:
    """A one-digit edit of a journaled deposit (12,345 -> 92,345) in a crash image of the journal."""
    running = await start(config(tmp_path))
    try:
        trader = await open_trader(running.admin, "t", "100")
        await deposits(running, trader.account_id, 1, "12345")
        await deposits(running, trader.account_id, 2)
        crash_image(tmp_path / "journal.db", tmp_path / "image.db")
    finally:
        await running.stop()
    with contextlib.closing(sqlite3.connect(tmp_path / "image.db")) as db, db:
        sequence, body = db.execute("SELECT seq, body FROM commands WHERE body LIKE '%12345%'").fetchone()
        db.execute("UPDATE commands SET body = ? WHERE seq = ?", (body.replace("12345", "92345", 1), sequence))
    line = await asyncio.to_thread(refusal, tmp_path / "image.db")
    assert f"damaged at command {sequence}" in line


async def test_a_command_this_version_cannot_read_refuses_the_start_and_names_it(tmp_path: Path) -> None:
    """A row another version wrote (a command renamed since), in a journal from before checksums so
    that its chain is computed over it: the start names the row instead of failing with a traceback."""
    running = await start(config(tmp_path))
    try:
        trader = await open_trader(running.admin, "t", "100")
        await deposits(running, trader.account_id, 2)
        crash_image(tmp_path / "journal.db", tmp_path / "image.db")
    finally:
        await running.stop()
    with contextlib.closing(sqlite3.connect(tmp_path / "image.db")) as db, db:
        db.execute("ALTER TABLE commands DROP COLUMN chain")
        db.execute("ALTER TABLE snapshots DROP COLUMN digest")
        db.execute("DELETE FROM snapshots")
        sequence, body = db.execute("SELECT seq, body FROM commands WHERE body GLOB '[[]\"Deposit\"*'").fetchone()
        db.execute("UPDATE commands SET body = ? WHERE seq = ?", (body.replace('"Deposit"', '"Credit"', 1), sequence))
    refused = await asyncio.to_thread(serve, tmp_path / "image.db")
    assert refused is not None and "Traceback" not in refused[1]
    code, errors = refused  # a warning that the old rows got their checksums, then the refusal
    assert code == 1 and errors.splitlines()[-1].endswith(
        f": command {sequence} is not a command this version of paperex knows (unknown command type 'Credit')"
    )


async def test_a_journal_from_before_checksums_gets_them_and_keeps_its_state(tmp_path: Path) -> None:
    running = await start(config(tmp_path))
    try:
        trader = await open_trader(running.admin, "t", "100")
        await deposits(running, trader.account_id, 3)
        expected = (running.sequence, running.state_hash)
        crash_image(tmp_path / "journal.db", tmp_path / "old.db")
    finally:
        await running.stop()
    with contextlib.closing(sqlite3.connect(tmp_path / "old.db")) as db, db:
        db.execute("ALTER TABLE commands DROP COLUMN chain")
        db.execute("ALTER TABLE snapshots DROP COLUMN digest")
    restarted = await start(config(tmp_path, db=str(tmp_path / "old.db")))
    try:
        assert (restarted.sequence, restarted.state_hash) == expected
    finally:
        await restarted.stop()
    with contextlib.closing(sqlite3.connect(tmp_path / "old.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM commands WHERE chain IS NULL").fetchone()[0] == 0


# ---------------------------------------------------------------------------------------------- 4. snapshots


@pytest.mark.parametrize("damaged", ["newest", "both"])
async def test_a_damaged_snapshot_falls_back_to_an_earlier_one_or_the_journal(tmp_path: Path, damaged: str) -> None:
    running = await start(config(tmp_path))
    try:
        trader = await open_trader(running.admin, "t", "100")
        await deposits(running, trader.account_id, 3)
        await running.admin.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=running.admin.auth)
        await deposits(running, trader.account_id, 3)
        expected = (running.sequence, running.state_hash)
    finally:
        await running.stop()  # its final snapshot is the newest
    with contextlib.closing(sqlite3.connect(tmp_path / "journal.db")) as db, db:
        stored = db.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC").fetchall()
        assert len(stored) == 2
        for sequence, state in stored[: 1 if damaged == "newest" else 2]:
            db.execute("UPDATE snapshots SET state = ? WHERE seq = ?", (flip_a_bit(state), sequence))
    restarted = await start(config(tmp_path))
    try:
        assert (restarted.sequence, restarted.state_hash) == expected
    finally:
        await restarted.stop()


def flip_a_bit(state: bytes) -> bytes:
    middle = len(state) // 2
    return state[:middle] + bytes([state[middle] ^ 0x40]) + state[middle + 1 :]


# ---------------------------------------------------------------------------------------------- 5. lost data


async def test_a_journal_that_lost_acknowledged_commands_refuses_the_start(tmp_path: Path) -> None:
    """The last three acknowledged deposits vanish (as with a deleted WAL): the durable mark tells."""
    running = await start(config(tmp_path))
    try:
        trader = await open_trader(running.admin, "t", "100")
        await deposits(running, trader.account_id, 5)
        last = running.sequence
    finally:
        await running.stop()
    with contextlib.closing(sqlite3.connect(tmp_path / "journal.db")) as db, db:
        db.execute("DELETE FROM commands WHERE seq > ?", (last - 3,))
        db.execute("DELETE FROM snapshots")
    line = await asyncio.to_thread(refusal, tmp_path / "journal.db")
    assert f"ends at command {last - 3}" in line
    assert f"records command {last} " in line


def test_an_empty_journal_file_starts_a_new_exchange_only_with_init(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    db.touch()
    assert "--init" in refusal(db)
    assert serve(db, "--init") is None


async def test_a_missing_journal_with_its_durable_mark_starts_only_with_init(tmp_path: Path) -> None:
    running = await start(config(tmp_path))
    try:
        await set_mark(running.admin, "BTCUSDT", "64900")
    finally:
        await running.stop()
    for leftover in tmp_path.glob("journal.db*"):
        if leftover.suffix != ".durable":
            leftover.unlink()
    assert "--init" in await asyncio.to_thread(refusal, tmp_path / "journal.db")
    assert await asyncio.to_thread(serve, tmp_path / "journal.db", "--init") is None
