"""The paperex side of a run: admin setup, bot accounts, and the workload that sends the bots' flows.

Setup is untimed. The parent process sets the BTCUSDT mark price at 64,900 (unless a scenario moves
prices), opens a house account that seeds a two-sided book of 1 BTC levels every 0.5 USDT (unless
``--seed-levels 0``) and places one order to learn the wire sizes the echo baseline mirrors. Each
worker then opens its own bot accounts with a large deposit.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from loadtest.grpc_load.codes import rejection_code
from loadtest.grpc_load.drive import Call
from loadtest.grpc_load.flow import (
    AMEND,
    CANCEL,
    CANCEL_ALL,
    DEPOSIT,
    DISTANCE_MEAN_TICKS,
    GET_ACCOUNT,
    GET_ORDER,
    LIST_OPEN,
    MARK_TICKS,
    MAX_LOTS,
    PLACE,
    SESSION_FIELDS,
    SYMBOL,
    TAKE,
    Account,
    Centre,
    Flow,
    limit_order,
    price_text,
    ticks_of,
)
from paperex.v1 import (
    account_pb2_grpc,
    admin_pb2,
    admin_pb2_grpc,
    common_pb2,
    market_data_pb2,
    market_data_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)

FOLLOW_EVERY_S = 1.0
"""How often a worker moves its flows' centre to the current mark price when prices move."""
SEED_STEP_TICKS, SEED_LOTS = 5, 1_000
"""The seeded book: 1 BTC every 0.5 USDT from 64,899.5 down and 64,900.5 up."""
Metadata = tuple[tuple[str, str], ...]


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


@dataclass(frozen=True, slots=True)
class WireSizes:
    """Serialized bytes of a typical limit add and its answer, unary and as an OrderSession batch."""

    request: int
    reply: int
    batch: int
    batch_request: int
    batch_reply: int


async def open_accounts(
    channel: grpc.aio.Channel, admin_token: str, names: Sequence[str], deposit: str
) -> list[Account]:
    """New accounts with a deposit, opened concurrently."""
    admin: Any = admin_pb2_grpc.AdminStub(channel)

    async def one(name: str) -> Account:
        request = admin_pb2.CreateAccountRequest(name=name, initial_deposit=deposit)
        reply = await admin.CreateAccount(request, metadata=bearer(admin_token))
        return Account(reply.account_id, bearer(reply.api_key))

    return list(await asyncio.gather(*(one(name) for name in names)))


def account_tag(role: str) -> str:
    """A prefix no other run's accounts share (account names are unique per exchange)."""
    return f"load-{role}-{os.getpid()}-{time.time_ns() // 1_000_000 % 10**9}"


async def prepare_market(channel: grpc.aio.Channel, admin_token: str, seed_levels: int, batch: int) -> WireSizes:
    """Mark price, the house account's seeded book, and the wire sizes of one real limit add."""
    admin: Any = admin_pb2_grpc.AdminStub(channel)
    request = admin_pb2.SetMarkPriceRequest(symbol=SYMBOL, price=price_text(MARK_TICKS))
    await admin.SetMarkPrice(request, metadata=bearer(admin_token))
    (house,) = await open_accounts(channel, admin_token, [account_tag("house")], DEPOSIT)
    trading: Any = trading_pb2_grpc.TradingStub(channel)
    orders = [
        limit_order(side, SEED_LOTS, MARK_TICKS + sign * level * SEED_STEP_TICKS)
        for level in range(1, seed_levels + 1)
        for side, sign in ((common_pb2.SIDE_BUY, -1), (common_pb2.SIDE_SELL, 1))
    ]
    await asyncio.gather(*(trading.PlaceOrder(order, metadata=house.metadata) for order in orders))
    return await probe_sizes(trading, house, batch)


async def probe_sizes(trading: Any, house: Account, batch: int) -> WireSizes:
    """Place (and cancel) one limit add near the touch; the sizes of it and of its answer."""
    probe = limit_order(common_pb2.SIDE_BUY, MAX_LOTS // 2, MARK_TICKS - 1 - int(DISTANCE_MEAN_TICKS))
    reply = await trading.PlaceOrder(probe, metadata=house.metadata)
    cancel = trading_pb2.CancelOrderRequest(symbol=SYMBOL, order_id=reply.order.order_id)
    await trading.CancelOrder(cancel, metadata=house.metadata)
    batch_request = trading_pb2.OrderSessionRequest(
        correlation_id=str(batch), commands=[trading_pb2.OrderCommand(place_order=probe)] * batch
    )
    batch_reply = trading_pb2.OrderSessionResponse(
        correlation_id=str(batch), results=[trading_pb2.OrderCommandResult(place_order=reply)] * batch
    )
    return WireSizes(probe.ByteSize(), reply.ByteSize(), batch, batch_request.ByteSize(), batch_reply.ByteSize())


def unary_methods(channel: grpc.aio.Channel) -> dict[str, Any]:
    """Each operation kind's aio multicallable on ``channel``."""
    trading: Any = trading_pb2_grpc.TradingStub(channel)
    account: Any = account_pb2_grpc.AccountStub(channel)
    return {
        PLACE: trading.PlaceOrder,
        TAKE: trading.PlaceOrder,
        AMEND: trading.AmendOrder,
        CANCEL: trading.CancelOrder,
        CANCEL_ALL: trading.CancelAllOrders,
        GET_ORDER: trading.GetOrder,
        LIST_OPEN: trading.ListOpenOrders,
        GET_ACCOUNT: account.GetAccount,
    }


class PaperexWorkload:
    """The bots' flows over the channels: bots round-robin for unary calls, one bot per stream."""

    def __init__(self, channels: Sequence[grpc.aio.Channel], flows: Sequence[Flow], batch: int) -> None:
        self.channels = channels
        self.flows = flows
        self.batch = batch
        self.methods = [unary_methods(channel) for channel in channels]
        self._turn = itertools.count()

    def next_call(self) -> Call:
        turn = next(self._turn)
        flow = self.flows[turn % len(self.flows)]
        kind, request = flow.next()
        method = self.methods[turn % len(self.methods)][kind]
        return Call(kind, method, request, flow.account.metadata, flow.answered)

    def session(self, index: int) -> OrderSessionCodec:
        flow = self.flows[index % len(self.flows)]
        channel = self.channels[index % len(self.channels)]
        return OrderSessionCodec(trading_pb2_grpc.TradingStub(channel), flow, self.batch)


class OrderSessionCodec:
    """OrderSession requests of ``batch`` commands from one bot's flow; answers checked by correlation id."""

    def __init__(self, stub: Any, flow: Flow, batch: int) -> None:
        self.stub = stub
        self.flow = flow
        self.batch = batch

    def open(self) -> Any:
        return self.stub.OrderSession(metadata=self.flow.account.metadata)

    def request(self, number: int) -> tuple[trading_pb2.OrderSessionRequest, list[str]]:
        kinds: list[str] = []
        commands: list[trading_pb2.OrderCommand] = []
        for _ in range(self.batch):
            kind, request = self.flow.next()
            kinds.append(kind)
            commands.append(trading_pb2.OrderCommand(**{SESSION_FIELDS[kind]: request}))
        return trading_pb2.OrderSessionRequest(correlation_id=str(number), commands=commands), kinds

    def decode(
        self, reply: trading_pb2.OrderSessionResponse, number: int, kinds: list[str]
    ) -> tuple[str | None, list[str | None], int]:
        if reply.correlation_id != str(number):
            raise RuntimeError(f"answer {reply.correlation_id!r} came for request {number!r}")
        if reply.HasField("rejection"):
            return rejection_code(reply.rejection), [], 0
        codes: list[str | None] = []
        fills = 0
        for kind, result in zip(kinds, reply.results, strict=True):
            if result.HasField("rejection"):
                codes.append(rejection_code(result.rejection))
            else:
                codes.append(None)
                fills += self.flow.answered(kind, getattr(result, SESSION_FIELDS[kind]))
        return None, codes, fills


async def mark_ticks(channel: grpc.aio.Channel) -> int:
    """BTCUSDT's current mark price in ticks."""
    stub: Any = market_data_pb2_grpc.MarketDataStub(channel)
    reply = await stub.GetTicker(market_data_pb2.GetTickerRequest(symbol=SYMBOL))
    return ticks_of(reply.ticker.mark_price)


async def follow_mark(channel: grpc.aio.Channel, centre: Centre, until_ns: int) -> None:
    """Keep the flows' centre at the mark price every ``FOLLOW_EVERY_S`` while a scenario moves it."""
    while time.perf_counter_ns() < until_ns:
        centre.ticks = await mark_ticks(channel)
        await asyncio.sleep(FOLLOW_EVERY_S)
