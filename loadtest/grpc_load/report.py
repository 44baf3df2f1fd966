"""The run's figures as JSON, as a table for people, and as one line per run in the results file."""

from __future__ import annotations

import shlex
import statistics
from array import array
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtest.bench_engine import machine
from loadtest.grpc_load.flow import BATCH, Mix, observed_mix
from loadtest.grpc_load.projection import cpu_per_call, projection
from loadtest.grpc_load.settings import Settings
from loadtest.grpc_load.stats import latency_summary
from loadtest.grpc_load.workers import WorkerResult

INCLUDED = (
    "client and server on one machine over loopback, no TLS; each answer leaves the server after its "
    "journal write under the stated durability; latency from send (open loop: intended send) to answer"
)


def run_report(
    result: WorkerResult,
    settings: Settings,
    rate: float | None,
    cores: dict[str, float | None],
    echo: bool,
    round_number: int = 1,
) -> dict[str, Any]:
    """One measured run: totals, per-operation figures, mix, subscribers and the per-second timeline."""
    recorder = result.recorder
    duration = settings.duration
    operations = {kind: recorder.operations[kind].report(duration) for kind in sorted(recorder.operations)}
    commands = {kind: op for kind, op in operations.items() if kind != BATCH}
    errors: Counter[str] = Counter()
    for op in commands.values():
        errors.update(op["errors_by_code"])
    ok = sum(op["ok"] for op in commands.values())
    headline = recorder.operations.get(BATCH)
    if headline is None:
        latencies = array("q")
        for kind in commands:
            latencies.extend(recorder.operations[kind].latencies)
    else:
        latencies = headline.latencies
    counts = {kind: op["ok"] + op["errors"] for kind, op in commands.items()}
    per_call = cpu_per_call(cores, ok / duration)
    return {
        "rate": rate,
        "round": round_number,
        "warmup_s": settings.warmup,
        "duration_s": duration,
        "workers": settings.workers,
        "ok": ok,
        "errors": sum(errors.values()),
        "throughput_per_s": ok / duration,
        "latency_us": latency_summary(latencies),
        "errors_by_code": dict(sorted(errors.items())),
        "fills": recorder.fills,
        "client_cpu_cores": cores["client"],
        "server_cpu_cores": cores["server"],
        "machine_cpu_cores": cores["machine"],
        "cpu_us_per_call": per_call,
        "projection": None if echo else projection(per_call, settings.gateways),
        "max_outstanding": recorder.max_outstanding,
        "send_lag_us": latency_summary(recorder.send_lag),
        "mix": None if echo else {"requested": Mix.parse(settings.mix).shares(), "observed": observed_mix(counts)},
        "operations": operations,
        "subscribers": result.delivery.report(duration),
        "timeline": {"ok_per_s": recorder.ok_per_s, "errors_per_s": recorder.errors_per_s},
    }


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if not part or not whole else round(part / whole, 3)


def ratio_to_baseline(run: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    """paperex over the echo: throughput (below 1: slower) and p50/p99 latency (above 1: slower).

    The latency compared is every command's (OrderSession: every request's) against the echo's calls.
    """
    mine, theirs = run["latency_us"] or {}, baseline["latency_us"] or {}
    return {
        "throughput": _ratio(run["throughput_per_s"], baseline["throughput_per_s"]),
        "p50": _ratio(mine.get("p50"), theirs.get("p50")),
        "p99": _ratio(mine.get("p99"), theirs.get("p99")),
    }


def medians(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rate, the median of its rounds' ratios to the echo (and the spread of the throughput ratio).

    On a machine shared with other work, one ratio moves by a fifth and more from run to run of the
    same code, because paperex and the echo are measured at different moments; the median of
    alternating rounds is the figure to compare between two versions.
    """
    by_rate: dict[float | None, list[dict[str, float | None]]] = {}
    for run in runs:
        if "ratio_to_baseline" in run:
            by_rate.setdefault(run["rate"], []).append(run["ratio_to_baseline"])
    found = []
    for rate, ratios in by_rate.items():
        figures: dict[str, Any] = {"rate": rate, "rounds": len(ratios)}
        for key in ("throughput", "p50", "p99"):
            values = [ratio[key] for ratio in ratios if ratio[key] is not None]
            figures[key] = round(statistics.median(values), 3) if values else None
        throughputs = [ratio["throughput"] for ratio in ratios if ratio["throughput"] is not None]
        figures["throughput_range"] = [min(throughputs), max(throughputs)] if throughputs else None
        found.append(figures)
    return found


def command_line(argv: list[str]) -> str:
    """The invocation, with an admin token masked."""
    shown = list(argv)
    for index, word in enumerate(shown[:-1]):
        if word == "--admin-token":
            shown[index + 1] = "***"
    return shlex.join(["python", "-m", "loadtest.grpc_load", *shown])


def assemble(
    settings: Settings,
    argv: list[str],
    address: str,
    runs: list[dict[str, Any]],
    wire_sizes: dict[str, int] | None,
    soak: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole JSON report."""
    return {
        "tool": "paperex grpc_load",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command_line(argv),
        "mode": settings.mode,
        "target": address,
        "own_server": not settings.target,
        "durability": settings.durability,
        "settings": {key: value for key, value in asdict(settings).items() if key != "admin_token"},
        "machine": machine(),
        "included": INCLUDED,
        "server_profile": settings.profile_server or None,
        "wire_sizes": wire_sizes,
        "runs": runs,
        "ratio_medians": medians(runs),
        "soak": soak,
    }


def _ms(micros: float | None) -> str:
    return "-" if micros is None else f"{micros / 1000:.2f}"


def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _cores(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def describe(settings: Settings) -> str:
    workers = f" over {settings.workers} worker processes" if settings.workers > 1 else ""
    if settings.mode == "unary":
        return f"unary closed loop, {settings.in_flight} in flight{workers}"
    if settings.mode == "session":
        return (
            f"OrderSession, {settings.streams} stream(s), {settings.batch} commands per request, "
            f"{settings.window} request(s) outstanding per stream{workers}"
        )
    rates = ", ".join(f"{rate:,.0f}/s" for rate in settings.rates)
    return f"{'soak' if settings.mode == 'soak' else 'unary open loop'} at {rates}{workers}"


def _run_lines(title: str, result: dict[str, Any]) -> list[str]:
    lines = [
        f"{title}: {result['duration_s']:g} s measured after {result['warmup_s']:g} s warm-up; "
        f"{result['throughput_per_s']:,.0f} ok/s ({result['ok']:,} ok, {result['errors']:,} errors, "
        f"{result['fills']:,} fills); CPU cores: server {_cores(result['server_cpu_cores'])}, "
        f"client {_cores(result['client_cpu_cores'])}, whole machine {_cores(result['machine_cpu_cores'])}",
        f"{'operation':<17}{'ok':>10}{'ok/s':>10}{'p50 ms':>9}{'p90':>8}{'p99':>8}{'p99.9':>8}{'max':>9}{'errors':>8}",
    ]
    for kind, op in result["operations"].items():
        latency = op["latency_us"] or {}
        lines.append(
            f"{kind:<17}{op['ok']:>10,}{op['throughput_per_s']:>10,.0f}{_ms(latency.get('p50')):>9}"
            f"{_ms(latency.get('p90')):>8}{_ms(latency.get('p99')):>8}{_ms(latency.get('p99.9')):>8}"
            f"{_ms(latency.get('max')):>9}{op['errors']:>8,}"
        )
    if result["send_lag_us"]:
        lag = result["send_lag_us"]
        lines.append(
            f"client send lag behind schedule: p50 {_ms(lag['p50'])} ms, p99 {_ms(lag['p99'])} ms, "
            f"max {_ms(lag['max'])} ms; at most {result['max_outstanding']:,} calls outstanding"
        )
    per_call = result.get("cpu_us_per_call") or {}
    if per_call:
        lines.append("CPU per call: " + ", ".join(f"{role} {_us(used)} us" for role, used in per_call.items()))
    projected = result.get("projection")
    if projected:
        lines.append(
            f"PROJECTION (not measured): min(N x 1/gateway cost, 1/sequencer cost) = "
            f"{projected['at_measured_gateways_per_s']:,}/s with N={projected['gateways']}; on "
            f"{projected['cores']} cores ({projected['gateways_on_those_cores']} gateways + the sequencer, clients "
            f"elsewhere) {projected['on_those_cores_per_s']:,}/s; the sequencer alone bounds it at "
            f"{projected['sequencer_bound_per_s']:,}/s"
        )
    errors = result["errors_by_code"]
    lines.append("errors: " + (", ".join(f"{code} {count:,}" for code, count in errors.items()) or "none"))
    if result["mix"]:
        shares = result["mix"]["observed"]
        lines.append("observed mix: " + ", ".join(f"{key} {share:.1%}" for key, share in shares.items()))
    return lines


def _subscriber_line(subscribers: dict[str, Any]) -> str:
    latency = subscribers["delivery_latency_us"] or {}
    rates = subscribers["updates_per_s_per_subscriber"] or {}
    return (
        f"book subscribers: {subscribers['count']}, {subscribers['updates']:,} updates; per subscriber "
        f"{rates.get('min', 0):,.0f}..{rates.get('max', 0):,.0f}/s; delivery p50 {_ms(latency.get('p50'))} ms, "
        f"p99 {_ms(latency.get('p99'))} ms, p99.9 {_ms(latency.get('p99.9'))} ms, max {_ms(latency.get('max'))} ms; "
        f"gaps {subscribers['gaps']}, cut {subscribers['cut']}"
    )


def human_report(report: dict[str, Any], settings: Settings) -> str:
    where = "own server" if report["own_server"] else "external server"
    lines = [
        f"paperex gRPC load: {describe(settings)}; {settings.accounts} accounts, {settings.channels} channel(s)",
        f"server: {report['target']} ({where}), durability {report['durability']}; {INCLUDED}",
        f"flow: mix {settings.mix}, cancel {settings.cancel} at {settings.max_open} open; "
        + (
            f"scenario {settings.scenario} (the flows follow the mark), {settings.gamblers} gambler(s) at "
            f"{settings.leverage}x"
            if settings.mode == "soak"
            else f"seeded book {settings.seed_levels} level(s) a side"
        ),
    ]
    for result in report["runs"]:
        rate = f" at {result['rate']:,.0f}/s" if result["rate"] is not None else ""
        if settings.rounds > 1:
            rate += f", round {result['round']} of {settings.rounds}"
        lines += ["", *_run_lines(f"run{rate}", result)]
        if result["subscribers"]:
            lines.append(_subscriber_line(result["subscribers"]))
        if "baseline" in result:
            ratio = result["ratio_to_baseline"]
            lines += ["", *_run_lines(f"echo baseline{rate}", result["baseline"])]
            lines.append(
                "paperex / echo: "
                + ", ".join(f"{key} {'-' if value is None else f'{value:g}x'}" for key, value in ratio.items())
            )
    if settings.rounds > 1:
        lines += ["", *(_median_line(figures) for figures in report["ratio_medians"])]
    if report["soak"]:
        lines += ["", *soak_lines(report["soak"])]
    info = report["machine"]
    lines += ["", "machine: " + ", ".join(f"{key}={value}" for key, value in info.items())]
    return "\n".join(lines)


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:g}x"


def _median_line(figures: dict[str, Any]) -> str:
    rate = f" at {figures['rate']:,.0f}/s" if figures["rate"] is not None else ""
    low, high = figures["throughput_range"] or (None, None)
    return (
        f"paperex / echo{rate}, median of {figures['rounds']} alternating rounds: throughput "
        f"{_times(figures['throughput'])} (rounds {_times(low)} to {_times(high)}), p50 {_times(figures['p50'])}, "
        f"p99 {_times(figures['p99'])}"
    )


def soak_lines(soak: dict[str, Any]) -> list[str]:
    lines = [f"soak: {'PASS' if soak['pass'] else 'FAIL'}"]
    for name, check in soak["checks"].items():
        lines.append(f"  {name}: {'pass' if check['pass'] else 'FAIL'}: {check['detail']}")
    return lines


def summary_line(report: dict[str, Any], result: dict[str, Any]) -> str:
    info = report["machine"]
    figures = [report["timestamp"], report["mode"]]
    if result["rate"] is not None:
        figures.append(f"rate={result['rate']:g}/s")
    figures += [f"durability={report['durability']}", f"workers={result['workers']}"]
    rounds = report["settings"]["rounds"]
    if rounds > 1:
        figures.append(f"round={result['round']}/{rounds}")
    if report["server_profile"]:
        figures.append("server-under-cProfile")
    figures.append(f"ok={result['throughput_per_s']:,.0f}/s")
    for kind, op in result["operations"].items():
        latency = op["latency_us"]
        if latency:
            figures.append(
                f"{kind}:p50={_ms(latency['p50'])}ms,p99={_ms(latency['p99'])}ms,"
                f"p99.9={_ms(latency['p99.9'])}ms,max={_ms(latency['max'])}ms"
            )
    subscribers = result["subscribers"]
    if subscribers:
        latency = subscribers["delivery_latency_us"] or {}
        figures.append(
            f"subscribers={subscribers['count']}:p50={_ms(latency.get('p50'))}ms,p99={_ms(latency.get('p99'))}ms,"
            f"p99.9={_ms(latency.get('p99.9'))}ms,gaps={subscribers['gaps']},cut={subscribers['cut']}"
        )
    if "baseline" in result:
        ratio = result["ratio_to_baseline"]
        figures.append(
            f"echo_ok={result['baseline']['throughput_per_s']:,.0f}/s ratio_to_baseline="
            + ",".join(f"{key}:{value}" for key, value in ratio.items())
        )
        if rounds > 1:
            (median,) = (entry for entry in report["ratio_medians"] if entry["rate"] == result["rate"])
            figures.append("ratio_median=" + ",".join(f"{key}:{median[key]}" for key in ("throughput", "p50", "p99")))
    soak = report["soak"]
    if soak:
        figures.append(f"soak={'PASS' if soak['pass'] else 'FAIL'}")
        figures += [f"{name}={'pass' if check['pass'] else 'FAIL'}" for name, check in soak["checks"].items()]
        rss = soak["checks"]["rss"]
        figures.append(f"rss_slope={rss['slope_mib_per_min']}MiB/min")
        if "processes" in rss:  # --gateways N: the steepest above, each process's here
            slopes = ",".join(f"{name}:{check['slope_mib_per_min']}" for name, check in rss["processes"].items())
            figures.append(f"rss_slope_by_process={slopes}")
    projected = result.get("projection")
    if projected:
        figures.append(
            f"PROJECTED_ceiling_N{projected['gateways']}={projected['at_measured_gateways_per_s']}/s,"
            f"{projected['cores']}cores={projected['on_those_cores_per_s']}/s"
        )
    figures += [
        f"errors={result['errors']}",
        f"server_cpu={result['server_cpu_cores']}",
        f"client_cpu={result['client_cpu_cores']}",
        f"machine_cpu={result['machine_cpu_cores']}",
        "cpu_us_per_call=" + ",".join(f"{role}:{used}" for role, used in (result.get("cpu_us_per_call") or {}).items()),
        f"gateways={report['settings'].get('gateways', 1)}",
        f"cpus={info['cpu_count']}",
        f"{info['implementation']}-{info['python']}",
        f"platform={info['platform']}",
        f"cmd={shlex.quote(report['command'])}",
    ]
    return " ".join(figures)


def append_results(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as results:
        for result in report["runs"]:
            results.write(summary_line(report, result) + "\n")
