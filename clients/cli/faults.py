"""``faults set|clear``: make the exchange misbehave on purpose, to test a bot's reconnect, timeout and
retry code (admin).

``faults set plan.toml --account 3`` gives account 3 the plan in the file (latency, refused calls, lost
answers, late acknowledgements, dropped streams, a maintenance window; ``docs/faults.md``); without
``--account`` the plan is everyone's. ``faults clear`` ends it.
"""

import argparse
from pathlib import Path

from paperex.client.cli.arguments import Commands
from paperex.client.cli.connection import open_admin
from paperex.client.cli.exits import UsageError
from paperex.client.cli.output import Output


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``faults ...`` to the parser."""
    faults = commands.add_parser("faults", help="inject latency, errors, dropped streams, maintenance (admin)")
    actions = faults.add_subparsers(dest="action", required=True, metavar="ACTION")
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--account", type=int, default=0, metavar="ACCOUNT_ID", help="default: every account")

    setting = actions.add_parser("set", parents=[common, target], help="apply a fault plan (TOML file, - for stdin)")
    setting.add_argument("plan", type=argparse.FileType("r"), metavar="PLAN")
    setting.set_defaults(handler=set_faults)

    clearing = actions.add_parser("clear", parents=[common, target], help="end the fault plan")
    clearing.set_defaults(handler=clear_faults)


async def set_faults(args: argparse.Namespace, out: Output) -> None:
    with args.plan as source:
        plan = source.read()
    if not plan.strip():
        raise UsageError(f"{Path(args.plan.name).name}: the plan is empty (`paperex faults clear` ends one)")
    async with open_admin(args) as admin:
        await admin.set_faults(plan, account_id=args.account)
    out.emit({"account_id": args.account, "plan": plan}, lambda: f"fault plan set for {_whom(args.account)}")


async def clear_faults(args: argparse.Namespace, out: Output) -> None:
    async with open_admin(args) as admin:
        await admin.set_faults("", account_id=args.account)
    out.emit({"account_id": args.account, "plan": ""}, lambda: f"fault plan cleared for {_whom(args.account)}")


def _whom(account_id: int) -> str:
    return f"account {account_id}" if account_id else "every account"
