"""The tool's own servers: paperex (``python -m server serve``) and the echo baseline, as subprocesses.

Each listens on a free loopback port (``--port 0``) and prints the address it got on a ready line;
its output goes to a log file in the run's temporary folder, shown when something goes wrong. A
server stops with SIGINT: paperex then finishes in-flight commands, writes a final snapshot and
closes its journal (and cProfile writes its file).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAPEREX_READY = "paperex listening on "
JOURNAL = "journal.db"
"""The own server's journal, in the run's temporary folder."""
UNLIMITED = (
    *("--order-rate", "0", "--command-rate", "0", "--query-rate", "0", "--anonymous-rate", "0"),
    *("--streams-per-connection", "0", "--streams", "0", "--calls-per-connection", "0"),
)
"""The admission limits the tool's own server runs without."""
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0


def paperex_command(
    db: Path, admin_token: str, durability: str, profile: str = "", extra: Sequence[str] = ()
) -> list[str]:
    """``python -m server serve`` on a free port with the rate budgets and stream caps off: the tool
    measures what the server can process, which its budgets are sized below. The connection,
    handshake, idle and request size limits stay at their defaults."""
    serve = ["-m", "paperex.server", "serve", "--port", "0", "--db", str(db), "--admin-token", admin_token]
    serve += ["--durability", durability, *UNLIMITED, *extra]
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    return [sys.executable, *profiler, *serve]


def echo_command() -> list[str]:
    return [sys.executable, "-m", "loadtest.grpc_load.echo", "--port", "0"]


class ChildServer:
    """A server subprocess: ``start`` returns its ``host:port``, ``stop`` ends it gracefully."""

    def __init__(
        self, name: str, command: list[str], ready_prefix: str, log_path: Path, start_timeout: float = START_TIMEOUT_S
    ) -> None:
        self.name = name
        self.start_timeout = start_timeout
        self.command = command
        self.ready_prefix = ready_prefix.encode()
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> str:
        """Start and return ``host:port`` from the ready line (``<prefix>HOST:PORT ...``)."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=log
            )
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + self.start_timeout
        with self.log_path.open("ab") as output:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    line = await asyncio.wait_for(stdout.readline(), max(remaining, 0.001))
                except TimeoutError:
                    line = b""
                output.write(line)
                if line.startswith(self.ready_prefix):
                    address = line[len(self.ready_prefix) :].split()[0].decode()
                    break
                if not line:
                    await self.stop()
                    raise RuntimeError(f"the {self.name} server did not start; its output:\n{self.tail()}")
        self._drain = asyncio.get_running_loop().create_task(self._copy_output(stdout))
        return address

    async def _copy_output(self, stdout: asyncio.StreamReader) -> None:
        """Keep reading stdout so the server never blocks on a full pipe."""
        with self.log_path.open("ab") as output:
            while line := await stdout.readline():
                output.write(line)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self) -> int | None:
        """SIGINT, then the exit code (killed after ``STOP_TIMEOUT_S``); None if it never started."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._drain is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._drain, 5.0)
        return process.returncode

    async def stop_or_explain(self) -> int | None:
        """``stop``, printing the server's output to stderr when it did not exit cleanly."""
        code = await self.stop()
        if code not in (0, None):
            print(f"the {self.name} server exited with {code}; its output:\n{self.tail()}", file=sys.stderr)
        return code
