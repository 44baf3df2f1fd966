"""``paperex serve --gateways N`` (N >= 2): one sequencer process and N gateway processes, started and
restarted by this one.

The ports are claimed here first (a socket bound with SO_REUSEPORT that never listens: it holds the
port, ``--port 0`` included, and takes no connections), so every gateway binds the same ones and the
kernel spreads connections over them. The sequencer starts first and recovers the journal; the gateways
then connect to its unix socket (in a private directory made here) and take the state from it. A
process that exits is started again: a gateway loses nothing (it held no state of its own, and its
clients reconnect to another), a sequencer recovers from the journal while the gateways refuse calls.
"""

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

log = logging.getLogger("paperex.server")

SEQUENCER_READY = "paperex sequencer ready"
"""The line a sequencer process prints once it serves its socket."""
LISTENING = "paperex listening on"
"""The line a gateway process prints once it serves its ports (the single-process server's line)."""
RESTART_DELAY_SECONDS = 0.5
QUICK_EXIT_SECONDS = 10.0
MAX_QUICK_EXITS = 5
"""A process that exits this many times in a row within ``QUICK_EXIT_SECONDS`` of its start is not
started again (the journal or an option is at fault, not a passing crash): the server stops."""


def claim_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with SO_REUSEPORT that never listens (``port`` 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    claim = socket.socket(family, socket.SOCK_STREAM)
    claim.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        claim.bind((host, port))
    except OSError:
        claim.close()
        raise OSError(errno.EADDRINUSE, "cannot listen there (in use, or not allowed)", f"{host}:{port}") from None
    return claim


@dataclass
class Child:
    """One supervised process: its role's extra arguments and the line that says it is ready."""

    name: str
    arguments: list[str]
    ready_line: str
    process: asyncio.subprocess.Process | None = None
    started: float = 0.0
    quick_exits: int = 0
    lines: list[str] = field(default_factory=list)
    """What it printed up to its ready line (the single-process server's start lines)."""


class Supervisor:
    def __init__(self, argv: Sequence[str], gateways: int) -> None:
        self.argv = list(argv)
        self.gateways = gateways
        self._stopping = asyncio.Event()
        self._directory = tempfile.mkdtemp(prefix="paperex-")  # 0700: only this user reaches the socket
        self.socket_path = os.path.join(self._directory, "sequencer.sock")
        self.sequencer = Child("sequencer", ["--role", "sequencer", "--exit-with-stdin"], SEQUENCER_READY)
        self.children = [self.sequencer] + [
            Child(f"gateway {number}", ["--role", "gateway", "--exit-with-stdin"], LISTENING)
            for number in range(1, gateways + 1)
        ]

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, ports: list[str]) -> int:
        """Start every process, print the start lines, restart what exits; 0 after a stop, 1 when a
        process keeps failing at start."""
        for child in self.children:
            child.arguments += [*ports, "--sequencer-socket", self.socket_path]
        try:
            for child in self.children:
                if not await self._start(child):
                    return 1
            self._announce()
            return await self._watch()
        finally:
            await self._stop_all()
            with contextlib.suppress(OSError):
                os.unlink(self.socket_path)
            with contextlib.suppress(OSError):
                os.rmdir(self._directory)

    async def _start(self, child: Child) -> bool:
        """Start ``child`` and wait for its ready line; False when it exits first."""
        command = [sys.executable, "-m", "paperex.server", *self.argv, *child.arguments]
        process = child.process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )  # its stdin closes when this process ends, however it ends: the child then ends too
        child.started = time.monotonic()
        assert process.stdout is not None
        child.lines = []
        while line := (await process.stdout.readline()).decode():
            if line.startswith(child.ready_line):
                child.lines.append(line)
                asyncio.get_running_loop().create_task(_drain(process.stdout))
                log.info("%s started (pid %d)", child.name, process.pid)
                return True
            child.lines.append(line)
        await process.wait()
        sys.stdout.write("".join(child.lines))
        return False

    def _announce(self) -> None:
        """The single-process server's start lines (from the first gateway), the admin token from the sequencer."""
        gateway = self.children[1]
        lines = list(gateway.lines)
        lines[0] = lines[0].rstrip("\n") + f" ({self.gateways} gateways, 1 sequencer)\n"
        token = [line for line in self.sequencer.lines if line.startswith("admin token")]
        sys.stdout.write("".join(lines[:1] + token + lines[1:]))
        sys.stdout.flush()

    async def _watch(self) -> int:
        stopping = asyncio.get_running_loop().create_task(self._stopping.wait())
        try:
            while True:
                exits = {asyncio.ensure_future(c.process.wait()): c for c in self.children if c.process is not None}
                done, _ = await asyncio.wait([stopping, *exits], return_when=asyncio.FIRST_COMPLETED)
                for waiting in exits:
                    waiting.cancel()
                if stopping in done:
                    return 0
                for finished in done:
                    child = exits[finished]
                    if not await self._restart(child):
                        return 1
        finally:
            stopping.cancel()

    async def _restart(self, child: Child) -> bool:
        assert child.process is not None
        code = child.process.returncode
        quick = time.monotonic() - child.started < QUICK_EXIT_SECONDS
        child.quick_exits = child.quick_exits + 1 if quick else 0
        if child.quick_exits >= MAX_QUICK_EXITS:
            log.critical("%s exited %d times in a row soon after starting: stopping", child.name, child.quick_exits)
            return False
        log.error("%s (pid %d) exited with %s: starting it again", child.name, child.process.pid, code)
        await asyncio.sleep(RESTART_DELAY_SECONDS)
        return await self._start(child) or await self._restart(child)

    async def _stop_all(self) -> None:
        """Gateways first (they answer what they hold), then the sequencer (its final snapshot)."""
        for group in (self.children[1:], [self.sequencer]):
            running = [c.process for c in group if c.process is not None and c.process.returncode is None]
            for process in running:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
            for process in running:
                await process.wait()


def exit_with_stdin() -> None:
    """In a supervised process: exit as soon as the supervisor is gone (SIGKILL included), which closes
    the pipe on this process's stdin, so that no sequencer or gateway outlives it. It reads the file
    descriptor itself: a daemon thread blocked in ``sys.stdin``'s buffered reader holds its lock, which
    a normal exit then cannot take ("Fatal Python error: could not acquire lock ... at interpreter
    shutdown", and an abort instead of the exit code)."""

    def watch() -> None:
        while os.read(sys.stdin.fileno(), 4096):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


async def _drain(stream: asyncio.StreamReader) -> None:
    """Read and drop what a started child prints, so its pipe never fills."""
    while await stream.readline():
        pass
