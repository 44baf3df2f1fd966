"""``python -m loadtest crash``: two kill -9 rounds on a real server subprocess reconcile cleanly
(``loadtest.crash.lost_orders``'s docstring shows what counts as lost)."""

import re

import pytest

from loadtest.__main__ import main


def test_two_crash_rounds_lose_no_acknowledged_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crash", "--rounds", "2", "--max-seconds", "0.5", "--clients", "3"]) == 0
    output = capsys.readouterr().out
    assert len(re.findall(r"^round \d: killed after .*, 0 lost$", output, re.MULTILINE)) == 2
    summary = re.search(r"^2 rounds, ([\d,]+) acknowledged orders, ([\d,]+) fills, 0 lost", output, re.MULTILINE)
    assert summary is not None, output
