"""What the application needs of the writer: the ``Sequencer`` in this process, or a gateway's link to
the sequencer process (``paperex.server.process.remote_sequencer``), which answer alike."""

import asyncio
from collections.abc import Hashable
from typing import Protocol

from paperex.server.core.admission import Charge
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.sequencer import Clock
from paperex.server.core.tape import ExchangeCommand
from paperex.server.persistence.journal import Snapshot


class Writer(Protocol):
    @property
    def exchange(self) -> Exchange:
        """The state the queries read: durable up to what ``settled`` waits for."""
        ...

    clock: Clock
    failed: asyncio.Event
    """Set when the writer stopped for good (a fault); ``paperex serve`` then exits."""

    async def submit(self, commands: list[ExchangeCommand]) -> list[Applied]: ...

    async def submit_one(self, command: ExchangeCommand, charge: Charge | None = None) -> Applied: ...

    def enqueue(
        self, commands: list[ExchangeCommand], charge: Charge | None = None, tag: Hashable = None
    ) -> "asyncio.Future[list[Applied]]": ...

    async def settled(self) -> None: ...

    async def snapshot(self) -> Snapshot: ...

    async def reset(self, fresh: Exchange) -> None: ...

    def refuse_new(self) -> None: ...

    async def drain(self) -> None: ...

    async def stop(self) -> None: ...
