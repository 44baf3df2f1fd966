"""One writer per journal: an exclusive lock on ``<db>.lock``, held for as long as the server runs.

SQLite would let a second server open the same journal, serve its stale state and collide with the
first one's sequence numbers. ``flock`` locks belong to the open file, so the kernel releases them
when the process dies however it dies (kill -9 included) and no stale lock is ever left to clear by
hand. The holder's pid is written into the file to name it in the refusal. The snapshot helper takes
no lock: its writes are fenced by the journal's epoch and it exits with its server.
"""

import fcntl
import os
from pathlib import Path

from paperex.server.persistence.journal import JournalError


class JournalLocked(JournalError):
    """Another process holds the journal."""


class WriterLock:
    def __init__(self, db: str) -> None:
        self.path = Path(f"{db}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Raises JournalLocked, naming the journal and the holder's pid, when another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            db = str(self.path)[: -len(".lock")]
            raise JournalLocked(
                f"the journal {db} is in use by process {holder} (lock {self.path}): one server per journal"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor of the open file releases the lock
