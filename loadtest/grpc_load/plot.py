"""``--plot FILE.png``: one figure with latency percentiles per operation and throughput over time.

matplotlib is imported here only, and only when a plot is asked for, so the tool runs without it; the
command line checks first with ``available`` and refuses ``--plot`` in one line when it is missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

MISSING = "--plot needs matplotlib, which is not installed (pip install matplotlib)"
POINTS = ("p50", "p90", "p99", "p99.9", "max")


def available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _latencies(axes: Any, run: dict[str, Any], label: str, style: str) -> None:
    for kind, operation in run["operations"].items():
        latency = operation["latency_us"]
        if latency:
            values = [latency[point] / 1000 for point in POINTS]
            axes.plot(POINTS, values, style, marker="o", label=label.format(kind))


def per_second(counts: list[int], end_s: float) -> tuple[list[float], list[float]]:
    """Rates at the middle of each one-second bucket up to the run's end; a partial last bucket is
    scaled to its length, and answers after the end (the drain) are left out.

    >>> per_second([10, 10, 4, 1], 2.5)
    ([0.5, 1.5, 2.25], [10.0, 10.0, 8.0])
    """
    times: list[float] = []
    rates: list[float] = []
    for second, count in enumerate(counts):
        covered = min(1.0, end_s - second)
        if covered <= 0:
            break
        times.append(second + covered / 2)
        rates.append(count / covered)
    return times, rates


def _rates(axes: Any, run: dict[str, Any], key: str, style: str, label: str) -> None:
    times, rates = per_second(run["timeline"][key], run["warmup_s"] + run["duration_s"])
    axes.plot(times, rates, style, marker=".", label=label)


def write_plot(report: dict[str, Any], path: Path) -> None:
    """Left: each operation's p50..max (ms, log scale), the echo baseline's dashed and the book
    subscribers' delivery dotted; right: answers per second over the whole run, warm-up shaded, and
    in a soak each server process's RSS."""
    from matplotlib.figure import Figure  # noqa: PLC0415 (lazy: the tool runs without matplotlib)
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    figure = Figure(figsize=(14, 5.5), layout="constrained")
    latency_axes, rate_axes = figure.subplots(1, 2)
    for run in report["runs"]:
        suffix = f" @{run['rate']:,.0f}/s" if run["rate"] is not None else ""
        _latencies(latency_axes, run, "{}" + suffix, "-")
        _rates(rate_axes, run, "ok_per_s", "-", f"paperex ok/s{suffix}")
        if any(run["timeline"]["errors_per_s"]):
            _rates(rate_axes, run, "errors_per_s", ":", f"paperex errors/s{suffix}")
        subscribers = run["subscribers"]
        if subscribers and subscribers["delivery_latency_us"]:
            values = [subscribers["delivery_latency_us"][point] / 1000 for point in POINTS]
            latency_axes.plot(POINTS, values, ":", marker="s", label=f"book delivery{suffix}")
        if "baseline" in run:
            _latencies(latency_axes, run["baseline"], "baseline {}" + suffix, "--")
            _rates(rate_axes, run["baseline"], "ok_per_s", "--", f"echo baseline ok/s{suffix}")
    if report["soak"]:
        rss = report["soak"]["checks"]["rss"]
        by_process = rss.get("processes", {"server": rss})
        memory_axes = rate_axes.twinx()
        for process, check in by_process.items():
            if check.get("samples_mib"):
                seconds, mib = zip(*check["samples_mib"], strict=True)
                memory_axes.plot(seconds, mib, ":", label=f"{process} RSS (MiB, right; from the soak's setup)")
        memory_axes.set(ylabel="server RSS (MiB)")
        memory_axes.legend(fontsize=7, loc="lower right")
    warmup = report["runs"][0]["warmup_s"] if report["runs"] else 0
    rate_axes.axvspan(0, warmup, alpha=0.1, label="warm-up")
    latency_axes.set(yscale="log", ylabel="latency (ms)", title="latency percentiles per operation")
    latency_axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    latency_axes.yaxis.set_minor_formatter(
        FuncFormatter(lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else "")
    )
    rate_axes.set(xlabel="seconds since start", ylabel="per second", title="throughput over time")
    for axes in (latency_axes, rate_axes):
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7)
    figure.suptitle(report["command"], fontsize=8)
    figure.savefig(path, dpi=100)
