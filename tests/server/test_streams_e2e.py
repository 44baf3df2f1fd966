"""Streams over real gRPC: book updates rebuild the book, trades and user events arrive once and in
order (also across a reconnect), candles and tickers follow the trades, and a slow reader is cut.

Streams are read with ``asyncio.wait_for`` only as a guard against a hang (it times nothing); where
a stream has no opening message to show it is live, the test polls the server's hub with a deadline.
"""

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from paperex.server.grpc_api.app import ExchangeServer, ServerConfig
from paperex.v1 import account_pb2, common_pb2, market_data_pb2, trading_pb2
from tests.server.conftest import ADMIN_TOKEN, Client, Exchange, config, error_info

HANG_GUARD = 10.0
BTC = "BTCUSDT"
BUY, SELL = common_pb2.SIDE_BUY, common_pb2.SIDE_SELL
MARK_TICKS = 649_000
"""64,900.0 in ticks of 0.1: the mark every flow trades around (the price band is 5% of it)."""

OPEN_STATUSES = (common_pb2.ORDER_STATUS_NEW, common_pb2.ORDER_STATUS_PARTIALLY_FILLED)


# ---------------------------------------------------------------------------------------------- helpers


def price(ticks: int) -> str:
    """Ticks of 0.1 as the wire renders them: 649005 -> "64900.5"."""
    return f"{ticks // 10}.{ticks % 10}"


def qty(lots: int) -> str:
    """Lots of 0.001 as the wire renders them: 25 -> "0.025"."""
    return f"{lots // 1000}.{lots % 1000:03d}"


def limit(side: int, quantity: str, limit_price: str, **extra: Any) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=side, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity=quantity, price=limit_price, **extra
    )


def market(side: int, quantity: str) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=side, order_type=common_pb2.ORDER_TYPE_MARKET, quantity=quantity
    )


async def next_message(call: Any) -> Any:
    """The stream's next message; failing if it ends instead."""
    message = await asyncio.wait_for(call.read(), HANG_GUARD)
    assert message is not grpc.aio.EOF, "the stream ended early"
    return message


def cursor_key(cursor: account_pb2.EventCursor) -> tuple[int, int]:
    return (cursor.sequence, cursor.index)


async def events_through(call: Any, last: account_pb2.EventCursor) -> list[account_pb2.UserEvent]:
    """Events from a user stream up to and including the one at ``last``."""
    events: list[account_pb2.UserEvent] = []
    while not events or cursor_key(events[-1].cursor) < cursor_key(last):
        events.append((await next_message(call)).event)
    return events


async def cursor_now(client: Client) -> account_pb2.EventCursor:
    return (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account.cursor


@asynccontextmanager
async def running(settings: ServerConfig, clock: Any = None) -> AsyncIterator[Exchange]:
    """A server of its own (tiny stream buffers, a hand-set clock), shaped like the ``exchange`` fixture."""
    server = ExchangeServer(settings, clock)
    port = await server.start()
    address = f"127.0.0.1:{port}"
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            yield Exchange(server, address, channel, Client(channel, ADMIN_TOKEN))
    finally:
        await server.stop()


class ManualClock:
    """Engine time set by the test, so a run of trades cannot straddle a minute boundary."""

    def __init__(self, ns: int) -> None:
        self.ns = ns

    def now(self) -> int:
        return self.ns


# ------------------------------------------------------------------------------------ the random flow

ALLOWED_REFUSALS = {"UNKNOWN_ORDER", "NOTHING_TO_AMEND"}
"""What a random flow may run into: cancelling or amending an order another trader filled meanwhile,
or an amend to the quantity it already has. Anything else is a bug."""


@dataclass
class Flow:
    """A seeded random order flow from several accounts around the mark, one gRPC call at a time.

    Passive limits rest 0.5 to 20 USDT away from the mark, aggressive limits and market orders take,
    cancels and amends pick an order believed open (it may have been filled meanwhile). Every fill
    the takers saw is kept per command, in command order.
    """

    rng: random.Random
    traders: list[Client]
    resting: list[tuple[Client, int, int]] = field(default_factory=list)
    """(owner, order_id, side) of orders believed open."""
    taker_fills: list[list[common_pb2.Fill]] = field(default_factory=list)
    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)

    async def run(self, steps: int) -> None:
        for _ in range(steps):
            roll = self.rng.random()
            if roll < 0.45:
                await self._limit(aggressive=False)
            elif roll < 0.6:
                await self._limit(aggressive=True)
            elif roll < 0.7:
                await self._market()
            elif roll < 0.85:
                await self._cancel()
            else:
                await self._amend()

    def _price(self, side: int, aggressive: bool) -> str:
        offset = self.rng.randint(1, 40) * 5  # 0.5 to 20.0 USDT
        above = (side == SELL) != aggressive
        return price(MARK_TICKS + offset if above else MARK_TICKS - offset)

    async def _call(self, kind: str, rpc: Callable[..., Awaitable[Any]], request: Any, owner: Client) -> Any:
        try:
            reply = await rpc(request, metadata=owner.auth)
        except grpc.aio.AioRpcError as error:
            reason = error_info(error).reason
            assert reason in ALLOWED_REFUSALS, f"{kind} refused: {reason} ({error.details()})"
            self.refused[reason] += 1
            return None
        self.done[kind] += 1
        return reply

    def _record(self, owner: Client, order: common_pb2.Order, fills: Any) -> None:
        if fills:
            assert not any(fill.is_maker for fill in fills), "the command's own order can only take"
            self.taker_fills.append(list(fills))
        self.resting = [entry for entry in self.resting if entry[1] != order.order_id]
        if order.status in OPEN_STATUSES:
            self.resting.append((owner, order.order_id, order.side))

    async def _limit(self, aggressive: bool) -> None:
        owner, side = self.rng.choice(self.traders), self.rng.choice([BUY, SELL])
        request = limit(side, qty(self.rng.randint(2, 30)), self._price(side, aggressive))
        reply = await self._call("limit", owner.trading.PlaceOrder, request, owner)
        if reply is not None:
            self._record(owner, reply.order, reply.fills)

    async def _market(self) -> None:
        owner, side = self.rng.choice(self.traders), self.rng.choice([BUY, SELL])
        reply = await self._call("market", owner.trading.PlaceOrder, market(side, qty(self.rng.randint(2, 20))), owner)
        if reply is not None:
            self._record(owner, reply.order, reply.fills)

    async def _cancel(self) -> None:
        if not self.resting:
            return
        owner, order_id, _ = self.resting.pop(self.rng.randrange(len(self.resting)))
        request = trading_pb2.CancelOrderRequest(symbol=BTC, order_id=order_id)
        await self._call("cancel", owner.trading.CancelOrder, request, owner)

    async def _amend(self) -> None:
        if not self.resting:
            return
        owner, order_id, side = self.rng.choice(self.resting)
        new_price = "" if self.rng.random() < 0.4 else self._price(side, aggressive=self.rng.random() < 0.3)
        request = trading_pb2.AmendOrderRequest(
            symbol=BTC, order_id=order_id, quantity=qty(self.rng.randint(2, 30)), price=new_price
        )
        reply = await self._call("amend", owner.trading.AmendOrder, request, owner)
        if reply is None:
            self.resting = [entry for entry in self.resting if entry[1] != order_id]
        else:
            self._record(owner, reply.order, reply.fills)


async def start_flow(exchange: Exchange, seed: int, traders: int = 3) -> Flow:
    await exchange.set_mark(BTC, price(MARK_TICKS))
    clients = [await exchange.open_account(f"trader-{i}", deposit="1000000") for i in range(traders)]
    return Flow(random.Random(seed), clients)


def assert_the_flow_did_everything(flow: Flow) -> None:
    """A flow that only refused or never traded would prove nothing."""
    assert {"limit", "market", "cancel", "amend"} <= set(flow.done), flow.done
    assert len(flow.taker_fills) >= 10, f"only {len(flow.taker_fills)} commands traded"


# ---------------------------------------------------------------------------------------- order book

Levels = dict[str, tuple[str, int]]


def levels(side: Any) -> Levels:
    return {level.price: (level.quantity, level.order_count) for level in side}


def apply_changes(book: Levels, changes: Any) -> None:
    """Levels in an update are absolute totals; quantity "0" removes the level."""
    for level in changes:
        if level.quantity == "0":
            assert level.price in book, f"removal of a level that is not there: {level.price}"
            del book[level.price]
        else:
            book[level.price] = (level.quantity, level.order_count)


def ordered(book: Levels, highest_first: bool) -> list[tuple[str, str, int]]:
    prices = sorted(book, key=Decimal, reverse=highest_first)
    return [(p, *book[p]) for p in prices]


def as_rows(side: Any) -> list[tuple[str, str, int]]:
    return [(level.price, level.quantity, level.order_count) for level in side]


@pytest.mark.parametrize("seed", [11, 22, 33])
async def test_book_updates_applied_to_the_snapshot_rebuild_the_book(exchange: Exchange, seed: int) -> None:
    flow = await start_flow(exchange, seed)
    await flow.run(20)  # a book exists before subscribing, so the snapshot has levels to update
    watcher = flow.traders[0]
    stream = watcher.market.StreamOrderBook(market_data_pb2.StreamOrderBookRequest(symbol=BTC))
    opening = await next_message(stream)
    assert opening.WhichOneof("payload") == "snapshot"
    snapshot = opening.snapshot
    assert snapshot.bids or snapshot.asks

    await flow.run(150)

    final = (await watcher.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol=BTC, depth=5000))).book
    bids, asks = levels(snapshot.bids), levels(snapshot.asks)
    sequences: list[int] = []
    while (sequences[-1] if sequences else snapshot.sequence) < final.sequence:
        message = await next_message(stream)
        assert message.WhichOneof("payload") == "update", "a second snapshot: the stream resynchronized"
        update = message.update
        assert update.symbol == BTC
        sequences.extend(range(update.first_sequence, update.sequence + 1))  # merged when it fell behind
        apply_changes(bids, update.bids)
        apply_changes(asks, update.asks)
    stream.cancel()

    assert_the_flow_did_everything(flow)
    assert sequences == list(range(snapshot.sequence + 1, final.sequence + 1))
    assert as_rows(final.bids) == ordered(bids, highest_first=True)
    assert as_rows(final.asks) == ordered(asks, highest_first=False)
    assert final.bids and final.asks


# -------------------------------------------------------------------------------------------- trades


async def test_the_trade_stream_delivers_every_trade_once_in_order(exchange: Exchange) -> None:
    flow = await start_flow(exchange, seed=7)
    stream = flow.traders[0].market.StreamTrades(market_data_pb2.StreamTradesRequest(symbol=BTC))
    opening = await next_message(stream)
    assert not opening.trades, "the first message only confirms the subscription"

    await flow.run(150)

    # one message per command that traded, holding exactly the fills its taker was answered with
    expected = [[(f.trade_id, f.price, f.quantity, f.side) for f in fills] for fills in flow.taker_fills]
    last_trade_id = expected[-1][-1][0]
    received: list[list[tuple[int, str, str, int]]] = []
    while not received or received[-1][-1][0] < last_trade_id:
        message = await next_message(stream)
        assert {trade.symbol for trade in message.trades} == {BTC}
        received.append([(t.trade_id, t.price, t.quantity, t.aggressor_side) for t in message.trades])
    stream.cancel()

    assert_the_flow_did_everything(flow)
    assert received == expected
    trade_ids = [trade[0] for batch in received for trade in batch]
    # every trade of the exchange, once each, in trade_id order without a gap
    assert trade_ids == list(range(trade_ids[0], trade_ids[0] + len(trade_ids)))


# --------------------------------------------------------------------------------------- user events


async def round_of_trading(alice: Client, bob: Client, round_number: int) -> None:
    """Alice rests two asks and a bid, Bob lifts one ask and part of the next, Alice cancels her bid:
    accepted, filled, position, balance and canceled events on Alice's stream."""
    step = round_number * 10  # one USDT per round, in ticks
    for offset in (500, 600):  # 64,950 and 64,960 (+ the round's shift)
        await alice.trading.PlaceOrder(limit(SELL, "0.010", price(MARK_TICKS + offset + step)), metadata=alice.auth)
    await bob.trading.PlaceOrder(market(BUY, "0.015"), metadata=bob.auth)
    bid = await alice.trading.PlaceOrder(limit(BUY, "0.005", price(MARK_TICKS - 1000 - step)), metadata=alice.auth)
    await alice.trading.CancelOrder(
        trading_pb2.CancelOrderRequest(symbol=BTC, order_id=bid.order.order_id), metadata=alice.auth
    )


async def test_user_events_resume_after_a_disconnect_without_gap_or_duplicate(exchange: Exchange) -> None:
    await exchange.set_mark(BTC, price(MARK_TICKS))
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob")
    start = await cursor_now(alice)
    request = account_pb2.StreamUserEventsRequest(resume_after=start)
    steady = alice.account.StreamUserEvents(request, metadata=alice.auth)  # connected throughout
    first = alice.account.StreamUserEvents(request, metadata=alice.auth)

    await round_of_trading(alice, bob, 0)
    middle = await cursor_now(alice)
    seen = [(await next_message(first)).event for _ in range(5)]
    first.cancel()
    await round_of_trading(alice, bob, 1)  # while disconnected
    resumed = alice.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=seen[-1].cursor), metadata=alice.auth
    )
    end = await cursor_now(alice)
    after = await events_through(resumed, end)
    everything = await events_through(steady, end)
    resumed.cancel()

    keys = [cursor_key(event.cursor) for event in everything]
    assert keys[0] > cursor_key(start)
    assert all(earlier < later for earlier, later in pairwise(keys)), "cursors must increase"
    assert cursor_key(seen[-1].cursor) < cursor_key(middle) < cursor_key(end)  # the cut fell inside round 0
    assert seen + after == everything
    assert everything[-1].cursor == end  # GetAccount's cursor is the last event it includes
    kinds = Counter(event.WhichOneof("event") for event in everything)
    assert kinds["order_accepted"] == 6 and kinds["order_canceled"] == 2 and kinds["order_filled"] >= 4, kinds


async def test_resuming_from_the_account_cursor_yields_only_newer_events(exchange: Exchange) -> None:
    await exchange.set_mark(BTC, price(MARK_TICKS))
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob")
    await round_of_trading(alice, bob, 0)
    end = await cursor_now(alice)
    assert cursor_key(end) > (0, 0)
    tail = alice.account.StreamUserEvents(account_pb2.StreamUserEventsRequest(resume_after=end), metadata=alice.auth)

    placed = await alice.trading.PlaceOrder(limit(BUY, "0.005", "64000.0"), metadata=alice.auth)

    newest = (await next_message(tail)).event
    tail.cancel()
    assert cursor_key(newest.cursor) > cursor_key(end)
    assert newest.WhichOneof("event") == "order_accepted"
    assert newest.order_accepted.order.order_id == placed.order.order_id
    assert newest.cursor == await cursor_now(alice)


# ----------------------------------------------------------------------------------- candles, tickers


async def trade_at_known_prices(exchange: Exchange) -> tuple[Client, Client, list[Any]]:
    """Alice quotes, then Bob takes; returns the taker calls still to make (T2, T3, T4).

    Alice: asks 0.010 @ 64,900, 0.020 @ 64,950, 0.030 @ 65,000; bids 0.015 @ 64,800, 0.040 @ 64,700.
    T1 (made here): Bob buys 0.010 at market -> 0.010 @ 64,900.
    T2: buys 0.025 -> 0.020 @ 64,950 and 0.005 @ 65,000.   T3: sells 0.015 -> 0.015 @ 64,800.
    T4: buys 0.005 -> 0.005 @ 65,000.
    """
    await exchange.set_mark(BTC, "64900")
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob")
    quotes = [
        (SELL, "0.010", "64900.0"),
        (SELL, "0.020", "64950.0"),
        (SELL, "0.030", "65000.0"),
        (BUY, "0.015", "64800.0"),
        (BUY, "0.040", "64700.0"),
    ]
    for side, quantity, limit_price in quotes:
        await alice.trading.PlaceOrder(limit(side, quantity, limit_price), metadata=alice.auth)
    await bob.trading.PlaceOrder(market(BUY, "0.010"), metadata=bob.auth)
    later = [
        lambda: bob.trading.PlaceOrder(market(BUY, "0.025"), metadata=bob.auth),
        lambda: bob.trading.PlaceOrder(market(SELL, "0.015"), metadata=bob.auth),
        lambda: bob.trading.PlaceOrder(market(BUY, "0.005"), metadata=bob.auth),
    ]
    return alice, bob, later


T0 = 1_704_067_200
"""2024-01-01 00:00:00 UTC in seconds: a boundary of every candle interval."""


def candle(minute: int, ohlc: tuple[str, str, str, str], volume: str, quote: str, count: int, closed: bool) -> Any:
    opens = T0 + 60 * minute
    return market_data_pb2.Candle(
        symbol=BTC,
        interval=market_data_pb2.CANDLE_INTERVAL_1M,
        open_time=timestamp_pb2.Timestamp(seconds=opens),
        close_time=timestamp_pb2.Timestamp(seconds=opens + 59, nanos=999_999_999),
        open=ohlc[0],
        high=ohlc[1],
        low=ohlc[2],
        close=ohlc[3],
        volume=volume,
        quote_volume=quote,
        trade_count=count,
        closed=closed,
    )


async def test_candles_follow_the_trades_and_close_when_the_minute_ends(tmp_path: Path) -> None:
    clock = ManualClock((T0 + 10) * 10**9)  # 00:00:10
    async with running(config(tmp_path), clock) as exchange:
        _, bob, (t2, t3, t4) = await trade_at_known_prices(exchange)
        stream = bob.market.StreamCandles(
            market_data_pb2.StreamCandlesRequest(symbol=BTC, interval=market_data_pb2.CANDLE_INTERVAL_1M)
        )
        # T1 alone: 0.010 @ 64,900; quote 649
        assert (await next_message(stream)).candle == candle(
            0, ("64900.0", "64900.0", "64900.0", "64900.0"), "0.010", "649", 1, closed=False
        )

        await t2()
        # + 0.020 @ 64,950 (1,299) + 0.005 @ 65,000 (325): volume 0.035, quote 2,273, three trades
        assert (await next_message(stream)).candle == candle(
            0, ("64900.0", "65000.0", "64900.0", "65000.0"), "0.035", "2273", 3, closed=False
        )
        await t3()
        # + 0.015 @ 64,800 (972): volume 0.050, quote 3,245, four trades, low and close 64,800
        minute_0 = candle(0, ("64900.0", "65000.0", "64800.0", "64800.0"), "0.050", "3245", 4, closed=False)
        assert (await next_message(stream)).candle == minute_0
        one_minute = market_data_pb2.GetCandlesRequest(symbol=BTC, interval=market_data_pb2.CANDLE_INTERVAL_1M)
        assert list((await bob.market.GetCandles(one_minute)).candles) == [minute_0]

        clock.ns = (T0 + 70) * 10**9  # 00:01:10
        await t4()
        # the first minute closes unchanged; the second opens with 0.005 @ 65,000 (quote 325)
        minute_0.closed = True
        minute_1 = candle(1, ("65000.0", "65000.0", "65000.0", "65000.0"), "0.005", "325", 1, closed=False)
        assert (await next_message(stream)).candle == minute_0
        assert (await next_message(stream)).candle == minute_1
        stream.cancel()
        assert list((await bob.market.GetCandles(one_minute)).candles) == [minute_0, minute_1]

        five = market_data_pb2.GetCandlesRequest(symbol=BTC, interval=market_data_pb2.CANDLE_INTERVAL_5M)
        (bar,) = (await bob.market.GetCandles(five)).candles
        # all five trades: volume 0.055, quote 3,245 + 325 = 3,570
        assert (bar.open, bar.high, bar.low, bar.close) == ("64900.0", "65000.0", "64800.0", "65000.0")
        assert (bar.volume, bar.quote_volume, bar.trade_count, bar.closed) == ("0.055", "3570", 5, False)
        assert bar.open_time == timestamp_pb2.Timestamp(seconds=T0)


async def test_tickers_show_the_last_trade_the_book_and_the_day_volume(exchange: Exchange) -> None:
    _, bob, (t2, t3, t4) = await trade_at_known_prices(exchange)
    await t2()
    await t3()
    request = market_data_pb2.StreamTickersRequest(symbols=[BTC], interval=duration_pb2.Duration(nanos=100_000_000))
    stream = bob.market.StreamTickers(request)

    first = (await next_message(stream)).ticker
    # left in the book: asks 0.025 @ 65,000; bids 0.040 @ 64,700. Bob is long 0.010 + 0.025 - 0.015.
    assert first.symbol == BTC
    assert (first.last_price, first.mark_price) == ("64800.0", "64900.0")
    assert (first.best_bid_price, first.best_bid_quantity) == ("64700.0", "0.040")
    assert (first.best_ask_price, first.best_ask_quantity) == ("65000.0", "0.025")
    assert (first.open_price_24h, first.high_price_24h, first.low_price_24h) == ("64900.0", "65000.0", "64800.0")
    # 0.010 + 0.020 + 0.005 + 0.015; quote 649 + 1,299 + 325 + 972
    assert (first.volume_24h, first.quote_volume_24h) == ("0.050", "3245")
    assert first.open_interest == "0.020"

    await t4()
    latest = first
    while latest.last_price != "65000.0":  # the next tickers come at the stream's interval
        latest = (await next_message(stream)).ticker
    stream.cancel()
    assert (latest.volume_24h, latest.quote_volume_24h) == ("0.055", "3570")  # + 0.005 @ 65,000 = 325
    assert (latest.best_ask_price, latest.best_ask_quantity) == ("65000.0", "0.020")
    assert (latest.best_bid_price, latest.best_bid_quantity) == ("64700.0", "0.040")
    assert latest.open_interest == "0.025"


# ------------------------------------------------------------------------------------- slow consumer


async def test_a_reader_that_falls_behind_is_cut_and_the_server_keeps_serving(tmp_path: Path) -> None:
    """Eight orders in one OrderSession request are one sequencer batch: their eight book updates are
    published back to back, before the stream handler can forward any, so a 5-message buffer overflows
    whatever the transport would have absorbed."""
    async with running(config(tmp_path, stream_capacity=5)) as exchange:
        await exchange.set_mark(BTC, "64900")
        alice = await exchange.open_account("alice")
        slow = alice.market.StreamOrderBook(market_data_pb2.StreamOrderBookRequest(symbol=BTC))
        snapshot = (await next_message(slow)).snapshot  # subscribed from here on; then not read
        bids = [trading_pb2.OrderCommand(place_order=limit(BUY, "0.002", f"{64000 - i}.0")) for i in range(8)]
        session = alice.trading.OrderSession(metadata=alice.auth)
        await session.write(trading_pb2.OrderSessionRequest(correlation_id="eight", commands=bids))
        answer = await next_message(session)
        assert [result.WhichOneof("result") for result in answer.results] == ["place_order"] * 8

        received: list[Any] = []

        async def drain() -> None:
            while (message := await slow.read()) is not grpc.aio.EOF:
                received.append(message)

        with pytest.raises(grpc.aio.AioRpcError) as cut:
            await asyncio.wait_for(drain(), HANG_GUARD)
        assert cut.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_info(cut.value).reason == "SLOW_CONSUMER"
        assert len(received) <= 5  # at most what was buffered, in order, then the cut
        assert [m.update.sequence for m in received] == list(
            range(snapshot.sequence + 1, snapshot.sequence + 1 + len(received))
        )

        fresh = alice.market.StreamOrderBook(market_data_pb2.StreamOrderBookRequest(symbol=BTC))
        book = (await next_message(fresh)).snapshot
        assert book.sequence == snapshot.sequence + 8
        assert [level.price for level in book.bids] == [f"{64000 - i}.0" for i in range(8)]
        await alice.trading.PlaceOrder(limit(SELL, "0.002", "65000.0"), metadata=alice.auth)
        update = (await next_message(fresh)).update
        assert update.sequence == snapshot.sequence + 9
        assert as_rows(update.asks) == [("65000.0", "0.002", 1)]
        fresh.cancel()
        await session.done_writing()
        assert await asyncio.wait_for(session.read(), HANG_GUARD) is grpc.aio.EOF


async def test_a_backlog_is_merged_into_one_update_covering_its_sequence_range(tmp_path: Path) -> None:
    """Forty orders in one OrderSession request publish forty updates at once: the reader is 39 behind
    the moment it takes the first, so it gets one message for 40 sequence numbers, every level at its
    final quantity, and the book it builds equals the exchange's."""
    async with running(config(tmp_path)) as exchange:
        await exchange.set_mark(BTC, "64900")
        alice = await exchange.open_account("alice")
        reader = alice.market.StreamOrderBook(market_data_pb2.StreamOrderBookRequest(symbol=BTC))
        snapshot = (await next_message(reader)).snapshot
        bids = [trading_pb2.OrderCommand(place_order=limit(BUY, "0.002", f"{64000 - i % 20}.0")) for i in range(40)]
        session = alice.trading.OrderSession(metadata=alice.auth)
        await session.write(trading_pb2.OrderSessionRequest(correlation_id="forty", commands=bids))
        await next_message(session)

        merged = (await next_message(reader)).update
        assert (merged.first_sequence, merged.sequence) == (snapshot.sequence + 1, snapshot.sequence + 40)
        assert as_rows(merged.bids) == [(f"{64000 - i}.0", "0.004", 2) for i in range(20)]  # two orders a level
        book = (await alice.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol=BTC))).book
        assert book.sequence == merged.sequence and as_rows(book.bids) == as_rows(merged.bids)

        await alice.trading.PlaceOrder(limit(SELL, "0.002", "65000.0"), metadata=alice.auth)
        single = (await next_message(reader)).update  # keeping up again: one update per command
        assert (single.first_sequence, single.sequence) == (merged.sequence + 1, merged.sequence + 1)
        reader.cancel()
        await session.done_writing()
