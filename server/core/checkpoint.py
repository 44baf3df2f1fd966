"""Automatic snapshots made beside the server, by a helper process that replays the journal.

Writing a snapshot of the whole exchange on the event loop paused every client for about half a
second per 100,000 commands of history. A snapshot is only a shortcut for recovery, and the journal already
holds everything needed to make it: so the sequencer asks for one at a sequence number, and a helper
process (spawned, never forked: grpc's threads do not survive a fork) loads the newest snapshot,
replays the commands up to that number, checks nothing is missing, and stores the new snapshot. The
server goes on meanwhile; one helper runs at a time, and a request while it runs is dropped (the next
one covers more). Admin.Snapshot and the final snapshot of a stop are written by the server itself, or,
by a sequencer process, which keeps no read models to write, by a helper it waits for (``write``).

A helper must never put an old state back: it exits with its server, and its snapshot is stored only
if the journal is in the epoch of the request (not reset since) and reaches its sequence, checked in
the statement that writes it. It takes no writer lock, so a server restarted after a crash never waits
for one; these fences make a late write harmless instead.
"""

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from paperex.server.core.exchange import Exchange
from paperex.server.core.sequencer import recover, snapshot_of
from paperex.server.persistence.journal import Durability, Journal

log = logging.getLogger(__name__)


def write_checkpoint(db: str, durability: Durability, fresh: Callable[[], Exchange], until: int, epoch: int) -> None:
    """In the helper process: the snapshot at sequence ``until``, from the journal alone (``fresh``
    makes the empty exchange it starts from when there is no snapshot yet, as the server does).
    It is stored only if the journal is still in ``epoch`` (not reset since the request)."""
    _exit_with_parent()
    journal = Journal(db, durability)
    try:
        exchange = recover(journal, fresh, until=until)
        if exchange.sequence != until:
            raise RuntimeError(f"the journal ends at {exchange.sequence}, before {until}")
        if not journal.save_snapshot(snapshot_of(exchange), epoch):
            raise RuntimeError(f"the journal was reset after the snapshot at {until} was requested; not stored")
    finally:
        journal.close()


def _exit_with_parent() -> None:
    """Ends this helper as soon as the server that spawned it is gone (kill -9 included), so no
    helper outlives its server. It waits on multiprocessing's parent sentinel (a pipe that closes when
    the parent dies): portable, no polling, and unlike Linux's PR_SET_PDEATHSIG not tied to the
    parent thread that started the helper nor racing a parent that died before it was set."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Checkpointer:
    """Starts and stops the helper process of one journal."""

    def __init__(self, db: str, durability: Durability, fresh: Callable[[], Exchange]) -> None:
        """``fresh`` goes to the spawned helper, so it must pickle (e.g. a functools.partial of Exchange)."""
        self._arguments = (db, durability, fresh)
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def request(self, until: int, epoch: int) -> None:
        """A snapshot at ``until`` (every command up to it already journaled in ``epoch``), unless one
        is being made."""
        if self.running:
            return
        self._reap()
        arguments = (*self._arguments, until, epoch)
        name = f"paperex-snapshot-{until}"
        process = self._context.Process(target=write_checkpoint, args=arguments, name=name, daemon=True)
        process.start()
        self._process = process
        log.info("snapshot at sequence %d requested from process %s", until, process.pid)

    async def write(self, until: int, epoch: int) -> None:
        """A snapshot at ``until`` now, after the one being made (if any), for a server that keeps no
        read models to snapshot itself (a sequencer process). Raises RuntimeError when it is not stored."""
        while self.running:
            await self.wait()
        self.request(until, epoch)
        process = self._process
        assert process is not None
        await asyncio.get_running_loop().run_in_executor(None, process.join)
        if self._process is process:
            self._process = None
        if process.exitcode != 0:
            raise RuntimeError(f"the snapshot helper for sequence {until} exited with {process.exitcode}")

    async def wait(self) -> None:
        """Until the helper (if any) has finished."""
        process = self._process
        if process is not None:
            await asyncio.get_running_loop().run_in_executor(None, process.join)
            self._reap()

    def cancel(self) -> None:
        """Stops the helper now (a reset wipes the journal it reads; a stop leaves nothing behind)."""
        process, self._process = self._process, None
        if process is not None and process.is_alive():
            process.terminate()
            process.join()

    def _reap(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.exitcode not in (None, 0):
            log.warning("the snapshot helper %s exited with %s; restarts replay more", process.name, process.exitcode)
