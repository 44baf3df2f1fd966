"""The exchange's state hash: the engine's own digest plus a canonical digest of every host projection
a snapshot restores (accounts, order history, income, liquidation records, user events, candles,
ticker statistics, alerts, the market script...), so that recovery passes over a snapshot whose
projections were damaged as it does one whose engine was, and two processes can prove they hold the
same state.

Canonical means the same in every process: the exchange is walked field by field, sequences and dicts
in their own order (insertion order, which the command sequence determines), sets sorted by their
elements' encodings (string hashing, and so set order, varies between processes), never pickle bytes
or object ids. An object met again is written as the number of its first meeting, so a record shared
by two projections counts once and cycles end. The engine is one leaf (its hash leads); a type the
walk does not know is an error, never a guess.
"""

import dataclasses
import enum
import hashlib
import random
import types
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from paperex.server.state.user_event_log import UserEventLog

if TYPE_CHECKING:
    from paperex.server.core.exchange import Exchange

_ATOMS = frozenset({type(None), bool, int, float, str, bytes, Decimal, Fraction})
"""Types written as their ``repr``: exact, and the same in every process."""
_FLUSH_EVERY = 65_536
"""Parts gathered before they are fed to the digest (bounds memory on a large state)."""


def state_hash(exchange: "Exchange") -> str:
    """sha256 over the engine's state hash and the canonical walk of everything else in ``exchange``."""
    digest = hashlib.sha256(exchange.engine.state_hash().encode())
    walk = _Walk(digest, exchange.engine)
    walk.value(exchange)
    walk.flush()
    return digest.hexdigest()


def part_hash(exchange: "Exchange", part: object) -> str:
    """sha256 of the canonical walk of one part of ``exchange`` alone (a read model, say): equal in two
    exchanges exactly when that part is, so a difference is found where it is."""
    digest = hashlib.sha256()
    walk = _Walk(digest, exchange.engine)
    walk.value(part)
    walk.flush()
    return digest.hexdigest()


class _Walk:
    def __init__(self, digest: "hashlib._Hash", engine: object) -> None:
        self._digest = digest
        self._engine = engine
        self._parts: list[str] = []
        self._seen: dict[int, int] = {}
        """id of each object walked -> the order it was first met (objects stay alive meanwhile)."""
        self._writers: dict[type, Callable[[Any], None]] = {
            list: self._sequence,
            tuple: self._sequence,
            deque: self._sequence,
            dict: self._dict,
            set: self._set,
            frozenset: self._set,
            UserEventLog: self._user_events,
            random.Random: lambda rng: self._sequence(rng.getstate()),
            types.MethodType: self._method,
            types.BuiltinMethodType: self._method,  # a bound method of a class compiled by mypyc
            types.FunctionType: self._name,
            type: self._name,
            type(engine): self._engine_leaf,
        }

    def flush(self) -> None:
        if self._parts:
            self._digest.update(("\x1f".join(self._parts) + "\x1f").encode())
            self._parts.clear()

    def value(self, value: Any) -> None:
        kind = type(value)
        if kind in _ATOMS:
            self._parts.append(repr(value))
            return
        writer = self._writers.get(kind)
        if writer is None:
            writer = self._writers[kind] = self._writer_for(kind)
        writer(value)

    def _writer_for(self, kind: type) -> Callable[[Any], None]:
        """How to write a value of ``kind``, chosen once per type."""
        if issubclass(kind, enum.Enum):
            return lambda member: self._parts.append(f"{kind.__qualname__}.{member.name}")
        if issubclass(kind, tuple):  # a NamedTuple
            return self._sequence
        if dataclasses.is_dataclass(kind):
            names = tuple(field.name for field in dataclasses.fields(kind))
        else:
            slots = {name for cls in kind.__mro__ for name in _slots(cls)} or _compiled_attributes(kind)
            if not slots and "__dict__" not in dir(kind):
                raise TypeError(f"the state hash does not know how to digest a {kind.__module__}.{kind.__qualname__}")
            names = tuple(sorted(slots))
        label = f"{kind.__module__}.{kind.__qualname__}<"
        return lambda value: self._object(value, label, names)

    def _first_meeting(self, value: object) -> bool:
        """True the first time ``value`` is met; later, writes a reference to that first meeting instead."""
        first = self._seen.get(id(value))
        if first is not None:
            self._parts.append(f"@{first}")
            return False
        self._seen[id(value)] = len(self._seen)
        if len(self._parts) >= _FLUSH_EVERY:
            self.flush()
        return True

    def _each(self, values: Any) -> None:
        parts, value = self._parts, self.value
        for item in values:
            if type(item) in _ATOMS:
                parts.append(repr(item))
            else:
                value(item)

    def _sequence(self, items: Any) -> None:
        # tuples are values (and whether equal ones are one object varies): always written out
        if type(items) is tuple or self._first_meeting(items):
            self._parts.append(f"{type(items).__qualname__}[{len(items)}")
            self._each(items)
            self._parts.append("]")

    def _dict(self, mapping: dict[Any, Any]) -> None:
        if self._first_meeting(mapping):
            self._parts.append(f"{{{len(mapping)}")
            for key, item in mapping.items():
                self.value(key)
                self.value(item)
            self._parts.append("}")

    def _set(self, members: set[Any] | frozenset[Any]) -> None:
        """Each member digested alone, then the digests in sorted order."""
        if self._first_meeting(members):
            encoded = []
            for member in members:
                alone = _Walk(hashlib.sha256(), self._engine)
                alone.value(member)
                alone.flush()
                encoded.append(alone._digest.hexdigest())
            self._parts.append(f"({len(encoded)}")
            self._parts.extend(sorted(encoded))
            self._parts.append(")")

    def _user_events(self, log: UserEventLog) -> None:
        """The events and the log's bound (a ``deque`` keeps it, not as a field)."""
        if self._first_meeting(log):
            self._parts.append(f"events[{len(log)} {log.maxlen}")
            self._each(log)
            self._parts.append("]")

    def _name(self, named: Any) -> None:
        """A class or function, by its qualified name."""
        self._parts.append(f"{named.__module__}.{named.__qualname__}")

    def _method(self, method: Any) -> None:
        """A bound method, by its function's qualified name and then its object; named alike whether its
        class is compiled (whose methods know no module) or not, so both builds hash alike."""
        owner = method.__qualname__.rpartition(".")[0]
        module = next(cls.__module__ for cls in type(method.__self__).__mro__ if cls.__qualname__ == owner)
        self._parts.append(f"{module}.{method.__qualname__}")
        self.value(method.__self__)

    def _engine_leaf(self, engine: object) -> None:
        """The engine, whose own hash leads the digest: by identity, never walked (a compiled engine has no
        attributes to walk)."""
        if engine is not self._engine:
            raise TypeError("the state hash met a second engine")
        self._parts.append("engine")

    def _object(self, value: Any, label: str, names: tuple[str, ...]) -> None:
        """An object by its fields (a dataclass) or its slots and attributes, sorted by name; an unset
        slot is left out."""
        if not self._first_meeting(value):
            return
        parts = self._parts
        parts.append(label)
        if hasattr(value, "__dict__"):
            names = tuple(sorted({*names, *vars(value)}))
        missing = _MISSING
        for name in names:
            attribute = getattr(value, name, missing)
            if attribute is not missing:
                parts.append(name)
                if type(attribute) in _ATOMS:
                    parts.append(repr(attribute))
                else:
                    self.value(attribute)
        parts.append(">")


_MISSING = object()


def _compiled_attributes(cls: type) -> set[str]:
    """The attributes of a class compiled by mypyc (which has no ``__slots__``): the names its slots have
    when interpreted, so both builds digest alike."""
    return {name for name in getattr(cls, "__mypyc_attrs__", ()) if not name.startswith("__")}


def _slots(cls: type) -> tuple[str, ...]:
    """The data slots ``cls`` itself declares (``__slots__`` may be one name)."""
    declared = cls.__dict__.get("__slots__", ())
    names = (declared,) if isinstance(declared, str) else tuple(declared)
    return tuple(name for name in names if name not in ("__dict__", "__weakref__"))
