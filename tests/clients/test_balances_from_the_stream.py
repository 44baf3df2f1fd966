"""A bot that keeps its balances from StreamUserEvents alone, as Binance bots do from ACCOUNT_UPDATE,
ends the flash crash with exactly the wallets GetAccount reports: every wallet move (fills' PnL and
fees, isolated margin in and out, liquidation fees and clearing, auto-deleverage, funding) arrives as
a BalanceChanged event with the balances right after it.

The wallets are compared with the exchange's own figures, not with hand figures: the test is that
two independent paths (the fold of the stream, the exchange's state) agree to the unit, through a
crash that liquidates cross and isolated positions and, with the liquidity provider thinned, reaches
the insurance fund.
"""

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from paperex.client.client import AsyncClient
from paperex.client.commands import PlaceOrder
from paperex.client.enums import BalanceChangeReason, MarginMode, Side
from paperex.client.models import BalanceChanged, PositionLiquidated
from paperex.client.testing.harness import Paperex
from paperex.client.tracker import AccountTracker

pytestmark = pytest.mark.asyncio


async def follow(tracker: AccountTracker, reasons: set[BalanceChangeReason], liquidated: list[str]) -> None:
    async for update in tracker.events():
        if isinstance(update.event, BalanceChanged):
            reasons.add(update.event.reason)
        elif isinstance(update.event, PositionLiquidated):
            liquidated.append(update.event.symbol)


async def live_through(paperex: Paperex, span: timedelta) -> None:
    """Advances the simulated clock five minutes a call: each call stays well inside the client's
    deadline however busy the machine is (an hour of a crash in one call took over 10 s under load)."""
    step = timedelta(minutes=5)
    while span > timedelta(0):
        await paperex.advance(min(step, span))
        span -= step


async def caught_up(tracker: AccountTracker, client: AsyncClient) -> None:
    """Until the tracker has applied every event GetAccount's figures include (a deadline, no sleep)."""
    target = (await client.account()).cursor
    async with asyncio.timeout(10):
        while target is not None and (tracker.cursor is None or tracker.cursor < target):
            await asyncio.sleep(0.01)


@pytest.mark.paperex(scenario="flash-crash", seed=7)
async def test_wallets_kept_from_the_stream_equal_the_exchanges_after_the_flash_crash(paperex: Paperex) -> None:
    cross = await paperex.account("cross", deposit="1000")
    await cross.set_leverage("BTCUSDT", 20)
    await cross.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.300"))
    hedged = await paperex.account("hedged", deposit="15000")
    await hedged.set_margin_mode("BTCUSDT", MarginMode.ISOLATED)
    await hedged.set_leverage("BTCUSDT", 20)
    await hedged.place_order(PlaceOrder("BTCUSDT", Side.BUY, "1.540"))
    await hedged.place_order(PlaceOrder("ETHUSDT", Side.SELL, "5.000"))  # cross, profits in the crash
    short = await paperex.account("short", deposit="5000")
    await short.place_order(PlaceOrder("BTCUSDT", Side.SELL, "0.200"))
    clients = (cross, hedged, short)
    trackers = [AccountTracker(client) for client in clients]
    reasons: set[BalanceChangeReason] = set()
    liquidated: list[str] = []
    for tracker in trackers:
        await tracker.sync()
    tasks = [asyncio.create_task(follow(tracker, reasons, liquidated)) for tracker in trackers]
    try:
        await live_through(paperex, timedelta(hours=1))
        await hedged.place_order(PlaceOrder("ETHUSDT", Side.BUY, "5.000", reduce_only=True))  # takes its profit
        await live_through(paperex, timedelta(minutes=30))

        for tracker, client in zip(trackers, clients, strict=True):
            await caught_up(tracker, client)
            summary = await client.account()
            isolated = {p.symbol: p.isolated_wallet for p in summary.positions if p.isolated_wallet}
            assert (tracker.wallet_balance, tracker.cross_wallet_balance, tracker.isolated_wallets) == (
                summary.wallet_balance,
                summary.cross_wallet_balance,
                isolated,
            )
    finally:
        for task in tasks:
            task.cancel()
    assert "BTCUSDT" in liquidated  # the crash liquidated someone: the test went through liquidations
    assert {BalanceChangeReason.REALIZED_PNL, BalanceChangeReason.FEE} <= reasons
    assert reasons & {BalanceChangeReason.INSURANCE_CLEAR, BalanceChangeReason.INSURANCE_FUND_COVER}
    ledger = await paperex.admin.ledger()
    assert ledger.conserved and ledger.imbalance == Decimal(0)
