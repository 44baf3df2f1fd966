"""Hedge mode end to end over gRPC with the SDK: the mode is switched and read back, orders name their
leg, a LONG and a SHORT leg of one symbol show as two positions, orders and positions carry their leg,
the venue's refusals reach the caller, and a restart replays the journal to the same legs."""

from decimal import Decimal
from pathlib import Path

import pytest

from paperex import AsyncClient, PlaceOrder, PositionMode, PositionSide, Side
from paperex.client.errors import CloseExceedsPosition, PositionModeChangeWithOpenPosition, PositionSideMismatch
from tests.server.conftest import Exchange, serving

BTC = "BTCUSDT"


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
