"""Income and liquidation records through the SDK (async and blocking) and the ``paperex`` CLI.

Worked by hand from the default BTCUSDT spec (taker fee 0.05%, interest 0.01% per 8 h, maintenance 0.4%,
clearance fee 0.3%), on a simulated clock from 2026-01-01T00:00Z. The trader (1,000 USDT, 20x) buys
0.200 BTC at 64,900 from a resting ask: fee 6.49, wallet 993.51; it sets a take-profit at 67,000 and
the maker bids 0.200 at 60,000. At 08:00 funding at 0.01% on the mark 64,900: the long pays
0.2 x 64,900 x 0.0001 = 1.298, wallet 992.212. Mark 60,270: margin balance 992.212 - 0.2 x 4,630 =
66.212 against maintenance 0.2 x 60,270 x 0.004 = 48.216, ratio 0.72820637: a 70% margin call. Mark
60,000: 12.212 against 48, liquidated: the take-profit is canceled, the liquidation order sells into
the bid at 60,000 (realized -980, no trading fee), clearance 0.3% x 12,000 = 36, and the fund covers
the 992.212 - 980 - 36 = -23.788 left: realized -1,016, fund +36 - 23.788 = +12.212. The ratio at the
trigger is 48 / 12.212 = 393.06%; the bankruptcy price 992.212 + 0.2 x (P - 64,900) = 0 -> P = 59,938.94,
shown at the tick toward the entry: 59,939.0.
Income: +1,000, -6.49, -1.298, -980, -36, +23.788 = 0, the wallet.
"""

import asyncio
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from paperex.client import models
from paperex.client.cli import main
from paperex.client.client import AsyncClient
from paperex.client.commands import PlaceOrder
from paperex.client.enums import IncomeType, MarginMode, OrderStatus, OrderType, Side
from paperex.client.errors import InvalidArgument, UnknownSymbol
from paperex.client.sync import Client
from paperex.v1 import account_pb2
from tests.clients.conftest import LiveExchange

BTC = "BTCUSDT"
MIDNIGHT = datetime(2026, 1, 1, tzinfo=UTC)
EIGHT = MIDNIGHT + timedelta(hours=8)


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {"clock": "simulated"}


async def funded_then_liquidated(live: LiveExchange) -> AsyncClient:
    """The story of the module docstring; returns the trader."""
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    maker = await live.open_account("maker", "1000000")
    trader = await live.open_account("trader", "1000")
    await trader.set_leverage(BTC, 20)
    await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.200", price="64900.0"))
    await trader.place_order(PlaceOrder(BTC, Side.BUY, "0.200"))
    await trader.place_order(
        PlaceOrder(BTC, Side.SELL, order_type=OrderType.TAKE_PROFIT_MARKET, stop_price="67000.0", close_position=True)
    )
    await maker.place_order(PlaceOrder(BTC, Side.BUY, "0.200", price="60000.0"))
    await live.admin.advance_time(timedelta(hours=8))
    await live.admin.set_mark_price(BTC, "60270")
    await live.admin.set_mark_price(BTC, "60000")
    return trader


def key_of(client: AsyncClient) -> str:
    return client.metadata[0][1].removeprefix("Bearer ")


async def test_income_pages_on_demand_as_decimals_and_enums(live: LiveExchange) -> None:
    trader = await funded_then_liquidated(live)

    incomes = [item async for item in trader.income(page_size=2)]  # three pages of two

    assert [(item.income_id, item.income_type, item.income, item.time) for item in incomes] == [
        (1, IncomeType.TRANSFER, Decimal("1000"), MIDNIGHT),
        (2, IncomeType.COMMISSION, Decimal("-6.49"), MIDNIGHT),
        (3, IncomeType.FUNDING_FEE, Decimal("-1.298"), EIGHT),
        (4, IncomeType.REALIZED_PNL, Decimal(-980), EIGHT),
        (5, IncomeType.INSURANCE_CLEAR, Decimal(-36), EIGHT),
        (6, IncomeType.INSURANCE_CLEAR, Decimal("23.788"), EIGHT),
    ]
    assert sum(item.income for item in incomes) == (await trader.account()).wallet_balance == 0
    funding = [item async for item in trader.income(BTC, income_type=IncomeType.FUNDING_FEE)]
    assert [(item.income, item.symbol, item.asset) for item in funding] == [(Decimal("-1.298"), BTC, "USDT")]
    assert [item.income_id async for item in trader.income(start=EIGHT)] == [3, 4, 5, 6]
    assert [item.income_id async for item in trader.income(end=EIGHT)] == [1, 2]
    with pytest.raises(UnknownSymbol):
        await anext(trader.income("DOGEUSDT"))
    with pytest.raises(InvalidArgument):
        await anext(trader.income(page_size=1001))


async def test_a_liquidation_converts_with_its_margin_calls_orders_fills_and_positions(live: LiveExchange) -> None:
    trader = await funded_then_liquidated(live)

    (liquidation,) = [item async for item in trader.liquidations(BTC, page_size=1)]

    assert (liquidation.liquidation_id, liquidation.time, liquidation.margin_mode, liquidation.symbol) == (
        1,
        EIGHT,
        MarginMode.CROSS,
        "",
    )
    assert (liquidation.margin_balance, liquidation.maintenance_margin) == (Decimal("12.212"), Decimal(48))
    (call,) = liquidation.margin_calls
    assert call.time == EIGHT and call.margin_call == models.MarginCallIssued(
        MarginMode.CROSS, "", Decimal("0.7"), Decimal("0.72820637"), Decimal("66.212"), Decimal("48.216")
    )
    (canceled,) = liquidation.canceled_orders
    assert (canceled.order_type, canceled.status) == (OrderType.TAKE_PROFIT_MARKET, OrderStatus.CANCELED)
    (sold,) = liquidation.orders
    (fill,) = liquidation.fills
    assert sold.is_liquidation and (fill.order_id, fill.price, fill.realized_pnl) == (
        sold.order_id,
        Decimal("60000.0"),
        Decimal(-980),
    )
    (position,) = liquidation.positions
    assert (position.symbol, position.quantity, position.average_price, position.bankruptcy_price) == (
        BTC,
        Decimal("0.200"),
        Decimal("60000.0"),
        Decimal("59939.0"),
    )
    assert (position.realized_pnl, position.insurance_fund_change) == (Decimal(-1016), Decimal("12.212"))
    assert (liquidation.realized_pnl, liquidation.insurance_fund_change) == (Decimal(-1016), Decimal("12.212"))
    assert [item async for item in trader.liquidations("ETHUSDT")] == []


async def test_the_blocking_client_lists_income_and_liquidations_too(live: LiveExchange) -> None:
    trader = await funded_then_liquidated(live)

    def blocking() -> tuple[list[models.Income], list[models.Liquidation]]:
        with Client(live.target, api_key=key_of(trader)) as client:
            return list(client.income(income_type=IncomeType.COMMISSION)), list(client.liquidations())

    commissions, liquidations = await asyncio.to_thread(blocking)

    assert [item.income for item in commissions] == [Decimal("-6.49")]
    assert [item.liquidation_id for item in liquidations] == [1]


async def test_the_records_are_the_same_after_a_restart(live: LiveExchange) -> None:
    """They are part of the state a snapshot carries (a stop writes one, the start loads it)."""
    trader = await funded_then_liquidated(live)
    before = [item async for item in trader.income()], [item async for item in trader.liquidations()]

    await live.stop()
    await live.start()

    after = [item async for item in trader.income()], [item async for item in trader.liquidations()]
    assert after == before and len(before[0]) == 6 and len(before[1]) == 1


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``paperex ARGV`` in this thread: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as exited:
        main(argv)
    code = exited.value.code
    return code if isinstance(code, int) else 1, out.getvalue(), err.getvalue()


async def test_the_cli_prints_income_and_liquidations(live: LiveExchange) -> None:
    trader = await funded_then_liquidated(live)
    options = ["--target", live.target, "--api-key", key_of(trader)]

    async def paperex(*argv: str) -> tuple[int, str, str]:
        return await asyncio.to_thread(run_cli, [*argv, *options])

    code, out, err = await paperex("income", "--json")
    assert (code, err) == (0, "")
    assert [(item["income_type"], item["income"]) for item in json.loads(out)["incomes"]] == [
        ("TRANSFER", "1000"),
        ("COMMISSION", "-6.49"),
        ("FUNDING_FEE", "-1.298"),
        ("REALIZED_PNL", "-980"),
        ("INSURANCE_CLEAR", "-36"),
        ("INSURANCE_CLEAR", "23.788"),
    ]
    code, out, _ = await paperex("income", "btcusdt", "--type", "insurance-clear", "--limit", "1")
    (header, row) = out.splitlines()
    assert code == 0 and header.split() == ["ID", "TIME", "TYPE", "AMOUNT", "ASSET", "SYMBOL", "TRADE"]
    assert row.split()[2:6] == ["INSURANCE_CLEAR", "23.788", "USDT", BTC], "the newest one"

    code, out, _ = await paperex("liquidations", "--json")
    (document,) = json.loads(out)["liquidations"]
    assert (code, document["margin_balance"], document["realized_pnl"]) == (0, "12.212", "-1016")
    assert document["margin_calls"][0]["margin_call"]["margin_ratio"] == "0.72820637"
    code, out, _ = await paperex("liquidations", BTC)
    assert code == 0 and out.startswith("liquidation            1 (CROSS, cross account)")
    # the ratio at the trigger, the margin call's, the canceled take-profit, the bankruptcy price
    assert all(shown in out for shown in ("393.06%", "72.82%", "TAKE_PROFIT_MARKET", "59939.0"))

    assert (await paperex("income", "DOGEUSDT"))[0] == 1
    assert (await paperex("income", "--type", "bonus"))[0] == 2


def test_income_types_are_the_protos() -> None:
    expected = {name.removeprefix("INCOME_TYPE_"): number for name, number in account_pb2.IncomeType.items() if number}
    assert {member.name: member.value for member in IncomeType} == expected
