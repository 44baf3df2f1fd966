"""In-process fan-out of stream items (book deltas, trades, tickers, candles, user events) to gRPC streams.

The sequencer publishes after each durable batch and must never wait for a reader, so
every subscriber owns a bounded buffer: publishing appends and at most wakes that reader. A reader
that lets its buffer fill is cut with ``SlowConsumer`` instead of slowing the exchange, growing
memory or losing items silently; it reconnects and resumes from its last sequence number.

One event loop, no threads, hence no locks. Each subscription has one reader task. A buffer is a
``deque`` plus one future for the parked reader: measured at half the cost of ``asyncio.Queue``
per publish to one subscriber and a fifth to fifty (a Queue also keeps ``join()`` bookkeeping),
and a batch wakes the reader once.

    >>> async def demo() -> list[int]:
    ...     hub: Hub[int] = Hub()
    ...     async with hub.subscribe("BTCUSDT", capacity=8) as sub:
    ...         hub.publish_many("BTCUSDT", [1, 2])
    ...         hub.close_topic("BTCUSDT", "SHUTTING_DOWN", drain=True)
    ...         return [item async for item in sub]
    >>> asyncio.run(demo())
    [1, 2]
"""

import asyncio
from collections import deque
from collections.abc import Hashable, Sequence
from types import TracebackType
from typing import Generic, Self, TypeVar

T = TypeVar("T")


class SlowConsumer(Exception):
    """The reader let its buffer fill and was cut; ``pending`` buffered items were discarded undelivered."""

    def __init__(self, pending: int, capacity: int) -> None:
        super().__init__(f"slow consumer cut with {pending} items pending (capacity {capacity})")
        self.pending = pending
        self.capacity = capacity


class StreamClosed(Exception):
    """The server ended the stream and dropped what was buffered (e.g. an exchange reset made it stale)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Subscription(Generic[T]):
    """One reader's bounded buffer on one topic, read with ``async for``; made by ``Hub.subscribe``.

    It receives from the moment it is created, so a reader can subscribe first, then take a
    snapshot, then skip deltas the snapshot already covers. Iteration ends with ``StopAsyncIteration``
    after ``unsubscribe()`` or a draining ``close``, and with ``SlowConsumer`` or ``StreamClosed``
    when the buffer is discarded. Leave it with ``async with`` or ``try/finally: unsubscribe()``: an
    early ``break`` out of ``async for`` alone keeps it subscribed until it is cut as slow.
    """

    __slots__ = ("_buffer", "_capacity", "_close_reason", "_end", "_hub", "_waiter", "topic")

    def __init__(self, hub: "Hub[T]", topic: Hashable, capacity: int) -> None:
        self.topic = topic
        self._hub: Hub[T] | None = hub
        self._capacity = capacity
        self._buffer: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._end: Exception | None = None
        self._close_reason: str | None = None

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def pending(self) -> int:
        """Items buffered and not yet read; never more than ``capacity``."""
        return len(self._buffer)

    @property
    def close_reason(self) -> str | None:
        """The reason given to ``close``, so a handler can tell a drained shutdown from a quiet end."""
        return self._close_reason

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        buffer = self._buffer
        while not buffer:
            if self._end is not None:
                raise self._end.with_traceback(None)  # raised again on every call; don't grow the traceback
            if self._waiter is not None:
                raise RuntimeError("a subscription has exactly one reader")
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
        return buffer.popleft()

    def take_buffered(self) -> list[T]:
        """Everything buffered now, without waiting (a reader merging a backlog)."""
        items = list(self._buffer)
        self._buffer.clear()
        return items

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.unsubscribe()

    def unsubscribe(self) -> None:
        """Leave the hub and drop the buffer; idempotent, so ``finally`` blocks can always call it."""
        self._buffer.clear()
        self._end_with(StopAsyncIteration())

    def close(self, reason: str, *, drain: bool = False) -> None:
        """End the stream from the server side; a no-op once it has ended.

        ``drain=True`` (shutdown): what is buffered is still delivered, then iteration stops
        cleanly. ``drain=False`` (reset): the buffer is dropped now and the next read raises
        ``StreamClosed(reason)``.
        """
        if self._end is not None:
            return
        self._close_reason = reason
        if drain:
            self._end_with(StopAsyncIteration())
        else:
            self._buffer.clear()
            self._end_with(StreamClosed(reason))

    def _cut(self) -> None:
        pending = len(self._buffer)
        self._buffer.clear()
        self._end_with(SlowConsumer(pending, self._capacity))

    def _end_with(self, end: Exception) -> None:
        if self._end is None:
            self._end = end
        hub = self._hub
        if hub is not None:
            self._hub = None
            hub._detach(self)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None  # later publishes in the same loop turn skip the wake-up
            if not waiter.done():  # done when the reader was cancelled and has not run yet
                waiter.set_result(None)


class Hub(Generic[T]):
    """Topic -> subscriptions. Publishing is synchronous and O(subscribers of that topic)."""

    __slots__ = ("_topics",)

    def __init__(self) -> None:
        self._topics: dict[Hashable, dict[Subscription[T], None]] = {}  # dict as an ordered set

    def subscribe(self, topic: Hashable, capacity: int) -> Subscription[T]:
        """A new subscription holding at most ``capacity`` unread items; the hub stays usable after closes."""
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        sub = Subscription(self, topic, capacity)
        self._topics.setdefault(topic, {})[sub] = None
        return sub

    def publish(self, topic: Hashable, item: T) -> None:
        """Append ``item`` to every subscriber of ``topic``; a subscriber whose buffer is full is cut."""
        subs = self._topics.get(topic)
        if subs is None:
            return
        full: list[Subscription[T]] | None = None  # allocated only when someone is cut
        for sub in subs:
            buffer = sub._buffer
            if len(buffer) < sub._capacity:
                buffer.append(item)
                if sub._waiter is not None:
                    sub._wake()
            elif full is None:
                full = [sub]
            else:
                full.append(sub)
        if full is not None:
            for sub in full:  # after the loop: cutting removes from ``subs``
                sub._cut()

    def publish_many(self, topic: Hashable, items: Sequence[T]) -> None:
        """Publish ``items`` in order as one batch: each reader is woken once and gets all or is cut.

        A subscriber is cut when the whole batch does not fit in its free space, so a batch longer
        than ``capacity`` cuts every subscriber of the topic. Not the path for single items:
        ``publish`` is 1.6-1.8x cheaper than ``publish_many`` of a 1-tuple (measured).
        """
        count = len(items)
        subs = self._topics.get(topic)
        if subs is None or count == 0:
            return
        full: list[Subscription[T]] | None = None
        for sub in subs:
            buffer = sub._buffer
            if len(buffer) + count <= sub._capacity:
                buffer.extend(items)
                if sub._waiter is not None:
                    sub._wake()
            elif full is None:
                full = [sub]
            else:
                full.append(sub)
        if full is not None:
            for sub in full:
                sub._cut()

    def close_topic(self, topic: Hashable, reason: str, *, drain: bool = False) -> None:
        """``Subscription.close`` every subscriber of ``topic`` (e.g. a delisted symbol)."""
        for sub in self._topics.pop(topic, {}):
            sub.close(reason, drain=drain)

    def close_all(self, reason: str, *, drain: bool = False) -> None:
        """``Subscription.close`` every subscriber: ``drain=True`` for shutdown, ``False`` for a reset."""
        topics, self._topics = self._topics, {}
        for subs in topics.values():
            for sub in subs:
                sub.close(reason, drain=drain)

    def subscriber_count(self, topic: Hashable | None = None) -> int:
        """Subscribers of ``topic``, or of all topics when it is None (for metrics and tests)."""
        if topic is not None:
            return len(self._topics.get(topic, ()))
        return sum(len(subs) for subs in self._topics.values())

    def _detach(self, sub: Subscription[T]) -> None:
        subs = self._topics.get(sub.topic)
        if subs is not None:
            subs.pop(sub, None)
            if not subs:
                del self._topics[sub.topic]  # an emptied topic must not hold memory
