"""Margin truth over the wire: isolated margin calls with the account's own ratio, auto-deleverage as
fills in both accounts' histories, a trailing stop's moving trigger, the insurance funds per symbol
and the liquidation fee model an instrument declares.

Hand figures: 0.770 BTC bought at 64,900 (notional 49,973) isolated at 10x holds IM 4,997.3 less the
0.05% taker fee 24.9865: an isolated wallet of 4,972.3135. Its bankruptcy price is 64,900 -
4,972.3135 / 0.770 = 58,442.45 (shown 58,442.5 for a long).
"""

import asyncio

from paperex.v1 import account_pb2, admin_pb2, common_pb2, market_data_pb2, trading_pb2
from tests.server.conftest import Client, Exchange


async def isolated_long(exchange: Exchange) -> tuple[Client, Client]:
    """(maker, trader): the trader holds 0.770 BTC from the maker, isolated at 10x, mark 64,900."""
    maker = await exchange.open_account("maker", deposit="1000000")
    trader = await exchange.open_account("trader", deposit="15000")
    await exchange.set_mark("BTCUSDT", "64900")
    await trader.account.SetMarginMode(
        account_pb2.SetMarginModeRequest(symbol="BTCUSDT", margin_mode=common_pb2.MARGIN_MODE_ISOLATED),
        metadata=trader.auth,
    )
    await trader.account.SetLeverage(
        account_pb2.SetLeverageRequest(symbol="BTCUSDT", leverage=10), metadata=trader.auth
    )
    sell = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT", side=common_pb2.SIDE_SELL, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity="0.770",
        price="64900.0",
    )  # fmt: skip
    await maker.trading.PlaceOrder(sell, metadata=maker.auth)
    buy = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT", side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="0.770"
    )
    await trader.trading.PlaceOrder(buy, metadata=trader.auth)
    return maker, trader


async def next_event(stream: object, kind: str) -> account_pb2.UserEvent:
    """The stream's next event of ``kind`` (others are skipped), within a deadline."""

    async def read() -> account_pb2.UserEvent:
        async for reply in stream:  # type: ignore[attr-defined]
            if reply.event.WhichOneof("event") == kind:
                return reply.event  # type: ignore[no-any-return]
        raise AssertionError(f"the stream ended before a {kind}")

    return await asyncio.wait_for(read(), timeout=10)


async def test_an_isolated_position_is_margin_called_with_its_own_ratio_to_8_decimals(exchange: Exchange) -> None:
    """At mark 58,778.3: balance 4,972.3135 + 0.770 x (58,778.3 - 64,900) = 258.6045, maintenance 0.770 x
    58,778.3 x 0.4% = 181.037164, ratio 181.037164 / 258.6045 = 0.700054190859... -> "0.70005419",
    past the 70% threshold; the position shows the same ratio."""
    _, trader = await isolated_long(exchange)
    start = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account.cursor
    stream = trader.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=start), metadata=trader.auth
    )

    await exchange.set_mark("BTCUSDT", "58778.3")

    call = (await next_event(stream, "margin_call_issued")).margin_call_issued
    stream.cancel()
    assert (call.margin_mode, call.symbol, call.threshold) == (common_pb2.MARGIN_MODE_ISOLATED, "BTCUSDT", "0.7")
    assert (call.margin_ratio, call.margin_balance, call.maintenance_margin) == ("0.70005419", "258.6045", "181.037164")
    summary = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account
    assert summary.positions[0].margin_ratio == "0.70005419"
    assert summary.margin_ratio == ""  # no cross position: the cross account has no ratio


async def test_auto_deleverage_shows_as_fills_in_both_accounts_and_not_in_the_tape(exchange: Exchange) -> None:
    """No bid: at mark 58,000 the long is closed against the maker, the only short, at 58,442.5 without
    fee. Trader: -0.770 x (64,900 - 58,442.5) = -4,972.275 realized; maker: +4,972.275. The last price
    stays 64,900 (the opening trade's)."""
    maker, trader = await isolated_long(exchange)

    await exchange.set_mark("BTCUSDT", "58000")

    trader_fills = (await trader.trading.ListTrades(trading_pb2.ListTradesRequest(), metadata=trader.auth)).fills
    maker_fills = (await maker.trading.ListTrades(trading_pb2.ListTradesRequest(), metadata=maker.auth)).fills
    closing, _opening = trader_fills  # newest first
    assert (closing.is_liquidation, closing.is_auto_deleverage) == (True, True)
    assert (closing.price, closing.quantity, closing.fee, closing.realized_pnl) == (
        "58442.5",
        "0.770",
        "0",
        "-4972.275",
    )
    taken, _ = maker_fills
    assert (taken.is_auto_deleverage, taken.side, taken.realized_pnl, taken.fee) == (
        True,
        common_pb2.SIDE_BUY,
        "4972.275",
        "0",
    )
    order = (
        await maker.trading.GetOrder(trading_pb2.GetOrderRequest(symbol="BTCUSDT", order_id=taken.order_id),
                                     metadata=maker.auth)
    ).order  # fmt: skip
    assert (order.is_auto_deleverage, order.status) == (True, common_pb2.ORDER_STATUS_FILLED)
    ticker = (await trader.market.GetTicker(market_data_pb2.GetTickerRequest(symbol="BTCUSDT"))).ticker
    assert ticker.last_price == "64900.0"


async def test_a_trailing_stop_streams_its_trigger_price_as_it_follows_the_mark(exchange: Exchange) -> None:
    """A sell trailing stop with a 1% callback armed at mark 64,900 fires at 64,251.0; at mark 65,500 its
    trigger follows to 65,500 x 0.99 = 64,845.0, which GetOrder shows too."""
    _, trader = await isolated_long(exchange)
    start = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account.cursor
    stream = trader.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=start), metadata=trader.auth
    )
    trailing = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT", side=common_pb2.SIDE_SELL, order_type=common_pb2.ORDER_TYPE_TRAILING_STOP_MARKET,
        quantity="0.770", callback_bps=100, reduce_only=True,
    )  # fmt: skip
    placed = (await trader.trading.PlaceOrder(trailing, metadata=trader.auth)).order

    armed = (await next_event(stream, "trailing_stop_moved")).trailing_stop_moved.order
    await exchange.set_mark("BTCUSDT", "65500")
    moved = (await next_event(stream, "trailing_stop_moved")).trailing_stop_moved.order
    stream.cancel()

    assert (armed.order_id, armed.stop_price) == (placed.order_id, "64251.0")
    assert moved.stop_price == "64845.0"
    query = trading_pb2.GetOrderRequest(symbol="BTCUSDT", order_id=placed.order_id)
    assert (await trader.trading.GetOrder(query, metadata=trader.auth)).order.stop_price == "64845.0"


async def test_the_operator_funds_a_symbols_insurance_fund(exchange: Exchange) -> None:
    """2,500 into BTCUSDT's fund: the funds show it apart, the total with it, and the ledger counts it as
    a contribution (money in = deposits 100,000 + 2,500)."""
    await exchange.open_account("someone", deposit="100000")
    admin = exchange.admin

    funded = await admin.admin.FundInsurance(
        admin_pb2.FundInsuranceRequest(symbol="BTCUSDT", amount="2500"), metadata=admin.auth
    )

    assert (funded.fund.symbol, funded.fund.balance) == ("BTCUSDT", "2500")
    funds = await admin.admin.GetInsuranceFund(admin_pb2.GetInsuranceFundRequest(), metadata=admin.auth)
    assert funds.balance == "2500"
    assert [(f.symbol, f.balance) for f in funds.funds] == [("BTCUSDT", "2500"), ("ETHUSDT", "0")]
    ledger = await admin.admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=admin.auth)
    assert (ledger.net_deposits, ledger.insurance_contributions, ledger.money_in_system, ledger.imbalance) == (
        "100000",
        "2500",
        "102500",
        "0",
    )


async def test_instruments_declare_their_liquidation_fee_model(exchange: Exchange) -> None:
    """Binance's model by default: a clearance fee of 0.3% (BTCUSDT) and 0.5% (ETHUSDT) of the
    liquidated notional, instead of a trading fee."""
    listed = await exchange.admin.market.ListInstruments(market_data_pb2.ListInstrumentsRequest())

    fees = {i.symbol: (i.liquidation_fee, i.liquidation_fee_rate) for i in listed.instruments}

    assert fees == {
        "BTCUSDT": (market_data_pb2.LIQUIDATION_FEE_MODEL_CLEARANCE, "0.003"),
        "ETHUSDT": (market_data_pb2.LIQUIDATION_FEE_MODEL_CLEARANCE, "0.005"),
    }
