"""``from paperex import AsyncClient, PlaceOrder, Side``: the SDK's everyday names from the top-level
package, loaded on first use so that the engine, the server and the generated API never load the SDK."""

import ast
import subprocess
import sys

import pytest

import paperex
from tests.installed_names import PACKAGE_DIRS


def test_the_names_type_checkers_see_are_the_names_exported() -> None:
    tree = ast.parse((PACKAGE_DIRS["paperex"] / "__init__.py").read_text(encoding="utf-8"))
    (checking,) = (node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    imported = {alias.name for node in checking.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert imported == set(paperex.__all__)


@pytest.mark.parametrize("name", paperex.__all__)
def test_each_name_is_the_sdk_object(name: str) -> None:
    value = getattr(paperex, name)
    home = sys.modules[value.__module__]
    assert home.__name__.startswith("paperex.client.") and getattr(home, name) is value
    assert name in dir(paperex)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        paperex.Nope  # noqa: B018


def test_the_engine_and_the_generated_api_load_without_the_sdk() -> None:
    code = (
        "import sys, paperex.engine.engine, paperex.v1.trading_pb2\n"
        "print(sorted(name for name in sys.modules if name.startswith('paperex.client') or name == 'grpc'))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
