"""The soak: each check's verdict on made-up observations, and one short real soak in a fast crash."""

import json
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

from loadtest.grpc_load import cli
from loadtest.grpc_load.paperex import bearer
from loadtest.grpc_load.prefill import prefill
from loadtest.grpc_load.verdict import (
    MIB,
    fault_check,
    growth_rate,
    liquidation_check,
    money_check,
    replay_check,
    rss_check,
    rss_checks,
    second_half,
    verdict,
)
from paperex.server.grpc_api.app import ExchangeServer
from paperex.server.state.history import MIN_RETAINED
from paperex.server.state.public_trades import RETAINED_PER_SYMBOL
from paperex.v1 import admin_pb2, admin_pb2_grpc
from tests.server.conftest import ADMIN_TOKEN, config
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


def series(shape: Callable[[float], float], seconds: int = 600, seed: int = 7) -> list[tuple[float, float]]:
    """RSS samples (seconds, bytes) every second: ``shape`` (MiB at a time) plus +-0.5 MiB of noise."""
    rng = random.Random(seed)
    return [(float(t), (shape(t) + rng.uniform(-0.5, 0.5)) * MIB) for t in range(seconds + 1)]


def warming(t: float) -> float:
    """Start-up: 50 MiB more over the first four minutes (retained history filling), then flat."""
    return 100 + 50 * min(t, 240) / 240


def staircase(t: float) -> float:
    """After start-up, steps the allocator keeps (8, 4 and 2 MiB at 100, 180 and 260 s: settled
    before the judged half), a 2 MiB sawtooth of 100 s (a cache emptied and refilled), and 25 MiB
    one-sample spikes (large temporaries) all along."""
    steps = sum(size for at, size in ((100, 8), (180, 4), (260, 2)) if t >= at)
    sawtooth = 2 * (t % 100) / 100
    spike = 25 if t % 97 == 0 else 0
    return warming(t) + steps + sawtooth + spike


def test_the_growth_rate_compares_the_medians_of_the_halves() -> None:
    assert growth_rate([(0, 5.0), (1, 5.0), (2, 5.0)]) == 0.0
    assert growth_rate([(t, 3.0 * t) for t in range(100)]) == pytest.approx(3.0)
    assert growth_rate([(t, 100.0 + (50.0 if t % 10 == 0 else 0.0)) for t in range(100)]) == 0.0  # spikes
    assert growth_rate([(t, 100.0 if t < 50 else 110.0) for t in range(100)]) == pytest.approx(0.2)  # a step
    assert second_half([(0, 1.0), (4, 2.0), (5, 3.0), (10, 4.0)]) == [(5, 3.0), (10, 4.0)]


def test_a_leak_of_1_mib_per_minute_fails_even_among_steps_oscillations_and_spikes() -> None:
    leak = rss_check(series(lambda t: warming(t) + t / 60), 0.5)
    assert leak["pass"] is False and leak["slope_mib_per_min"] == pytest.approx(1.0, abs=0.1)
    hidden = rss_check(series(lambda t: staircase(t) + t / 60), 0.5)
    assert hidden["pass"] is False and hidden["slope_mib_per_min"] == pytest.approx(1.0, abs=0.3)
    assert rss_check(series(lambda t: warming(t) + 0.6 * t / 60), 0.5)["pass"] is False


def test_a_plateau_or_a_settled_staircase_passes_and_a_step_in_the_judged_half_does_not() -> None:
    plateau = rss_check(series(warming), 0.5)
    assert plateau["pass"] is True and abs(plateau["slope_mib_per_min"]) < 0.1
    assert (plateau["first_mib"], plateau["window_s"]) == (pytest.approx(100, abs=0.5), [300.0, 600.0])
    steps = rss_check(series(staircase), 0.5)
    assert steps["pass"] is True and abs(steps["slope_mib_per_min"]) < 0.3, steps["detail"]
    assert steps["peak_mib"] > 185  # the spikes
    climbing = rss_check(series(lambda t: staircase(t) + (3 if t >= 450 else 0)), 0.5)
    assert climbing["pass"] is False  # growth that has not settled, even if it came as one step
    assert rss_check([(0, MIB), (1, MIB)], 1.0)["pass"] is False  # too few samples to judge


def test_each_server_process_is_judged_on_its_own_and_one_process_as_before() -> None:
    """Three processes each growing 0.3 MiB/min (bounded read models filling, once per process) pass a
    0.5 limit that their sum, 0.9, would fail; a 1 MiB/min leak in one gateway fails however flat the
    others are. One process named ``server`` gets ``rss_check``'s own result."""
    each = {name: series(lambda t: warming(t) + 0.3 * t / 60) for name in ("sequencer", "gateway1", "gateway2")}
    shared = rss_checks(each, 0.5)
    assert shared["pass"] is True, shared["detail"]
    assert set(shared["processes"]) == {"sequencer", "gateway1", "gateway2"}
    assert shared["slope_mib_per_min"] == pytest.approx(0.3, abs=0.1)
    assert shared["detail"].startswith("sequencer RSS ")
    leaking = each | {"gateway2": series(lambda t: warming(t) + t / 60, seed=8)}
    leak = rss_checks(leaking, 0.5)
    assert leak["pass"] is False and leak["processes"]["gateway1"]["pass"] is True
    assert leak["slope_mib_per_min"] == leak["processes"]["gateway2"]["slope_mib_per_min"] == pytest.approx(1, abs=0.1)
    single = series(staircase)
    assert rss_checks({"server": single}, 0.5) == rss_check(single, 0.5)


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


def test_the_money_check_passes_only_when_the_ledger_balances_to_the_unit() -> None:
    balanced = SimpleNamespace(
        net_deposits="140",
        insurance_contributions="10",
        money_in_system="150",
        imbalance="0",
        wallets="140",
        isolated_margin="5",
        fees_collected="1.5",
        insurance_fund="3.5",
        open_positions="0",
    )
    check = money_check(balanced)
    assert check["pass"] is True and check["fees_collected"] == "1.5"
    assert check["detail"].startswith("money conserved: 150 held (wallets 140, isolated_margin 5, fees_collected 1.5")
    assert check["detail"].endswith("for 140 deposited and 10 contributed to the insurance funds")
    leaking = SimpleNamespace(**{**vars(balanced), "money_in_system": "150.00000001", "imbalance": "0.00000001"})
    assert money_check(leaking)["pass"] is False
    assert "NOT conserved (imbalance 0.00000001)" in money_check(leaking)["detail"]


def test_a_soak_server_keeps_the_least_history_and_other_runs_the_default() -> None:
    assert cli.settings_from(["soak"]).history_retention == MIN_RETAINED
    assert cli.settings_from(["soak", "--history-retention", "5000"]).history_retention == 5000
    assert cli.settings_from(["unary"]).history_retention == 0  # the server's own default
    assert cli.settings_from(["unary"]).rss_slope_limit == 0.5


def test_the_prefill_fills_the_history_retention_and_the_public_trades_unless_given() -> None:
    # The larger of the retention and the 10,000 public trades kept per symbol: one trade per order at least.
    assert cli.settings_from(["soak"]).prefill == RETAINED_PER_SYMBOL == 10_000
    assert cli.settings_from(["soak", "--history-retention", "20000"]).prefill == 20_000
    assert cli.settings_from(["soak", "--prefill", "0"]).prefill == 0
    assert cli.settings_from(["unary"]).prefill == 0


async def test_the_prefill_fills_the_liquidity_providers_history_and_the_public_trades_and_ends_flat(
    tmp_path: Path,
) -> None:
    server = ExchangeServer(config(tmp_path, liquidity=True, clock="simulated"))
    port = await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            admin: Any = admin_pb2_grpc.AdminStub(channel)
            index = admin_pb2.SetIndexPriceRequest(symbol="BTCUSDT", price="64900")
            await admin.SetIndexPrice(index, metadata=bearer(ADMIN_TOKEN))
            await admin.Step(admin_pb2.StepRequest(), metadata=bearer(ADMIN_TOKEN))  # the provider quotes
            assert server.sequencer is not None
            exchange = server.sequencer.exchange
            (provider,) = (entry.account_id for entry in exchange.accounts.values() if entry.internal)
            await prefill(channel, ADMIN_TOKEN, 20)
            assert len(exchange.history.fills_page(provider, "", 0, 0, 2**62, 0, 100)) >= 20
            assert len(exchange.results.public_trades.recent("BTCUSDT", None, 100)) >= 20  # a trade per order
            prefiller = max(exchange.accounts)
            assert exchange.engine.position(prefiller, "BTCUSDT").size == 0
    finally:
        await server.stop()


def test_a_failed_soak_makes_the_command_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def failing(settings: Any, argv: list[str]) -> dict[str, Any]:
        return {"soak": verdict({"rss": {"pass": False}}), "runs": []}

    monkeypatch.setattr(cli, "soak", failing)
    assert cli.main(["soak", "--json", "--results", "", "--no-progress"]) == 1
    assert json.loads(capsys.readouterr().out)["soak"]["pass"] is False


@pytest.mark.parametrize("gateways", [1, 2])
def test_a_short_soak_in_a_crash_liquidates_the_gamblers_and_its_journal_replays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, gateways: int
) -> None:
    """One process, and a sequencer process with two gateways: the same checks pass."""
    scenario = tmp_path / "crash.toml"
    scenario.write_text(CRASH)
    results = tmp_path / "grpc.txt"
    args = ["soak", "--duration", "3", "--warmup", "0.5", "--rate", "50", "--accounts", "4", "--gamblers", "4"]
    args += ["--gateways", str(gateways)]
    more = ["--scenario", str(scenario), "--rss-every", "0.2", "--rss-slope-limit", "100000", "--prefill", "40"]
    report = run_tool(capsys, results, *args, *more)
    soak = report["soak"]
    assert set(soak["checks"]) == {"rss", "replay", "money", "liquidations", "faults"}
    assert soak["pass"] is True, soak
    assert soak["checks"]["liquidations"]["liquidations"] >= 1
    replay = soak["checks"]["replay"]
    assert replay["replayed"] == replay["recorded"] and replay["last_sequence"] > 150
    money = soak["checks"]["money"]
    assert money["imbalance"] == "0" and money["money_in_system"] == money["net_deposits"]
    assert Decimal(money["wallets"]) > 0 and Decimal(money["fees_collected"]) > 0
    rss = soak["checks"]["rss"]
    processes = {"supervisor", "sequencer", "gateway1", "gateway2"} if gateways > 1 else {"server"}
    by_process = rss.get("processes", {"server": rss})
    assert set(by_process) == processes
    assert all(check["samples"] == len(check["samples_mib"]) >= 3 for check in by_process.values())
    (run,) = report["runs"]
    assert run["rate"] == 50 and run["ok"] + run["errors"] == 150
    roles = {"client", "server"} | ({"sequencer", "gateways"} if gateways > 1 else set())
    assert set(run["cpu_us_per_call"]) == roles
    assert (run["projection"] is not None) == (gateways > 1)
    (line,) = results.read_text().splitlines()
    assert (
        " soak rate=50/s " in line
        and " soak=PASS rss=pass replay=pass money=pass liquidations=pass faults=pass " in line
        and (" rss_slope_by_process=supervisor:" in line) == (gateways > 1)
    )
