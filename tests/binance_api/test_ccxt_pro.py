"""ccxt.pro's ``binanceusdm``, unmodified, following paperex's WebSocket streams while changes are made
over gRPC and REST.

A ccxt.pro watch resolves with the next message after it was called: each check here starts the watch,
lets it register (loop turns, no time), then makes the change it should see.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import ccxt.pro as ccxtpro

from paperex.v1 import admin_pb2, common_pb2
from tests.binance_api.conftest import binanceusdm
from tests.server.conftest import Client, Exchange, btc_order

BTC = "BTC/USDT:USDT"
WAIT_S = 30
"""Generous: the suite runs beside other engineers' on two cores; a message never takes this long."""
LOOP_TURNS = 20
"""Event loop turns for a watch on an open connection to register its waiter (no I/O involved)."""
T = TypeVar("T")


@asynccontextmanager
async def pro_trader(venue: Exchange, name: str) -> AsyncIterator[tuple[int, Any]]:
    reply = await venue.admin.admin.CreateAccount(
        admin_pb2.CreateAccountRequest(name=name, initial_deposit="10000"), metadata=venue.admin.auth
    )
    account = Client(venue.channel, reply.api_key, reply.api_secret)
    exchange = binanceusdm(venue.binance_url, account, ccxtpro.binanceusdm)
    try:
        await exchange.load_markets()
        yield reply.account_id, exchange
    finally:
        await exchange.close()


async def connected(exchange: Any, path: str) -> None:
    """Until ccxt's connection whose URL holds ``path`` is open (deadline polling: ccxt first asks for a
    listen key over REST, then connects)."""
    deadline = time.monotonic() + WAIT_S
    while not (clients := [client for url, client in exchange.clients.items() if path in url]):
        assert time.monotonic() < deadline, f"ccxt opened no connection to {path}"
        await asyncio.sleep(0.01)
    await asyncio.wait_for(clients[0].connected, WAIT_S)


def order_view(order: Any) -> tuple[Any, ...]:
    """What is checked of a ccxt order, copied (ccxt updates its cached orders in place)."""
    return order["clientOrderId"], order["status"], order["price"], order["amount"], order["filled"]


async def after(watch: Awaitable[T], change: Callable[[], Awaitable[Any]]) -> T:
    """The result of ``watch``, started before ``change`` is made."""
    watching = asyncio.ensure_future(watch)
    for _ in range(LOOP_TURNS):
        await asyncio.sleep(0)
    await change()
    return await asyncio.wait_for(watching, WAIT_S)


async def test_ccxt_pro_follows_books_orders_positions_balances_and_trades(venue: Exchange) -> None:
    """Bob (gRPC) bids 0.010 at 64,000. Alice watches with ccxt.pro: the book (snapshot, then bob's new
    bid 0.020 at 63,000); her own REST offer 0.004 at 66,000 (open); bob lifting it over gRPC: the
    order filled, her position short 0.004 at 66,000, her wallet 10,000 - 0.02% x 264 = 9,999.9472;
    and the trade in the public tape."""
    bob = await venue.open_account("bob")
    await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.010", "64000"), metadata=bob.auth)
    async with pro_trader(venue, "alice") as (_, alice):
        snapshot = await asyncio.wait_for(alice.watch_order_book(BTC), WAIT_S)
        snapshot_bids = [list(level) for level in snapshot["bids"]]

        async def bob_bids_lower() -> None:
            await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.020", "63000"), metadata=bob.auth)

        book = await after(alice.watch_order_book(BTC), bob_bids_lower)
        book_bids = [list(level) for level in book["bids"]]

        balance_watch = asyncio.ensure_future(alice.watch_balance())
        await connected(alice, "private")

        async def alice_offers() -> None:
            await alice.create_order(BTC, "limit", "sell", 0.004, 66000, {"newClientOrderId": "offer-1"})

        opened = [order_view(order) for order in await after(alice.watch_orders(BTC), alice_offers)]
        positions_watch = asyncio.ensure_future(alice.watch_positions())
        trades_watch = asyncio.ensure_future(alice.watch_trades(BTC))
        await connected(alice, "public")
        for _ in range(LOOP_TURNS):
            await asyncio.sleep(0)

        async def bob_lifts() -> None:
            await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.004"), metadata=bob.auth)

        filled = [order_view(order) for order in await after(alice.watch_orders(BTC), bob_lifts)]
        positions = await asyncio.wait_for(positions_watch, WAIT_S)
        balance = await asyncio.wait_for(balance_watch, WAIT_S)
        trades = await asyncio.wait_for(trades_watch, WAIT_S)

    assert snapshot_bids == [[64000.0, 0.01]]
    assert book_bids == [[64000.0, 0.01], [63000.0, 0.02]]
    assert opened == [("offer-1", "open", 66000.0, 0.004, 0.0)]
    assert filled[-1] == ("offer-1", "closed", 66000.0, 0.004, 0.004)
    [position] = [p for p in positions if p["symbol"] == BTC]
    assert (position["side"], position["contracts"], position["entryPrice"]) == ("short", 0.004, 66000.0)
    assert balance["USDT"]["total"] == 9999.9472
    [trade] = trades
    assert (trade["price"], trade["amount"], trade["side"]) == (66000.0, 0.004, "buy")


async def test_ccxt_pro_watches_orders_again_after_its_user_stream_is_dropped(venue: Exchange) -> None:
    """Alice's fault plan drops her streams after 1 message. ccxt.pro's ``watch_orders`` sees her first
    bid (60,000), then the venue drops the connection and ccxt forgets it; her next watch reconnects
    with the listen key it holds (the same, still alive) and sees her second bid (60,100); her REST
    open orders, the resync after a drop, list both."""
    async with pro_trader(venue, "alice") as (alice_id, alice):
        request = admin_pb2.SetFaultsRequest(account_id=alice_id, plan_toml="drop_streams_after = 1")
        await venue.admin.admin.SetFaults(request, metadata=venue.admin.auth)
        first = await after(alice.watch_orders(BTC), lambda: alice.create_order(BTC, "limit", "buy", 0.002, 60000))
        key = alice.options["linear"]["listenKey"]
        deadline = time.monotonic() + WAIT_S
        while any(key in url for url in alice.clients):  # ccxt forgets a connection the server closed
            assert time.monotonic() < deadline, "ccxt kept the dropped connection"
            await asyncio.sleep(0.01)
        watching = asyncio.ensure_future(alice.watch_orders(BTC))
        await connected(alice, key)
        second = await after(watching, lambda: alice.create_order(BTC, "limit", "buy", 0.002, 60100))
        open_orders = await alice.fetch_open_orders(BTC)
    assert [order_view(order)[1:4] for order in first] == [("open", 60000.0, 0.002)]
    assert ("open", 60100.0, 0.002) in [order_view(order)[1:4] for order in second]
    assert sorted(order["price"] for order in open_orders) == [60000.0, 60100.0]
