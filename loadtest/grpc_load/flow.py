"""What a simulated bot sends: the operation mix, orders near the touch, and the cancels that bound its book.

A bot is one account with its own ``Flow``. Each operation is drawn from the ``--mix`` weights:

* ``add``: a GTC limit order of 0.002..0.020 BTC on a random side, priced a geometric number of ticks
  (mean 1 USDT) behind the centre price (64,900.0 unless a follower moves it with the market), so
  bids stay below and asks above it and the bots' resting orders never cross one another;
* ``market``: a market order of 0.002..0.010 BTC on a random side;
* ``cancel``: cancels the bot's oldest resting order by id;
* ``amend``: moves the bot's oldest resting order to a new price on its side (it loses priority and
  becomes the newest);
* ``query``: in turn GetOrder (the newest resting order), ListOpenOrders and Account.GetAccount.

A cancel or amend drawn while the bot knows no resting order is an add instead. The bot learns its
resting orders from the answers to its adds; an order a taker filled (or a CancelAllOrders ended)
meanwhile makes a later cancel or amend of it fail with NOT_FOUND, counted by code. Whatever the mix,
the book stays bounded: with ``--cancel all`` the bot sends CancelAllOrders after every
``--max-open`` adds; with ``--cancel oldest`` it cancels its oldest resting order whenever it knows
of ``--max-open`` of them.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paperex.v1 import account_pb2, common_pb2, trading_pb2

SYMBOL = "BTCUSDT"
MARK_TICKS = 649_000
"""64,900.0 USDT at BTCUSDT's 0.1 tick: the mark price set before a run and the default centre of the flow."""
TICKS_PER_UNIT = 10
DEPOSIT = "1000000000"
"""Each bot's deposit: far above what its open orders and positions can need."""
MIN_LOTS, MAX_LOTS = 2, 20
"""0.002..0.020 BTC: at ~64,900 the smallest is 129.8 USDT, above the 100 USDT minimum notional."""
TAKE_MAX_LOTS = 10
DISTANCE_MEAN_TICKS = 10.0
"""Mean distance of a limit order behind the centre (geometric, capped), inside the 5% price band."""
DISTANCE_MAX_TICKS = 300

PLACE, TAKE, AMEND, CANCEL, CANCEL_ALL = "place_limit", "place_market", "amend", "cancel", "cancel_all"
GET_ORDER, LIST_OPEN, GET_ACCOUNT = "get_order", "list_open_orders", "get_account"
BATCH = "session_batch"
"""A whole OrderSession request, apart from its commands."""
MIX_KINDS: dict[str, tuple[str, ...]] = {
    "add": (PLACE,),
    "market": (TAKE,),
    "cancel": (CANCEL, CANCEL_ALL),
    "amend": (AMEND,),
    "query": (GET_ORDER, LIST_OPEN, GET_ACCOUNT),
}
"""Each ``--mix`` key and the operation kinds it is reported under."""
MIX_KEY = {kind: key for key, kinds in MIX_KINDS.items() for kind in kinds}
DEFAULT_MIX = "add=95,market=5"
SESSION_FIELDS = {
    PLACE: "place_order",
    TAKE: "place_order",
    AMEND: "amend_order",
    CANCEL: "cancel_order",
    CANCEL_ALL: "cancel_all_orders",
}
"""The OrderCommand field of each kind an OrderSession can carry (queries cannot)."""
RESTING = (common_pb2.ORDER_STATUS_NEW, common_pb2.ORDER_STATUS_PARTIALLY_FILLED)


def price_text(ticks: int) -> str:
    """BTCUSDT ticks as the wire's decimal string: 648_999 -> '64899.9'."""
    return f"{ticks // TICKS_PER_UNIT}.{ticks % TICKS_PER_UNIT}"


def ticks_of(price: str) -> int:
    """A BTCUSDT wire price in ticks: '64899.9' -> 648_999."""
    return round(Decimal(price) * TICKS_PER_UNIT)


def lots_text(lots: int) -> str:
    """BTCUSDT lots (0.001 BTC) as the wire's decimal string: 25 -> '0.025'."""
    return f"{lots // 1000}.{lots % 1000:03d}"


def limit_order(side: Any, lots: int, ticks: int) -> trading_pb2.PlaceOrderRequest:
    """A GTC limit order on BTCUSDT."""
    return trading_pb2.PlaceOrderRequest(
        symbol=SYMBOL,
        side=side,
        order_type=common_pb2.ORDER_TYPE_LIMIT,
        time_in_force=common_pb2.TIME_IN_FORCE_GTC,
        quantity=lots_text(lots),
        price=price_text(ticks),
    )


def market_order(side: Any, lots: int) -> trading_pb2.PlaceOrderRequest:
    """A market order on BTCUSDT."""
    return trading_pb2.PlaceOrderRequest(
        symbol=SYMBOL, side=side, order_type=common_pb2.ORDER_TYPE_MARKET, quantity=lots_text(lots)
    )


@dataclass(frozen=True, slots=True)
class Mix:
    """Relative weights of the ``--mix`` keys, e.g. ``Mix.parse("add=60,cancel=20,amend=10,market=5,query=5")``.

    >>> Mix.parse("add=3,query=1").shares()
    {'add': 0.75, 'query': 0.25}
    """

    weights: tuple[tuple[str, float], ...]

    @classmethod
    def parse(cls, text: str) -> Mix:
        """``key=weight`` pairs separated by commas; raises ValueError naming what is wrong."""
        weights: dict[str, float] = {}
        for part in text.split(","):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in MIX_KINDS:
                raise ValueError(f"{key!r} is not one of {', '.join(MIX_KINDS)}")
            try:
                weight = float(value)
            except ValueError:
                raise ValueError(f"{part.strip()!r} is not key=number") from None
            if not weight >= 0 or key in weights:
                raise ValueError(f"{part.strip()!r}: weights are numbers >= 0, each key once")
            weights[key] = weight
        if sum(weights.values()) <= 0:
            raise ValueError("no operation has a positive weight")
        return cls(tuple((key, weight) for key, weight in weights.items() if weight > 0))

    def shares(self) -> dict[str, float]:
        total = sum(weight for _, weight in self.weights)
        return {key: weight / total for key, weight in self.weights}

    def names(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.weights)

    def __str__(self) -> str:
        return ",".join(f"{key}={weight:g}" for key, weight in self.weights)


def observed_mix(counts: Mapping[str, int]) -> dict[str, float]:
    """Shares of the mix keys among operations counted by kind (kinds outside the mix are left out)."""
    by_key: dict[str, int] = {}
    for kind, count in counts.items():
        key = MIX_KEY.get(kind)
        if key is not None:
            by_key[key] = by_key.get(key, 0) + count
    total = sum(by_key.values())
    return {key: count / total for key, count in sorted(by_key.items())} if total else {}


class Centre:
    """The price (BTCUSDT ticks) every flow of a worker quotes around; a follower moves it with the market."""

    __slots__ = ("ticks",)

    def __init__(self, ticks: int = MARK_TICKS) -> None:
        self.ticks = ticks


@dataclass(slots=True)
class Account:
    account_id: int
    metadata: tuple[tuple[str, str], ...]


class Flow:
    """One bot's next operations and what it knows of its resting orders."""

    __slots__ = (
        "_cumulative",
        "_keys",
        "_queries",
        "account",
        "adds",
        "cancel_all",
        "centre",
        "max_open",
        "resting",
        "rng",
    )

    def __init__(self, account: Account, mix: Mix, cancel: str, max_open: int, seed: int, centre: Centre) -> None:
        self.account = account
        self.rng = random.Random(seed)
        self.centre = centre
        self.cancel_all = cancel == "all"
        self.max_open = max_open
        self.adds = 0
        self.resting: deque[tuple[int, Any, int]] = deque()
        """(order_id, side, price in ticks) of the resting orders the bot knows of, oldest first."""
        self._keys = mix.names()
        self._cumulative = list(itertools.accumulate(weight for _, weight in mix.weights))
        self._queries = itertools.cycle((GET_ORDER, LIST_OPEN, GET_ACCOUNT))

    def next(self) -> tuple[str, Any]:
        """The kind of the next operation and its request."""
        if self.cancel_all:
            if self.adds >= self.max_open:
                self.adds = 0
                self.resting.clear()
                return CANCEL_ALL, trading_pb2.CancelAllOrdersRequest(symbol=SYMBOL)
        elif len(self.resting) >= self.max_open:
            return self._cancel()
        key = self._keys[bisect.bisect_right(self._cumulative, self.rng.random() * self._cumulative[-1])]
        if key == "market":
            side = common_pb2.SIDE_BUY if self.rng.random() < 0.5 else common_pb2.SIDE_SELL
            return TAKE, market_order(side, self.rng.randint(MIN_LOTS, TAKE_MAX_LOTS))
        if key == "query":
            return self._query()
        if self.resting and key == "cancel":
            return self._cancel()
        if self.resting and key == "amend":
            return self._amend()
        return self._add()

    def answered(self, kind: str, reply: Any) -> int:
        """Learn from an answer (a resting add); returns the fills it reports."""
        if kind == PLACE:
            order = reply.order
            if order.status in RESTING:
                self.resting.append((order.order_id, order.side, ticks_of(order.price)))
            return len(reply.fills)
        if kind in (TAKE, AMEND):
            return len(reply.fills)
        return 0

    def _price(self, side: Any) -> int:
        distance = min(int(self.rng.expovariate(1.0 / DISTANCE_MEAN_TICKS)), DISTANCE_MAX_TICKS)
        return self.centre.ticks - 1 - distance if side == common_pb2.SIDE_BUY else self.centre.ticks + 1 + distance

    def _add(self) -> tuple[str, Any]:
        self.adds += 1
        side = common_pb2.SIDE_BUY if self.rng.random() < 0.5 else common_pb2.SIDE_SELL
        return PLACE, limit_order(side, self.rng.randint(MIN_LOTS, MAX_LOTS), self._price(side))

    def _cancel(self) -> tuple[str, Any]:
        order_id, _, _ = self.resting.popleft()
        return CANCEL, trading_pb2.CancelOrderRequest(symbol=SYMBOL, order_id=order_id)

    def _amend(self) -> tuple[str, Any]:
        """A new price for the oldest resting order: drawn as for an add, one tick further out if it
        is the order's own (the server refuses an amend that changes nothing)."""
        order_id, side, old = self.resting.popleft()
        price = self._price(side)
        if price == old:
            price += -1 if side == common_pb2.SIDE_BUY else 1
        self.resting.append((order_id, side, price))
        return AMEND, trading_pb2.AmendOrderRequest(symbol=SYMBOL, order_id=order_id, price=price_text(price))

    def _query(self) -> tuple[str, Any]:
        kind = next(self._queries)
        if kind == GET_ORDER and self.resting:
            return GET_ORDER, trading_pb2.GetOrderRequest(symbol=SYMBOL, order_id=self.resting[-1][0])
        if kind == GET_ACCOUNT:
            return GET_ACCOUNT, account_pb2.GetAccountRequest()
        return LIST_OPEN, trading_pb2.ListOpenOrdersRequest(symbol=SYMBOL)
