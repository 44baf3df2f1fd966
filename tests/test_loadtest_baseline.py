"""The echo baseline: its server answers with the sizes asked for, every run is compared with it, and
``--rounds`` compares them alternately, reporting each rate's median ratio."""

from pathlib import Path
from typing import Any

import grpc
import pytest

from loadtest.grpc_load.cli import settings_from
from loadtest.grpc_load.echo import READY_PREFIX, SESSION_PATH, UNARY_PATH, answer, payload, request_number
from loadtest.grpc_load.report import medians
from loadtest.grpc_load.servers import ChildServer, echo_command
from tests.test_grpc_load import check_run, run_tool


def test_an_answer_is_the_request_header_padded_to_the_size_it_asks_for() -> None:
    request = payload(40, 250, 7)
    assert len(request) == 40
    reply = answer(request)
    assert len(reply) == 250
    assert request_number(reply) == 7
    assert reply[:8] == request[:8]
    assert len(answer(payload(8, 3))) == 3


async def test_the_echo_server_answers_unary_calls_and_each_stream_request_with_the_asked_size(
    tmp_path: Path,
) -> None:
    server = ChildServer("echo", echo_command(), READY_PREFIX, tmp_path / "echo.log")
    address = await server.start()
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            reply = await channel.unary_unary(UNARY_PATH)(payload(37, 211, 5), timeout=10)
            assert (len(reply), request_number(reply)) == (211, 5)
            stream = channel.stream_stream(SESSION_PATH)()
            for number, size in ((0, 900), (1, 12), (2, 4000)):
                await stream.write(payload(64, size, number))
            await stream.done_writing()
            replies = [message async for message in stream]
            assert [(len(r), request_number(r)) for r in replies] == [(900, 0), (12, 1), (4000, 2)]
    finally:
        assert await server.stop() == 0


def test_a_session_run_is_compared_with_the_echo_stream_at_the_same_settings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    results = tmp_path / "grpc.txt"
    args = ["session", "--duration", "1", "--warmup", "0.3", "--streams", "2", "--batch", "5", "--window", "2"]
    report = run_tool(capsys, results, *args, "--accounts", "2")
    (run,) = report["runs"]
    check_run(run)
    baseline = run["baseline"]
    check_run(baseline)
    assert set(baseline["operations"]) == {"echo", "session_batch"}
    # the echo streams carry the same batches: 5 echo commands per request
    assert baseline["operations"]["echo"]["ok"] == 5 * baseline["operations"]["session_batch"]["ok"]
    assert baseline["mix"] is None and baseline["workers"] == run["workers"]
    sizes = report["wire_sizes"]
    assert sizes["batch"] == 5 and sizes["batch_request"] > 5 * sizes["request"] > 0
    assert sizes["batch_reply"] > 5 * sizes["reply"] > 0
    ratio = run["ratio_to_baseline"]
    assert ratio["throughput"] == round(run["throughput_per_s"] / baseline["throughput_per_s"], 3)
    assert ratio["p99"] == round(run["latency_us"]["p99"] / baseline["latency_us"]["p99"], 3)
    (line,) = results.read_text().splitlines()
    assert f"ratio_to_baseline=throughput:{ratio['throughput']},p50:{ratio['p50']},p99:{ratio['p99']}" in line


def _ratios(throughput: float, p50: float, p99: float | None) -> dict[str, Any]:
    return {"ratio_to_baseline": {"throughput": throughput, "p50": p50, "p99": p99}}


def test_the_ratios_to_compare_are_each_rates_medians_over_its_rounds() -> None:
    """Rate 100: throughput ratios 0.5, 0.7, 0.6 -> median 0.6 (range 0.5 to 0.7); p50 2.0, 1.0, 3.0
    -> 2.0; p99 1.5, none, 2.5 -> the median of the two known, (1.5 + 2.5) / 2 = 2.0. Rate 200: one
    round, its own ratios. A run without a baseline has no ratio and counts in no median."""
    runs = [
        {"rate": 100.0, **_ratios(0.5, 2.0, 1.5)},
        {"rate": 100.0, **_ratios(0.7, 1.0, None)},
        {"rate": 100.0, **_ratios(0.6, 3.0, 2.5)},
        {"rate": 200.0, **_ratios(0.9, 1.1, 1.2)},
        {"rate": 300.0},
    ]
    assert medians(runs) == [
        {"rate": 100.0, "rounds": 3, "throughput": 0.6, "p50": 2.0, "p99": 2.0, "throughput_range": [0.5, 0.7]},
        {"rate": 200.0, "rounds": 1, "throughput": 0.9, "p50": 1.1, "p99": 1.2, "throughput_range": [0.9, 0.9]},
    ]


def test_rounds_are_at_least_one_and_a_soak_has_one() -> None:
    assert settings_from(["unary"]).rounds == 1
    assert settings_from(["unary", "--rounds", "3"]).rounds == 3
    for argv in (["unary", "--rounds", "0"], ["soak", "--rounds", "2"]):
        with pytest.raises(SystemExit):
            settings_from(argv)


def test_rounds_alternate_paperex_and_the_echo_and_report_the_median_ratio(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    results = tmp_path / "grpc.txt"
    args = ["unary", "--duration", "0.5", "--warmup", "0.2", "--in-flight", "4", "--accounts", "2", "--rounds", "2"]
    report = run_tool(capsys, results, *args)
    first, second = report["runs"]
    assert (first["round"], second["round"]) == (1, 2)
    for run in (first, second):
        check_run(run)
        check_run(run["baseline"])
        assert run["baseline"]["round"] == run["round"]
    (median,) = report["ratio_medians"]
    # the median of two rounds is halfway between them
    low, high = sorted((first["ratio_to_baseline"]["throughput"], second["ratio_to_baseline"]["throughput"]))
    assert median["rate"] is None and median["rounds"] == 2
    assert median["throughput_range"] == [low, high]
    assert median["throughput"] == pytest.approx((low + high) / 2, abs=0.001)
    first_line, second_line = results.read_text().splitlines()
    assert " round=1/2 " in first_line and " round=2/2 " in second_line
    same = f" ratio_median=throughput:{median['throughput']},p50:{median['p50']},p99:{median['p99']} "
    assert same in first_line and same in second_line
