"""What a gateway and the sequencer process say to each other over their unix socket.

Every message is one frame: a 4-byte big-endian length, then the message pickled. Both ends are the
same installation of paperex on one machine, behind a socket only its user can open, so pickle is a
safe and cheap encoding of the engine's own values: a command crosses as the dataclass the gateway
parsed (no re-encoding per hop), a batch as its committed values, pickled once and sent to every
gateway. A refusal crosses as its fields (an exception does not pickle with its figures).
"""

import asyncio
import pickle
import struct
from typing import Any, NamedTuple

from paperex.engine.events import Event
from paperex.server.core.admission import Charge
from paperex.server.core.exchange import AccountEntry, Applied
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
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


async def read(reader: asyncio.StreamReader) -> Any:
    """The next message; raises ``asyncio.IncompleteReadError`` when the other end is gone."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))
