"""The options every subcommand shares (where the exchange is, which key) and the SDK objects they open.

Options beat environment variables, which beat the default, so a shell can ``export PAPEREX_API_KEY``
once and still override it for one command. The variables are read when a command runs, not when the
parser is built, so one process (a test) can run commands for several accounts.
"""

import argparse
import os

from paperex.client.cli.exits import MissingCredential
from paperex.client.client import DEFAULT_TARGET, AsyncAdmin, AsyncClient
from paperex.client.retry import RetryPolicy

TARGET_VARIABLE = "PAPEREX_TARGET"
API_KEY_VARIABLE = "PAPEREX_API_KEY"
ADMIN_TOKEN_VARIABLE = "PAPEREX_ADMIN_TOKEN"
CLI_RECONNECT = RetryPolicy(attempts=5, initial_backoff=0.1, max_backoff=1.0)
"""Live views resubscribe through a short outage but report a server that is gone within seconds."""


def common_options() -> argparse.ArgumentParser:
    """A parent parser with --target, --api-key, --admin-token and --json, for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection and output")
    group.add_argument(
        "--target", metavar="HOST:PORT", help=f"the exchange (env {TARGET_VARIABLE}, default {DEFAULT_TARGET})"
    )
    group.add_argument("--api-key", metavar="KEY", help=f"an account's API key (env {API_KEY_VARIABLE})")
    group.add_argument(
        "--admin-token", metavar="TOKEN", help=f"the operator's admin token (env {ADMIN_TOKEN_VARIABLE})"
    )
    group.add_argument(
        "--json", action="store_true", help="print one JSON document (Decimals as strings, enums by name)"
    )
    return common


def target(args: argparse.Namespace) -> str:
    """Where to connect: --target, else PAPEREX_TARGET, else the server's default address."""
    return str(args.target or os.environ.get(TARGET_VARIABLE) or DEFAULT_TARGET)


def open_client(args: argparse.Namespace, *, key_required: bool = True) -> AsyncClient:
    """An account's client; without a key, a MissingCredential naming PAPEREX_API_KEY (market data is
    public: ``key_required=False`` connects without one)."""
    key = args.api_key or os.environ.get(API_KEY_VARIABLE) or None
    if not key and key_required:
        raise MissingCredential("API key", "--api-key", API_KEY_VARIABLE, "`paperex account create NAME` prints one")
    return AsyncClient(target(args), api_key=key, reconnect=CLI_RECONNECT)


def open_admin(args: argparse.Namespace) -> AsyncAdmin:
    """The operator's client; without a token, a MissingCredential naming PAPEREX_ADMIN_TOKEN."""
    token = args.admin_token or os.environ.get(ADMIN_TOKEN_VARIABLE)
    if not token:
        raise MissingCredential(
            "admin token", "--admin-token", ADMIN_TOKEN_VARIABLE, "`paperex serve` prints it at first start"
        )
    return AsyncAdmin(target(args), admin_token=token)
