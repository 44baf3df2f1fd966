"""A real paperex server on a loopback port per test, and clients that talk to it over gRPC."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from paperex.server.binance_api.app import BinanceApi
from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.server.persistence.journal import Durability
from paperex.v1 import (
    account_pb2_grpc,
    admin_pb2,
    admin_pb2_grpc,
    common_pb2,
    market_data_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)

ADMIN_TOKEN = "admin_test_token"


@dataclass
class Client:
    """The four service stubs on one channel, with the caller's credential on every call."""

    channel: grpc.aio.Channel
    key: str
    secret: str = ""
    """The account's signing secret (the Binance-compatible API's)."""

    def __post_init__(self) -> None:
        self.market = market_data_pb2_grpc.MarketDataStub(self.channel)
        self.trading = trading_pb2_grpc.TradingStub(self.channel)
        self.account = account_pb2_grpc.AccountStub(self.channel)
        self.admin = admin_pb2_grpc.AdminStub(self.channel)

    @property
    def auth(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.key}")] if self.key else []


@dataclass
class Exchange:
    server: ExchangeServer
    address: str
    channel: grpc.aio.Channel
    admin: Client
    binance_url: str = ""
    """The Binance-compatible REST API's base URL, when ``serving(..., binance=True)`` started it."""

    async def open_account(self, name: str, deposit: str = "100000") -> Client:
        reply = await self.admin.admin.CreateAccount(
            admin_pb2.CreateAccountRequest(name=name, initial_deposit=deposit), metadata=self.admin.auth
        )
        return Client(self.channel, reply.api_key, reply.api_secret)

    async def set_mark(self, symbol: str, price: str) -> None:
        await self.admin.admin.SetMarkPrice(
            admin_pb2.SetMarkPriceRequest(symbol=symbol, price=price), metadata=self.admin.auth
        )


class ManualClock:
    """A wall clock (seconds since the epoch) that moves only when the test moves it: the venue limits'
    windows and bans without sleeping."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def wait(self, seconds: float) -> None:
        """A ``RetryPolicy.sleep``: the clock is at least ``seconds`` on at once (waits of concurrent
        callers overlap, as in real time)."""
        until = self.now + seconds
        await asyncio.sleep(0)  # let the other callers in
        self.now = max(self.now, until)


def config(path: Path, **overrides: object) -> ServerConfig:
    settings = ServerConfig(
        port=0, db=str(path / "journal.db"), admin_token=ADMIN_TOKEN, durability=Durability.BATCHED, grace_seconds=0.5
    )
    for name, value in overrides.items():
        setattr(settings, name, value)
    return settings


@asynccontextmanager
async def serving(
    path: Path, *, binance: bool = False, limits_clock: Callable[[], float] = time.time, **overrides: object
) -> AsyncIterator[Exchange]:
    """A server on ``config(path, **overrides)`` with the admin's client on one channel, and with
    ``binance`` the Binance-compatible REST API on a free port beside it; stopped after.
    ``limits_clock`` is the wall clock of its venue limits."""
    server = ExchangeServer(config(path, **overrides), limits_clock=limits_clock)
    port = await server.start()
    address = f"127.0.0.1:{port}"
    rest = BinanceApi(server.application) if binance else None
    url = f"http://127.0.0.1:{await rest.start('127.0.0.1', 0)}" if rest is not None else ""
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            yield Exchange(server, address, channel, Client(channel, ADMIN_TOKEN), url)
    finally:
        if rest is not None:
            await rest.stop()
    await server.stop()


@pytest.fixture
async def exchange(tmp_path: Path) -> AsyncIterator[Exchange]:
    async with serving(tmp_path) as running:
        yield running


@pytest.fixture
async def simulated(tmp_path: Path) -> AsyncIterator[Exchange]:
    """A server on a simulated clock (time moves only by Admin.AdvanceTime and Admin.Step), on its own
    journal: the ``exchange`` fixture may run beside it."""
    (tmp_path / "simulated").mkdir()
    async with serving(tmp_path / "simulated", clock="simulated") as running:
        yield running


def btc_order(side: int, quantity: str, price: str = "") -> trading_pb2.PlaceOrderRequest:
    """A BTCUSDT limit order at ``price``, or a market order without one."""
    kind = common_pb2.ORDER_TYPE_LIMIT if price else common_pb2.ORDER_TYPE_MARKET
    return trading_pb2.PlaceOrderRequest(symbol="BTCUSDT", side=side, order_type=kind, quantity=quantity, price=price)


def rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The google.rpc.Status a failed call carries in its trailers (grpc-status-details-bin)."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            assert status.code == error.code().value[0]
            return status
    raise AssertionError(f"no rich status on {error.code()}: {error.details()}")


def retry_info(error: grpc.aio.AioRpcError) -> error_details_pb2.RetryInfo | None:
    """The RetryInfo detail of a failed call, when it has one (rate limits)."""
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return info
    return None


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    """The ErrorInfo detail of a failed call (every refusal carries exactly one)."""
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError("no ErrorInfo in the status details")
