"""What every sample bot shares: its command line, its connection, its instrument and a clean stop.

Options common to all bots: ``--target`` (env ``PAPEREX_TARGET``, default 127.0.0.1:50051),
``--api-key`` (``PAPEREX_API_KEY``) or ``--admin-token`` (``PAPEREX_ADMIN_TOKEN``), ``--tls-ca`` for a
TLS server, ``--symbol`` and ``--log-level``. ``run_main`` logs one readable line per action and turns
Ctrl-C or SIGTERM into a cancellation of the bot's task, so its ``finally`` blocks (cancel my orders,
close the stream) run before the process exits. Every error ends the bot with one line on stderr and
the CLI's exit codes (``paperex.client.cli.exits``): a bad option, a server that cannot be reached, a
key it refuses, a command it refuses.
"""

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

from paperex.client.cli.arguments import OneLineParser, decimal_argument, parse_duration
from paperex.client.cli.connection import ADMIN_TOKEN_VARIABLE as ENV_ADMIN_TOKEN
from paperex.client.cli.connection import API_KEY_VARIABLE as ENV_API_KEY
from paperex.client.cli.connection import TARGET_VARIABLE as ENV_TARGET
from paperex.client.cli.exits import describe, exit_code
from paperex.client.client import DEFAULT_TARGET, AsyncAdmin, AsyncClient
from paperex.client.errors import PaperexError, UnknownSymbol
from paperex.client.models import Instrument

T = TypeVar("T")
LOG_FORMAT = "%(asctime)s %(name)-14s %(message)s"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the server is and how to reach it; makes the SDK clients a bot needs."""

    target: str = DEFAULT_TARGET
    root_certificates: bytes | None = None

    def client(self, api_key: str) -> AsyncClient:
        """An account's client (close it, or use ``async with``)."""
        return AsyncClient(self.target, api_key=api_key, root_certificates=self.root_certificates)

    def admin(self, admin_token: str) -> AsyncAdmin:
        """The operator's client (close it, or use ``async with``)."""
        return AsyncAdmin(self.target, admin_token=admin_token, root_certificates=self.root_certificates)


def parser(bot: str, description: str, *, credential: str = "api_key") -> argparse.ArgumentParser:
    """The options every bot takes (``bot`` is its module name); ``credential`` is "api_key" for a
    trading bot, "admin_token" for one that drives the exchange. Environment variables give the
    defaults, so a key stays off the command line (and out of the shell history) when the user prefers."""
    arguments = OneLineParser(prog=f"python -m paperex.client.bots.{bot}", description=description)
    arguments.set_defaults(bot=bot)
    arguments.add_argument(
        "--target",
        default=os.environ.get(ENV_TARGET, DEFAULT_TARGET),
        help=f"host:port (env {ENV_TARGET}, default {DEFAULT_TARGET})",
    )
    if credential == "api_key":
        _secret(arguments, "--api-key", ENV_API_KEY, "the account's API key")
    else:
        _secret(arguments, "--admin-token", ENV_ADMIN_TOKEN, "the exchange's admin token")
    arguments.add_argument("--tls-ca", type=pem_file, metavar="FILE", help="PEM root certificates: connect with TLS")
    arguments.add_argument("--symbol", default="BTCUSDT", help="default BTCUSDT")
    arguments.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return arguments


def pem_file(path: str) -> bytes:
    """The certificates in a PEM file, read when the options are parsed so a wrong path is a usage error."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{path}: {error.strerror}") from None


def add_settings(arguments: argparse.ArgumentParser, defaults: object, helps: Mapping[str, str]) -> None:
    """One option per named field of the ``defaults`` dataclass (``half_spread_bps`` becomes
    ``--half-spread-bps``), typed like its default (a Decimal stays exact, a timedelta reads "5m") and
    with the default shown in ``--help``: the settings dataclass stays the one place defaults live."""
    for name, what in helps.items():
        default = getattr(defaults, name)
        kind: Any = decimal_argument if isinstance(default, Decimal) else type(default)
        shown: object = default
        if isinstance(default, bool):
            arguments.add_argument(f"--{name.replace('_', '-')}", action="store_true", help=what)
            continue
        if isinstance(default, timedelta):
            kind, shown = parse_duration, f"{int(default.total_seconds())}s"
        arguments.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=default, help=f"{what} (default {shown})"
        )


def read_settings(cls: type[T], options: argparse.Namespace, **values: Any) -> T:
    """A settings dataclass from the parsed options of the same names (plus ``values``)."""
    names = [field.name for field in fields(cast(Any, cls))]
    found = {name: getattr(options, name) for name in names if hasattr(options, name)}
    return cls(**{**found, **values})


def endpoint(options: argparse.Namespace) -> Endpoint:
    """The Endpoint the parsed options name."""
    return Endpoint(options.target, options.tls_ca)


def money(value: Decimal | None, places: int | None = None) -> str:
    """A price or amount for a log line: thousands separated, exact or to ``places`` decimals ("-" when
    there is none)."""
    if value is None:
        return "-"
    return f"{value:,}" if places is None else f"{value:,.{places}f}"


async def find_instrument(client: AsyncClient, symbol: str) -> Instrument:
    """The instrument's filters (tick, lot, minimums, fees): every price and size is rounded to them.
    Raises UnknownSymbol, naming the symbols there are, for one the exchange does not list."""
    instruments = await client.instruments()
    for instrument in instruments:
        if instrument.symbol == symbol:
            return instrument
    listed = ", ".join(instrument.symbol for instrument in instruments)
    raise UnknownSymbol(f"no instrument {symbol!r}; the exchange lists {listed}", metadata={"symbol": symbol})


def run_main(bot: Coroutine[Any, Any, object], options: argparse.Namespace) -> int:
    """Runs ``bot`` until it ends or the user stops it (Ctrl-C, SIGTERM); the exit status. A refusal
    that ends the bot is one line on stderr (``market_maker: UNAUTHENTICATED: unknown API key``)."""
    logging.basicConfig(level=options.log_level, format=LOG_FORMAT, datefmt="%H:%M:%S")
    log = logging.getLogger("bots")
    try:
        asyncio.run(_stoppable(bot))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped")
    except PaperexError as error:
        print(f"{options.bot}: {describe(error, options.target)}", file=sys.stderr, flush=True)
        return exit_code(error)
    return 0


def run_account_bot(options: argparse.Namespace, bot: Callable[[AsyncClient], Awaitable[object]]) -> int:
    """``run_main`` for a bot that trades one account: connects with the parsed options' API key and
    closes the channel after the bot's own clean-up."""

    async def connected() -> None:
        async with endpoint(options).client(options.api_key) as client:
            await bot(client)

    return run_main(connected(), options)


async def _stoppable(bot: Coroutine[Any, Any, object]) -> object:
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' loop
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await bot


def _secret(arguments: argparse.ArgumentParser, flag: str, variable: str, what: str) -> None:
    default = os.environ.get(variable)
    arguments.add_argument(flag, default=default, required=default is None, help=f"{what} (env {variable})")
