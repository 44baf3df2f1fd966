"""``paperex serve`` (also ``python -m paperex.server``): run the exchange until SIGTERM or Ctrl-C.

``paperex demo`` prints the scripted engine story (a 20% crash: a stop versus a liquidation).

A start that cannot happen (a taken port, a journal that cannot be opened or trusted, a bad option or
file) ends with one ``paperex: ...`` line on stderr and a non-zero exit code, never a traceback. gRPC's
core library would add its own log line to some of them (a taken port), so its logging is off unless
``GRPC_VERBOSITY`` asks for it; it is read once, when grpc is imported, hence before the imports.
"""

import os

os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import argparse
import asyncio
import contextlib
import logging
import resource
import signal
import sqlite3
import sys
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from paperex.engine.collateral import CollateralConfigError
from paperex.engine.engine import ENGINE_BUILD
from paperex.engine.instruments import InstrumentConfigError
from paperex.server.binance_api.app import BinanceApi
from paperex.server.core import gc_policy
from paperex.server.core.admission import PROFILES
from paperex.server.core.results import RESULTS_BUILD
from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.server.grpc_api.event_loop import event_loop_factory
from paperex.server.market.demo import main as demo
from paperex.server.market.liquidity import parse_configs
from paperex.server.market.scenarios import library
from paperex.server.persistence.journal import Durability, JournalError
from paperex.server.process.gateway import GatewayServer
from paperex.server.process.sequencer_main import run_sequencer
from paperex.server.process.supervisor import Supervisor, claim_port, exit_with_stdin
from paperex.server.state.history import RETAINED_PER_ACCOUNT, checked_retention
from paperex.server.wire.errors import Refused

log = logging.getLogger("paperex.server")

LIMIT_FLAGS = {
    "order_rate": "orders/s per account: places, amends, settings, alerts (cancels are free); 0: off",
    "order_burst": "orders one account may send at once (at least one full OrderSession batch, 500)",
    "command_rate": "commands/s of all accounts together, cancels included (below what the server processes); 0: off",
    "command_burst": "commands all accounts together may send at once",
    "query_rate": "reads/s per account (queries, stream opens, market data with a key); 0: off",
    "query_burst": "reads one account may send at once",
    "anonymous_rate": "calls/s per client address without a valid API key (public market data); 0: off",
    "anonymous_burst": "calls without a key one address may send at once",
    "streams_per_connection": "open streams per client connection; 0: no cap",
    "streams": "open streams on the whole server; 0: no cap",
    "max_request_bytes": "largest request message (a full batch of orders is at most 180 KB)",
    "max_connections": "client connections at once (keep it below the open-file limit); 0: no cap",
    "calls_per_connection": "concurrent calls per connection (HTTP/2 streams); 0: grpc's default",
    "handshake_timeout": "seconds a new connection has to finish its handshake; 0: grpc's 120 s",
    "idle_timeout": "seconds a connection may stay without calls before it is closed; 0: never",
}
"""The ``paperex serve`` flag of every admission limit (``--order-rate`` sets ``Limits.order_rate``),
which overrides the one of the ``--limits`` profile."""


def retention(text: str) -> int:
    """An --history-retention value: a whole number, at least paperex.server.state.history.MIN_RETAINED."""
    try:
        return checked_retention(int(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_PORT = 65_535


class OneLineParser(argparse.ArgumentParser):
    """A usage error is one line naming the option and pointing to --help, like every refused start."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def switch(parser: argparse.ArgumentParser, flag: str, help_line: str) -> None:
    """An ``on``/``off`` flag, on by default."""
    parser.add_argument(flag, choices=["on", "off"], default="on", help=help_line)


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (0 picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"not a port (0 to {MAX_PORT}): {text!r}")
    return port


def at_least(minimum: int) -> Callable[[str], int]:
    """A whole-number option that must be ``minimum`` or more."""

    def whole_number(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"not a whole number of at least {minimum}: {text!r}")
        return number

    return whole_number


def rate(text: str) -> float:
    """A rate or a time in seconds: a finite number, 0 or more (0 turns the limit off)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of 0 or more: {text!r}")
    return value


def default_gateways() -> int:
    """One process up to 4 cores (measured on 2: the gateways and the sequencer would share them with
    the clients); above, a core for the sequencer, one for the journal and the clients, the rest gateways."""
    cores = os.cpu_count() or 1
    return 1 if cores <= 4 else min(cores - 2, 16)


def parser() -> argparse.ArgumentParser:
    root = OneLineParser(prog="paperex", description="Paper-trading crypto derivatives exchange.")
    commands = root.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the exchange (the default)")
    defaults = ServerConfig()
    serve.add_argument("--host", default=defaults.host)
    serve.add_argument("--port", type=port_number, default=defaults.port, help="0 picks a free port")
    serve.add_argument("--db", default=defaults.db, help="journal file (SQLite, WAL)")
    serve.add_argument(
        "--config",
        default="",
        help="TOML whose [instruments.SYMBOL] and [collateral.ASSET] tables override/extend the built-in ones",
    )
    serve.add_argument(
        "--admin-token",
        default=os.environ.get("PAPEREX_ADMIN_TOKEN", ""),
        help="admin token (env PAPEREX_ADMIN_TOKEN); by default one is generated at first start and printed",
    )
    switch(serve, "--binance", "the Binance USDⓈ-M compatible REST API (docs/binance-api.md) on --binance-port")
    serve.add_argument(
        "--binance-port",
        type=port_number,
        default=None,
        help="default: --port + 1 (50052), or a free one with --port 0; 0 picks a free port",
    )
    serve.add_argument("--durability", choices=[d.value for d in Durability], default=defaults.durability.value)
    serve.add_argument("--tls-cert", default="")
    serve.add_argument("--tls-key", default="")
    serve.add_argument(
        "--limits",
        choices=sorted(PROFILES),
        default="default",
        help="limits profile: this server's budgets, or binance: the venue's request weights per address,"
        " order counts per account and bans (docs/limits.md); the flags below override it",
    )
    for name, help_line in LIMIT_FLAGS.items():
        default = getattr(defaults.limits, name)
        flag = "--" + name.replace("_", "-")
        kind = rate if isinstance(default, float) else at_least(1 if name.endswith("_burst") else 0)
        serve.add_argument(flag, type=kind, default=None, help=f"{help_line} (default {default})")
    serve.add_argument(
        "--snapshot-every", type=at_least(1), default=defaults.snapshot_every, help="commands between snapshots"
    )
    serve.add_argument(
        "--history-retention",
        type=retention,
        default=None,
        help=f"orders and fills kept per account (default {RETAINED_PER_ACCOUNT}); fixed when the journal is created",
    )
    serve.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO",
        help="DEBUG logs every command with its events",
    )
    serve.add_argument(
        "--clock", choices=["wall", "simulated"], default="wall", help="simulated: time moves only by Admin.AdvanceTime"
    )
    serve.add_argument("--scenario", default="", help="run a library scenario (see Admin.ListScenarios), e.g. calm")
    serve.add_argument("--seed", type=int, default=0, help="seed of the scenario's random parts")
    serve.add_argument(
        "--liquidity-config", default="", help="TOML of the liquidity provider's per-instrument settings"
    )
    switch(serve, "--liquidity", "the built-in liquidity provider (quotes around the index)")
    switch(
        serve,
        "--takers",
        "the built-in taker flow of the scenarios that have one (market orders that make trades print)",
    )
    serve.add_argument(
        "--init",
        action="store_true",
        help="start a new exchange where --db is an empty file or only its .durable mark is left",
    )
    serve.add_argument(
        "--gateways",
        type=at_least(1),
        default=default_gateways(),
        help="1: one process; N >= 2: one sequencer process and N gateway processes sharing the ports"
        f" (default {default_gateways()}, from the machine's {os.cpu_count()} cores; docs/architecture.md)",
    )
    serve.add_argument("--role", choices=["sequencer", "gateway"], default="", help=argparse.SUPPRESS)
    serve.add_argument("--sequencer-socket", default="", help=argparse.SUPPRESS)
    serve.add_argument("--exit-with-stdin", action="store_true", help=argparse.SUPPRESS)
    commands.add_parser("demo", help="print the scripted 20%% crash story (engine only)")
    return root


def config_from(args: argparse.Namespace) -> ServerConfig:
    """The server's settings; what the options alone show to be wrong is refused before the journal opens."""
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("paperex: --tls-cert and --tls-key go together")
    shipped = library()
    if args.scenario and args.scenario not in shipped:
        known = ", ".join(sorted(shipped))
        raise SystemExit(f"paperex: UNKNOWN_SCENARIO: unknown scenario {args.scenario!r}; the library has {known}")
    liquidity_config = Path(args.liquidity_config).read_text(encoding="utf-8") if args.liquidity_config else ""
    try:
        parse_configs(liquidity_config)
    except ValueError as error:
        raise SystemExit(f"paperex: {args.liquidity_config}: {error}") from None
    return ServerConfig(
        host=args.host,
        port=args.port,
        db=args.db,
        instruments_toml=args.config,
        admin_token=args.admin_token,
        durability=Durability(args.durability),
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        limits=replace(
            PROFILES[args.limits],
            **{name: getattr(args, name) for name in LIMIT_FLAGS if getattr(args, name) is not None},
        ),
        snapshot_every=args.snapshot_every,
        history_retention=args.history_retention,
        init=args.init,
        clock=args.clock,
        scenario=args.scenario,
        seed=args.seed,
        liquidity=args.liquidity == "on",
        liquidity_config=liquidity_config,
        takers=args.takers == "on",
    )


def raise_open_file_limit() -> None:
    """Every connection is a file descriptor: take the hard limit, not the soft one (often 1,024),
    so that the connection cap is what refuses clients, not a journal write that fails for want of
    a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def refused_start(config: ServerConfig) -> Iterator[None]:
    """A start that cannot happen as one ``paperex: ...`` line (SystemExit), never a traceback."""
    try:
        yield
    except (JournalError, InstrumentConfigError, CollateralConfigError, Refused) as refusal:
        # the journal (held, damaged, short of acknowledged commands, another collateral table), the config
        # file, the scenario
        raise SystemExit(f"paperex: {refusal}") from None
    except OSError as error:  # the port, the journal's folder, a file an option names
        raise SystemExit(f"paperex: {error.filename}: {error.strerror}") from None
    except sqlite3.Error as error:  # --db names something SQLite cannot open or use (a folder, not a database)
        raise SystemExit(f"paperex: {config.db}: not a usable journal ({error})") from None


async def serve(config: ServerConfig, binance_port: int | None = None, sequencer_socket: str = "") -> int:
    """Run until SIGINT or SIGTERM; ``binance_port`` None leaves the Binance-compatible API off;
    ``sequencer_socket`` makes this a gateway of the sequencer process listening there."""
    binance: BinanceApi | None = None
    with refused_start(config):
        server = ExchangeServer(config) if not sequencer_socket else GatewayServer(config, sequencer_socket)
        port = await server.start()
        if binance_port is not None:
            binance = BinanceApi(server.application)
            try:
                binance_port = await binance.start(config.host, binance_port, reuse_port=config.reuse_port)
            except BaseException:
                await server.stop()
                raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before the "listening" line that callers wait for
        loop.add_signal_handler(signum, stop.set)
    gc_policy.install()
    raise_open_file_limit()
    where = f"{config.host}:{port}"
    builds = f"engine {ENGINE_BUILD}, results {RESULTS_BUILD}"
    print(f"paperex listening on {where} (journal {config.db}, durability {config.durability}, {builds})", flush=True)
    if server.generated_admin_token:
        print(f"admin token (shown once, stored hashed): {server.generated_admin_token}", flush=True)
    print(
        f"create an account: PAPEREX_TARGET={where} PAPEREX_ADMIN_TOKEN=<admin token> "
        "paperex account create bot1 --deposit 10000",
        flush=True,
    )
    venue = config.limits.venue
    if venue is not None:
        print(
            f"venue limits: {venue.request_weight} request weight a minute per address, {venue.orders_per_10s}"
            f" new orders per 10 s and {venue.orders_per_minute} a minute per account, then bans (docs/limits.md)",
            flush=True,
        )
    if binance_port is not None:
        base = f"http://{config.host}:{binance_port}"
        print(
            f"Binance USDⓈ-M compatible REST API on {base}/fapi: the account's api key is X-MBX-APIKEY and its"
            f" api secret signs; ccxt binanceusdm: urls['test'] fapiPublic/fapiPrivate = {base}/fapi/v1"
            f" (V2 {base}/fapi/v2, V3 {base}/fapi/v3), then set_sandbox_mode(True) (docs/binance-api.md)",
            flush=True,
        )
    failure = loop.create_task(server.wait_for_failure())
    stopping = loop.create_task(stop.wait())
    await asyncio.wait([failure, stopping], return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down")
    if binance is not None:
        await binance.stop()
    await server.stop()
    failure.cancel()
    stopping.cancel()
    return 1 if failure.done() and not failure.cancelled() else 0


async def serve_sequencer(config: ServerConfig, socket_path: str) -> int:
    """The sequencer process of ``--gateways N``."""
    with refused_start(config):
        return await run_sequencer(config, socket_path)


async def supervise(config: ServerConfig, binance: int | None, argv: list[str], gateways: int) -> int:
    """``--gateways N``: claim the ports, then run and watch the sequencer and the N gateways."""
    claims = []
    with refused_start(config):
        claims.append(claim_port(config.host, config.port))
        if binance is not None:
            claims.append(claim_port(config.host, binance))
    ports = ["--port", str(claims[0].getsockname()[1])]
    if binance is not None:
        ports += ["--binance-port", str(claims[1].getsockname()[1])]
    supervisor = Supervisor(argv, gateways)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, supervisor.stop)
    try:
        return await supervisor.run(ports)
    finally:
        for claim in claims:
            claim.close()


def binance_port(args: argparse.Namespace) -> int | None:
    """Where the Binance-compatible API listens: None when it is off; by default beside the gRPC port
    (a free port when that one is picked freely, so that servers started with --port 0 never collide)."""
    if args.binance == "off":
        return None
    if args.binance_port is not None:
        return int(args.binance_port)
    return 0 if args.port == 0 else args.port + 1


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command == "demo":
        demo()
        return
    if args.command is None:
        args = parser().parse_args(["serve", *(argv or sys.argv[1:])])
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from(args)
    except OSError as error:  # a file an option names
        raise SystemExit(f"paperex: {error.filename}: {error.strerror}") from None
    if args.exit_with_stdin:
        exit_with_stdin()
    run: Coroutine[None, None, int]
    if args.role == "sequencer":
        run = serve_sequencer(config, args.sequencer_socket)
    elif args.role == "gateway":
        run = serve(replace(config, reuse_port=True), binance_port(args), args.sequencer_socket)
    elif args.gateways >= 2:
        command = list(argv if argv is not None else sys.argv[1:])
        command = command if command[:1] == ["serve"] else ["serve", *command]
        run = supervise(config, binance_port(args), command, args.gateways)
    else:
        run = serve(config, binance_port(args))
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        sys.exit(runner.run(run))


if __name__ == "__main__":
    main()
