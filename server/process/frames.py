"""What a gateway and the sequencer process say to each other over their unix socket.

Every message is one frame: a 4-byte big-endian length, then the message pickled. Both ends are the
same installation of paperex on one machine, behind a socket only its user can open, so pickle is a
safe and cheap encoding of the engine's own values: a command crosses as the dataclass the gateway
parsed (no re-encoding per hop), a batch as its committed values, pickled once and sent to every
gateway. A refusal crosses as its fields (an exception does not pickle with its figures).

The engine's commands and events, the most numerous values, are pickled compactly: as their class and
field values in order (no field names, no dataclass state dicts), and an enum member as its class and
name. That makes a one-order batch about a third smaller and cheaper for the sequencer to encode.
"""

import asyncio
import copyreg
import dataclasses
import enum
import io
import operator
import pickle
import struct
import typing
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

from paperex.engine import accounts, commands, events, orders, reasons
from paperex.engine.events import Event
from paperex.server.core.admission import Charge
from paperex.server.core.exchange import AccountEntry, Applied
from paperex.server.core.exchange_commands import HOST_COMMANDS
from paperex.server.core.tape import ExchangeCommand
from paperex.server.market.fault_plans import FaultPlan
from paperex.server.market.history import Bar
from paperex.server.market.market_script import MarketScript
from paperex.server.market.scenarios import Scenario
from paperex.server.wire.errors import Refused

_LENGTH = struct.Struct("!I")

Request = tuple[int, int]
"""A gateway's request as the sequencer tags it: (the gateway's connection number, its request number)."""


class RefusalFields(NamedTuple):
    reason: str
    message: str
    metadata: dict[str, str]
    retry_after: float

    @classmethod
    def of(cls, refusal: Refused) -> "RefusalFields":
        return cls(refusal.reason, refusal.message, refusal.metadata, refusal.retry_after)

    def refusal(self) -> Refused:
        return Refused(self.reason, self.message, self.metadata, retry_after=self.retry_after)


# ---------------------------------------------------------------------- gateway -> sequencer
# (a frame holds a list of them: a gateway's requests of one turn of its event loop)


class Submit(NamedTuple):
    """Commands of one call, in order, charged to an account's budgets when ``charge`` is given."""

    request: int
    commands: list[ExchangeCommand]
    charge: Charge | None


class Control(NamedTuple):
    """An operator's "snapshot" or "reset", run by the sequencer between batches, or a gateway's
    "barrier", answered at once behind every batch already written to it."""

    request: int
    kind: str


# ---------------------------------------------------------------------- sequencer -> gateway


class HostState(NamedTuple):
    """The host's state beside the read models that queries and authentication read."""

    accounts: dict[int, AccountEntry]
    account_by_key: dict[str, int]
    faults: dict[int, FaultPlan]
    market: MarketScript


class Committed(NamedTuple):
    """One durable command as the writer left it: what ``Results.fold`` needs to fold it again."""

    sequence: int
    ts: int
    command: ExchangeCommand
    events: list[Event]
    account_id: int
    refusal: RefusalFields | None
    scenario: Scenario | None
    liquidity_enabled: bool
    history: dict[str, tuple[int, list[Bar]]]

    @classmethod
    def of(cls, applied: Applied) -> "Committed":
        refusal = RefusalFields.of(applied.refusal) if applied.refusal is not None else None
        return cls(
            applied.sequence,
            applied.ts,
            applied.command,
            applied.events,
            applied.account_id,
            refusal,
            applied.scenario,
            applied.liquidity_enabled,
            applied.history,
        )

    def applied(self) -> Applied:
        """A new ``Applied`` for this process's results stage to fold and complete."""
        refusal = self.refusal.refusal() if self.refusal is not None else None
        return Applied(
            self.sequence,
            self.ts,
            self.command,
            self.events,
            account_id=self.account_id,
            refusal=refusal,
            scenario=self.scenario,
            liquidity_enabled=self.liquidity_enabled,
            history=self.history,
        )


class Batch(NamedTuple):
    """A journaled batch, to every gateway: its commands in order, the host's state when a command of
    the batch changed it, and which requests of which gateway it answers (with their sequence numbers)."""

    commands: list[Committed]
    host: HostState | None
    answered: list[tuple[Request, list[int]]]


class Sync(NamedTuple):
    """Where a gateway that connects, or whose sequencer was reset, starts: the state at ``sequence``
    (the last batch sent), which it rebuilds from the journal (in ``epoch``: not reset since); the
    batches after it follow on the same socket."""

    gateway: int
    sequence: int
    epoch: int
    admin_hash: str
    reset: bool


class Failed(NamedTuple):
    """A request the sequencer refused or could not carry out."""

    request: int
    refusal: RefusalFields


class Done(NamedTuple):
    """A control request carried out, with its result (a snapshot's sequence number, or None)."""

    request: int
    result: Any


def encode(message: object) -> bytes:
    """One frame, ready to be written to any number of sockets."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _COMPACT
    pickler.dump(message)
    body = buffer.getvalue()
    return _LENGTH.pack(len(body)) + body


async def read(reader: asyncio.StreamReader) -> Any:
    """The next message; raises ``asyncio.IncompleteReadError`` when the other end is gone."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))


# ---------------------------------------------------------------------- the compact forms

Reducer = Callable[[Any], tuple[Any, tuple[Any, ...]]]


def _field_values(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [field.name for field in dataclasses.fields(cls)]
    values = operator.attrgetter(*names)
    return values if len(names) > 1 else lambda value: (values(value),)


def _by_position(cls: type) -> Reducer:
    """An event: rebuilt by ``cls(*values)``."""
    values = _field_values(cls)
    return lambda value: (cls, values(value))


_NAMES: dict[type, list[str]] = {}


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    return cls(**dict(zip(_NAMES[cls], values, strict=True)))


def _by_keyword(cls: type) -> Reducer:
    """A command (its fields are keyword-only): rebuilt by ``_rebuild``."""
    _NAMES[cls] = [field.name for field in dataclasses.fields(cls)]
    values = _field_values(cls)
    return lambda value: (_rebuild, (cls, values(value)))


def _member(member: enum.Enum) -> tuple[Any, tuple[Any, ...]]:
    return getattr, (type(member), member.name)


def _enums(*modules: ModuleType) -> list[type[enum.Enum]]:
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, enum.Enum) and value.__module__ == module.__name__
    ]


_COMPACT: dict[type, Any] = {
    **copyreg.dispatch_table,
    **{cls: _by_position(cls) for cls in typing.get_args(Event)},
    **{cls: _by_keyword(cls) for cls in (*typing.get_args(commands.Command), *HOST_COMMANDS)},
    **dict.fromkeys(_enums(orders, accounts, events, reasons), _member),
}
"""How ``encode`` pickles the engine's commands, events and enums (every other value: as pickle does)."""
