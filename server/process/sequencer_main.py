"""The sequencer process of ``paperex serve --gateways N``: the writer, the market and the clock, serving
the gateways' socket, until SIGTERM (a final snapshot, as a single-process server makes) or a fault
(exit code 1; the supervisor starts it again and it recovers from the journal)."""

import asyncio
import logging
import signal

from paperex.server.core import gc_policy
from paperex.server.core.sequencer import Sequencer
from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.server.process.sequencer_host import SequencerHost
from paperex.server.process.supervisor import SEQUENCER_READY

log = logging.getLogger("paperex.server")


async def run_sequencer(config: ServerConfig, socket_path: str) -> int:
    server = ExchangeServer(config)
    server.keeps_read_models = False  # its gateways keep them
    app, admin_hash = await server.open_writer()
    sequencer = server.sequencer
    assert isinstance(sequencer, Sequencer)
    host = SequencerHost(app, sequencer, admin_hash, socket_path)
    await host.start()
    await server.run_market(app)
    gc_policy.install()  # as a single-process server does: full collections skip the recovered state
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"{SEQUENCER_READY} on {socket_path} at sequence {app.exchange.sequence}", flush=True)
    if server.generated_admin_token:
        print(f"admin token (shown once, stored hashed): {server.generated_admin_token}", flush=True)
    failure = loop.create_task(server.wait_for_failure())
    stopping = loop.create_task(stop.wait())
    await asyncio.wait([failure, stopping], return_when=asyncio.FIRST_COMPLETED)
    log.info("sequencer shutting down")
    await server.stop()
    await host.stop()
    failure.cancel()
    stopping.cancel()
    return 1 if failure.done() and not failure.cancelled() else 0
