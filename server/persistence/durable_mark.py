"""The last durable sequence, kept beside the journal in ``<db>.durable``: what a restart must find again.

SQLite cannot tell a journal that lost its tail (a deleted or truncated WAL, a file restored from an
older copy) from one that never had it, so the server records the epoch and sequence up to which
commands were acknowledged. The mark is written (fsynced, then renamed into place) one second after
the first batch that follows the previous mark, and at every reset and stop: at most one small fsync a
second beside the journal's own, and at most the last second of acknowledgements unguarded (a mark
only at snapshots would leave up to 100,000 commands unguarded; one per batch would double the fsyncs).
A start refuses a journal that ends before its mark, and never makes a new journal where one was (an
empty file, or a mark without its journal) unless asked to with ``--init``.
"""

import os
from pathlib import Path

from paperex.server.persistence.journal import Journal, JournalError

MARK_EVERY_SECONDS = 1.0


class DurableMark:
    """The sidecar file of the journal at ``db``; ``fsync`` False matches a journal without fsync."""

    def __init__(self, db: str, fsync: bool = True) -> None:
        self.db = db
        self.path = Path(f"{db}.durable")
        self._fsync = fsync

    def read(self) -> tuple[int, int] | None:
        """(epoch, sequence), or None when there is no mark yet."""
        try:
            epoch, sequence = self.path.read_text(encoding="ascii").split()
        except FileNotFoundError:
            return None
        except ValueError:
            raise JournalError(
                f"{self.path} is not a durable mark; restore it, or delete it to accept the journal as it is"
            ) from None
        return int(epoch), int(sequence)

    def write(self, epoch: int, sequence: int) -> None:
        """Replace the mark atomically: a crash leaves the old mark or the new one, never half of one."""
        temporary = self.path.with_name(f"{self.path.name}.new")
        with temporary.open("w", encoding="ascii") as file:
            file.write(f"{epoch} {sequence}\n")
            if self._fsync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, self.path)
        if self._fsync:
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def check_opening(self, init: bool) -> None:
        """Before the journal is opened (SQLite would quietly create a missing or empty file).

        Raises JournalError when a new journal would replace one that existed and ``init`` is not set,
        or when ``init`` is set where a journal with contents is.
        """
        path = Path(self.db)
        empty = not path.exists() or path.stat().st_size == 0
        if init:
            if not empty:
                raise JournalError(f"--init makes a new journal, but {self.db} already holds one; move it away first")
            return
        if path.exists() and empty:
            raise JournalError(f"the journal {self.db} is an empty file; to start a new exchange there, pass --init")
        recorded = self.read()
        if not path.exists() and recorded is not None:
            raise JournalError(
                f"the journal {self.db} is missing, but {self.path} records command {recorded[1]} as acknowledged: "
                "restore the journal from a backup, or start a new exchange on purpose with --init"
            )

    def check_reaches(self, journal: Journal) -> None:
        """The journal holds every command the mark records as acknowledged (a reset since is fine).

        Raises JournalError naming the missing range when it does not.
        """
        recorded = self.read()
        if recorded is None or journal.epoch > recorded[0]:
            return
        epoch, sequence = recorded
        last = journal.last_sequence()
        if journal.epoch < epoch or last < sequence:
            raise JournalError(
                f"the journal {self.db} ends at command {last} (epoch {journal.epoch}), but {self.path} records "
                f"command {sequence} (epoch {epoch}) as acknowledged: its tail is lost (a deleted or truncated "
                f"{self.db}-wal?); restore it from a backup, or accept the loss on purpose by deleting {self.path}"
            )
