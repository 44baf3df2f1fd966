"""The sequencer process's side of the gateways' socket: their commands in, every durable batch out.

The process runs the writer as a single-process server does (journal, recovery, ``Sequencer``, the
market and its clock) and serves no API itself, nor keeps any read models. Each gateway that connects
first gets a ``Sync`` (the last durable batch's sequence number, from which it rebuilds the state out of
the journal), then every batch, pickled once and written to all of them, tagged with the requests it
answers. A gateway's commands are admitted here, against the
one count of each account's budgets, and queued in the order they arrive.
"""

import asyncio
import contextlib
import itertools
import logging
import os
from collections.abc import Coroutine
from typing import Any, cast

from paperex.server.core.application import Application
from paperex.server.core.exchange import Applied
from paperex.server.core.exchange_commands import (
    LoadScenario,
    OpenAccount,
    RotateApiKey,
    SetFaults,
    SetLiquidityProvider,
    SetTakerFlow,
)
from paperex.server.core.sequencer import Answered, Sequencer
from paperex.server.process import frames
from paperex.server.wire.errors import Refused

log = logging.getLogger(__name__)

HOST_CHANGING = frozenset({OpenAccount, RotateApiKey, LoadScenario, SetLiquidityProvider, SetTakerFlow, SetFaults})
"""Commands after which a batch carries the host's state (accounts and keys, fault plans, the market)."""
MAX_UNSENT_BYTES = 256 * 2**20
"""A gateway this far behind in reading its batches is cut; it reconnects and starts from a new ``Sync``."""


class SequencerHost:
    def __init__(self, app: Application, sequencer: Sequencer, admin_hash: str, path: str) -> None:
        self.app = app
        self.sequencer = sequencer
        self.admin_hash = admin_hash
        self.path = path
        self._gateways: dict[int, asyncio.StreamWriter] = {}
        self._numbers = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # left by a sequencer that died: nobody listens there
        self._server = await asyncio.start_unix_server(self._serve, self.path)
        os.chmod(self.path, 0o600)
        self.sequencer.on_durable = self._send_batch
        self.sequencer.on_reset = self._send_reset

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._gateways.values()):
            writer.close()
        self._gateways.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        gateway = next(self._numbers)
        try:
            await self.sequencer.settled()
        except Refused:
            writer.close()
            return
        writer.write(self._sync(gateway, reset=False))  # no await since settled: no batch in between
        self._gateways[gateway] = writer
        log.info("gateway %d connected at sequence %d", gateway, self.sequencer.exchange.sequence)
        try:
            while True:
                for message in await frames.read(reader):  # a gateway's requests of one turn of its loop
                    if isinstance(message, frames.Submit):
                        self._submit(gateway, writer, message)
                    elif message.kind == "barrier":  # behind every batch written so far, on the same socket
                        writer.write(frames.encode(frames.Done(message.request, None)))
                    else:
                        self._spawn(self._control(gateway, writer, message))
        except (asyncio.IncompleteReadError, ConnectionError):
            log.info("gateway %d disconnected", gateway)
        finally:
            self._gateways.pop(gateway, None)
            writer.close()

    def _sync(self, gateway: int, *, reset: bool) -> bytes:
        """The state at the last durable batch: called only while nothing applied awaits the journal."""
        sequence, epoch = self.sequencer.exchange.sequence, self.sequencer.journal.epoch
        return frames.encode(frames.Sync(gateway, sequence, epoch, self.admin_hash, reset))

    def _submit(self, gateway: int, writer: asyncio.StreamWriter, message: frames.Submit) -> None:
        try:
            queued = self.sequencer.enqueue(message.commands, message.charge, tag=(gateway, message.request))
        except Refused as refusal:
            writer.write(frames.encode(frames.Failed(message.request, frames.RefusalFields.of(refusal))))
            return

        def failed(done: "asyncio.Future[list[Applied]]") -> None:
            error = None if done.cancelled() else done.exception()
            if error is not None and not writer.is_closing():
                refusal = error if isinstance(error, Refused) else Refused("INTERNAL", "internal fault")
                writer.write(frames.encode(frames.Failed(message.request, frames.RefusalFields.of(refusal))))

        queued.add_done_callback(failed)  # a success is answered by the batch itself

    async def _control(self, gateway: int, writer: asyncio.StreamWriter, message: frames.Control) -> None:
        try:
            if message.kind == "snapshot":
                snapshot = await self.app.snapshot()
                result: Any = snapshot._replace(state=b"")
            else:
                await self.app.reset()  # every gateway got its Sync first (_send_reset)
                result = None
        except Refused as refusal:
            writer.write(frames.encode(frames.Failed(message.request, frames.RefusalFields.of(refusal))))
            return
        writer.write(frames.encode(frames.Done(message.request, result)))

    def _send_reset(self) -> None:
        for number, writer in self._gateways.items():
            writer.write(self._sync(number, reset=True))

    def _send_batch(self, applied: list[Applied], answered: Answered) -> None:
        """Every gateway gets the batch, encoded once, before any caller in this process is answered."""
        if not self._gateways:
            return
        host = None
        if any(type(outcome.command) in HOST_CHANGING for outcome in applied):
            host = _host(self.sequencer.exchange)  # the writer is at this batch's end, and this is durable
        batch = frames.Batch(
            [frames.Committed.of(outcome) for outcome in applied],
            host,
            [(cast(frames.Request, tag), [outcome.sequence for outcome in results]) for tag, results in answered],
        )
        frame = frames.encode(batch)
        for number, writer in list(self._gateways.items()):
            if writer.transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
                log.error("gateway %d is %d bytes behind: cut, it resyncs", number, MAX_UNSENT_BYTES)
                self._gateways.pop(number)
                writer.close()
                continue
            writer.write(frame)

    def _spawn(self, work: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _host(exchange: Any) -> frames.HostState:
    return frames.HostState(exchange.accounts, exchange.account_by_key, exchange.faults, exchange.market)
