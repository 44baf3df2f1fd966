"""``fills``, ``income`` and ``liquidations``: the account's trades, money moves and past liquidations
(API key).

``fills`` lists the account's own trades, newest first (price, maker or taker, fee, realized PnL);
``income`` is the account statement (deposits, fees, realized PnL, funding, insurance clearance,
auto-deleverage); ``liquidations`` answers "why was I liquidated": the margin calls that came first,
what the liquidation canceled, sold and realized.
"""

import argparse
from collections import deque
from collections.abc import Sequence

from paperex.client import models
from paperex.client.cli.arguments import (
    Commands,
    enum_choices,
    enum_member,
    positive_int,
    symbol_argument,
    word_argument,
)
from paperex.client.cli.connection import open_client
from paperex.client.cli.output import Output
from paperex.client.cli.render import MISSING, fields, percent, table, text
from paperex.client.cli.tables import fills_table, orders_table
from paperex.client.enums import IncomeType, PositionSide

PAGE = 1000
"""The most fills, incomes or liquidations the exchange sends at once."""


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``fills``, ``income`` and ``liquidations`` to the parser."""
    fills = commands.add_parser("fills", parents=[common], help="the account's own trades, newest first")
    fills.add_argument("symbol", nargs="?", default="", type=symbol_argument, metavar="SYMBOL")
    fills.add_argument("--order", dest="order_id", type=positive_int, metavar="ORDER_ID", help="only this order's")
    fills.add_argument("--limit", type=positive_int, default=100, metavar="N", help="the N newest (default 100)")
    fills.set_defaults(handler=list_fills)

    income = commands.add_parser("income", parents=[common], help="the account's money moves, by type")
    income.add_argument("symbol", nargs="?", default="", type=symbol_argument, metavar="SYMBOL")
    income.add_argument(
        "--type",
        dest="income_type",
        type=word_argument,
        choices=enum_choices(IncomeType),
        metavar="TYPE",
        help=f"only this type: {'|'.join(enum_choices(IncomeType))}",
    )
    income.add_argument(
        "--limit", type=positive_int, default=100, metavar="N", help="the N newest, oldest first (default 100)"
    )
    income.set_defaults(handler=list_income)

    liquidations = commands.add_parser(
        "liquidations", parents=[common], help="past liquidations with the margin calls that led to them"
    )
    liquidations.add_argument("symbol", nargs="?", default="", type=symbol_argument, metavar="SYMBOL")
    liquidations.add_argument("--limit", type=positive_int, default=20, metavar="N", help="the N newest (default 20)")
    liquidations.set_defaults(handler=list_liquidations)


async def list_fills(args: argparse.Namespace, out: Output) -> None:
    """The newest fills first, as ``order list --history`` shows orders."""
    found: list[models.Fill] = []
    async with open_client(args) as client:
        pages = client.fills(args.symbol, order_id=args.order_id or 0, page_size=min(args.limit, PAGE))
        async for fill in pages:
            found.append(fill)
            if len(found) == args.limit:
                break
    out.emit({"fills": found}, lambda: fills_table(found))


async def list_income(args: argparse.Namespace, out: Output) -> None:
    """The newest incomes in the order they happened, as on a statement (the exchange lists them oldest
    first, so the newest are the last pages read)."""
    income_type = enum_member(IncomeType, args.income_type) if args.income_type else None
    newest: deque[models.Income] = deque(maxlen=args.limit)
    async with open_client(args) as client:
        async for item in client.income(args.symbol, income_type=income_type, page_size=PAGE):
            newest.append(item)
    incomes = list(newest)
    out.emit({"incomes": incomes}, lambda: income_table(incomes))


async def list_liquidations(args: argparse.Namespace, out: Output) -> None:
    """The newest liquidations first, each told from its margin calls to its insurance fund change."""
    found: list[models.Liquidation] = []
    async with open_client(args) as client:
        async for liquidation in client.liquidations(args.symbol, page_size=min(args.limit, PAGE)):
            found.append(liquidation)
            if len(found) == args.limit:
                break
    out.emit({"liquidations": found}, lambda: "\n\n".join(map(liquidation_text, found)) or "no liquidations")


def income_table(incomes: Sequence[models.Income]) -> str:
    if not incomes:
        return "no income"
    rows = [
        [
            str(item.income_id),
            text(item.time),
            item.income_type.name,
            text(item.income),
            item.asset,
            item.symbol or MISSING,
            str(item.trade_id) if item.trade_id else MISSING,
        ]
        for item in incomes
    ]
    return table(["ID", "TIME", "TYPE", "AMOUNT", "ASSET", "SYMBOL", "TRADE"], rows)


def liquidation_text(liquidation: models.Liquidation) -> str:
    """One liquidation as a report: the figures at the trigger, then each part under its heading."""
    scope = _with_leg(liquidation.symbol, liquidation.position_side) or "cross account"
    ratio = (
        percent(liquidation.maintenance_margin / liquidation.margin_balance) if liquidation.margin_balance > 0 else "-"
    )
    summary = fields(
        [
            ("liquidation", f"{liquidation.liquidation_id} ({text(liquidation.margin_mode)}, {scope})"),
            ("time", text(liquidation.time)),
            ("margin balance", text(liquidation.margin_balance)),
            ("maintenance margin", text(liquidation.maintenance_margin)),
            ("margin ratio", ratio),
            ("realized PnL", text(liquidation.realized_pnl)),
            ("insurance fund change", text(liquidation.insurance_fund_change)),
        ]
    )
    return "\n\n".join(
        [
            summary,
            f"margin calls\n{margin_calls_table(liquidation.margin_calls)}",
            f"canceled orders\n{orders_table(liquidation.canceled_orders)}",
            f"liquidation orders\n{orders_table(liquidation.orders)}",
            f"fills\n{fills_table(liquidation.fills)}",
            f"positions\n{positions_table(liquidation.positions)}",
        ]
    )


def margin_calls_table(calls: Sequence[models.MarginCallRecord]) -> str:
    if not calls:
        return "no margin calls"
    rows = [
        [
            text(call.time),
            percent(call.margin_call.threshold),
            percent(call.margin_call.margin_ratio),
            text(call.margin_call.margin_balance),
            text(call.margin_call.maintenance_margin),
        ]
        for call in calls
    ]
    return table(["TIME", "THRESHOLD", "MARGIN RATIO", "MARGIN BALANCE", "MAINT MARGIN"], rows)


def positions_table(positions: Sequence[models.PositionLiquidated]) -> str:
    rows = [
        [
            _with_leg(position.symbol, position.position_side),
            text(position.quantity),
            text(position.deleveraged_quantity),
            text(position.average_price),
            text(position.bankruptcy_price),
            text(position.realized_pnl),
            text(position.insurance_fund_change),
        ]
        for position in positions
    ]
    return table(["SYMBOL", "QTY", "BY ADL", "AVG PRICE", "BANKRUPTCY", "REALIZED PNL", "TO FUND"], rows)


def _with_leg(symbol: str, leg: PositionSide | None) -> str:
    """A symbol with the hedge leg it concerns ("BTCUSDT SHORT"); the symbol alone for a one-way position."""
    return f"{symbol} {leg.name}" if leg is not None and symbol else symbol
