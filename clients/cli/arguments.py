"""Argument types: the command line's words checked and converted before anything is sent.

A malformed number or duration is a usage error (exit 2) named by argparse, never a call the exchange
has to refuse. Whether a price fits the tick is the exchange's rule and stays its answer.

>>> parse_duration("1h30m")
datetime.timedelta(seconds=5400)
>>> from paperex.client.enums import OrderType
>>> enum_member(OrderType, "stop-market")
OrderType.STOP_MARKET
>>> word_argument("STOP_MARKET")
'stop-market'
"""

import argparse
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import NoReturn, TypeAlias, TypeVar

from paperex.client.enums import WireEnum

E = TypeVar("E", bound=WireEnum)
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``add_subparsers()`` returns, where each module adds its subcommands."""
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
UNIT_SECONDS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600), "d": Decimal(86400)}


class OneLineParser(argparse.ArgumentParser):
    """A usage error in one line that names the option and points to --help (for the sample bots, whose
    every error is one line)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def decimal_argument(value: str) -> Decimal:
    """A price, quantity or amount exactly as typed (a float would round 0.1)."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {value!r}")
    return number


def positive_int(value: str) -> int:
    """A count or depth: a whole number of at least one."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {value!r}")
    return number


def symbol_argument(value: str) -> str:
    """Symbols are upper case on the exchange; ``btcusdt`` is accepted as ``BTCUSDT``."""
    return value.upper()


def word_argument(value: str) -> str:
    """A word of the command line (a side, an order type, a mode) spelt as ``choices`` list it, so
    ``BUY``, ``Buy`` and ``buy`` are one word, and ``STOP_MARKET`` is ``stop-market``."""
    return value.strip().lower().replace("_", "-")


def parse_duration(value: str) -> timedelta:
    """``30s``, ``90m``, ``1h``, ``1h30m``, ``2d``, ``500ms``: a unit after every number."""
    text = value.strip().lower()
    parts = DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise argparse.ArgumentTypeError(f"not a duration: {value!r} (use e.g. 30s, 90m, 1h, 1h30m)")
    seconds = sum((Decimal(number) * UNIT_SECONDS[unit] for number, unit in parts), Decimal(0))
    return timedelta(seconds=float(seconds))


def parse_time(value: str) -> datetime:
    """An ISO-8601 time (``2026-01-01T01:00:00Z``); without a zone it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def add_stop_options(parser: argparse.ArgumentParser, count_option: str, once_help: str, count_help: str) -> None:
    """``--once`` or ``--<count_option> N``: how a live view ends by itself (scripts, tests); with
    neither it runs until Ctrl-C."""
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument("--once", action="store_true", help=once_help)
    stop.add_argument(f"--{count_option}", type=positive_int, metavar="N", help=count_help)


def choice_name(member: IntEnum) -> str:
    """``OrderType.STOP_MARKET`` as the command line spells it: ``stop-market``."""
    return member.name.lower().replace("_", "-")


def enum_member(enum: type[E], name: str) -> E:
    """The member a ``choice_name`` spelling stands for."""
    return enum.parse(name)


def enum_choices(enum: type[IntEnum]) -> list[str]:
    """Every member's spelling, for argparse ``choices`` (with ``type=word_argument``, any case)."""
    return [choice_name(member) for member in enum]
