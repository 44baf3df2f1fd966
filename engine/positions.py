"""One-way positions: signed size and the exact notional paid for it.

Keeping the entry *notional* (an integer amount) instead of an entry price keeps every figure exact:
the entry price is notional / size, shown rounded only at the edge.
"""

from paperex.engine.units import Amount, Lots


class Position:
    """``isolated_wallet`` is the margin an isolated position holds apart from the cross wallet."""

    __slots__ = ("entry_notional", "isolated_wallet", "size")

    def __init__(self) -> None:
        self.size: Lots = 0
        self.entry_notional: Amount = 0
        self.isolated_wallet: Amount = 0

    def fill(self, signed_lots: Lots, notional_per_lot: Amount) -> Amount:
        """Apply a fill of ``signed_lots`` (buy > 0) at ``notional_per_lot``; return the entry notional
        released by the part that closed (zero when the fill only opens or adds).

        A fill larger than an opposite position closes it and opens the rest at the fill price.

        >>> p = Position(); p.fill(3, 100)
        0
        >>> p.fill(-1, 130), p.size, p.entry_notional
        (100, 2, 200)
        >>> p.fill(-5, 90), p.size, p.entry_notional
        (200, -3, 270)
        """
        size = self.size
        if size == 0 or (size > 0) == (signed_lots > 0):
            self.size = size + signed_lots
            self.entry_notional += abs(signed_lots) * notional_per_lot
            return 0
        held, traded = abs(size), abs(signed_lots)
        if traded < held:
            released = self.entry_notional * traded // held
            self.entry_notional -= released
            self.size = size + signed_lots
            return released
        released = self.entry_notional
        self.size = size + signed_lots
        self.entry_notional = (traded - held) * notional_per_lot
        return released

    def closable_by(self, side_sign: int) -> Lots:
        """Lots an order on the side with sign ``side_sign`` can take off this position."""
        return abs(self.size) if self.size * side_sign < 0 else 0
