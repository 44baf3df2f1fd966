"""``order place|amend|cancel|list``: trading from the shell with an account's API key.

Every order carries a client order id (the SDK makes one unless ``--client-order-id`` names it), so
the SDK's retry after a lost answer returns the original order instead of placing a second one.
"""

import argparse
from collections.abc import Sequence
from typing import Any

from paperex.client import models
from paperex.client.cli.arguments import (
    Commands,
    decimal_argument,
    enum_choices,
    enum_member,
    parse_time,
    positive_int,
    symbol_argument,
    word_argument,
)
from paperex.client.cli.connection import open_client
from paperex.client.cli.exits import UsageError
from paperex.client.cli.output import Output
from paperex.client.cli.tables import fills_table, orders_table
from paperex.client.commands import AmendOrder, PlaceOrder
from paperex.client.enums import OrderType, PositionSide, Side, TimeInForce, TriggerBy

MAX_PAGE = 1000


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``order ...`` to the parser."""
    order = commands.add_parser("order", help="place, amend, cancel and list orders (API key)")
    actions = order.add_subparsers(dest="action", required=True, metavar="ACTION")

    place = actions.add_parser("place", parents=[common], help="place an order; prints it and its fills")
    place.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
    place.add_argument("side", type=word_argument, choices=enum_choices(Side), metavar="buy|sell")
    place.add_argument(
        "quantity", nargs="?", type=decimal_argument, metavar="QUANTITY", help="base units (omit with --close-position)"
    )
    place.add_argument("--price", type=decimal_argument, metavar="P", help="limit price (a limit order by default)")
    place.add_argument(
        "--type",
        dest="order_type",
        type=word_argument,
        choices=enum_choices(OrderType),
        metavar="TYPE",
        help=f"{'|'.join(enum_choices(OrderType))} (default: limit with --price, else market)",
    )
    place.add_argument(
        "--tif", type=word_argument, choices=enum_choices(TimeInForce), help="time in force (gtx: post-only)"
    )
    place.add_argument("--stop-price", type=decimal_argument, metavar="P", help="trigger price of stop/take-profit")
    place.add_argument(
        "--trigger-by",
        type=word_argument,
        choices=enum_choices(TriggerBy),
        help="price a trigger watches (default mark)",
    )
    place.add_argument("--reduce-only", action="store_true", help="may only shrink the position")
    place.add_argument(
        "--position-side",
        type=word_argument,
        choices=enum_choices(PositionSide),
        help="hedge mode: the leg (buy/long opens it, sell/long closes it)",
    )
    place.add_argument("--close-position", action="store_true", help="a stop/take-profit closing the whole position")
    place.add_argument("--callback-bps", type=int, default=0, metavar="N", help="trailing stop callback, basis points")
    place.add_argument("--activation-price", type=decimal_argument, metavar="P", help="trailing stop activation")
    place.add_argument("--expire-time", type=parse_time, metavar="ISO", help="GTD expiry, e.g. 2026-01-01T01:00:00Z")
    place.add_argument("--client-order-id", metavar="ID", help="your id for the order (idempotent retries)")
    place.set_defaults(handler=place_order)

    amend = actions.add_parser("amend", parents=[common], help="change a resting limit order's price or quantity")
    amend.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
    amend.add_argument("order_id", type=int, metavar="ORDER_ID")
    amend.add_argument("--price", type=decimal_argument, metavar="P")
    amend.add_argument("--quantity", type=decimal_argument, metavar="Q", help="new total quantity")
    amend.set_defaults(handler=amend_order)

    cancel = actions.add_parser("cancel", parents=[common], help="cancel one order, or --all of a symbol")
    cancel.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
    cancel.add_argument("order_id", nargs="?", type=int, metavar="ORDER_ID")
    cancel.add_argument("--all", action="store_true", help="every open order of SYMBOL")
    cancel.set_defaults(handler=cancel_orders)

    listing = actions.add_parser("list", parents=[common], help="open orders, or the newest of the history")
    listing.add_argument("symbol", nargs="?", default="", type=symbol_argument, metavar="SYMBOL")
    listing.add_argument(
        "--history", type=positive_int, metavar="N", help="the N newest orders, finished ones included"
    )
    listing.set_defaults(handler=list_orders)


def place_command(args: argparse.Namespace) -> PlaceOrder:
    """The SDK command the options describe (only the options given: the exchange's defaults apply)."""
    optional: dict[str, Any] = {}
    if args.order_type:
        optional["order_type"] = enum_member(OrderType, args.order_type)
    if args.tif:
        optional["time_in_force"] = enum_member(TimeInForce, args.tif)
    if args.trigger_by:
        optional["trigger_by"] = enum_member(TriggerBy, args.trigger_by)
    if args.client_order_id:
        optional["client_order_id"] = args.client_order_id
    if args.position_side:
        optional["position_side"] = enum_member(PositionSide, args.position_side)
    return PlaceOrder(
        args.symbol,
        enum_member(Side, args.side),
        args.quantity,
        price=args.price,
        stop_price=args.stop_price,
        reduce_only=args.reduce_only,
        close_position=args.close_position,
        callback_bps=args.callback_bps,
        activation_price=args.activation_price,
        expire_time=args.expire_time,
        **optional,
    )


async def place_order(args: argparse.Namespace, out: Output) -> None:
    """Places the order and shows how it ended up: resting, filled (with each fill) or expired."""
    async with open_client(args) as client:
        placed = await client.place_order(place_command(args))
    note = "\n(duplicate client order id: this is the original order)" if placed.duplicate else ""
    out.emit(placed, lambda: _with_fills([placed.order], placed.fills) + note)


async def amend_order(args: argparse.Namespace, out: Output) -> None:
    """Amends the order; says whether it kept its place in the queue."""
    if args.price is None and args.quantity is None:
        raise UsageError("order amend: give --price and/or --quantity")
    amend = AmendOrder(args.symbol, args.order_id, quantity=args.quantity, price=args.price)
    async with open_client(args) as client:
        amended = await client.amend_order(amend)
    priority = "kept its queue priority" if amended.priority_kept else "lost its queue priority"
    out.emit(amended, lambda: f"{_with_fills([amended.order], amended.fills)}\n(order {priority})")


def _with_fills(orders: Sequence[models.Order], fills: Sequence[models.Fill]) -> str:
    return f"{orders_table(orders)}\n\n{fills_table(fills)}"


async def cancel_orders(args: argparse.Namespace, out: Output) -> None:
    """Cancels one order by id, or every open order of the symbol with --all."""
    if (args.order_id is None) == (not args.all):
        raise UsageError("order cancel: give either ORDER_ID or --all")
    async with open_client(args) as client:
        if args.all:
            canceled = await client.cancel_all_orders(args.symbol)
        else:
            canceled = [await client.cancel_order(args.symbol, order_id=args.order_id)]
    out.emit({"orders": canceled}, lambda: f"canceled {len(canceled)}\n{orders_table(canceled)}")


async def list_orders(args: argparse.Namespace, out: Output) -> None:
    """The open orders, or with --history N the N newest orders (open and finished, newest first)."""
    async with open_client(args) as client:
        if args.history is None:
            orders = await client.open_orders(args.symbol)
        else:
            orders = []
            async for order in client.orders(args.symbol, page_size=min(args.history, MAX_PAGE)):
                orders.append(order)
                if len(orders) == args.history:
                    break
    out.emit({"orders": orders}, lambda: orders_table(orders))
