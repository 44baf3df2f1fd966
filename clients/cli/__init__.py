"""``paperex``: the exchange's command line (the console script's entry point is ``main``).

``paperex`` alone, ``paperex serve ...`` and ``paperex demo`` run the server as they always did (see
``paperex.client.cli.delegate``); every other subcommand is a client of a running exchange over gRPC, built
on the SDK alone: ``account``, ``order``, ``positions``, ``leverage``, ``margin-mode``, ``margin``,
``fills``, ``income``, ``liquidations``, ``book``, ``ticker``, ``instruments``, ``watch``, ``scenario``,
``ledger``. Exit codes are documented in ``paperex.client.cli.exits``.
"""

import argparse
import asyncio
import os
import sys

from paperex.client.cli import account, faults, ledger, margin, market, orders, records, scenario, watch
from paperex.client.cli.connection import common_options, target
from paperex.client.cli.delegate import exec_server, is_server_command
from paperex.client.cli.exits import (
    CREDENTIAL,
    INTERRUPTED,
    OK,
    UNBALANCED,
    USAGE,
    MissingCredential,
    Unbalanced,
    UsageError,
    describe,
    exit_code,
)
from paperex.client.cli.output import Output
from paperex.client.errors import PaperexError

COMMAND_MODULES = (account, orders, margin, records, market, watch, scenario, faults, ledger)
EPILOG = (
    "exit codes: 0 done, 1 refused by the exchange, 2 usage, 3 cannot reach the exchange, "
    "4 missing or rejected credential, 5 money not conserved (ledger), 130 interrupted"
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; ``serve`` and ``demo`` are listed for --help and run by the server."""
    parser = argparse.ArgumentParser(
        prog="paperex",
        description="Paper-trading crypto derivatives exchange: server and command-line client.",
        epilog=EPILOG,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="run the exchange (the default; `paperex serve --help` lists its options)")
    commands.add_parser("demo", help="print the scripted 20%% crash story (engine only)")
    common = common_options()
    for module in COMMAND_MODULES:
        module.register(commands, common)
    return parser


def run(argv: list[str]) -> int:
    """Runs one client subcommand and returns its exit code; expected failures print one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return USAGE
    try:
        asyncio.run(args.handler(args, Output(args.json)))
    except PaperexError as error:
        return _fail(describe(error, target(args)), exit_code(error))
    except MissingCredential as missing:
        return _fail(str(missing), CREDENTIAL)
    except UsageError as usage:
        return _fail(str(usage), USAGE)
    except Unbalanced as unbalanced:
        return _fail(str(unbalanced), UNBALANCED)
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``paperex book BTCUSDT | head``): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return OK


def _fail(message: str, code: int) -> int:
    print(f"paperex: {message}", file=sys.stderr, flush=True)
    return code


def main(argv: list[str] | None = None) -> None:
    """The console script: delegates server command lines, runs the others, exits with their code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if is_server_command(arguments):
        exec_server(arguments)
    sys.exit(run(arguments))
