"""The soak's checks as pure functions of what was observed, so each can be tested on made-up data.

Each check is a dict with ``pass`` (bool), ``detail`` (one sentence) and its own figures; the soak
passes when every check does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from statistics import median
from typing import Any

MIB = 1 << 20
SERVER_FAULTS = ("INTERNAL", "UNKNOWN", "DATA_LOSS", "UNAVAILABLE", "DEADLINE_EXCEEDED")
"""Status codes that mean the server (not the order) failed; business refusals are expected."""
LEDGER_TERMS = ("wallets", "isolated_margin", "fees_collected", "insurance_fund", "open_positions")
"""The terms of ``Admin.GetLedger``'s sum, which the money check reports with the sum itself."""


def second_half(samples: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The samples taken in the second half of the time they span (start-up growth is left out)."""
    if not samples:
        return []
    middle = (samples[0][0] + samples[-1][0]) / 2
    return [sample for sample in samples if sample[0] >= middle]


def growth_rate(points: Sequence[tuple[float, float]]) -> float:
    """How fast y rose over x: the median y of the later half of the points less that of the earlier
    half, over the time between the halves' middles. A steady leak gives its rate; a spike (a large
    temporary) moves no median; an oscillation shorter than a half (SQLite's page cache, emptied
    when the snapshot helper writes and refilled by the next commands) moves them by a fraction of
    its height; a step between the halves counts in full, as growth that has not settled.

    >>> growth_rate([(t, 2.0 * t) for t in range(20)])
    2.0
    >>> growth_rate([(t, 5.0 + (40.0 if t == 15 else 0.0)) for t in range(20)])  # a spike
    0.0
    """
    middle = len(points) // 2
    earlier, later = points[:middle], points[middle:]
    rise = median(y for _, y in later) - median(y for _, y in earlier)
    span = median(x for x, _ in later) - median(x for x, _ in earlier)
    return rise / span if span > 0 else 0.0


def rss_check(
    samples: Sequence[tuple[float, float]], limit_mib_per_min: float, process: str = "server"
) -> dict[str, Any]:
    """A process's resident set (seconds, bytes) must not grow faster than the limit in the second half
    of the run (``growth_rate``, which spikes and short oscillations do not move).

    >>> rss_check([(t, 100 * MIB + t * MIB) for t in range(10)], 10.0)["pass"]  # 60 MiB/min
    False
    """
    tail = second_half(samples)
    if len(tail) < 3:
        detail = f"only {len(tail)} {process} RSS samples in the second half"
        return {"pass": False, "detail": detail, "slope_mib_per_min": None}
    per_min = growth_rate(tail) * 60 / MIB
    values = [rss for _, rss in samples]
    figures = {
        "slope_mib_per_min": round(per_min, 3),
        "limit_mib_per_min": limit_mib_per_min,
        "window_s": [round(tail[0][0], 1), round(tail[-1][0], 1)],
        "samples": len(samples),
        "first_mib": round(values[0] / MIB, 1),
        "last_mib": round(values[-1] / MIB, 1),
        "peak_mib": round(max(values) / MIB, 1),
        "samples_mib": [[round(seconds, 1), round(rss / MIB, 2)] for seconds, rss in samples],
    }
    ok = per_min <= limit_mib_per_min
    detail = (
        f"{process} RSS {figures['first_mib']} -> {figures['last_mib']} MiB (peak {figures['peak_mib']}); "
        f"growth over {tail[0][0]:.0f}-{tail[-1][0]:.0f} s {per_min:+.3f} MiB/min, limit {limit_mib_per_min:g}"
    )
    return {"pass": ok, "detail": detail, **figures}


def rss_checks(by_process: Mapping[str, Sequence[tuple[float, float]]], limit_mib_per_min: float) -> dict[str, Any]:
    """Each server process judged on its own by ``rss_check``, against the same limit. With ``--gateways
    N`` every process (the sequencer and each gateway) folds every batch into its own read models, so
    their bounded start-up growth comes once per process and their sum grows with N by design; judged
    apart, a leak in any one of them still shows. One process (``server``): its check as it was. Else
    ``processes`` holds each one's check and ``slope_mib_per_min`` is the steepest.

    >>> leaking = [(t, 100 * MIB + t * MIB) for t in range(10)]  # 60 MiB/min
    >>> flat = [(t, 100 * MIB) for t in range(10)]
    >>> check = rss_checks({"sequencer": flat, "gateway1": flat, "gateway2": leaking}, 10.0)
    >>> check["pass"], check["slope_mib_per_min"], check["processes"]["gateway1"]["pass"]
    (False, 60.0, True)
    """
    if list(by_process) == ["server"]:
        return rss_check(by_process["server"], limit_mib_per_min)
    checks = {process: rss_check(samples, limit_mib_per_min, process) for process, samples in by_process.items()}
    slopes = [check["slope_mib_per_min"] for check in checks.values()]
    steepest = None if None in slopes else max(slopes)
    return {
        "pass": all(check["pass"] for check in checks.values()),
        "detail": "; ".join(check["detail"] for check in checks.values()),
        "slope_mib_per_min": steepest,
        "limit_mib_per_min": limit_mib_per_min,
        "processes": checks,
    }


def replay_check(recorded: tuple[int, str] | None, last_sequence: int, replayed: tuple[int, str]) -> dict[str, Any]:
    """The journal replayed from nothing must reach the state the server recorded when it stopped.

    ``recorded`` is (sequence, state hash) of the final snapshot the stopped server wrote (None when
    it wrote none), ``last_sequence`` the journal's last command, ``replayed`` what a server that
    replayed every command reports.

    >>> replay_check((7, "ab"), 7, (7, "ab"))["pass"], replay_check((7, "ab"), 7, (7, "cd"))["pass"]
    (True, False)
    """
    figures = {"recorded": list(recorded) if recorded else None, "last_sequence": last_sequence}
    figures["replayed"] = list(replayed)
    if recorded is None or recorded[0] != last_sequence:
        detail = f"the stopped server's final snapshot {recorded} is not at the journal's end ({last_sequence})"
        return {"pass": False, "detail": detail, **figures}
    ok = tuple(replayed) == tuple(recorded)
    detail = f"{replayed[0]:,} commands replayed from an empty exchange " + (
        "reach the state hash the server recorded at its stop" if ok else f"give {replayed}, not {recorded}"
    )
    return {"pass": ok, "detail": detail, **figures}


def liquidation_check(liquidations: int, gamblers: int, refused: Mapping[str, int]) -> dict[str, Any]:
    """With high-leverage accounts in a moving market, liquidations must have happened (and been streamed).

    ``refused`` counts the gamblers' calls the server refused, by code (reported, not judged).
    """
    figures = {"liquidations": liquidations, "refused": dict(refused)}
    if gamblers == 0:
        return {"pass": True, "detail": "no high-leverage accounts (--gamblers 0)", **figures}
    detail = f"{liquidations} positions of {gamblers} high-leverage accounts liquidated (user events)"
    return {"pass": liquidations > 0, "detail": detail, **figures}


def money_check(ledger: Any) -> dict[str, Any]:
    """Money is conserved: what the server's books hold (an ``Admin.GetLedger`` answer: every wallet,
    the exchange's own accounts included, isolated margin, fees, the insurance funds and the open
    positions at entry) equals the net deposits and the insurance contributions exactly."""
    sources = ("net_deposits", "insurance_contributions", "money_in_system", "imbalance")
    figures = {name: getattr(ledger, name) for name in (*sources, *LEDGER_TERMS)}
    conserved = Decimal(figures["imbalance"]) == 0
    held = ", ".join(f"{name} {figures[name]}" for name in LEDGER_TERMS)
    verdict = "money conserved" if conserved else f"money NOT conserved (imbalance {figures['imbalance']})"
    detail = (
        f"{verdict}: {figures['money_in_system']} held ({held}) for {figures['net_deposits']} deposited"
        f" and {figures['insurance_contributions']} contributed to the insurance funds"
    )
    return {"pass": conserved, "detail": detail, **figures}


def fault_check(errors_by_code: Mapping[str, int], exit_code: int | None) -> dict[str, Any]:
    """No call failed with a server fault, and the server stopped cleanly (exit 0) at the end."""
    faults = {code: count for code, count in errors_by_code.items() if code.split("/")[0] in SERVER_FAULTS}
    ok = not faults and exit_code == 0
    detail = f"server faults {faults or 'none'}; exit code {exit_code} after SIGINT"
    return {"pass": ok, "detail": detail, "faults": faults, "exit_code": exit_code}


def verdict(checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """
    >>> verdict({"a": {"pass": True}, "b": {"pass": False}})["pass"]
    False
    """
    return {"pass": all(check["pass"] for check in checks.values()), "checks": checks}
