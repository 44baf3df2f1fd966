"""A venue's published limits, counted the venue's way: request weight per client address per minute,
new orders per account per 10 seconds and per minute, WebSocket connections per address per 5 minutes
and messages per connection per second, and a ban, longer at each repeat, for an address that keeps
sending after it was told to wait.

The venue counts in fixed windows of the wall clock (a minute's window opens on the minute and its
used weight is what ``X-MBX-USED-WEIGHT-1M`` shows), not in token buckets, so these are counted so
too, on the wall clock even when the exchange runs on a simulated one: a bot meets its limits in real
time, as it would there. The clock (seconds since the epoch) is passed in, so tests need no sleeping.

    >>> now = [120.0]
    >>> meter = VenueMeter(VenueLimits(request_weight=3, refusals_before_ban=1), lambda: now[0])
    >>> meter.request("10.0.0.7", 2), meter.request("10.0.0.7", 1)
    (2, 3)
    >>> try:
    ...     meter.request("10.0.0.7", 1)
    ... except Refused as refused:
    ...     print(refused.reason, refused.metadata["used"], refused.retry_after)
    RATE_LIMITED 3 60.0
    >>> now[0] = 180.0  # the next minute
    >>> meter.request("10.0.0.7", 1)
    1
"""

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from paperex.server.wire.errors import Refused

_PRUNE_FLOOR = 1024
"""Tracked keys below which forgetting stale ones is not worth a sweep."""
SECOND = 1
MINUTE = 60
TEN_SECONDS = 10
FIVE_MINUTES = 300


@dataclass(frozen=True, slots=True)
class VenueLimits:
    """One venue's limits; the defaults are Binance USDⓈ-M futures' published ones (``docs/limits.md``)."""

    request_weight: int = 2400
    """Request weight per client address per minute (the venue's REQUEST_WEIGHT)."""
    orders_per_10s: int = 300
    """New orders (and amends) per account per 10 seconds (ORDERS)."""
    orders_per_minute: int = 1200
    """New orders (and amends) per account per minute (ORDERS)."""
    batch_orders_10s: int = 5
    """What one batch request (up to 5 orders placed or amended at once) counts on the 10-second
    order window, whatever the number of its orders (the venue's ``batchOrders`` weight)."""
    batch_orders_minute: int = 1
    """What one batch request counts on the minute's order window."""
    refusals_before_ban: int = 10
    """Requests an address may have refused for weight in one minute; the next one bans it (the
    venue bans "repeatedly violating" addresses without publishing the count)."""
    ban_seconds: tuple[int, ...] = (120, 600, 3600, 21_600, 86_400, 259_200)
    """How long each ban of an address lasts, the first to the last (which repeats): 2 minutes to
    3 days, the venue's published range."""
    forgive_after: int = 86_400
    """Seconds after a ban ends without another one, after which the address's next ban is a first."""
    connections_per_5m: int = 300
    """WebSocket connections an address may open per 5 minutes."""
    messages_per_second: int = 10
    """Messages a client may send on one WebSocket connection per second; the next one closes it."""
    streams_per_connection: int = 1024
    """Streams one WebSocket connection may follow; asking for more closes it."""


class WindowCounts:
    """Per key, a count in fixed windows of ``seconds`` (window ``n`` covers ``[n * seconds, (n + 1) *
    seconds)``); a key whose window has passed counts 0, and is forgotten in amortised O(1)."""

    __slots__ = ("_counts", "_prune_at", "seconds")

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self._counts: dict[Hashable, tuple[int, int]] = {}
        self._prune_at = _PRUNE_FLOOR

    def used(self, key: Hashable, now: float) -> int:
        window, count = self._counts.get(key, (-1, 0))
        return count if window == now // self.seconds else 0

    def add(self, key: Hashable, amount: int, now: float) -> int:
        """``amount`` more for ``key`` in the window of ``now``; returns the window's count."""
        count = self.used(key, now) + amount
        self._counts[key] = (int(now // self.seconds), count)
        if len(self._counts) >= self._prune_at:
            current = now // self.seconds
            self._counts = {key: held for key, held in self._counts.items() if held[0] == current}
            self._prune_at = max(_PRUNE_FLOOR, 2 * len(self._counts))
        return count

    def left(self, now: float) -> float:
        """Seconds until the window of ``now`` closes."""
        return (now // self.seconds + 1) * self.seconds - now

    def __len__(self) -> int:
        return len(self._counts)


@dataclass(slots=True)
class _Bans:
    """An address's bans so far and when the last one ends (seconds since the epoch)."""

    count: int
    until: float


class VenueMeter:
    """The counts of one server under ``limits``; ``clock`` is the wall clock in seconds."""

    def __init__(self, limits: VenueLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._weight = WindowCounts(MINUTE)
        self._refusals = WindowCounts(MINUTE)
        self._orders = (WindowCounts(TEN_SECONDS), WindowCounts(MINUTE))
        self._connections = WindowCounts(FIVE_MINUTES)
        self._messages = WindowCounts(SECOND)
        self._bans: dict[str, _Bans] = {}

    def request(self, address: str, weight: int) -> int:
        """Charge one request of ``weight`` to ``address``: the minute's used weight after it.

        Raises BANNED while the address is banned, else RATE_LIMITED (the weight of the minute used
        up; retry when the minute turns), which bans it instead once it has been refused
        ``refusals_before_ban`` times in the minute. A refused request uses no weight.
        """
        now = self._clock()
        self._refuse_if_banned(address, now)
        used = self._weight.used(address, now)
        limit = self.limits.request_weight
        if used + weight <= limit:
            return self._weight.add(address, weight, now)
        if self._refusals.add(address, 1, now) > self.limits.refusals_before_ban:
            raise self._ban(address, now)
        wait = self._weight.left(now)
        figures = {"budget": "request_weight", "address": address, "used": str(used), "weight": str(weight)}
        figures |= {"limit": str(limit), "window": "1m", "retry_after": f"{wait:.3f}"}
        message = f"request weight of {limit} per minute used up by {address} ({used} used, {weight} more asked)"
        raise Refused("RATE_LIMITED", f"{message}; retry in {wait:.3f} s", figures, retry_after=wait)

    def connect(self, address: str) -> None:
        """Charge one WebSocket connection to ``address``: BANNED while it is banned, else RATE_LIMITED
        (budget ``connections``; retry when the 5 minutes turn) once it opened its window's share."""
        now = self._clock()
        self._refuse_if_banned(address, now)
        used = self._connections.used(address, now)
        limit = self.limits.connections_per_5m
        if used >= limit:
            wait = self._connections.left(now)
            figures = {"budget": "connections", "address": address, "used": str(used), "limit": str(limit)}
            figures |= {"window": "5m", "retry_after": f"{wait:.3f}"}
            message = f"{limit} WebSocket connections per 5 minutes opened by {address}; retry in {wait:.3f} s"
            raise Refused("RATE_LIMITED", message, figures, retry_after=wait)
        self._connections.add(address, 1, now)

    def message(self, connection: Hashable) -> bool:
        """Count one message a client sent on a WebSocket ``connection``: whether it is within the
        second's limit (a connection that goes beyond it is closed, as the venue does)."""
        return self._messages.add(connection, 1, self._clock()) <= self.limits.messages_per_second

    def used_weight(self, address: str) -> int:
        """The weight ``address`` used in the current minute."""
        return self._weight.used(address, self._clock())

    def check_orders(self, account_id: int, count: int, minute_count: int | None = None) -> None:
        """Raise RATE_LIMITED (budget ``orders``) when ``count`` new orders (``minute_count`` on the
        minute's window, if it counts otherwise) would pass either of the account's order limits;
        counts nothing (``take_orders`` does, once every check passed)."""
        now = self._clock()
        limits = (self.limits.orders_per_10s, self.limits.orders_per_minute)
        counts = (count, count if minute_count is None else minute_count)
        for window, limit, asked in zip(self._orders, limits, counts, strict=True):
            used = window.used(account_id, now)
            if used + asked > limit:
                wait = window.left(now)
                span = "10s" if window.seconds == TEN_SECONDS else "1m"
                figures = {"budget": "orders", "used": str(used), "limit": str(limit), "window": span}
                message = f"{limit} new orders per {span} reached ({used} placed, {asked} more asked)"
                raise Refused(
                    "RATE_LIMITED",
                    f"{message}; retry in {wait:.3f} s",
                    {**figures, "retry_after": f"{wait:.3f}"},
                    retry_after=wait,
                )

    def take_orders(self, account_id: int, count: int, minute_count: int | None = None) -> None:
        now = self._clock()
        ten_seconds, minute = self._orders
        ten_seconds.add(account_id, count, now)
        minute.add(account_id, count if minute_count is None else minute_count, now)

    def take_batch(self, account_id: int) -> None:
        """Charge one batch request of orders to the account's order windows (``batch_orders_10s``,
        ``batch_orders_minute``): RATE_LIMITED, counting nothing, when either would pass its limit."""
        counts = (self.limits.batch_orders_10s, self.limits.batch_orders_minute)
        self.check_orders(account_id, *counts)
        self.take_orders(account_id, *counts)

    def order_counts(self, account_id: int) -> tuple[int, int]:
        """The account's new orders in the current 10 seconds and the current minute."""
        now = self._clock()
        ten_seconds, minute = self._orders
        return ten_seconds.used(account_id, now), minute.used(account_id, now)

    def _refuse_if_banned(self, address: str, now: float) -> None:
        bans = self._bans.get(address)
        if bans is None:
            return
        if now < bans.until:
            raise self._banned(address, bans, now)
        if now >= bans.until + self.limits.forgive_after:
            del self._bans[address]

    def _ban(self, address: str, now: float) -> Refused:
        bans = self._bans.setdefault(address, _Bans(0, now))
        durations = self.limits.ban_seconds
        seconds = durations[min(bans.count, len(durations) - 1)]
        bans.count += 1
        bans.until = now + seconds
        return self._banned(address, bans, now)

    @staticmethod
    def _banned(address: str, bans: _Bans, now: float) -> Refused:
        wait = bans.until - now
        until_ms = math.ceil(bans.until * 1000)
        figures = {"address": address, "until_ms": str(until_ms), "bans": str(bans.count)}
        message = (
            f"{address} is banned (ban {bans.count}) for sending on after its request weight was used up;"
            f" retry in {wait:.3f} s"
        )
        return Refused("BANNED", message, {**figures, "retry_after": f"{wait:.3f}"}, retry_after=wait)
