"""A gateway's copy of the exchange: the read models and the host's state, rebuilt from the journal at
the sequence its ``Sync`` names, then folded from the sequencer's durable batches. It has an engine only
because ``Exchange`` does; nothing here ever applies a command after the rebuild."""

from collections.abc import Callable

from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.sequencer import recover
from paperex.server.persistence.journal import Journal
from paperex.server.process.frames import Batch, HostState


class Replica(Exchange):
    """What the queries read in a gateway, at the sequence of the last batch folded (always durable)."""

    def __init__(self, recovered: Exchange) -> None:
        """Keeps ``recovered``'s read models and host state, not its engine (the sequencer's alone)."""
        super().__init__(recovered.instruments)
        self.results = recovered.results
        self.sequence = recovered.sequence
        self._take(HostState(recovered.accounts, recovered.account_by_key, recovered.faults, recovered.market))

    @property
    def now(self) -> int:
        """The time of the last command folded (the writer's engine time after it)."""
        return self.results.now

    def fold(self, batch: Batch) -> list[Applied]:
        """Fold a batch's commands in order; their ``Applied``, completed as the writer's process did."""
        fold = self.results.fold
        folded = [fold(committed.applied()) for committed in batch.commands]
        if folded:
            self.sequence = folded[-1].sequence
        if batch.host is not None:
            self._take(batch.host)
        return folded

    def _take(self, host: HostState) -> None:
        self.accounts, self.account_by_key, self.faults, self.market = host


def replica_at(journal: Journal, fresh: Callable[[], Exchange], sequence: int, epoch: int) -> Replica | None:
    """The exchange at ``sequence`` of ``journal`` in ``epoch`` (its newest snapshot up to it, plus the
    commands after, replayed), or None when the journal is no longer there (reset meanwhile): the
    gateway then asks the sequencer for a new ``Sync``."""
    if journal.epoch != epoch:
        return None
    recovered = recover(journal, fresh, until=sequence)
    if recovered.sequence != sequence or journal.stored_epoch() != epoch:
        return None
    return Replica(recovered)
