"""The journal's text form of a command: ``["PlaceOrder", {...fields}]``, enums by name.

Every sequenced command is written in this form, so replaying the journal feeds the exchange the
exact same inputs. Decoding is strict: an unknown type or field is a corrupt journal, not a guess.
"""

import json
import typing
from dataclasses import fields
from enum import Enum
from functools import cache
from typing import Any

from engine import commands
from server.exchange_commands import OpenAccount

ExchangeCommand = commands.Command | OpenAccount

_TYPES: dict[str, type] = {cls.__name__: cls for cls in (*typing.get_args(commands.Command), OpenAccount)}


@cache
def _enum_fields(cls: type) -> dict[str, type[Enum]]:
    hints = typing.get_type_hints(cls)
    return {name: hint for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, Enum)}


def encode(command: ExchangeCommand) -> str:
    """Canonical one-line JSON.

    >>> from engine.commands import Deposit
    >>> encode(Deposit(account_id=1, amount=5, ts=7))
    '["Deposit",{"account_id":1,"amount":5,"ts":7}]'
    """
    body = {}
    for field in fields(command):
        value = getattr(command, field.name)
        body[field.name] = value.name if isinstance(value, Enum) else value
    return json.dumps([type(command).__name__, body], separators=(",", ":"))


def decode(text: str) -> ExchangeCommand:
    """The command ``encode`` wrote; raises ValueError for anything else."""
    name, body = json.loads(text)
    cls = _TYPES.get(name)
    if cls is None:
        raise ValueError(f"unknown command type {name!r} in the journal")
    values: dict[str, Any] = dict(body)
    for field, enum in _enum_fields(cls).items():
        if field in values:
            values[field] = enum[values[field]]
    command: ExchangeCommand = cls(**values)
    return command
