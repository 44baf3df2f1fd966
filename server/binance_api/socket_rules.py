"""The rules one WebSocket connection lives under: the venue's connection limits (messages the client
sends per second, streams it follows), when the server has them, and the fault plan's drop after a
number of messages sent.

The venue closes a connection that breaks its rules rather than answering: 1008 (policy violation)
"Too many requests" for the message rate, as its clients see it, and 1008 for too many streams (the
venue publishes no text for that one: ours names the figures). A dropped stream is closed as the
drop at a time closes it, 1001 (going away) with the fault's message.
"""

import itertools
from typing import Any

from aiohttp import WSCloseCode, web

from paperex.server.core.admission import Admission
from paperex.server.core.faults import stream_dropped

TOO_MANY_REQUESTS = b"Too many requests"
_connections = itertools.count(1)


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

    async def send(self, payload: Any) -> None:
        """Send one stream message; the one that spends the budget is followed by the drop, and none
        goes out after it."""
        if self.socket.closed:
            return
        await self.socket.send_json(payload)
        self.sent += 1
        if self.sent == self.budget:
            message = stream_dropped(self.sent).message.encode()[:120]
            await self.socket.close(code=WSCloseCode.GOING_AWAY, message=message)

    async def heard(self) -> bool:
        """One message from the client: False, the socket closed, once it is over the venue's rate."""
        if self.admission.socket_message(self._key):
            return True
        await self.socket.close(code=WSCloseCode.POLICY_VIOLATION, message=TOO_MANY_REQUESTS)
        return False

    async def room(self, streams: int) -> bool:
        """Whether the connection may follow ``streams`` streams: False, the socket closed, past the
        venue's limit."""
        limit = self.admission.socket_streams
        if not limit or streams <= limit:
            return True
        message = f"Too many streams: {streams} asked, the limit is {limit} per connection"
        await self.socket.close(code=WSCloseCode.POLICY_VIOLATION, message=message.encode())
        return False
