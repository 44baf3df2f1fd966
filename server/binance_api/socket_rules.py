"""The rules one WebSocket connection lives under: the venue's connection limits (messages the client
sends per second, streams it follows), when the server has them, and the fault plan's drop after a
number of messages sent.

The venue closes a connection that breaks its rules rather than answering: 1008 (policy violation)
"Too many requests" for the message rate, as its clients see it, and 1008 for too many streams (the
venue publishes no text for that one: ours names the figures). A dropped stream is closed as the
drop at a time closes it, 1001 (going away) with the fault's message.

Whoever decides to close a connection asks (``close``); only the task reading it closes it (``read``).
aiohttp's ``close`` from another task while one reads sends the close frame and drops the connection
at once, without the client's close frame: clients read our code and reason, then see 1006
(abnormal closure). Closed by its reader, the connection waits for the client's frame, as the
protocol has it, and the client sees a clean close.
"""

import asyncio
import contextlib
import itertools
from typing import Any

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from paperex.server.core.admission import Admission
from paperex.server.core.faults import stream_dropped

TOO_MANY_REQUESTS = b"Too many requests"
_connections = itertools.count(1)
_ENDED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)
"""What ``receive`` gives once the connection is over (aiohttp has answered or closed it)."""


class SocketRules:
    """One socket's counts: ``budget`` stream messages before the fault plan drops it (0: no limit),
    and the venue's limits, when ``admission`` has them."""

    def __init__(self, socket: web.WebSocketResponse, *, budget: int, admission: Admission) -> None:
        self.socket = socket
        self.budget = budget
        self.admission = admission
        self.sent = 0
        self._key = next(_connections)
        """This connection in the venue's message counts."""
        self._closing: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        """The first close asked: its code and reason."""

    def close(self, code: int, message: bytes) -> None:
        """Ask the reading task to close the connection with ``code`` and ``message`` (the first ask
        wins); nothing is sent on it after."""
        if not self._closing.done():
            self._closing.set_result((code, message))

    async def read(self) -> WSMessage | None:
        """The client's next message (pings are answered by aiohttp); None once the connection is
        over: the client closed it, or a close was asked, which this (the one task reading) carries
        out, waiting for the client's close frame."""
        if not self._closing.done():
            receiving = asyncio.ensure_future(self.socket.receive())
            await asyncio.wait((receiving, self._closing), return_when=asyncio.FIRST_COMPLETED)
            if receiving.done():
                message = receiving.result()
                return None if message.type in _ENDED else message
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiving
        code, reason = self._closing.result()
        await self.socket.close(code=code, message=reason)
        return None

    async def send(self, payload: Any) -> None:
        """Send one stream message; the one that spends the budget is followed by the drop, and none
        goes out after it (nor once a close is asked)."""
        if self._closing.done() or self.socket.closed:
            return
        await self.socket.send_json(payload)
        self.sent += 1
        if self.sent == self.budget:
            self.close(WSCloseCode.GOING_AWAY, stream_dropped(self.sent).message.encode()[:120])

    def heard(self) -> bool:
        """One message from the client: False, the close asked, once it is over the venue's rate."""
        if self.admission.socket_message(self._key):
            return True
        self.close(WSCloseCode.POLICY_VIOLATION, TOO_MANY_REQUESTS)
        return False

    def room(self, streams: int) -> bool:
        """Whether the connection may follow ``streams`` streams: False, the close asked, past the
        venue's limit."""
        limit = self.admission.socket_streams
        if not limit or streams <= limit:
            return True
        message = f"Too many streams: {streams} asked, the limit is {limit} per connection"
        self.close(WSCloseCode.POLICY_VIOLATION, message.encode())
        return False
