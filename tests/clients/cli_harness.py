"""Running ``paperex`` client subcommands in-process against the test's server, as a shell would.

The CLI runs its own asyncio loop, so each command runs in a worker thread while the server keeps
serving on the test's loop; stdout and stderr are captured and the exit code read from SystemExit.
"""

import asyncio
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

from paperex.client.cli import main
from tests.clients.conftest import ADMIN_TOKEN, LiveExchange


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(argv: list[str], out: io.StringIO | None = None) -> Result:
    """``paperex ARGV`` in this thread; ``out`` lets the test read a live view while it runs."""
    out = out if out is not None else io.StringIO()
    err = io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        else:
            raise AssertionError("main() returned without sys.exit")
    return Result(code, out.getvalue(), err.getvalue())


async def cli(
    live: LiveExchange, *argv: str, key: str = "", admin: bool = False, out: io.StringIO | None = None
) -> Result:
    """``paperex ARGV --target <the test's server>``, with an account key or the admin token."""
    arguments = [*argv, "--target", live.target]
    if key:
        arguments += ["--api-key", key]
    if admin:
        arguments += ["--admin-token", ADMIN_TOKEN]
    return await asyncio.to_thread(run_cli, arguments, out)


async def new_account(live: LiveExchange, name: str, deposit: str) -> str:
    """An account created through the CLI; its key read from the printed ``export`` line."""
    created = await cli(live, "account", "create", name, "--deposit", deposit, admin=True)
    assert created.code == 0, created.err
    (export,) = [line for line in created.out.splitlines() if line.startswith("export PAPEREX_API_KEY=")]
    return export.removeprefix("export PAPEREX_API_KEY=")


async def ok(live: LiveExchange, *argv: str, key: str = "", admin: bool = False) -> Result:
    result = await cli(live, *argv, key=key, admin=admin)
    assert (result.code, result.err) == (0, ""), result
    return result
