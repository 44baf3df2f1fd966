"""The optional compiled build: ``PAPEREX_MYPYC=1 pip install .`` compiles the engine with mypyc.

This module is the project's build backend (setuptools' own, plus mypy and the engine's type stubs as
build requirements when the compiled build is asked for, so a default install never fetches them) and
says which modules compile (``stage``). ``setup.py`` and ``python -m loadtest engine --mypyc`` build
from what ``stage`` lays out.

mypy names a module by the folders above it, so the sources are copied where their folders read
``paperex/engine``; the extension modules then install beside the ``.py`` files, which they take
precedence over. An editable install stays interpreted: its extension modules would land in the
checkout and silently run stale code after the next edit.
"""

import os
import shutil
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (every other hook is setuptools' own)

REQUESTED = "PAPEREX_MYPYC"
"""Set to 1 to ask for the compiled build (ignored by editable installs)."""

ROOT = Path(__file__).resolve().parent
COMPILED_PACKAGES = {"paperex.engine": ROOT / "engine"}
"""Packages whose modules compile, and the folder each installs from."""

INTERPRETED = frozenset({"__init__.py", "audit.py", "commands.py", "native.py"})
"""Modules that stay interpreted: package markers; the auditor, whose ``InvariantViolation`` subclasses
AssertionError (mypyc cannot compile that natively); the commands, which the engine refuses with a reason
when a field has the wrong type (a native class would raise TypeError as it is built instead); and
``native``, which only marks classes for mypyc."""

BUILD_REQUIREMENTS = ["mypy>=1.11", "sortedcontainers-stubs"]
"""What the compiled build needs besides setuptools: mypyc (in mypy) and the stubs the engine checks against."""


def requested() -> bool:
    return os.environ.get(REQUESTED, "") == "1"


def stage(target: Path) -> list[str]:
    """Copy the compiled packages into ``target`` under their import paths (an empty ``paperex`` package
    above them) and return the paths, relative to ``target``, of the modules to compile."""
    (target / "paperex").mkdir(parents=True, exist_ok=True)
    (target / "paperex" / "__init__.py").write_text("", encoding="utf-8")
    modules = []
    for package, source in COMPILED_PACKAGES.items():
        relative = Path(*package.split("."))
        shutil.rmtree(target / relative, ignore_errors=True)
        shutil.copytree(source, target / relative, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        modules += [
            (relative / path.name).as_posix()
            for path in sorted((target / relative).glob("*.py"))
            if path.name not in INTERPRETED
        ]
    return modules


def get_requires_for_build_wheel(config_settings: dict[str, str] | None = None) -> list[str]:
    extra = BUILD_REQUIREMENTS if requested() else []
    return [*build_meta.get_requires_for_build_wheel(config_settings), *extra]
