"""The snapshot format: an object graph as plain data (ints, strings, lists), written as JSON.

A snapshot must load in any build of paperex that reads its format version, the engine and the results
stage interpreted or compiled by mypyc, whose classes neither pickle nor lay out their attributes as Python
classes do. So nothing of a class's layout is written, only what a ``Schema`` says each class stores, under
the name the schema gives it; one generic walk writes and reads every class from that. A class the schema
does not know fails when the snapshot is written (in tests, not silently at a restart).

The bytes are the line ``paperex-snapshot <version>`` then one JSON document (UTF-8, zlib-compressed)::

    {"types": [[name, [field, ...]], ...], "objects": [[type, ...], ...]}

``types`` names each type the snapshot holds, with the fields stored for it in order, so a build whose
schema differs refuses the snapshot instead of misreading it. ``objects`` is a flat table: every value
with an identity (class instances, lists, dicts, sets, deques, sorted containers, random generators)
and every enum member is one row, ``[type index, ...payload]``, met once however many references it
has; the first row is the root. A value inside a row is a JSON scalar (int, string, boolean, null,
float) or a tagged list:

==================== =============================================================================
``["@", row]``       the object of that row (the same object wherever it is referenced)
``["(", v, ...]``    a tuple
``["D", "1.50"]``    a Decimal, exactly as written; ``["Q", "1/3"]`` a Fraction; ``["B", hex]`` bytes
``["T", type]``      a class itself (a key of a dispatch table)
``["M", v, name]``   the method ``name`` bound to the object ``v``
``["-"]``            (a stored class's field only) the instance does not hold that attribute
==================== =============================================================================

Row payloads: a stored class or record (dataclass, NamedTuple), its fields' values in the order
``types`` lists; an enum member, its name; a list, set, frozenset or sorted list, its items; a dict,
ordered dict or sorted dict, key, value, key, value...; a deque, its ``maxlen`` then its items; a
``random.Random``, its ``getstate()`` (version, the 625 words, the pending Gaussian). Dicts and lists
keep their order, so a loaded state iterates, and so behaves and hashes, as the one written.

Loading builds every object once: containers and stored classes empty first, then filled (so cycles,
such as an order book's linked orders, need no recursion); records, tuples and frozensets by calling
their class with their values; ``Stored.loaded`` hooks last.
"""

import dataclasses
import enum
import gc
import json
import random
import types
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import chain
from operator import attrgetter
from typing import Any

from sortedcontainers import SortedDict, SortedList

FORMAT_VERSION = 1
"""Raise it whenever what is written changes meaning; a snapshot of another version is not loaded."""
_MAGIC = b"paperex-snapshot "
_COMPRESSION = 1
"""zlib's fastest level: a fifth of the JSON's size, for a tenth of the time writing it takes (measured)."""
_ATOMS = frozenset({int, str, bool, float, type(None)})
"""Types JSON writes and reads back as themselves."""


class SnapshotFormatError(ValueError):
    """A state the schema cannot write, or bytes this build cannot read as a snapshot."""


class OtherFormatError(SnapshotFormatError):
    """A snapshot written in another format (an older pickle, another format version)."""


@dataclass(frozen=True, slots=True)
class Stored:
    """A class stored by its named fields, which must be every attribute its instances hold (unless
    ``loaded`` rebuilds the others). It loads as an instance whose fields are then set: made empty by
    ``object.__new__``, or by ``make`` called with the values of the fields ``args`` names (a class
    compiled by mypyc cannot be made without its constructor)."""

    cls: type
    fields: tuple[str, ...]
    make: Callable[..., Any] | None = None
    args: tuple[str, ...] = ()
    loaded: Callable[[Any], None] | None = None
    """Runs once the whole snapshot is loaded, to rebuild what the class does not store."""


class Schema:
    """The classes a snapshot may hold: ``stored`` ones, ``records`` (dataclasses and NamedTuples,
    stored by their declared fields and loaded by calling the class), ``enums`` (by member name), and
    ``deques`` (deque subclasses), besides the built-in containers."""

    def __init__(
        self,
        *,
        stored: Iterable[Stored],
        records: Iterable[type],
        enums: Iterable[type[enum.Enum]],
        deques: Iterable[type[deque[Any]]] = (),
    ) -> None:
        kinds: list[_Kind] = [
            _Sequence(list),
            _Sequence(set),
            _Sequence(SortedList),
            _Frozen(frozenset),
            _Mapping(dict),
            _Mapping(OrderedDict),
            _Mapping(SortedDict),
            _Deque(deque),
            _Random(),
        ]
        kinds += [_Deque(cls) for cls in deques]
        kinds += [_Object(entry) for entry in stored]
        kinds += [_Record(cls) for cls in records]
        kinds += [_Enum(cls) for cls in enums]
        self.kinds: dict[type, _Kind] = {}
        self.by_name: dict[str, _Kind] = {}
        for kind in kinds:
            if kind.cls in self.kinds or kind.name in self.by_name:
                raise ValueError(f"the snapshot schema names {kind.name} twice")
            self.kinds[kind.cls] = kind
            self.by_name[kind.name] = kind


def encode(root: object, schema: Schema) -> bytes:
    """``root`` and everything it references, in the format this module describes."""
    writer = _Writer(schema)
    writer.value(root)
    with _collector_paused():
        document = {"types": writer.type_rows, "objects": writer.rows()}
        text = json.dumps(document, separators=(",", ":"), check_circular=False)
    return _MAGIC + str(FORMAT_VERSION).encode() + b"\n" + zlib.compress(text.encode(), _COMPRESSION)


def decode(data: bytes, schema: Schema) -> Any:
    """The root object ``encode`` wrote. Raises OtherFormatError for another format or version, and
    SnapshotFormatError for bytes that do not decode or types and fields the schema does not have."""
    header, _, text = data.partition(b"\n")
    if not header.startswith(_MAGIC):
        raise OtherFormatError("not a paperex snapshot of any format version (a pickle from before them?)")
    version = header[len(_MAGIC) :].decode(errors="replace")
    if version != str(FORMAT_VERSION):
        raise OtherFormatError(f"snapshot format version {version}; this build reads version {FORMAT_VERSION}")
    try:
        with _collector_paused():
            document = json.loads(zlib.decompress(text))
            return _Reader(schema, document["types"], document["objects"]).load()
    except SnapshotFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, zlib.error) as error:
        raise SnapshotFormatError(f"the snapshot does not decode: {error!r}") from None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: a snapshot's rows, and a loaded state, are millions of new
    containers, and the full collections they would set off on the way, each walking the whole state,
    made writing and loading a large state several times slower (measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------- kinds


class _Kind:
    """How one type is written into its row and built back from it."""

    cls: type
    name: str
    fields: tuple[str, ...] = ()

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.name = cls.__qualname__

    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        raise NotImplementedError

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        raise NotImplementedError

    def fill(self, value: Any, row: list[Any], reader: "_Reader") -> None:
        """Set the contents of the empty ``value`` that ``create`` made (nothing for values built whole)."""


class _Sequence(_Kind):
    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        return [writer.type_of(self), *writer.encoded(value)]

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        return self.cls()

    def fill(self, value: Any, row: list[Any], reader: "_Reader") -> None:
        items = reader.values(row)
        if self.cls is list:
            value.extend(items)
        else:
            value.update(items)


class _Frozen(_Sequence):
    def create(self, row: list[Any], reader: "_Reader") -> Any:
        return self.cls(reader.value(item) for item in row[1:])

    def fill(self, value: Any, row: list[Any], reader: "_Reader") -> None:
        pass


class _Mapping(_Kind):
    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        return [writer.type_of(self), *writer.encoded(chain.from_iterable(value.items()))]

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        return self.cls()

    def fill(self, value: Any, row: list[Any], reader: "_Reader") -> None:
        items = reader.values(row)
        if len(items) % 2:
            raise SnapshotFormatError(f"a {self.name} row holds a key without its value")
        pairs = zip(items[::2], items[1::2], strict=True)
        if self.cls is SortedDict:
            value.update(list(pairs))
            return
        for key, item in pairs:
            value[key] = item


class _Deque(_Kind):
    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        return [writer.type_of(self), value.maxlen, *writer.encoded(value)]

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        return self.cls((), row[1])

    def fill(self, value: Any, row: list[Any], reader: "_Reader") -> None:
        decode_value = reader.value
        value.extend([decode_value(item) for item in row[2:]])


class _Random(_Kind):
    def __init__(self) -> None:
        super().__init__(random.Random)

    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        version, words, gaussian = value.getstate()
        return [writer.type_of(self), version, list(words), gaussian]

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        return random.Random(0)

    def fill(self, value: Any, row: list[Any], reader: "_Reader") -> None:
        _, version, words, gaussian = row
        value.setstate((version, tuple(words), gaussian))


class _Object(_Kind):
    def __init__(self, entry: Stored) -> None:
        super().__init__(entry.cls)
        self.fields = entry.fields
        self.entry = entry
        self.strict = entry.loaded is None
        slots = _declared_slots(entry.cls)
        if self.strict and slots is not None and set(slots) != set(entry.fields):
            raise ValueError(f"the snapshot schema of {self.name} stores {entry.fields}, its slots are {slots}")
        self._field_set = frozenset(entry.fields)
        self._fields_of = _fields_getter(entry.fields)
        self._arg_columns = [entry.fields.index(name) + 1 for name in entry.args]

    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        if self.strict and hasattr(value, "__dict__") and not value.__dict__.keys() <= self._field_set:
            extra = sorted(value.__dict__.keys() - self._field_set)
            raise SnapshotFormatError(f"a {self.name} holds {extra}, which its snapshot schema does not store")
        try:
            return [writer.type_of(self), *writer.encoded(self._fields_of(value))]
        except AttributeError:  # a field this instance does not hold
            fields = [getattr(value, name, _ABSENT) for name in self.fields]
            encode_value = writer.value
            return [
                writer.type_of(self),
                *[_ABSENT_FIELD if item is _ABSENT else encode_value(item) for item in fields],
            ]

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        make = self.entry.make
        if make is None:
            return object.__new__(self.cls)
        return make(*[reader.value(row[column]) for column in self._arg_columns])

    def fill(self, value: Any, row: list[Any], reader: "_Reader") -> None:
        decode_value = reader.value
        for name, item in zip(self.fields, row[1:], strict=True):
            if type(item) is not list:
                setattr(value, name, item)
            elif item != _ABSENT_FIELD:
                setattr(value, name, decode_value(item))


class _Record(_Kind):
    """A dataclass or NamedTuple: its declared fields, and built by calling the class with them."""

    def __init__(self, cls: type) -> None:
        super().__init__(cls)
        if dataclasses.is_dataclass(cls):
            self.fields = tuple(field.name for field in dataclasses.fields(cls))
        elif issubclass(cls, tuple) and hasattr(cls, "_fields"):
            self.fields = cls._fields
        else:
            raise ValueError(f"{self.name} is neither a dataclass nor a NamedTuple")
        self._fields_of = _fields_getter(self.fields)
        self._by_name = dataclasses.is_dataclass(cls) and any(field.kw_only for field in dataclasses.fields(cls))
        """Keyword-only fields are passed by name; others in order (faster)."""

    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        return [writer.type_of(self), *writer.encoded(self._fields_of(value))]

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        if len(row) != len(self.fields) + 1:
            raise SnapshotFormatError(f"a {self.name} row holds {len(row) - 1} fields, not {len(self.fields)}")
        values = reader.values(row)
        return self.cls(**dict(zip(self.fields, values, strict=True))) if self._by_name else self.cls(*values)


class _Enum(_Kind):
    """A member by its name: one row per member met, referenced wherever it is used."""

    def row(self, value: Any, writer: "_Writer") -> list[Any]:
        return [writer.type_of(self), value.name]

    def create(self, row: list[Any], reader: "_Reader") -> Any:
        return self.cls[row[1]]  # type: ignore[index]


def _fields_getter(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of ``fields`` of an object, as a tuple."""
    if len(fields) == 1:
        (name,) = fields
        return lambda value: (getattr(value, name),)
    return attrgetter(*fields) if fields else lambda value: ()


def _declared_slots(cls: type) -> tuple[str, ...] | None:
    """Every data slot a Python class with ``__slots__`` (and no ``__dict__``) declares; None for others
    (a class compiled by mypyc has no ``__slots__``)."""
    names: list[str] = []
    for klass in cls.__mro__[:-1]:
        if "__slots__" not in klass.__dict__:
            return None
        declared = klass.__dict__["__slots__"]
        names += [declared] if isinstance(declared, str) else list(declared)
    return tuple(name for name in names if name != "__weakref__")


# ---------------------------------------------------------------------------------------------- walk


class _Writer:
    def __init__(self, schema: Schema) -> None:
        self._kinds = schema.kinds
        self._objects: list[Any] = []
        """Every object given a row, in row order (kept alive, so their ids stay theirs)."""
        self._known: dict[int, list[Any]] = {}
        """The id of each object given a row to the reference written for it."""
        self._type_index: dict[_Kind, int] = {}
        self.type_rows: list[list[Any]] = []
        self._inline: dict[type, Callable[[Any], list[Any]]] = {
            tuple: lambda value: ["(", *[self.value(item) for item in value]],
            Decimal: lambda value: ["D", str(value)],
            Fraction: lambda value: ["Q", str(value)],
            bytes: lambda value: ["B", value.hex()],
            type: self._class,
            types.MethodType: self._method,
            types.BuiltinMethodType: self._method,  # a bound method of a class compiled by mypyc
        }

    def type_of(self, kind: _Kind) -> int:
        index = self._type_index.get(kind)
        if index is None:
            index = self._type_index[kind] = len(self.type_rows)
            self.type_rows.append([kind.name, list(kind.fields)])
        return index

    def encoded(self, values: Iterable[Any]) -> list[Any]:
        """Each of ``values`` as written (scalars as they are, without a call each)."""
        value, atoms = self.value, _ATOMS
        return [item if type(item) in atoms else value(item) for item in values]

    def value(self, value: Any) -> Any:
        kind_of = type(value)
        if kind_of in _ATOMS:
            return value
        known = self._known.get(id(value))
        if known is not None:
            return known
        inline = self._inline.get(kind_of)
        if inline is not None:
            return inline(value)
        kind = self._kinds.get(kind_of)
        if kind is None:
            raise SnapshotFormatError(
                f"the snapshot schema does not know {kind_of.__module__}.{kind_of.__qualname__}: add it"
            )
        known = self._known[id(value)] = ["@", len(self._objects)]
        self._objects.append(value)
        return known

    def rows(self) -> list[list[Any]]:
        """Each object's row; writing one may meet new objects, which get theirs after it."""
        rows, objects, kinds = [], self._objects, self._kinds
        index = 0
        while index < len(objects):
            value = objects[index]
            rows.append(kinds[type(value)].row(value, self))
            index += 1
        return rows

    def _method(self, method: Any) -> list[Any]:
        return ["M", self.value(method.__self__), method.__name__]

    def _class(self, cls: type) -> list[Any]:
        kind = self._kinds.get(cls)
        if kind is None:
            raise SnapshotFormatError(f"the snapshot schema does not know the class {cls.__qualname__}: add it")
        return ["T", self.type_of(kind)]


_ABSENT = object()
_ABSENT_FIELD = ["-"]
"""A field an instance does not hold (set only in some states, or an unset slot): left unset on load."""
_UNBUILT = object()
_BUILDING = object()


class _Reader:
    def __init__(self, schema: Schema, type_rows: list[list[Any]], rows: list[list[Any]]) -> None:
        self._kinds: list[_Kind] = []
        for name, fields in type_rows:
            kind = schema.by_name.get(name)
            if kind is None:
                raise SnapshotFormatError(f"the snapshot holds a {name}, which this build's schema does not know")
            if tuple(fields) != kind.fields:
                raise SnapshotFormatError(f"the snapshot stores a {name} as {fields}, this build {list(kind.fields)}")
            self._kinds.append(kind)
        self._rows = rows
        self._objects: list[Any] = [_UNBUILT] * len(rows)

    def load(self) -> Any:
        if not self._rows:
            raise SnapshotFormatError("the snapshot holds no object")
        for index in range(len(self._rows)):
            self._object(index)
        for index, row in enumerate(self._rows):
            self._kinds[row[0]].fill(self._objects[index], row, self)
        for index, row in enumerate(self._rows):
            kind = self._kinds[row[0]]
            if isinstance(kind, _Object) and kind.entry.loaded is not None:
                kind.entry.loaded(self._objects[index])
        return self._objects[0]

    def values(self, row: list[Any]) -> list[Any]:
        """The values of a row's payload (after its type)."""
        value = self.value
        return [item if type(item) is not list else value(item) for item in row[1:]]

    def _object(self, index: int) -> Any:
        value = self._objects[index]
        if value is _UNBUILT:
            self._objects[index] = _BUILDING
            row = self._rows[index]
            value = self._objects[index] = self._kinds[row[0]].create(row, self)
        elif value is _BUILDING:
            raise SnapshotFormatError(f"object {index} is built from itself (a cycle through records)")
        return value

    def value(self, item: Any) -> Any:
        if type(item) is not list:
            return item
        tag = item[0]
        if tag == "@":
            value = self._objects[item[1]]
            return self._object(item[1]) if value is _UNBUILT or value is _BUILDING else value
        if tag == "(":
            return tuple([self.value(part) for part in item[1:]])
        if tag == "D":
            return Decimal(item[1])
        if tag == "Q":
            return Fraction(item[1])
        if tag == "B":
            return bytes.fromhex(item[1])
        if tag == "T":
            return self._kinds[item[1]].cls
        if tag == "M":
            return getattr(self.value(item[1]), item[2])
        raise SnapshotFormatError(f"unknown value tag {tag!r}")
