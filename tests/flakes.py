"""Runs the test suite N times under CPU load and reports which tests failed, and how often.

    python -m tests.flakes --runs 20 --load 2                     # the whole suite, as CI runs it
    python -m tests.flakes --runs 10 --load 2 --random-order -- tests/server tests/clients

Each run is ``python -m pytest`` with ``CI=true`` (what CI runs), one at a time, while ``--load`` busy
loops at nice 5 keep the cores busy; they stop when the runs end (and on their own after
``--max-minutes``). ``--random-order`` shuffles each run with a new seed (pytest-random-order, a dev
dependency that is inert unless asked), so an order dependence shows up too; a failing run's seed is
printed to replay it with ``--random-order-seed=SEED``. Arguments after ``--`` go to pytest. A failed run's
whole output is kept in ``--log-dir``. Exit status 0 when every run passed. ``taskset -c 0`` in front
puts the runs and the burners on one core: a harsher load. Outside CI: a loaded full run takes 3-4
minutes on 2 cores.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent

# One busy core at nice 5 until argv[1] seconds have passed (or it is killed).
BURNER = """
import os, sys, time
os.nice(5)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass
"""


@dataclass
class Run:
    """One pytest run: its exit status, how long it took, and the tests that failed or errored."""

    number: int
    status: int
    seconds: float
    failed: list[str] = field(default_factory=list)
    passed: int = 0
    seed: int | None = None
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == 0 and not self.failed


def node_id(case: ElementTree.Element) -> str:
    """``tests/a/test_b.py::test_c`` (or ``::Class::test_c``) from a JUnit testcase's classname and name."""
    parts = case.get("classname", "").split(".")
    module = next((i for i in range(len(parts), 0, -1) if (ROOT / Path(*parts[:i])).with_suffix(".py").is_file()), 0)
    path = "/".join(parts[:module]) + ".py" if module else ".".join(parts)
    return "::".join([path, *parts[module:], case.get("name", "?")])


def read_report(path: Path) -> tuple[list[str], int]:
    """The failed or errored tests of a JUnit XML report, and how many passed."""
    if not path.is_file():
        return [], 0
    failed, passed = [], 0
    for case in ElementTree.parse(path).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(node_id(case))
        elif case.find("skipped") is None:
            passed += 1
    return failed, passed


def run_pytest(number: int, pytest_args: Sequence[str], seed: int | None, log_dir: Path, timeout: float) -> Run:
    report = log_dir / f"run-{number}.xml"
    log = log_dir / f"run-{number}.txt"
    # pytest's cache stays on: the connector test keeps its install there
    command = [sys.executable, "-m", "pytest", f"--junitxml={report}", *pytest_args]
    if seed is not None:
        command.append(f"--random-order-seed={seed}")
    start = time.monotonic()
    with log.open("w") as output:
        child = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "CI": "true"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = child.wait(timeout)
        except subprocess.TimeoutExpired:
            status = -1
        finally:
            if child.poll() is None:  # timed out, or this tool was interrupted (its own session: no Ctrl-C)
                os.killpg(child.pid, signal.SIGKILL)  # its process group: pytest and the servers it started
                child.wait()
    seconds = time.monotonic() - start
    failed, passed = read_report(report)
    if status == -1:
        failed.append(f"(the run took over {timeout / 60:g} min and was killed: see the log)")
    elif status != 0 and not failed:
        failed = [f"(pytest exited {status} with no failed test: see the log)"]
    return Run(number, status, seconds, failed, passed, seed, log)


def start_burners(count: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", BURNER, str(seconds)]) for _ in range(count)]


def stop_burners(burners: list[subprocess.Popen[bytes]]) -> None:
    for burner in burners:
        burner.kill()
        burner.wait()


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    args = list(argv)
    pytest_args = args[args.index("--") + 1 :] if "--" in args else []
    own = args[: args.index("--")] if "--" in args else args
    parser = argparse.ArgumentParser(prog="python -m tests.flakes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="how many runs of the suite (default 5)")
    parser.add_argument("--load", type=int, default=2, help="CPU burners at nice 5 during the runs (default 2)")
    parser.add_argument("--random-order", action="store_true", help="shuffle each run with a new seed")
    parser.add_argument("--stop-on-failure", action="store_true", help="stop after the first failed run")
    parser.add_argument("--max-minutes", type=float, default=180.0, help="burners stop on their own after this")
    parser.add_argument("--timeout-minutes", type=float, default=20.0, help="a run that takes longer is a failure")
    parser.add_argument("--log-dir", type=Path, default=None, help="where the runs' output goes (default: a temp dir)")
    return parser.parse_args(own), pytest_args


def main(argv: Sequence[str] | None = None) -> int:
    options, pytest_args = parse_args(sys.argv[1:] if argv is None else argv)
    log_dir = options.log_dir or Path(tempfile.mkdtemp(prefix="paperex-flakes-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"{options.runs} runs of pytest {' '.join(pytest_args)} with {options.load} burners; logs in {log_dir}")
    burners = start_burners(options.load, options.max_minutes * 60)
    runs: list[Run] = []
    try:
        for number in range(1, options.runs + 1):
            seed = random.randrange(1_000_000) if options.random_order else None
            run = run_pytest(number, pytest_args, seed, log_dir, options.timeout_minutes * 60)
            runs.append(run)
            verdict = "passed" if run.ok else f"FAILED: {', '.join(run.failed)} (log {run.log})"
            order = "" if seed is None else f", --random-order-seed={seed}"
            print(f"run {number}/{options.runs}: {run.passed} passed in {run.seconds:.0f} s{order}: {verdict}")
            sys.stdout.flush()
            if not run.ok and options.stop_on_failure:
                break
    finally:
        stop_burners(burners)
    failures = Counter(test for run in runs for test in run.failed)
    clean = sum(run.ok for run in runs)
    print(f"\n{clean} of {len(runs)} runs passed")
    for test, count in failures.most_common():
        print(f"  {test}: failed in {count} of {len(runs)} runs")
    return 0 if clean == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
