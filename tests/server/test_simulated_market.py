"""A simulated clock over the wire: scenarios move the index (the mark follows), the liquidity provider
quotes around it, alerts fire, funding settles on time, and a flash crash liquidates an over-leveraged
cross account while an isolated one keeps the rest of its wallet."""

import asyncio
from collections.abc import AsyncIterator
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from paperex.server.grpc_api.app import ExchangeServer
from paperex.v1 import account_pb2, admin_pb2, common_pb2, market_data_pb2, trading_pb2
from tests.server.conftest import ADMIN_TOKEN, Client, Exchange, config, error_info, serving

HOUR = 3600


def hours(count: float) -> duration_pb2.Duration:
    span = duration_pb2.Duration()
    span.FromSeconds(int(count * HOUR))
    return span


@pytest.fixture
async def simulated(tmp_path: Path) -> AsyncIterator[Exchange]:
    """With the liquidity provider quoting; its own journal (the ``exchange`` fixture may run beside it)."""
    (tmp_path / "simulated").mkdir()
    async with serving(tmp_path / "simulated", clock="simulated", liquidity=True) as running:
        yield running


async def advance(exchange: Exchange, span: duration_pb2.Duration) -> admin_pb2.AdvanceTimeResponse:
    return await exchange.admin.admin.AdvanceTime(
        admin_pb2.AdvanceTimeRequest(duration=span), metadata=exchange.admin.auth
    )


async def test_time_stands_still_until_advanced_and_a_wall_clock_refuses_to_advance(
    simulated: Exchange, exchange: Exchange
) -> None:
    admin = simulated.admin
    before = await admin.admin.GetClock(admin_pb2.GetClockRequest(), metadata=admin.auth)
    assert before.mode == admin_pb2.CLOCK_MODE_SIMULATED
    # 2026-01-01T00:00:00Z
    assert before.time.seconds == 1_767_225_600
    moved = await advance(simulated, hours(1))
    assert moved.time.seconds == 1_767_225_600 + HOUR and moved.steps == HOUR
    after = await admin.admin.GetClock(admin_pb2.GetClockRequest(), metadata=admin.auth)
    assert after.time.seconds == 1_767_225_600 + HOUR

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await advance(exchange, hours(1))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_span_above_the_cap_is_refused_whole(simulated: Exchange) -> None:
    """At most 604,800 feed steps per call (a week of 1 s steps). From 2026-01-01T00:00:00Z, 400 days
    are 400 x 86,400 = 34,560,000 s: steps at +1 s ... +34,559,999 s and the end itself, 34,560,000
    steps; a week and a second is 604,801; Step(count=10**9) is 10**9. Each is refused at once (no
    step is made or held in memory first), naming the cap, and time does not move."""
    admin = simulated.admin
    before = await admin.admin.GetClock(admin_pb2.GetClockRequest(), metadata=admin.auth)
    week_and_a_second = duration_pb2.Duration(seconds=7 * 86_400 + 1)
    for request, field, steps, asked in (
        (admin_pb2.AdvanceTimeRequest(duration=hours(400 * 24)), "duration", 34_560_000, "34560000s"),
        (admin_pb2.AdvanceTimeRequest(duration=week_and_a_second), "duration", 604_801, "604801s"),
        (
            admin_pb2.AdvanceTimeRequest(until=timestamp_pb2.Timestamp(seconds=1_767_225_600 + 400 * 86_400)),
            "until",
            34_560_000,
            "34560000s",
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await admin.admin.AdvanceTime(request, metadata=admin.auth, timeout=20)
        assert_too_long(refused.value, field, steps, asked)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await admin.admin.Step(admin_pb2.StepRequest(count=10**9), metadata=admin.auth, timeout=20)
    assert_too_long(refused.value, "count", 10**9, "1000000000s")
    after = await admin.admin.GetClock(admin_pb2.GetClockRequest(), metadata=admin.auth)
    assert after.time == before.time


def assert_too_long(error: grpc.aio.AioRpcError, field: str, steps: int, asked: str) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    info = error_info(error)
    assert info.reason == "INVALID_ARGUMENT"
    assert dict(info.metadata) == {
        "max_steps": "604800",
        "steps": str(steps),
        "max_duration": "604800s",
        "duration": asked,
        "field": field,
    }
    assert "at most 604,800 feed steps per call (604800s at the 1s step)" in error.details()


async def test_a_scenario_moves_the_index_and_the_provider_quotes_around_it(simulated: Exchange) -> None:
    admin = simulated.admin
    loaded = await admin.admin.LoadScenario(
        admin_pb2.LoadScenarioRequest(name="flash-crash", seed=7), metadata=admin.auth
    )
    assert loaded.scenario.name == "flash-crash" and "BTCUSDT" in loaded.scenario.symbols
    ticker = (await admin.market.GetTicker(market_data_pb2.GetTickerRequest(symbol="BTCUSDT"))).ticker
    assert ticker.index_price == "64900.0"
    book = (await admin.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol="BTCUSDT", depth=3))).book
    assert book.bids and book.asks, "the liquidity provider quotes as soon as an index exists"
    assert float(book.bids[0].price) < 64900 < float(book.asks[0].price)

    await advance(simulated, hours(1))
    crashed = (await admin.market.GetTicker(market_data_pb2.GetTickerRequest(symbol="BTCUSDT"))).ticker
    # the script: -20% over the first hour, 64,900 -> 51,920
    assert crashed.index_price == "51920.0"
    assert abs(float(crashed.mark_price) - 51920) < 51920 * 0.01
    book = (await admin.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol="BTCUSDT", depth=1))).book
    assert float(book.bids[0].price) < 51920 < float(book.asks[0].price), "the quotes followed the index"
    listed = await admin.admin.ListAccounts(admin_pb2.ListAccountsRequest(), metadata=admin.auth)
    assert listed.accounts == [], "the provider's account is not a user account"
    state = simulated.server.sequencer.exchange
    provider = next(entry.account_id for entry in state.accounts.values() if entry.internal)
    assert state.engine.open_orders(provider, "BTCUSDT"), "the provider quotes"
    assert provider not in state.user_events, "no key can read the provider's events: none are kept"


async def test_a_flash_crash_liquidates_the_cross_long_and_spares_the_isolated_wallet(simulated: Exchange) -> None:
    admin = simulated.admin
    await admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(name="flash-crash", seed=7), metadata=admin.auth)
    cross = await simulated.open_account("cross", deposit="15000")
    isolated = await simulated.open_account("isolated", deposit="15000")
    await isolated.account.SetMarginMode(
        account_pb2.SetMarginModeRequest(symbol="BTCUSDT", margin_mode=common_pb2.MARGIN_MODE_ISOLATED),
        metadata=isolated.auth,
    )
    buy = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT", side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="1.500"
    )
    for client in (cross, isolated):
        await client.account.SetLeverage(
            account_pb2.SetLeverageRequest(symbol="BTCUSDT", leverage=20), metadata=client.auth
        )
        await client.trading.PlaceOrder(buy, metadata=client.auth)
    before = {}
    for name, client in (("cross", cross), ("isolated", isolated)):
        summary = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account
        (position,) = summary.positions
        before[name] = (summary, float(position.liquidation_price))

    await advance(simulated, hours(1))

    cross_after = (await cross.account.GetAccount(account_pb2.GetAccountRequest(), metadata=cross.auth)).account
    isolated_after = (
        await isolated.account.GetAccount(account_pb2.GetAccountRequest(), metadata=isolated.auth)
    ).account
    assert cross_after.positions == [] and isolated_after.positions == []
    # cross: the whole wallet backed the long and is gone; isolated: at most the position's margin is
    # lost (a partial liquidation by tier releases the closed part's share of it back to the wallet)
    assert float(cross_after.wallet_balance) < 1
    kept = float(before["isolated"][0].cross_wallet_balance)
    isolated_margin = float(before["isolated"][0].positions[0].isolated_wallet)
    assert kept <= float(isolated_after.wallet_balance) <= kept + isolated_margin
    assert kept > 10_000, "the isolated account still holds the 15,000 minus the ~5,000 it put at risk"
    trades = await cross.trading.ListTrades(trading_pb2.ListTradesRequest(symbol="BTCUSDT"), metadata=cross.auth)
    liquidation = [fill for fill in trades.fills if fill.is_liquidation]
    assert liquidation, "the cross long was closed by liquidation orders"
    # Liquidation fills happen at the reported liquidation price (55,238.3 with seed 7) less the
    # slippage of a thin crash book: within 1% below it, never above it.
    reported = before["cross"][1]
    assert all(reported * 0.99 <= float(fill.price) <= reported for fill in liquidation)


async def test_a_price_alert_fires_once_on_the_stream_when_the_crash_crosses_its_level(simulated: Exchange) -> None:
    admin = simulated.admin
    await admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(name="flash-crash", seed=7), metadata=admin.auth)
    watcher = await simulated.open_account("watcher", deposit="1000")
    created = await watcher.account.CreatePriceAlert(
        account_pb2.CreatePriceAlertRequest(
            symbol="BTCUSDT", direction=account_pb2.ALERT_DIRECTION_CROSSES_BELOW, price="60000.0", note="buffer"
        ),
        metadata=watcher.auth,
    )
    summary = (await watcher.account.GetAccount(account_pb2.GetAccountRequest(), metadata=watcher.auth)).account
    stream = watcher.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=summary.cursor), metadata=watcher.auth
    )
    await advance(simulated, hours(1))
    reply = await asyncio.wait_for(stream.read(), 10)
    stream.cancel()
    fired = reply.event.price_alert_triggered
    assert (fired.alert.alert_id, fired.alert.note, fired.alert.fired) == (created.alert.alert_id, "buffer", 1)
    assert float(fired.price) <= 60000 < float(fired.price) + 64900 * 0.01, "the first mark at or below the level"
    remaining = await watcher.account.ListPriceAlerts(account_pb2.ListPriceAlertsRequest(), metadata=watcher.auth)
    assert remaining.alerts == [], "a one-shot alert is gone once it fired"


async def test_the_provider_keeps_a_two_sided_book_through_the_crash(simulated: Exchange) -> None:
    admin = simulated.admin
    await admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(name="flash-crash", seed=7), metadata=admin.auth)
    for _ in range(12):  # the crash hour in five-minute steps
        await advance(simulated, hours(1 / 12))
        ticker = (await admin.market.GetTicker(market_data_pb2.GetTickerRequest(symbol="BTCUSDT"))).ticker
        book = (await admin.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol="BTCUSDT", depth=1))).book
        assert book.bids and book.asks, f"one-sided book at index {ticker.index_price}"
        assert float(book.bids[0].price) < float(ticker.index_price) < float(book.asks[0].price)


async def test_funding_settles_at_the_eight_hour_boundary_while_time_is_advanced(simulated: Exchange) -> None:
    admin = simulated.admin
    await admin.admin.LoadScenario(admin_pb2.LoadScenarioRequest(name="calm", seed=3), metadata=admin.auth)
    trader = await simulated.open_account("trader", deposit="100000")
    buy = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT", side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="0.100"
    )
    await trader.trading.PlaceOrder(buy, metadata=trader.auth)
    summary = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account
    stream = trader.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=summary.cursor), metadata=trader.auth
    )
    await advance(simulated, hours(9))
    settled = []
    while len(settled) < 1:
        reply = await asyncio.wait_for(stream.read(), 10)
        if reply.event.WhichOneof("event") == "funding_settled":
            settled.append(reply.event.funding_settled)
    stream.cancel()
    (funding,) = settled
    # the simulation starts at 2026-01-01T00:00:00Z; Binance settles at 00:00, 08:00 and 16:00 UTC
    assert funding.funding_time.seconds == 1_767_225_600 + 8 * HOUR
    assert funding.position_size == "0.100"
    # size x mark x rate, the payer rounding up to 1e-8: a long pays a positive rate, so the payment
    # (what the account received) is negative
    exact = Decimal(funding.position_size) * Decimal(funding.mark_price) * Decimal(funding.funding_rate)
    paid = exact.quantize(Decimal("1e-8"), rounding=ROUND_CEILING)
    assert Decimal(funding.payment) == -paid


async def test_the_same_seed_and_commands_give_the_same_market(tmp_path: Path) -> None:
    hashes = []
    for run in ("first", "second"):
        server = ExchangeServer(config(tmp_path / run, clock="simulated", liquidity=True))
        (tmp_path / run).mkdir()
        port = await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                exchange = Exchange(server, "", channel, Client(channel, ADMIN_TOKEN))
                await exchange.admin.admin.LoadScenario(
                    admin_pb2.LoadScenarioRequest(name="chop", seed=11), metadata=exchange.admin.auth
                )
                trader = await exchange.open_account("trader")
                sell = trading_pb2.PlaceOrderRequest(
                    symbol="ETHUSDT",
                    side=common_pb2.SIDE_SELL,
                    order_type=common_pb2.ORDER_TYPE_MARKET,
                    quantity="2.000",
                )
                await trader.trading.PlaceOrder(sell, metadata=trader.auth)
                await advance(exchange, hours(2))
            hashes.append(server.sequencer.exchange.engine.state_hash())
        finally:
            await server.stop()
    assert hashes[0] == hashes[1]


async def test_the_provider_quotes_by_its_configuration(simulated: Exchange) -> None:
    admin = simulated.admin
    await admin.admin.SetIndexPrice(
        admin_pb2.SetIndexPriceRequest(symbol="BTCUSDT", price="50000"), metadata=admin.auth
    )
    config = "[BTCUSDT]\nlevels = 3\nhalf_spread_bps = 10\nlevel_spacing_bps = 10\nbase_qty = 0.5\nsize_growth = 2\n"
    await admin.admin.SetLiquidityProvider(
        admin_pb2.SetLiquidityProviderRequest(enabled=True, config_toml=config), metadata=admin.auth
    )
    book = (await admin.market.GetOrderBook(market_data_pb2.GetOrderBookRequest(symbol="BTCUSDT"))).book
    # 10, 20, 30 bps from 50,000: bids 49,950 / 49,900 / 49,850, asks 50,050 / 50,100 / 50,150;
    # sizes 0.5, 1.0, 2.0 BTC
    assert [(level.price, level.quantity) for level in book.bids] == [
        ("49950.0", "0.500"),
        ("49900.0", "1.000"),
        ("49850.0", "2.000"),
    ]
    assert [(level.price, level.quantity) for level in book.asks] == [
        ("50050.0", "0.500"),
        ("50100.0", "1.000"),
        ("50150.0", "2.000"),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await admin.admin.SetLiquidityProvider(
            admin_pb2.SetLiquidityProviderRequest(enabled=True, config_toml="[BTCUSDT]\nlevels = 'many'"),
            metadata=admin.auth,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
