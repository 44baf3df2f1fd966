"""The single writer: commands one at a time, stamped, applied, journaled, and only then answered.

Callers ``submit`` commands and get back each command's ``Applied`` (its sequence number, its events,
and what its answer needs beyond them, taken as the command left the state). The loop takes every
command waiting (up to ``max_batch``), executes them in order (``Exchange.execute``: the writer applies
and journals, nothing else), writes them to the journal as one group (one fsync on the journal thread),
and only after that hands the batch's ``Applied``s in order to the results stage
(``paperex.server.core.results``), which folds the read models, then publishes the stream values and
resolves the callers, who build their answers themselves. Nothing leaves the process before it is
durable. Queries wait for ``settled`` so they never show state a crash could still take back.

A sequencer process (``paperex serve --gateways N``) keeps no read models: each gateway folds its own
from the durable batches, so its writer only applies and journals, and its snapshots are made from the
journal by the checkpoint helper.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from paperex.engine.commands import AdvanceTime, Resume
from paperex.engine.events import serialize
from paperex.server.core import gc_policy
from paperex.server.core.admission import Admission, Charge
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.snapshot_schema import decode_exchange, encode_exchange
from paperex.server.core.tape import ExchangeCommand, decode, encode, loggable
from paperex.server.persistence.durable_mark import MARK_EVERY_SECONDS, DurableMark
from paperex.server.persistence.journal import ENGINE_HASH_MARK, Journal, JournalError, Snapshot, digest
from paperex.server.persistence.snapshot_format import OtherFormatError
from paperex.server.wire.errors import Refused

log = logging.getLogger(__name__)

DEFAULT_SNAPSHOT_EVERY = 100_000
"""Commands between automatic snapshots: bounds how much a restart replays."""


SHUTDOWN_RETRY_SECONDS = 1.0
"""The retry delay a command refused during a graceful stop carries (google.rpc.RetryInfo)."""


class Clock(Protocol):
    def now(self) -> int:
        """Nanoseconds since the Unix epoch."""
        ...


class Publisher(Protocol):
    def publish(self, topic: Hashable, item: Any) -> None: ...

    def close_all(self, reason: str) -> None: ...


@dataclass(slots=True)
class _Pending:
    commands: list[ExchangeCommand]
    future: "asyncio.Future[list[Any]]"
    control: str = ""
    """"snapshot" or "reset": run by the loop between batches instead of commands."""
    tag: Hashable = None
    """Who asked, for ``on_durable`` (a gateway's request); None: a caller in this process."""
    results: list[Any] = field(default_factory=list)
    """The commands' ``Applied``, in order (or the control's result)."""


Answered = list[tuple[Hashable, list[Applied]]]
"""The tagged requests of a durable batch, each with its commands' ``Applied`` in order."""


class Checkpoints(Protocol):
    """Makes automatic snapshots away from the event loop (``paperex.server.core.checkpoint.Checkpointer``)."""

    def request(self, until: int, epoch: int) -> None:
        """A snapshot at sequence ``until``, whose commands are all journaled in ``epoch``."""

    async def write(self, until: int, epoch: int) -> None:
        """A snapshot at ``until`` now, once the one being made (if any) is done; RuntimeError if not stored."""

    def cancel(self) -> None:
        """Abandon the snapshot being made (its journal is about to be wiped, or the server stops)."""


class Sequencer:
    def __init__(
        self,
        exchange: Exchange,
        journal: Journal,
        clock: Clock,
        publisher: Publisher,
        checkpoints: Checkpoints,
        *,
        max_batch: int = 4096,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
        mark: DurableMark | None = None,
        admission: Admission | None = None,
        read_models: bool = True,
    ) -> None:
        self.exchange = exchange
        self.journal = journal
        self.clock = clock
        self.publisher = publisher
        self.max_batch = max_batch
        self.snapshot_every = snapshot_every
        self.checkpoints = checkpoints
        self.mark = mark
        self.admission = admission
        """Charges an account's commands as they are queued (``submit_one``, ``enqueue``): one count for
        the whole exchange, whichever process the call came through."""
        self.read_models = read_models
        """False in a sequencer process: nothing folds ``exchange.results`` here (the gateways fold their
        own), and snapshots come from the checkpoint helper, which rebuilds them from the journal."""
        self.on_durable: Callable[[list[Applied], Answered], None] | None = None
        """Called with every batch once it is journaled (and folded, with read models), before its callers
        are answered (a sequencer process sends it to its gateways)."""
        self.on_reset: Callable[[], None] | None = None
        """Called when a reset has replaced the state, before any command of the new one is applied."""
        self.failure: BaseException | None = None
        self.failed = asyncio.Event()
        self._refusal = Refused("SHUTTING_DOWN", "the exchange stopped after an internal fault")
        """The answer to every call once ``failure`` is set (a copy of it: see ``_stopped``)."""
        self._waiting: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="journal")
        self._settled = asyncio.Event()
        self._settled.set()
        self._accepting = True
        self._since_snapshot = 0
        self._written = exchange.sequence
        """The last journaled sequence (for the durable mark)."""
        self._mark_due: asyncio.TimerHandle | None = None
        self._marking: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._resumed_at: int | None = None
        """When this sequencer started on an exchange with history: journaled as ``Resume`` before
        the first command (not at start, so a restart alone changes nothing)."""

    # ------------------------------------------------------------------ callers

    def start(self) -> None:
        now = self.clock.now()
        if self.exchange.sequence and now > self.exchange.now:
            self._resumed_at = now
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sequencer")

    async def submit(self, commands: list[ExchangeCommand]) -> list[Applied]:
        """Apply ``commands`` in order (atomically with respect to other callers), once durable."""
        return await self._enqueue(commands)

    async def submit_one(self, command: ExchangeCommand, charge: Charge | None = None) -> Applied:
        """One command, once durable; ``charge`` admits it first (RATE_LIMITED, SERVER_BUSY)."""
        (applied,) = await self._enqueue([command], charge=charge)
        return applied  # type: ignore[no-any-return]

    async def settled(self) -> None:
        """Wait until nothing applied is still waiting for the journal: state read right after this
        returns (without awaiting in between) is durable."""
        if self.failure is not None:
            raise self._stopped()  # the state in memory may be ahead of the journal
        await self._settled.wait()
        if self.failure is not None:  # the batch it waited for failed: its state is not durable
            raise self._stopped()

    async def snapshot(self) -> Snapshot:
        """Write a snapshot now, between batches (without read models: of the last durable batch, by the
        checkpoint helper, while the batches go on)."""
        if not self.read_models:
            await self.settled()
            try:
                return await self._write_snapshot()
            except RuntimeError as error:  # the helper's failure; the journal and this state are intact
                raise Refused("INTERNAL", f"the snapshot was not stored ({error}); send the request again") from None
        (result,) = await self._enqueue([], control="snapshot")
        assert isinstance(result, Snapshot)
        return result

    async def reset(self, fresh: Exchange) -> None:
        """Replace the whole state with ``fresh`` and wipe the journal (Admin.Reset)."""
        self._reset_to = fresh
        await self._enqueue([], control="reset")

    def refuse_new(self) -> None:
        """From now on, refuse new commands (UNAVAILABLE, SHUTTING_DOWN, with a retry delay); those
        already queued are still applied and answered."""
        self._accepting = False

    async def drain(self) -> None:
        """Until every command queued so far is applied, journaled and answered."""
        if self.failure is None and self._task is not None:
            with contextlib.suppress(Refused):
                await self._enqueue([], force=True)

    async def stop(self) -> None:
        """Refuse new commands, finish those queued, then write a final snapshot."""
        self._accepting = False
        if self._task is None:
            return
        if self.failure is None:
            try:
                await self._enqueue([], control="snapshot", force=True)
            except Refused:
                log.error("the final snapshot failed; a restart replays the journal instead")
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.checkpoints.cancel()
        if self._mark_due is not None:
            self._mark_due.cancel()
        if self._marking is not None:
            await self._marking
        if self.failure is None:
            await self._write_mark_or_log()
        self._writer.shutdown(wait=True)

    def enqueue(
        self, commands: list[ExchangeCommand], charge: Charge | None = None, tag: Hashable = None
    ) -> "asyncio.Future[list[Applied]]":
        """``submit`` without waiting: the commands are admitted (``charge``) and queued in call order
        now; the future resolves with their ``Applied`` once durable (OrderSession pipelines requests
        this way). ``tag`` names the request to ``on_durable``."""
        return self._enqueue(commands, charge=charge, tag=tag)

    def _enqueue(
        self,
        commands: list[ExchangeCommand],
        control: str = "",
        force: bool = False,
        charge: Charge | None = None,
        tag: Hashable = None,
    ) -> "asyncio.Future[list[Any]]":
        if self.failure is not None:
            raise self._stopped()
        if not self._accepting and not force:
            raise Refused(
                "SHUTTING_DOWN",
                "the exchange is shutting down and did nothing with this request: send it again once it is back",
                retry_after=SHUTDOWN_RETRY_SECONDS,
            )
        if charge is not None and self.admission is not None:
            self.admission.commands(*charge)
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Pending(commands, future, control, tag))
        self._wakeup.set()
        return future

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        try:
            waiting = self._waiting
            while True:
                while not waiting:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                await self._process(waiting)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            if self._refusal.reason != "JOURNAL_FAILED":  # that one was logged where it happened
                log.critical("sequencer stopped: %s", error, exc_info=True)
            self.failure = error
            self._settled.set()  # wakes the queries waiting for the failed batch, which now refuse
            self._accepting = False
            self._fail_queued()
            self.failed.set()

    async def _process(self, waiting: deque[_Pending]) -> None:
        """One control request, or every queued command up to the next control (at most max_batch)."""
        if waiting[0].control:
            await self._control(waiting.popleft())
            return
        batch = [waiting.popleft()]
        count = len(batch[0].commands)
        while waiting and count < self.max_batch and not waiting[0].control:
            batch.append(waiting.popleft())
            count += len(batch[-1].commands)
        self._settled.clear()
        rows: list[tuple[int, str]] = []
        applied: list[Applied] = []
        try:
            if self._resumed_at is not None:
                self._journal_first(Resume(ts=self._resumed_at), rows, applied)
                self._resumed_at = None
            for pending in batch:
                self._apply(pending, rows, applied)
        except BaseException:
            # The engine broke an invariant mid-command: state may be half-changed, so nothing of
            # this batch is written or answered; restart recovers the last durable state.
            self._fail(batch)
            raise
        if rows:
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._writer, self.journal.append, rows)
            except Exception as error:
                self._journal_failed(error, batch)
                raise
            self._written = rows[-1][0]
            if self.mark is not None and self._mark_due is None:
                self._mark_due = loop.call_later(MARK_EVERY_SECONDS, self._mark_soon)
        try:
            if self.read_models:
                fold = self.exchange.results.fold
                for outcome in applied:
                    fold(outcome)
        except BaseException:
            # A fault of the results stage: the batch is durable, but the read models are half folded;
            # restart recovers them from the journal.
            self._fail(batch)
            raise
        publish = self.publisher.publish
        for outcome in applied:
            for topic, value in outcome.publications:
                publish(topic, value)  # a value: rendered, if at all, by the subscribers that read it
        if self.on_durable is not None:
            self.on_durable(applied, [(pending.tag, pending.results) for pending in batch if pending.tag is not None])
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(pending.results)
        self._since_snapshot += len(rows)
        self._settled.set()
        if self._since_snapshot >= self.snapshot_every:
            self.checkpoints.request(self.exchange.sequence, self.journal.epoch)  # every row up to it is written above
            self._since_snapshot = 0
        await asyncio.sleep(0)  # let settled() waiters read before the next batch is applied

    def _fail(self, batch: list[_Pending]) -> None:
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(Refused("INTERNAL", "internal fault; the exchange is stopping"))

    def _apply(self, pending: _Pending, rows: list[tuple[int, str]], applied: list[Applied]) -> None:
        """Execute and encode each command of ``pending``; the results stage folds them once journaled."""
        exchange, clock = self.exchange, self.clock
        trace = log.isEnabledFor(logging.DEBUG)
        for command in pending.commands:
            now = clock.now()
            command.ts = now if now > exchange.now else exchange.now
            if exchange.next_deadline() <= command.ts and not isinstance(command, AdvanceTime):
                # What fell due (GTD expiries, funding) is its own journaled command, so that this
                # command's events, and so its answer, are only its own.
                self._journal_first(AdvanceTime(ts=command.ts), rows, applied)
            outcome = exchange.execute(command)
            text = encode(command)
            rows.append((outcome.sequence, text))
            if trace:
                shown = loggable(command, text)
                log.debug("seq=%d %s -> %s", outcome.sequence, shown, " ".join(map(serialize, outcome.events)))
            applied.append(outcome)
            pending.results.append(outcome)

    def _journal_first(self, command: ExchangeCommand, rows: list[tuple[int, str]], applied: list[Applied]) -> None:
        """A command of the sequencer's own, applied and journaled ahead of a caller's."""
        outcome = self.exchange.execute(command)
        rows.append((outcome.sequence, encode(command)))
        applied.append(outcome)

    async def _control(self, pending: _Pending) -> None:
        try:
            if pending.control == "snapshot":
                pending.future.set_result([await self._write_snapshot()])
                return
            self.exchange = self._reset_to
            self._resumed_at = None
            gc_policy.release()  # the old state may hold cycles the collector must be able to reach
            self.checkpoints.cancel()
            await asyncio.get_running_loop().run_in_executor(self._writer, self.journal.wipe)
            self._written = 0
            await self._write_mark()
            self.publisher.close_all("the exchange was reset")
            if self.on_reset is not None:
                self.on_reset()
            self._since_snapshot = 0
            pending.future.set_result([None])
        except BaseException:
            if not pending.future.done():  # the caller (a stop, an admin) must not wait forever
                pending.future.set_exception(Refused("INTERNAL", "internal fault; the exchange is stopping"))
            raise

    def _mark_soon(self) -> None:
        self._mark_due = None
        self._marking = asyncio.get_running_loop().create_task(self._write_mark_or_log(), name="durable mark")

    async def _write_mark_or_log(self) -> None:
        try:
            await self._write_mark()
        except Exception as error:  # the journal itself is intact; only the guard against its loss lags
            log.error("the durable mark %s was not written: %s", self.mark and self.mark.path, error)

    async def _write_mark(self) -> None:
        """Record ``_written`` as durable: every row up to it was appended (and synced) before, and the
        one journal thread runs this after them."""
        if self.mark is not None:
            epoch, sequence = self.journal.epoch, self._written
            await asyncio.get_running_loop().run_in_executor(self._writer, self.mark.write, epoch, sequence)

    async def _write_snapshot(self) -> Snapshot:
        """The snapshot of the state now, which every command so far is journaled in."""
        loop = asyncio.get_running_loop()
        if not self.read_models:
            until = self.exchange.sequence
            await self.checkpoints.write(until, self.journal.epoch)
            snapshot, _ = await loop.run_in_executor(self._writer, self.journal.snapshot_at, until)
            return snapshot
        snapshot = snapshot_of(self.exchange)
        if not await loop.run_in_executor(self._writer, self.journal.save_snapshot, snapshot, self.journal.epoch):
            raise RuntimeError(f"the journal refused the live snapshot at {snapshot.sequence}")
        self._since_snapshot = 0
        log.info("snapshot at sequence %d (%d bytes)", snapshot.sequence, len(snapshot.state))
        return snapshot

    def _stopped(self) -> Refused:
        """A new exception each time: one raised in many callers would collect all their tracebacks."""
        refusal = self._refusal
        return Refused(refusal.reason, refusal.message, refusal.metadata)

    def _journal_failed(self, error: Exception, batch: list[_Pending]) -> None:
        """The batch is applied in memory but not journaled: its callers are refused at once, and so is
        every later call, since the state in memory is now ahead of what a restart recovers."""
        log.critical(
            "the journal %s could not be written (%s): the exchange stops taking commands; nothing after "
            "command %d was acknowledged. Fix the cause (disk space, permissions, the file) and restart: "
            "the restart recovers every acknowledged command", self.journal.path, error, self._written,
        )  # fmt: skip
        self._refusal = Refused(
            "JOURNAL_FAILED",
            f"the journal could not be written ({error}); the exchange stopped taking commands until it is "
            "restarted. This command was not acknowledged: after the restart, look it up (an order by its "
            "client_order_id) before sending it again",
            {"acknowledged_sequence": str(self._written)},
        )
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(self._stopped())

    def _fail_queued(self) -> None:
        while self._waiting:
            pending = self._waiting.popleft()
            if not pending.future.done():
                pending.future.set_exception(self._stopped())


def snapshot_of(exchange: Exchange) -> Snapshot:
    """The exchange in the snapshot format, with the state hash that recovery checks it against."""
    return Snapshot(exchange.sequence, exchange.state_hash(), exchange.now, encode_exchange(exchange))


def recover(journal: Journal, fresh: Callable[[], Exchange], *, until: int | None = None) -> Exchange:
    """The state the journal describes: the newest sound snapshot plus every command after it (up to
    sequence ``until`` when given). A damaged snapshot, or one beyond the last command (left by a
    helper that outlived a reset), is passed over with one loud log line: the previous snapshot, or
    the journal from its start, gives the same state.

    Raises JournalError when a replayed command does not match its checksum, does not decode (written
    by another version of paperex) or a command is missing.
    """
    last = journal.last_sequence()
    exchange = _newest_sound_snapshot(journal, last if until is None else min(until, last), last) or fresh()
    for sequence, body in journal.tail(exchange.sequence):
        if until is not None and sequence > until:
            break
        try:
            command = decode(body)
        except ValueError as error:
            raise JournalError(f"the journal {journal.path}: command {sequence} is {error}") from None
        applied = exchange.apply(command)
        if applied.sequence != sequence:
            raise JournalError(
                f"the journal {journal.path} misses commands: expected sequence {applied.sequence}, found {sequence}"
            )
    return exchange


def _state_hash_recorded(exchange: Exchange, recorded: str) -> str:
    """The hash of ``exchange`` in the form ``recorded`` was made: the whole state's, or the engine's
    alone for a snapshot stored by journal format 1."""
    if recorded.startswith(ENGINE_HASH_MARK):
        return ENGINE_HASH_MARK + exchange.engine.state_hash()
    return exchange.state_hash()


def _newest_sound_snapshot(journal: Journal, at_most: int, last: int) -> Exchange | None:
    for sequence in journal.snapshot_sequences():
        if sequence > last:
            log.error(
                "snapshot at sequence %d ignored: the journal %s ends at command %d (a snapshot helper "
                "of the journal before a reset?)", sequence, journal.path, last,
            )  # fmt: skip
            continue
        if sequence > at_most:
            continue
        snapshot, recorded = journal.snapshot_at(sequence)
        problem = "its bytes do not match their digest" if digest(snapshot.state) != recorded else ""
        if not problem:
            try:
                exchange = decode_exchange(snapshot.state)
            except OtherFormatError as error:
                log.warning(
                    "snapshot at sequence %d in %s is not loaded (%s): recovering from an earlier snapshot or "
                    "the journal's start instead", snapshot.sequence, journal.path, error,
                )  # fmt: skip
                continue
            except Exception as error:
                problem = f"it does not load ({error!r})"
            else:
                if _state_hash_recorded(exchange, snapshot.state_hash) == snapshot.state_hash:
                    return exchange
                problem = "its state does not match its recorded state hash"
        log.error(
            "snapshot at sequence %d in %s is damaged (%s): recovering from an earlier snapshot or the "
            "journal's start instead", snapshot.sequence, journal.path, problem,
        )  # fmt: skip
    return None
