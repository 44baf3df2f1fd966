"""One invocation's choices (the parsed command line), shared by the parent and its worker processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from loadtest.grpc_load.flow import DEFAULT_MIX

RESULTS = Path(__file__).resolve().parents[1] / "results" / "grpc.txt"
MODES = ("unary", "session", "open-loop", "soak")


@dataclass(slots=True)
class Settings:
    mode: str
    target: str = ""
    admin_token: str = ""
    durability: str = ""
    accounts: int = 32
    in_flight: int = 64
    streams: int = 2
    batch: int = 100
    window: int = 4
    rates: list[float] = field(default_factory=lambda: [2000.0])
    duration: float = 10.0
    warmup: float = 2.0
    mix: str = DEFAULT_MIX
    cancel: str = "all"
    max_open: int = 20
    seed_levels: int = 20
    seed: int = 1
    channels: int = 1
    workers: int = 1
    subscribers: int = 0
    baseline: bool = True
    rounds: int = 1
    """Paperex and the echo baseline measured alternately this many times per rate (``report.medians``)."""
    json: bool = False
    results: str = str(RESULTS)
    plot: str = ""
    profile_server: str = ""
    profile_top: int = 25
    progress: bool = False
    scenario: str = "flash-crash"
    """Soak: a library scenario's name, or a scenario TOML file."""
    gamblers: int = 8
    """Soak: accounts that hold a position at high leverage so that moving prices liquidate them."""
    leverage: int = 100
    prefill: int = 0
    """Soak: market orders against the liquidity provider before the run (``loadtest.grpc_load.prefill``)."""
    snapshot_every: int = 0
    """Own server: commands between its automatic snapshots (0: the server's default)."""
    history_retention: int = 0
    """Own server: orders and fills it keeps per account (0: the server's default)."""
    gateways: int = 1
    """Own server: ``paperex serve --gateways`` (1: one process; N >= 2: a sequencer and N gateways)."""
    rss_every: float = 1.0
    rss_slope_limit: float = 0.5
    """Soak: the most the server's resident set may keep growing in the second half, in MiB per minute."""


def share(total: int, index: int, workers: int) -> int:
    """Worker ``index``'s part of ``total`` split as evenly as possible.

    >>> [share(5, i, 3) for i in range(3)]
    [2, 2, 1]
    """
    return total // workers + (1 if index < total % workers else 0)
