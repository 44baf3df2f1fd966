"""A cross account liquidated over the wire: what its user-event stream and account show.

Trader: 1,000 USDT, 20x, buys 0.2 BTC at 64,900 (notional 12,980, taker fee 0.05% = 6.49 -> wallet
993.51). Maintenance is 0.4% of notional (tier 1). At mark 60,000: margin balance 993.51 - 0.2 x 4,900
= 13.51 <= maintenance 0.2 x 60,000 x 0.004 = 48, so the account is liquidated. Bankruptcy price:
993.51 + 0.2 x (P - 64,900) = 0 -> P = 59,932.45, shown at the tick toward the entry: 59,932.5. The
liquidation sell fills against the maker's bid at 60,000: realized -980 (wallet 13.51), no trading
fee but the clearance fee 0.3% x 12,000 = 36 to the insurance fund (wallet -22.49), net -1,016; the
fund then covers the 22.49 deficit (wallet 0): the fund gained 36 - 22.49 = 13.51.

The ledger afterwards: fees 2.596 (maker, 0.02% of 12,980) + 6.49 + 2.4 (maker, 0.02% of 12,000) =
11.486; the maker's wallet 1,000,000 - 2.596 + 980 - 2.4 = 1,000,975.004, the trader's 0; both flat.
1,000,975.004 + 11.486 + 13.51 = 1,001,000, the net deposits.
"""

import asyncio

from paperex.v1 import account_pb2, admin_pb2, common_pb2, trading_pb2
from tests.server.conftest import Exchange


async def test_liquidation_reaches_the_account_as_events_with_the_venue_figures(exchange: Exchange) -> None:
    maker = await exchange.open_account("maker", deposit="1000000")
    trader = await exchange.open_account("trader", deposit="1000")
    await exchange.set_mark("BTCUSDT", "64900")
    sell = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT",
        side=common_pb2.SIDE_SELL,
        order_type=common_pb2.ORDER_TYPE_LIMIT,
        quantity="0.200",
        price="64900.0",
    )
    await maker.trading.PlaceOrder(sell, metadata=maker.auth)
    buy = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT", side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="0.200"
    )
    await trader.trading.PlaceOrder(buy, metadata=trader.auth)
    await exchange.set_mark("BTCUSDT", "61000")
    bid = trading_pb2.PlaceOrderRequest(
        symbol="BTCUSDT",
        side=common_pb2.SIDE_BUY,
        order_type=common_pb2.ORDER_TYPE_LIMIT,
        quantity="0.200",
        price="60000.0",
    )
    await maker.trading.PlaceOrder(bid, metadata=maker.auth)

    before = (await trader.account.GetAccount(account_pb2.GetAccountRequest(), metadata=trader.auth)).account
    (position,) = before.positions
    assert position.bankruptcy_price == "59932.45"

    stream = trader.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=before.cursor), metadata=trader.auth
    )
    await exchange.set_mark("BTCUSDT", "60000")
    seen: dict[str, account_pb2.UserEvent] = {}
    balances: list[account_pb2.BalanceChanged] = []

    async def read() -> None:
        async for reply in stream:
            kind = reply.event.WhichOneof("event")
            seen.setdefault(kind, reply.event)
            if kind == "balance_changed":
                balances.append(reply.event.balance_changed)
            if kind == "position_changed" and reply.event.position_changed.position.size == "0":
                return

    await asyncio.wait_for(read(), timeout=10)
    stream.cancel()

    started = seen["liquidation_started"].liquidation_started
    assert (started.margin_mode, started.margin_balance, started.maintenance_margin) == (
        common_pb2.MARGIN_MODE_CROSS,
        "13.51",
        "48",
    )
    liquidated = seen["position_liquidated"].position_liquidated
    assert (liquidated.symbol, liquidated.quantity, liquidated.average_price) == ("BTCUSDT", "0.200", "60000.0")
    assert (liquidated.bankruptcy_price, liquidated.realized_pnl, liquidated.insurance_fund_change) == (
        "59932.5",
        "-1016",
        "13.51",
    )
    assert [(b.reason, b.change, b.cross_wallet_balance, b.wallet_balance) for b in balances] == [
        (account_pb2.BALANCE_CHANGE_REASON_REALIZED_PNL, "-980", "13.51", "13.51"),
        (account_pb2.BALANCE_CHANGE_REASON_LIQUIDATION_FEE, "-36", "-22.49", "-22.49"),
        (account_pb2.BALANCE_CHANGE_REASON_INSURANCE_FUND_COVER, "22.49", "0", "0"),
    ]
    liquidation_order = seen["order_filled"].order_filled
    assert liquidation_order.order.is_liquidation and liquidation_order.fill.is_liquidation
    fund = await exchange.admin.admin.GetInsuranceFund(
        admin_pb2.GetInsuranceFundRequest(), metadata=exchange.admin.auth
    )
    assert fund.balance == "13.51"
    assert [(f.symbol, f.balance) for f in fund.funds] == [("BTCUSDT", "13.51"), ("ETHUSDT", "0")]
    ledger = await exchange.admin.admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=exchange.admin.auth)
    assert (ledger.net_deposits, ledger.wallets, ledger.fees_collected, ledger.insurance_fund) == (
        "1001000",
        "1000975.004",
        "11.486",
        "13.51",
    )
    assert (ledger.isolated_margin, ledger.open_positions, ledger.money_in_system, ledger.imbalance) == (
        "0",
        "0",
        "1001000",
        "0",
    )
