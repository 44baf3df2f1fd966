"""A local copy of one symbol's order book, kept from ``AsyncClient.stream_order_book``.

The stream sends a full snapshot, then level changes with absolute quantities and gap-free sequence
numbers; the SDK's stream already starts over from a fresh snapshot after a gap or a reconnect, so
applying every message in order keeps the copy equal to the exchange's book at ``sequence``.
"""

import bisect
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING

from paperex.client.enums import Side
from paperex.client.models import BookLevel, OrderBook, OrderBookUpdate

if TYPE_CHECKING:
    from paperex.client.client import AsyncClient


class _BookSide:
    """Levels of one side by price, prices kept sorted so that the best one is at the front."""

    def __init__(self, side: Side) -> None:
        self.side = side
        self.levels: dict[Decimal, BookLevel] = {}
        self._keys: list[Decimal] = []  # ascending sort keys: -price for bids, price for asks

    def _key(self, price: Decimal) -> Decimal:
        return -price if self.side is Side.BUY else price

    def replace(self, levels: list[BookLevel]) -> None:
        self.levels = {level.price: level for level in levels if level.quantity}
        self._keys = sorted(self._key(price) for price in self.levels)

    def update(self, level: BookLevel) -> None:
        key = self._key(level.price)
        if not level.quantity:
            if self.levels.pop(level.price, None) is not None:
                del self._keys[bisect.bisect_left(self._keys, key)]
            return
        if level.price not in self.levels:
            bisect.insort(self._keys, key)
        self.levels[level.price] = level

    def best(self, depth: int | None) -> list[BookLevel]:
        keys = self._keys if depth is None else self._keys[:depth]
        return [self.levels[self._key(key)] for key in keys]


class BookMirror:
    """One symbol's book: ``apply`` every message of the book stream, read the levels at any time."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.sequence = -1
        self._bids = _BookSide(Side.BUY)
        self._asks = _BookSide(Side.SELL)

    @property
    def ready(self) -> bool:
        """True once a snapshot arrived."""
        return self.sequence >= 0

    def apply(self, message: OrderBook | OrderBookUpdate) -> None:
        """A snapshot replaces the copy; an update patches it (it must follow the last sequence)."""
        if isinstance(message, OrderBook):
            self._bids.replace(message.bids)
            self._asks.replace(message.asks)
        else:
            if message.follows != self.sequence:
                raise ValueError(f"{self.symbol}: update {message.follows + 1} does not follow {self.sequence}")
            for level in message.bids:
                self._bids.update(level)
            for level in message.asks:
                self._asks.update(level)
        self.sequence = message.sequence

    def bids(self, depth: int | None = None) -> list[BookLevel]:
        """Highest price first."""
        return self._bids.best(depth)

    def asks(self, depth: int | None = None) -> list[BookLevel]:
        """Lowest price first."""
        return self._asks.best(depth)

    @property
    def best_bid(self) -> BookLevel | None:
        return next(iter(self._bids.best(1)), None)

    @property
    def best_ask(self) -> BookLevel | None:
        return next(iter(self._asks.best(1)), None)

    @property
    def mid(self) -> Decimal | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid.price + ask.price) / 2

    @property
    def spread(self) -> Decimal | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else ask.price - bid.price

    def quantity_at(self, side: Side, price: Decimal) -> Decimal:
        """Resting quantity at ``price`` on ``side`` (zero when there is no level)."""
        level = (self._bids if side is Side.BUY else self._asks).levels.get(price)
        return level.quantity if level else Decimal(0)


async def follow_book(client: "AsyncClient", symbol: str) -> AsyncIterator[BookMirror]:
    """The mirror after each message of the symbol's book stream.

    It is the same ``BookMirror`` object every time, for the whole iteration: after a reconnect (or a
    sequence gap) the stream starts over from a fresh snapshot, which replaces that object's levels in
    place, so a caller holding the mirror reads the new book without taking it again. Between the loss
    of the stream and that snapshot, the mirror keeps the last book it had (``sequence`` says which).
    """
    mirror = BookMirror(symbol)
    async for message in client.stream_order_book(symbol):
        mirror.apply(message)
        yield mirror
