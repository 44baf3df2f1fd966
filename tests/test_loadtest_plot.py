"""--plot: a PNG when matplotlib is installed, a one-line refusal before any work when it is not."""

import sys
from pathlib import Path

import pytest

from loadtest.grpc_load import main
from loadtest.grpc_load.plot import MISSING
from tests.test_grpc_load import run_tool

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_plot_is_refused_in_one_line_before_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what find_spec sees when it is not installed
    with pytest.raises(SystemExit) as exit_info:
        main(["unary", "--plot", str(tmp_path / "run.png"), "--results", ""])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(MISSING)
    assert not (tmp_path / "run.png").exists()


def test_a_run_with_plot_writes_a_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    picture = tmp_path / "run.png"
    args = ["unary", "--duration", "1", "--warmup", "0.3", "--in-flight", "4", "--accounts", "2"]
    run_tool(capsys, tmp_path / "grpc.txt", *args, "--subscribers", "1", "--plot", str(picture))
    assert picture.read_bytes()[:8] == PNG_SIGNATURE
    assert picture.stat().st_size > 10_000
