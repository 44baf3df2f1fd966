"""What Linux's /proc says about a process (CPU, resident memory) and the whole machine (CPU).

Client and servers share the machine with whatever else runs on it, so every report states the CPU
each side used and the whole machine's, and the soak watches the server's resident set.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadtest.grpc_load.drive import Window

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU a process has used so far (None once it is gone, or without /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int | None:
    """The process's resident set (VmRSS of /proc/PID/status), or None."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def _parent(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process it started, and theirs (``paperex serve --gateways N``: the supervisor,
    its sequencer and its gateways)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (parent := _parent(entry)) is not None:
            children.setdefault(parent, []).append(int(entry))
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        tree += frontier
    return tree


def server_roles(pid: int) -> dict[str, list[int]]:
    """The server's processes by role: ``server`` all of them; with ``--gateways N`` also ``sequencer``
    and ``gateways`` (by the ``--role`` each was started with)."""
    tree = process_tree(pid)
    roles: dict[str, list[int]] = {"server": tree}
    for member in tree:
        try:
            arguments = Path(f"/proc/{member}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--role" in arguments:
            role = arguments[arguments.index(b"--role") + 1].decode()
            roles.setdefault("sequencer" if role == "sequencer" else "gateways", []).append(member)
    return roles


def machine_cpu_seconds() -> float | None:
    """CPU time every process on the machine has used (user, nice, system, irq, softirq, steal), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if fields[:1] != ["cpu"] or len(fields) < 9:
        return None
    return sum(int(fields[i]) for i in (1, 2, 3, 6, 7, 8)) / CLOCK_TICKS


def _cpu(pids: Sequence[int]) -> float | None:
    seconds = [process_cpu_seconds(pid) for pid in pids]
    return None if not seconds or None in seconds else sum(s for s in seconds if s is not None)


async def cpu_cores(window: Window, roles: Mapping[str, Sequence[int]]) -> dict[str, float | None]:
    """CPU (in cores) over the measured window of each role's processes, and of the whole ``machine``:
    more than the roles together means something else ran meanwhile."""

    async def until(when: int) -> None:
        ahead = when - time.perf_counter_ns()
        if ahead > 0:
            await asyncio.sleep(ahead / 1e9)

    def sample() -> dict[str, float | None]:
        return {role: _cpu(pids) for role, pids in roles.items()} | {"machine": machine_cpu_seconds()}

    await until(window.measure)
    before = sample()
    await until(window.end)
    after = sample()
    seconds = (window.end - window.measure) / 1e9
    cores: dict[str, float | None] = {}
    for role, start in before.items():
        stop = after[role]
        cores[role] = None if start is None or stop is None else round((stop - start) / seconds, 3)
    return cores


async def sample_rss(pid: int, every_s: float, samples: list[tuple[float, float]]) -> None:
    """Append (seconds since the first sample, resident bytes of ``pid`` and the processes it started)
    every ``every_s`` until cancelled."""
    origin = time.monotonic()
    tree = process_tree(pid)
    while True:
        sizes = [rss_bytes(member) for member in tree]
        if sizes and None not in sizes:
            samples.append((time.monotonic() - origin, float(sum(size for size in sizes if size is not None))))
        await asyncio.sleep(every_s)
