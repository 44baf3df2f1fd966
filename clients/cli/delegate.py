"""``paperex``, ``paperex serve ...`` and ``paperex demo`` stay the server's: this process becomes it.

The CLI must not import ``server`` (clients talk to the exchange only over gRPC), so it replaces
itself with ``python -P -m server ARGS``, whose own parser treats no subcommand as ``serve``. ``-P``
keeps the working directory off ``sys.path``: a user's folder named ``server`` must not shadow the
exchange, exactly as the console script's own ``sys.path`` never held the working directory. The
folder this package was imported from goes first on PYTHONPATH instead, so a checkout that is not
installed runs its own server.
"""

import os
import sys
from pathlib import Path
from typing import NoReturn

SERVER_COMMANDS = ("serve", "demo")


def is_server_command(argv: list[str]) -> bool:
    """True for the command lines the server's own parser answers: none at all, ``serve ...``, ``demo``,
    and server options without a subcommand (``paperex --port 50052`` is ``paperex serve --port 50052``)."""
    if not argv or argv[0] in SERVER_COMMANDS:
        return True
    return argv[0].startswith("-") and argv[0] not in ("-h", "--help")


def server_command(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """The server's command line and environment for ``argv``."""
    packages_root = str(Path(__file__).resolve().parents[2])
    environment = dict(os.environ)
    search = [packages_root, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(search))
    return [sys.executable, "-P", "-m", "server", *argv], environment


def exec_server(argv: list[str]) -> NoReturn:
    """Replaces this process with the server (signals and the exit code are then the server's)."""
    command, environment = server_command(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, environment)
