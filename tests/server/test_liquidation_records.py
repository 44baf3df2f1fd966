"""ListLiquidations over the wire: a cross account liquidated twice, each record telling why and how.

Worked by hand from the default BTCUSDT spec: taker fee 0.05%, maintenance 0.4% of the notional at
mark (first bracket, no maintenance amount), clearance fee 0.3% of the liquidated notional to the
insurance fund, margin calls at ratios 70/80/90%. The clock is simulated and moves a minute between
steps (t0 = 2026-01-01T00:00Z, t1 = t0 + 1 min, ...).

Round 1 (a book liquidation). t0: the trader (1,000 USDT, 20x) buys 0.200 BTC at 64,900 from a resting
ask, fee 6.49: wallet 993.51; it sets a take-profit at 67,000 and the maker bids 0.200 at 60,000.
Margin balance at mark M is 993.51 + 0.2 x (M - 64,900), maintenance 0.2 x M x 0.004:
  t1 M 60,270: 67.51 against 48.216, ratio 0.7142053  -> margin call 70%
  t2 M 60,230: 59.51 against 48.184, ratio 0.80967905 -> margin call 80%
  t3 M 60,190: 51.51 against 48.152, ratio 0.93480877 -> margin call 90%
  t4 M 60,000: 13.51 against 48 -> liquidated. The take-profit is canceled; the liquidation order sells
  0.200 into the bid at 60,000: realized 0.2 x (60,000 - 64,900) = -980, no trading fee, clearance
  0.3% x 12,000 = 36, so the wallet is 993.51 - 980 - 36 = -22.49 and the fund covers it. Realized
  -980 - 36 = -1,016; the fund +36 - 22.49 = +13.51. Bankruptcy: 993.51 + 0.2 x (P - 64,900) = 0 ->
  P = 59,932.45, shown at the tick toward the entry: 59,932.5.
Round 2 (auto-deleverage). t5: 1,000 USDT deposited; the trader buys 0.200 at 60,000 from the maker's
ask, fee 6: wallet 994. Margin balance at M is 994 + 0.2 x (M - 60,000):
  t6 M 55,300: 54 against 44.24, ratio 0.81925926 -> one margin call, at 80% (the level jumps 0 -> 2)
  t7 M 55,000: -6 against 44 -> liquidated with no bid in the book: auto-deleveraged against the
  maker's short at the bankruptcy price 994 + 0.2 x (P - 60,000) = 0 -> P = 55,030, no fee: realized
  0.2 x (55,030 - 60,000) = -994, the wallet ends at exactly 0 and the fund is untouched.
The trader's income: +1,000, -6.49, -980, -36, +22.49, +1,000, -6, -994 = 0, its wallet.
"""

import grpc
import pytest
from google.protobuf import duration_pb2

from paperex.engine.accounts import MarginMode
from paperex.engine.events import LiquidationTriggered, MarginCallIssued
from paperex.engine.units import SCALE
from paperex.server.state.history import History
from paperex.server.state.liquidation_records import LiquidationRecords
from paperex.v1 import account_pb2, admin_pb2, common_pb2, errors_pb2, trading_pb2
from tests.server.conftest import Client, Exchange, btc_order, error_info

T0 = 1_767_225_600
"""2026-01-01T00:00:00Z, where a simulated clock starts."""
MINUTE = 60
CROSS = common_pb2.MARGIN_MODE_CROSS


async def minute_later(exchange: Exchange) -> None:
    await exchange.admin.admin.AdvanceTime(
        admin_pb2.AdvanceTimeRequest(duration=duration_pb2.Duration(seconds=MINUTE)), metadata=exchange.admin.auth
    )


async def mark_a_minute_later(exchange: Exchange, price: str) -> None:
    await minute_later(exchange)
    await exchange.set_mark("BTCUSDT", price)


async def liquidated_twice(exchange: Exchange) -> tuple[Client, Client, int]:
    """The two rounds of the module docstring; returns the trader, the maker and the take-profit's id."""
    await exchange.set_mark("BTCUSDT", "64900")
    maker = await exchange.open_account("maker", deposit="1000000")
    trader = await exchange.open_account("trader", deposit="1000")
    await trader.account.SetLeverage(
        account_pb2.SetLeverageRequest(symbol="BTCUSDT", leverage=20), metadata=trader.auth
    )
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.200", "64900.0"), metadata=maker.auth)
    await trader.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.200"), metadata=trader.auth)
    take_profit = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT",
        side=common_pb2.SIDE_SELL,
        order_type=common_pb2.ORDER_TYPE_TAKE_PROFIT_MARKET,
        stop_price="67000.0",
        close_position=True,
    )
    target = await trader.trading.PlaceOrder(take_profit, metadata=trader.auth)
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.200", "60000.0"), metadata=maker.auth)
    for mark in ("60270", "60230", "60190", "60000"):
        await mark_a_minute_later(exchange, mark)

    await minute_later(exchange)
    summary = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account
    deposit = admin_pb2.DepositRequest(account_id=summary.account_id, amount="1000")
    await exchange.admin.admin.Deposit(deposit, metadata=exchange.admin.auth)
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.200", "60000.0"), metadata=maker.auth)
    await trader.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.200"), metadata=trader.auth)
    await mark_a_minute_later(exchange, "55300")
    await mark_a_minute_later(exchange, "55000")
    return trader, maker, target.order.order_id


async def liquidations(client: Client, **fields: object) -> list[account_pb2.Liquidation]:
    reply = await client.account.ListLiquidations(account_pb2.ListLiquidationsRequest(**fields), metadata=client.auth)
    return list(reply.liquidations)


def calls(record: account_pb2.Liquidation) -> list[tuple[int, int, str, str, str, str, str]]:
    return [
        (
            call.time.seconds,
            call.margin_call.margin_mode,
            call.margin_call.symbol,
            call.margin_call.threshold,
            call.margin_call.margin_ratio,
            call.margin_call.margin_balance,
            call.margin_call.maintenance_margin,
        )
        for call in record.margin_calls
    ]


async def test_a_liquidation_record_tells_the_margin_calls_orders_fills_and_money(simulated: Exchange) -> None:
    trader, _, take_profit_id = await liquidated_twice(simulated)

    newest, oldest = await liquidations(trader)

    t = [T0 + n * MINUTE for n in range(8)]
    assert (oldest.liquidation_id, oldest.time.seconds, oldest.margin_mode, oldest.symbol) == (1, t[4], CROSS, "")
    assert (oldest.margin_balance, oldest.maintenance_margin) == ("13.51", "48")
    assert calls(oldest) == [
        (t[1], CROSS, "", "0.7", "0.7142053", "67.51", "48.216"),
        (t[2], CROSS, "", "0.8", "0.80967905", "59.51", "48.184"),
        (t[3], CROSS, "", "0.9", "0.93480877", "51.51", "48.152"),
    ]
    (canceled,) = oldest.canceled_orders
    assert (canceled.order_id, canceled.status, canceled.end_reason) == (
        take_profit_id,
        common_pb2.ORDER_STATUS_CANCELED,
        errors_pb2.END_REASON_LIQUIDATION,
    )
    (sold,) = oldest.orders
    assert (sold.side, sold.status, sold.is_liquidation, sold.filled_quantity, sold.average_price) == (
        common_pb2.SIDE_SELL,
        common_pb2.ORDER_STATUS_FILLED,
        True,
        "0.200",
        "60000.0",
    )
    (fill,) = oldest.fills
    assert (fill.order_id, fill.price, fill.quantity, fill.fee, fill.realized_pnl) == (
        sold.order_id,
        "60000.0",
        "0.200",
        "0",
        "-980",
    )
    assert fill.is_liquidation and not fill.is_auto_deleverage
    (position,) = oldest.positions
    assert (position.symbol, position.margin_mode, position.order_id) == ("BTCUSDT", CROSS, sold.order_id)
    assert (position.quantity, position.deleveraged_quantity, position.average_price) == ("0.200", "0", "60000.0")
    assert (position.bankruptcy_price, position.realized_pnl, position.insurance_fund_change) == (
        "59932.5",
        "-1016",
        "13.51",
    )
    assert (oldest.realized_pnl, oldest.insurance_fund_change) == ("-1016", "13.51")

    # Round 2: only the margin call since the first liquidation, and the close by auto-deleverage.
    assert (newest.liquidation_id, newest.time.seconds, newest.margin_balance, newest.maintenance_margin) == (
        2,
        t[7],
        "-6",
        "44",
    )
    assert calls(newest) == [(t[6], CROSS, "", "0.8", "0.81925926", "54", "44.24")]
    assert list(newest.canceled_orders) == []
    (closed,) = newest.orders
    assert (closed.status, closed.filled_quantity, closed.average_price) == (
        common_pb2.ORDER_STATUS_FILLED,
        "0.200",
        "55030.0",
    )
    (deleveraged,) = newest.fills
    assert (deleveraged.price, deleveraged.quantity, deleveraged.fee, deleveraged.realized_pnl) == (
        "55030.0",
        "0.200",
        "0",
        "-994",
    )
    assert deleveraged.is_auto_deleverage and deleveraged.is_liquidation
    (step,) = newest.positions
    assert (step.quantity, step.deleveraged_quantity, step.average_price, step.bankruptcy_price) == (
        "0.200",
        "0.200",
        "55030.0",
        "55030.0",
    )
    assert (step.realized_pnl, step.insurance_fund_change) == ("-994", "0")
    assert (newest.realized_pnl, newest.insurance_fund_change) == ("-994", "0")

    ledger = await simulated.admin.admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=simulated.admin.auth)
    assert (ledger.insurance_fund, ledger.imbalance) == ("13.51", "0")


async def test_the_liquidations_money_is_income_as_the_venue_types_it(simulated: Exchange) -> None:
    trader, maker, _ = await liquidated_twice(simulated)

    listed = await trader.account.ListIncome(account_pb2.ListIncomeRequest(), metadata=trader.auth)
    deleveraged = await maker.account.ListIncome(
        account_pb2.ListIncomeRequest(income_type=account_pb2.INCOME_TYPE_AUTO_DELEVERAGE), metadata=maker.auth
    )

    assert [(i.income_type, i.income, i.time.seconds) for i in listed.incomes] == [
        (account_pb2.INCOME_TYPE_TRANSFER, "1000", T0),
        (account_pb2.INCOME_TYPE_COMMISSION, "-6.49", T0),
        (account_pb2.INCOME_TYPE_REALIZED_PNL, "-980", T0 + 4 * MINUTE),
        (account_pb2.INCOME_TYPE_INSURANCE_CLEAR, "-36", T0 + 4 * MINUTE),
        (account_pb2.INCOME_TYPE_INSURANCE_CLEAR, "22.49", T0 + 4 * MINUTE),
        (account_pb2.INCOME_TYPE_TRANSFER, "1000", T0 + 5 * MINUTE),
        (account_pb2.INCOME_TYPE_COMMISSION, "-6", T0 + 5 * MINUTE),
        (account_pb2.INCOME_TYPE_AUTO_DELEVERAGE, "-994", T0 + 7 * MINUTE),
    ]
    assert [(i.income, i.time.seconds) for i in deleveraged.incomes] == [("994", T0 + 7 * MINUTE)]
    summary = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account
    assert summary.wallet_balance == "0"


async def test_liquidations_page_newest_first_by_symbol_and_refuse_bad_input(simulated: Exchange) -> None:
    trader, maker, _ = await liquidated_twice(simulated)

    first = await trader.account.ListLiquidations(
        account_pb2.ListLiquidationsRequest(page_size=1), metadata=trader.auth
    )
    assert ([r.liquidation_id for r in first.liquidations], first.next_page_token) == ([2], "2")
    assert [r.liquidation_id for r in await liquidations(trader, page_token="2")] == [1]
    assert [r.liquidation_id for r in await liquidations(trader, symbol="BTCUSDT")] == [2, 1]
    assert await liquidations(trader, symbol="ETHUSDT") == []
    assert await liquidations(maker) == [], "the deleveraged counterparty was not liquidated"

    for fields, code, reason in (
        ({"symbol": "DOGEUSDT"}, grpc.StatusCode.NOT_FOUND, "UNKNOWN_SYMBOL"),
        ({"page_size": 1001}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await liquidations(trader, **fields)
        assert (refused.value.code(), error_info(refused.value).reason) == (code, reason)
    assert len(await liquidations(trader, page_size=1000)) == 2


def test_a_liquidation_takes_the_newest_margin_calls_of_its_own_scope_only() -> None:
    """20 cross calls (t = 1..20) and one of the isolated BTCUSDT position (t = 21), then the cross
    account is liquidated at t = 30: it takes the newest 16 cross calls (t = 5..20); the isolated call
    waits for a liquidation of its position, and the next cross liquidation (t = 40) starts afresh."""
    records = LiquidationRecords(History())
    for t in range(1, 21):
        cross_call = MarginCallIssued(1, "", MarginMode.CROSS, 7_000, 100 * SCALE, 70 * SCALE + t)
        records.fold(cross_call, sequence=t, ts=t)
    isolated_call = MarginCallIssued(1, "BTCUSDT", MarginMode.ISOLATED, 9_000, 10 * SCALE, 9 * SCALE)
    records.fold(isolated_call, sequence=21, ts=21)
    records.fold(LiquidationTriggered(1, "", MarginMode.CROSS, 5 * SCALE, 6 * SCALE), sequence=30, ts=30)
    records.fold(LiquidationTriggered(1, "", MarginMode.CROSS, 4 * SCALE, 6 * SCALE), sequence=40, ts=40)
    records.fold(LiquidationTriggered(1, "BTCUSDT", MarginMode.ISOLATED, 0, SCALE), sequence=50, ts=50)

    (isolated, second, first), _ = records.page(1, "", 0, 20)

    assert [(ts, call.maintenance_margin - 70 * SCALE) for ts, call in first.margin_calls] == [
        (t, t) for t in range(5, 21)
    ]
    assert second.margin_calls == []
    assert isolated.margin_calls == [(21, isolated_call)]
    assert [record.liquidation_id for record in records.page(1, "BTCUSDT", 0, 20)[0]] == [3]
