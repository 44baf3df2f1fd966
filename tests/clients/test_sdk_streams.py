"""Reconnecting streams and the state kept from them: the book mirror, the account tracker, user events."""

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest

import paperex.server.core.results
from paperex.client.book_mirror import BookMirror, follow_book
from paperex.client.client import AsyncClient
from paperex.client.commands import PlaceOrder
from paperex.client.enums import Side
from paperex.client.errors import UnknownOrder
from paperex.client.models import BookLevel, EventCursor, OrderBook, OrderBookUpdate, UserEvent
from paperex.client.sync import Admin, Client
from paperex.client.tracker import AccountTracker
from tests.clients.conftest import ADMIN_TOKEN, LiveExchange

BTC = "BTCUSDT"
T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Polls ``check`` until it holds (streams deliver asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def random_flow(client: AsyncClient, seed: int, orders: int) -> None:
    """Limit orders on both sides around 64,900 (some crossing) and a few cancels."""
    rng = random.Random(seed)
    for _ in range(orders):
        side = rng.choice([Side.BUY, Side.SELL])
        offset = rng.randint(-5, 20) * (-1 if side is Side.BUY else 1)
        placed = await client.place_order(
            PlaceOrder(BTC, side, f"0.00{rng.randint(2, 9)}", price=f"{64900 + offset}.0")
        )
        if placed.order.is_open and rng.random() < 0.3:
            with contextlib.suppress(UnknownOrder):  # another flow may have filled it meanwhile
                await client.cancel_order(BTC, order_id=placed.order.order_id)


def levels(book: OrderBook) -> tuple[list[BookLevel], list[BookLevel]]:
    return book.bids, book.asks


async def test_the_mirror_equals_the_exchanges_book_after_random_flows_and_a_restart(live: LiveExchange) -> None:
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    traders = [await live.open_account(f"trader{i}") for i in range(2)]
    watcher = await live.open_account("watcher")
    mirrors: list[BookMirror] = []

    async def follow() -> None:
        async for mirror in follow_book(watcher, BTC):
            if not mirrors or mirror is not mirrors[-1]:
                mirrors.append(mirror)

    task = asyncio.create_task(follow())
    try:
        await eventually(lambda: asyncio.sleep(0, bool(mirrors)))
        await asyncio.gather(*(random_flow(trader, seed, 40) for seed, trader in enumerate(traders)))
        mirror = mirrors[0]

        async def mirrored() -> bool:
            if task.done():
                task.result()  # the stream gave up: its error, rather than a timeout
            book = await watcher.order_book(BTC)
            return mirror.sequence == book.sequence and (mirror.bids(), mirror.asks()) == levels(book)

        await eventually(mirrored)
        assert mirror.bids() and mirror.asks() and mirror.best_bid.price < mirror.best_ask.price  # type: ignore[union-attr]

        await live.stop()
        await live.start()  # same port and journal: the stream reconnects and starts over from a snapshot
        # While the server was down the channels may have failed to connect and be waiting out gRPC's
        # reconnect backoff (1 s and more), longer than a call's retries: wait until they are connected.
        await asyncio.gather(traders[0].wait_until_ready(), watcher.wait_until_ready())
        await random_flow(traders[0], 7, 10)
        await eventually(mirrored)
        assert len(mirrors) == 1  # the mirror the caller holds is the one kept up to date, across the reconnect too
    finally:
        task.cancel()


def test_a_mirror_applies_single_and_merged_updates_and_refuses_a_gap() -> None:
    mirror = BookMirror(BTC)
    level = BookLevel(Decimal("64900.0"), Decimal("0.010"), 1)
    mirror.apply(OrderBook(BTC, 5, [level], [], None))
    mirror.apply(OrderBookUpdate(BTC, 6, [BookLevel(Decimal("64899.0"), Decimal("0.5"), 2)], [], None, 6))
    assert [lvl.price for lvl in mirror.bids()] == [Decimal("64900.0"), Decimal("64899.0")]
    mirror.apply(OrderBookUpdate(BTC, 7, [BookLevel(Decimal("64900.0"), Decimal("0"), 0)], [], None, 7))
    assert mirror.best_bid == BookLevel(Decimal("64899.0"), Decimal("0.5"), 2) and mirror.mid is None
    merged_ask = BookLevel(Decimal("64901.0"), Decimal("0.2"), 1)
    mirror.apply(OrderBookUpdate(BTC, 10, [], [merged_ask], None, 8))  # a backlog 8..10 merged by the server
    assert (mirror.sequence, mirror.best_ask) == (10, merged_ask)
    with pytest.raises(ValueError, match="update 12 does not follow 10"):
        mirror.apply(OrderBookUpdate(BTC, 12, [], [], None, 12))


async def take(iterator: AsyncIterator[T], count: int, timeout: float = 10.0) -> list[T]:
    return [await asyncio.wait_for(anext(iterator), timeout) for _ in range(count)]


async def test_user_events_resume_across_a_restart_without_gap_or_repeat(live: LiveExchange) -> None:
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    client = await live.open_account("resumer")
    start = (await client.account()).cursor
    events = client.user_events(resume_after=start)
    await client.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="64000.0"))
    before = await take(events, 1)
    await live.stop()
    await live.start()
    await client.wait_until_ready()
    await client.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="64001.0"))
    await client.cancel_all_orders(BTC)
    after = await take(events, 3)  # accepted, then two cancels
    await events.aclose()  # type: ignore[attr-defined]

    replay = client.user_events(resume_after=start)
    everything = await take(replay, 4)
    await replay.aclose()  # type: ignore[attr-defined]
    assert [event.cursor for event in before + after] == [event.cursor for event in everything]
    assert [type(event.event).__name__ for event in everything] == [
        "OrderAccepted",
        "OrderAccepted",
        "OrderCanceled",
        "OrderCanceled",
    ]


async def tracked_state(tracker: AccountTracker) -> tuple[Any, ...]:
    return (
        {symbol: position.size for symbol, position in tracker.positions.items()},
        tracker.wallet_balance,
        sorted(tracker.open_orders),
    )


async def exchange_state(client: AsyncClient) -> tuple[Any, ...]:
    summary = await client.account()
    orders = await client.open_orders()
    return (
        {position.symbol: position.size for position in summary.positions},
        summary.wallet_balance,
        sorted(order.order_id for order in orders),
    )


async def run_tracker(tracker: AccountTracker, seen: list[UserEvent]) -> None:
    async for event in tracker.events():
        seen.append(event)


async def test_the_tracker_follows_trades_fees_and_cancels(live: LiveExchange) -> None:
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    client = await live.open_account("tracked", "20000")
    other = await live.open_account("other")
    tracker = AccountTracker(client)
    seen: list[UserEvent] = []
    task = asyncio.create_task(run_tracker(tracker, seen))
    try:
        await eventually(lambda: asyncio.sleep(0, tracker.summary is not None))
        await random_flow(client, 3, 15)
        await random_flow(other, 4, 15)
        await client.place_order(PlaceOrder(BTC, Side.SELL, "0.005"))  # a taker fill at least once

        async def converged() -> bool:
            return await tracked_state(tracker) == await exchange_state(client)

        await eventually(converged)
        assert tracker.position_size(BTC) != 0 and seen
        assert [event.cursor for event in seen] == sorted({event.cursor for event in seen})
    finally:
        task.cancel()


async def test_the_tracker_resyncs_when_its_cursor_has_expired(
    live: LiveExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paperex.server.core.results, "USER_EVENTS_RETAINED", 4)  # logs created from now keep 4 events
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    client = await live.open_account("forgetful")
    tracker = AccountTracker(client)
    await tracker.sync()
    for i in range(6):  # ten and more events while nobody listens
        await client.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price=f"{64000 + i}.0"))
    seen: list[UserEvent] = []
    task = asyncio.create_task(run_tracker(tracker, seen))
    try:
        await eventually(lambda: asyncio.sleep(0, tracker.resyncs == 1))
        assert len(tracker.open_orders) == 6 and seen == []
        await client.cancel_order(BTC, order_id=min(tracker.open_orders))
        await eventually(lambda: asyncio.sleep(0, len(tracker.open_orders) == 5))
    finally:
        task.cancel()


async def test_the_blocking_client_mirrors_the_async_one(live: LiveExchange) -> None:
    target = live.target

    def script() -> tuple[Decimal, int, list[str], EventCursor | None]:
        with Admin(target, admin_token=ADMIN_TOKEN) as admin:
            created = admin.create_account("blocking", "5000")
            admin.set_mark_price(BTC, "64900")
            names = [account.name for account in admin.accounts()]
            with Client(target, api_key=created.api_key) as client:
                with client.order_session() as session:
                    placed = session.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="64000.0"))
                first = next(iter(client.stream_order_book(BTC)))
                summary = client.account()
                return summary.wallet_balance, placed.order.order_id, names, first.sequence and summary.cursor

    wallet, order_id, names, cursor = await asyncio.to_thread(script)
    assert wallet == Decimal("5000") and order_id > 0 and names == ["blocking"] and cursor is not None
