"""Which build of the engine runs. The suite passes on both (``.ci/run`` runs it on each); this file checks
that the build is the one asked for: with ``PAPEREX_EXPECT_ENGINE=mypyc`` (CI's compiled step) every
engine module but the few ``compiled_build.INTERPRETED`` names, and every ``compiled_build.COMPILED_SERVER``
module, must load from an extension module, so a compiled install that quietly fell back to pure Python
fails here instead of passing as interpreted."""

import importlib
import importlib.machinery
import os
import pkgutil

import pytest

import compiled_build
import paperex.engine
from paperex.engine.engine import ENGINE_BUILD
from paperex.server.core.results import RESULTS_BUILD

EXPECTED = os.environ.get("PAPEREX_EXPECT_ENGINE", "")


def loaded_compiled(module: str) -> bool:
    origin = importlib.import_module(module).__file__ or ""
    return origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def test_every_engine_module_runs_as_the_build_says() -> None:
    modules = pkgutil.iter_modules(paperex.engine.__path__)
    compiled = {info.name: loaded_compiled(f"paperex.engine.{info.name}") for info in modules}
    interpreted_by_design = {name.removesuffix(".py") for name in compiled_build.INTERPRETED} - {"__init__"}
    assert not any(compiled[name] for name in interpreted_by_design)
    others = {name: is_compiled for name, is_compiled in compiled.items() if name not in interpreted_by_design}
    assert set(others.values()) == {ENGINE_BUILD == "mypyc"}, others


def test_the_compiled_server_modules_run_as_the_engine_does() -> None:
    names = {f"paperex.server.{path.removesuffix('.py').replace('/', '.')}" for path in compiled_build.COMPILED_SERVER}
    compiled = {name: loaded_compiled(name) for name in names}
    assert set(compiled.values()) == {ENGINE_BUILD == "mypyc"}, compiled
    assert RESULTS_BUILD == ENGINE_BUILD


@pytest.mark.skipif(not EXPECTED, reason="PAPEREX_EXPECT_ENGINE names the build a CI step installed")
def test_the_engine_is_the_build_ci_installed() -> None:
    assert ENGINE_BUILD == EXPECTED
