"""The journal's text form of a command: ``["PlaceOrder", {...fields}]``, enums by name.

Every sequenced command is written in this form, so replaying the journal feeds the exchange the
exact same inputs. Decoding is strict: an unknown type or field is a corrupt journal, not a guess. A
field missing from a line takes its default, or, for a field added later, the value its metadata
``BEFORE_THE_FIELD`` names (what lines written before it meant).
"""

import json
import re
import typing
from collections.abc import Callable
from dataclasses import fields, replace
from enum import Enum
from functools import cache
from json.encoder import encode_basestring_ascii as _json_string
from typing import Any

from paperex.engine import commands
from paperex.server.core.exchange_commands import (
    BEFORE_THE_FIELD,
    HOST_COMMANDS,
    HostCommand,
    OpenAccount,
    RotateApiKey,
)

ExchangeCommand = commands.Command | HostCommand

_TYPES: dict[str, type] = {cls.__name__: cls for cls in (*typing.get_args(commands.Command), *HOST_COMMANDS)}


@cache
def _enum_fields(cls: type) -> dict[str, type[Enum]]:
    hints = typing.get_type_hints(cls)
    return {name: hint for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, Enum)}


@cache
def _added_fields(cls: type) -> dict[str, Any]:
    """Fields added after journals were written, with the value a line without them stands for."""
    return {field.name: field.metadata[BEFORE_THE_FIELD] for field in fields(cls) if BEFORE_THE_FIELD in field.metadata}


def encode(command: ExchangeCommand) -> str:
    """Canonical one-line JSON.

    >>> from paperex.engine.commands import Deposit
    >>> encode(Deposit(account_id=1, amount=5, ts=7))
    '["Deposit",{"account_id":1,"amount":5,"asset":"USDT","ts":7}]'
    """
    encoder = _ENCODERS.get(type(command))
    if encoder is None:
        encoder = _ENCODERS[type(command)] = _compile_encoder(type(command))
    return encoder(command)


def encode_generic(command: ExchangeCommand) -> str:
    """``encode`` field by field through ``json.dumps``: the reference the compiled encoders match
    character for character, and their fallback for any value of an unexpected type."""
    body = {}
    for field in fields(command):
        value = getattr(command, field.name)
        body[field.name] = value.name if isinstance(value, Enum) else value
    return json.dumps([type(command).__name__, body], separators=(",", ":"))


_ENCODERS: dict[type, Callable[[Any], str]] = {}
_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_BOOLS = {True: "true", False: "false"}


def _compile_encoder(cls: type) -> Callable[[Any], str]:
    """A per-class encoder: the fields read in order, their exact types checked in one tuple
    comparison, then one %-format of the JSON text (a fifth of the generic path's cost); an enum is
    written by its ``_name_`` (the attribute the ``name`` property reads, without the call). Fields
    hinted other than int, str, bool or an enum make the class use the generic path."""
    hints = typing.get_type_hints(cls)
    formats: list[str] = []
    values: list[str] = []
    types: list[type] = []
    for index, field in enumerate(fields(cls)):
        hint, value = hints.get(field.name), f"v{index}"
        if hint is bool:
            formats.append("%s")
            values.append(f"_BOOLS[{value}]")
        elif hint is int:
            formats.append("%d")
            values.append(value)
        elif hint is str:
            formats.append("%s")
            values.append(f"_json_string({value})")
        elif isinstance(hint, type) and issubclass(hint, Enum) and all(_SAFE_NAME.fullmatch(m.name) for m in hint):
            formats.append('"%s"')
            values.append(f"{value}._name_")
        else:
            return encode_generic
        types.append(hint)
    template = json.dumps([cls.__name__, {field.name: 0 for field in fields(cls)}], separators=(",", ":"))
    if "%" in template or not all(_SAFE_NAME.fullmatch(name) for name in (cls.__name__, *hints)):
        return encode_generic
    for field, form in zip(fields(cls), formats, strict=True):
        template = template.replace(f"{json.dumps(field.name)}:0", f"{json.dumps(field.name)}:{form}", 1)
    reads = "".join(f"    v{index} = command.{field.name}\n" for index, field in enumerate(fields(cls)))
    source = (
        f"def encode_{cls.__name__}(command):\n{reads}"
        f"    if ({''.join(f'type(v{index}), ' for index in range(len(types)))}) != _types:\n"
        "        return _generic(command)\n"
        f"    return {template!r} % "
        f"({''.join(f'{value}, ' for value in values)})\n"
    )
    scope: dict[str, Any] = {"_types": tuple(types), "_generic": encode_generic, "_BOOLS": _BOOLS}
    scope["_json_string"] = _json_string
    exec(source, scope)  # the source is built above from identifiers only
    encoder: Callable[[Any], str] = scope[f"encode_{cls.__name__}"]
    return encoder


SECRET = "<secret>"
"""What a log line shows in place of a signing secret."""


def loggable(command: ExchangeCommand, text: str) -> str:
    """``text`` (the command's journal line) as a log may show it: a signing secret masked.

    >>> from paperex.server.core.exchange_commands import RotateApiKey
    >>> command = RotateApiKey(account_id=1, key_hash="h", api_secret="s3cret", ts=7)
    >>> loggable(command, encode(command))
    '["RotateApiKey",{"account_id":1,"key_hash":"h","api_secret":"<secret>","ts":7}]'
    """
    if isinstance(command, OpenAccount | RotateApiKey) and command.api_secret:
        return encode(replace(command, api_secret=SECRET))
    return text


def decode(text: str) -> ExchangeCommand:
    """The command ``encode`` wrote; raises ValueError for anything else (an unknown command, field or
    enum member: text from another version of paperex)."""
    try:
        name, body = json.loads(text)
        cls = _TYPES.get(name)
        if cls is None:
            raise ValueError(f"unknown command type {name!r}")
        values: dict[str, Any] = dict(body)
        for field, before in _added_fields(cls).items():
            values.setdefault(field, before)
        for field, enum in _enum_fields(cls).items():
            if field in values:
                values[field] = enum[values[field]]
        command: ExchangeCommand = cls(**values)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"not a command this version of paperex knows ({error})") from None
    return command
