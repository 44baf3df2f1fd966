"""A paperex server in a child process on an ephemeral loopback port, for tests.

The child runs ``python -P -m paperex.server`` from its own temporary folder without ``PYTHONPATH``:
``-P``, that working directory and the cleared variable keep the bot's folders off the server's
``sys.path``, so nothing of the bot's shadows paperex (the server imports paperex as installed), and the
bot is tested over the same gRPC wire it uses in production.

    server = PaperexServer.start(ServerSettings(scenario="flash-crash", seed=7), Path(tmp))
    try:
        ...  # AsyncAdmin(server.target, admin_token=server.admin_token)
    finally:
        server.stop()
"""

import atexit
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from paperex.v1 import admin_pb2, admin_pb2_grpc

LISTENING = re.compile(r"paperex listening on (\S+):(\d+) ")
POLL_SECONDS = 0.01
STDERR_TAIL_CHARS = 8000

_running: set["PaperexServer"] = set()


class ServerStartError(RuntimeError):
    """The server exited or did not answer in time; the message carries its command line and stderr."""


@dataclass(frozen=True)
class ServerSettings:
    """What the server runs: a library scenario and its seed, the liquidity provider, instruments."""

    scenario: str = ""
    seed: int = 0
    liquidity: bool = True
    takers: bool = True
    faults: str | Mapping[str, Any] = ""
    """A fault plan injected for every account once the server is up (``Paperex.inject``)."""
    config: Path | None = None
    """An instruments TOML overriding or extending the built-in BTCUSDT and ETHUSDT."""
    startup_timeout: float = 30.0

    def arguments(self, db: Path, admin_token: str) -> list[str]:
        """The ``paperex serve`` command line for a simulated-clock test exchange."""
        arguments = [
            *("serve", "--host", "127.0.0.1", "--port", "0", "--db", str(db), "--admin-token", admin_token),
            # Time moves only when the test says so: a scenario replays the same way on every run.
            *("--clock", "simulated"),
            # A test's bot bursts orders and queries as fast as the CPU allows; a wall-clock rate limit
            # would refuse some of them depending on the machine's speed, which is no property of the bot.
            *("--order-rate", "0", "--command-rate", "0", "--query-rate", "0", "--anonymous-rate", "0"),
            # The journal is thrown away with the test and never replayed: fsyncs would only add latency
            # to every answer (off still writes every command, so a crash stays debuggable).
            *("--durability", "off"),
            *("--liquidity", "on" if self.liquidity else "off"),
            *("--takers", "on" if self.takers else "off"),
            *("--seed", str(self.seed)),
        ]
        if self.scenario:
            arguments += ["--scenario", self.scenario]
        if self.config is not None:
            arguments += ["--config", str(self.config)]
        return arguments


class PaperexServer:
    """A running ``paperex serve`` child: where to connect, the admin token, and ``stop``."""

    def __init__(
        self, process: subprocess.Popen[bytes], directory: Path, admin_token: str, settings: ServerSettings
    ) -> None:
        self.process = process
        self.settings = settings
        self.directory = directory
        self.admin_token = admin_token
        self.target = ""
        _running.add(self)

    @property
    def pid(self) -> int:
        """The child's process id (to check from outside that it is gone)."""
        return self.process.pid

    @property
    def stdout_path(self) -> Path:
        """Where the "paperex listening on" line lands."""
        return self.directory / "server.out"

    @property
    def stderr_path(self) -> Path:
        """The server's log (INFO lines go to stderr), kept with the journal after the test."""
        return self.directory / "server.err"

    @classmethod
    def start(cls, settings: ServerSettings, directory: Path) -> "PaperexServer":
        """Starts the child in ``directory`` and returns once an admin call answers; on failure the
        child is stopped and ServerStartError carries its stderr."""
        admin_token = secrets.token_hex(24)  # never starts with "-", which argparse would read as an option
        command = [
            sys.executable,
            "-P",
            "-m",
            "paperex.server",
            *settings.arguments(directory / "journal.db", admin_token),
        ]
        environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
        with (directory / "server.out").open("wb") as stdout, (directory / "server.err").open("wb") as stderr:
            # Files, not pipes: a chatty server can never block on a pipe nobody reads.
            process = subprocess.Popen(
                command, cwd=directory, env=environment, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
            )
        server = cls(process, directory, admin_token, settings)
        try:
            server._wait_until_ready(time.monotonic() + settings.startup_timeout)
        except BaseException:  # a failure, a timeout or a Ctrl-C: never leave the child behind
            server.stop()
            raise
        return server

    def stop(self, timeout: float = 10.0) -> int:
        """Stops gracefully (SIGINT), killing after ``timeout`` seconds; returns the exit code."""
        _running.discard(self)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if os.name == "posix":
                    self.process.send_signal(signal.SIGINT)
                else:
                    self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()

    def stderr_tail(self) -> str:
        """The end of the server's log: why it failed, for the test report."""
        text = _read(self.stderr_path)
        return text[-STDERR_TAIL_CHARS:]

    def _wait_until_ready(self, deadline: float) -> None:
        while not self.target:
            match = LISTENING.search(_read(self.stdout_path))
            if match:
                self.target = f"{match[1]}:{match[2]}"
            elif self.process.poll() is not None:
                raise self._failure(f"exited with code {self.process.returncode} before listening")
            elif time.monotonic() > deadline:
                raise self._failure("did not start listening in time")
            else:
                time.sleep(POLL_SECONDS)
        with grpc.insecure_channel(self.target) as channel:
            stub = admin_pb2_grpc.AdminStub(channel)
            metadata = (("authorization", f"Bearer {self.admin_token}"),)
            try:
                stub.GetClock(
                    admin_pb2.GetClockRequest(),
                    metadata=metadata,
                    timeout=max(deadline - time.monotonic(), POLL_SECONDS),
                    wait_for_ready=True,
                )
            except grpc.RpcError as error:
                raise self._failure(f"listens on {self.target} but GetClock failed: {error}") from None

    def _failure(self, what: str) -> ServerStartError:
        if self.process.poll() is None:  # let the message show how a hung server ends
            self.stop()
        command = " ".join(map(str, self.process.args)).replace(self.admin_token, "<admin token>")  # type: ignore[arg-type]
        return ServerStartError(
            f"paperex server {what}.\ncommand: {command}\nstderr ({self.stderr_path}):\n{self.stderr_tail()}"
        )


def _read(path: Path) -> str:
    with contextlib.suppress(FileNotFoundError):
        return path.read_text(encoding="utf-8", errors="replace")
    return ""


@atexit.register
def _kill_leftovers() -> None:
    """Last resort when the interpreter exits with a server still running (a teardown that never ran)."""
    for server in list(_running):
        server.process.kill()
        server.process.wait()
        _running.discard(server)
