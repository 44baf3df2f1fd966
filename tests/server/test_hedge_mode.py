"""Hedge mode end to end over gRPC with the SDK: the mode is switched and read back, orders name their
leg, a LONG and a SHORT leg of one symbol show as two positions, orders and positions carry their leg,
the venue's refusals reach the caller, a restart replays the journal to the same legs, and every event
of a leg (margin call, liquidation, funding, balance change) and its liquidation record name it."""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import duration_pb2

from paperex import AsyncClient, PlaceOrder, PositionMode, PositionSide, Side
from paperex.client import models
from paperex.client.commands import AmendOrder
from paperex.client.enums import BalanceChangeReason
from paperex.client.errors import CloseExceedsPosition, PositionModeChangeWithOpenPosition, PositionSideMismatch
from paperex.client.models import EventCursor
from paperex.v1 import admin_pb2
from tests.server.conftest import Exchange, serving

BTC = "BTCUSDT"
FUNDING = BalanceChangeReason.FUNDING


async def makers_quote(exchange: Exchange) -> None:
    """Carol offers 1 BTC at 64,900 (the mark) and Dave bids for 1 BTC at 64,800."""
    for name, side, price in (("carol", Side.SELL, "64900"), ("dave", Side.BUY, "64800")):
        maker = await exchange.open_account(name)
        async with AsyncClient(exchange.address, api_key=maker.key) as sdk:
            await sdk.place_order(PlaceOrder(BTC, side, "1.000", price=price))


async def open_both_legs(exchange: Exchange, sdk: AsyncClient) -> None:
    """Alice, in hedge mode, buys 0.1 BTC into her LONG leg (at 64,900) and sells 0.05 into her SHORT leg
    (at 64,800)."""
    await exchange.set_mark(BTC, "64900")
    await makers_quote(exchange)
    assert await sdk.set_position_mode("hedge") is PositionMode.HEDGE
    await sdk.place_order(PlaceOrder(BTC, Side.BUY, "0.100", position_side=PositionSide.LONG))
    await sdk.place_order(PlaceOrder(BTC, Side.SELL, "0.050", position_side="short"))


async def test_a_long_and_a_short_leg_show_as_two_positions(exchange: Exchange) -> None:
    """Taker fees 0.05% of 6,490 (3.245) and of 3,240 (1.62): the wallet keeps 99,995.135."""
    alice = await exchange.open_account("alice")
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        assert await sdk.position_mode() is PositionMode.ONE_WAY
        await open_both_legs(exchange, sdk)

        assert await sdk.position_mode() is PositionMode.HEDGE
        legs = {p.position_side: (p.size, p.entry_price) for p in await sdk.positions()}
        assert legs == {
            PositionSide.LONG: (Decimal("0.100"), Decimal("64900.0")),
            PositionSide.SHORT: (Decimal("-0.050"), Decimal("64800.0")),
        }
        assert (await sdk.account()).wallet_balance == Decimal("99995.135")
        history = [order async for order in sdk.orders(BTC)]
        assert [order.position_side for order in history] == [PositionSide.SHORT, PositionSide.LONG]


async def test_the_venues_refusals_reach_the_caller(exchange: Exchange) -> None:
    alice = await exchange.open_account("alice")
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        await open_both_legs(exchange, sdk)
        with pytest.raises(PositionModeChangeWithOpenPosition):
            await sdk.set_position_mode(PositionMode.ONE_WAY)
        with pytest.raises(PositionSideMismatch):
            await sdk.place_order(PlaceOrder(BTC, Side.BUY, "0.010", price="64000"))
        with pytest.raises(CloseExceedsPosition) as refused:
            await sdk.place_order(PlaceOrder(BTC, Side.SELL, "0.200", price="65000", position_side="long"))
        assert (refused.value.metadata["quantity"], refused.value.metadata["closable"]) == ("0.200", "0.100")


async def test_a_restart_replays_the_legs(tmp_path: Path) -> None:
    async with serving(tmp_path) as exchange:
        alice = await exchange.open_account("alice")
        async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
            await open_both_legs(exchange, sdk)
            before = sorted((p.position_side, p.size) for p in await sdk.positions())
    async with serving(tmp_path) as again, AsyncClient(again.address, api_key=alice.key) as sdk:
        assert await sdk.position_mode() is PositionMode.HEDGE
        assert sorted((p.position_side, p.size) for p in await sdk.positions()) == before


async def events_until(
    sdk: AsyncClient, after: EventCursor | None, wanted: Callable[[Any], bool], times: int = 1
) -> list[Any]:
    """The payloads of the account's events after ``after``, up to the ``times``-th one ``wanted``."""
    seen: list[Any] = []
    async for event in sdk.user_events(after):
        seen.append(event.event)
        times -= wanted(event.event)
        if not times:
            return seen
    raise AssertionError(f"the stream ended with {seen}")


async def isolated_legs(exchange: Exchange, sdk: AsyncClient) -> None:
    """Alice, in hedge mode and isolated at 20x, buys LONG 0.1 at 64,900 and sells SHORT 0.05 at 64,800:
    the SHORT leg's wallet holds 0.05 x 64,800 / 20 = 162 less its fee 1.62 = 160.38."""
    await exchange.set_mark(BTC, "64900")
    await makers_quote(exchange)
    await sdk.set_position_mode("hedge")
    await sdk.set_margin_mode(BTC, "isolated")
    await sdk.place_order(PlaceOrder(BTC, Side.BUY, "0.100", position_side="long"))
    await sdk.place_order(PlaceOrder(BTC, Side.SELL, "0.050", position_side="short"))


async def test_an_isolated_legs_margin_call_liquidation_and_record_name_the_leg(exchange: Exchange) -> None:
    """SHORT leg at price P: balance 160.38 + 0.05 x (64,800 - P) = 3,400.38 - 0.05 P, MM 0.05 x P x 0.4%.
    At 67,650: 17.88 against 13.53, ratio 0.7567: the 70% call. At 68,000: 0.38 against 13.6: the leg is
    liquidated, bought back from Carol's ask at 64,900. Every event of it, its balance changes and its
    ListLiquidations record say SHORT; the LONG leg is left as it was."""
    alice = await exchange.open_account("alice")
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        await isolated_legs(exchange, sdk)
        start = (await sdk.account()).cursor
        await exchange.set_mark(BTC, "67650")
        await exchange.set_mark(BTC, "68000")
        seen = await events_until(sdk, start, lambda e: isinstance(e, models.PositionLiquidated))
        records = [record async for record in sdk.liquidations(BTC)]
        legs = {p.position_side: p.size for p in await sdk.positions()}

    [call] = [e for e in seen if isinstance(e, models.MarginCallIssued)]
    assert (call.position_side, call.threshold, call.margin_balance, call.maintenance_margin) == (
        PositionSide.SHORT,
        Decimal("0.7"),
        Decimal("17.88"),
        Decimal("13.53"),
    )
    [started] = [e for e in seen if isinstance(e, models.LiquidationStarted)]
    assert (started.position_side, started.margin_balance, started.maintenance_margin) == (
        PositionSide.SHORT,
        Decimal("0.38"),
        Decimal("13.6"),
    )
    assert seen[-1].position_side is PositionSide.SHORT
    moves = [e for e in seen if isinstance(e, models.BalanceChanged) and e.isolated_change is not None]
    assert moves and {move.position_side for move in moves} == {PositionSide.SHORT}
    [record] = records
    assert (record.position_side, record.margin_balance) == (PositionSide.SHORT, Decimal("0.38"))
    assert [call.margin_call.position_side for call in record.margin_calls] == [PositionSide.SHORT]
    assert legs == {PositionSide.LONG: Decimal("0.100")}


async def test_funding_pays_each_leg_and_names_it(simulated: Exchange) -> None:
    """Long 0.1 and short 0.05 BTC, mark 64,900, no premium: the 8-hour rate is the interest rate 0.01%.
    The LONG leg pays 0.1 x 64,900 x 0.0001 = 0.649, the SHORT leg receives 0.05 x 64,900 x 0.0001 =
    0.3245; each payment and its cross wallet change name their leg."""
    alice = await simulated.open_account("alice")
    async with AsyncClient(simulated.address, api_key=alice.key) as sdk:
        await open_both_legs(simulated, sdk)
        start = (await sdk.account()).cursor
        await simulated.admin.admin.AdvanceTime(
            admin_pb2.AdvanceTimeRequest(duration=duration_pb2.Duration(seconds=9 * 3600)),
            metadata=simulated.admin.auth,
        )
        seen = await events_until(sdk, start, lambda e: getattr(e, "reason", None) is FUNDING, times=2)

    payments = {e.position_side: e.payment for e in seen if isinstance(e, models.FundingSettled)}
    assert payments == {PositionSide.LONG: Decimal("-0.649"), PositionSide.SHORT: Decimal("0.3245")}
    changes = {e.position_side: e.change for e in seen if getattr(e, "reason", None) is FUNDING}
    assert changes == payments


async def test_the_preview_prices_the_leg_an_order_names(exchange: Exchange) -> None:
    """Long 0.1 at 64,900 and short 0.05 at 64,800, mark 64,900, cross at 20x. SELL/SHORT 0.05 at 64,900
    opens more of the short: initial margin 0.05 x 64,900 / 20 = 162.25, fee 3,245 x 0.05% = 1.6225,
    cost 163.8725; the SHORT leg after holds -0.1 entered at (3,240 + 3,245) / 0.1 = 64,850. SELL/LONG
    0.04 closes part of the long: cost 0, the LONG leg after holds 0.06. Without a leg the preview is
    refused as the order would be."""
    alice = await exchange.open_account("alice")
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        await open_both_legs(exchange, sdk)
        opening = await sdk.preview_order(PlaceOrder(BTC, Side.SELL, "0.050", price="64900", position_side="short"))
        closing = await sdk.preview_order(PlaceOrder(BTC, Side.SELL, "0.040", price="64900", position_side="long"))
        with pytest.raises(PositionSideMismatch):
            await sdk.preview_order(PlaceOrder(BTC, Side.SELL, "0.040", price="64900"))

    shown = opening.current_mode
    assert (shown.initial_margin, shown.fee, shown.order_cost) == (
        Decimal("162.25"),
        Decimal("1.6225"),
        Decimal("163.8725"),
    )
    assert shown.position_after is not None
    assert (shown.position_after.position_side, shown.position_after.size, shown.position_after.entry_price) == (
        PositionSide.SHORT,
        Decimal("-0.100"),
        Decimal("64850.0"),
    )
    after = closing.current_mode.position_after
    assert closing.current_mode.order_cost == 0 and after is not None
    assert (after.position_side, after.size) == (PositionSide.LONG, Decimal("0.060"))


async def test_an_amended_closing_order_is_bounded_by_its_leg(exchange: Exchange) -> None:
    """Long 0.1: SELL/LONG 0.06 at 66,000 and 0.04 at 66,100 rest. Amending the first to 0.08 would close
    0.12 of 0.1: refused with quantity 0.080 and closable 0.1 - 0.04 = 0.060."""
    alice = await exchange.open_account("alice")
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        await open_both_legs(exchange, sdk)
        first = await sdk.place_order(PlaceOrder(BTC, Side.SELL, "0.060", price="66000", position_side="long"))
        await sdk.place_order(PlaceOrder(BTC, Side.SELL, "0.040", price="66100", position_side="long"))
        with pytest.raises(CloseExceedsPosition) as refused:
            await sdk.amend_order(AmendOrder(BTC, order_id=first.order.order_id, quantity="0.080"))
        remaining = sorted(order.remaining_quantity for order in await sdk.open_orders(BTC))

    assert (refused.value.metadata["quantity"], refused.value.metadata["closable"]) == ("0.080", "0.060")
    assert remaining == [Decimal("0.040"), Decimal("0.060")]


async def test_each_leg_shows_its_own_place_in_the_adl_queue(exchange: Exchange) -> None:
    """At mark 64,900 Dave's long (0.05 bought at 64,800) gains 5 and leads the longs; Alice's LONG leg
    (flat at its entry) scores 0: of two longs she is second, 5 - floor(5 x 1/2) = 3. Her SHORT leg (sold
    at 64,800, losing 5) and Carol's short (flat) both score 0 and queue by account id, Alice first: 5.
    One light per account would show 5 on both legs."""
    alice = await exchange.open_account("alice")
    async with AsyncClient(exchange.address, api_key=alice.key) as sdk:
        await open_both_legs(exchange, sdk)
        listed = {p.position_side: p.adl_quantile for p in await sdk.positions()}
        shown = {p.position_side: p.adl_quantile for p in (await sdk.account()).positions}

    assert listed == shown == {PositionSide.LONG: 3, PositionSide.SHORT: 5}
