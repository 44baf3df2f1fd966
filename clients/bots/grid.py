"""Prices and quantities onto an instrument's grid (tick size, lot size), rounding in a stated direction.

The exchange refuses anything off the grid, so every computed price or quantity passes through here
before it is sent; which way to round is the caller's decision (a bid rounds down, an ask up, a
quantity down so that a risk budget is never exceeded).

>>> floor_to(Decimal("64802.65"), Decimal("0.1")), ceil_to(Decimal("64932.45"), Decimal("0.1"))
(Decimal('64802.6'), Decimal('64932.5'))
>>> floor_to(Decimal("0.24477"), Decimal("0.001")), ceil_to(Decimal("64900"), Decimal("0.1"))
(Decimal('0.244'), Decimal('64900.0'))
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of ``step`` not above ``value``, written with ``step``'s exponent."""
    return ((value / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(step)


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    """The smallest multiple of ``step`` not below ``value``, written with ``step``'s exponent."""
    return ((value / step).to_integral_value(rounding=ROUND_CEILING) * step).quantize(step)
