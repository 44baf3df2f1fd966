"""The gRPC load generator end to end: one short run of each mode against its own server subprocess.

No figure here depends on speed: the runs check that operations complete without errors, that the
counts add up, and that the JSON report has the keys the package documents. ``run_tool`` and
``check_run`` serve the other ``test_loadtest_*`` files too.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from loadtest.grpc_load import main
from loadtest.grpc_load.stats import bucket_floor, histogram, nearest_rank

REPORT_KEYS = {
    "tool",
    "timestamp",
    "command",
    "mode",
    "target",
    "own_server",
    "durability",
    "settings",
    "machine",
    "included",
    "server_profile",
    "wire_sizes",
    "runs",
    "ratio_medians",
    "soak",
}
RUN_KEYS = {
    "rate",
    "round",
    "warmup_s",
    "duration_s",
    "workers",
    "ok",
    "errors",
    "throughput_per_s",
    "latency_us",
    "errors_by_code",
    "fills",
    "client_cpu_cores",
    "server_cpu_cores",
    "machine_cpu_cores",
    "cpu_us_per_call",
    "projection",
    "max_outstanding",
    "send_lag_us",
    "mix",
    "operations",
    "subscribers",
    "timeline",
}
BASELINE_KEYS = {"baseline", "ratio_to_baseline"}
OPERATION_KEYS = {"ok", "errors", "throughput_per_s", "latency_us", "errors_by_code", "histogram_us"}
LATENCY_KEYS = {"p50", "p90", "p99", "p99.9", "max", "min", "mean"}


def run_tool(capsys: pytest.CaptureFixture[str], results: Path, *args: str) -> dict[str, Any]:
    """``main`` with ``args`` plus JSON output and ``results``; the report, its common keys checked."""
    full = [*args, "--json", "--no-progress", "--results", str(results)]
    assert main(full) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert set(report) == REPORT_KEYS
    assert report["own_server"] is True
    assert report["durability"] == "batched"
    assert report["command"] == "python -m loadtest.grpc_load " + " ".join(full)
    for run in report["runs"]:
        expected = RUN_KEYS | (BASELINE_KEYS if report["settings"]["baseline"] else set())
        assert set(run) == expected
    return report


def check_run(run: dict[str, Any]) -> None:
    """No errors; every operation's figures are consistent with its own recorded latencies."""
    assert run["errors"] == 0
    assert run["errors_by_code"] == {}
    assert run["throughput_per_s"] > 0
    assert run["throughput_per_s"] == run["ok"] / run["duration_s"]
    for kind, operation in run["operations"].items():
        assert set(operation) == OPERATION_KEYS, kind
        assert operation["errors"] == 0, kind
        latency = operation["latency_us"]
        assert set(latency) == LATENCY_KEYS, kind
        assert latency["min"] <= latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["p99.9"]
        assert latency["p99.9"] <= latency["max"]
        assert sum(count for _, _, count in operation["histogram_us"]) == operation["ok"], kind
    # the timeline counts every answer of the whole run (warm-up and drain too), the window only some
    assert sum(run["timeline"]["ok_per_s"]) >= run["ok"]


def test_percentiles_are_nearest_rank_and_histogram_rows_are_exact_then_logarithmic() -> None:
    values = list(range(1, 201))
    # nearest rank: p50 of 1..200 is the 100th value, p99 the 198th, p99.9 the ceil(199.8) = 200th
    assert (nearest_rank(values, 50), nearest_rank(values, 99), nearest_rank(values, 99.9)) == (100, 198, 200)
    assert nearest_rank([7], 99.9) == 7
    # below 64 us a row per microsecond; 64..127 rows 2 wide; 1024..2047 rows 32 wide
    assert [bucket_floor(v) for v in (0, 63, 64, 65, 127, 1024, 1055, 1056)] == [0, 63, 64, 64, 126, 1024, 1024, 1056]
    assert histogram([5, 5, 64, 65, 66, 1030]) == [[5, 5, 2], [64, 65, 2], [66, 67, 1], [1024, 1055, 1]]


def test_a_short_unary_run_completes_without_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    results = tmp_path / "grpc.txt"
    # --max-open 2: every account sends CancelAllOrders after each 2 limit orders, so a run of any
    # length has cancels among its operations
    args = ["unary", "--duration", "1", "--warmup", "0.3", "--in-flight", "4", "--accounts", "4", "--max-open", "2"]
    report = run_tool(capsys, results, *args, "--no-baseline")
    (run,) = report["runs"]
    check_run(run)
    assert run["rate"] is None
    assert {"place_limit", "cancel_all"} <= set(run["operations"])
    assert run["ok"] == sum(operation["ok"] for operation in run["operations"].values())
    assert run["latency_us"]["max"] == max(op["latency_us"]["max"] for op in run["operations"].values())
    assert report["machine"]["cpu_count"] == os.cpu_count()
    (line,) = results.read_text().splitlines()
    assert " unary durability=batched workers=1 ok=" in line
    assert f"cpus={os.cpu_count()}" in line
    assert line.endswith(f"cmd='{report['command']}'")


def test_a_session_run_acknowledges_every_command_of_every_batch(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["session", "--duration", "1", "--warmup", "0.3", "--streams", "1", "--batch", "10", "--window", "2"]
    report = run_tool(capsys, tmp_path / "grpc.txt", *args, "--accounts", "1", "--max-open", "3", "--no-baseline")
    (run,) = report["runs"]
    check_run(run)
    operations = run["operations"]
    assert {"session_batch", "place_limit", "cancel_all"} <= set(operations)
    # each measured request carried 10 commands and each was answered with a result
    commands = sum(operation["ok"] for kind, operation in operations.items() if kind != "session_batch")
    assert commands == 10 * operations["session_batch"]["ok"]
    assert run["ok"] == commands
    # the run's latency is its requests'
    assert run["latency_us"] == operations["session_batch"]["latency_us"]


def test_an_open_loop_run_sends_exactly_its_schedule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # --cancel oldest with no takers: every cancel names a resting order id taken from an answer
    args = ["open-loop", "--rate", "200", "--duration", "1", "--warmup", "0.25", "--accounts", "4"]
    more = ["--cancel", "oldest", "--max-open", "2", "--mix", "add=1", "--no-baseline"]
    report = run_tool(capsys, tmp_path / "grpc.txt", *args, *more)
    (run,) = report["runs"]
    check_run(run)
    assert run["rate"] == 200
    # intended sends every 5 ms from the start; the window [0.25 s, 1.25 s) holds k = 50..249: 200 calls
    assert run["ok"] == 200
    assert set(run["operations"]) == {"place_limit", "cancel"}
    assert run["send_lag_us"] is not None
    assert run["max_outstanding"] >= 1
