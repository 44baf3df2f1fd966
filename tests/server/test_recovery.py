"""Recovery over real gRPC: a restart (graceful or after a crash) rebuilds exactly what was acknowledged.

The promise (``docs/journal.md``): every accepted command is journaled before it is acknowledged, snapshots bound the
restart time, a restart replays to the identical state, and a crash at any point loses no acknowledged
order. The in-process tests run a seeded random flow, record everything a client can observe plus the
engine's state hash, restart, and compare. The subprocess tests kill the server with SIGKILL (or stop
it with SIGTERM) in the middle of a burst of orders and check what the restarted server holds.
"""

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2

from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.server.persistence.journal import Durability
from paperex.v1 import account_pb2, admin_pb2, common_pb2, market_data_pb2, trading_pb2
from tests.server.conftest import ADMIN_TOKEN, Client, config, error_info, rich_status

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ("BTCUSDT", "ETHUSDT")
TICK = {"BTCUSDT": Decimal("0.1"), "ETHUSDT": Decimal("0.01")}
LOT = Decimal("0.001")
START_MARK = {"BTCUSDT": Decimal("64900"), "ETHUSDT": Decimal("1860")}
DEADLINE = 30.0
"""Seconds any wait in this file may take before the test fails (never reached when things work)."""

REFUSALS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
}
"""Business refusals a random flow provokes; anything else (INTERNAL, UNAVAILABLE, ...) fails the test."""

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------- helpers


def price_text(symbol: str, value: Decimal) -> str:
    return str(value.quantize(TICK[symbol]))


def qty_text(lots: int) -> str:
    return str(lots * LOT)


def limit(symbol: str, side: common_pb2.Side, quantity: str, price: str, **extra: Any) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=symbol, side=side, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity=quantity, price=price, **extra
    )


async def within(awaitable: Awaitable[T], seconds: float = DEADLINE) -> T:
    return await asyncio.wait_for(awaitable, seconds)


@dataclass
class Trader:
    name: str
    account_id: int
    key: str


def serve_command(db: Path, *options: str) -> list[str]:
    """``python -m paperex.server serve`` on ``db``, a free port and the tests' admin token."""
    command = [sys.executable, "-m", "paperex.server", "serve", "--port", "0", "--db", str(db)]
    return [*command, "--admin-token", ADMIN_TOKEN, *options]


def server_env() -> dict[str, str]:
    """The environment of a server subprocess: the checkout's tests importable beside the installed paperex."""
    return {**os.environ, "PYTHONPATH": str(REPO)}


@dataclass
class Running:
    """One in-process server and an admin client on a channel to it."""

    server: ExchangeServer
    channel: grpc.aio.Channel
    admin: Client

    def client(self, trader: Trader) -> Client:
        return Client(self.channel, trader.key)

    async def stop(self) -> None:
        await self.channel.close()
        await self.server.stop()

    @property
    def sequence(self) -> int:
        assert self.server.sequencer is not None
        return self.server.sequencer.exchange.sequence

    @property
    def state_hash(self) -> str:
        assert self.server.sequencer is not None
        return self.server.sequencer.exchange.state_hash()


async def start(settings: ServerConfig) -> Running:
    server = ExchangeServer(settings)
    port = await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return Running(server, channel, Client(channel, ADMIN_TOKEN))


async def open_trader(admin: Client, name: str, deposit: str) -> Trader:
    reply = await admin.admin.CreateAccount(
        admin_pb2.CreateAccountRequest(name=name, initial_deposit=deposit), metadata=admin.auth
    )
    return Trader(name, reply.account_id, reply.api_key)


async def set_mark(admin: Client, symbol: str, price: str) -> None:
    await admin.admin.SetMarkPrice(admin_pb2.SetMarkPriceRequest(symbol=symbol, price=price), metadata=admin.auth)


def snapshot_sequences(db: Path) -> list[int]:
    """Sequence numbers of the snapshots stored in a journal file (read beside the server, WAL allows it)."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return [row[0] for row in connection.execute("SELECT seq FROM snapshots ORDER BY seq")]


def journaled_commands(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM commands").fetchone()[0])


def crash_image(db: Path, image: Path) -> None:
    """What a crash right now would leave on disk: a consistent copy of everything committed to the
    journal file (SQLite's online backup), taken while the server runs and before it writes the
    snapshot a graceful stop adds."""
    with contextlib.closing(sqlite3.connect(db)) as source, contextlib.closing(sqlite3.connect(image)) as target:
        source.backup(target)


# ---------------------------------------------------------------------------------------------- the flow


@dataclass
class Flow:
    """A seeded random sequence of calls from several accounts, with a scripted liquidation in the middle."""

    running: Running
    rng: random.Random
    traders: dict[str, Trader] = field(default_factory=dict)
    marks: dict[str, Decimal] = field(default_factory=lambda: dict(START_MARK))
    placed: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    """Per trader: (symbol, order_id, client_order_id) of every accepted order, for amends and cancels."""
    outcomes: Counter[str] = field(default_factory=Counter)
    step_number: int = 0

    @property
    def admin(self) -> Client:
        return self.running.admin

    def client(self, name: str) -> Client:
        return self.running.client(self.traders[name])

    async def call(self, kind: str, rpc: Callable[..., Awaitable[T]], request: Any, auth: Any) -> T | None:
        """One call; a business refusal is counted and returns None, any other failure fails the test."""
        try:
            reply = await rpc(request, metadata=auth)
        except grpc.aio.AioRpcError as error:
            assert error.code() in REFUSALS, f"{kind}: {error.code()} {error.details()}"
            self.outcomes[f"{kind} refused {error_info(error).reason}"] += 1
            return None
        self.outcomes[f"{kind} ok"] += 1
        return reply

    async def place(self, name: str, request: trading_pb2.PlaceOrderRequest) -> trading_pb2.PlaceOrderResponse | None:
        client = self.client(name)
        reply = await self.call("place", client.trading.PlaceOrder, request, client.auth)
        if reply is not None:
            order = reply.order
            self.placed.setdefault(name, []).append((order.symbol, order.order_id, order.client_order_id))
        return reply

    async def mark(self, symbol: str, price: Decimal) -> None:
        self.marks[symbol] = price
        await set_mark(self.admin, symbol, price_text(symbol, price))

    async def prologue(self) -> None:
        """Accounts, a two-sided book from a market maker, an isolated ETH position with margin moved in
        and out, a leveraged long that the crash will liquidate, and one amend and one cancel."""
        for symbol, price in START_MARK.items():
            await self.mark(symbol, price)
        for name, deposit in (
            ("mm", "5000000"),
            ("t1", "50000"),
            ("t2", "50000"),
            ("t3", "20000"),
            ("iso", "30000"),
            ("victim", "1000"),
        ):
            self.traders[name] = await open_trader(self.admin, name, deposit)
        t2, iso = self.client("t2"), self.client("iso")
        assert await self.call(
            "leverage", t2.account.SetLeverage, account_pb2.SetLeverageRequest(symbol="BTCUSDT", leverage=10), t2.auth
        )
        mode = account_pb2.SetMarginModeRequest(symbol="ETHUSDT", margin_mode=common_pb2.MARGIN_MODE_ISOLATED)
        assert await self.call("margin mode", iso.account.SetMarginMode, mode, iso.auth)
        assert await self.call(
            "leverage", iso.account.SetLeverage, account_pb2.SetLeverageRequest(symbol="ETHUSDT", leverage=10), iso.auth
        )
        for level in range(1, 6):
            for symbol, step, quantity in (("BTCUSDT", Decimal(100), "0.300"), ("ETHUSDT", Decimal(2), "5.000")):
                mark = START_MARK[symbol]
                bid = limit(symbol, common_pb2.SIDE_BUY, quantity, price_text(symbol, mark - step * level))
                ask = limit(symbol, common_pb2.SIDE_SELL, quantity, price_text(symbol, mark + step * level))
                assert await self.place("mm", bid)
                assert await self.place("mm", ask)
        market_buy = trading_pb2.PlaceOrderRequest(
            side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, client_order_id="entry"
        )
        # victim: 0.2 BTC at the best ask 65,000 (notional 13,000, IM 650 at 20x, fee 6.5 -> wallet 993.5)
        market_buy.symbol, market_buy.quantity = "BTCUSDT", "0.200"
        assert await self.place("victim", market_buy)
        market_buy.symbol, market_buy.quantity = "ETHUSDT", "2.000"
        assert await self.place("iso", market_buy)
        for adjustment, amount in (
            (account_pb2.MARGIN_ADJUSTMENT_ADD, "50"),
            (account_pb2.MARGIN_ADJUSTMENT_REMOVE, "20"),
        ):
            request = account_pb2.AdjustIsolatedMarginRequest(symbol="ETHUSDT", adjustment=adjustment, amount=amount)
            assert await self.call("adjust margin", iso.account.AdjustIsolatedMargin, request, iso.auth)
        stop = trading_pb2.PlaceOrderRequest(
            symbol="ETHUSDT",
            side=common_pb2.SIDE_SELL,
            order_type=common_pb2.ORDER_TYPE_STOP_MARKET,
            stop_price="1800.00",
            close_position=True,
            client_order_id="iso-stop",
        )
        assert await self.place("iso", stop)
        t1 = self.client("t1")
        resting = await self.place(
            "t1", limit("BTCUSDT", common_pb2.SIDE_BUY, "0.010", "64000.0", client_order_id="r1")
        )
        assert resting
        amend = trading_pb2.AmendOrderRequest(symbol="BTCUSDT", client_order_id="r1", price="64100.0", quantity="0.020")
        assert await self.call("amend", t1.trading.AmendOrder, amend, t1.auth)
        cancel = trading_pb2.CancelOrderRequest(symbol="BTCUSDT", order_id=resting.order.order_id)
        assert await self.call("cancel", t1.trading.CancelOrder, cancel, t1.auth)

    async def crash(self) -> None:
        """BTC mark to 60,000: the victim's margin balance 993.5 + 0.2 x (60,000 - 65,000) = -6.5 is below
        its maintenance 0.2 x 60,000 x 0.4% = 48, so it is liquidated (and maybe others with it)."""
        await self.mark("BTCUSDT", Decimal(60000))

    async def random_steps(self, count: int) -> None:
        operations: list[tuple[Callable[[str], Awaitable[None]], int]] = [
            (self.random_limit, 30),
            (self.random_market, 8),
            (self.random_conditional, 8),
            (self.random_amend, 8),
            (self.random_cancel, 6),
            (self.random_cancel_all, 1),
            (self.random_leverage, 3),
            (self.random_margin_mode, 2),
            (self.random_adjust_margin, 3),
            (self.random_mark, 8),
            (self.random_money, 3),
        ]
        actions = [action for action, _ in operations]
        weights = [weight for _, weight in operations]
        names = ["mm", "t1", "t2", "t3", "iso"]
        for _ in range(count):
            self.step_number += 1
            (action,) = self.rng.choices(actions, weights)
            await action(self.rng.choice(names))

    def symbol(self) -> str:
        return self.rng.choice(SYMBOLS)

    def lots(self, symbol: str) -> int:
        # BTC 0.002-0.030 (>= 100 USDT notional near 60,000), ETH 0.020-0.500 (>= 20 USDT near 1,800)
        return self.rng.randint(2, 30) if symbol == "BTCUSDT" else self.rng.randint(20, 500)

    def near_mark(self, symbol: str, spread: float) -> Decimal:
        return self.marks[symbol] * (1 + Decimal(str(round(self.rng.uniform(-spread, spread), 5))))

    async def random_limit(self, name: str) -> None:
        symbol = self.symbol()
        side = self.rng.choice((common_pb2.SIDE_BUY, common_pb2.SIDE_SELL))
        tif = self.rng.choices(
            (
                common_pb2.TIME_IN_FORCE_GTC,
                common_pb2.TIME_IN_FORCE_IOC,
                common_pb2.TIME_IN_FORCE_FOK,
                common_pb2.TIME_IN_FORCE_GTX,
                common_pb2.TIME_IN_FORCE_GTD,
            ),
            (10, 2, 1, 2, 1),
        )[0]
        request = limit(symbol, side, qty_text(self.lots(symbol)), price_text(symbol, self.near_mark(symbol, 0.02)))
        request.time_in_force = tif
        if tif == common_pb2.TIME_IN_FORCE_GTD:
            request.expire_time.FromNanoseconds(time.time_ns() + 3600 * 10**9)
        if self.rng.random() < 0.5:
            request.client_order_id = f"s{self.step_number}"
        if self.rng.random() < 0.1:
            request.reduce_only = True
        await self.place(name, request)

    async def random_market(self, name: str) -> None:
        symbol = self.symbol()
        request = trading_pb2.PlaceOrderRequest(
            symbol=symbol,
            side=self.rng.choice((common_pb2.SIDE_BUY, common_pb2.SIDE_SELL)),
            order_type=common_pb2.ORDER_TYPE_MARKET,
            quantity=qty_text(self.lots(symbol)),
            reduce_only=self.rng.random() < 0.2,
        )
        await self.place(name, request)

    async def random_conditional(self, name: str) -> None:
        symbol = self.symbol()
        side = self.rng.choice((common_pb2.SIDE_BUY, common_pb2.SIDE_SELL))
        order_type = self.rng.choice(
            (
                common_pb2.ORDER_TYPE_STOP_MARKET,
                common_pb2.ORDER_TYPE_STOP_LIMIT,
                common_pb2.ORDER_TYPE_TAKE_PROFIT_MARKET,
                common_pb2.ORDER_TYPE_TAKE_PROFIT_LIMIT,
                common_pb2.ORDER_TYPE_TRAILING_STOP_MARKET,
            )
        )
        request = trading_pb2.PlaceOrderRequest(
            symbol=symbol,
            side=side,
            order_type=order_type,
            quantity=qty_text(self.lots(symbol)),
            trigger_by=self.rng.choice((common_pb2.TRIGGER_BY_MARK, common_pb2.TRIGGER_BY_LAST)),
            client_order_id=f"c{self.step_number}",
        )
        if order_type == common_pb2.ORDER_TYPE_TRAILING_STOP_MARKET:
            request.callback_bps = self.rng.randint(20, 300)
        else:
            # stops sit beyond the mark against the position, take-profits on the near side
            direction = 1 if side == common_pb2.SIDE_BUY else -1
            if order_type in (common_pb2.ORDER_TYPE_TAKE_PROFIT_MARKET, common_pb2.ORDER_TYPE_TAKE_PROFIT_LIMIT):
                direction = -direction
            offset = Decimal(str(round(self.rng.uniform(0.001, 0.01), 5)))
            stop = self.marks[symbol] * (1 + direction * offset)
            request.stop_price = price_text(symbol, stop)
            if order_type in (common_pb2.ORDER_TYPE_STOP_LIMIT, common_pb2.ORDER_TYPE_TAKE_PROFIT_LIMIT):
                request.price = price_text(symbol, stop * (1 + direction * Decimal("0.002")))
        await self.place(name, request)

    def known_order(self, name: str) -> tuple[str, int, str] | None:
        placed = self.placed.get(name)
        return self.rng.choice(placed[-12:]) if placed else None

    async def random_amend(self, name: str) -> None:
        known = self.known_order(name)
        if known is None:
            return
        symbol, order_id, _ = known
        request = trading_pb2.AmendOrderRequest(symbol=symbol, order_id=order_id)
        if self.rng.random() < 0.6:
            request.quantity = qty_text(self.lots(symbol))
        if self.rng.random() < 0.6 or not request.quantity:
            request.price = price_text(symbol, self.near_mark(symbol, 0.02))
        client = self.client(name)
        await self.call("amend", client.trading.AmendOrder, request, client.auth)

    async def random_cancel(self, name: str) -> None:
        known = self.known_order(name)
        if known is None:
            return
        symbol, order_id, client_order_id = known
        request = trading_pb2.CancelOrderRequest(symbol=symbol)
        if client_order_id and self.rng.random() < 0.5:
            request.client_order_id = client_order_id
        else:
            request.order_id = order_id
        client = self.client(name)
        await self.call("cancel", client.trading.CancelOrder, request, client.auth)

    async def random_cancel_all(self, name: str) -> None:
        client = self.client(name)
        request = trading_pb2.CancelAllOrdersRequest(symbol=self.symbol())
        await self.call("cancel all", client.trading.CancelAllOrders, request, client.auth)

    async def random_leverage(self, name: str) -> None:
        client = self.client(name)
        request = account_pb2.SetLeverageRequest(symbol=self.symbol(), leverage=self.rng.choice((5, 10, 20, 25, 50)))
        await self.call("leverage", client.account.SetLeverage, request, client.auth)

    async def random_margin_mode(self, name: str) -> None:
        client = self.client(name)
        mode = self.rng.choice((common_pb2.MARGIN_MODE_CROSS, common_pb2.MARGIN_MODE_ISOLATED))
        request = account_pb2.SetMarginModeRequest(symbol=self.symbol(), margin_mode=mode)
        await self.call("margin mode", client.account.SetMarginMode, request, client.auth)

    async def random_adjust_margin(self, name: str) -> None:
        client = self.client(name)
        adjustment = self.rng.choice((account_pb2.MARGIN_ADJUSTMENT_ADD, account_pb2.MARGIN_ADJUSTMENT_REMOVE))
        request = account_pb2.AdjustIsolatedMarginRequest(
            symbol="ETHUSDT" if name == "iso" else self.symbol(),
            adjustment=adjustment,
            amount=str(self.rng.randint(1, 40)),
        )
        await self.call("adjust margin", client.account.AdjustIsolatedMargin, request, client.auth)

    async def random_mark(self, name: str) -> None:
        symbol = self.symbol()
        await self.mark(symbol, self.near_mark(symbol, 0.004))

    async def random_money(self, name: str) -> None:
        trader = self.traders[name]
        amount = str(self.rng.randint(1, 500))
        if self.rng.random() < 0.6:
            request: Any = admin_pb2.DepositRequest(account_id=trader.account_id, amount=amount)
            await self.call("deposit", self.admin.admin.Deposit, request, self.admin.auth)
        else:
            request = admin_pb2.WithdrawRequest(account_id=trader.account_id, amount=amount)
            await self.call("withdraw", self.admin.admin.Withdraw, request, self.admin.auth)


async def run_flow(running: Running, seed: int, steps: int, mid_flow: Callable[[], Awaitable[None]] | None) -> Flow:
    flow = Flow(running, random.Random(seed))
    await flow.prologue()
    await flow.random_steps(steps // 2)
    if mid_flow is not None:
        await mid_flow()
    await flow.crash()
    await flow.random_steps(steps - steps // 2)
    accepted = sum(count for outcome, count in flow.outcomes.items() if outcome.endswith(" ok"))
    # the flow is worth replaying only if most of it did something
    assert accepted > flow.outcomes.total() // 2, flow.outcomes
    return flow


# ---------------------------------------------------------------------------------------------- observing


async def all_pages(fetch: Callable[[str], Awaitable[Any]], items: str) -> list[Any]:
    """Every item of a paged list, following next_page_token to the end."""
    collected: list[Any] = []
    token = ""
    for _ in range(10_000):
        page = await fetch(token)
        collected.extend(getattr(page, items))
        token = page.next_page_token
        if not token:
            return collected
    raise AssertionError("paging never ended")


async def all_orders(client: Client, page_size: int) -> list[common_pb2.Order]:
    async def fetch(token: str) -> trading_pb2.ListOrdersResponse:
        request = trading_pb2.ListOrdersRequest(page_size=page_size, page_token=token)
        return await client.trading.ListOrders(request, metadata=client.auth)

    return await all_pages(fetch, "orders")


async def all_fills(client: Client, page_size: int) -> list[common_pb2.Fill]:
    async def fetch(token: str) -> trading_pb2.ListTradesResponse:
        request = trading_pb2.ListTradesRequest(page_size=page_size, page_token=token)
        return await client.trading.ListTrades(request, metadata=client.auth)

    return await all_pages(fetch, "fills")


async def event_log(client: Client, last: account_pb2.EventCursor) -> list[account_pb2.UserEvent]:
    """The account's retained user events from the beginning up to ``last`` (its GetAccount cursor)."""
    if (last.sequence, last.index) == (0, 0):
        return []
    call = client.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=account_pb2.EventCursor()), metadata=client.auth
    )
    events: list[account_pb2.UserEvent] = []

    async def read() -> None:
        async for reply in call:
            events.append(reply.event)
            if reply.event.cursor == last:
                return

    try:
        await within(read())
    finally:
        call.cancel()
    return events


async def observe(running: Running, traders: list[Trader]) -> dict[str, Any]:
    """Everything a client can see: each account's figures, orders, fills, positions and retained
    events, the books, tickers, candles, the admin account list and the insurance fund."""
    admin = running.admin
    seen: dict[str, Any] = {}

    async def accounts_page(token: str) -> admin_pb2.ListAccountsResponse:
        request = admin_pb2.ListAccountsRequest(page_size=2, page_token=token)
        return await admin.admin.ListAccounts(request, metadata=admin.auth)

    seen["accounts"] = await all_pages(accounts_page, "accounts")
    for trader in traders:
        client = running.client(trader)
        auth = client.auth
        account = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=auth)).account
        seen[f"{trader.name}/account"] = account
        seen[f"{trader.name}/open orders"] = (
            await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=auth)
        ).orders
        seen[f"{trader.name}/orders"] = await all_orders(client, page_size=7)
        seen[f"{trader.name}/trades"] = await all_fills(client, page_size=7)
        seen[f"{trader.name}/positions"] = (
            await client.account.ListPositions(account_pb2.ListPositionsRequest(), metadata=auth)
        ).positions
        seen[f"{trader.name}/events"] = await event_log(client, account.cursor)
    for symbol in SYMBOLS:
        market = admin.market
        seen[f"{symbol}/book"] = await market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol=symbol))
        seen[f"{symbol}/ticker"] = await market.GetTicker(market_data_pb2.GetTickerRequest(symbol=symbol))
        seen[f"{symbol}/candles"] = await market.GetCandles(
            market_data_pb2.GetCandlesRequest(symbol=symbol, interval=market_data_pb2.CANDLE_INTERVAL_1M)
        )
    seen["insurance fund"] = await admin.admin.GetInsuranceFund(
        admin_pb2.GetInsuranceFundRequest(), metadata=admin.auth
    )
    return seen


def plain(value: Any) -> Any:
    """Messages (and lists of them) as plain dicts, defaults included, so a diff names every field."""
    if hasattr(value, "DESCRIPTOR"):
        return json_format.MessageToDict(
            value, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    return [plain(item) for item in value]


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(before.keys() | after.keys()):
            if key not in before or key not in after:
                found.append(f"{path}.{key}: only {'after' if key not in before else 'before'}")
            else:
                found += differences(before[key], after[key], f"{path}.{key}")
        return found
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} items before, {len(after)} after"]
        return [
            line
            for index, pair in enumerate(zip(before, after, strict=True))
            for line in differences(*pair, f"{path}[{index}]")
        ]
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    assert before.keys() == after.keys()
    return [line for key in before for line in differences(plain(before[key]), plain(after[key]), key)]


# ---------------------------------------------------------------------------------------------- 1. restarts

VARIANTS = ("graceful stop", "admin snapshot then tail", "journal only", "automatic snapshots")


@pytest.mark.parametrize("variant", VARIANTS)
async def test_a_restart_shows_exactly_what_was_there(tmp_path: Path, variant: str) -> None:
    """Every observable figure, the engine's state hash and the sequence survive a restart, whether the
    restart loads the graceful stop's snapshot, a mid-flow Admin.Snapshot plus the journal tail after it,
    the whole journal with no snapshot at all, or the newest automatic snapshot (every 10 commands)."""
    db = tmp_path / "journal.db"
    settings = config(tmp_path, snapshot_every=10) if variant == "automatic snapshots" else config(tmp_path)
    running = await start(settings)
    taken: list[admin_pb2.SnapshotResponse] = []

    async def admin_snapshot() -> None:
        taken.append(await running.admin.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=running.admin.auth))
        assert (taken[0].sequence, taken[0].state_hash) == (running.sequence, running.state_hash)

    try:
        flow = await run_flow(running, seed=7, steps=160, mid_flow=admin_snapshot if "admin" in variant else None)
        traders = list(flow.traders.values())
        if variant == "automatic snapshots":  # made in the background: let the last one land, then ask for one more
            assert running.server.checkpointer is not None
            await running.server.checkpointer.wait()
            for _ in range(10):
                deposit = admin_pb2.DepositRequest(account_id=flow.traders["mm"].account_id, amount="1")
                await running.admin.admin.Deposit(deposit, metadata=running.admin.auth)
            await running.server.checkpointer.wait()
        restart_db = db if variant == "graceful stop" else tmp_path / "crash-image.db"
        for _ in range(2):
            before = await observe(running, traders)
            sequence, state_hash = running.sequence, running.state_hash
            if restart_db == db:
                break
            crash_image(db, restart_db)
            if variant != "automatic snapshots" or snapshot_sequences(restart_db)[-1] < sequence:
                break
            # the last command landed on an automatic snapshot: one more leaves recovery a tail to replay
            deposit = admin_pb2.DepositRequest(account_id=flow.traders["mm"].account_id, amount="1")
            await running.admin.admin.Deposit(deposit, metadata=running.admin.auth)
    finally:
        await running.stop()

    # what recovery has to work with
    assert journaled_commands(restart_db) == sequence
    if variant == "graceful stop":
        assert snapshot_sequences(restart_db)[-1] == sequence  # the stop's own snapshot: nothing to replay
    elif variant == "admin snapshot then tail":
        assert snapshot_sequences(restart_db) == [taken[0].sequence]
        assert 0 < taken[0].sequence < sequence
    elif variant == "journal only":
        assert snapshot_sequences(restart_db) == []
    else:
        kept = snapshot_sequences(restart_db)
        assert len(kept) == 2  # automatic snapshots happened (two are kept)
        assert sequence - 10 <= kept[-1] < sequence

    # the flow did what it is meant to exercise
    assert any(order.is_liquidation for order in before["victim/orders"])
    assert [p.symbol for p in before["victim/positions"]] == []
    assert any(
        p.symbol == "ETHUSDT" and p.margin_mode == common_pb2.MARGIN_MODE_ISOLATED for p in before["iso/positions"]
    )

    restarted = await start(config(tmp_path, db=str(restart_db)))
    try:
        assert (restarted.sequence, restarted.state_hash) == (sequence, state_hash)
        assert restarted.server.sequencer is not None
        restarted.server.sequencer.exchange.engine.check_invariants()
        after = await observe(restarted, traders)
    finally:
        await restarted.stop()
    assert compare(before, after) == []


async def test_durability_off_still_recovers_after_a_clean_stop(tmp_path: Path) -> None:
    """Without fsync the journal still reaches the OS on every batch, and a clean stop snapshots: the
    restart shows the same state."""
    running = await start(config(tmp_path, durability=Durability.OFF))
    try:
        flow = await run_flow(running, seed=11, steps=80, mid_flow=None)
        traders = list(flow.traders.values())
        before = await observe(running, traders)
        sequence, state_hash = running.sequence, running.state_hash
    finally:
        await running.stop()
    assert journaled_commands(tmp_path / "journal.db") == sequence
    restarted = await start(config(tmp_path, durability=Durability.OFF))
    try:
        assert (restarted.sequence, restarted.state_hash) == (sequence, state_hash)
        after = await observe(restarted, traders)
    finally:
        await restarted.stop()
    assert compare(before, after) == []


# ---------------------------------------------------------------------------------------------- subprocesses


class ServerProcess:
    """``python -m paperex.server serve`` on a free port, its log in a file beside the journal."""

    def __init__(self, db: Path, durability: str) -> None:
        self.db = db
        self.durability = durability
        self.log = db.with_suffix(".log")
        self.process: asyncio.subprocess.Process | None = None
        self.address = ""

    async def start(self) -> str:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *serve_command(self.db, "--durability", self.durability),
                cwd=REPO,
                env=server_env(),
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        assert self.process.stdout is not None
        deadline = time.monotonic() + DEADLINE
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no 'listening' line; log:\n{self.log.read_text()}"
            line = await asyncio.wait_for(self.process.stdout.readline(), remaining)
            assert line, f"the server exited ({await self.process.wait()}); log:\n{self.log.read_text()}"
            if line.startswith(b"paperex listening on "):
                self.address = line.split()[3].decode()
                return self.address

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        assert self.process is not None
        await within(self.process.wait())

    async def terminate(self) -> int:
        """SIGTERM and the exit code (the deadline fails the test if shutdown hangs)."""
        os.kill(self.pid, signal.SIGTERM)
        assert self.process is not None
        return await within(self.process.wait(), 20)

    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[ServerProcess]]]:
    """Start server subprocesses on one journal; any still running at the end is killed (by its pid)."""
    started: list[ServerProcess] = []

    async def start_one(durability: str) -> ServerProcess:
        process = ServerProcess(tmp_path / "journal.db", durability)
        started.append(process)
        await process.start()
        return process

    yield start_one
    for process in started:
        if process.running():
            await process.kill()


@dataclass
class Burst:
    """Resting limit orders sent from concurrent tasks; what was acknowledged and what got no answer."""

    acked: dict[str, common_pb2.Order] = field(default_factory=dict)
    unanswered: dict[str, tuple[int, trading_pb2.PlaceOrderRequest, grpc.StatusCode]] = field(default_factory=dict)
    """client_order_id -> (trader index, request, status) of calls that failed."""
    requests: dict[str, tuple[int, trading_pb2.PlaceOrderRequest]] = field(default_factory=dict)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    target: int = 0


def burst_requests(index: int, symbol: str, count: int) -> list[trading_pb2.PlaceOrderRequest]:
    """Alternating buys below and sells above the mark (BTC 64,900, ETH 1,860), so nothing ever fills.

    BTC buys 64,000 down to 63,510 and sells 65,800 up to 66,290; ETH buys 1,840 down to 1,815.5 and
    sells 1,880 up to 1,904.5: all inside the 5% band. Quantities keep every notional above the minimum.
    """
    requests = []
    for number in range(count):
        step = Decimal(number % 50)
        lots = 2 + number % 5 if symbol == "BTCUSDT" else 20 + 10 * (number % 5)
        if symbol == "BTCUSDT":
            buy, sell = Decimal(64000) - 10 * step, Decimal(65800) + 10 * step
        else:
            buy, sell = Decimal(1840) - step / 2, Decimal(1880) + step / 2
        side, price = (common_pb2.SIDE_BUY, buy) if number % 2 == 0 else (common_pb2.SIDE_SELL, sell)
        client_order_id = f"b{index}-{symbol[:3]}-{number}"
        requests.append(limit(symbol, side, qty_text(lots), price_text(symbol, price), client_order_id=client_order_id))
    return requests


async def place_until_failure(
    burst: Burst, index: int, client: Client, requests: list[trading_pb2.PlaceOrderRequest]
) -> None:
    for request in requests:
        burst.requests[request.client_order_id] = (index, request)
        try:
            reply = await client.trading.PlaceOrder(request, metadata=client.auth, timeout=DEADLINE)
        except grpc.aio.AioRpcError as error:
            burst.unanswered[request.client_order_id] = (index, request, error.code())
            return
        burst.acked[request.client_order_id] = reply.order
        if len(burst.acked) >= burst.target:
            burst.reached.set()


async def prepare_accounts(address: str, count: int) -> list[str]:
    """Marks and ``count`` funded accounts (1,000,000 USDT each); returns their API keys."""
    async with grpc.aio.insecure_channel(address) as channel:
        admin = Client(channel, ADMIN_TOKEN)
        for symbol, price in START_MARK.items():
            await set_mark(admin, symbol, price_text(symbol, price))
        return [(await open_trader(admin, f"burst{index}", "1000000")).key for index in range(count)]


async def start_burst(
    channel: grpc.aio.Channel, keys: list[str], target: int
) -> tuple[Burst, list[asyncio.Task[None]]]:
    """One task per account and symbol, each placing up to 190 orders (the open-order cap is 200)."""
    burst = Burst(target=target)
    tasks = [
        asyncio.create_task(place_until_failure(burst, index, Client(channel, key), burst_requests(index, symbol, 190)))
        for index, key in enumerate(keys)
        for symbol in SYMBOLS
    ]
    return burst, tasks


def side_notional(orders: list[common_pb2.Order], side: common_pb2.Side) -> Decimal:
    return sum((Decimal(o.price) * Decimal(o.quantity) for o in orders if o.side == side), Decimal(0))


async def check_recovered(address: str, keys: list[str], burst: Burst) -> None:
    """What a restart after the burst must show: every acknowledged order open and intact, each order
    once, unanswered ones either absent or complete, books equal to the open orders, margins consistent."""
    async with grpc.aio.insecure_channel(address) as channel:
        clients = [Client(channel, key) for key in keys]
        everyone: list[common_pb2.Order] = []
        for index, client in enumerate(clients):
            open_orders = list(
                (await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=client.auth)).orders
            )
            history = await all_orders(client, page_size=100)
            ids = [order.client_order_id for order in open_orders]
            assert len(ids) == len(set(ids)), "an order is present twice"
            assert len({order.order_id for order in open_orders}) == len(open_orders)
            # nothing filled or ended: the whole history is the open orders
            assert sorted(order.order_id for order in history) == sorted(order.order_id for order in open_orders)
            mine_acked = {cid for cid, order in burst.acked.items() if burst.requests[cid][0] == index}
            mine_unanswered = {cid for cid, entry in burst.unanswered.items() if entry[0] == index}
            assert mine_acked <= set(ids), f"acknowledged orders lost: {sorted(mine_acked - set(ids))}"
            assert set(ids) <= mine_acked | mine_unanswered, "an order nobody sent"
            for order in open_orders:
                _, request = burst.requests[order.client_order_id]
                assert order.status == common_pb2.ORDER_STATUS_NEW
                assert (order.symbol, order.side, order.price, order.quantity) == (
                    request.symbol,
                    request.side,
                    request.price,
                    request.quantity,
                )
                assert Decimal(order.filled_quantity) == 0
                if order.client_order_id in burst.acked:
                    assert order.order_id == burst.acked[order.client_order_id].order_id
            for cid in sorted(mine_acked):
                symbol = burst.requests[cid][1].symbol
                got = await client.trading.GetOrder(
                    trading_pb2.GetOrderRequest(symbol=symbol, client_order_id=cid), metadata=client.auth
                )
                assert got.order.status == common_pb2.ORDER_STATUS_NEW
                assert got.order.order_id == burst.acked[cid].order_id
            account = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account
            # flat account at the default 20x: each symbol reserves the larger side's notional / 20
            reserved = sum(
                (
                    max(
                        side_notional([o for o in open_orders if o.symbol == symbol], common_pb2.SIDE_BUY),
                        side_notional([o for o in open_orders if o.symbol == symbol], common_pb2.SIDE_SELL),
                    )
                    / 20
                    for symbol in SYMBOLS
                ),
                Decimal(0),
            )
            assert Decimal(account.wallet_balance) == Decimal(1000000)  # no fill, no fee
            assert Decimal(account.open_order_initial_margin) == reserved
            assert Decimal(account.available_balance) + reserved == Decimal(account.wallet_balance)
            everyone += open_orders
        for symbol in SYMBOLS:
            book = (await clients[0].market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol=symbol))).book
            shown = {
                (side, level.price): (Decimal(level.quantity), level.order_count)
                for side, levels in ((common_pb2.SIDE_BUY, book.bids), (common_pb2.SIDE_SELL, book.asks))
                for level in levels
            }
            expected: dict[tuple[int, str], tuple[Decimal, int]] = {}
            for order in everyone:
                if order.symbol == symbol:
                    quantity, count = expected.get((order.side, order.price), (Decimal(0), 0))
                    expected[(order.side, order.price)] = (quantity + Decimal(order.quantity), count + 1)
            assert shown == expected


async def retry_unanswered(address: str, keys: list[str], burst: Burst) -> None:
    """A client that got no answer retries with the same client_order_id: it gets the original order when
    it was recorded (duplicate) or a new one when it was not, and either way the order exists once.
    A new order's id is above every id the crashed server handed out (ids are not reused)."""
    async with grpc.aio.insecure_channel(address) as channel:
        clients = [Client(channel, key) for key in keys]
        highest = max((order.order_id for order in burst.acked.values()), default=0)
        for cid, (index, request, _) in sorted(burst.unanswered.items()):
            client = clients[index]
            lookup = trading_pb2.GetOrderRequest(symbol=request.symbol, client_order_id=cid)
            try:
                known: common_pb2.Order | None = (await client.trading.GetOrder(lookup, metadata=client.auth)).order
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
                known = None
            retried = await client.trading.PlaceOrder(request, metadata=client.auth)
            assert retried.duplicate == (known is not None)
            assert retried.order.status == common_pb2.ORDER_STATUS_NEW
            if known is not None:
                assert retried.order.order_id == known.order_id
            else:
                assert retried.order.order_id > highest
        fresh = await clients[0].trading.PlaceOrder(
            limit("BTCUSDT", common_pb2.SIDE_BUY, "0.002", "60000.0", client_order_id="after-restart"),
            metadata=clients[0].auth,
        )
        assert fresh.order.order_id > highest
        for index, client in enumerate(clients):
            open_orders = (
                await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=client.auth)
            ).orders
            ids = [order.client_order_id for order in open_orders]
            assert len(ids) == len(set(ids))
            mine = {cid for cid, entry in burst.unanswered.items() if entry[0] == index}
            assert mine <= set(ids)


@pytest.mark.parametrize("durability", ["batched", "strict"])
async def test_kill_9_in_a_burst_loses_no_acknowledged_order(
    spawn: Callable[[str], Awaitable[ServerProcess]], durability: str
) -> None:
    """SIGKILL while eight tasks place orders: the restart holds every acknowledged order exactly once."""
    first = await spawn(durability)
    keys = await prepare_accounts(first.address, 4)
    async with grpc.aio.insecure_channel(first.address) as channel:
        burst, tasks = await start_burst(channel, keys, target=120)
        await within(burst.reached.wait())
        await first.kill()
        await within(asyncio.gather(*tasks))
    # every task was cut mid-list by the kill (none had finished its 190 orders)
    assert len(burst.unanswered) == len(tasks)
    assert len(burst.acked) >= 120

    second = await spawn(durability)
    await check_recovered(second.address, keys, burst)
    await retry_unanswered(second.address, keys, burst)
    assert await second.terminate() == 0


async def test_sigterm_in_a_burst_exits_cleanly_and_keeps_what_it_acknowledged(
    spawn: Callable[[str], Awaitable[ServerProcess]],
) -> None:
    """SIGTERM with a user-event stream and a book stream open and four tasks placing orders: the
    process ends its streams, exits 0, and the restart holds every acknowledged order and none of the
    calls it refused while stopping (in-flight commands finish and are answered). The user stream
    shows events in cursor order, and resuming after the last one it showed, on the restarted server,
    delivers the rest: together every acknowledged order is accepted exactly once."""
    first = await spawn("batched")
    keys = await prepare_accounts(first.address, 2)
    watcher = keys[0]
    events: list[account_pb2.UserEvent] = []
    book_messages: list[market_data_pb2.StreamOrderBookResponse] = []
    async with grpc.aio.insecure_channel(first.address) as channel:
        client = Client(channel, watcher)
        start_cursor = (
            await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)
        ).account.cursor
        user_stream = client.account.StreamUserEvents(
            account_pb2.StreamUserEventsRequest(resume_after=start_cursor), metadata=client.auth
        )
        book_stream = client.market.StreamOrderBook(market_data_pb2.StreamOrderBookRequest(symbol="BTCUSDT"))

        async def follow(call: Any, into: list[Any], pick: Callable[[Any], Any]) -> grpc.StatusCode:
            try:
                async for reply in call:
                    into.append(pick(reply))
            except grpc.aio.AioRpcError as error:
                return error.code()
            return grpc.StatusCode.OK

        followers = [
            asyncio.create_task(follow(user_stream, events, lambda reply: reply.event)),
            asyncio.create_task(follow(book_stream, book_messages, lambda reply: reply)),
        ]
        burst, tasks = await start_burst(channel, keys, target=60)
        await within(burst.reached.wait())
        assert await first.terminate() == 0
        await within(asyncio.gather(*tasks))
        endings = await within(asyncio.gather(*followers))
    assert set(endings) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}, endings

    cursors = [(event.cursor.sequence, event.cursor.index) for event in events]
    assert cursors == sorted(set(cursors)), "user events out of order or repeated"
    assert book_messages and book_messages[0].WhichOneof("payload") == "snapshot"
    covered = [m.update.first_sequence for m in book_messages[1:]], [m.update.sequence for m in book_messages[1:]]
    book_sequences = [book_messages[0].snapshot.sequence] + [
        number for first, last in zip(*covered, strict=True) for number in range(first, last + 1)
    ]  # a message covers several updates when the reader fell behind
    assert book_sequences == list(range(book_sequences[0], book_sequences[0] + len(book_sequences)))

    second = await spawn("batched")
    await check_recovered(second.address, keys, burst)
    async with grpc.aio.insecure_channel(second.address) as channel:
        # a graceful stop leaves no unknown outcome: a call that got no answer changed nothing
        for cid, (index, request, _) in sorted(burst.unanswered.items()):
            owner = Client(channel, keys[index])
            lookup = trading_pb2.GetOrderRequest(symbol=request.symbol, client_order_id=cid)
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await owner.trading.GetOrder(lookup, metadata=owner.auth)
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        client = Client(channel, watcher)
        last = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account.cursor
        resume_from = events[-1].cursor if events else start_cursor
        call = client.account.StreamUserEvents(
            account_pb2.StreamUserEventsRequest(resume_after=resume_from), metadata=client.auth
        )
        resumed: list[account_pb2.UserEvent] = []

        async def read() -> None:
            if (resume_from.sequence, resume_from.index) == (last.sequence, last.index):
                return
            async for reply in call:
                resumed.append(reply.event)
                if reply.event.cursor == last:
                    return

        try:
            await within(read())
        finally:
            call.cancel()
    everything = events + resumed
    cursors = [(event.cursor.sequence, event.cursor.index) for event in everything]
    assert cursors == sorted(set(cursors)), "a gap or a duplicate across the restart"
    accepted = Counter(
        event.order_accepted.order.client_order_id for event in everything if event.HasField("order_accepted")
    )
    watcher_acked = {cid for cid in burst.acked if burst.requests[cid][0] == 0}
    assert watcher_acked <= set(accepted)
    assert all(count == 1 for count in accepted.values())
    assert await second.terminate() == 0


async def test_sigterm_answers_every_call_it_received(spawn: Callable[[str], Awaitable[ServerProcess]]) -> None:
    """1,200 orders sent at once from eight accounts, SIGTERM after the first 20 answers: every call is
    answered, either acknowledged (and kept by the restart) or refused UNAVAILABLE/SHUTTING_DOWN with a
    retry delay (or, for a call the client still held back under the connection's stream cap, refused
    unopened by HTTP/2) and not recorded; none is left CANCELLED (what gRPC's stop makes of the calls it
    received but had not handed to the servicer yet)."""
    first = await spawn("batched")
    keys = await prepare_accounts(first.address, 8)
    requests = [(index, r) for index in range(8) for symbol in SYMBOLS for r in burst_requests(index, symbol, 75)]
    acked: dict[str, int] = {}
    refusals: Counter[str] = Counter()
    enough = asyncio.Event()
    async with grpc.aio.insecure_channel(first.address) as channel:
        clients = [Client(channel, key) for key in keys]

        async def place(index: int, request: trading_pb2.PlaceOrderRequest) -> None:
            client = clients[index]
            try:
                reply = await client.trading.PlaceOrder(request, metadata=client.auth, timeout=DEADLINE)
            except grpc.aio.AioRpcError as error:
                refusals[str(error.code())] += 1
                assert error.code() == grpc.StatusCode.UNAVAILABLE, (error.code(), error.details())
                if REFUSED_STREAM in (error.details() or ""):
                    return  # never opened at the server: a queued call past the connection's stream cap
                assert error_info(error).reason == "SHUTTING_DOWN"
                assert retry_delay(error) > 0
                return
            acked[request.client_order_id] = reply.order.order_id
            if len(acked) >= 20:
                enough.set()

        tasks = [asyncio.create_task(place(index, request)) for index, request in requests]
        await within(enough.wait())
        assert await first.terminate() == 0
        await within(asyncio.gather(*tasks))
    assert len(acked) + refusals.total() == len(requests), refusals

    second = await spawn("batched")
    async with grpc.aio.insecure_channel(second.address) as channel:
        for index, key in enumerate(keys):
            client = Client(channel, key)
            listed = await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=client.auth)
            mine = {r.client_order_id for i, r in requests if i == index and r.client_order_id in acked}
            assert {order.client_order_id: order.order_id for order in listed.orders} == {
                cid: acked[cid] for cid in mine
            }
    assert await second.terminate() == 0


REFUSED_STREAM = "RST_STREAM with error code 7"
"""HTTP/2 REFUSED_STREAM: the server closed the stream before processing it (a call the client held back
under the connection's concurrent-stream cap and opened after the server began to stop): safe to retry."""


def retry_delay(error: grpc.aio.AioRpcError) -> float:
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return float(info.retry_delay.ToTimedelta().total_seconds())
    return 0.0


# ---------------------------------------------------------------------------------------------- 4. admin


async def small_market(running: Running) -> tuple[Trader, Trader]:
    """Two accounts, a trade between them (0.01 BTC at 64,900) and a resting order on each book."""
    admin = running.admin
    for symbol, price in START_MARK.items():
        await set_mark(admin, symbol, price_text(symbol, price))
    maker = await open_trader(admin, "maker", "100000")
    taker = await open_trader(admin, "taker", "100000")
    m, t = running.client(maker), running.client(taker)
    await m.trading.PlaceOrder(limit("BTCUSDT", common_pb2.SIDE_SELL, "0.020", "64900.0"), metadata=m.auth)
    await m.trading.PlaceOrder(limit("ETHUSDT", common_pb2.SIDE_BUY, "0.100", "1850.00"), metadata=m.auth)
    await t.trading.PlaceOrder(limit("BTCUSDT", common_pb2.SIDE_BUY, "0.010", "64900.0"), metadata=t.auth)
    return maker, taker


async def test_snapshot_reports_the_live_hash_and_a_restart_reproduces_it(tmp_path: Path) -> None:
    running = await start(config(tmp_path))
    try:
        await small_market(running)
        taken = await running.admin.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=running.admin.auth)
        assert (taken.sequence, taken.state_hash) == (running.sequence, running.state_hash)
        # setting 2 marks, 2 accounts and 3 orders: 7 commands, plus the deadline timer's first AdvanceTime
        # if it ran before the first call (a fresh engine's next deadline is 0)
        assert taken.sequence in (7, 8)
    finally:
        await running.stop()
    restarted = await start(config(tmp_path))
    try:
        assert (restarted.sequence, restarted.state_hash) == (taken.sequence, taken.state_hash)
        again = await restarted.admin.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=restarted.admin.auth)
        assert (again.sequence, again.state_hash) == (taken.sequence, taken.state_hash)
    finally:
        await restarted.stop()


async def assert_empty(running: Running, old: list[Trader]) -> None:
    """No account, no key, no order, no fund: what Admin.Reset promises."""
    admin = running.admin
    listed = await admin.admin.ListAccounts(admin_pb2.ListAccountsRequest(), metadata=admin.auth)
    assert list(listed.accounts) == []
    for trader in old:
        client = running.client(trader)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.trading.PlaceOrder(
                limit("BTCUSDT", common_pb2.SIDE_BUY, "0.010", "64000.0"), metadata=client.auth
            )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    for symbol in SYMBOLS:
        book = (await admin.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol=symbol))).book
        assert (list(book.bids), list(book.asks)) == ([], [])
    fund = await admin.admin.GetInsuranceFund(admin_pb2.GetInsuranceFundRequest(), metadata=admin.auth)
    assert Decimal(fund.balance) == 0


async def test_reset_wipes_everything_and_a_restart_keeps_it_empty(tmp_path: Path) -> None:
    running = await start(config(tmp_path))
    try:
        old = list(await small_market(running))
        await running.admin.admin.Reset(admin_pb2.ResetRequest(), metadata=running.admin.auth)
        await assert_empty(running, old)
    finally:
        await running.stop()
    restarted = await start(config(tmp_path))
    try:
        await assert_empty(restarted, old)
        # the names are free again and a new key works
        fresh = await open_trader(restarted.admin, "maker", "500")
        client = restarted.client(fresh)
        account = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account
        assert (account.name, Decimal(account.wallet_balance)) == ("maker", Decimal(500))
        assert list(account.positions) == []
        open_orders = await client.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=client.auth)
        assert list(open_orders.orders) == []
    finally:
        await restarted.stop()
