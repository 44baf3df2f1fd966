"""The sample bots against a real server in simulated time: each runs as an asyncio task while the test
moves the market (other accounts' orders, the index, the clock) and watches what the bot's account does.

Expected prices are worked out by hand in each test's docstring from the settings it gives the bot.
"""

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from paperex.client.bots import margin_modes, market_maker, trend_follower
from paperex.client.bots.launch import Endpoint
from paperex.client.bots.trend import SignalSettings
from paperex.client.client import AsyncClient
from paperex.client.commands import AmendOrder, PlaceOrder
from paperex.client.enums import CandleInterval, MarginMode, OrderStatus, OrderType, Side
from paperex.client.models import Order
from tests.clients.conftest import ADMIN_TOKEN, LiveExchange

BTC = "BTCUSDT"
T = TypeVar("T")


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {"clock": "simulated"}


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Polls ``probe`` until ``accept`` holds for its answer; fails with the last answer at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await probe()
        if accept(answer):
            return answer
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not as expected after {timeout} s: {answer!r}")
        await asyncio.sleep(0.02)


async def stop(task: asyncio.Task[Any]) -> None:
    """Stops a bot as Ctrl-C does: cancels its task and waits for its clean-up."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def book_of(orders: list[Order]) -> dict[Side, tuple[Decimal | None, Decimal]]:
    """An account's open orders as {side: (price, remaining)}."""
    return {order.side: (order.price, order.remaining_quantity) for order in orders}


def ids_of(orders: list[Order]) -> dict[Side, int]:
    return {order.side: order.order_id for order in orders}


async def test_the_market_maker_quotes_skews_amends_and_cleans_up(live: LiveExchange) -> None:
    """Settings: half-spread 10 bps, size 0.010, max inventory 0.016, skew 8 bps at max inventory.

    1. Empty book, mark 64,900 (the fallback): half-spread = 64,900 x 0.001 = 64.9, so
       bid 0.010 @ 64,835.1 and ask 0.010 @ 64,964.9.
    2. Another account rests 64,800 / 65,000: the mid is still 64,900, nothing changes. It moves to
       64,900 / 65,100: mid 65,000 (15 bps > the 2 bps threshold), half-spread 65: the same two
       orders are amended to 64,935.0 / 65,065.0.
    3. A taker sells 0.010 at market into the best bid, ours: position +0.010, inventory 0.010 / 0.016
       = 0.625, skew 8 bps x 0.625 = 5 bps of 65,000 = 32.5, reservation 64,967.5: bid 64,902.5 (a new
       order: the old one filled) sized 0.016 - 0.010 = 0.006; ask 65,032.5 still 0.010 (same order).
    4. Stopping cancels both.
    """
    assert live.admin is not None
    await live.admin.set_index_price(BTC, "64900")
    maker = await live.open_account("maker")
    settings = market_maker.Settings(
        BTC, Decimal(10), Decimal("0.010"), Decimal("0.016"), Decimal(8), Decimal(2), settle_seconds=0.01
    )
    bot = asyncio.create_task(market_maker.run(maker, settings))
    try:
        first = await eventually(
            lambda: maker.open_orders(BTC),
            lambda orders: (
                book_of(orders)
                == {Side.BUY: (Decimal("64835.1"), Decimal("0.010")), Side.SELL: (Decimal("64964.9"), Decimal("0.010"))}
            ),
        )

        other = await live.open_account("other")
        bid = await other.place_order(PlaceOrder(BTC, Side.BUY, "0.500", price="64800.0"))
        ask = await other.place_order(PlaceOrder(BTC, Side.SELL, "0.500", price="65000.0"))
        await other.amend_order(AmendOrder(BTC, order_id=bid.order.order_id, price="64900.0"))
        await other.amend_order(AmendOrder(BTC, order_id=ask.order.order_id, price="65100.0"))
        moved = await eventually(
            lambda: maker.open_orders(BTC),
            lambda orders: (
                book_of(orders)
                == {Side.BUY: (Decimal("64935.0"), Decimal("0.010")), Side.SELL: (Decimal("65065.0"), Decimal("0.010"))}
            ),
        )
        assert ids_of(moved) == ids_of(first), "amended in place, not canceled and replaced"

        taker = await live.open_account("taker")
        sold = await taker.place_order(PlaceOrder(BTC, Side.SELL, "0.010"))
        assert [(fill.price, fill.quantity) for fill in sold.fills] == [(Decimal("64935.0"), Decimal("0.010"))]
        skewed = await eventually(
            lambda: maker.open_orders(BTC),
            lambda orders: (
                book_of(orders)
                == {Side.BUY: (Decimal("64902.5"), Decimal("0.006")), Side.SELL: (Decimal("65032.5"), Decimal("0.010"))}
            ),
        )
        assert ids_of(skewed)[Side.SELL] == ids_of(first)[Side.SELL]
        assert ids_of(skewed)[Side.BUY] != ids_of(first)[Side.BUY]
        (position,) = await maker.positions(BTC)
        assert position.size == Decimal("0.010")
    finally:
        await stop(bot)
    assert await maker.open_orders(BTC) == []


TREND = trend_follower.Settings(
    BTC,
    CandleInterval.M1,
    SignalSettings(fast=3, slow=5, rsi_period=5, band_period=5),
    risk_fraction=Decimal("0.02"),
    reward_ratio=Decimal(2),
    min_stop_bps=Decimal(20),
    leverage=5,
)
TAPE = ["64500", "64400", "64300", "64200", "64100", "64200", "64400", "64700"]


async def test_the_trend_follower_enters_on_the_crossover_protected_and_sized_by_the_2_percent_rule(
    live: LiveExchange,
) -> None:
    """A scripted minute tape, one trade at each price: 64,500 64,400 64,300 64,200 64,100 64,200 64,400
    64,700. Settings: SMA 3/5, RSI 5 (overbought 70), bands 5 x 2, risk 2%, take-profit 2R.

    - Through the 7th close SMA3 stays at or under SMA5 (7th: (64,100 + 64,200 + 64,400) / 3 =
      64,233.3 <= (64,300 + 64,200 + 64,100 + 64,200 + 64,400) / 5 = 64,240): no trade.
    - 8th close: SMA3 = (64,200 + 64,400 + 64,700) / 3 = 64,433.3 > SMA5 = 321,600 / 5 = 64,320: a
      crossover. RSI(5), Wilder: changes -100 x4, +100, +200, +300; seeded on the first five (gain
      100 / 5 = 20, loss 400 / 5 = 80), then gain (20 x 4 + 200) / 5 = 56, loss 64; gain (56 x 4 + 300)
      / 5 = 104.8, loss 51.2; RSI = 100 - 100 / (1 + 104.8 / 51.2) = 67.2 < 70: the long is allowed.
    - Bands over the last five (64,200 64,100 64,200 64,400 64,700): mean 64,320, squared deviations
      14,400 + 48,400 + 14,400 + 6,400 + 144,400 = 228,000, variance 45,600, sd 213.54; lower band
      64,320 - 427.08 = 63,892.92: stop-loss 63,892.9 (20 bps of the entry, 129.4, is nearer).
    - The only ask is 0.756 @ 64,710.0: risk per BTC 64,710 - 63,892.9 = 817.1; quantity = 10,000 x 2%
      / 817.1 = 0.24477 -> 0.244 (the balance would allow 9,500 / (12,942 + 32.355) = 0.732);
      take-profit 64,710 + 2 x 817.1 = 66,344.2; loss at the stop 0.244 x 817.1 = 199.37, 1.99%.
    - The mark reaching 66,400 fires the take-profit into a bid at 66,300: the position closes and
      the bot cancels the stop-loss left over.
    """
    admin = live.admin
    assert admin is not None
    trader = await live.open_account("trend", "10000")
    tape_maker = await live.open_account("tape-maker", "1000000")
    tape_taker = await live.open_account("tape-taker", "1000000")

    async def print_minute(price: str) -> None:
        await admin.set_index_price(BTC, price)
        await tape_maker.place_order(PlaceOrder(BTC, Side.SELL, "0.002", price=price))
        await tape_taker.place_order(PlaceOrder(BTC, Side.BUY, "0.002"))

    await print_minute(TAPE[0])
    follower = trend_follower.TrendFollower(trader, TREND)
    bot = asyncio.create_task(follower.run())
    try:
        await asyncio.wait_for(follower.streaming.wait(), 10)
        for minute, price in enumerate(TAPE, start=1):
            if minute > 1:
                await print_minute(price)
            if minute == len(TAPE):
                await tape_maker.place_order(PlaceOrder(BTC, Side.SELL, "0.756", price="64710.0"))
            await admin.advance_time(timedelta(minutes=1))
            if minute < len(TAPE):
                await eventually(
                    lambda: asyncio.sleep(0, follower.closed_candles), lambda seen, done=minute: seen >= done
                )
                assert await trader.positions(BTC) == [] or (await trader.positions(BTC))[0].size == 0
                assert await trader.open_orders(BTC) == []

        protective = await eventually(lambda: trader.open_orders(BTC), lambda orders: len(orders) == 2)
        (position,) = await trader.positions(BTC)
        assert position.size == Decimal("0.244") and position.entry_price == Decimal("64710.0")
        by_type = {order.order_type: order for order in protective}
        stop_loss, take_profit = by_type[OrderType.STOP_MARKET], by_type[OrderType.TAKE_PROFIT_MARKET]
        assert (stop_loss.side, stop_loss.stop_price, stop_loss.close_position) == (
            Side.SELL,
            Decimal("63892.9"),
            True,
        )
        assert (take_profit.side, take_profit.stop_price, take_profit.close_position) == (
            Side.SELL,
            Decimal("66344.2"),
            True,
        )
        loss_at_stop = position.size * (position.entry_price - stop_loss.stop_price)
        assert Decimal("199") < loss_at_stop <= Decimal("200")  # 2% of 10,000, less under a lot's worth

        await tape_maker.cancel_all_orders(BTC)
        await tape_taker.place_order(PlaceOrder(BTC, Side.BUY, "1.000", price="66300.0"))
        await admin.set_index_price(BTC, "66400")
        await eventually(lambda: trader.open_orders(BTC), lambda orders: orders == [])
        (closed,) = await trader.positions(BTC)
        assert closed.size == 0
        finished = await trader.get_order(BTC, order_id=stop_loss.order_id)
        assert finished.status is OrderStatus.CANCELED
    finally:
        await stop(bot)


async def test_the_margin_mode_demonstrator_shows_isolated_margin_capping_the_loss(live: LiveExchange) -> None:
    """flash-crash, seed 7, 20x, 5,000 of margin: 5,000 x 20 / 64,900 = 1.5408 -> 1.540 BTC in each account,
    initial margin 1.540 x 64,900 / 20 = 4,997.30. The isolated account can lose at most that margin
    (plus its fees) and keeps ~10,000; the cross account's whole wallet backs the long and is liquidated
    with it. The run stops once both positions are closed (the crash hour is not over by then)."""
    out = io.StringIO()
    result = await margin_modes.run(Endpoint(live.target), ADMIN_TOKEN, margin_modes.Settings(seed=7), out)

    opening = result.steps[0]
    assert opening.cross.size == opening.isolated.size == Decimal("1.540")
    fees = {}
    for mode, key in result.api_keys.items():
        async with AsyncClient(live.target, api_key=key) as client:
            fees[mode] = sum([fill.fee or Decimal(0) async for fill in client.fills(BTC)], Decimal(0))
            assert await client.positions(BTC) == [] or (await client.positions(BTC))[0].size == 0
    isolated, cross = result.isolated, result.cross
    assert isolated.wallet >= Decimal(15_000) - Decimal("4997.30") - fees[MarginMode.ISOLATED]
    assert isolated.wallet > Decimal(9_900), "the ~10,000 outside the isolated position is untouched"
    assert cross.liquidated and cross.wallet < 1, "the whole cross wallet went with the long"
    assert cross.lost > isolated.lost + Decimal(9_000)

    text = out.getvalue()
    names, columns, *rows = text.split("\n\n")[1].splitlines()
    assert "CROSS" in names and "ISOLATED" in names
    assert columns.count("margin bal.") == 2 and columns.count("liq. price") == 2
    assert len(rows) == len(result.steps) and all(row.count(" | ") == 2 for row in rows)
    assert rows[-1].count("LIQUIDATED") == 2
    assert "isolated margin capped the loss" in text


async def test_the_btc_collateral_run_shows_the_btc_backed_long_liquidated_first(live: LiveExchange) -> None:
    """flash-crash, seed 7, 20x: both accounts buy 1.540 BTC (sized at the mark 64,900 as in the run above)
    from the same book: 0.034 @ 65,003.9, 0.381 @ 64,990.9, 0.305 @ 64,977.9, 0.244 @ 64,964.9,
    0.195 @ 64,952.0, 0.156 @ 64,939.0, 0.125 @ 64,926.0, 0.100 @ 64,913.0: entry notional E = 100,044.5346,
    taker fee E x 0.05% = 50.0222673. The BTC-backed account holds 15,000 / 64,900 = 0.23112480... -> 0.2311248
    BTC, worth the USDT account's 15,000 at that mark; it borrows the fee: USDT -50.0222673.

    Both liquidation prices use tier 2 (MMR 0.5%, cum 50; the notional stays within 50,000-250,000):
    - USDT: W = 15,000 - 50.0222673 = 14,949.9777327; W + 1.54 P - E <= 0.0077 P - 50 gives
      P <= (E - W - 50) / 1.5323 = 85,044.5568673 / 1.5323 = 55,501.24444776;
    - BTC: the collateral counts 0.2311248 x 95% = 0.21956856 P: -50.0222673 + 0.21956856 P + 1.54 P - E
      <= 0.0077 P - 50 gives P <= (E + 50.0222673 - 50) / 1.75186856 = 57,107.34192712.
    So the BTC-backed long is liquidated about 1,606 higher, and its collateral column falls with the mark
    while it is open; the USDT-backed one is still open when the BTC-backed one goes."""
    out = io.StringIO()
    settings = margin_modes.Settings(seed=7)
    result = await margin_modes.run_btc_collateral(Endpoint(live.target), ADMIN_TOKEN, settings, out)

    assert result.btc_deposit == Decimal("0.2311248")
    for key in result.api_keys.values():
        async with AsyncClient(live.target, api_key=key) as client:
            opening = [fill async for fill in client.fills(BTC) if not fill.is_liquidation]
        assert sum(fill.price * fill.quantity for fill in opening) == Decimal("100044.5346")
        assert sum(fill.fee or Decimal(0) for fill in opening) == Decimal("50.0222673")
    first = result.steps[0]
    assert first.usdt.size == first.btc.size == Decimal("1.540")
    assert (first.usdt.wallet, first.btc.wallet) == (Decimal("14949.9777327"), Decimal("-50.0222673"))
    assert result.usdt.opening_liquidation_price == Decimal("55501.24444776")
    assert result.btc.opening_liquidation_price == Decimal("57107.34192712")

    open_steps = [step for step in result.steps if step.btc.size]
    values = [step.collateral for step in open_steps]
    assert len(values) > 2 and values == sorted(values, reverse=True) and len(set(values)) == len(values)
    assert result.btc.liquidated_at is not None and result.btc.liquidated_mark is not None
    assert result.btc.liquidated_mark <= Decimal("57107.34192712")
    assert result.usdt.liquidated_at is None or result.btc.liquidated_at < result.usdt.liquidated_at
    gone = next(step for step in result.steps if not step.btc.size)
    assert gone.usdt.size == Decimal("1.540") and gone.usdt.status != "LIQUIDATED"

    text = out.getvalue()
    names, columns, *rows = text.split("\n\n")[1].splitlines()
    assert "USDT COLLATERAL" in names and "BTC COLLATERAL" in names
    assert columns.split()[-1] == "collateral" and len(rows) == len(result.steps)
    assert "the BTC-backed account was liquidated first" in text
