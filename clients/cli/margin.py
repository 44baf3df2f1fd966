"""``leverage``, ``margin-mode``, ``margin add|remove``, ``position-mode`` and ``asset-mode``: an account's
margin settings (API key).

The names are the ones a venue's order form uses: leverage and margin mode are set per symbol before
trading it (the exchange refuses a mode change with an open position or orders, and a leverage the
position's notional does not allow); ``margin`` moves USDT in or out of an isolated position (of one
leg in hedge mode, ``--position-side``); ``position-mode`` shows or switches one-way and hedge mode;
``asset-mode`` switches the account between single-asset mode and Multi-Assets mode (other assets count
as margin at their collateral rate).
"""

import argparse

from paperex.client import models
from paperex.client.cli.arguments import (
    Commands,
    decimal_argument,
    enum_choices,
    enum_member,
    positive_int,
    symbol_argument,
    word_argument,
)
from paperex.client.cli.connection import open_client
from paperex.client.cli.output import Output
from paperex.client.cli.render import fields, text
from paperex.client.enums import MarginAdjustment, MarginMode, PositionMode, PositionSide


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``leverage``, ``margin-mode`` and ``margin ...`` to the parser."""
    leverage = commands.add_parser(
        "leverage", parents=[common], help="set a symbol's leverage; prints the largest position it allows"
    )
    leverage.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
    leverage.add_argument("leverage", type=positive_int, metavar="N", help="e.g. 10 for 10x")
    leverage.set_defaults(handler=set_leverage)

    mode = commands.add_parser("margin-mode", parents=[common], help="set a symbol's margin mode: cross or isolated")
    mode.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
    mode.add_argument("mode", type=word_argument, choices=enum_choices(MarginMode), metavar="cross|isolated")
    mode.set_defaults(handler=set_margin_mode)

    assets = commands.add_parser(
        "asset-mode", parents=[common], help="single: USDT alone is margin; multi: USDC, BTC, ETH count too"
    )
    assets.add_argument("mode", type=word_argument, choices=("single", "multi"), metavar="single|multi")
    assets.set_defaults(handler=set_asset_mode)

    margin = commands.add_parser("margin", help="add USDT to or remove it from an isolated position")
    actions = margin.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, verb in (("add", "move USDT from the wallet into"), ("remove", "take USDT back from")):
        adjust = actions.add_parser(name, parents=[common], help=f"{verb} an isolated position's margin")
        adjust.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
        adjust.add_argument("amount", type=decimal_argument, metavar="AMOUNT", help="USDT")
        adjust.add_argument(
            "--position-side", type=word_argument, choices=enum_choices(PositionSide), help="hedge mode: the leg"
        )
        adjust.set_defaults(handler=adjust_margin, adjustment=enum_member(MarginAdjustment, name))

    position_mode = commands.add_parser(
        "position-mode", parents=[common], help="show the position mode, or switch it: one-way or hedge"
    )
    position_mode.add_argument(
        "mode", nargs="?", type=word_argument, choices=enum_choices(PositionMode), metavar="one-way|hedge"
    )
    position_mode.set_defaults(handler=show_or_set_position_mode)


def settings_fields(settings: models.SymbolSettings) -> str:
    """The symbol's settings after a change, with the notional its leverage allows."""
    return fields(
        [
            ("symbol", settings.symbol),
            ("margin mode", text(settings.margin_mode)),
            ("leverage", f"{settings.leverage}x"),
            ("max notional", f"{text(settings.max_notional)} USDT"),
        ]
    )


async def set_leverage(args: argparse.Namespace, out: Output) -> None:
    """Sets the leverage and prints the largest position notional its bracket allows at it."""
    async with open_client(args) as client:
        settings = await client.set_leverage(args.symbol, args.leverage)
    out.emit(settings, lambda: settings_fields(settings))


async def set_margin_mode(args: argparse.Namespace, out: Output) -> None:
    """Switches the symbol between cross and isolated margin."""
    async with open_client(args) as client:
        settings = await client.set_margin_mode(args.symbol, enum_member(MarginMode, args.mode))
    out.emit(settings, lambda: settings_fields(settings))


async def set_asset_mode(args: argparse.Namespace, out: Output) -> None:
    """Switches Multi-Assets mode on or off (refused with open orders or positions)."""
    async with open_client(args) as client:
        multi_assets = await client.set_asset_mode(args.mode == "multi")
    shown = "multi-assets" if multi_assets else "single-asset"
    out.emit({"multi_assets_mode": multi_assets}, lambda: fields([("asset mode", shown)]))


async def adjust_margin(args: argparse.Namespace, out: Output) -> None:
    """Moves the amount and prints the position's margin, its new liquidation price and the cross wallet."""
    async with open_client(args) as client:
        leg = enum_member(PositionSide, args.position_side) if args.position_side else None
        adjusted = await client.adjust_isolated_margin(args.symbol, args.adjustment, args.amount, leg)
    out.emit(adjusted, lambda: adjusted_fields(adjusted))


async def show_or_set_position_mode(args: argparse.Namespace, out: Output) -> None:
    """Prints the account's position mode, after switching it when a mode is given."""
    async with open_client(args) as client:
        if args.mode:
            mode = await client.set_position_mode(enum_member(PositionMode, args.mode))
        else:
            mode = await client.position_mode()
    out.emit({"position_mode": mode}, lambda: fields([("position mode", text(mode))]))


def adjusted_fields(adjusted: models.AdjustIsolatedMarginResponse) -> str:
    """What the transfer changed: the isolated margin, what may still be removed, the liquidation price."""
    position = adjusted.position
    return fields(
        [
            ("symbol", position.symbol),
            ("isolated margin", f"{text(position.isolated_wallet)} USDT"),
            ("max removable", f"{text(position.max_removable_margin)} USDT"),
            ("liquidation price", text(position.liquidation_price)),
            ("cross wallet balance", f"{text(adjusted.cross_wallet_balance)} USDT"),
        ]
    )
