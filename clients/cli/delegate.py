"""``paperex``, ``paperex serve ...`` and ``paperex demo`` stay the server's: this process becomes it.

The CLI must not import ``paperex.server`` (clients talk to the exchange only over gRPC), so it
replaces itself with ``python -P -m paperex.server ARGS``, whose own parser treats no subcommand as
``serve``. ``-P`` keeps the working directory off ``sys.path``, exactly as the console script's own
``sys.path`` never held it: the same interpreter finds the same installed ``paperex`` as this process.
"""

import os
import sys
from typing import NoReturn

SERVER_COMMANDS = ("serve", "demo")


def is_server_command(argv: list[str]) -> bool:
    """True for the command lines the server's own parser answers: none at all, ``serve ...``, ``demo``,
    and server options without a subcommand (``paperex --port 50052`` is ``paperex serve --port 50052``)."""
    if not argv or argv[0] in SERVER_COMMANDS:
        return True
    return argv[0].startswith("-") and argv[0] not in ("-h", "--help")


def server_command(argv: list[str]) -> list[str]:
    """The server's command line for ``argv``."""
    return [sys.executable, "-P", "-m", "paperex.server", *argv]


def exec_server(argv: list[str]) -> NoReturn:
    """Replaces this process with the server (signals and the exit code are then the server's)."""
    command = server_command(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
