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
    # uvloop: only server/grpc_api/event_loop.py, the loop the server runs on; aiohttp: only server/binance_api
    "paperex.server": {
        "paperex.engine",
        "sortedcontainers",  # the snapshot format rebuilds the engine's sorted containers
        "paperex.v1",
        "paperex.server",
        "grpc",
        "grpc_status",
        "grpc_health",
        "grpc_reflection",
        "google",
        "uvloop",
        "aiohttp",
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


SERVER_PARTS = ("binance_api", "core", "grpc_api", "market", "persistence", "process", "state", "wire")
LAYERS: dict[str, set[str]] = {
    "grpc_api": {"core", "persistence", "market", "wire"},
    "binance_api": {"core", "persistence", "market", "wire"},
    "core": {"state", "persistence", "market", "wire.errors", "wire.rejections"},
    "wire": {"state", "market", "wire"},
    "state": {"wire.errors"},
    "persistence": set(),
    "market": {"wire.errors"},
    "process": {"core", "grpc_api", "persistence", "market", "wire.errors"},
}
"""Which parts of the server each part may import (besides itself), as ``part`` or ``part.module``: one
direction, adapters -> core -> read models, persistence and market -> engine. An adapter reads the read
models only through the application (``core.application``, ``core.queries``); ``wire`` renders their
records; ``process`` runs the sequencer and the gateways as processes, each built from the gRPC
adapter's server and the core; ``wire.errors`` is the refusal every part may raise, and the core words an engine
rejection with its figures (``wire.rejections``) for every adapter alike; the core renders nothing: it
publishes values that each adapter renders in its own format."""
ADAPTER_ONLY = {
    "grpc_api": ("grpc", "grpc_status", "grpc_health", "grpc_reflection", "uvloop"),
    "binance_api": ("aiohttp",),
}
"""Libraries only one adapter imports (adapters never import each other either: see ``LAYERS``)."""
WIRE_FORMAT = ("paperex.v1", "google.protobuf", "google.rpc")
"""The generated API and protobuf: the adapter's and the wire's, nobody else's."""
LAYER_EXCEPTIONS: dict[str, set[str]] = {
    # The market script's commands are declared with the other host commands.
    "market/market_script.py": {"core.exchange_commands"},
}
"""Imports that break the layers today, by file (relative to ``server/``): each one is to go, none to come."""


def server_imports(path: Path) -> set[str]:
    """``imported_modules``, with ``from paperex.server.wire import render`` read as the module it imports
    (``paperex.server.wire.render``), so that the layers see which module of a part is used."""
    modules = imported_modules(path)
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and _server_part(node.module) in SERVER_PARTS:
            modules.discard(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _server_part(module: str) -> str | None:
    """``core.sequencer`` for ``paperex.server.core.sequencer``; None outside the server's parts."""
    prefix = "paperex.server."
    if not module.startswith(prefix) or module.split(".")[2] not in SERVER_PARTS:
        return None
    return module.removeprefix(prefix)


def layer_offenders(part: str, relative: str, modules: set[str]) -> list[str]:
    """The imports of ``server/<relative>`` (a module of ``part``) that its layer forbids.

    >>> layer_offenders("state", "state/x.py", {"paperex.server.core.exchange", "paperex.server.state.history"})
    ['state/x.py imports paperex.server.core.exchange']
    >>> layer_offenders("wire", "wire/x.py", {"grpc", "paperex.v1.common_pb2", "paperex.server.state.alerts"})
    ['wire/x.py imports grpc']
    """
    allowed_parts = {part} | LAYERS[part] | LAYER_EXCEPTIONS.get(relative, set())
    offenders = []
    for module in sorted(modules):
        inner = _server_part(module)
        if inner is not None:
            ok = allowed(inner, allowed_parts)
        elif owner := next((name for name, libraries in ADAPTER_ONLY.items() if allowed(module, set(libraries))), ""):
            ok = part == owner
        elif allowed(module, set(WIRE_FORMAT)):
            ok = part in ("grpc_api", "wire") or allowed(module, LAYER_EXCEPTIONS.get(relative, set()))
        else:
            ok = True
        if not ok:
            offenders.append(f"{relative} imports {module}")
    return offenders


@pytest.mark.parametrize("part", SERVER_PARTS)
def test_server_parts_import_only_downwards(part: str) -> None:
    server = PACKAGE_DIRS["paperex.server"]
    offenders = [
        offender
        for path in sorted((server / part).rglob("*.py"))
        for offender in layer_offenders(part, path.relative_to(server).as_posix(), server_imports(path))
    ]
    assert offenders == []


def test_every_server_module_is_in_a_part() -> None:
    """Only ``__init__`` and ``__main__`` (the command line, which wires the parts together) stay at the top."""
    server = PACKAGE_DIRS["paperex.server"]
    assert sorted(path.name for path in server.glob("*.py")) == ["__init__.py", "__main__.py"]
    assert sorted(path.name for path in server.iterdir() if path.is_dir() and path.name != "__pycache__") == sorted(
        SERVER_PARTS
    )


def test_each_layer_exception_is_still_needed() -> None:
    """An exception that no import uses any more is deleted, so the list only shrinks."""
    server = PACKAGE_DIRS["paperex.server"]
    unused = []
    for relative, exceptions in LAYER_EXCEPTIONS.items():
        part = relative.split("/")[0]
        modules = server_imports(server / relative)
        for exception in exceptions:
            used = any(
                allowed(_server_part(module) or module, {exception}) and not allowed(module, {f"paperex.server.{part}"})
                for module in modules
            )
            if not used:
                unused.append(f"{relative}: {exception}")
    assert unused == []


ADAPTERS = ("binance_api", "grpc_api")
"""The server's API surfaces: each maps its wire onto the application and nothing else."""
COMPOSITION_ROOTS = {"grpc_api/app.py"}
"""The module that builds the server (journal, sequencer, application) before its servicers run."""
ADAPTER_CORE = {
    "core.application",
    "core.queries",
    "core.exchange_commands",
    "core.admission",
    "core.streams",
    "core.credentials",
    "core.records",
    "core.faults",
}
"""What an adapter's servicers use of the core: the application, the host's commands, the admission
budgets they charge, the stream endings they report (a slow reader, a reset, an injected drop), how a
presented key is hashed and the records' names; never the sequencer or the exchange."""
ENGINE_VALUES = {
    "paperex.engine.commands",
    "paperex.engine.instruments",
    "paperex.engine.units",
    "paperex.engine.reasons",
    "paperex.engine.events",
    *(
        f"paperex.engine.orders.{name}"
        for name in ("Side", "OrderType", "TimeInForce", "TriggerBy", "OrderStatus", "PositionSide")
    ),
    "paperex.engine.orders.CONDITIONAL_TYPES",
    "paperex.engine.book.DepthLevel",
    "paperex.engine.orders.SelfTradePrevention",
    "paperex.engine.accounts.MarginMode",
    "paperex.engine.accounts.PositionMode",
    "paperex.engine.accounts.SymbolSettings",
    *(f"paperex.engine.risk.{name}" for name in ("AccountSummary", "PositionFigures", "OrderPreview")),
    "paperex.engine.collateral.AssetFigures",
    *(f"paperex.engine.collateral.{name}" for name in ("CollateralAsset", "DEFAULT_COLLATERAL", "parse_collateral")),
}
"""What an adapter may import of the engine: commands, the instrument and collateral tables (configuration
the server is built with), units, reasons, events (the streams' values name theirs), enums and the figures
the application answers with. The engine itself, its ``EngineState``, accounts, markets, books, live orders
and rules hold or change live state, which only the core touches."""
LIVE_STATE_ATTRIBUTES = {"exchange", "engine"}
"""Attributes that reach the live state: no adapter module reads them."""
RUNNING_PARTS = {"sequencer", "hub"}
"""The writer and the fan-out: a servicer reaches them only through the application."""


def engine_names(path: Path) -> set[str]:
    """What a module imports of the engine, by name: ``from paperex.engine.orders import Side`` is
    ``paperex.engine.orders.Side``, ``from paperex.engine import commands`` ``paperex.engine.commands``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if allowed(alias.name, {"paperex.engine"}))
        elif isinstance(node, ast.ImportFrom) and node.module and allowed(node.module, {"paperex.engine"}):
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def attributes_read(path: Path) -> set[str]:
    return {
        node.attr
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.Attribute)
    }


def adapter_offenders(relative: str, path: Path) -> list[str]:
    """What ``server/<relative>``, a module of an adapter, reaches that the application should hand it."""
    offenders = [
        f"{relative} imports {name}" for name in sorted(engine_names(path)) if not allowed(name, ENGINE_VALUES)
    ]
    read = attributes_read(path) & LIVE_STATE_ATTRIBUTES
    if relative not in COMPOSITION_ROOTS:
        inner = (_server_part(module) for module in sorted(server_imports(path)))
        offenders += [
            f"{relative} imports {module}"
            for module in inner
            if module is not None and module.split(".")[0] == "core" and not allowed(module, ADAPTER_CORE)
        ]
        read |= attributes_read(path) & RUNNING_PARTS
    return offenders + [f"{relative} reads .{name}" for name in sorted(read)]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_adapters_reach_the_state_only_through_the_application(adapter: str) -> None:
    """A servicer authenticates, parses, calls the application and renders: it imports no live engine
    object or read model, and reads no ``.exchange`` or ``.engine`` (nor, but for the module that builds
    the server, ``.sequencer`` or ``.hub``), so a second adapter finds every rule in the core."""
    server = PACKAGE_DIRS["paperex.server"]
    offenders = [
        offender
        for path in sorted((server / adapter).rglob("*.py"))
        for offender in adapter_offenders(path.relative_to(server).as_posix(), path)
    ]
    assert offenders == []


def test_the_adapter_checker_sees_a_servicer_reaching_into_the_state(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        "from paperex.engine.orders import Order, Side\n"
        "from paperex.server.core.exchange import Applied\n"
        "from paperex.server.core.queries import Book\n"
        "book = self.runtime.app.sequencer.exchange.engine\n"
    )
    assert adapter_offenders("grpc_api/services/x.py", sample) == [
        "grpc_api/services/x.py imports paperex.engine.orders.Order",
        "grpc_api/services/x.py imports core.exchange",
        "grpc_api/services/x.py reads .engine",
        "grpc_api/services/x.py reads .exchange",
        "grpc_api/services/x.py reads .sequencer",
    ]
    assert adapter_offenders("grpc_api/app.py", sample) == [
        "grpc_api/app.py imports paperex.engine.orders.Order",
        "grpc_api/app.py reads .engine",
        "grpc_api/app.py reads .exchange",
    ]


ENGINE_HOLDERS = {
    "core/exchange.py": "the writer: it holds the engine and applies each command to it",
    "core/sequencer.py": "the writer's recovery: a snapshot of journal format 1 is checked by the engine's hash",
    "core/state_hash.py": "the digest of the whole state, the engine's included, which snapshots record",
}
"""The server's only modules that read an ``.engine`` attribute. The results stage, the queries and the read
models see the engine only through its events, so a process that keeps the read models from the
committed event stream (without an engine) answers every query the same way."""


def test_only_the_writer_reads_the_engine() -> None:
    server = PACKAGE_DIRS["paperex.server"]
    readers = {
        path.relative_to(server).as_posix() for path in server.rglob("*.py") if "engine" in attributes_read(path)
    }
    assert sorted(readers) == sorted(ENGINE_HOLDERS)


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
    sample.write_text(
        "import time\nfrom paperex.server.grpc_api.app import serve\nfrom . import sibling\nimport engine.book\n"
    )
    assert imported_modules(sample) == {"time", "paperex.server.grpc_api.app", "engine.book"}
    assert not allowed("paperex.server.grpc_api.app", ALLOWED["paperex.client"]) and allowed(
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
