"""A real server with its Binance-compatible REST API on loopback, and ccxt pointed at it."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import ccxt.async_support as ccxt
import pytest

from tests.server.conftest import Client, Exchange, serving

collect_ignore = ["futures_connector_bot.py"]  # the connector's bot: it runs in a subprocess of its own

VERSIONED = {"fapiPublic": "v1", "fapiPublicV2": "v2", "fapiPublicV3": "v3", "fapiPrivate": "v1"}
VERSIONED |= {"fapiPrivateV2": "v2", "fapiPrivateV3": "v3"}


def binanceusdm(base_url: str, account: Client, kind: type[Any] = ccxt.binanceusdm) -> Any:
    """ccxt's own ``binanceusdm`` (or ccxt.pro's, ``kind``) as a bot author sets it up for paperex
    (docs/binance-api.md): the USDⓈ-M URLs of its sandbox replaced by ours, its WebSocket one too, sandbox
    mode on; and, as ccxt picks the venue's USDⓈ-M error codes by the host name, those codes for our
    loopback host too."""
    exchange = kind({"apiKey": account.key, "secret": account.secret})
    exchange.urls["test"] = {**exchange.urls["test"]} | {
        name: f"{base_url}/fapi/{version}" for name, version in VERSIONED.items()
    }
    exchange.urls["test"]["fapiData"] = f"{base_url}/futures/data"
    if "ws" in exchange.urls["test"]:
        websocket = base_url.replace("http://", "ws://", 1) + "/ws"
        exchange.urls["test"]["ws"] = {**exchange.urls["test"]["ws"], "linear": websocket}
    exchange.set_sandbox_mode(True)
    exchange.exceptions["exact"].update(exchange.exceptions["linear"]["exact"])
    return exchange


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for raw HTTP and WebSocket calls."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def venue(tmp_path: Path) -> AsyncIterator[Exchange]:
    """A server (wall clock) with the REST API; BTCUSDT's mark at 65,000."""
    async with serving(tmp_path, binance=True) as running:
        await running.set_mark("BTCUSDT", "65000")
        yield running
