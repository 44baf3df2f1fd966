"""A gateway's copy of the exchange: the read models and the host's state, folded from the sequencer's
durable batches. It has an engine only because ``Exchange`` does; nothing here ever applies a command."""

from paperex.server.core.exchange import Applied, Exchange
from paperex.server.process.frames import Batch, HostState, Sync


class Replica(Exchange):
    """What the queries read in a gateway, at the sequence of the last batch folded (always durable)."""

    def __init__(self, sync: Sync) -> None:
        super().__init__(sync.results.instruments)
        self.results = sync.results
        self.sequence = sync.sequence
        self._take(sync.host)

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
