"""CPU per call of each process role, and the ceiling they project on a machine with more cores.

With ``paperex serve --gateways N`` the gateways share the calls and the one sequencer takes every
command, so on a machine where each has a core of its own (and the clients run elsewhere) the server
can take at most ``min(gateways / gateway CPU per call, 1 / sequencer CPU per call)`` calls a second.
That is a projection from the measured costs, not a measurement: it assumes the costs per call stay
as measured when the processes no longer share cores (no more cache or lock contention, which is
optimistic) and that the clients cost the server nothing more. It is optimistic in one more way: every
gateway folds every batch, so the gateways' CPU per call holds one fold per gateway, and more gateways
add folds; the measured gateway cost at N gateways holds N folds, the projection keeps it as it is.
"""

from __future__ import annotations

PROJECTED_CORES = 16
"""The bigger machine the projection is stated for: one core for the sequencer, the rest gateways."""


def cpu_per_call(cores: dict[str, float | None], calls_per_s: float) -> dict[str, float | None]:
    """Microseconds of CPU per call of each role (``cores`` over the measured window)."""
    return {
        role: None if used is None or not calls_per_s else round(used * 1e6 / calls_per_s, 1)
        for role, used in cores.items()
        if role != "machine"
    }


def ceiling(gateway_us: float, sequencer_us: float, gateways: int) -> float:
    """Calls per second ``gateways`` gateway cores and one sequencer core can take at these costs.

    >>> ceiling(400.0, 100.0, 2)  # two gateways at 400 us a call: 5,000/s; the sequencer 10,000/s
    5000.0
    >>> ceiling(400.0, 100.0, 15)  # fifteen: 37,500/s, so the sequencer's 10,000/s bounds it
    10000.0
    """
    return min(gateways * 1e6 / gateway_us, 1e6 / sequencer_us)


def projection(per_call: dict[str, float | None], gateways: int) -> dict[str, float] | None:
    """The ceiling at the measured number of gateways and on ``PROJECTED_CORES`` cores (None without
    separate gateway and sequencer figures)."""
    gateway_us, sequencer_us = per_call.get("gateways"), per_call.get("sequencer")
    if not gateway_us or not sequencer_us:
        return None
    spare = PROJECTED_CORES - 1
    return {
        "gateways": gateways,
        "at_measured_gateways_per_s": round(ceiling(gateway_us, sequencer_us, gateways)),
        "cores": PROJECTED_CORES,
        "gateways_on_those_cores": spare,
        "on_those_cores_per_s": round(ceiling(gateway_us, sequencer_us, spare)),
        "sequencer_bound_per_s": round(1e6 / sequencer_us),
    }
