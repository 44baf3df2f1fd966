"""Each symbol's open interest over time, sampled every 5 minutes of exchange time (the finest period
the venue's ``openInterestHist`` offers; its coarser periods are every n-th sample) and kept for 30
days, as the venue keeps them.

A sample is the open interest and the mark price as the commands before the 5-minute boundary left
them, taken when the first command at or after the boundary is folded (before its own events): so
the history is a function of the command sequence, the same on every replay. Boundaries that pass
without a command (simulated time advanced by hours) repeat the last figures, as nothing changed.
"""

from collections import deque
from collections.abc import Callable, Iterable
from typing import NamedTuple

from paperex.engine.units import Lots, Ticks

SAMPLE_NS = 5 * 60 * 10**9
"""The sampling period: the venue's finest, 5 minutes."""
RETAINED = 30 * 24 * 12
"""Samples kept per symbol: 30 days of 5 minutes, the venue's "latest 1 month"."""


class OpenInterestSample(NamedTuple):
    ts: int
    """The 5-minute boundary (ns) the figures stand at."""
    open_interest: Lots
    mark_price: Ticks


class OpenInterestHistory:
    """``advance`` samples at each passed boundary; ``samples`` reads a symbol's history for a period."""

    def __init__(self, symbols: Iterable[str]) -> None:
        self._samples: dict[str, deque[OpenInterestSample]] = {symbol: deque(maxlen=RETAINED) for symbol in symbols}
        self._next = 0
        """The next boundary to sample (ns); 0 before the first command."""

    def advance(self, ts: int, figures: Callable[[str], tuple[Lots, Ticks]]) -> None:
        """Sample every boundary up to ``ts`` with ``figures(symbol)`` (open interest, mark) as they stand
        before the command at ``ts``; at most the retained number of boundaries (older ones would be
        dropped at once)."""
        if ts < self._next:
            return
        if not self._next:
            self._next = (ts // SAMPLE_NS + 1) * SAMPLE_NS
            return
        last = ts // SAMPLE_NS * SAMPLE_NS
        first = max(self._next, last - (RETAINED - 1) * SAMPLE_NS)
        for symbol, samples in self._samples.items():
            open_interest, mark = figures(symbol)
            samples.extend(OpenInterestSample(at, open_interest, mark) for at in range(first, last + 1, SAMPLE_NS))
        self._next = last + SAMPLE_NS

    def samples(
        self, symbol: str, period_ns: int, start: int | None, end: int | None, limit: int
    ) -> list[OpenInterestSample]:
        """The samples at multiples of ``period_ns`` within [start, end] (ns, either open), oldest first:
        the first ``limit`` from ``start`` when only it is given, else the newest ``limit``."""
        chosen = [
            sample
            for sample in self._samples[symbol]
            if sample.ts % period_ns == 0
            and (start is None or sample.ts >= start)
            and (end is None or sample.ts <= end)
        ]
        return chosen[:limit] if start is not None and end is None else chosen[-limit:]
