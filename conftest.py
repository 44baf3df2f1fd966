"""Doctests import each module by its installed name (``engine/book.py`` is ``paperex.engine.book``).

pytest names a collected file after its folders (``engine.book``), which would load a second copy of
the module under a name that is not installed; the doctests run the modules the tests and users import.
"""

import importlib
from collections.abc import Generator
from pathlib import Path
from types import ModuleType

import pytest
from _pytest.doctest import DoctestModule

from tests.installed_names import installed_name


class InstalledDoctests(DoctestModule):
    """The doctests of one module, imported by its installed name."""

    def _getobj(self) -> ModuleType:
        name = installed_name(self.path)
        assert name is not None
        return importlib.import_module(name)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> Generator[None, list[pytest.Collector], list[pytest.Collector]]:
    collected = yield
    if installed_name(file_path) is None:
        return collected
    return [
        InstalledDoctests.from_parent(parent, path=file_path) if isinstance(item, DoctestModule) else item
        for item in collected
    ]
