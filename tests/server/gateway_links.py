"""A sequencer host and gateways' links in the test's own process, over a real unix socket: what a
sequencer process and its gateways run, without their processes, so a test can reach into each side."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from paperex.server.core.sequencer import Sequencer
from paperex.server.core.streams import Hub
from paperex.server.grpc_api.app import ExchangeServer
from paperex.server.process.gateway import GatewayServer
from paperex.server.process.remote_sequencer import RemoteSequencer
from paperex.server.process.sequencer_host import SequencerHost
from tests.server.conftest import config


@dataclass
class Links:
    sequencer: Sequencer
    """The writer, keeping no read models, as in a sequencer process."""
    a: RemoteSequencer
    b: RemoteSequencer
    """Two gateways' links, not connected yet."""


@asynccontextmanager
async def gateway_links(tmp_path: Path) -> AsyncIterator[Links]:
    server = ExchangeServer(config(tmp_path))
    server.keeps_read_models = False  # as in a sequencer process
    app, admin_hash = await server.open_writer()
    sequencer = server.sequencer
    assert isinstance(sequencer, Sequencer)
    host = SequencerHost(app, sequencer, admin_hash, str(tmp_path / "sequencer.sock"))
    await host.start()
    gateway = GatewayServer(config(tmp_path), host.path)  # for the state a link rebuilds from the journal
    a = RemoteSequencer(host.path, server.clock, Hub(), gateway.replica_at)
    b = RemoteSequencer(host.path, server.clock, Hub(), gateway.replica_at)
    try:
        yield Links(sequencer, a, b)
    finally:
        await a.stop()
        await b.stop()
        await host.stop()
        await server.stop()
