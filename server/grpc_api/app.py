"""The grpc.aio server: recovery, services, health and reflection, the deadline timer, graceful stop."""

import asyncio
import contextlib
import errno
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from paperex.engine.collateral import DEFAULT_COLLATERAL, CollateralAsset, parse_collateral
from paperex.engine.instruments import DEFAULT_INSTRUMENTS, Instrument, parse_instruments
from paperex.server.core.admission import Admission, Limits
from paperex.server.core.application import Application
from paperex.server.core.checkpoint import Checkpointer
from paperex.server.core.collateral_table import check_collateral_table
from paperex.server.core.credentials import key_hash
from paperex.server.core.exchange import Exchange
from paperex.server.core.history_retention import history_retention
from paperex.server.core.sequencer import DEFAULT_SNAPSHOT_EVERY, Clock, Sequencer, recover
from paperex.server.core.streams import Hub
from paperex.server.core.writer import Writer
from paperex.server.grpc_api.auth import Authenticator, new_admin_token
from paperex.server.grpc_api.decoding import guarded, tolerant
from paperex.server.grpc_api.reflection import enable_reflection
from paperex.server.grpc_api.services.account import AccountService
from paperex.server.grpc_api.services.admin import AdminService
from paperex.server.grpc_api.services.base import Runtime
from paperex.server.grpc_api.services.market_data import MarketDataService
from paperex.server.grpc_api.services.trading import TradingService
from paperex.server.market.clock import SimulatedClock, WallClock
from paperex.server.persistence.durable_mark import DurableMark
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.persistence.writer_lock import WriterLock
from paperex.v1 import (
    account_pb2,
    account_pb2_grpc,
    admin_pb2,
    admin_pb2_grpc,
    market_data_pb2,
    market_data_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)

log = logging.getLogger("paperex.server")

ADMIN_TOKEN_SETTING = "admin_token_sha256"
SIMULATION_START_NS = 1_767_225_600 * 10**9
"""2026-01-01T00:00:00Z."""
DEADLINE_POLL_SECONDS = 0.1
"""How often the wall-clock timer looks for a due feed step, GTD expiry or funding time."""
BACKLOG_POLL_SECONDS = 0.05
BACKLOG_QUIET_POLLS = 5
"""A stop waits for this many polls in a row in which gRPC handed no new call to a servicer."""

SERVICE_NAMES = tuple(
    module.DESCRIPTOR.services_by_name[name].full_name
    for module, name in (
        (market_data_pb2, "MarketData"),
        (trading_pb2, "Trading"),
        (account_pb2, "Account"),
        (admin_pb2, "Admin"),
    )
)


@dataclass(slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 50051
    db: str = "paperex.db"
    instruments_toml: str = ""
    admin_token: str = ""
    durability: Durability = Durability.BATCHED
    tls_cert: str = ""
    tls_key: str = ""
    limits: Limits = field(default_factory=Limits)
    """What the server admits: budgets, stream and connection caps, request size (``paperex.server.core.admission``)."""
    snapshot_every: int = DEFAULT_SNAPSHOT_EVERY
    stream_capacity: int = 65_536
    """Messages a stream reader may fall behind before it is cut (above one sequencer batch's output)."""
    max_batch_commands: int = 500
    grace_seconds: float = 5.0
    clock: str = "wall"
    """"wall", or "simulated" (time moves only by Admin.AdvanceTime/Step)."""
    start_time: int = SIMULATION_START_NS
    """Where a simulated clock starts on a fresh journal (ns since the epoch)."""
    scenario: str = ""
    """A library scenario to run (loaded at start unless the journal already runs it)."""
    seed: int = 0
    liquidity: bool = False
    """Start the built-in liquidity provider (when the journal has not decided otherwise)."""
    liquidity_config: str = ""
    """The provider's settings (TOML), applied at start when given."""
    takers: bool = True
    """The scenarios' built-in taker flow; off is journaled at start and holds for every scenario."""
    history_retention: int | None = None
    """Orders and fills kept per account; None: what the journal was started with (a new one:
    ``paperex.server.state.history.RETAINED_PER_ACCOUNT``)."""
    init: bool = False
    """Make a new journal where the file is empty or only its durable mark is left (never over contents)."""
    reuse_port: bool = False
    """Share the listening ports with other processes (SO_REUSEPORT): the gateways of ``--gateways N``."""


def load_config(path: str) -> tuple[dict[str, Instrument], dict[str, CollateralAsset]]:
    """The built-in instruments and collateral table, each overridden or extended by the ``[instruments]``
    and ``[collateral]`` tables of a TOML file when one is given."""
    if not path:
        return dict(DEFAULT_INSTRUMENTS), dict(DEFAULT_COLLATERAL)
    text = Path(path).read_text(encoding="utf-8")
    return parse_instruments(text, DEFAULT_INSTRUMENTS), parse_collateral(text)


class _GenericHandlersOnly:
    """The server as the generated ``add_*Servicer_to_server`` functions see it: they get only its
    generic handlers, not its registered methods. grpc.aio's accept loop keeps a pending future per
    registered method and runs ``asyncio.wait`` over all of them for every call it accepts: over our
    46, 29 us a call, against 6 us over the one future of generic handlers (measured on uvloop).

    The generated code hands each service's methods twice: as a generic handler, then by name. The
    generic handler is rebuilt from the named methods, with deserializers that refuse undecodable
    requests as the caller's mistake (``paperex.server.grpc_api.decoding``): paperex's servicers refuse
    them themselves, grpc's (health, reflection) are guarded in front."""

    def __init__(self, server: grpc.aio.Server) -> None:
        self._server = server

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        """Dropped: every service on this server is also handed over by name."""

    def add_registered_method_handlers(
        self, service: str, handlers: "dict[str, grpc.RpcMethodHandler[Any, Any]]"
    ) -> None:
        wrap = tolerant if service in SERVICE_NAMES else guarded
        methods = {name: wrap(handler) for name, handler in handlers.items()}
        self._server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(service, methods)])


class ExchangeServer:
    """One running exchange. ``start`` recovers the journal and listens; ``stop`` shuts down gracefully.
    ``limits_clock`` is the wall clock the venue limits count by, whatever the exchange's clock."""

    def __init__(
        self, config: ServerConfig, clock: Clock | None = None, limits_clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.clock = clock or (SimulatedClock(config.start_time) if config.clock == "simulated" else WallClock())
        self.limits_clock = limits_clock
        self.instruments, self.collateral = load_config(config.instruments_toml)
        self.port = 0
        self.generated_admin_token = ""
        self.journal: Journal | None = None
        self.sequencer: Writer | None = None
        self.runs_market = True
        """Whether this process starts the market and keeps time (not a gateway: its sequencer does)."""
        self.keeps_read_models = True
        """Whether the writer folds the read models (not a sequencer process: its gateways keep them)."""
        self.checkpointer: Checkpointer | None = None
        self.hub: Hub[Any] = Hub()
        self._server: grpc.aio.Server | None = None
        self._lock: WriterLock | None = None
        self._health = health.aio.HealthServicer()
        self._timer: asyncio.Task[None] | None = None
        self._runtime: Runtime | None = None
        self._stopped = False

    async def start(self) -> int:
        """Lock the journal, claim the port, recover, then serve; returns the port.

        Raises JournalError (one line for the operator) when another server holds the journal, or it
        is damaged, misses acknowledged commands, contradicts a start option, or would be made new
        where one was without ``config.init``.
        """
        try:
            self._take_lock()
            # the port next: a taken port fails at once, not after replaying a long journal
            self._listen()
            app, admin_hash = await self.open_writer()
            await self._serve(app, admin_hash)
        except BaseException:
            await self._close()
            raise
        return self.port

    async def open_writer(self) -> tuple[Application, str]:
        """Lock and recover the journal and start the sequencer, with the application over it and the
        admin token's hash; what a sequencer process runs without serving any API."""
        self._take_lock()
        config = self.config
        mark = DurableMark(config.db, fsync=config.durability is not Durability.OFF)
        mark.check_opening(config.init)
        journal = self.journal = Journal(config.db, config.durability)
        if not config.init:
            mark.check_reaches(journal)
        admin_hash = self._admin_token_hash(journal)
        fresh = self.fresh_exchanges(journal)
        exchange = recover(journal, fresh)
        if not self.keeps_read_models:
            exchange.results = fresh().results  # frees the recovered ones: nothing here reads or folds them
        mark.write(journal.epoch, exchange.sequence)
        log.info("recovered %d commands from %s", exchange.sequence, config.db)
        checkpoints = self.checkpointer = Checkpointer(config.db, config.durability, fresh)
        admission = Admission(config.limits, time.monotonic, self.limits_clock)
        sequencer = self.sequencer = Sequencer(
            exchange,
            journal,
            self.clock,
            self.hub,
            checkpoints,
            snapshot_every=config.snapshot_every,
            mark=mark,
            admission=admission,
            read_models=self.keeps_read_models,
        )
        sequencer.start()
        return self._application(sequencer, admission, fresh), admin_hash

    def fresh_exchanges(self, journal: Journal) -> "functools.partial[Exchange]":
        """What makes an empty exchange for ``journal``, on the history retention and collateral table it
        was created with (a partial, so it pickles for the checkpoint helper)."""
        retention = history_retention(journal, self.config.history_retention)
        check_collateral_table(journal, self.collateral)
        return functools.partial(Exchange, self.instruments, history_retention=retention, collateral=self.collateral)

    def _take_lock(self) -> None:
        """One writer per journal (``<db>.lock``); a gateway, which has no journal, takes none."""
        if self._lock is None:
            self._lock = WriterLock(self.config.db)
            self._lock.acquire()

    def _application(self, writer: Writer, admission: Admission, fresh: Callable[[], Exchange]) -> Application:
        return Application(
            writer,
            admission,
            self.hub,
            fresh,
            simulated=bool(getattr(self.clock, "simulated", False)),
            stream_capacity=self.config.stream_capacity,
        )

    async def run_market(self, app: Application) -> None:
        """Start the market the options ask for and, on a wall clock, the timer that moves time."""
        config = self.config
        await app.start_market(config.takers, config.scenario, config.seed, config.liquidity, config.liquidity_config)
        if not app.simulated:
            self._timer = asyncio.get_running_loop().create_task(app.keep_time(DEADLINE_POLL_SECONDS), name="clock")

    def _listen(self) -> None:
        config = self.config
        options = [*config.limits.channel_options(), ("grpc.so_reuseport", int(config.reuse_port))]
        server = self._server = grpc.aio.server(options=options)
        address = f"{config.host}:{config.port}"
        try:
            if config.tls_cert:
                credentials = grpc.ssl_server_credentials(
                    [(Path(config.tls_key).read_bytes(), Path(config.tls_cert).read_bytes())]
                )
                self.port = server.add_secure_port(address, credentials)
            else:
                self.port = server.add_insecure_port(address)
        except RuntimeError:  # grpc's only word for it: "Failed to bind"
            raise OSError(errno.EADDRINUSE, "cannot listen there (in use, or not allowed)", address) from None

    async def _serve(self, app: Application, admin_hash: str) -> None:
        assert self._server is not None
        server, config = self._server, self.config
        runtime = Runtime(
            app=app,
            auth=Authenticator(admin_hash, app.account_by_key),
            max_batch_commands=config.max_batch_commands,
        )
        self._runtime = runtime
        services: Any = _GenericHandlersOnly(server)
        market_data_pb2_grpc.add_MarketDataServicer_to_server(MarketDataService(runtime), services)
        trading_pb2_grpc.add_TradingServicer_to_server(TradingService(runtime), services)
        account_pb2_grpc.add_AccountServicer_to_server(AccountService(runtime), services)
        admin_pb2_grpc.add_AdminServicer_to_server(AdminService(runtime), services)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, services)
        enable_reflection((*SERVICE_NAMES, health.SERVICE_NAME), services)
        await server.start()
        if self.runs_market:
            await self.run_market(app)
        await self._set_serving(health_pb2.HealthCheckResponse.SERVING)

    async def _close(self) -> None:
        """What a failed start leaves open (``stop`` then has nothing to do)."""
        self._stopped = True
        if self._server is not None:
            await self._server.stop(None)
            self._server = None
        if self.journal is not None:
            self.journal.close()
        if self._lock is not None:
            self._lock.release()

    def _admin_token_hash(self, journal: Journal) -> str:
        """The flag's token, else the one stored at first start, else a new one (shown once)."""
        if self.config.admin_token:
            return key_hash(self.config.admin_token)
        stored = journal.setting(ADMIN_TOKEN_SETTING)
        if stored:
            return stored
        self.generated_admin_token = new_admin_token()
        hashed = key_hash(self.generated_admin_token)
        journal.set_setting(ADMIN_TOKEN_SETTING, hashed)
        return hashed

    async def _set_serving(self, status: Any) -> None:
        for name in ("", *SERVICE_NAMES):
            await self._health.set(name, status)

    async def _answer_backlog(self) -> None:
        """Keep serving until gRPC has handed every call it received to a servicer (each is answered:
        a new command is refused SHUTTING_DOWN, quickly). gRPC's stop would answer the calls still
        waiting for a servicer CANCELLED, which tells a client nothing. gRPC does not show that
        backlog, so the wait ends after a few polls in a row in which no call was handed over (a poll
        that overslept, the process descheduled, does not count), or after the grace period."""
        assert self._runtime is not None
        runtime, loop = self._runtime, asyncio.get_running_loop()
        deadline = loop.time() + self.config.grace_seconds
        quiet = 0
        while quiet < BACKLOG_QUIET_POLLS and loop.time() < deadline:
            started, calls = loop.time(), runtime.calls_started
            await asyncio.sleep(BACKLOG_POLL_SECONDS)
            overslept = loop.time() - started > 2 * BACKLOG_POLL_SECONDS
            quiet = quiet + 1 if calls == runtime.calls_started and not overslept else 0

    @property
    def application(self) -> Application:
        """The application core the adapters call (once started)."""
        assert self._runtime is not None
        return self._runtime.app

    async def wait_for_failure(self) -> None:
        assert self.sequencer is not None
        await self.sequencer.failed.wait()

    async def stop(self) -> None:
        """Answer every call already received (new commands are refused with a retry delay), end
        streams, stop gRPC, then snapshot and close."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            await self._set_serving(health_pb2.HealthCheckResponse.NOT_SERVING)
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        if self.sequencer is not None:
            self.sequencer.refuse_new()
            await self.sequencer.drain()
            if self._server is not None:
                await self._answer_backlog()
        self.hub.close_all("the server is shutting down", drain=True)
        if self._server is not None:
            await self._server.stop(self.config.grace_seconds)
        if self.sequencer is not None:
            await self.sequencer.stop()
        if self.journal is not None:
            self.journal.close()
        if self._lock is not None:
            self._lock.release()
        self._server = None
