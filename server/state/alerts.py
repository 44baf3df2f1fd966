"""Server-side price alerts: an account asks to be told when a symbol's mark or last price crosses a
level, so a bot (or a person) can act before maintenance margin is reached instead of polling.

Alerts are part of the exchange's deterministic state (created and deleted by journaled commands,
checked on every price change), so they survive restarts and fire identically on replay.
"""

from dataclasses import dataclass, field
from enum import Enum

from paperex.engine.orders import TriggerBy
from paperex.engine.units import Ticks

MAX_ALERTS_PER_ACCOUNT = 100


class Direction(Enum):
    CROSSES_ABOVE = 1
    CROSSES_BELOW = 2


@dataclass(slots=True)
class Alert:
    alert_id: int
    account_id: int
    symbol: str
    source: TriggerBy
    direction: Direction
    price: Ticks
    repeating: bool
    note: str
    created: int
    fired: int = 0


@dataclass(slots=True)
class AlertBook:
    """Every account's alerts, indexed by (symbol, price source) for the per-price-change check."""

    alerts: dict[int, Alert] = field(default_factory=dict)
    _watching: dict[tuple[str, TriggerBy], dict[int, Alert]] = field(default_factory=dict)
    _next_id: int = 1

    def count(self, account_id: int) -> int:
        return sum(1 for alert in self.alerts.values() if alert.account_id == account_id)

    def add(
        self,
        account_id: int,
        symbol: str,
        source: TriggerBy,
        direction: Direction,
        price: Ticks,
        repeating: bool,
        note: str,
        now: int,
    ) -> Alert:
        alert = Alert(self._next_id, account_id, symbol, source, direction, price, repeating, note, now)
        self._next_id += 1
        self.alerts[alert.alert_id] = alert
        self._watching.setdefault((symbol, source), {})[alert.alert_id] = alert
        return alert

    def remove(self, alert_id: int) -> None:
        alert = self.alerts.pop(alert_id)
        del self._watching[(alert.symbol, alert.source)][alert_id]

    def of(self, account_id: int, symbol: str = "") -> list[Alert]:
        return [
            alert
            for alert in self.alerts.values()
            if alert.account_id == account_id and (not symbol or alert.symbol == symbol)
        ]

    def crossed(self, symbol: str, source: TriggerBy, before: Ticks, after: Ticks) -> list[Alert]:
        """Alerts that fire on a move from ``before`` to ``after`` (in alert id order). A move onto
        the level counts as crossing it; with no earlier price (0) nothing is crossed. A repeating
        alert fires again only after the price has been back on the other side (a later crossing)."""
        watching = self._watching.get((symbol, source))
        if not watching or not after:
            return []
        fired = []
        for alert in list(watching.values()):
            if alert.direction is Direction.CROSSES_ABOVE:
                crossed = before < alert.price <= after
            else:
                crossed = before > alert.price >= after
            if not (before and crossed):
                continue
            alert.fired += 1
            fired.append(alert)
            if not alert.repeating:
                self.remove(alert.alert_id)
        return fired
