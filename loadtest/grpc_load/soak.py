"""``soak``: a long run at a fixed rate in a moving market, then checks that the server held up.

The tool starts its own server (wall clock), loads ``--scenario`` (a library name such as
``flash-crash``, or a scenario TOML file) through Admin.LoadScenario so the index, hence the mark,
moves while the bots' flows follow the mark (every worker re-reads it each second) and
``--gamblers`` high-leverage accounts get liquidated. The order flow is open loop at ``--rate`` for
``--duration`` seconds after ``--warmup``, with ``--workers`` and ``--subscribers`` as in the other
modes. Then the checks (``loadtest.grpc_load.verdict``):

* ``rss``: the VmRSS of each server process, sampled every ``--rss-every`` seconds, grows in the second
  half of the run by at most ``--rss-slope-limit`` MiB per minute (0.5 by default, so that a leak of
  1 MiB a minute fails). With ``--gateways N`` each process (the supervisor, the sequencer, each
  gateway) is judged on its own against that limit (``verdict.rss_checks``): every one of them but
  the supervisor folds every batch into its own read models, so the bounded growth below comes once
  per process and their sum grows with N by design, while a leak in any one process shows in its
  own rate. The rate is ``verdict.growth_rate``: the median of the half's later samples less that
  of its earlier ones, over the time between them, which one-sample spikes (large temporaries) do
  not move and the server's one regular oscillation moves little (about 2 MiB with the snapshot
  period: SQLite's page cache, emptied when the snapshot helper writes the journal and refilled by
  the next commands). A step between the quarters counts in full: growth that has not settled;
* ``replay``: the journal replays to the same state (``loadtest.grpc_load.replay``);
* ``money``: money is conserved, to the 1e-8 unit: at the end of the run, ``Admin.GetLedger``'s sum
  of every wallet (the liquidity provider's too), the isolated margin, the fees collected, the
  insurance fund and the open positions at entry equals the net deposits;
* ``liquidations``: at least one gambler was liquidated (PositionLiquidated on its user-event stream);
* ``faults``: no call failed with a server fault (INTERNAL, UNAVAILABLE, ...), and the server exited
  0 on SIGINT.

Bounded is not flat from the start: the server keeps each account's last orders and fills up to a
retention and its last 10,000 user events (``paperex.server.core.exchange``; none for the liquidity provider,
whose events no key can read), so its memory grows until those fill up, and the soak judges only the
second half so as to leave that out. Two things make it full well before then. The soak's server
keeps the fewest orders and fills it allows (``--history-retention``, 1,000 by default here against
the server's 20,000): with the soak's defaults (2 bots at 200/s, each about 100 orders, 12 fills and
250 user events a second) every bot's history is full within about 90 s. And two that would fill
for longer than the soak are filled first by ``--prefill`` market orders (``loadtest.grpc_load.prefill``,
10,000 by default): the liquidity provider's fills, which would take hours, and the symbol's last
10,000 public trades, which take 15 minutes at the bots' 11 trades a second (0.11-0.18 MiB a minute
with the trade ids, prices and times they hold, measured with tracemalloc); a user of a server that has traded
for a while sees the same 10,000. The texts of prices and sizes that replies are rendered with
(``paperex.server.wire.render``, at most 4,096 per step) fill in the first half. What still grows is
small: the high-leverage accounts' logs (a few events a minute) and a new candle a minute. The server's
automatic snapshots are made by a helper process (``paperex.server.core.checkpoint``), so they cost the server no
memory; the soak's server makes one every ``--snapshot-every`` 20,000 commands (100 s at 200/s) so
that the helper runs all along. The RSS samples are in the report (and on the ``--plot``).

With ``--gateways N`` the sequencer and every gateway each hold those read models (a gateway folds
every batch it is sent), so each grows as one process does: in a 420 s run at the soak's defaults,
the live Python memory of each grew 0.21-0.26 MiB a minute in the second half and the C heap's 0.01
(with 65,536 texts per step and the trades not prefilled; since, three 600 s soaks gave the sequencer
0.343, 0.086 and 0.133 MiB a minute, the gateway that did not serve the calls 0.249, 0.117 and 0.0).
The gateway that served the calls grew faster (0.42, with room for 65,536 texts per step then): it
alone renders replies, so the texts above grow in it. It also keeps gRPC's per-call reference cycles
(its method-handler lookup's) that a freeze (``paperex.server.core.gc_policy``) caught in flight, until
the next full scan, at most ``FULL_SCAN_SECONDS`` (600 s) away; collected from the frozen objects in
the middle of a run they were 288 objects (23 KiB) per 95 s, about 0.015 MiB a minute, and none in the
sequencer or the other gateway, so the collector policy stays as it is. Its resident set also rises
with its peaks of calls and frames in flight (hundreds of KiB that come and go between samples), so
on a busy machine it varies most between runs: in those three soaks 0.951 MiB a minute (peak 93.1 MiB,
88.2 at the end, load average 3.9), 0.06 and 0.022 (load average 5-6.6).

The report's ``soak`` holds each check (the RSS samples too; with ``--gateways N`` under ``processes``, one
check per process) and the overall ``pass``; the results line says PASS or FAIL, gives ``rss_slope``
(with ``--gateways N`` the steepest process's, and each one's in ``rss_slope_by_process``) and the command
exits 1 on FAIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

import grpc

from loadtest.grpc_load.gamblers import Gamblers
from loadtest.grpc_load.paperex import bearer
from loadtest.grpc_load.prefill import prefill
from loadtest.grpc_load.proc import sample_rss, server_processes
from loadtest.grpc_load.replay import replay
from loadtest.grpc_load.report import assemble
from loadtest.grpc_load.run import measure, own_paperex
from loadtest.grpc_load.servers import JOURNAL
from loadtest.grpc_load.settings import Settings
from loadtest.grpc_load.verdict import (
    fault_check,
    liquidation_check,
    money_check,
    replay_check,
    rss_checks,
    verdict,
)
from paperex.v1 import admin_pb2, admin_pb2_grpc


def scenario_request(scenario: str, seed: int) -> admin_pb2.LoadScenarioRequest:
    """A library scenario by name, or the text of a scenario file (a name ending in .toml)."""
    if scenario.endswith(".toml"):
        return admin_pb2.LoadScenarioRequest(toml=Path(scenario).read_text(encoding="utf-8"), seed=seed)
    return admin_pb2.LoadScenarioRequest(name=scenario, seed=seed)


async def soak(settings: Settings, argv: list[str]) -> dict[str, Any]:
    """Run the soak and its checks; the report's ``soak`` has the verdict."""
    with tempfile.TemporaryDirectory(prefix="paperex-soak-") as folder:
        workdir = Path(folder)
        server = own_paperex(settings, workdir)
        try:
            address = await server.start()
            async with grpc.aio.insecure_channel(address) as channel:
                admin: Any = admin_pb2_grpc.AdminStub(channel)
                request = scenario_request(settings.scenario, settings.seed)
                await admin.LoadScenario(request, metadata=bearer(settings.admin_token))
                await prefill(channel, settings.admin_token, settings.prefill)
                gamblers = await Gamblers.open(channel, settings.admin_token, settings.gamblers, settings.leverage)
                processes = server_processes(server.pid)
                samples: dict[str, list[tuple[float, float]]] = {process: [] for process in processes}
                sampling = sample_rss(processes, settings.rss_every, samples)
                background = asyncio.gather(sampling, gamblers.run())
                try:
                    run = await measure(settings, address, server.pid, settings.rates[0], follow_market=True)
                finally:
                    background.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await background
                ledger = await admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=bearer(settings.admin_token))
        finally:
            exit_code = await server.stop_or_explain()
        recorded, last, replayed = await replay(workdir, workdir / JOURNAL, settings.admin_token)
    checks = {
        "rss": rss_checks(samples, settings.rss_slope_limit),
        "replay": replay_check(recorded, last, replayed),
        "money": money_check(ledger),
        "liquidations": liquidation_check(gamblers.liquidations, settings.gamblers, gamblers.refused),
        "faults": fault_check(run["errors_by_code"], exit_code),
    }
    return assemble(settings, argv, address, [run], None, verdict(checks))
