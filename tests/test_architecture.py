"""The dependency rule (``docs/architecture.md``), checked by walking every import with ``ast``."""

import ast
import sys
from pathlib import Path
from typing import get_args

import pytest

from paperex.engine.events import Event
from tests.installed_names import PACKAGE_DIRS, ROOT

STDLIB = set(sys.stdlib_module_names)

ENGINE_FORBIDDEN = {"asyncio", "time", "random", "logging", "os", "sqlite3", "threading", "socket", "datetime"}
ALLOWED = {
    "paperex.engine": {"sortedcontainers", "paperex.engine"},
    # uvloop: only server/event_loop.py, the loop the server runs on
    "paperex.server": {
        "paperex.engine",
        "paperex.v1",
        "paperex.server",
        "grpc",
        "grpc_status",
        "grpc_health",
        "grpc_reflection",
        "google",
        "uvloop",
    },
    # pytest and pytest_asyncio only for clients/pytest_plugin.py, the fixtures bot authors test with
    "paperex.client": {"paperex.v1", "paperex.client", "grpc", "grpc_status", "google", "pytest", "pytest_asyncio"},
}
"""What each package's modules may import, by dotted prefix; the standard library is allowed besides
(but for ENGINE_FORBIDDEN in the engine)."""
FOLDERS = ("engine", "server", "clients", "proto", "tests", "loadtest")
OLD_NAMES = {"engine", "server", "clients"}
"""The folders' names, which are not importable once installed: everything is under ``paperex``."""


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def allowed(module: str, prefixes: set[str]) -> bool:
    return any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_design_allows(package: str) -> None:
    offenders = []
    for path in sorted(PACKAGE_DIRS[package].rglob("*.py")):
        for module in imported_modules(path):
            root = module.split(".")[0]
            if root in STDLIB:
                if package == "paperex.engine" and root in ENGINE_FORBIDDEN:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
            elif not allowed(module, ALLOWED[package]):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_top_level_package_imports_only_the_sdk() -> None:
    """``from paperex import AsyncClient`` comes from the SDK; nothing else loads with ``paperex``."""
    modules = imported_modules(PACKAGE_DIRS["paperex"] / "__init__.py")
    assert {module for module in modules if module.split(".")[0] not in STDLIB} == {
        "paperex.client.book_mirror",
        "paperex.client.client",
        "paperex.client.commands",
        "paperex.client.enums",
        "paperex.client.errors",
        "paperex.client.sync",
        "paperex.client.tracker",
    }


def test_nothing_imports_the_folder_names() -> None:
    """``engine``, ``server`` and ``clients`` are folders; a bot project's own packages of those names
    must never meet an import of ours."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in [
            ROOT / "conftest.py",
            *(path for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))),
        ]
        for module in imported_modules(path)
        if module.split(".")[0] in OLD_NAMES
    ]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import time\nfrom paperex.server.app import serve\nfrom . import sibling\nimport engine.book\n")
    assert imported_modules(sample) == {"time", "paperex.server.app", "engine.book"}
    assert not allowed("paperex.server.app", ALLOWED["paperex.client"]) and allowed(
        "paperex.v1.common_pb2", {"paperex.v1"}
    )


DISPATCHER_EVENTS = {"PositionChanged", "BookLevelChanged"}
"""The events ``engine/engine.py`` builds itself: the pipeline's closing flushes. Every other event is
built by the job it belongs to (``order_commands``, ``execution``, ``settlement``, ``open_orders``,
``account_commands``, ``prices``, ``trigger_runner``, ``liquidator``)."""
DISPATCHER_MAX_LINES = 350


def events_built(source: str) -> set[str]:
    """The engine event types called by name in ``source``."""
    event_types = {event_type.__name__ for event_type in get_args(Event)}
    return {
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in event_types
    }


def test_the_engine_module_only_dispatches() -> None:
    """``Engine.apply`` reads as the pipeline's table of contents; job code piled back into
    ``engine/engine.py`` would build its job's events there, and make the file long again."""
    source = (PACKAGE_DIRS["paperex.engine"] / "engine.py").read_text()
    assert events_built("OrderFilled(1, 2)\nPositionChanged\nlen([])\n") == {"OrderFilled"}
    assert events_built(source) <= DISPATCHER_EVENTS
    assert len(source.splitlines()) <= DISPATCHER_MAX_LINES
