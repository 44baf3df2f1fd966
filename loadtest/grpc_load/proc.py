"""What Linux's /proc says about a process (CPU, resident memory) and the whole machine (CPU).

Client and servers share the machine with whatever else runs on it, so every report states the CPU
each side used and the whole machine's, and the soak watches the resident set of each server process.
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


def _role(pid: int) -> str | None:
    """The ``--role`` a server process was started with (``sequencer``, ``gateway``), or None."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return arguments[arguments.index(b"--role") + 1].decode() if b"--role" in arguments else None


def _start_ticks(pid: int) -> int:
    """When the process started (clock ticks after boot): the gateways' numbers follow their start order."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def server_roles(pid: int) -> dict[str, list[int]]:
    """The server's processes by role: ``server`` all of them; with ``--gateways N`` also ``sequencer``
    and ``gateways`` (by the ``--role`` each was started with)."""
    tree = process_tree(pid)
    roles: dict[str, list[int]] = {"server": tree}
    for member in tree:
        role = _role(member)
        if role is not None:
            roles.setdefault("sequencer" if role == "sequencer" else "gateways", []).append(member)
    return roles


def server_processes(pid: int) -> dict[str, int]:
    """The server's lasting processes by name, for the soak to judge each on its own: ``server`` when it is
    one process; with ``--gateways N`` the ``supervisor``, the ``sequencer`` and ``gateway1`` ..
    ``gatewayN`` in the order they started (the supervisor's order). A snapshot helper running at the
    time has no role and is left out: it comes and goes."""
    roles = {member: _role(member) for member in process_tree(pid)[1:]}
    if not any(roles.values()):
        return {"server": pid}
    processes = {"supervisor": pid}
    for member, role in roles.items():
        if role == "sequencer":
            processes["sequencer"] = member
    gateways = sorted((_start_ticks(member), member) for member, role in roles.items() if role == "gateway")
    for number, (_, member) in enumerate(gateways, 1):
        processes[f"gateway{number}"] = member
    return processes


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


async def sample_rss(
    processes: Mapping[str, int], every_s: float, samples: Mapping[str, list[tuple[float, float]]]
) -> None:
    """Append (seconds since the first sample, resident bytes) to ``samples[name]`` for each of the
    ``processes`` still running, every ``every_s`` until cancelled."""
    origin = time.monotonic()
    while True:
        elapsed = time.monotonic() - origin
        for name, pid in processes.items():
            size = rss_bytes(pid)
            if size is not None:
                samples[name].append((elapsed, float(size)))
        await asyncio.sleep(every_s)
