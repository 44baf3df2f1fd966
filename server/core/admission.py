"""Admission control: what the one event loop and the one sequencer take in, and from whom.

Everything the server does runs on one loop, and every command goes through one writer, so one
caller's flood is everyone's latency. Each caller gets a budget (token buckets, ``RateLimiter``):

* orders per account (places, amends, settings, alerts: every command but a cancel), a fair share
  of the command budget, so that no account can take the sequencer from the others;
* commands for all accounts together, cancels included, sized below what the server processes,
  so that work is refused at the door (SERVER_BUSY) instead of queueing behind the writer;
* queries per account, apart from orders;
* calls without a valid API key (public market data) per peer address.

A limits profile may add a venue's own limits (``paperex.server.core.venue_limits``): request weight
per client address, new orders per account in the venue's windows, WebSocket connections per address,
and bans; the ``binance`` profile puts Binance USDⓈ-M's in place of the per-account order, query and
keyless budgets.

Long-lived streams are capped per connection and for the whole server (TOO_MANY_STREAMS, with the
limit and the count in the ErrorInfo). Connections, handshakes and message sizes are bounded by
grpc core itself (``channel_options``). A refusal takes nothing from any budget (a venue's weight
refusals count toward its ban, as there).
"""

import math
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from paperex.server.core.ratelimit import RateLimiter
from paperex.server.core.venue_limits import VenueLimits, VenueMeter
from paperex.server.wire.errors import Refused

ALL_ACCOUNTS = "all"
"""The one key of the command budget."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Every admission limit; a rate or a cap of 0 turns that limit off."""

    order_rate: float = 400.0
    order_burst: int = 1200
    command_rate: float = 1600.0
    command_burst: int = 3200
    query_rate: float = 500.0
    query_burst: int = 1000
    anonymous_rate: float = 100.0
    anonymous_burst: int = 200
    streams_per_connection: int = 32
    streams: int = 256
    max_request_bytes: int = 256 * 1024
    max_connections: int = 512
    calls_per_connection: int = 256
    handshake_timeout: float = 10.0
    idle_timeout: float = 60.0
    venue: VenueLimits | None = None
    """A venue's request weights, order windows and bans on top of the budgets (None: none)."""

    def channel_options(self) -> list[tuple[str, int]]:
        """grpc core's own limits: message size, connections, concurrent calls per connection, and
        how long a connection may stay without a finished handshake or without calls."""
        options = [("grpc.max_receive_message_length", self.max_request_bytes)]
        if self.max_connections:
            options.append(("grpc.max_allowed_incoming_connections", self.max_connections))
        if self.calls_per_connection:
            options.append(("grpc.max_concurrent_streams", self.calls_per_connection))
        if self.handshake_timeout:
            options.append(("grpc.server_handshake_timeout_ms", round(self.handshake_timeout * 1000)))
        if self.idle_timeout:
            options.append(("grpc.max_connection_idle_ms", round(self.idle_timeout * 1000)))
        return options


PROFILES: dict[str, Limits] = {
    "default": Limits(),
    "binance": Limits(order_rate=0, query_rate=0, anonymous_rate=0, venue=VenueLimits()),
}
"""What ``paperex serve --limits`` selects: this server's generous budgets, or a venue's published
limits (the server-wide command budget, stream and connection caps stay in both)."""


def peer_address(peer: str) -> str:
    """The address of a grpc peer string, without the port: ``ipv4:10.0.0.7:5123`` -> ``10.0.0.7``,
    ``ipv6:[::1]:5123`` -> ``::1``; anything else (``unix:...``) as it is.

    >>> peer_address("ipv4:127.0.0.1:50123"), peer_address("ipv6:[::1]:50123"), peer_address("unix:/tmp/s")
    ('127.0.0.1', '::1', 'unix:/tmp/s')
    """
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]")
    return peer


def _limited(reason: str, what: str, limiter: RateLimiter, wait: float, metadata: dict[str, str]) -> Refused:
    figures = {**metadata, "rate": f"{limiter.rate:g}", "burst": str(limiter.burst)}
    if wait == math.inf:
        return Refused(reason, f"{what}: more at once than its burst of {limiter.burst}", figures)
    message = f"{what} of {limiter.rate:g}/s reached; retry in {wait:.3f} s"
    return Refused(reason, message, {**figures, "retry_after": f"{wait:.3f}"}, retry_after=wait)


class Charge(NamedTuple):
    """What queuing commands of one account takes from the budgets (``Admission.commands``)."""

    account_id: int
    commands: int
    orders: int
    placed: int


class Admission:
    """The budgets and stream counts of one server; ``clock`` is monotonic seconds, ``wall_clock``
    (the venue limits') seconds since the epoch."""

    def __init__(self, limits: Limits, clock: Callable[[], float], wall_clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self._clock = clock
        self.venue = VenueMeter(limits.venue, wall_clock) if limits.venue is not None else None
        """The venue limits' counts, when the profile has them (the REST adapter shows them)."""
        self._orders = RateLimiter(limits.order_rate, limits.order_burst)
        self._commands = RateLimiter(limits.command_rate, limits.command_burst)
        self._queries = RateLimiter(limits.query_rate, limits.query_burst)
        self._anonymous = RateLimiter(limits.anonymous_rate, limits.anonymous_burst)
        self._streams: dict[str, int] = {}
        self._open = 0

    def commands(self, account_id: int, commands: int, orders: int, placed: int = 0) -> None:
        """Admit ``commands`` of one account to the sequencer, ``orders`` of them counting against its
        share and ``placed`` (places and amends) against the venue's order windows; RATE_LIMITED (its
        share, a window) or SERVER_BUSY (everyone's budget), all with a retry delay."""
        now = self._clock()
        venue = self.venue if placed else None
        if venue is not None:
            venue.check_orders(account_id, placed)
        if orders:
            wait = self._orders.delay(account_id, orders, now)
            if wait:
                raise _limited("RATE_LIMITED", "order rate limit per account", self._orders, wait, {"budget": "orders"})
        wait = self._commands.delay(ALL_ACCOUNTS, commands, now)
        if wait:
            raise _limited("SERVER_BUSY", "the server's command rate", self._commands, wait, {"budget": "commands"})
        if orders:
            self._orders.acquire(account_id, orders, now)
        self._commands.acquire(ALL_ACCOUNTS, commands, now)
        if venue is not None:
            venue.take_orders(account_id, placed)

    def order_batch(self, account_id: int) -> None:
        """Charge one batch request of orders to the account's venue order windows (none without the
        venue limits); its orders then come as commands with ``placed`` 0. RATE_LIMITED with a retry
        delay when a window is full."""
        if self.venue is not None:
            self.venue.take_batch(account_id)

    def request(self, address: str, weight: int) -> None:
        """Charge one request of ``weight`` to a client address under the venue limits (none without
        them): RATE_LIMITED with a retry delay, or BANNED."""
        if self.venue is not None:
            self.venue.request(address, weight)

    def connection(self, address: str) -> None:
        """Charge one WebSocket connection to a client address under the venue limits (none without
        them): RATE_LIMITED with a retry delay, or BANNED."""
        if self.venue is not None:
            self.venue.connect(address)

    def socket_message(self, connection: Hashable) -> bool:
        """One message a client sent on a WebSocket ``connection``: whether the venue limits (none
        without them) let it in; a connection that goes beyond them is closed."""
        return self.venue is None or self.venue.message(connection)

    @property
    def socket_streams(self) -> int:
        """Streams one WebSocket connection may follow under the venue limits (0: no limit)."""
        return self.venue.limits.streams_per_connection if self.venue is not None else 0

    def query(self, account_id: int) -> None:
        """One read of an account; RATE_LIMITED with a retry delay beyond its query budget."""
        wait = self._queries.acquire(account_id, 1, self._clock())
        if wait:
            raise _limited("RATE_LIMITED", "query rate limit per account", self._queries, wait, {"budget": "queries"})

    def anonymous(self, peer: str) -> None:
        """One call without a valid API key, counted per peer address."""
        address = peer_address(peer)
        wait = self._anonymous.acquire(address, 1, self._clock())
        if wait:
            metadata = {"budget": "anonymous", "address": address}
            raise _limited("RATE_LIMITED", "rate limit per address without an API key", self._anonymous, wait, metadata)

    @contextmanager
    def stream(self, peer: str) -> Iterator[None]:
        """Hold one of the open-stream places of ``peer`` (a connection) and of the server while the
        block runs; TOO_MANY_STREAMS when either is taken."""
        held = self._streams.get(peer, 0)
        self._check_room("connection", self.limits.streams_per_connection, held)
        self._check_room("server", self.limits.streams, self._open)
        self._streams[peer] = held + 1
        self._open += 1
        try:
            yield
        finally:
            self._open -= 1
            left = self._streams[peer] - 1
            if left:
                self._streams[peer] = left
            else:
                del self._streams[peer]

    @staticmethod
    def _check_room(scope: str, limit: int, held: int) -> None:
        if limit and held >= limit:
            message = f"{held} streams open on this {scope}, its limit is {limit}: close one first"
            raise Refused("TOO_MANY_STREAMS", message, {"scope": scope, "limit": str(limit), "open": str(held)})

    def open_streams(self, peer: str | None = None) -> int:
        """Streams open on ``peer``, or on the whole server (for tests and metrics)."""
        return self._open if peer is None else self._streams.get(peer, 0)
