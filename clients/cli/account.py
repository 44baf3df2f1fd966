"""``account create|deposit|withdraw|show`` and ``positions``: opening accounts and reading their state.

Creating and funding are operator calls (the admin token); reading is the account's own (its API key).
"""

import argparse
import asyncio

from paperex.client.cli.arguments import Commands, decimal_argument, symbol_argument
from paperex.client.cli.connection import API_KEY_VARIABLE, open_admin, open_client
from paperex.client.cli.output import Output
from paperex.client.cli.render import fields, text
from paperex.client.cli.tables import positions_table, summary_fields


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``account ...`` and ``positions`` to the parser."""
    account = commands.add_parser("account", help="create, fund and inspect accounts")
    actions = account.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", parents=[common], help="open an account (admin); prints its API key")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--deposit", type=decimal_argument, metavar="AMOUNT", help="initial deposit in USDT")
    create.set_defaults(handler=create_account)

    for name, verb in (("deposit", "add USDT to"), ("withdraw", "take USDT from")):
        transfer = actions.add_parser(name, parents=[common], help=f"{verb} an account's wallet (admin)")
        transfer.add_argument("account_id", type=int, metavar="ACCOUNT_ID")
        transfer.add_argument("amount", type=decimal_argument, metavar="AMOUNT")
        transfer.set_defaults(handler=transfer_funds, withdraw=name == "withdraw")

    show = actions.add_parser("show", parents=[common], help="the account's balances, margin and positions")
    show.set_defaults(handler=show_account)

    positions = commands.add_parser("positions", parents=[common], help="open positions with liquidation prices")
    positions.add_argument("symbol", nargs="?", default="", type=symbol_argument, metavar="SYMBOL")
    positions.set_defaults(handler=show_positions)


async def create_account(args: argparse.Namespace, out: Output) -> None:
    """Opens an account and prints the key a bot (or the next command) authenticates with."""
    async with open_admin(args) as admin:
        created = await admin.create_account(args.name, args.deposit)
    deposit = f", deposit {text(args.deposit)} USDT" if args.deposit is not None else ""
    out.emit(
        created,
        lambda: "\n".join(
            [
                f"account {created.account_id} ({created.name}) created{deposit}",
                f"api key: {created.api_key}",
                f"export {API_KEY_VARIABLE}={created.api_key}",
            ]
        ),
    )


async def transfer_funds(args: argparse.Namespace, out: Output) -> None:
    """Deposits to or withdraws from an account and prints its wallet afterwards."""
    async with open_admin(args) as admin:
        move = admin.withdraw if args.withdraw else admin.deposit
        balances = await move(args.account_id, args.amount)
    document = {
        "account_id": args.account_id,
        "wallet_balance": balances.wallet_balance,
        "cross_wallet_balance": balances.cross_wallet_balance,
    }
    out.emit(
        document,
        lambda: fields(
            [
                ("account", str(args.account_id)),
                ("wallet balance", text(balances.wallet_balance)),
                ("cross wallet balance", text(balances.cross_wallet_balance)),
            ]
        ),
    )


async def show_account(args: argparse.Namespace, out: Output) -> None:
    """The summary a trader checks before sizing an order: balances, margin ratio, hidden leverage."""
    async with open_client(args) as client:
        summary = await client.account()
    out.emit(
        summary, lambda: f"{summary_fields(summary)}\n\n{positions_table(summary.positions, summary.margin_ratio)}"
    )


async def show_positions(args: argparse.Namespace, out: Output) -> None:
    """Positions (of one symbol or all) with the cross margin ratio they share."""
    async with open_client(args) as client:
        positions, summary = await asyncio.gather(client.positions(args.symbol), client.account())
    document = {"positions": positions, "margin_ratio": summary.margin_ratio}
    out.emit(document, lambda: positions_table(positions, summary.margin_ratio))
