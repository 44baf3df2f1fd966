"""Position size by the fixed-fraction risk rule (the common trader's habit: "risk at most 1-2% a trade").

The size is chosen so that being stopped out loses ``risk_fraction`` of equity:
``quantity = equity x risk_fraction / |entry - stop|``, rounded down to the lot so the budget is never
exceeded. A tight stop would ask for a huge position, so the size is also capped by what the available
balance can open at the leverage: each unit costs ``entry / leverage`` of initial margin plus the taker
fee, and ``headroom`` keeps a margin for slippage and the venue's open loss.

>>> position_size(Decimal(10_000), Decimal(10_000), Decimal(100), Decimal(98), 5, Rules()).quantity
Decimal('100.000')
"""

from dataclasses import dataclass
from decimal import Decimal

from paperex.client.bots.grid import floor_to

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Rules:
    """The sizing settings and the instrument's filters (``lot_size`` ... from ``instruments()``)."""

    risk_fraction: Decimal = Decimal("0.02")
    taker_fee_rate: Decimal = Decimal("0.0005")
    headroom: Decimal = Decimal("0.95")
    lot_size: Decimal = Decimal("0.001")
    min_quantity: Decimal = Decimal("0.001")
    min_notional: Decimal = Decimal(100)


@dataclass(frozen=True, slots=True)
class Size:
    """The quantity to trade (zero: do not trade) and the two limits it came from."""

    quantity: Decimal
    by_risk: Decimal
    affordable: Decimal

    @property
    def capped(self) -> bool:
        """True when the balance, not the risk budget, set the size."""
        return self.affordable < self.by_risk


def risk_quantity(equity: Decimal, risk_fraction: Decimal, entry: Decimal, stop: Decimal, lot_size: Decimal) -> Decimal:
    """The quantity whose loss from ``entry`` to ``stop`` is ``risk_fraction`` of ``equity``, rounded down."""
    distance = abs(entry - stop)
    if distance == 0:
        raise ValueError("the stop must differ from the entry")
    return floor_to(max(ZERO, equity) * risk_fraction / distance, lot_size)


def affordable_quantity(
    available: Decimal, leverage: int, entry: Decimal, taker_fee_rate: Decimal, headroom: Decimal, lot_size: Decimal
) -> Decimal:
    """The most the available balance can open at ``leverage``: initial margin plus taker fee per unit,
    within ``headroom`` of the balance, rounded down."""
    per_unit = entry / leverage + entry * taker_fee_rate
    return floor_to(max(ZERO, available) * headroom / per_unit, lot_size)


def position_size(
    equity: Decimal, available: Decimal, entry: Decimal, stop: Decimal, leverage: int, rules: Rules
) -> Size:
    """The 2% rule capped by the balance; zero when the result is below the instrument's minimum
    quantity or notional (better no trade than one the risk budget cannot size)."""
    by_risk = risk_quantity(equity, rules.risk_fraction, entry, stop, rules.lot_size)
    affordable = affordable_quantity(available, leverage, entry, rules.taker_fee_rate, rules.headroom, rules.lot_size)
    quantity = min(by_risk, affordable)
    if quantity < rules.min_quantity or quantity * entry < rules.min_notional:
        quantity = ZERO * rules.lot_size
    return Size(quantity, by_risk, affordable)
