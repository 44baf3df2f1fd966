"""A load run: reach paperex (or start it), set up, then per rate measure paperex and the echo baseline,
alternately for each of ``--rounds`` rounds."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import grpc

from loadtest.grpc_load.drive import Window
from loadtest.grpc_load.echo import READY_PREFIX
from loadtest.grpc_load.paperex import WireSizes, prepare_market
from loadtest.grpc_load.proc import cpu_cores, server_roles
from loadtest.grpc_load.progress import show_progress
from loadtest.grpc_load.report import assemble, ratio_to_baseline, run_report
from loadtest.grpc_load.servers import JOURNAL, PAPEREX_READY, ChildServer, echo_command, paperex_command
from loadtest.grpc_load.settings import Settings
from loadtest.grpc_load.workers import Crew, WorkerSpec


async def measure(
    settings: Settings,
    address: str,
    server_pid: int | None,
    rate: float | None,
    echo: WireSizes | None = None,
    follow_market: bool = False,
    round_number: int = 1,
) -> dict[str, Any]:
    """One run of the workers against ``address`` (the echo's when ``echo`` is set); its report."""
    specs = [
        WorkerSpec(index, settings.workers, address, settings.admin_token, settings, rate, echo, follow_market)
        for index in range(settings.workers)
    ]
    async with Crew(specs) as crew:
        window = Window.at(await crew.start(), settings.warmup, settings.duration)
        roles = {"client": crew.pids, **(server_roles(server_pid) if server_pid else {"server": []})}
        cpu = asyncio.ensure_future(cpu_cores(window, roles))
        progress = asyncio.ensure_future(show_progress(crew.board, window)) if settings.progress else None
        try:
            result = await crew.finish()
            cores = await cpu
        finally:
            cpu.cancel()
            if progress is not None:
                progress.cancel()
                print(file=sys.stderr)
    return run_report(result, settings, rate, cores, echo is not None, round_number)


def own_paperex(settings: Settings, workdir: Path) -> ChildServer:
    """The tool's own paperex server (not started yet); sets ``settings.admin_token`` when none was given."""
    settings.admin_token = settings.admin_token or f"load-{os.urandom(8).hex()}"
    extra: list[str] = []
    if settings.snapshot_every:
        extra += ["--snapshot-every", str(settings.snapshot_every)]
    if settings.history_retention:
        extra += ["--history-retention", str(settings.history_retention)]
    extra += ["--gateways", str(settings.gateways)]
    command = paperex_command(
        workdir / JOURNAL, settings.admin_token, settings.durability, settings.profile_server, extra
    )
    return ChildServer("paperex", command, PAPEREX_READY, workdir / "server.log")


async def load(settings: Settings, argv: list[str]) -> dict[str, Any]:
    """``unary``, ``session`` or ``open-loop``: each rate (or the one closed-loop run), with its baseline."""
    rates: list[float | None] = list(settings.rates) if settings.mode == "open-loop" else [None]
    with tempfile.TemporaryDirectory(prefix="paperex-load-") as folder:
        workdir = Path(folder)
        server = None if settings.target else own_paperex(settings, workdir)
        echo = ChildServer("echo", echo_command(), READY_PREFIX, workdir / "echo.log") if settings.baseline else None
        try:
            address = await server.start() if server is not None else settings.target
            async with grpc.aio.insecure_channel(address) as channel:
                sizes = await prepare_market(channel, settings.admin_token, settings.seed_levels, settings.batch)
            echo_address = await echo.start() if echo is not None else ""
            runs = []
            for rate in rates:
                for round_number in range(1, settings.rounds + 1):
                    pid = server.pid if server else None
                    run = await measure(settings, address, pid, rate, round_number=round_number)
                    if echo is not None:
                        run["baseline"] = await measure(
                            settings, echo_address, echo.pid, rate, echo=sizes, round_number=round_number
                        )
                        run["ratio_to_baseline"] = ratio_to_baseline(run, run["baseline"])
                    runs.append(run)
        finally:
            for child in (echo, server):
                if child is not None:
                    await child.stop_or_explain()
    return assemble(settings, argv, address, runs, asdict(sizes))
