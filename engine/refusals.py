"""A refusal and the figures that explain it, in engine units.

A bot refused for a tick, a band or a margin shortfall needs the number it missed, not only the
reason. The check that decides a refusal knows that number, so it returns it with the reason as
integer ``Figure``s (ticks, lots, money or a plain count); the edge renders them in the instrument's
own units under the figure's name, which is the stable metadata key clients match on.
"""

from enum import StrEnum
from typing import NamedTuple

from paperex.engine.reasons import RejectReason
from paperex.engine.units import Amount, Lots, Ticks


class Unit(StrEnum):
    """What a figure's integer counts, so it can be shown as the venue shows it."""

    TICKS = "TICKS"
    """A price, in ticks of the instrument."""
    LOTS = "LOTS"
    """A quantity, in lots of the instrument."""
    AMOUNT = "AMOUNT"
    """Money, scaled by 1e-8."""
    COUNT = "COUNT"
    """A plain number: a leverage, a number of orders."""


class Figure(NamedTuple):
    """One named figure of a refusal, e.g. ``Figure("min_notional", Unit.AMOUNT, 100 * 10**8)``."""

    name: str
    unit: Unit
    value: int


def price(name: str, ticks: Ticks) -> Figure:
    return Figure(name, Unit.TICKS, ticks)


def quantity(name: str, lots: Lots) -> Figure:
    return Figure(name, Unit.LOTS, lots)


def money(name: str, amount: Amount) -> Figure:
    return Figure(name, Unit.AMOUNT, amount)


def count(name: str, value: int) -> Figure:
    return Figure(name, Unit.COUNT, value)


def shortfall(required: Amount, available: Amount) -> tuple[Figure, Figure]:
    """The figures of a refusal for want of money: what the command needed, what the account had."""
    return money("required", required), money("available", available)


class Refusal(NamedTuple):
    """Why a command is refused, with the figures a client needs to correct it (none for reasons
    that are their own explanation, such as UNKNOWN_ORDER)."""

    reason: RejectReason
    figures: tuple[Figure, ...] = ()
