"""A real paperex server in-process on a loopback port, and SDK clients connected to it."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from paperex.client.client import AsyncAdmin, AsyncClient
from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from tests.server.conftest import config

ADMIN_TOKEN = "sdk_test_admin_token"


@dataclass
class LiveExchange:
    """The server under test, its journal folder, an admin client, and the account clients opened."""

    path: Path
    overrides: dict[str, Any]
    server: ExchangeServer | None = None
    port: int = 0
    admin: AsyncAdmin | None = None
    clients: list[AsyncClient] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def config(self) -> ServerConfig:
        return config(self.path, port=self.port, admin_token=ADMIN_TOKEN, grace_seconds=0.2, **self.overrides)

    async def start(self) -> None:
        """Starts the server (again, on the same port and journal after ``stop``)."""
        self.server = ExchangeServer(self.config())
        self.port = await self.server.start()

    async def stop(self) -> None:
        assert self.server is not None
        await self.server.stop()
        self.server = None

    async def open_account(self, name: str, deposit: str = "100000", **options: Any) -> AsyncClient:
        assert self.admin is not None
        created = await self.admin.create_account(name, deposit)
        client = AsyncClient(self.target, api_key=created.api_key, **options)
        self.clients.append(client)
        return client


@pytest.fixture
def server_options() -> dict[str, Any]:
    """ServerConfig overrides; a test module overrides this fixture to configure its server."""
    return {}


@pytest.fixture
async def live(tmp_path: Path, server_options: dict[str, Any]) -> AsyncIterator[LiveExchange]:
    exchange = LiveExchange(tmp_path, server_options)
    await exchange.start()
    exchange.admin = AsyncAdmin(exchange.target, admin_token=ADMIN_TOKEN)
    yield exchange
    for client in exchange.clients:
        await client.close()
    await exchange.admin.close()
    if exchange.server is not None:
        await exchange.stop()


@pytest.fixture(autouse=True)
def no_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI and the bots read these; a developer's own exports must not reach the tests."""
    for variable in ("PAPEREX_API_KEY", "PAPEREX_ADMIN_TOKEN", "PAPEREX_TARGET"):
        monkeypatch.delenv(variable, raising=False)
