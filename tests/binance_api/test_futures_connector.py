"""binance-futures-connector's ``UMFutures`` and its user data WebSocket client, unmodified, trading on
paperex: a third client no one here wrote.

The connector and python-binance both install a top-level ``binance`` package, so the connector lives in
a folder of its own, installed by pip the first time (pytest's cache keeps it for the next runs), and
its bot (``futures_connector_bot.py``) runs in a subprocess with that folder first on its path.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from paperex.v1 import common_pb2
from tests.server.conftest import Client, Exchange, btc_order

CONNECTOR = "binance-futures-connector==4.2.0"
WEBSOCKET_CLIENT = "websocket-client==1.9.2"
"""The connector's one dependency that the test environment lacks (python-binance brings requests and
pycryptodome)."""
BOT = Path(__file__).with_name("futures_connector_bot.py")
STAGE_SECONDS = 60


@pytest.fixture(scope="session")
def connector_path(pytestconfig: pytest.Config) -> Path:
    """A folder holding the connector and its dependencies; a broken or half-done install is never kept
    (pip fills a scratch folder that is renamed into place when it succeeds)."""
    assert pytestconfig.cache is not None
    cache = pytestconfig.cache.mkdir("binance-futures-connector")
    folder = cache / "-".join(pin.replace("==", "-") for pin in (CONNECTOR, WEBSOCKET_CLIENT))
    if not folder.is_dir():
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            subprocess.run([*pip, "--no-deps", "--target", scratch, CONNECTOR, WEBSOCKET_CLIENT], check=True)
            with suppress(OSError):  # another run put it there first
                os.rename(scratch, folder)
    return folder


class Bot:
    """The connector bot's process: one JSON line of answers per stage, the next stage on a line in."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def stage(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), STAGE_SECONDS)
        except TimeoutError:
            self.process.kill()
            line = b""
        if not line:
            assert self.process.stderr is not None
            errors = await self.process.stderr.read()
            raise AssertionError(f"the bot stopped: {errors.decode(errors='replace')}")
        answers: dict[str, Any] = json.loads(line)
        return answers

    def go_on(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"\n")


@asynccontextmanager
async def connector_bot(venue: Exchange, account: Client, path: Path) -> AsyncIterator[Bot]:
    """The bot running against ``venue``'s REST API with ``account``'s key; it must end by itself."""
    environment = {**os.environ, "PYTHONPATH": str(path), "PAPEREX_KEY": account.key, "PAPEREX_SECRET": account.secret}
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(BOT), venue.binance_url, stdin=pipe, stdout=pipe, stderr=pipe, env=environment
    )
    try:
        yield Bot(process)
        assert await asyncio.wait_for(process.wait(), STAGE_SECONDS) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_futures_connector_bot_trades_with_a_stop_loss(venue: Exchange, connector_path: Path) -> None:
    """A gRPC maker offers 0.010 at 65,000 and bids 0.010 at 62,900. Alice's bot subscribes her listen key
    on the connector's WebSocket client, then at 10x buys 0.004 at market (notional 260, initial margin 26,
    taker fee 0.05% = 0.13: wallet 9,999.87, available 9,973.87). Its STOP_MARKET sent to the order
    endpoint is -4120 (a conditional type, as on the venue); through the algo endpoint it waits at 63,000
    on the mark. A buy of 0.002 at 60,000 is listed and canceled. The mark falls to 62,950: the stop sells
    0.004 at 62,900 (fee 0.1258, realized -8.4), as the user stream tells. Wallet: 10,000 - 0.13 - 8.4 -
    0.1258 = 9,991.3442, flat. 10 BTC at 60,000 needs 60,000 of margin at 10x: -2019."""
    maker = await venue.open_account("maker", "1000000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.010", "65000"), metadata=maker.auth)
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "62900"), metadata=maker.auth)
    alice = await venue.open_account("alice", "10000")
    async with connector_bot(venue, alice, connector_path) as bot:
        opened = await bot.stage()
        await venue.set_mark("BTCUSDT", "62950")
        bot.go_on()
        closed = await bot.stage()

    entry, stop, account = opened["entry"], opened["stop"], opened["account"]
    assert opened["subscribed"] == {"result": None, "id": 1}
    assert opened["leverage"]["leverage"] == 10
    assert (entry["status"], entry["avgPrice"], entry["executedQty"]) == ("FILLED", "65000.0", "0.004")
    assert opened["stop_refused"] == [400, -4120]
    assert (stop["algoStatus"], stop["orderType"], stop["triggerPrice"]) == ("NEW", "STOP_MARKET", "63000.0")
    assert [order["type"] for order in opened["listed"]] == ["LIMIT"]
    assert (opened["canceled"]["orderId"], opened["canceled"]["status"]) == (opened["listed"][0]["orderId"], "CANCELED")
    assert [(p["positionAmt"], p["entryPrice"], p["initialMargin"]) for p in opened["held"]] == [
        ("0.004", "65000.0", "26")
    ]
    assert (account["totalWalletBalance"], account["availableBalance"]) == ("9999.87", "9973.87")

    fill = closed["filled"]["o"]
    assert (fill["o"], fill["ot"], fill["S"], fill["L"], fill["n"], fill["rp"]) == (
        "MARKET", "STOP_MARKET", "SELL", "62900.0", "0.1258", "-8.4"
    )  # fmt: skip
    assert closed["after"] == []
    assert closed["entry"]["status"] == "FILLED"
    assert [(t["side"], t["price"], t["commission"], t["realizedPnl"]) for t in closed["trades"]] == [
        ("BUY", "65000.0", "0.13", "0"),
        ("SELL", "62900.0", "0.1258", "-8.4"),
    ]
    assert [(b["asset"], b["balance"]) for b in closed["balance"]] == [("USDT", "9991.3442")]
    assert closed["refused"] == [400, -2019, "Margin is insufficient."]
