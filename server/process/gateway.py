"""A gateway process: the gRPC and Binance-compatible APIs over a ``RemoteSequencer``, on ports it shares
with the other gateways (SO_REUSEPORT). It writes no journal and runs no market: the sequencer process
does; it authenticates, parses, rate-limits, answers queries from its own read models (rebuilt from the
journal when it connects, then folded from the sequencer's batches) and fans out streams."""

import time
from collections.abc import Callable

from paperex.server.core.admission import Admission
from paperex.server.core.application import Application
from paperex.server.core.exchange import Exchange
from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.server.persistence.journal import Journal
from paperex.server.process.remote_sequencer import RemoteSequencer
from paperex.server.process.replica import Replica, replica_at


class GatewayServer(ExchangeServer):
    def __init__(
        self, config: ServerConfig, sequencer_socket: str, limits_clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(config, limits_clock=limits_clock)
        self.sequencer_socket = sequencer_socket
        self.runs_market = False

    def _take_lock(self) -> None:
        """The sequencer process holds the journal's lock; a gateway only reads the journal."""

    async def open_writer(self) -> tuple[Application, str]:
        """The link to the sequencer process, once this gateway has the state it names."""
        link = RemoteSequencer(self.sequencer_socket, self.clock, self.hub, self.replica_at)
        self.sequencer = link
        await link.connect()

        def fresh() -> Exchange:  # a reset makes its fresh exchange in the sequencer process
            return link.exchange

        admission = Admission(self.config.limits, time.monotonic, self.limits_clock)
        return self._application(link, admission, fresh), link.admin_hash

    def replica_at(self, sequence: int, epoch: int) -> Replica | None:
        """The exchange at ``sequence``, rebuilt from the journal the sequencer writes (read only here)."""
        journal = Journal(self.config.db, self.config.durability)
        try:
            return replica_at(journal, self.fresh_exchanges(journal), sequence, epoch)
        finally:
            journal.close()
