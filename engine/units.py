"""Exact conversion between wire decimals and the engine's integers.

Inside the engine a price is a whole number of ticks, a quantity a whole number of lots, and money
(``Amount``) and rates (``Rate``) are integers scaled by ``SCALE`` (1e-8). Floats never appear: a
value that is not an exact multiple of its step is refused, never rounded.
"""

import re
from decimal import Decimal, localcontext

from paperex.engine.reasons import RejectReason

Ticks = int
Lots = int
Amount = int
Rate = int

SCALE = 10**8

SECOND_NS = 10**9
"""Engine time is nanoseconds (each command's ``ts``)."""
HOUR_NS = 3_600 * SECOND_NS
_SCALE_DECIMAL = Decimal(SCALE)
MAX_DECIMAL_CHARS = 64
_WIRE_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)


class ConversionError(ValueError):
    """A wire value that cannot become an engine integer; carries the reason code to report."""

    def __init__(self, reason: RejectReason, field: str, value: object) -> None:
        super().__init__(f"{field}: {value!r} is invalid ({reason.value})")
        self.reason = reason
        self.field = field
        self.value = value


def parse_decimal(text: object, field: str, invalid: RejectReason) -> Decimal:
    """Parse a finite decimal strictly: plain notation, ASCII digits with an optional sign and fraction,
    nothing else (no floats, exponents, NaN/Infinity, blanks or digit separators).

    >>> parse_decimal("64900.1", "price", RejectReason.INVALID_PRICE)
    Decimal('64900.1')
    """
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, str) and len(text) <= MAX_DECIMAL_CHARS and _WIRE_DECIMAL.fullmatch(text):
        value = Decimal(text)
    else:
        raise ConversionError(invalid, field, text)
    if not value.is_finite():
        raise ConversionError(invalid, field, text)
    return value


def to_steps(text: object, step: Decimal, field: str, invalid: RejectReason, off_step: RejectReason) -> int:
    """Convert a positive decimal to a whole number of ``step`` units, refusing any remainder.

    >>> bad, off = RejectReason.INVALID_QUANTITY, RejectReason.INVALID_LOT
    >>> to_steps("0.125", Decimal("0.001"), "quantity", bad, off)
    125
    >>> to_steps("0.1255", Decimal("0.001"), "quantity", bad, off)
    Traceback (most recent call last):
    ...
    paperex.engine.units.ConversionError: quantity: '0.1255' is invalid (INVALID_LOT)
    """
    value = parse_decimal(text, field, invalid)
    if value <= 0:
        raise ConversionError(invalid, field, text)
    with localcontext() as context:
        context.prec = max(28, value.adjusted() - step.adjusted() + 2)
        steps, remainder = divmod(value, step)
    if remainder:
        raise ConversionError(off_step, field, text)
    return int(steps)


def from_steps(count: int, step: Decimal) -> str:
    """Render ``count`` steps as a decimal string with the step's precision.

    >>> from_steps(649001, Decimal("0.1"))
    '64900.1'
    """
    return str((count * step).quantize(step))


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer division rounded up (for a positive denominator): requirements round against the account.

    >>> ceil_div(7, 2), ceil_div(-7, 2)
    (4, -3)
    """
    return -(-numerator // denominator)


def amount_from_decimal(value: Decimal | str) -> Amount:
    """Money or a rate as a scaled integer; finer than 1e-8 is refused rather than rounded.

    >>> amount_from_decimal("0.0002")
    20000
    """
    scaled = Decimal(value) * _SCALE_DECIMAL
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} has more than 8 decimal places")
    return int(scaled)


def amount_to_decimal(amount: Amount) -> Decimal:
    """A scaled integer back to an exact Decimal.

    >>> amount_to_decimal(123456789)
    Decimal('1.23456789')
    """
    return Decimal(amount).scaleb(-8)
