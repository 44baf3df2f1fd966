"""One public WebSocket connection: its subscriptions and the venue's live subscribing messages.

``/ws/<stream>`` sends a stream's payloads as they are, ``/stream?streams=a/b`` wraps each in
``{"stream": name, "data": payload}``. Either takes ``{"method": "SUBSCRIBE" | "UNSUBSCRIBE",
"params": [names], "id": n}`` (answered ``{"result": null, "id": n}``) and ``LIST_SUBSCRIPTIONS``
(answered with the names), as the venue does; a listen key subscribes to its account's user data stream
(the futures connector's ``user_data`` does so). A bad request is answered with the venue's ``error``
object, naming what is wrong, and changes nothing. What the socket may carry (``SocketRules``) may close
it instead: too many messages from the client, or subscribing past the venue's streams per connection.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from typing import Any

from aiohttp import WSCloseCode, web

from paperex.engine.instruments import Instrument
from paperex.server.binance_api.market_streams import MarketStreams, Stream, parse
from paperex.server.binance_api.socket_rules import SocketRules
from paperex.server.core.streams import SlowConsumer, StreamClosed

UNKNOWN_PROPERTY, INVALID_VALUE_TYPE, INVALID_REQUEST, INVALID_JSON = 0, 1, 2, 3
"""The venue's error codes on a stream connection."""

PayloadSource = Callable[[asyncio.Event], AsyncIterator[Any]]
"""A stream's payloads as they come; the event is set once it follows its topic."""


class StreamConnection:
    """The streams one socket follows, each forwarded by its own task."""

    def __init__(
        self,
        socket: web.WebSocketResponse,
        streams: MarketStreams,
        instruments: Mapping[str, Instrument],
        *,
        combined: bool,
        rules: SocketRules,
        user_stream: Callable[[str], PayloadSource | None] = lambda name: None,
    ) -> None:
        self.socket = socket
        self.rules = rules
        self.streams = streams
        self.instruments = instruments
        self.combined = combined
        self.user_stream = user_stream
        """The user data stream of a listen key (None when ``name`` is not an active one)."""
        self._forwarding: dict[str, asyncio.Task[None]] = {}

    async def follow(self, streams: Mapping[str, Stream]) -> bool:
        """Follow each of ``streams`` (returns once they follow their topics); False, and the close
        asked, when that would pass the streams a connection may follow."""
        return await self._follow({name: partial(self.streams.payloads, stream) for name, stream in streams.items()})

    async def _follow(self, sources: Mapping[str, PayloadSource]) -> bool:
        if not self.rules.room(len(self._forwarding.keys() | sources.keys())):
            return False
        for name, payloads in sources.items():
            if name not in self._forwarding:
                ready = asyncio.Event()
                self._forwarding[name] = asyncio.create_task(self._forward(name, payloads, ready))
                await ready.wait()
        return True

    def unsubscribe(self, name: str) -> None:
        task = self._forwarding.pop(name, None)
        if task is not None:
            task.cancel()

    def close(self) -> None:
        for name in list(self._forwarding):
            self.unsubscribe(name)

    async def _forward(self, name: str, payloads: PayloadSource, ready: asyncio.Event) -> None:
        try:
            async for payload in payloads(ready):
                await self.rules.send({"stream": name, "data": payload} if self.combined else payload)
        except SlowConsumer:
            self.rules.close(WSCloseCode.POLICY_VIOLATION, f"too slow on {name}".encode())
        except StreamClosed as closed:
            self.rules.close(WSCloseCode.GOING_AWAY, closed.reason.encode()[:120])
        except ConnectionResetError:  # the client left while a payload was on its way
            pass
        finally:
            ready.set()  # a stream that ended before it followed its topic must not hold its subscriber
            if self._forwarding.get(name) is asyncio.current_task():  # ended by itself: no longer followed
                del self._forwarding[name]

    async def answer(self, text: str) -> None:
        """Answer one message the client sent, unless the rules closed the socket for it."""
        if not self.rules.heard():
            return
        answer = await self._handle(text)
        if answer is not None:
            await self.socket.send_json(answer)

    async def _handle(self, text: str) -> dict[str, Any] | None:
        try:
            request = json.loads(text)
        except ValueError as error:
            return _error(INVALID_JSON, f"Invalid JSON: {error}", None)
        if not isinstance(request, dict):
            return _error(INVALID_REQUEST, "Invalid request: a JSON object is expected", None)
        request_id = request.get("id")
        if not isinstance(request_id, int | str | None) or isinstance(request_id, bool):
            return _error(INVALID_VALUE_TYPE, "Invalid value type: id must be an integer or a string", None)
        method = request.get("method")
        if method == "LIST_SUBSCRIPTIONS":  # a listen key that ended is not listed, even while its task ends
            following = [name for name in self._forwarding if self._payloads(name) is not None]
            return {"result": following, "id": request_id}
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return _error(UNKNOWN_PROPERTY, f"Unknown property: method {method!r}", request_id)
        names = request.get("params")
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return _error(INVALID_VALUE_TYPE, "Invalid value type: params must be a list of stream names", request_id)
        sources = {name: self._payloads(name) for name in names}
        unknown = [name for name, payloads in sources.items() if payloads is None]
        if unknown:
            return _error(INVALID_REQUEST, f"Invalid request: unknown stream(s) {', '.join(unknown)}", request_id)
        if method == "SUBSCRIBE":
            if not await self._follow({name: payloads for name, payloads in sources.items() if payloads is not None}):
                return None
        else:
            for name in sources:
                self.unsubscribe(name)
        return {"result": None, "id": request_id}

    def _payloads(self, name: str) -> PayloadSource | None:
        """The payloads of the public stream or the listen key ``name``; None when it is neither."""
        stream = parse(name, self.instruments)
        return partial(self.streams.payloads, stream) if stream is not None else self.user_stream(name)


def _error(code: int, msg: str, request_id: Any) -> dict[str, Any]:
    return {"error": {"code": code, "msg": msg}, "id": request_id}
