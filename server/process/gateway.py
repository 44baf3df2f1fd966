"""A gateway process: the gRPC and Binance-compatible APIs over a ``RemoteSequencer``, on ports it shares
with the other gateways (SO_REUSEPORT). It holds no journal and runs no market: the sequencer process
does; it authenticates, parses, rate-limits, answers queries from its own read models and fans out
streams."""

import time
from collections.abc import Callable

from paperex.server.core.admission import Admission
from paperex.server.core.application import Application
from paperex.server.core.exchange import Exchange
from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.server.process.remote_sequencer import RemoteSequencer


class GatewayServer(ExchangeServer):
    def __init__(
        self, config: ServerConfig, sequencer_socket: str, limits_clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(config, limits_clock=limits_clock)
        self.sequencer_socket = sequencer_socket
        self.runs_market = False

    def _take_lock(self) -> None:
        """The sequencer process holds the journal's lock; a gateway opens no journal."""

    async def open_writer(self) -> tuple[Application, str]:
        """The link to the sequencer process, once it has sent this gateway the state."""
        link = RemoteSequencer(self.sequencer_socket, self.clock, self.hub)
        self.sequencer = link
        await link.connect()

        def fresh() -> Exchange:  # a reset makes its fresh exchange in the sequencer process
            return link.exchange

        admission = Admission(self.config.limits, time.monotonic, self.limits_clock)
        return self._application(link, admission, fresh), link.admin_hash
