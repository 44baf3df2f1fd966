"""The durable input tape and state snapshots in embedded SQLite (WAL), the only sqlite3 user.

Every sequenced command is appended as one row (seq, text, chain); a batch is one transaction, so
one fsync covers every command that arrived while the previous one was being written (group commit).
Each row's chain is a hash over its own seq and text and the previous row's chain, so an edited,
damaged or reordered command is found when it is replayed. A snapshot is the encoded exchange at a
sequence number with a digest of its bytes; recovery loads the newest sound one and replays the rows
after it. The epoch counts resets, so a snapshot made before a reset can never be stored after it.
The format version (a setting) lets a journal outlive upgrades: an older one is brought up to date
when opened, a newer one is refused rather than misread.
All methods block: the sequencer runs them on its one journal thread.
"""

import enum
import hashlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, chain TEXT);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY, state_hash TEXT NOT NULL, ts INTEGER NOT NULL, state BLOB NOT NULL, digest TEXT
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

SNAPSHOTS_KEPT = 2
EPOCH_SETTING = "epoch"
FORMAT_SETTING = "format_version"
FORMAT_VERSION = 2
"""The journal format this code writes and the newest it reads (``docs/journal.md`` lists them).
A journal without the setting is version 1."""
ENGINE_HASH_MARK = "engine:"
"""Prefixes the recorded hash of a snapshot stored by format 1, which covered the engine's state only."""
GENESIS = ""
"""The chain value before the first command (of a new journal, or after a reset)."""


class JournalError(Exception):
    """The journal cannot be trusted or used as it is; the message names the file and what to do."""


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


def chained(previous: str, sequence: int, body: str) -> str:
    """The chain value of a command row: covers the row and, through ``previous``, every row before it."""
    return hashlib.blake2b(f"{previous}\x00{sequence}\x00{body}".encode(), digest_size=16).hexdigest()


def digest(state: bytes) -> str:
    return hashlib.blake2b(state, digest_size=16).hexdigest()


class Journal:
    def __init__(self, path: str | Path, durability: Durability) -> None:
        self.path = str(path)
        self.durability = durability
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'OFF' if durability is Durability.OFF else 'FULL'}")
            self._db.executescript(_SCHEMA)
            self._migrate(self._format())
            row = self._db.execute("SELECT chain FROM commands ORDER BY seq DESC LIMIT 1").fetchone()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise JournalError(f"the journal {self.path} cannot be read ({error}); restore it from a backup") from None
        except JournalError:
            self._db.close()
            raise
        self._head = str(row[0]) if row else GENESIS
        self.epoch = self.stored_epoch()
        """How many times the journal was reset."""

    def _format(self) -> int:
        """The journal's format version; JournalError for one newer than this code reads (checked
        before anything in it is changed)."""
        version = int(self.setting(FORMAT_SETTING) or 1)
        if version > FORMAT_VERSION:
            raise JournalError(
                f"the journal {self.path} is format version {version}; this version of paperex reads versions "
                f"up to {FORMAT_VERSION}: start it with a newer paperex"
            )
        return version

    def _migrate(self, version: int) -> None:
        """Bring a journal of format ``version`` up to ``FORMAT_VERSION`` in one transaction: chains and
        digests for one written before they existed (computed once, trusted as found), and the marks on
        the hashes of the snapshots format 1 stored."""
        with self._db:
            if version == 1:
                self._db.execute("UPDATE snapshots SET state_hash = ? || state_hash", (ENGINE_HASH_MARK,))
            if version < FORMAT_VERSION:
                self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (FORMAT_SETTING, str(FORMAT_VERSION)))
            for table, column in (("commands", "chain"), ("snapshots", "digest")):
                if column not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
            first = self._db.execute("SELECT chain FROM commands ORDER BY seq LIMIT 1").fetchone()
            if first is not None and first[0] is None:  # all or none: migrated in one transaction
                chain, updates = GENESIS, []
                for sequence, body in self._db.execute("SELECT seq, body FROM commands ORDER BY seq"):
                    chain = chained(chain, sequence, body)
                    updates.append((chain, sequence))
                self._db.executemany("UPDATE commands SET chain = ? WHERE seq = ?", updates)
                log.warning("journal %s: checksums added to %d commands written before them", self.path, len(updates))
            for sequence, state in self._db.execute("SELECT seq, state FROM snapshots WHERE digest IS NULL").fetchall():
                self._db.execute("UPDATE snapshots SET digest = ? WHERE seq = ?", (digest(state), sequence))

    def append(self, rows: list[tuple[int, str]]) -> None:
        """Write commands durably (per ``durability``): one transaction per batch, or per row in strict mode."""
        head, chain = self._head, []
        for sequence, body in rows:
            head = chained(head, sequence, body)
            chain.append((sequence, body, head))
        if self.durability is Durability.STRICT:
            for row in chain:
                with self._db:
                    self._db.execute("INSERT INTO commands VALUES (?, ?, ?)", row)
                self._head = row[2]
            return
        with self._db:
            self._db.executemany("INSERT INTO commands VALUES (?, ?, ?)", chain)
        self._head = head

    def tail(self, after: int) -> Iterator[tuple[int, str]]:
        """Commands with seq > ``after`` in order, each checked against its chain.

        Raises JournalError at the first row whose chain does not match (edited or damaged).
        """
        row = self._db.execute("SELECT chain FROM commands WHERE seq = ?", (after,)).fetchone()
        previous = str(row[0]) if row else GENESIS
        try:
            cursor = self._db.execute("SELECT seq, body, chain FROM commands WHERE seq > ? ORDER BY seq", (after,))
            for sequence, body, chain in cursor:
                previous = chained(previous, sequence, body)
                if chain != previous:
                    raise JournalError(
                        f"the journal {self.path} is damaged at command {sequence}: its checksum does not match "
                        "(edited or corrupted); restore the file from a backup"
                    )
                yield sequence, body
        except sqlite3.DatabaseError as error:
            raise JournalError(f"the journal {self.path} cannot be read ({error}); restore it from a backup") from None

    def last_sequence(self) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM commands").fetchone()
        return int(row[0] or 0)

    def save_snapshot(self, snapshot: Snapshot, epoch: int) -> bool:
        """Store ``snapshot`` unless the journal was reset since ``epoch`` or does not reach its
        sequence (checked in the same statement as the write); returns whether it was stored."""
        with self._db:
            stored = self._db.execute(
                "INSERT OR REPLACE INTO snapshots SELECT ?, ?, ?, ?, ? "
                "WHERE (SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM settings WHERE key = ?) = ? "
                "AND ? <= (SELECT COALESCE(MAX(seq), 0) FROM commands)",
                (*snapshot, digest(snapshot.state), EPOCH_SETTING, epoch, snapshot.sequence),
            ).rowcount
            self._db.execute(
                "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
                (SNAPSHOTS_KEPT,),
            )
        return stored == 1

    def snapshot_sequences(self) -> list[int]:
        """The sequences of the stored snapshots, newest first."""
        return [row[0] for row in self._db.execute("SELECT seq FROM snapshots ORDER BY seq DESC")]

    def snapshot_at(self, sequence: int) -> tuple[Snapshot, str]:
        """The snapshot at ``sequence`` and the digest recorded with it (one at a time: each may be large)."""
        row = self._db.execute(
            "SELECT seq, state_hash, ts, state, digest FROM snapshots WHERE seq = ?", (sequence,)
        ).fetchone()
        return Snapshot(*row[:4]), str(row[4])

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

    def stored_epoch(self) -> int:
        """The epoch as stored now: a reader's ``epoch`` is the one it opened, which a writer's reset
        moves on."""
        return int(self.setting(EPOCH_SETTING) or 0)

    def set_setting(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    def wipe(self) -> None:
        """Forget every command and snapshot and start a new epoch (Admin.Reset); settings such as
        the admin token stay."""
        with self._db:
            self._db.execute("DELETE FROM commands")
            self._db.execute("DELETE FROM snapshots")
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (EPOCH_SETTING, str(self.epoch + 1)))
        self._head = GENESIS
        self.epoch += 1

    def close(self) -> None:
        self._db.close()
