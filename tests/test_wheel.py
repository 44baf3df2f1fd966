"""The wheel, installed into a fresh venv and used from a bot project that has its own ``clients``,
``server`` and ``engine`` packages: the SDK imports, the CLI answers, the pytest plugin runs a test on
its exchange, and ``-p no:paperex`` turns the plugin off. Nothing here sees the checkout.

Slow (a wheel build and a venv; the dependencies come from pip's cache or PyPI), and still run in CI:
it is the only test of what ``pip install paperex`` gives a user.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.installed_names import PACKAGE_DIRS, ROOT

pytestmark = pytest.mark.slow

NOT_SOURCES = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "*.db", "*.db-*"
)
BOT_PROJECT = {
    "clients/__init__.py": 'OWNER = "bot"\n',
    "server/__init__.py": 'OWNER = "bot"\n',
    "engine/__init__.py": 'OWNER = "bot"\n',
    "pytest.ini": "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n",
    "conftest.py": "import clients, engine, server  # the bot's own, imported first\n",
    "test_bot.py": """
import sys
from pathlib import Path

import clients
import engine
import server

import paperex
from paperex import AsyncClient, PlaceOrder, Side


def test_the_bot_packages_and_paperex_live_side_by_side():
    assert clients.OWNER == server.OWNER == engine.OWNER == "bot"
    assert Path(paperex.__file__).is_relative_to(sys.prefix)  # the installed wheel, not a checkout
    assert AsyncClient.__module__ == "paperex.client.client"


async def test_the_plugin_gives_an_exchange(paperex):
    bot = await paperex.account("bot", deposit="1000")
    placed = await bot.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.010", price="50000"))
    assert placed.order.order_id > 0
""",
}


def outside_environment() -> dict[str, str]:
    """This process's environment without what would point the children at the checkout or its tests."""
    dropped = ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS")
    return {key: value for key, value in os.environ.items() if key not in dropped and not key.startswith("PAPEREX_")}


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    arguments = [str(part) for part in command]
    return subprocess.run(
        arguments, check=False, cwd=cwd, env=outside_environment(), capture_output=True, text=True, timeout=600
    )


def expected_files() -> set[str]:
    """Every module and package-data file of the package folders, at its installed path."""
    suffixes = {".py", ".pyi", ".proto", ".toml", ".typed"}
    expected = set()
    for package, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts:
                expected.add("/".join((*package.split("."), *path.relative_to(folder).parts)))
    return expected


def test_a_bot_project_uses_the_installed_wheel(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)  # a clean tree: no stale build/ in the wheel
    dist = tmp_path / "dist"
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, source, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("paperex-*.whl")
    assert {name for name in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in name} == expected_files()

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    installed = run(sys.executable, "-m", "pip", "--python", python, "install", f"{wheel}[pytest]", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    project = tmp_path / "bot"
    for name, text in BOT_PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")

    cli = run(python.with_name("paperex"), "--help", cwd=project)
    assert cli.returncode == 0 and "usage: paperex" in cli.stdout, cli.stderr
    with_plugin = run(python, "-m", "pytest", "-p", "no:cacheprovider", cwd=project)
    assert "2 passed" in with_plugin.stdout, with_plugin.stdout + with_plugin.stderr
    without = run(python, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:paperex", cwd=project)
    assert "1 passed, 1 error" in without.stdout and "fixture 'paperex' not found" in without.stdout, without.stdout
