"""The echo baseline: its server answers with the sizes asked for, and every run is compared with it."""

from pathlib import Path

import grpc
import pytest

from loadtest.grpc_load.echo import READY_PREFIX, SESSION_PATH, UNARY_PATH, answer, payload, request_number
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
