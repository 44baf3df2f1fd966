"""Worker processes: their samples merge exactly, and together they send the whole schedule once."""

from pathlib import Path

import pytest

from loadtest.grpc_load.settings import share
from loadtest.grpc_load.stats import SECOND_NS, Recorder
from tests.test_grpc_load import check_run, run_tool


def test_records_merge_by_concatenating_samples_and_adding_counts() -> None:
    first, second = Recorder(0), Recorder(0)
    first.succeeded("place_limit", 0, 1_500_000, measured=True)  # 1.5 ms, in second 0
    first.failed("cancel", "NOT_FOUND/UNKNOWN_ORDER", 2 * SECOND_NS, measured=True)
    second.succeeded("place_limit", SECOND_NS, SECOND_NS + 700_000, measured=True)
    second.succeeded("place_limit", 0, 3_000_000, measured=False)  # warm-up: counted, no latency
    first.max_outstanding, second.max_outstanding = 3, 4
    first.merge(second)
    assert sorted(first.operations["place_limit"].latencies) == [700, 1500]
    assert first.operations["cancel"].errors == {"NOT_FOUND/UNKNOWN_ORDER": 1}
    assert (first.completed, first.errors, first.max_outstanding) == (4, 1, 7)
    assert first.ok_per_s == [2, 1]
    assert first.errors_per_s == [0, 0, 1]


def test_shares_split_a_total_over_workers_without_losing_any() -> None:
    for total in (1, 7, 64):
        for workers in (1, 2, 3, 5):
            parts = [share(total, index, workers) for index in range(workers)]
            assert sum(parts) == total and max(parts) - min(parts) <= 1


def test_two_worker_processes_send_the_open_loop_schedule_once_between_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["open-loop", "--rate", "200", "--duration", "1", "--warmup", "0.25", "--accounts", "4"]
    more = ["--workers", "2", "--subscribers", "3", "--no-baseline"]
    report = run_tool(capsys, tmp_path / "grpc.txt", *args, *more)
    (run,) = report["runs"]
    check_run(run)
    assert run["workers"] == 2
    # worker 0 takes slots 0, 2, 4, ... and worker 1 slots 1, 3, 5, ... of one 200/s schedule: the
    # window [0.25 s, 1.25 s) holds slots 50..249, 100 from each, merged into exactly 200 samples
    assert run["ok"] == 200
    assert sum(op["ok"] for op in run["operations"].values()) == 200
    assert sum(len(op["histogram_us"]) > 0 for op in run["operations"].values()) >= 1
    # three subscribers over two workers (2 + 1), their counts merged
    subscribers = run["subscribers"]
    assert subscribers["count"] == 3
    assert subscribers["gaps"] == 0
