"""Turning SDK answers into output: JSON documents for scripts, aligned plain-text tables for people.

JSON keeps every figure exact (Decimals as strings, as on the wire), enums by name, datetimes in
ISO-8601, durations as ISO-8601 ``PT<seconds>S``. Tables right-align columns of numbers so digits
line up the way a trader reads them.

>>> print(table(["SYMBOL", "SIZE"], [["BTCUSDT", "0.010"], ["ETHUSDT", "-1.5"]]))
SYMBOL    SIZE
BTCUSDT  0.010
ETHUSDT   -1.5
"""

import dataclasses
import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

NUMERIC = re.compile(r"^[-+]?\d[\d,]*(\.\d+)?(%|x)?$")
MISSING = "-"


def jsonable(value: Any) -> Any:
    """``value`` with only JSON types left, so a script never loses a digit to a float."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: jsonable(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"PT{format(Decimal(str(value.total_seconds())).normalize(), 'f')}S"
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def to_json(document: Any) -> str:
    """One JSON document (one line) for ``document``."""
    return json.dumps(jsonable(document), separators=(",", ":"))


def text(value: Any) -> str:
    """One table cell: a figure as the exchange wrote it, ``-`` for an absent one."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        return duration_text(value)
    return str(value)


def percent(ratio: Decimal | None, places: int = 2) -> str:
    """A ratio such as the margin ratio ``0.7`` as ``70.00%`` (how venues show it); a fee rate or a
    funding rate needs ``places=4`` (``0.0002`` is ``0.0200%``)."""
    return MISSING if ratio is None else f"{ratio * 100:.{places}f}%"


def duration_text(value: timedelta) -> str:
    """``1h30m``, ``10m``, ``45s``: the same units ``scenario run --advance`` accepts."""
    seconds = int(value.total_seconds())
    parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"), (seconds % 3600 // 60, "m"), (seconds % 60, "s")]
    return "".join(f"{amount}{unit}" for amount, unit in parts if amount) or "0s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; a column whose cells are all numbers is right-aligned."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    numeric = [
        bool(rows) and all(NUMERIC.match(row[i]) or row[i] == MISSING for row in rows) for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def fields(pairs: Sequence[tuple[str, str]]) -> str:
    """``label  value`` lines with the values in one column (a record, where a table would be one row)."""
    width = max((len(label) for label, _ in pairs), default=0)
    return "\n".join(f"{label.ljust(width)}  {value}".rstrip() for label, value in pairs)
