"""A gateway's writer: the sequencer process at the end of a unix socket, in the shape of the
in-process ``Sequencer`` (``paperex.server.core.writer.Writer``), so the application and the adapters
run in a gateway unchanged.

A command is sent as a frame and answered by the batch that carries it: the gateway folds the batch
into its ``Replica`` first, publishes its stream values to the gateway's own ``Hub``, then resolves the
call with the ``Applied`` its own fold completed. So an answer is sent only once the command is durable,
and every query on this gateway after it reflects it; a query first waits for a barrier behind the
batches the sequencer already wrote here, so it reflects what other gateways acknowledged too
(read-your-writes across gateways). While the sequencer is gone
every call is refused UNAVAILABLE (SHUTTING_DOWN with a retry delay); the link reconnects by itself and
starts again from a fresh ``Sync``, ending the streams (their readers resume from their cursors). A
``Sync`` names a sequence number; the gateway rebuilds the state at it from the journal, as recovery
does, since the sequencer keeps no read models to send.
"""

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Hashable
from typing import Any

from paperex.server.core.admission import Charge
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.sequencer import Clock
from paperex.server.core.streams import Hub
from paperex.server.core.tape import ExchangeCommand
from paperex.server.persistence.journal import Snapshot
from paperex.server.process import frames
from paperex.server.process.replica import Replica
from paperex.server.wire.errors import Refused

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 0.1
"""How often a gateway tries the sequencer's socket while it is gone."""
RETRY_SECONDS = 1.0
"""The retry delay a refusal carries while the sequencer is gone (google.rpc.RetryInfo)."""


RESTARTING = "the exchange's sequencer is restarting and did nothing with this request: send it again shortly"


def _unavailable(message: str) -> Refused:
    return Refused("SHUTTING_DOWN", message, retry_after=RETRY_SECONDS)


class RemoteSequencer:
    def __init__(self, path: str, clock: Clock, hub: Hub[Any], replicate: Callable[[int, int], Replica | None]) -> None:
        """``replicate(sequence, epoch)`` rebuilds the exchange at a ``Sync``'s sequence from the journal
        (None: the journal was reset meanwhile); it runs on a thread, so the gateway goes on answering."""
        self.path = path
        self.clock = clock
        self.hub = hub
        self.replicate = replicate
        self.failed = asyncio.Event()
        """Never set: a gateway outlives its sequencer and waits for it to come back."""
        self.admin_hash = ""
        self.gateway = 0
        """This gateway's number on its current connection (the sequencer's tag for its requests)."""
        self._exchange: Replica | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._requests: dict[int, asyncio.Future[Any]] = {}
        self._outbox: list[frames.Submit | frames.Control] = []
        """Requests of this turn of the event loop, sent together at its end (``_flush``)."""
        self._barrier: asyncio.Future[None] | None = None
        """The barrier in the outbox, which the reads arriving before it is sent wait for."""
        self._numbers = itertools.count(1)
        self._accepting = True
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def exchange(self) -> Exchange:
        assert self._exchange is not None, "connect() first"
        return self._exchange

    async def connect(self) -> None:
        """Start the link; returns once the first ``Sync`` is folded (retrying while nobody listens)."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sequencer link")
        await self._synced.wait()

    # ------------------------------------------------------------------ the Writer

    async def submit(self, commands: list[ExchangeCommand]) -> list[Applied]:
        return await self.enqueue(commands)

    async def submit_one(self, command: ExchangeCommand, charge: Charge | None = None) -> Applied:
        (applied,) = await self.enqueue([command], charge)
        return applied

    def enqueue(
        self, commands: list[ExchangeCommand], charge: Charge | None = None, tag: Hashable = None
    ) -> "asyncio.Future[list[Applied]]":
        return self._send(lambda request: frames.Submit(request, commands, charge))

    async def settled(self) -> None:
        """Until this gateway has folded every batch durable when the call came (read-your-writes for
        a command another gateway acknowledged: the sequencer wrote its batch to every gateway before
        any answered it); refused while the sequencer is gone. The sequencer answers a barrier behind
        the batches it already wrote here; the reads of one turn of the loop share one."""
        if self._barrier is None:
            self._barrier = self._send(lambda request: frames.Control(request, "barrier"))
        await asyncio.shield(self._barrier)

    async def snapshot(self) -> Snapshot:
        snapshot: Snapshot = await self._send(lambda request: frames.Control(request, "snapshot"))
        return snapshot

    async def reset(self, fresh: Exchange) -> None:
        """The sequencer resets its own fresh exchange; every gateway gets the new state from it."""
        await self._send(lambda request: frames.Control(request, "reset"))

    def refuse_new(self) -> None:
        self._accepting = False

    async def drain(self) -> None:
        """Until every request sent is answered (or refused)."""
        pending = list(self._requests.values())
        if pending:
            await asyncio.wait(pending)

    async def stop(self) -> None:
        self._accepting = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._lost("the gateway is shutting down")

    # ------------------------------------------------------------------ the link

    def _send(self, message: Callable[[int], frames.Submit | frames.Control]) -> "asyncio.Future[Any]":
        if not self._accepting:
            raise _unavailable("the gateway is shutting down and did nothing with this request: send it again")
        if self._writer is None:
            raise _unavailable(RESTARTING)
        request = next(self._numbers)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._requests[request] = future
        if not self._outbox:
            loop.call_soon(self._flush)
        self._outbox.append(message(request))
        return future

    def _flush(self) -> None:
        """The requests of one turn of the loop as one frame: the pickling of their classes is shared,
        and the sequencer reads them in one go. (Once the link is lost they were refused already.)"""
        outbox, self._outbox = self._outbox, []
        self._barrier = None  # a read from now on may follow a batch the sequencer has not written here yet
        if outbox and self._writer is not None:
            self._writer.write(frames.encode(outbox))

    async def _run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(self.path)
            except OSError:
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            try:
                await self._follow(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                log.warning("the sequencer is gone (%s): refusing calls until it is back", error or "closed")
            except Exception:
                # A journal this gateway cannot replay, or a batch it cannot fold: its read models are
                # not the exchange's. It stops (``failed``), and the supervisor starts a new one.
                log.critical("gateway stopped: its state could not be rebuilt or a batch did not fold", exc_info=True)
                self.failed.set()
                return
            finally:
                writer.close()
                self._lost(
                    "the exchange's sequencer stopped before answering: the command may or may not have been carried "
                    "out; look the order up (by its client_order_id) before sending it again"
                )
                self.hub.close_all("the exchange's sequencer restarted: resume from your cursor")

    async def _follow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            message = await frames.read(reader)
            if isinstance(message, frames.Batch):
                self._fold(message)
            elif isinstance(message, frames.Sync):
                loop = asyncio.get_running_loop()
                replica = await loop.run_in_executor(None, self.replicate, message.sequence, message.epoch)
                if replica is None:
                    log.warning("the journal was reset while gateway %d rebuilt its state: again", message.gateway)
                    return  # the batches after the Sync are of the old journal: a new connection, a new Sync
                self._sync(message, replica)
                self._writer = writer
            elif isinstance(message, frames.Failed):
                future = self._requests.pop(message.request, None)
                if future is not None and not future.done():
                    future.set_exception(message.refusal.refusal())
            else:
                future = self._requests.pop(message.request, None)
                if future is not None and not future.done():
                    future.set_result(message.result)

    def _sync(self, sync: frames.Sync, replica: Replica) -> None:
        if self._exchange is not None:
            self.hub.close_all("the exchange was reset" if sync.reset else "the gateway resynchronised: resume")
        self._exchange = replica
        self.gateway, self.admin_hash = sync.gateway, sync.admin_hash
        self._synced.set()
        log.info("gateway %d synchronised at sequence %d", sync.gateway, sync.sequence)

    def _fold(self, batch: frames.Batch) -> None:
        assert self._exchange is not None
        folded = self._exchange.fold(batch)
        publish = self.hub.publish
        for applied in folded:
            for topic, value in applied.publications:
                publish(topic, value)
        mine = [(request, sequences) for (gateway, request), sequences in batch.answered if gateway == self.gateway]
        if not mine:
            return
        by_sequence = {applied.sequence: applied for applied in folded}
        for request, sequences in mine:
            future = self._requests.pop(request, None)
            if future is not None and not future.done():
                future.set_result([by_sequence[sequence] for sequence in sequences])

    def _lost(self, message: str) -> None:
        """The link is down: refuse until it is back, and fail what is in flight."""
        self._writer = None
        self._outbox = []
        self._barrier = None
        requests, self._requests = self._requests, {}
        for future in requests.values():
            if not future.done():
                future.set_exception(_unavailable(message))
