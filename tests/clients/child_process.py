"""Running a paperex module in a child process as a shell would, while the test's loop keeps serving."""

import asyncio
import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def child_environment() -> dict[str, str]:
    """The parent's environment without paperex credentials (the child imports the installed paperex)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PAPEREX_")}


async def run_module(module: str, *argv: str, cwd: Path = ROOT, timeout: float = 60) -> tuple[int, str, str]:
    """``python -m module argv...``: its exit code, stdout and stderr."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *argv,
        cwd=cwd,
        env=child_environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout)
    assert child.returncode is not None
    return child.returncode, out.decode(), err.decode()


def free_port() -> int:
    """A port nobody listens on once the probe is closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
