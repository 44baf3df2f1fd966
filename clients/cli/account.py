"""``account create|deposit|withdraw|list|rotate-key|show`` and ``positions``: opening accounts and
reading their state.

Creating, funding, listing accounts and replacing a lost API key are operator calls (the admin token);
reading is the account's own (its API key).
"""

import argparse
import asyncio

from paperex.client import models
from paperex.client.cli.arguments import Commands, decimal_argument, positive_int, symbol_argument
from paperex.client.cli.connection import API_KEY_VARIABLE, open_admin, open_client
from paperex.client.cli.output import Output
from paperex.client.cli.render import fields, text
from paperex.client.cli.tables import accounts_table, positions_table, summary_fields

PAGE = 1000
"""The most accounts the exchange lists at once."""


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``account ...`` and ``positions`` to the parser."""
    account = commands.add_parser("account", help="create, fund, list and inspect accounts; replace a lost API key")
    actions = account.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser(
        "create", parents=[common], help="open an account (admin); prints its API key and signing secret"
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--deposit", type=decimal_argument, metavar="AMOUNT", help="initial deposit in USDT")
    create.set_defaults(handler=create_account)

    for name, verb in (("deposit", "add USDT (or --asset) to"), ("withdraw", "take USDT (or --asset) from")):
        transfer = actions.add_parser(name, parents=[common], help=f"{verb} an account's wallet (admin)")
        transfer.add_argument("account_id", type=int, metavar="ACCOUNT_ID")
        transfer.add_argument("amount", type=decimal_argument, metavar="AMOUNT")
        transfer.add_argument(
            "--asset", type=str.upper, default="USDT", metavar="ASSET", help="USDT (default), USDC, BTC or ETH"
        )
        transfer.set_defaults(handler=transfer_funds, withdraw=name == "withdraw")

    listing = actions.add_parser("list", parents=[common], help="every account with its balances (admin)")
    listing.add_argument("--limit", type=positive_int, default=100, metavar="N", help="the first N by id (default 100)")
    listing.set_defaults(handler=list_accounts)

    rotate = actions.add_parser(
        "rotate-key",
        parents=[common],
        help="replace a lost API key (admin): prints the new one and its signing secret, the old pair stops",
    )
    rotate.add_argument("account_id", type=int, metavar="ACCOUNT_ID", help="see `paperex account list`")
    rotate.set_defaults(handler=rotate_key)

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
    out.emit(created, lambda: key_lines(created, f"created{deposit}"))


async def rotate_key(args: argparse.Namespace, out: Output) -> None:
    """Issues the account a new key and prints it once; the old key is refused from now on."""
    async with open_admin(args) as admin:
        rotated = await admin.rotate_api_key(args.account_id)
    out.emit(rotated, lambda: key_lines(rotated, "has a new API key; the old one no longer works"))


def key_lines(issued: models.CreateAccountResponse, what: str) -> str:
    """What happened, the key, the secret that signs the Binance-compatible API's requests, and the line
    that puts the key in the shell (the only time they are shown)."""
    return "\n".join(
        [
            f"account {issued.account_id} ({issued.name}) {what}",
            f"api key: {issued.api_key}",
            f"api secret: {issued.api_secret}",
            f"export {API_KEY_VARIABLE}={issued.api_key}",
        ]
    )


async def list_accounts(args: argparse.Namespace, out: Output) -> None:
    """The accounts in id order (the exchange's own liquidity provider is not one of them)."""
    found: list[models.AccountSummary] = []
    async with open_admin(args) as admin:
        async for account in admin.accounts(page_size=min(args.limit, PAGE)):
            found.append(account)
            if len(found) == args.limit:
                break
    out.emit({"accounts": found}, lambda: accounts_table(found))


async def transfer_funds(args: argparse.Namespace, out: Output) -> None:
    """Deposits to or withdraws from an account and prints its wallet afterwards."""
    async with open_admin(args) as admin:
        move = admin.withdraw if args.withdraw else admin.deposit
        balances = await move(args.account_id, args.amount, args.asset)
    document = {
        "account_id": args.account_id,
        "wallet_balance": balances.wallet_balance,
        "cross_wallet_balance": balances.cross_wallet_balance,
        "asset": args.asset,
        "asset_balance": balances.asset_balance,
    }
    out.emit(
        document,
        lambda: fields(
            [
                ("account", str(args.account_id)),
                ("wallet balance", text(balances.wallet_balance)),
                ("cross wallet balance", text(balances.cross_wallet_balance)),
                *([(f"{args.asset} balance", text(balances.asset_balance))] if args.asset != "USDT" else []),
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
