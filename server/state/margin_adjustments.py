"""Each account's own isolated margin moves (Binance's ``GET /fapi/v1/positionMargin/history``).

Only an ``AdjustIsolatedMargin`` the engine carried out is one: the margin that opening, closing or
liquidating a position moves is the trade's, not the user's. Rebuilt exactly by replaying the
journal, so it is part of the snapshot.
"""

from dataclasses import dataclass

from paperex.engine.commands import AdjustIsolatedMargin
from paperex.engine.events import BalanceChanged, BalanceReason, Event
from paperex.engine.orders import BOTH, PositionSide
from paperex.engine.units import Amount

RETAINED_PER_ACCOUNT = 1_000
"""Adjustments kept per account; the oldest go first."""


@dataclass(slots=True, frozen=True)
class MarginAdjustment:
    """Margin added to (``amount`` > 0) or removed from (< 0) the isolated position on ``symbol`` (its
    ``position_side`` leg in hedge mode; BOTH in one-way mode)."""

    symbol: str
    amount: Amount
    time: int
    position_side: PositionSide = BOTH


class MarginAdjustments:
    def __init__(self, retained: int = RETAINED_PER_ACCOUNT) -> None:
        self.retained = retained
        self._accounts: dict[int, list[MarginAdjustment]] = {}

    def fold(self, command: AdjustIsolatedMargin, events: list[Event], ts: int) -> None:
        """The command's move, unless it was refused (then it moved nothing)."""
        moved = any(type(e) is BalanceChanged and e.reason is BalanceReason.ISOLATED_MARGIN_TRANSFER for e in events)
        if not moved:
            return
        records = self._accounts.setdefault(command.account_id, [])
        records.append(MarginAdjustment(command.symbol, command.amount, ts, command.position_side))
        if len(records) > self.retained * 11 // 10:
            del records[: len(records) - self.retained]

    def page(
        self, account_id: int, symbol: str, added: bool | None, start: int, end: int, size: int
    ) -> list[MarginAdjustment]:
        """Oldest first: the first ``size`` of the account's moves on ``symbol`` in [start, end) (only
        additions, or only removals, when ``added`` says which)."""
        found = [
            record
            for record in self._accounts.get(account_id, [])
            if record.symbol == symbol and start <= record.time < end and added in (None, record.amount > 0)
        ]
        return found[:size]
