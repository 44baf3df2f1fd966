"""What a bot author writes: integration tests against a real paperex server, a few lines each.

The ``paperex`` fixture (the installed pytest plugin) starts a fresh exchange per test on a simulated
clock; ``paperex.account`` opens a funded account and hands back a connected ``AsyncClient``.
"""

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from paperex.client.commands import PlaceOrder
from paperex.client.enums import OrderStatus, Side
from paperex.client.models import OrderAccepted, PositionLiquidated
from paperex.client.testing.harness import Paperex

pytestmark = pytest.mark.asyncio  # needed under pytest-asyncio's strict mode (its default), harmless in auto


@pytest.mark.paperex(scenario="flash-crash", seed=7)
async def test_a_20x_long_is_liquidated_in_the_flash_crash(paperex: Paperex) -> None:
    """0.300 BTC bought from the liquidity provider's asks around 64,900 (0.100 @ 64,913, 0.125 @ 64,926,
    0.075 @ 64,939: 19,477.475 USDT, average 64,924.9167, taker fee 0.05% = 9.7387375) on a 1,000 USDT
    deposit. Cross liquidation where wallet + uPnL = maintenance (0.4% of notional):
    990.2612625 + 0.3 (P - 64,924.9167) = 0.0012 P, so P = 18,487.2137375 / 0.2988 = 61,871.53. The
    scenario falls 20% in its first hour; half an hour in, BTC is far below that."""
    bot = await paperex.account("bot", deposit="1000")
    await bot.set_leverage("BTCUSDT", 20)
    await bot.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.300"))
    [position] = await bot.positions()
    assert position.size == Decimal("0.300")
    assert round(position.liquidation_price or 0) == 61872
    before = (await bot.account()).cursor

    await paperex.advance(timedelta(minutes=30))

    assert await bot.positions() == []
    assert (await bot.account()).wallet_balance == 0  # cross: the whole wallet backed the position
    async with asyncio.timeout(5):  # the stream replays the account's events after the cursor
        async for update in bot.user_events(resume_after=before):
            if isinstance(update.event, PositionLiquidated):
                assert (update.event.symbol, update.event.quantity) == ("BTCUSDT", Decimal("0.300"))
                break
    assert (await bot.ticker("BTCUSDT")).mark_price < Decimal(61871)


async def test_a_resting_bid_fills_when_the_liquidity_provider_requotes_into_it(paperex: Paperex) -> None:
    """The provider quotes at feed steps, 2 bps either side of the index at the touch: index 65,000 gives
    64,987 / 65,013, so a bid at 64,990 rests. Index 64,950 moves its ask to 64,950 x 1.0002 = 64,962.99,
    rounded up to 64,963: inside our bid, which fills as the maker at its own price; maker fee 0.02% of
    0.1 x 64,990 = 1.2998."""
    bot = await paperex.account("bot")
    await paperex.set_index_price("BTCUSDT", "65000")
    await paperex.step()
    book = await bot.order_book("BTCUSDT", depth=1)
    assert (book.bids[0].price, book.asks[0].price) == (Decimal(64987), Decimal(65013))
    placed = await bot.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.100", price="64990"))
    assert placed.order.status is OrderStatus.NEW

    await paperex.set_index_price("BTCUSDT", "64950")
    await paperex.step()

    order = await bot.get_order("BTCUSDT", order_id=placed.order.order_id)
    assert (order.status, order.average_price) == (OrderStatus.FILLED, Decimal(64990))
    [fill] = [fill async for fill in bot.fills("BTCUSDT")]
    assert fill.is_maker
    assert fill.fee == Decimal("1.2998")


async def test_the_bot_survives_a_burst_of_unavailable_and_a_dropped_stream(paperex: Paperex) -> None:
    """The exchange refuses 30% of the calls and drops every stream after 3 messages: the SDK retries
    the places (each client order id placed once, none lost) and its event stream resubscribes after
    its last cursor, so all five acceptances arrive in order."""
    bot = await paperex.account("bot")
    start = (await bot.account()).cursor
    await paperex.inject(account=bot, unavailable=0.3, drop_streams_after=3, seed=2)
    for n in range(5):
        await bot.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.002", price="60000", client_order_id=f"grid-{n}"))
    accepted = []
    async with asyncio.timeout(20):
        async for update in bot.user_events(resume_after=start):
            if isinstance(update.event, OrderAccepted):
                accepted.append(update.event.order.client_order_id)
            if len(accepted) == 5:
                break
    await paperex.heal(account=bot)
    assert accepted == [f"grid-{n}" for n in range(5)]
    assert sorted(order.client_order_id for order in await bot.open_orders()) == accepted
