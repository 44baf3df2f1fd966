"""The soak: each check's verdict on made-up observations, and one short real soak in a fast crash."""

import json
from pathlib import Path
from typing import Any

import pytest

from loadtest.grpc_load import cli
from loadtest.grpc_load.verdict import (
    MIB,
    fault_check,
    liquidation_check,
    replay_check,
    rss_check,
    second_half,
    slope,
    verdict,
)
from tests.test_grpc_load import run_tool

CRASH = """
name = "test-crash"
description = "BTC -10% in four seconds, then flat"
step = "200ms"
duration = "4s"

[instruments.BTCUSDT]
start = 64900
feed = "path"
segments = [{ duration = "4s", change = "-10%" }]
"""


def test_the_slope_is_least_squares_over_the_second_half_only() -> None:
    assert slope([(0, 5.0), (1, 5.0), (2, 5.0)]) == 0.0
    assert slope([(0, 0.0), (1, 2.0), (2, 1.0), (3, 3.0)]) == pytest.approx(0.8)
    assert second_half([(0, 1.0), (4, 2.0), (5, 3.0), (10, 4.0)]) == [(5, 3.0), (10, 4.0)]


def test_rss_that_keeps_growing_fails_and_start_up_growth_alone_passes() -> None:
    minutes = [60.0 * m for m in range(11)]
    # 2 MiB more every minute, all along: 2 MiB/min in the second half, over a 1 MiB/min limit
    leaking = [(t, 100 * MIB + 2 * MIB * t / 60) for t in minutes]
    check = rss_check(leaking, 1.0)
    assert check["pass"] is False and check["slope_mib_per_min"] == pytest.approx(2.0)
    # 50 MiB in the first four minutes (caches filling), then flat with noise: passes
    warming = [(t, (150 if t >= 240 else 100 + 50 * t / 240) * MIB + (MIB if int(t) % 120 else 0)) for t in minutes]
    check = rss_check(warming, 1.0)
    assert check["pass"] is True and abs(check["slope_mib_per_min"]) < 1.0
    assert (check["first_mib"], check["peak_mib"]) == (100.0, 151.0)
    assert rss_check([(0, MIB), (1, MIB)], 1.0)["pass"] is False  # too few samples to judge


def test_the_replay_must_reach_the_recorded_final_state_at_the_journal_end() -> None:
    assert replay_check((120, "abc"), 120, (120, "abc"))["pass"] is True
    assert replay_check((120, "abc"), 120, (120, "abd"))["pass"] is False  # another state
    assert replay_check((120, "abc"), 120, (119, "abc"))["pass"] is False  # fewer commands replayed
    assert replay_check((100, "abc"), 120, (120, "xyz"))["pass"] is False  # no snapshot at the end
    assert replay_check(None, 120, (120, "xyz"))["pass"] is False


def test_server_faults_a_dirty_stop_or_no_liquidation_fail_and_business_refusals_do_not() -> None:
    assert fault_check({"NOT_FOUND/UNKNOWN_ORDER": 3, "FAILED_PRECONDITION/X": 1}, 0)["pass"] is True
    assert fault_check({"INTERNAL": 1}, 0)["pass"] is False
    assert fault_check({"UNAVAILABLE": 2}, 0)["faults"] == {"UNAVAILABLE": 2}
    assert fault_check({}, 1)["pass"] is False
    assert liquidation_check(0, 8, {})["pass"] is False
    assert liquidation_check(3, 8, {"watch:CANCELLED": 1})["refused"] == {"watch:CANCELLED": 1}
    assert liquidation_check(0, 0, {})["pass"] is True
    assert verdict({"a": {"pass": True}, "b": {"pass": False}})["pass"] is False


def test_a_failed_soak_makes_the_command_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def failing(settings: Any, argv: list[str]) -> dict[str, Any]:
        return {"soak": verdict({"rss": {"pass": False}}), "runs": []}

    monkeypatch.setattr(cli, "soak", failing)
    assert cli.main(["soak", "--json", "--results", "", "--no-progress"]) == 1
    assert json.loads(capsys.readouterr().out)["soak"]["pass"] is False


def test_a_short_soak_in_a_crash_liquidates_the_gamblers_and_its_journal_replays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "crash.toml"
    scenario.write_text(CRASH)
    results = tmp_path / "grpc.txt"
    args = ["soak", "--duration", "3", "--warmup", "0.5", "--rate", "50", "--accounts", "4", "--gamblers", "4"]
    more = ["--scenario", str(scenario), "--rss-every", "0.2", "--rss-slope-limit", "100000"]
    report = run_tool(capsys, results, *args, *more)
    soak = report["soak"]
    assert set(soak["checks"]) == {"rss", "replay", "liquidations", "faults"}
    assert soak["pass"] is True, soak
    assert soak["checks"]["liquidations"]["liquidations"] >= 1
    replay = soak["checks"]["replay"]
    assert replay["replayed"] == replay["recorded"] and replay["last_sequence"] > 150
    assert soak["checks"]["rss"]["samples"] == len(soak["checks"]["rss"]["samples_mib"]) >= 3
    (run,) = report["runs"]
    assert run["rate"] == 50 and run["ok"] + run["errors"] == 150
    (line,) = results.read_text().splitlines()
    assert " soak rate=50/s " in line and " soak=PASS rss=pass replay=pass liquidations=pass faults=pass " in line
