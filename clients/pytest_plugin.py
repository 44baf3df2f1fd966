"""pytest fixtures for bot authors: a fresh paperex exchange per test, reached over real gRPC.

Installed with the package (entry point ``pytest11`` named ``paperex``: ``-p no:paperex`` turns it off), so a
bot's integration test is a few lines:

    @pytest.mark.paperex(scenario="flash-crash", seed=7)
    async def test_the_bot_survives_the_crash(paperex):
        bot = await paperex.account("bot", deposit="10000")   # a connected AsyncClient
        ...
        await paperex.advance(timedelta(minutes=30))         # simulated time, as fast as the CPU allows

Each test that asks for a ``paperex*`` fixture gets its own server process (simulated clock, the
chosen scenario and seed) on a free loopback port; it is stopped after the test. Options, from
weakest to strongest: ini keys ``paperex_scenario``, ``paperex_seed``, ``paperex_liquidity``,
``paperex_config``, ``paperex_startup_timeout``; the same as ``--paperex-...`` command-line options;
the ``paperex`` marker's keywords on the module, class or test. Nothing runs unless a test uses a
fixture, so the plugin costs other test suites nothing.

The async fixtures need pytest-asyncio (``pip install 'paperex[pytest]'``); in its strict mode, mark
the tests ``@pytest.mark.asyncio``.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported when a fixture runs: loading the plugin must not cost every pytest run grpc
    from paperex.client.client import AsyncAdmin
    from paperex.client.testing.harness import Paperex, PaperexAccount
    from paperex.client.testing.server_process import PaperexServer, ServerSettings

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the plugin loads in every pytest run of the environment
    pytest_asyncio = None  # type: ignore[assignment]

MARKER = "paperex"
OPTIONS: dict[str, tuple[str, str]] = {
    # setting: (help, ini default)
    "scenario": ("library scenario to run, e.g. flash-crash (default: none, prices move only when set)", ""),
    "seed": ("seed of the scenario's random parts", "0"),
    "liquidity": ("the built-in liquidity provider: on or off", "on"),
    "takers": ("the scenario's built-in taker flow: on or off", "on"),
    "config": ("instruments TOML for the server (relative to the rootdir)", ""),
    "startup_timeout": ("seconds to wait for the server to answer", "30"),
}
AccountFactory = Callable[..., Awaitable["PaperexAccount"]]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declares the ``--paperex-*`` options and their ini keys (so ``--help`` documents them)."""
    group = parser.getgroup("paperex", "paperex exchange for bot tests")
    for name, (text, default) in OPTIONS.items():
        group.addoption(
            f"--paperex-{name.replace('_', '-')}", dest=f"paperex_{name}", metavar=name.upper(), default=None, help=text
        )
        parser.addini(f"paperex_{name}", text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    """Registers the marker (suites run with --strict-markers)."""
    config.addinivalue_line(
        "markers",
        "paperex(scenario='', seed=0, liquidity=True, takers=True, config='', faults=None): "
        "how the test's paperex server starts (see paperex.client.pytest_plugin)",
    )


def server_settings(node: pytest.Item, config: pytest.Config) -> "ServerSettings":
    """The test's settings: markers (nearest wins) over command-line options over ini keys; ValueError
    names a mistake (an unknown keyword, a bad value)."""
    from paperex.client.testing.server_process import ServerSettings  # noqa: PLC0415 - see TYPE_CHECKING above

    values: dict[str, Any] = {name: config.getoption(f"paperex_{name}") for name in OPTIONS}
    values = {name: value if value is not None else config.getini(f"paperex_{name}") for name, value in values.items()}
    for marker in reversed(list(node.iter_markers(MARKER))):
        if len(marker.args) > 1 or (marker.args and "scenario" in marker.kwargs):
            raise ValueError("the paperex marker takes at most one positional argument, the scenario")
        unknown = set(marker.kwargs) - set(OPTIONS) - {"faults"}
        if unknown:
            known = sorted({*OPTIONS, "faults"})
            raise ValueError(f"unknown paperex marker keywords {sorted(unknown)}; known: {known}")
        values.update(marker.kwargs, **({"scenario": marker.args[0]} if marker.args else {}))
    config_path = Path(values["config"]) if values["config"] else None
    return ServerSettings(
        scenario=str(values["scenario"]),
        seed=int(values["seed"]),
        liquidity=_switch(values, "liquidity"),
        takers=_switch(values, "takers"),
        faults=values.get("faults") or "",
        config=config.rootpath / config_path if config_path is not None else None,
        startup_timeout=float(values["startup_timeout"]),
    )


def _switch(values: dict[str, Any], name: str) -> bool:
    """An on/off setting: a bool from a marker, "on" or "off" from an option or ini key."""
    value = values[name]
    if isinstance(value, str):
        if value not in ("on", "off"):
            raise ValueError(f"paperex {name} must be on or off, not {value!r}")
        return value == "on"
    return bool(value)


@pytest.fixture
def paperex_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator["PaperexServer"]:
    """The test's own server process (``target``, ``admin_token``, ``stop()``); its journal and log
    stay in pytest's temporary folder for a post-mortem."""
    from paperex.client.testing.server_process import PaperexServer, ServerStartError  # noqa: PLC0415

    try:
        settings = server_settings(request.node, request.config)
        server = PaperexServer.start(settings, tmp_path_factory.mktemp("paperex"))
    except (ValueError, ServerStartError) as error:  # the message says it all: no traceback, no chain
        raise pytest.fail.Exception(str(error), pytrace=False) from None
    try:
        yield server
    finally:
        server.stop()


def _missing_pytest_asyncio(function: Callable[..., Any]) -> Any:
    """Stands in for an async fixture when pytest-asyncio is absent: fails the test saying so."""

    @pytest.fixture(name=function.__name__)
    def fail() -> None:
        pytest.fail("paperex fixtures need pytest-asyncio: pip install 'paperex[pytest]'", pytrace=False)

    return fail


_async_fixture: Callable[[Callable[..., Any]], Any] = (
    pytest_asyncio.fixture if pytest_asyncio is not None else _missing_pytest_asyncio
)


@_async_fixture
async def paperex_admin(paperex_server: "PaperexServer") -> AsyncIterator["AsyncAdmin"]:
    """The operator's client of the test's exchange (accounts, money, prices, time, scenarios)."""
    from paperex.client.client import AsyncAdmin  # noqa: PLC0415

    async with AsyncAdmin(paperex_server.target, admin_token=paperex_server.admin_token) as admin:
        yield admin


@_async_fixture
async def paperex(paperex_server: "PaperexServer", paperex_admin: "AsyncAdmin") -> AsyncIterator["Paperex"]:
    """The test's exchange: ``account(name, deposit)``, ``advance(duration)``, ``step(n)``,
    ``set_index_price``, ``set_mark_price``, ``clock()``, ``load_scenario``, ``inject(...)`` and
    ``heal()`` (faults; the marker's ``faults=`` plan is injected for everyone at the start)."""
    from paperex.client.testing.harness import Paperex  # noqa: PLC0415

    exchange = Paperex(paperex_server.target, paperex_admin)
    if paperex_server.settings.faults:
        await exchange.inject(paperex_server.settings.faults)
    try:
        yield exchange
    finally:
        await exchange.close()


@pytest.fixture
def paperex_account(paperex: "Paperex") -> AccountFactory:
    """``await paperex_account("bot", deposit="10000")``: a connected client of a new funded account."""
    return paperex.account
