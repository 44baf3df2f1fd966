"""Auto-deleverage quantiles for queries (``Position.adl_quantile``), exact while that is cheap.

Ranking a symbol's queues values every holder's position, about 10 µs each: ranked afresh for
every query, 2,000 holders would cost the event loop 20 ms per GetAccount, and bots polling their
accounts would stall the exchange. So a symbol's ranking serves every query until a command is
applied; after that, a symbol with more than ``EXACT_UP_TO`` positions keeps its ranking for up to
a second (at most one ranking per second, at most a second old), while a smaller one is ranked
again. Binance refreshes its indicator every 30 s (GET /fapi/v1/adlQuantile).
"""

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from paperex.engine.orders import BOTH, PositionSide

REFRESH_SECONDS = 1.0
EXACT_UP_TO = 64
"""Positions in a symbol up to which a query always sees the current ranking (under 1 ms to make)."""


class Ranker(Protocol):
    def adl_quantiles(self, symbol: str) -> dict[tuple[int, PositionSide], int]: ...


class Exchange(Protocol):
    """What the board reads of ``paperex.server.core.exchange.Exchange``."""

    @property
    def sequence(self) -> int: ...

    @property
    def margin_accounts(self) -> Ranker: ...


@dataclass(slots=True)
class _Ranking:
    exchange: "weakref.ref[Exchange]"
    """Weak, so that a ranking never keeps a state replaced by Admin.Reset alive."""
    sequence: int
    made_at: float
    quantiles: dict[tuple[int, PositionSide], int]

    def serves(self, exchange: Exchange, now: float, refresh: float, exact_up_to: int) -> bool:
        if self.exchange() is not exchange:
            return False
        if self.sequence == exchange.sequence:
            return True
        return len(self.quantiles) > exact_up_to and now - self.made_at < refresh


class AdlBoard:
    """The latest ranking per symbol, shared by every query (one per server)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        refresh: float = REFRESH_SECONDS,
        exact_up_to: int = EXACT_UP_TO,
    ) -> None:
        self._clock = clock
        self._refresh = refresh
        self._exact_up_to = exact_up_to
        self._rankings: dict[str, _Ranking] = {}

    def quantile(self, exchange: Exchange, symbol: str, account_id: int, leg: PositionSide = BOTH) -> int:
        """1..5 (5: first to be deleveraged) for the account's position (its hedge ``leg``), 0 when flat
        or an exchange-internal account."""
        now = self._clock()
        ranking = self._rankings.get(symbol)
        if ranking is None or not ranking.serves(exchange, now, self._refresh, self._exact_up_to):
            quantiles = exchange.margin_accounts.adl_quantiles(symbol)
            ranking = self._rankings[symbol] = _Ranking(weakref.ref(exchange), exchange.sequence, now, quantiles)
        return ranking.quantiles.get((account_id, leg), 0)
