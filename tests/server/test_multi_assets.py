"""Multi-Assets mode over gRPC: a BTC deposit, the mode switch and its refusal, the account's assets
valued at their collateral rate, and a BTC-backed BTC long liquidated with its USDT debt auto-exchanged
from the BTC, each step on the account's stream.

Hand figures: BTCUSDT's mark (no index set, so the collateral is priced at the mark) at 60,000; 0.05 BTC
counts 0.05 x 60,000 x 95% = 2,850 of margin, all of it available: 2,850 / 57,000 a BTC = 0.05 BTC may
be withdrawn. A 0.5 BTC long bought at 60,000 pays the 0.05% taker fee, 15, in USDT: the USDT balance is
-15, a borrow; the long's initial margin 30,000 / 20 = 1,500 leaves 2,850 - 15 - 1,500 = 1,335 available,
1,335 / 57,000 = 0.02342105... BTC withdrawable (0.03 is refused, naming it). Its liquidation price is
30,015 / 0.5455 = 55,022.91... (tests/engine/test_multi_assets.py works it); at mark 55,022.9 it is
liquidated into a bid at 55,000: realized 0.5 x (55,000 - 60,000) = -2,500, clearance fee 0.3% x 27,500
= 82.5, so USDT is -2,597.5. The venue exchanges BTC at its margin value, 55,022.9 x 95% = 52,271.755
a BTC, for the debt: 2,597.5 / 52,271.755 = 0.049692228... BTC, rounded up to
0.04969223, leaving 0.00030777 BTC and USDT at 0.
"""

import grpc
import pytest

from paperex.v1 import account_pb2, admin_pb2, common_pb2
from tests.server.conftest import Client, Exchange, btc_order, error_info
from tests.server.test_money_events import next_event


async def deposit_btc(exchange: Exchange, account_id: int, amount: str) -> admin_pb2.DepositResponse:
    request = admin_pb2.DepositRequest(account_id=account_id, amount=amount, asset="BTC")
    return await exchange.admin.admin.Deposit(request, metadata=exchange.admin.auth)  # type: ignore[no-any-return]


async def account(client: Client) -> account_pb2.AccountSummary:
    reply = await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)
    return reply.account  # type: ignore[no-any-return]


async def test_a_btc_backed_btc_long_is_liquidated_and_its_debt_paid_in_btc(exchange: Exchange) -> None:
    maker = await exchange.open_account("maker", deposit="1000000")
    trader = await exchange.open_account("trader", deposit="")
    trader_id = (await account(trader)).account_id
    deposited = await deposit_btc(exchange, trader_id, "0.05")
    assert (deposited.asset_balance, deposited.cross_wallet_balance) == ("0.05", "0")
    await exchange.set_mark("BTCUSDT", "60000")
    switched = await trader.account.SetAssetMode(
        account_pb2.SetAssetModeRequest(multi_assets_mode=True), metadata=trader.auth
    )
    assert switched.multi_assets_mode
    mode = await trader.account.GetAssetMode(account_pb2.GetAssetModeRequest(), metadata=trader.auth)
    assert mode.multi_assets_mode

    summary = await account(trader)
    assert summary.multi_assets_mode
    [btc] = summary.assets
    assert (btc.asset, btc.wallet_balance, btc.index_price, btc.collateral_rate, btc.margin_value) == (
        "BTC", "0.05", "60000", "0.95", "2850",
    )  # fmt: skip
    assert btc.max_withdraw_amount == "0.05"
    assert (summary.collateral_value, summary.available_balance) == ("2850", "2850")

    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.5", "60000"), metadata=maker.auth)
    await trader.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.5"), metadata=trader.auth)
    holding = await account(trader)
    assert (holding.cross_wallet_balance, holding.assets[0].max_withdraw_amount) == ("-15", "0.02342105")
    withdraw = admin_pb2.WithdrawRequest(account_id=trader_id, amount="0.03", asset="BTC")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await exchange.admin.admin.Withdraw(withdraw, metadata=exchange.admin.auth)
    assert error_info(refused.value).metadata["max_withdraw"] == "0.02342105"
    await maker.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "1", "55000"), metadata=maker.auth)
    start = (await account(trader)).cursor
    stream = trader.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=start), metadata=trader.auth
    )

    await exchange.set_mark("BTCUSDT", "55022.9")

    await next_event(stream, "liquidation_started")
    moves = []
    while len(moves) < 2:
        event = (await next_event(stream, "balance_changed")).balance_changed
        if event.reason == account_pb2.BALANCE_CHANGE_REASON_AUTO_EXCHANGE:
            moves.append((event.asset, event.change, event.wallet_balance))
    stream.cancel()
    assert moves == [("BTC", "-0.04969223", "0.00030777"), ("USDT", "2597.5", "0")]
    after = await account(trader)
    assert [(a.asset, a.wallet_balance) for a in after.assets] == [("BTC", "0.00030777")]
    assert after.cross_wallet_balance == "0"
    ledger = await exchange.admin.admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=exchange.admin.auth)
    assert (ledger.exchanged, ledger.imbalance) == ("-2597.5", "0")
    incomes = await trader.account.ListIncome(account_pb2.ListIncomeRequest(), metadata=trader.auth)
    exchanged = account_pb2.INCOME_TYPE_AUTO_EXCHANGE
    listed = [
        (i.income_type, i.asset, i.income) for i in incomes.incomes if i.asset == "BTC" or i.income_type == exchanged
    ]
    assert listed == [
        (account_pb2.INCOME_TYPE_TRANSFER, "BTC", "0.05"),
        (account_pb2.INCOME_TYPE_AUTO_EXCHANGE, "BTC", "-0.04969223"),
        (account_pb2.INCOME_TYPE_AUTO_EXCHANGE, "USDT", "2597.5"),
    ]


async def test_the_mode_does_not_change_with_an_open_order(exchange: Exchange) -> None:
    trader = await exchange.open_account("trader", deposit="10000")
    await exchange.set_mark("BTCUSDT", "60000")
    await trader.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.01", "59000"), metadata=trader.auth)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await trader.account.SetAssetMode(account_pb2.SetAssetModeRequest(multi_assets_mode=True), metadata=trader.auth)

    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(refused.value).reason == "MODE_CHANGE_WITH_OPEN_ORDERS"


async def test_an_asset_outside_the_collateral_table_is_refused(exchange: Exchange) -> None:
    trader = await exchange.open_account("trader")
    trader_id = (await account(trader)).account_id
    request = admin_pb2.DepositRequest(account_id=trader_id, amount="1", asset="DOGE")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await exchange.admin.admin.Deposit(request, metadata=exchange.admin.auth)

    assert refused.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_info(refused.value).reason == "UNKNOWN_ASSET"
    assert (await account(trader)).assets == []


async def test_a_deposit_without_an_asset_is_usdt(exchange: Exchange) -> None:
    """A DepositRequest without an asset (as clients before this field send) deposits USDT."""
    trader = await exchange.open_account("trader", deposit="")
    trader_id = (await account(trader)).account_id
    request = admin_pb2.DepositRequest(account_id=trader_id, amount="12.5")

    reply = await exchange.admin.admin.Deposit(request, metadata=exchange.admin.auth)

    assert (reply.cross_wallet_balance, reply.asset_balance) == ("12.5", "12.5")
