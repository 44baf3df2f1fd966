"""The durable input tape and state snapshots in embedded SQLite (WAL), the only sqlite3 user.

Every sequenced command is appended as one row (seq, text); a batch is one transaction, so one
fsync covers every command that arrived while the previous one was being written (group commit).
A snapshot is the pickled exchange at a sequence number; recovery loads the newest and replays the
rows after it. All methods block: the sequencer runs them on its one journal thread.
"""

import enum
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY, state_hash TEXT NOT NULL, ts INTEGER NOT NULL, state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

SNAPSHOTS_KEPT = 2


class Durability(enum.StrEnum):
    """When an acknowledgement may leave: after its own fsync (strict), after the group's fsync
    (batched), or once written to the OS without fsync (off: survives a process crash, not a power cut)."""

    STRICT = "strict"
    BATCHED = "batched"
    OFF = "off"


class Snapshot(NamedTuple):
    sequence: int
    state_hash: str
    ts: int
    state: bytes


class Journal:
    def __init__(self, path: str | Path, durability: Durability) -> None:
        self.path = str(path)
        self.durability = durability
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'OFF' if durability is Durability.OFF else 'FULL'}")
        self._db.executescript(_SCHEMA)

    def append(self, rows: list[tuple[int, str]]) -> None:
        """Write commands durably (per ``durability``): one transaction per batch, or per row in strict mode."""
        if self.durability is Durability.STRICT:
            for row in rows:
                with self._db:
                    self._db.execute("INSERT INTO commands VALUES (?, ?)", row)
            return
        with self._db:
            self._db.executemany("INSERT INTO commands VALUES (?, ?)", rows)

    def tail(self, after: int) -> Iterator[tuple[int, str]]:
        """Commands with seq > ``after`` in order."""
        cursor = self._db.execute("SELECT seq, body FROM commands WHERE seq > ? ORDER BY seq", (after,))
        yield from cursor

    def last_sequence(self) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM commands").fetchone()
        return int(row[0] or 0)

    def save_snapshot(self, snapshot: Snapshot) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)", snapshot)
            self._db.execute(
                "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
                (SNAPSHOTS_KEPT,),
            )

    def latest_snapshot(self, at_most: int | None = None) -> Snapshot | None:
        """The newest snapshot (at or before sequence ``at_most`` when given)."""
        row = self._db.execute(
            "SELECT seq, state_hash, ts, state FROM snapshots WHERE seq <= ? ORDER BY seq DESC LIMIT 1",
            (at_most if at_most is not None else 2**62,),
        ).fetchone()
        return Snapshot(*row) if row else None

    def setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    def wipe(self) -> None:
        """Forget every command and snapshot (Admin.Reset); settings such as the admin token stay."""
        with self._db:
            self._db.execute("DELETE FROM commands")
            self._db.execute("DELETE FROM snapshots")

    def close(self) -> None:
        self._db.close()
