"""``python -m loadtest`` dispatches to the tools, and the load package's docstring examples hold."""

import doctest
import importlib
import pkgutil

import pytest

import loadtest.grpc_load
from loadtest.__main__ import main


def test_python_m_loadtest_dispatches_a_mode_to_its_tool(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["soak", "--help"])
    assert exit_info.value.code == 0
    assert "--rss-slope-limit" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["engine", "--help"])
    assert "--ops" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["server-path", "--help"])
    assert "--batch" in capsys.readouterr().out
    assert main([]) == 2
    assert (
        "usage: python -m loadtest {unary,session,open-loop,soak,engine,server-path,crash}" in capsys.readouterr().err
    )


@pytest.mark.parametrize("name", [info.name for info in pkgutil.iter_modules(loadtest.grpc_load.__path__)])
def test_the_docstring_examples_of_the_load_modules_hold(name: str) -> None:
    module = importlib.import_module(f"loadtest.grpc_load.{name}")
    failures, _ = doctest.testmod(module)
    assert failures == 0
