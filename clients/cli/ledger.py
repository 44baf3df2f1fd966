"""``ledger``: where all the exchange's money is, and whether it adds up (admin).

Wallets, isolated margin, fees, the insurance fund and open positions at their entry notional must sum
to the net deposits after every command. An imbalance is a bug in the exchange, so besides printing it
the command exits 5: a soak script or a cron job can alarm on the exit code alone.
"""

import argparse

from paperex.client import models
from paperex.client.cli.arguments import Commands
from paperex.client.cli.connection import open_admin
from paperex.client.cli.exits import Unbalanced
from paperex.client.cli.output import Output
from paperex.client.cli.render import fields, text


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``ledger`` to the parser."""
    ledger = commands.add_parser(
        "ledger", parents=[common], help="the money-conservation terms and whether they balance (admin)"
    )
    ledger.set_defaults(handler=show_ledger)


async def show_ledger(args: argparse.Namespace, out: Output) -> None:
    """Prints the terms and the verdict; raises Unbalanced (exit 5) after printing when money is not conserved."""
    async with open_admin(args) as admin:
        ledger = await admin.ledger()
    out.emit({"ledger": ledger, "conserved": ledger.conserved}, lambda: ledger_fields(ledger))
    if not ledger.conserved:
        raise Unbalanced(
            f"money is not conserved: imbalance {text(ledger.imbalance)} {ledger.asset} at sequence {ledger.sequence}"
        )


def ledger_fields(ledger: models.Ledger) -> str:
    """The terms in the order they add up, then one line that says whether they balance."""
    terms = [
        ("net deposits", ledger.net_deposits),
        ("insurance contributions", ledger.insurance_contributions),
        ("wallets", ledger.wallets),
        ("isolated margin", ledger.isolated_margin),
        ("fees collected", ledger.fees_collected),
        ("insurance fund", ledger.insurance_fund),
        ("open positions", ledger.open_positions),
        ("money in system", ledger.money_in_system),
        ("imbalance", ledger.imbalance),
    ]
    lines = [(label, f"{text(amount)} {ledger.asset}") for label, amount in terms]
    lines += [("sequence", str(ledger.sequence)), ("time", text(ledger.time))]
    verdict = (
        "money conserved: yes (money in system = net deposits + insurance contributions)"
        if ledger.conserved
        else f"money conserved: NO, imbalance {text(ledger.imbalance)} {ledger.asset} (a bug in the exchange)"
    )
    return f"{fields(lines)}\n{verdict}"
