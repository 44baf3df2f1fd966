"""The command line: parse and check the options, run the mode, print and record the report."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import pstats
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from loadtest import grpc_load as package
from loadtest.grpc_load import plot
from loadtest.grpc_load.flow import DEFAULT_MIX, MIX_KINDS, Mix
from loadtest.grpc_load.prefill import default_orders
from loadtest.grpc_load.report import append_results, human_report
from loadtest.grpc_load.run import load
from loadtest.grpc_load.settings import MODES, RESULTS, Settings
from loadtest.grpc_load.soak import soak
from paperex.server.state.history import MIN_RETAINED

DEFAULT_RATE = {"open-loop": "2000", "soak": "200"}
DEFAULT_DURATION = {"soak": 600.0}
DEFAULT_ACCOUNTS = {"soak": 2}
"""Few bots in a soak, so that each one's history fills the server's retention in the first half."""
DEFAULT_SNAPSHOT_EVERY = {"soak": 20_000}
"""A soak's server has its helper process snapshot every 100 s at 200/s, so that runs all along."""
DEFAULT_HISTORY_RETENTION = {"soak": MIN_RETAINED}
"""A soak's server keeps the fewest orders and fills per account it allows, so that every bot's
history is full early in the first half and the second half shows whether memory stays flat."""


class _Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in ("", None, False):
            return action.help
        return super()._get_help_string(action)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m loadtest.grpc_load",
        description=package.__doc__.splitlines()[0] if package.__doc__ else None,
        formatter_class=_Defaults,
    )
    add = root.add_argument
    add("mode", choices=MODES)
    add("--target", default="", help="HOST:PORT of a running server (default: start one)")
    add("--admin-token", default="", help="the target's admin token (needed with --target)")
    add("--durability", default="", help="own server: strict, batched (default) or off; with --target: as stated")
    add("--accounts", type=int, default=None, help="bots: accounts, each with its own flow (32; soak: 2)")
    add("--in-flight", type=int, default=64, help="unary: concurrent calls")
    add("--streams", type=int, default=2, help="session: streams, one account each")
    add("--batch", type=int, default=100, help="session: commands per request")
    add("--window", type=int, default=4, help="session: outstanding requests per stream")
    add("--rate", default=None, help="calls per second, or a list of steps (open-loop: 2000; soak: 200)")
    add("--duration", type=float, default=None, help="measured seconds per rate step (10; soak: 600)")
    add("--warmup", type=float, default=2.0, help="unmeasured seconds before each measurement")
    add("--mix", default=DEFAULT_MIX, help=f"operation weights, keys {', '.join(MIX_KINDS)}")
    add("--cancel", choices=("all", "oldest"), default="all", help="how a bot bounds its resting orders")
    add("--max-open", type=int, default=20, help="limit orders per bot before it cancels")
    add("--seed-levels", type=int, default=20, help="seeded book levels per side (0: none)")
    add("--seed", type=int, default=1, help="random seed of the order flows (and of the soak's scenario)")
    add("--channels", type=int, default=1, help="gRPC channels (connections) per worker the calls are spread over")
    add("--workers", type=int, default=1, help="client processes sharing the bots, calls, streams and subscribers")
    add("--subscribers", type=int, default=0, help="StreamOrderBook subscribers while orders flow")
    add("--baseline", action=argparse.BooleanOptionalAction, default=True, help="also measure the echo baseline")
    add(
        "--rounds",
        type=int,
        default=1,
        help="paperex and the echo measured alternately this many times per rate; the ratio to compare is their median",
    )
    add("--json", action="store_true", help="print the JSON report instead of the table")
    add("--results", default=str(RESULTS), help="file the one-line summaries are appended to ('' for none)")
    add("--plot", default="", help="write a PNG of latency percentiles and throughput over time (needs matplotlib)")
    add("--profile-server", default="", help="own server: run it under cProfile writing this file")
    add("--profile-top", type=int, default=25, help="entries of the server profile to print")
    add("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress line (default: on a tty)")
    add("--scenario", default="flash-crash", help="soak: library scenario, or a scenario .toml file")
    add("--gamblers", type=int, default=8, help="soak: high-leverage accounts that moving prices liquidate")
    add("--leverage", type=int, default=100, help="soak: the gamblers' leverage")
    add(
        "--prefill",
        type=int,
        default=None,
        help="soak: market orders against the liquidity provider first, so that its fills fill the history "
        "retention and the trades the symbol's public trades (default: the larger of the two)",
    )
    add("--snapshot-every", type=int, default=None, help="own server: commands between snapshots (soak: 20000)")
    add(
        "--history-retention",
        type=int,
        default=None,
        help=f"own server: orders and fills kept per account (server default; soak: {MIN_RETAINED})",
    )
    add(
        "--gateways",
        type=int,
        default=1,
        help="own server: 1 one process; N >= 2 a sequencer process and N gateway processes (paperex serve --gateways)",
    )
    add("--rss-every", type=float, default=1.0, help="soak: seconds between samples of the server's RSS")
    add("--rss-slope-limit", type=float, default=0.5, help="soak: most steady RSS growth in the second half, MiB/min")
    return root


def settings_from(argv: Sequence[str]) -> Settings:
    args = parser().parse_args(argv)
    fail = parser().error
    mode = args.mode
    rate_text = args.rate or DEFAULT_RATE.get(mode, "2000")
    try:
        rates = [float(rate) for rate in rate_text.split(",")]
        mix = Mix.parse(args.mix)
    except ValueError as error:
        fail(f"--rate or --mix: {error}")
    if args.target and not args.admin_token:
        fail("--target needs --admin-token")
    own_server_only = (
        args.profile_server, args.snapshot_every, args.history_retention, args.gateways > 1, mode == "soak"
    )  # fmt: skip
    if args.target and any(own_server_only):
        fail(
            "--profile-server, --snapshot-every, --history-retention, --gateways and soak need the own server, "
            "not --target"
        )
    durability = args.durability or ("unknown" if args.target else "batched")
    if not args.target and durability not in ("strict", "batched", "off"):
        fail("--durability is strict, batched or off")
    accounts = args.accounts if args.accounts is not None else DEFAULT_ACCOUNTS.get(mode, 32)
    counts = (accounts, args.in_flight, args.streams, args.batch, args.window, args.channels, args.max_open)
    if min(counts) < 1 or args.workers < 1 or args.rounds < 1:
        fail("--accounts, --in-flight, --streams, --batch, --window, --channels, --max-open, --workers, --rounds >= 1")
    if args.gateways < 1:
        fail("--gateways >= 1")
    if accounts < args.workers:
        fail("--accounts must be at least --workers: each worker has its own bots")
    duration = args.duration if args.duration is not None else DEFAULT_DURATION.get(mode, 10.0)
    if duration <= 0 or args.warmup < 0 or min(rates) <= 0 or args.subscribers < 0:
        fail("--duration and --rate must be > 0, --warmup and --subscribers >= 0")
    if mode == "session" and "query" in mix.names():
        fail("--mix: queries are not OrderSession commands")
    if mode == "soak" and (len(rates) != 1 or args.rss_every <= 0 or min(args.gamblers, args.prefill or 0) < 0):
        fail("soak: one --rate, --rss-every > 0, --gamblers and --prefill >= 0")
    if mode == "soak" and args.rounds != 1:
        fail("--rounds: a soak is one run")
    if args.plot and not plot.available():
        fail(plot.MISSING)
    history_retention = args.history_retention or DEFAULT_HISTORY_RETENTION.get(mode, 0)
    default_prefill = default_orders(history_retention) if mode == "soak" else 0
    resolved = {
        "accounts": accounts,
        "snapshot_every": args.snapshot_every or DEFAULT_SNAPSHOT_EVERY.get(mode, 0),
        "history_retention": history_retention,
        "gateways": args.gateways,
        "prefill": default_prefill if args.prefill is None else args.prefill,
        "durability": durability,
        "rates": rates,
        "duration": duration,
        "mix": str(mix),
        "baseline": args.baseline and mode != "soak",
        "profile_server": str(Path(args.profile_server).resolve()) if args.profile_server else "",
        "progress": sys.stderr.isatty() if args.progress is None else args.progress,
    }
    same_name = {field.name: getattr(args, field.name) for field in fields(Settings) if hasattr(args, field.name)}
    return Settings(**(same_name | resolved))


def profile_report(path: str, top: int) -> str:
    """The server profile's top entries by cumulative and by own time."""
    text = io.StringIO()
    stats = pstats.Stats(path, stream=text)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    return text.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one invocation; 1 when a soak fails or the server profile was not written."""
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = settings_from(argv)
    report = asyncio.run(soak(settings, argv) if settings.mode == "soak" else load(settings, argv))
    if settings.results:
        append_results(report, Path(settings.results))
    print(json.dumps(report) if settings.json else human_report(report, settings))
    if settings.plot:
        plot.write_plot(report, Path(settings.plot))
        print(f"plot written to {settings.plot}", file=sys.stderr)
    code = 1 if report["soak"] and not report["soak"]["pass"] else 0
    if settings.profile_server:
        if not Path(settings.profile_server).is_file():
            print(f"the server profile {settings.profile_server} was not written", file=sys.stderr)
            return 1
        print(
            profile_report(settings.profile_server, settings.profile_top),
            file=sys.stderr if settings.json else sys.stdout,
        )
    return code
