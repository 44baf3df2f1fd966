"""The dependency rule of DESIGN.md section 1, checked by walking every import with ``ast``."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)

ENGINE_FORBIDDEN = {"asyncio", "time", "random", "logging", "os", "sqlite3", "threading", "socket", "datetime"}
ALLOWED_THIRD_PARTY = {
    "engine": {"sortedcontainers", "engine"},
    # uvloop: only server/event_loop.py, the loop the server runs on (issue 7's "consider uvloop")
    "server": {
        "engine",
        "paperex",
        "grpc",
        "grpc_status",
        "grpc_health",
        "grpc_reflection",
        "google",
        "server",
        "uvloop",
    },
    # pytest and pytest_asyncio only for clients/pytest_plugin.py, the fixtures bot authors test with
    "clients": {"paperex", "grpc", "grpc_status", "google", "clients", "pytest", "pytest_asyncio"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED_THIRD_PARTY))
def test_package_imports_only_what_the_design_allows(package: str) -> None:
    offenders = []
    for path in package_files(package):
        for root in imported_roots(path):
            if root in STDLIB:
                if package == "engine" and root in ENGINE_FORBIDDEN:
                    offenders.append(f"{path.relative_to(ROOT)} imports {root}")
            elif root not in ALLOWED_THIRD_PARTY[package]:
                offenders.append(f"{path.relative_to(ROOT)} imports {root}")
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import time\nfrom server.app import serve\nfrom . import sibling\n")
    assert imported_roots(sample) == {"time", "server"}
