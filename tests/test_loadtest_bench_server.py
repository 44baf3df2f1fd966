"""The server-path benchmark drives the load tool's flow through the real server code and reports every stage."""

import json

import pytest

from loadtest.bench_server import STAGES, _Bench, main


def test_the_flow_reaches_the_engine_rests_trades_and_cancels() -> None:
    bench = _Bench()
    for number in range(40):
        bench.request(bench.flows[number % len(bench.flows)], 25, number)
    assert bench.commands == 1_000
    history = bench.exchange.history
    placed = [record for record in history.orders.values() if record.account_id <= len(bench.flows)]
    assert len(placed) > 900  # adds and market orders were accepted, not refused at the wire or by margin
    statuses = {record.status.name for record in placed}
    assert {"NEW", "FILLED", "CANCELED"} <= statuses  # resting, taken and cancelled-all orders
    assert all(seconds > 0 for seconds in bench.totals.values())


def test_the_report_has_every_stage_and_their_sum(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--requests", "8", "--batch", "10", "--repetitions", "1", "--json", "--results", ""]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["us_per_command"]) == set(STAGES)
    assert report["total_us_per_command"] == pytest.approx(sum(report["us_per_command"].values()))
    assert report["commands_per_second"] == pytest.approx(1e6 / report["total_us_per_command"])
