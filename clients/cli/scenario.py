"""``scenario list|run``: the operator's scripted markets, and living through them on a simulated clock.

``scenario run flash-crash --seed 7 --advance 10m`` loads the script and, on a server started with
``--clock simulated``, lives through ten minutes of it at once (feed steps, liquidations, funding).
"""

import argparse

from paperex.client import models
from paperex.client.cli.arguments import Commands, parse_duration
from paperex.client.cli.connection import open_admin
from paperex.client.cli.output import Output
from paperex.client.cli.render import MISSING, fields, table, text
from paperex.client.enums import ClockMode
from paperex.client.errors import ClockNotSimulated


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``scenario ...`` to the parser."""
    scenario = commands.add_parser("scenario", help="list and run scripted markets (admin)")
    actions = scenario.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[common], help="the scenario library")
    listing.set_defaults(handler=list_scenarios)

    run = actions.add_parser("run", parents=[common], help="load a scenario, optionally advance simulated time")
    run.add_argument("name", metavar="NAME")
    run.add_argument("--seed", type=int, default=0, help="seed of the scenario's random walks (same seed, same run)")
    run.add_argument(
        "--advance",
        type=parse_duration,
        metavar="DURATION",
        help="then advance a simulated clock by e.g. 30s, 90m, 1h",
    )
    run.set_defaults(handler=run_scenario)


async def list_scenarios(args: argparse.Namespace, out: Output) -> None:
    """The library, so the operator can pick a market for the bots."""
    async with open_admin(args) as admin:
        scenarios = await admin.scenarios()
    out.emit({"scenarios": scenarios}, lambda: _scenarios_table(scenarios))


def _scenarios_table(scenarios: list[models.Scenario]) -> str:
    rows = [[item.name, text(item.duration), ",".join(item.symbols) or MISSING, item.description] for item in scenarios]
    return table(["NAME", "DURATION", "SYMBOLS", "DESCRIPTION"], rows)


async def run_scenario(args: argparse.Namespace, out: Output) -> None:
    """Loads the scenario, advances the clock when asked, and prints where the clock stands. An advance
    a wall clock cannot make is refused before the scenario replaces the live market."""
    async with open_admin(args) as admin:
        if args.advance is not None and (await admin.clock()).mode is not ClockMode.SIMULATED:
            raise ClockNotSimulated("--advance needs a server started with --clock simulated; nothing was changed")
        scenario = await admin.load_scenario(args.name, seed=args.seed)
        advanced = await admin.advance_time(args.advance) if args.advance is not None else None
        clock = await admin.clock()
    document = {"scenario": scenario, "advanced": advanced, "clock": clock}
    out.emit(document, lambda: _clock_fields(scenario, advanced, clock))


def _clock_fields(scenario: models.Scenario, advanced: models.AdvanceTimeResponse | None, clock: models.Clock) -> str:
    lines = [
        ("scenario", f"{scenario.name} ({text(scenario.duration)}, {','.join(scenario.symbols)})"),
        ("clock", f"{clock.mode.name} {text(clock.time)}"),
        ("scenario elapsed", text(clock.scenario_elapsed)),
        ("liquidity provider", "on" if clock.liquidity_provider else "off"),
    ]
    if advanced is not None:
        lines.insert(2, ("advanced", f"{advanced.steps} feed steps"))
    return fields(lines)
