"""Each symbol's settled funding rates (Binance's ``GET /fapi/v1/fundingRate``), from events.

Every funding time the engine settles is a ``FundingRateSettled`` event; the history keeps its rate
with the mark price it was charged at, which is the mark the last ``MarkPriceChanged`` before it left
(the same command may move the mark first). Rebuilt exactly by replaying the journal, so it is part
of the snapshot.
"""

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paperex.engine.events import FundingRateSettled, MarkPriceChanged
from paperex.engine.units import Rate, Ticks

RETAINED_PER_SYMBOL = 5_000
"""Funding times kept per symbol (over four simulated years at 8 hours); the oldest go first."""


@dataclass(slots=True, frozen=True)
class FundingRecord:
    """One funding time: the interval's ``rate`` (1e-8 units) charged at ``mark_price``."""

    symbol: str
    rate: Rate
    mark_price: Ticks
    time: int


class FundingHistory:
    """Every symbol's funding times, oldest first."""

    def __init__(self, retained: int = RETAINED_PER_SYMBOL) -> None:
        self.retained = retained
        self._symbols: dict[str, list[FundingRecord]] = {}
        self._marks: dict[str, Ticks] = {}

    def fold(self, event: MarkPriceChanged | FundingRateSettled, sequence: int, ts: int) -> None:
        """Fold a mark change or a funding rate in (``FOLDERS`` routes no other kind here)."""
        if type(event) is MarkPriceChanged:
            self._marks[event.symbol] = event.price
        elif type(event) is FundingRateSettled:
            symbol = event.symbol
            records = self._symbols.setdefault(symbol, [])
            records.append(FundingRecord(symbol, event.rate, self._marks.get(symbol, 0), ts))
            if len(records) > self.retained * 11 // 10:
                del records[: len(records) - self.retained]

    def page(self, symbols: list[str], start: int, end: int, size: int, *, oldest: bool) -> list[FundingRecord]:
        """Oldest first: the funding times of ``symbols`` in [start, end), the first ``size`` of them
        when ``oldest``, else the newest ``size``."""
        runs = [[r for r in self._symbols.get(symbol, []) if start <= r.time < end] for symbol in symbols]
        found = list(heapq.merge(*runs, key=lambda record: record.time))
        return found[:size] if oldest else found[-size:]


FOLDERS: dict[type, Callable[[FundingHistory, Any, int, int], None]] = {
    MarkPriceChanged: FundingHistory.fold,
    FundingRateSettled: FundingHistory.fold,
}
"""Event type -> the method folding it (event, command sequence, time); the results stage calls it."""
