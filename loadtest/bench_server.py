"""What one order command costs on the server's own path, stage by stage, without gRPC.

Run ``python -m loadtest.bench_server [--requests N] [--batch N] [--repetitions N] [--json]``.

The load tool's own flow (``loadtest.grpc_load.flow``: 32 bots, ``add=95,market=5``, each cancelling
all after 20 adds, around a book seeded 20 levels a side) goes through the calls the server makes
for an OrderSession request, on one thread, each stage timed on its own:

* ``decode``: the request's bytes to a message (what grpc does before our handler);
* ``parse``: wire commands to engine commands (``TradingService._parse_command``);
* ``engine``: ``Engine.apply``;
* ``projection``: the rest of ``Exchange.execute``, the writer's own part (host commands, the market
  script's observation of the events);
* ``journal_text``: the command's journal line (``paperex.server.core.tape.encode``);
* ``results``: the results stage, once the batch is applied (``Results.fold``: history, user-event
  captures, book, trade and candle publications, what the answer needs beyond the events);
* ``answer``: each command's reply (``order_result``, then ``Answers``), from its ``Applied`` once the
  batch is applied;
* ``response``: the OrderSessionResponse assembled and serialized.

The single writer's own share is ``engine + projection + journal_text``; the results stage runs after
the journal write, and the answer and the response are built by the caller, outside the writer.

Left out: gRPC's and asyncio's own work, the journal write (on its own thread) and stream fan-out,
which the gRPC load tool (``python -m loadtest session``) measures with everything else. This one is
steady enough to compare two versions of the code on a busy machine. Each repetition starts from a
fresh exchange; the figures are the median over repetitions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtest.bench_engine import machine
from loadtest.grpc_load.flow import MARK_TICKS, SESSION_FIELDS, SYMBOL, Account, Centre, Flow, Mix, limit_order
from paperex.engine.commands import SetMarkPrice
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.units import SCALE
from paperex.server.core.application import order_result
from paperex.server.core.exchange import Exchange
from paperex.server.core.exchange_commands import OpenAccount
from paperex.server.core.tape import encode
from paperex.server.grpc_api.services.trading import TradingService, add_result
from paperex.server.wire import parse
from paperex.server.wire.errors import Refused
from paperex.v1 import common_pb2, trading_pb2

STAGES = ("decode", "parse", "engine", "projection", "journal_text", "results", "answer", "response")
BOTS = 32
SEED_LEVELS = 20
START_NS = 1_700_000_000 * 10**9
RESULTS = Path(__file__).resolve().parent / "results" / "server.txt"


class _Bench:
    """A fresh exchange with the load tool's market, and the servicer that answers for it."""

    def __init__(self) -> None:
        self.exchange = exchange = Exchange(DEFAULT_INSTRUMENTS)
        self.now = START_NS
        for number in range(BOTS + 1):  # the bots, then the account that seeds the book
            exchange.apply(
                OpenAccount(name=f"bot{number}", key_hash=f"key{number}", deposit=10**9 * SCALE, ts=self.now)
            )
        exchange.apply(SetMarkPrice(symbol=SYMBOL, price=MARK_TICKS, ts=self.now))
        for level in range(1, SEED_LEVELS + 1):
            for side, ticks in (
                (common_pb2.SIDE_BUY, MARK_TICKS - 50 - level),
                (common_pb2.SIDE_SELL, MARK_TICKS + 50 + level),
            ):
                command = parse.place_order(limit_order(side, 100, ticks), BOTS + 1, exchange.instruments)
                command.ts = self.now
                exchange.apply(command)
        runtime: Any = _Runtime(exchange)
        self.service = TradingService(runtime)
        mix = Mix.parse("add=95,market=5")
        self.flows = [Flow(Account(number + 1, ()), mix, "all", 20, number, Centre()) for number in range(BOTS)]
        self.totals = dict.fromkeys(STAGES, 0.0)
        self.commands = 0

    def request(self, flow: Flow, batch: int, number: int) -> None:
        """One OrderSession request of ``flow``'s next ``batch`` commands through every stage."""
        kinds, message = [], trading_pb2.OrderSessionRequest(correlation_id=str(number))
        for _ in range(batch):
            kind, wire = flow.next()
            kinds.append(kind)
            getattr(message.commands.add(), SESSION_FIELDS[kind]).CopyFrom(wire)
        payload = message.SerializeToString()
        clock, totals, exchange = time.perf_counter, self.totals, self.exchange
        engine_time = _timed(exchange)
        started = clock()
        request = trading_pb2.OrderSessionRequest.FromString(payload)
        decoded = clock()
        parsed = [self.service._parse_command(flow.account.account_id, command) for command in request.commands]
        totals["parse"] += clock() - decoded
        totals["decode"] += decoded - started
        outcomes: list[Any] = []
        for command in parsed:
            if isinstance(command, Refused):  # the flow sends none; a wire refusal is its own answer
                outcomes.append(command)
                continue
            self.now += 1_000
            command.ts = self.now
            before = clock()
            outcomes.append(exchange.execute(command))
            applied_at = clock()
            encode(command)
            totals["projection"] += applied_at - before
            totals["journal_text"] += clock() - applied_at
        folding = clock()
        fold = exchange.results.fold
        for item in outcomes:
            if not isinstance(item, Refused):
                fold(item)
        totals["results"] += clock() - folding
        answering = clock()
        outcome, instruments = self.service.answers.outcome, exchange.instruments
        outcomes = [
            item if isinstance(item, Refused) else outcome(item.command, order_result(item, instruments))
            for item in outcomes
        ]
        totals["answer"] += clock() - answering
        assembling = clock()
        response = trading_pb2.OrderSessionResponse(correlation_id=request.correlation_id)
        for outcome in outcomes:
            add_result(response.results, outcome)
        answer = response.SerializeToString()
        totals["response"] += clock() - assembling
        totals["engine"] += engine_time()
        totals["projection"] -= engine_time()
        _untime(exchange)
        self.commands += batch
        for kind, result in zip(kinds, trading_pb2.OrderSessionResponse.FromString(answer).results, strict=True):
            which = result.WhichOneof("result")
            if which != "rejection":
                flow.answered(kind, getattr(result, which))


class _Runtime:
    """What TradingService reads of the live server's Runtime here."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.instruments = exchange.instruments


class _TimedEngine:
    """Stands in for the exchange's engine during one request and adds up the time spent in ``apply``
    (a compiled engine's methods cannot be replaced on the instance); everything else passes through."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.spent = 0.0

    def apply(self, command: Any) -> Any:
        start = time.perf_counter()
        events = self.engine.apply(command)
        self.spent += time.perf_counter() - start
        return events

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def _timed(exchange: Exchange) -> Callable[[], float]:
    """Time the exchange's engine calls until ``_untime``; returns the running total."""
    timed = _TimedEngine(exchange.engine)
    exchange.engine = timed  # type: ignore[assignment]
    return lambda: timed.spent


def _untime(exchange: Exchange) -> None:
    exchange.engine = exchange.engine.engine  # type: ignore[attr-defined]


def repetition(requests: int, batch: int) -> dict[str, float]:
    """Microseconds per command by stage over ``requests`` requests on a fresh exchange."""
    bench = _Bench()
    for number in range(requests):
        bench.request(bench.flows[number % BOTS], batch, number)
    return {stage: seconds / bench.commands * 1e6 for stage, seconds in bench.totals.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.bench_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="OrderSession requests per repetition (400)")
    parser.add_argument("--batch", type=int, default=100, help="commands per request (100)")
    parser.add_argument("--repetitions", type=int, default=5, help="timed repetitions after one warm-up (5)")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.add_argument("--results", default=str(RESULTS), help="file the summary line is appended to ('' for none)")
    args = parser.parse_args(argv)
    repetition(args.requests // 4 or 1, args.batch)  # warm-up
    runs = [repetition(args.requests, args.batch) for _ in range(args.repetitions)]
    stages = {stage: statistics.median(run[stage] for run in runs) for stage in STAGES}
    total = statistics.median(sum(run.values()) for run in runs)
    report = {
        "us_per_command": stages,
        "total_us_per_command": total,
        "commands_per_second": 1e6 / total,
        "requests": args.requests,
        "batch": args.batch,
        "repetitions": args.repetitions,
        "machine": machine(),
    }
    stage_text = " ".join(f"{stage}={value:.2f}us" for stage, value in stages.items())
    line = f"total={total:.1f}us/command ({1e6 / total:,.0f}/s) {stage_text}"
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"server path, median of {args.repetitions} x {args.requests} requests of {args.batch}: {line}")
    if args.results:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        info = machine()
        context = f"cpus={info['usable_cpus']} {info['implementation']}-{info['python']}"
        command = " ".join(["python -m loadtest.bench_server", *(argv if argv is not None else sys.argv[1:])])
        with open(args.results, "a", encoding="utf-8") as results:
            results.write(f"{stamp} {line} {context} cmd='{command}'\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
