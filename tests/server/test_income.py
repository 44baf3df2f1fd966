"""ListIncome over the wire: an account's money moves by type, filtered and paged, in simulated time.

The story, worked by hand from the default BTCUSDT spec (taker fee 0.05%, interest 0.01% per 8 h):
at 2026-01-01T00:00Z the trader is opened with 10,000 USDT (TRANSFER +10,000) and buys 0.100 BTC at
64,900 from a resting ask: taker fee 0.05% x 6,490 = 3.245 (COMMISSION -3.245). Time moves 8 hours;
at 08:00 funding settles at 0.01% (no premium was sampled, so the rate is the interest rate alone) on
the mark 64,900: the long pays 0.1 x 64,900 x 0.0001 = 0.649 (FUNDING_FEE -0.649). The trader then
sells 0.100 into a bid at 65,000: realized 0.1 x (65,000 - 64,900) = +10 (REALIZED_PNL +10), fee
0.05% x 6,500 = 3.25 (COMMISSION -3.25). Wallet: 10,000 - 3.245 - 0.649 + 10 - 3.25 = 10,002.856.
"""

import grpc
import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from paperex.engine.events import BalanceChanged, BalanceReason
from paperex.engine.units import SCALE
from paperex.server.state.income import IncomeHistory, IncomeRecord, IncomeType
from paperex.v1 import account_pb2, admin_pb2, common_pb2
from tests.server.conftest import Client, Exchange, btc_order, error_info

START = 1_767_225_600
"""2026-01-01T00:00:00Z, where a simulated clock starts."""
FUNDING = START + 8 * 3600
TRANSFER, PNL, COMMISSION, FUNDING_FEE = (
    account_pb2.INCOME_TYPE_TRANSFER,
    account_pb2.INCOME_TYPE_REALIZED_PNL,
    account_pb2.INCOME_TYPE_COMMISSION,
    account_pb2.INCOME_TYPE_FUNDING_FEE,
)


async def income(client: Client, **fields: object) -> account_pb2.ListIncomeResponse:
    reply: account_pb2.ListIncomeResponse = await client.account.ListIncome(
        account_pb2.ListIncomeRequest(**fields), metadata=client.auth
    )
    return reply


def rows(reply: account_pb2.ListIncomeResponse) -> list[tuple[int, int, str, str, int, int]]:
    return [(i.income_id, i.income_type, i.income, i.symbol, i.trade_id, i.time.seconds) for i in reply.incomes]


async def trade_then_hold_through_funding(exchange: Exchange) -> tuple[Client, int, int]:
    """The story of the module docstring; returns the trader and the two trade ids."""
    await exchange.set_mark("BTCUSDT", "64900")
    maker = await exchange.open_account("maker", deposit="100000")
    trader = await exchange.open_account("trader", deposit="10000")
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.100", "64900.0"), metadata=maker.auth)
    opened = await trader.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.100"), metadata=trader.auth)
    eight_hours = duration_pb2.Duration(seconds=8 * 3600)
    await exchange.admin.admin.AdvanceTime(
        admin_pb2.AdvanceTimeRequest(duration=eight_hours), metadata=exchange.admin.auth
    )
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.100", "65000.0"), metadata=maker.auth)
    closed = await trader.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.100"), metadata=trader.auth)
    return trader, opened.fills[0].trade_id, closed.fills[0].trade_id


async def test_every_money_move_is_an_income_of_its_type_and_they_sum_to_the_wallet(simulated: Exchange) -> None:
    trader, opening, closing = await trade_then_hold_through_funding(simulated)

    listed = await income(trader)

    assert rows(listed) == [
        (1, TRANSFER, "10000", "", 0, START),
        (2, COMMISSION, "-3.245", "BTCUSDT", opening, START),
        (3, FUNDING_FEE, "-0.649", "BTCUSDT", 0, FUNDING),
        (4, PNL, "10", "BTCUSDT", closing, FUNDING),
        (5, COMMISSION, "-3.25", "BTCUSDT", closing, FUNDING),
    ]
    assert {item.asset for item in listed.incomes} == {"USDT"} and listed.next_page_token == ""
    summary = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account
    assert summary.wallet_balance == "10002.856"
    ledger = await simulated.admin.admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=simulated.admin.auth)
    assert ledger.imbalance == "0"


async def test_pages_continue_after_the_last_id_and_filters_narrow_the_list(simulated: Exchange) -> None:
    trader, _, _ = await trade_then_hold_through_funding(simulated)

    first = await income(trader, page_size=2)
    second = await income(trader, page_size=2, page_token=first.next_page_token)
    last = await income(trader, page_size=2, page_token=second.next_page_token)
    exactly_full = await income(trader, page_size=2, page_token="3")

    assert ([i.income_id for i in first.incomes], first.next_page_token) == ([1, 2], "2")
    assert ([i.income_id for i in second.incomes], second.next_page_token) == ([3, 4], "4")
    assert ([i.income_id for i in last.incomes], last.next_page_token) == ([5], "")
    assert ([i.income_id for i in exactly_full.incomes], exactly_full.next_page_token) == ([4, 5], "")

    commissions = await income(trader, income_type=COMMISSION)
    assert [(i.income_id, i.income) for i in commissions.incomes] == [(2, "-3.245"), (5, "-3.25")]
    first_commission = await income(trader, income_type=COMMISSION, page_size=1)
    assert first_commission.next_page_token == "2", "the next commission (5) is still to come"
    assert [i.income_id for i in (await income(trader, symbol="BTCUSDT")).incomes] == [2, 3, 4, 5]
    assert (await income(trader, symbol="ETHUSDT")).incomes == []

    midnight = timestamp_pb2.Timestamp(seconds=START)
    eight = timestamp_pb2.Timestamp(seconds=FUNDING)
    # from start_time up to, not including, end_time, as ListOrders and ListTrades
    one_second = timestamp_pb2.Timestamp(seconds=START + 1)
    assert [i.income_id for i in (await income(trader, start_time=midnight, end_time=one_second)).incomes] == [1, 2]
    assert [i.income_id for i in (await income(trader, start_time=eight)).incomes] == [3, 4, 5]
    assert [i.income_id for i in (await income(trader, end_time=eight)).incomes] == [1, 2]
    assert (await income(trader, end_time=midnight)).incomes == []


async def test_an_unknown_symbol_a_bad_type_limit_or_range_and_no_key_are_refused(simulated: Exchange) -> None:
    trader = await simulated.open_account("trader", deposit="1000")
    stranger = Client(simulated.channel, "")
    refusals = [
        (trader, {"symbol": "DOGEUSDT"}, grpc.StatusCode.NOT_FOUND, "UNKNOWN_SYMBOL", ""),
        (trader, {"income_type": 99}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ENUM_VALUE", "income_type"),
        (trader, {"page_size": 1001}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", "page_size"),
        (trader, {"page_token": "x"}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", "page_token"),
        (
            trader,
            {
                "start_time": timestamp_pb2.Timestamp(seconds=START + 1),
                "end_time": timestamp_pb2.Timestamp(seconds=START),
            },
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
            "end_time",
        ),
        (stranger, {}, grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", ""),
    ]
    for client, fields, code, reason, field in refusals:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await income(client, **fields)
        info = error_info(refused.value)
        assert (refused.value.code(), info.reason, info.metadata.get("field", "")) == (code, reason, field), fields

    assert [i.income for i in (await income(trader, page_size=1000)).incomes] == ["1000"]


def test_an_account_keeps_the_retention_and_its_ids_go_on() -> None:
    """Retention 1,000: the list is cut back to the newest 1,000 once it is a tenth over (at 1,101),
    so after 1,101 deposits ids 102 to 1,101 remain (the isolated margin transfer after them is not
    income); a page after a forgotten id starts at the oldest retained."""
    history = IncomeHistory(1_000)
    for n in range(1, 1_102):
        history.fold(BalanceChanged(7, BalanceReason.DEPOSIT, n * SCALE, n * SCALE), ts=n)
    history.fold(BalanceChanged(7, BalanceReason.ISOLATED_MARGIN_TRANSFER, -SCALE, 0, "BTCUSDT", SCALE, SCALE), ts=0)

    page, next_after = history.page(7, "", None, 0, 2**63, 0, 1_000)
    later, last = history.page(7, "", IncomeType.TRANSFER, 0, 2**63, 50, 2)

    assert (len(page), page[0].income_id, page[-1].income_id, next_after) == (1_000, 102, 1_101, 0)
    assert ([record.income_id for record in later], last) == ([102, 103], 103)
    assert history.page(8, "", None, 0, 2**63, 0, 10) == ([], 0)


def test_another_assets_moves_are_income_in_that_asset_and_usdts_keep_their_shape() -> None:
    """A deposit of 0.25 BTC is a TRANSFER of 0.25 BTC; an auto-exchange selling 0.1 BTC for 5,700 USDT is
    two AUTO_EXCHANGE incomes, -0.1 BTC and +5,700 USDT. USDT's record is a plain IncomeRecord, as before
    other assets were listed (the state hash of a USDT-only journal does not move)."""
    history = IncomeHistory(1_000)
    history.fold(BalanceChanged(7, BalanceReason.DEPOSIT, SCALE // 4, SCALE // 4, asset="BTC"), ts=1)
    history.fold(BalanceChanged(7, BalanceReason.AUTO_EXCHANGE, -SCALE // 10, SCALE * 15 // 100, asset="BTC"), ts=2)
    history.fold(BalanceChanged(7, BalanceReason.AUTO_EXCHANGE, 5_700 * SCALE, 0), ts=2)

    page, _ = history.page(7, "", None, 0, 2**63, 0, 10)

    assert [(r.income_type, r.asset, r.amount) for r in page] == [
        (IncomeType.TRANSFER, "BTC", SCALE // 4),
        (IncomeType.AUTO_EXCHANGE, "BTC", -SCALE // 10),
        (IncomeType.AUTO_EXCHANGE, "USDT", 5_700 * SCALE),
    ]
    assert type(page[2]) is IncomeRecord
