"""Wire fuzz: every RPC of every service, over real gRPC, with random, malformed and valid-looking requests.

Why: the edge is where untrusted bytes meet the exchange. Whatever a bot sends, the server must answer
with a rich refusal (``google.rpc.Status`` with one ``ErrorInfo`` naming a ``RejectReason``) or a
normal reply, never INTERNAL/UNKNOWN/DATA_LOSS, and a refusal must change nothing: a request refused
at the edge is never sequenced (same ``exchange.sequence``, same ``state_hash()``), and an engine
refusal is sequenced once and changes nothing but what the passing of engine time does. The hash
covers the engine's clock (``now``, first line of ``paperex.engine.audit.state_hash``), which every sequenced
command moves to its stamp, so a refusal is compared with a copy of the engine taken before the call
and moved to the same time by ``AdvanceTime`` (which also expires due GTD orders and settles due
funding, as the refused command did before its own work).

One server per test function, shared by every hypothesis example of it (the state accumulates, as on
a real venue), with a clock that moves 1 ms per reading from 2024-01-01T00:00:01Z and jumps when the
fuzz lets time pass (a second, a candle, a funding interval, past every GTD expiry). The server's
deadline timer is put to sleep, so what comes due (GTD expiries, funding) is met by the next command,
as happens to a command that reaches the sequencer between a deadline and the timer's next poll; runs
are deterministic (``derandomize``). Shrinking is off because replaying an example on a server whose
state moved on would not reproduce it anyway. The rate limiter's burst is 64 orders with a refill so
fast that only a batch of more than 64 orders is limited, deterministically; the command and query
budgets are off. After every call the
engine's invariants are checked in-process, and after every example a normal PlaceOrder must still
succeed.
"""

import asyncio
import enum
import functools
import pickle
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf import descriptor, message_factory, timestamp_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from paperex.engine.commands import AdvanceTime
from paperex.engine.engine import Engine
from paperex.server.core.admission import Limits
from paperex.server.core.exchange import Exchange
from paperex.server.grpc_api import app as server_app
from paperex.server.grpc_api.app import ExchangeServer
from paperex.v1 import account_pb2, admin_pb2, common_pb2, errors_pb2, market_data_pb2, trading_pb2
from tests.server.conftest import ADMIN_TOKEN, Client, config, rich_status

BASE_SECONDS = 1_704_067_201
"""2024-01-01T00:00:01Z: the next funding time (08:00) is 8 h of engine time away."""
STEP_NS = 1_000_000
DAY = 86_400

CALL_TIMEOUT = 30.0
READ_DEADLINE = 10.0
"""A stream that owes a message or an error must produce one within this (a liveness bound, not a timing test)."""

FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS}
REASONS = {v.name.removeprefix("REJECT_REASON_") for v in errors_pb2.RejectReason.DESCRIPTOR.values} - {"UNSPECIFIED"}
EDGE_REASONS = frozenset(
    {
        "UNAUTHENTICATED",
        "PERMISSION_DENIED",
        "RATE_LIMITED",
        "MISSING_FIELD",
        "INVALID_ENUM_VALUE",
        "INVALID_ARGUMENT",
        "BATCH_TOO_LARGE",
        "CURSOR_EXPIRED",
        "UNKNOWN_SYMBOL",
    }
)
"""Reasons only the edge gives (errors.proto's "Edge" group, and unknown symbols, which parsing catches):
a refusal for one of them must not have been sequenced."""

SERVICES: dict[str, descriptor.ServiceDescriptor] = {
    "MarketData": market_data_pb2.DESCRIPTOR.services_by_name["MarketData"],
    "Trading": trading_pb2.DESCRIPTOR.services_by_name["Trading"],
    "Account": account_pb2.DESCRIPTOR.services_by_name["Account"],
    "Admin": admin_pb2.DESCRIPTOR.services_by_name["Admin"],
}
READ_ONLY = {
    "GetOrder",
    "ListOpenOrders",
    "ListOrders",
    "ListTrades",
    "PreviewOrder",
    "GetAccount",
    "ListPositions",
    "ListAccounts",
    "GetInsuranceFund",
    "Snapshot",
    *(method.name for method in SERVICES["MarketData"].methods),
}
"""Methods that may never change the engine or sequence a command, whatever they answer."""

Recipe = dict[str, Any]
M = TypeVar("M", bound=Message)


# ---------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Huge:
    """A long string, drawn as this small token so that a failing example prints short."""

    char: str
    nbytes: int

    def __repr__(self) -> str:
        return f"Huge({self.char!r} x {self.nbytes} bytes)"


@functools.cache
def huge_text(token: Huge) -> str:
    return token.char * (token.nbytes // len(token.char.encode()))


HUGE = (Huge("9", 1025), Huge("x", 70_000), Huge("€", 200_000), Huge("1", 250_000), Huge(" ", 250_000))
"""Up to 250 kB, just under the server's receive limit (256 KiB): what gets past the transport must be
refused by the edge with a reason (the transport's own refusal is tests/server/test_admission.py's)."""

NASTY = (
    "",
    " ",
    "0",
    "-0",
    "-1",
    "+1",
    "1e3",
    "1E-2",
    "6.49e4",
    "NaN",
    "nan",
    "-Infinity",
    "inf",
    "0x10",
    "1_000",
    "1,5",
    "1.",
    ".5",
    "1..2",
    " 100",
    "100 ",
    "\t1\n",
    "0.000000001",
    "0." + "0" * 60 + "1",
    "9" * 64,
    "9" * 65,
    "1" + "0" * 30,
    "-64900.0",
    "64900.05",
    "64900.00000000000000000001",
    "\uff11\uff12\uff13",  # fullwidth digits
    "٣",
    "\x00",
    "💥",
    "é",
    "BTCUSDT\x00",
    "\uff22\uff34\uff23\uff35\uff33\uff24\uff34",  # fullwidth BTCUSDT
    "btcusdt",
    "BTC-USDT",
    "XYZUSDT",
)

SYMBOLS = ("BTCUSDT", "BTCUSDT", "ETHUSDT")
BTC_PRICES = ("64900.0", "65000.0", "64800.0", "64850.5", "63500.0", "66000.0")
ETH_PRICES = ("3400.00", "3410.00", "3390.00", "3350.5")
QUANTITIES = ("0.001", "0.002", "0.010", "0.100", "1", "0.5", "2.000")
CLIENT_IDS = ("c1", "c2", "c3", "bot-1", "a:b/c.d_e", "x" * 36)
VALID_TEXT: dict[str, Sequence[str]] = {
    "symbol": SYMBOLS,
    "symbols": SYMBOLS,
    "price": BTC_PRICES + ETH_PRICES,
    "stop_price": BTC_PRICES + ETH_PRICES,
    "activation_price": BTC_PRICES,
    "quantity": QUANTITIES,
    "amount": ("1", "100", "0.5", "2500", "0.00000001"),
    "initial_deposit": ("1", "100", "0.5", "2500"),
    "client_order_id": CLIENT_IDS,
    "page_token": ("", "1", "5", "10", "100"),
    "name": ("fuzz-a", "fuzz-b", "alice", "x" * 64),
    "correlation_id": ("", "1", "abc"),
}
VALID_INTS: dict[str, Sequence[int]] = {
    "order_id": tuple(range(1, 41)),
    "account_id": (1, 2, 3, 4),
    "leverage": (1, 2, 5, 10, 20, 50, 75, 100, 125),
    "callback_bps": (10, 50, 100, 1000),
    "page_size": (0, 1, 2, 10, 100, 1000),
    "depth": (0, 1, 5, 100, 5000),
    "limit": (0, 1, 10, 500, 1500),
    "sequence": tuple(range(41)),
    "index": (0, 1, 2, 5),
}
WILD_INTS: dict[str, Sequence[int]] = {
    "order_id": (0, 2**63, 2**64 - 1),
    "account_id": (0, 5, 99, 2**63, 2**64 - 1),
    "leverage": (0, 126, 1000, 2**32 - 1),
    "callback_bps": (0, 9, 1001, 2**32 - 1),
    "page_size": (1001, 2**32 - 1),
    "depth": (5001, 2**32 - 1),
    "limit": (1501, 2**32 - 1),
    "sequence": (10**6, 2**63, 2**64 - 1),
    "index": (2**31, 2**32 - 1),
}
TIMESTAMP_SECONDS = (BASE_SECONDS - DAY, BASE_SECONDS, BASE_SECONDS + 10 * DAY, BASE_SECONDS + 365 * DAY)
WILD_TIMESTAMP_SECONDS = (-62_135_596_800, -(2**63), -1, 0, 1, 253_402_300_799, 253_402_300_800, 2**63 - 1)
DURATION_SECONDS = (0, 1, 2, 60)
WILD_DURATION_SECONDS = (-(2**63), -1, 10**12, 2**63 - 1)
NANOS = (0, 100_000_000, 500_000_000, 999_999_999)
WILD_NANOS = (-(2**31), -1, 99_999_999, 10**9, 2**31 - 1)
WELL_KNOWN: dict[tuple[str, str], tuple[Sequence[int], Sequence[int]]] = {
    ("google.protobuf.Timestamp", "seconds"): (TIMESTAMP_SECONDS, WILD_TIMESTAMP_SECONDS),
    ("google.protobuf.Duration", "seconds"): (DURATION_SECONDS, WILD_DURATION_SECONDS),
    ("google.protobuf.Timestamp", "nanos"): (NANOS, WILD_NANOS),
    ("google.protobuf.Duration", "nanos"): (NANOS, WILD_NANOS),
}
INT_BOUNDS = {
    descriptor.FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    descriptor.FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    descriptor.FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    descriptor.FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
}


def texts(name: str, valid: bool) -> st.SearchStrategy[str]:
    good = st.sampled_from(VALID_TEXT.get(name, ("", "x")))
    if valid:
        return good
    return st.one_of(good, st.sampled_from(NASTY), st.text(max_size=12))


def integers(container: str, item: descriptor.FieldDescriptor, valid: bool) -> st.SearchStrategy[int]:
    low, high = INT_BOUNDS[item.type]
    good, wild = WELL_KNOWN.get((container, item.name)) or (
        VALID_INTS.get(item.name, (0, 1, 2)),
        WILD_INTS.get(item.name, (high,)),
    )
    if valid:
        return st.sampled_from(good)
    return st.one_of(st.sampled_from(good), st.sampled_from(wild), st.integers(low, high))


def enums(item: descriptor.FieldDescriptor, valid: bool) -> st.SearchStrategy[int]:
    assert item.enum_type is not None
    numbers = [value.number for value in item.enum_type.values]
    good = st.sampled_from(numbers)
    if valid:
        return good
    return st.one_of(good, st.sampled_from((-1, max(numbers) + 1, 1000, 2**31 - 1, -(2**31))))


class Mode(enum.Enum):
    """How a recipe draws a message: any subset of plausible fields, every field plausible (a oneof
    set), or any subset of plausible and malformed fields."""

    SOME = "some"
    ALL = "all"
    WILD = "wild"


def value(container: str, item: descriptor.FieldDescriptor, mode: Mode) -> st.SearchStrategy[Any]:
    """Values for one field, by its type and name; repeated fields get a short list."""
    kind, valid = item.type, mode is not Mode.WILD
    one: st.SearchStrategy[Any]
    if kind == descriptor.FieldDescriptor.TYPE_MESSAGE:
        one = recipe(item.message_type, mode)
    elif kind == descriptor.FieldDescriptor.TYPE_STRING:
        one = texts(item.name, valid)
    elif kind == descriptor.FieldDescriptor.TYPE_ENUM:
        one = enums(item, valid)
    elif kind == descriptor.FieldDescriptor.TYPE_BOOL:
        one = st.booleans()
    else:
        one = integers(container, item, valid)
    return st.lists(one, max_size=3) if item.is_repeated else one


def _merge(parts: tuple[Recipe, ...]) -> Recipe:
    merged: Recipe = {}
    for part in parts:
        merged.update(part)
    return merged


@functools.cache
def recipe(message: descriptor.Descriptor, mode: Mode) -> st.SearchStrategy[Recipe]:
    """A message's fields (a oneof unset or set to one member) with drawn values, as ``mode`` says."""
    name = message.full_name
    plain = {f.name: value(name, f, mode) for f in message.fields if f.containing_oneof is None}
    parts = [st.fixed_dictionaries(plain) if mode is Mode.ALL else st.fixed_dictionaries({}, optional=plain)]
    for oneof in message.oneofs:
        members = [st.fixed_dictionaries({f.name: value(name, f, mode)}) for f in oneof.fields]
        parts.append(st.one_of(members) if mode is Mode.ALL else st.one_of(st.just({}), *members))
    return st.tuples(*parts).map(_merge)


def _one_huge(message: descriptor.Descriptor) -> list[st.SearchStrategy[Recipe]]:
    """Recipes setting one string field (possibly nested) to a huge value: one per request, so that a
    request stays under the server's receive limit."""
    options: list[st.SearchStrategy[Recipe]] = []
    for item in message.fields:
        if item.type == descriptor.FieldDescriptor.TYPE_STRING:
            huge = st.sampled_from(HUGE).map(lambda token: [token]) if item.is_repeated else st.sampled_from(HUGE)
            options.append(st.fixed_dictionaries({item.name: huge}))
        elif item.message_type is not None and not item.is_repeated:
            options.extend(st.fixed_dictionaries({item.name: inner}) for inner in _one_huge(item.message_type))
    return options


def wild(message: descriptor.Descriptor) -> st.SearchStrategy[Recipe]:
    """A malformed recipe, sometimes with one huge string in it."""
    huge = _one_huge(message)
    if not huge:
        return recipe(message, Mode.WILD)
    none: st.SearchStrategy[Recipe] = st.just({})
    return st.tuples(recipe(message, Mode.WILD), st.one_of(none, none, none, st.one_of(huge))).map(_merge)


@dataclass(frozen=True)
class Placed:
    order_id: int
    symbol: str
    client_order_id: str


@dataclass(frozen=True)
class Mine:
    """A part of an order the calling account placed earlier (its ``k``-th newest), known only at call time."""

    k: int
    part: str


NOT_MINE = Placed(2**63, "BTCUSDT", "none")


def build(message: M, plan: Recipe, mine: Sequence[Placed] = ()) -> M:
    """The request a recipe describes (nested messages are set even when empty), with ``Mine`` tokens
    taken from the caller's orders ``mine``."""
    for name, planned in plan.items():
        item = message.DESCRIPTOR.fields_by_name[name]
        target = getattr(message, name)
        if item.message_type is not None:
            if item.is_repeated:
                for part in planned:
                    build(target.add(), part, mine)
            else:
                target.SetInParent()
                build(target, planned, mine)
        elif item.is_repeated:
            target.extend(_materialize(v, mine) for v in planned)
        else:
            setattr(message, name, _materialize(planned, mine))
    return message


def _materialize(planned: Any, mine: Sequence[Placed]) -> Any:
    if isinstance(planned, Huge):
        return huge_text(planned)
    if isinstance(planned, Mine):
        order = mine[-1 - planned.k % len(mine)] if mine else NOT_MINE
        return getattr(order, planned.part)
    return planned


def request_class(service: str, method: str) -> type[Message]:
    return message_factory.GetMessageClass(SERVICES[service].methods_by_name[method].input_type)


# ------------------------------------------------------------------- plausible whole requests

SIDES = st.sampled_from((common_pb2.SIDE_BUY, common_pb2.SIDE_SELL))
_ORDER_EXTRAS = {
    "time_in_force": st.sampled_from((0, 1, 2, 3, 4)),
    "client_order_id": st.sampled_from(CLIENT_IDS),
    "reduce_only": st.booleans(),
    "self_trade_prevention": st.sampled_from((0, 1, 2, 3)),
}


def _order(symbol: str, order_type: int, prices: Sequence[str], quantities: Sequence[str]) -> st.SearchStrategy[Recipe]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "symbol": st.just(symbol),
        "side": SIDES,
        "order_type": st.just(order_type),
        "quantity": st.sampled_from(quantities),
    }
    if order_type in (common_pb2.ORDER_TYPE_LIMIT, common_pb2.ORDER_TYPE_STOP_LIMIT):
        fields["price"] = st.sampled_from(prices)
    if order_type not in (common_pb2.ORDER_TYPE_LIMIT, common_pb2.ORDER_TYPE_MARKET):
        fields["stop_price"] = st.sampled_from(prices)
    return st.fixed_dictionaries(fields, optional=_ORDER_EXTRAS)


GTD = st.fixed_dictionaries(
    {
        "symbol": st.just("BTCUSDT"),
        "side": SIDES,
        "order_type": st.just(common_pb2.ORDER_TYPE_LIMIT),
        "quantity": st.just("0.010"),
        "price": st.sampled_from(BTC_PRICES),
        "time_in_force": st.just(common_pb2.TIME_IN_FORCE_GTD),
        "expire_time": st.fixed_dictionaries({"seconds": st.sampled_from(TIMESTAMP_SECONDS)}),
    }
)
PLAUSIBLE_ORDERS = st.one_of(
    _order("BTCUSDT", common_pb2.ORDER_TYPE_LIMIT, BTC_PRICES, ("0.010", "0.020", "0.100", "0.001")),
    _order("BTCUSDT", common_pb2.ORDER_TYPE_MARKET, BTC_PRICES, ("0.010", "0.001", "0.300")),
    _order("ETHUSDT", common_pb2.ORDER_TYPE_LIMIT, ETH_PRICES, ("0.100", "1", "0.001")),
    _order("ETHUSDT", common_pb2.ORDER_TYPE_MARKET, ETH_PRICES, ("0.100", "1")),
    _order("BTCUSDT", common_pb2.ORDER_TYPE_STOP_MARKET, BTC_PRICES, ("0.010",)),
    _order("BTCUSDT", common_pb2.ORDER_TYPE_TAKE_PROFIT_LIMIT, BTC_PRICES, ("0.010",)),
    GTD,
)
ORDER_KEYS = st.one_of(
    st.fixed_dictionaries({"order_id": st.one_of(st.integers(1, 8), st.integers(1, 200))}),
    st.fixed_dictionaries({"client_order_id": st.sampled_from(CLIENT_IDS)}),
)
"""Alice's first orders are 1 to 4; the plausible orders reuse a few client ids."""
MY_ORDERS = st.integers(0, 5).flatmap(
    lambda k: st.sampled_from(
        (
            {"symbol": Mine(k, "symbol"), "order_id": Mine(k, "order_id")},
            {"symbol": Mine(k, "symbol"), "client_order_id": Mine(k, "client_order_id")},
        )
    )
)


def _keyed(fields: dict[str, st.SearchStrategy[Any]], **optional: st.SearchStrategy[Any]) -> st.SearchStrategy[Recipe]:
    keys = st.one_of(ORDER_KEYS, MY_ORDERS, MY_ORDERS)
    return st.tuples(st.fixed_dictionaries(fields, optional=optional), keys).map(_merge)


PLAUSIBLE: dict[str, st.SearchStrategy[Recipe]] = {
    "PlaceOrder": PLAUSIBLE_ORDERS,
    "PreviewOrder": st.fixed_dictionaries({"order": PLAUSIBLE_ORDERS}),
    "AmendOrder": _keyed(
        {"symbol": st.sampled_from(SYMBOLS)},
        price=st.sampled_from(BTC_PRICES),
        quantity=st.sampled_from(("0.010", "0.020", "0.300")),
    ),
    "CancelOrder": _keyed({"symbol": st.sampled_from(SYMBOLS)}),
    "GetOrder": _keyed({"symbol": st.sampled_from(SYMBOLS)}),
    "AdjustIsolatedMargin": st.fixed_dictionaries(
        {"symbol": st.just("ETHUSDT"), "adjustment": st.sampled_from((1, 2)), "amount": st.sampled_from(("1", "5"))}
    ),
    "SetMarginMode": st.fixed_dictionaries(
        {"symbol": st.sampled_from(SYMBOLS), "margin_mode": st.sampled_from((1, 2))}
    ),
    "StreamUserEvents": st.fixed_dictionaries(
        {"resume_after": st.fixed_dictionaries({"sequence": st.integers(0, 40), "index": st.integers(0, 3)})}
    ),
    "SetMarkPrice": st.fixed_dictionaries(
        {"symbol": st.just("BTCUSDT"), "price": st.sampled_from(("64900.0", "64000", "66000.5", "556.8", "4529764"))}
    ),
    "GetCandles": st.fixed_dictionaries({"symbol": st.sampled_from(SYMBOLS), "interval": st.integers(1, 6)}),
}
"""Whole requests likely to pass every check, so that the fuzz also reaches the engine and succeeds."""


def requests_for(service: str, method: str) -> st.SearchStrategy[Recipe]:
    message = SERVICES[service].methods_by_name[method].input_type
    options = [recipe(message, Mode.SOME), recipe(message, Mode.ALL), wild(message)]
    if method in PLAUSIBLE:
        options.append(PLAUSIBLE[method])
    return st.one_of(options)


# ---------------------------------------------------------------------------------------- calls

ACCOUNT_CREDENTIALS = (
    *("alice",) * 3,
    *("bob",) * 2,
    "bob/x-api-key",
    "carol",
    "none",
    "admin",
    "garbage",
    "empty-bearer",
)
CREDENTIALS: dict[str, Sequence[str]] = {
    "MarketData": ("none", "none", "alice", "admin", "garbage", "basic"),
    "Trading": ACCOUNT_CREDENTIALS,
    "Account": ACCOUNT_CREDENTIALS,
    "Admin": (*("admin",) * 5, "admin/x-api-key", "alice", "none", "garbage", "admin-typo"),
}
FIXED_METADATA = {
    "none": [],
    "admin": [("authorization", f"Bearer {ADMIN_TOKEN}")],
    "admin/x-api-key": [("x-api-key", ADMIN_TOKEN)],
    "admin-typo": [("x-api-key", ADMIN_TOKEN + "x")],
    "garbage": [("authorization", "Bearer pk_not_a_key")],
    "basic": [("authorization", "Basic YWxpY2U6c2VjcmV0")],
    "empty-bearer": [("authorization", "Bearer ")],
}


@dataclass(frozen=True)
class Call:
    """One RPC: its method, request recipe (a list of them for OrderSession), credential, and for
    server streams whether to read one message (when one is owed) before cancelling."""

    method: str
    request: Any
    credential: str
    read: bool = True


def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of ``options``, each drawn in proportion to its weight (``one_of`` takes no weights)."""
    table = [strategy for weight, strategy in options for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(table.__getitem__)


def _command_batches() -> st.SearchStrategy[list[Recipe]]:
    """Mostly a few commands; sometimes one huge, none, or more than the rate limit's burst (65) or
    the batch limit (501) of one."""
    command = trading_pb2.OrderCommand.DESCRIPTOR
    small = st.one_of(recipe(command, Mode.SOME), recipe(command, Mode.ALL), recipe(command, Mode.WILD))
    plausible = weighted(
        (4, st.fixed_dictionaries({"place_order": PLAUSIBLE_ORDERS})),
        (1, st.fixed_dictionaries({"amend_order": PLAUSIBLE["AmendOrder"]})),
        (1, st.fixed_dictionaries({"cancel_order": PLAUSIBLE["CancelOrder"]})),
    )
    few = st.lists(weighted((2, plausible), (1, small)), min_size=1, max_size=4)
    huge = st.tuples(
        PLAUSIBLE_ORDERS, st.sampled_from(("symbol", "price", "quantity", "client_order_id")), st.sampled_from(HUGE)
    ).map(lambda drawn: [{"place_order": {**drawn[0], drawn[1]: drawn[2]}}])
    repeated = st.tuples(st.one_of(plausible, small), st.sampled_from((65, 501))).map(lambda pair: [pair[0]] * pair[1])
    return weighted((16, few), (2, repeated), (2, huge), (1, st.just([])))


SESSION_REQUESTS = st.lists(
    st.fixed_dictionaries(
        {"commands": _command_batches()}, optional={"correlation_id": texts("correlation_id", False)}
    ),
    max_size=3,
)


WEIGHTS = {
    "PlaceOrder": 5,
    "AmendOrder": 3,
    "CancelOrder": 3,
    "PreviewOrder": 2,
    "OrderSession": 2,
    "SetLeverage": 3,
    "SetMarginMode": 3,
    "AdjustIsolatedMargin": 3,
    "StreamUserEvents": 3,
    "Reset": 1,
}
"""How often each method is drawn against the others of its service (2 when not named): commands
more than queries, Admin.Reset (which wipes the state the others build up) least."""


WAIT = "(time passes)"
WAITS = st.builds(Call, st.just(WAIT), st.sampled_from((1, 61, 8 * 3600, 11 * DAY)), st.just(""))
"""Engine time jumps between calls: a second, a candle, a funding interval, past the GTD expiries."""


def calls(service: str) -> st.SearchStrategy[Call]:
    methods = ((WEIGHTS.get(m.name, 2), _call(service, m.name)) for m in SERVICES[service].methods)
    return weighted(*methods, (1, WAITS))


@functools.cache
def _call(service: str, name: str) -> st.SearchStrategy[Call]:
    requests = SESSION_REQUESTS if name == "OrderSession" else requests_for(service, name)
    return st.builds(Call, st.just(name), requests, st.sampled_from(CREDENTIALS[service]), st.booleans())


def sessions() -> st.SearchStrategy[Call]:
    return _call("Trading", "OrderSession")


def every_rpc(service: str) -> list[Call]:
    """Each RPC once with an empty request, as alice (the admin for Admin): every RPC is called at least once."""
    credential = "admin" if service == "Admin" else "alice"
    return [Call(m.name, [{}] if m.name == "OrderSession" else {}, credential) for m in SERVICES[service].methods]


# ---------------------------------------------------------------------------------------- world


class StepClock:
    """Engine time: 1 ms further at every reading, from BASE_SECONDS, and further when the fuzz says."""

    def __init__(self) -> None:
        self.ns = BASE_SECONDS * 10**9

    def now(self) -> int:
        self.ns += STEP_NS
        return self.ns


@dataclass
class World:
    server: ExchangeServer
    channel: grpc.aio.Channel
    admin: Client
    accounts: dict[str, Client] = field(default_factory=dict)
    placed: dict[str, list[Placed]] = field(default_factory=dict)
    """Orders each account placed, newest last, for requests that name one of the caller's orders."""

    @property
    def exchange(self) -> Exchange:
        assert self.server.sequencer is not None
        return self.server.sequencer.exchange

    @property
    def engine(self) -> Engine:
        return self.exchange.engine

    @property
    def clock(self) -> "StepClock":
        assert isinstance(self.server.clock, StepClock)
        return self.server.clock

    def metadata(self, credential: str) -> list[tuple[str, str]]:
        if credential in FIXED_METADATA:
            return FIXED_METADATA[credential]
        name, _, header = credential.partition("/")
        key = self.accounts[name].key
        return [("x-api-key", key)] if header else [("authorization", f"Bearer {key}")]

    def account(self, credential: str) -> Client | None:
        """The account a credential authenticates, None when it authenticates none."""
        return None if credential in FIXED_METADATA else self.accounts[credential.partition("/")[0]]

    def mine(self, credential: str) -> list[Placed]:
        return self.placed.get(credential.partition("/")[0], [])

    def remember(self, credential: str, order: common_pb2.Order) -> None:
        orders = self.placed.setdefault(credential.partition("/")[0], [])
        orders.append(Placed(order.order_id, order.symbol, order.client_order_id))
        del orders[:-20]

    async def populate(self) -> None:
        """Accounts, marks, resting orders on both sides, trades, and cross and isolated positions."""
        admin = self.admin.admin
        self.placed.clear()
        for name, deposit in (("alice", "1000000"), ("bob", "50000"), ("carol", "100"), ("probe", "1000000000")):
            reply = await admin.CreateAccount(
                admin_pb2.CreateAccountRequest(name=name, initial_deposit=deposit), metadata=self.admin.auth
            )
            self.accounts[name] = Client(self.channel, reply.api_key)
        for symbol, mark in (("BTCUSDT", "64900"), ("ETHUSDT", "3400")):
            await admin.SetMarkPrice(admin_pb2.SetMarkPriceRequest(symbol=symbol, price=mark), metadata=self.admin.auth)
        alice, bob = self.accounts["alice"], self.accounts["bob"]
        for symbol, side, quantity, price in (
            ("BTCUSDT", common_pb2.SIDE_SELL, "0.500", "65000.0"),
            ("BTCUSDT", common_pb2.SIDE_BUY, "0.500", "64800.0"),
            ("ETHUSDT", common_pb2.SIDE_SELL, "5.000", "3410.00"),
            ("ETHUSDT", common_pb2.SIDE_BUY, "5.000", "3390.00"),
        ):
            placed = await alice.trading.PlaceOrder(_limit(symbol, side, quantity, price), metadata=alice.auth)
            self.remember("alice", placed.order)
        await bob.account.SetMarginMode(
            account_pb2.SetMarginModeRequest(symbol="ETHUSDT", margin_mode=common_pb2.MARGIN_MODE_ISOLATED),
            metadata=bob.auth,
        )
        await bob.trading.PlaceOrder(
            trading_pb2.PlaceOrderRequest(
                symbol="ETHUSDT", side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="1.000"
            ),
            metadata=bob.auth,
        )
        await bob.trading.PlaceOrder(
            _limit("BTCUSDT", common_pb2.SIDE_BUY, "0.010", "65000.0", time_in_force=common_pb2.TIME_IN_FORCE_IOC),
            metadata=bob.auth,
        )


def _limit(
    symbol: str, side: common_pb2.Side, quantity: str, price: str, **extra: Any
) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=symbol, side=side, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity=quantity, price=price, **extra
    )


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    # The deadline timer sleeps through the test: time-driven work (GTD expiry, funding) is left to the
    # next command, as it is when a command reaches the sequencer between a deadline and the timer's poll.
    monkeypatch.setattr(server_app, "DEADLINE_POLL_SECONDS", 3600.0)
    server = ExchangeServer(
        config(tmp_path, limits=Limits(order_rate=1e9, order_burst=64, command_rate=0, query_rate=0)), clock=StepClock()
    )
    port = await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        world = World(server, channel, Client(channel, ADMIN_TOKEN))
        await world.populate()
        yield world
    await server.stop()


# ---------------------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Before:
    sequence: int
    state_hash: str
    engine: bytes
    deadline: int
    """The engine's next GTD expiry or funding time."""


def capture(world: World) -> Before:
    engine = world.engine
    return Before(world.exchange.sequence, engine.state_hash(), pickle.dumps(engine), engine.next_deadline())


@dataclass(frozen=True)
class Refusal:
    reason: str
    field_named: bool


def check_refusal(where: str, error: grpc.aio.AioRpcError) -> Refusal:
    """A proper refusal: an allowed code with a google.rpc.Status holding one paperex ErrorInfo."""
    assert error.code() not in FORBIDDEN, f"{where}: {error.code().name} {error.details()}"
    status = rich_status(error)
    infos = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
    assert len(infos) == 1, f"{where}: {len(infos)} ErrorInfo details on {error.code().name} {error.details()}"
    (info,) = infos
    assert info.domain == "paperex", f"{where}: ErrorInfo domain {info.domain!r}"
    assert info.reason in REASONS, f"{where}: ErrorInfo reason {info.reason!r} is not a RejectReason"
    field_named = any(detail.Is(error_details_pb2.BadRequest.DESCRIPTOR) for detail in status.details)
    return Refusal(info.reason, field_named)


def check_rejection(where: str, rejection: errors_pb2.Rejection) -> str:
    """An in-band refusal names a real reason, never UNSPECIFIED or INTERNAL."""
    name = errors_pb2.RejectReason.Name(rejection.reason).removeprefix("REJECT_REASON_")
    assert name in REASONS - {"INTERNAL"}, f"{where}: in-band rejection {name} {rejection.message!r}"
    return name


def check_sequenced(where: str, before: Before, world: World, sequenced: int) -> None:
    """The call sequenced ``sequenced`` commands, plus at most one AdvanceTime of the host's when a
    deadline had come due (the deadline timer's, or one a sequencer puts before the command)."""
    exchange = world.exchange
    steps = exchange.sequence - before.sequence
    timer = sequenced > 0 and before.deadline <= exchange.engine.now
    assert steps == sequenced or (timer and steps == sequenced + 1), (
        f"{where}: {steps} commands sequenced, expected {sequenced}"
    )


def check_only_time_moved(where: str, before: Before, world: World, sequenced: int) -> None:
    """After refusals only: nothing sequenced leaves the engine's hash as it was; sequenced refusals
    leave it as a copy of the engine taken before would be after moving to the same time."""
    exchange = world.exchange
    check_sequenced(where, before, world, sequenced)
    if not sequenced:
        assert exchange.engine.state_hash() == before.state_hash, (
            f"{where}: refused at the edge, yet the engine changed"
        )
        return
    reference: Engine = pickle.loads(before.engine)
    reference.apply(AdvanceTime(ts=exchange.engine.now))
    assert reference.state_hash() == exchange.engine.state_hash(), f"{where}: a refusal changed more than the time"


def check_unchanged(where: str, before: Before, world: World) -> None:
    assert world.exchange.sequence == before.sequence, f"{where}: a read-only call sequenced a command"
    assert world.engine.state_hash() == before.state_hash, f"{where}: a read-only call changed the engine"


# ---------------------------------------------------------------------------------------- calling


async def perform(world: World, service: str, call: Call) -> None:
    if call.method == WAIT:
        world.clock.ns += call.request * 10**9
        return
    method = SERVICES[service].methods_by_name[call.method]
    if method.client_streaming:
        await order_session(world, call)
    elif method.server_streaming:
        await server_stream(world, service, call)
    else:
        await unary(world, service, call)
    world.engine.check_invariants()


def _stub(world: World, service: str, method: str) -> Any:
    client = world.admin
    stubs = {"MarketData": client.market, "Trading": client.trading, "Account": client.account, "Admin": client.admin}
    return getattr(stubs[service], method)


async def unary(world: World, service: str, call: Call) -> None:
    where = f"{service}.{call.method}"
    request = build(request_class(service, call.method)(), call.request, world.mine(call.credential))
    before = capture(world)
    try:
        reply = await _stub(world, service, call.method)(
            request, metadata=world.metadata(call.credential), timeout=CALL_TIMEOUT
        )
    except grpc.aio.AioRpcError as error:
        refusal = check_refusal(where, error)
        if service == "MarketData":
            assert refusal.reason not in ("UNAUTHENTICATED", "PERMISSION_DENIED"), f"{where} needs no credential"
        sequenced = min(1, world.exchange.sequence - before.sequence)
        if refusal.reason in EDGE_REASONS or refusal.field_named:
            assert sequenced == 0, f"{where}: {refusal} was sequenced"
        check_only_time_moved(where, before, world, sequenced)
        return
    if call.method == "PlaceOrder":
        world.remember(call.credential, reply.order)
    if call.method == "Reset":
        await world.populate()
    elif call.method == "RotateApiKey" and reply.name in world.accounts:  # the old key stopped working
        world.accounts[reply.name] = Client(world.channel, reply.api_key)
    elif call.method in READ_ONLY:
        check_unchanged(where, before, world)


def _owes_message(world: World, service: str, call: Call, request: Any) -> bool:
    """Whether the contract has the stream answer at once (a first message or an error), so reading
    one cannot wait forever."""
    if service == "MarketData":
        return True  # every market stream opens with a message (snapshot, confirmation, tickers, candle)
    if world.account(call.credential) is None:
        return True
    return bool(request.HasField("resume_after") and request.resume_after.sequence <= world.exchange.sequence)


async def server_stream(world: World, service: str, call: Call) -> None:
    where = f"{service}.{call.method}"
    request = build(request_class(service, call.method)(), call.request, world.mine(call.credential))
    before = capture(world)
    stream = _stub(world, service, call.method)(request, metadata=world.metadata(call.credential))
    triggered = 0
    try:
        if not (call.read and _owes_message(world, service, call, request)):
            return
        account = world.account(call.credential)
        if call.method == "StreamUserEvents" and account is not None:
            # A refused cancel gives the account one more event (OrderRejected), after the cursor.
            with pytest.raises(grpc.aio.AioRpcError):
                await account.trading.CancelOrder(
                    trading_pb2.CancelOrderRequest(symbol="BTCUSDT", order_id=2**63), metadata=account.auth
                )
            triggered = 1
        try:
            async with asyncio.timeout(READ_DEADLINE):
                message = await stream.read()
        except TimeoutError:
            pytest.fail(f"{where}: neither a message nor an error within {READ_DEADLINE} s")
        except grpc.aio.AioRpcError as error:
            refusal = check_refusal(where, error)
            if service == "MarketData":
                assert refusal.reason not in ("UNAUTHENTICATED", "PERMISSION_DENIED"), f"{where} needs no credential"
        else:
            assert message is not grpc.aio.EOF, f"{where}: the stream ended instead of running until cancelled"
            check_first_message(where, request, message)
    finally:
        stream.cancel()
    check_only_time_moved(where, before, world, triggered)


def check_first_message(where: str, request: Any, message: Any) -> None:
    if isinstance(message, market_data_pb2.StreamOrderBookResponse):
        assert message.WhichOneof("payload") == "snapshot", f"{where}: the first message is not the snapshot"
        assert message.snapshot.symbol == request.symbol
    elif isinstance(message, market_data_pb2.StreamTickersResponse):
        assert not request.symbols or message.ticker.symbol in request.symbols
    elif isinstance(message, market_data_pb2.StreamTradesResponse):
        assert not message.trades, f"{where}: the first message is not the empty confirmation"
    elif isinstance(message, market_data_pb2.StreamCandlesResponse) and message.HasField("candle"):
        assert (message.candle.symbol, message.candle.interval) == (request.symbol, request.interval)
    elif isinstance(message, account_pb2.StreamUserEventsResponse):
        after, cursor = request.resume_after, message.event.cursor
        assert (cursor.sequence, cursor.index) > (after.sequence, after.index), (
            f"{where}: an event at or before the cursor"
        )


async def order_session(world: World, call: Call) -> None:
    """Write every request, half-close, read every answer. Without an account credential nothing is
    written: the server refuses the session before reading, and a write racing that refusal fails on the
    client as INTERNAL "Internal error from Core" with the server's status lost (grpc/grpc#36066)."""
    where = "Trading.OrderSession"
    authenticated = world.account(call.credential) is not None
    mine = world.mine(call.credential)
    requests = [build(trading_pb2.OrderSessionRequest(), plan, mine) for plan in call.request] if authenticated else []
    before = capture(world)
    stream = world.admin.trading.OrderSession(metadata=world.metadata(call.credential), timeout=CALL_TIMEOUT)
    responses: list[trading_pb2.OrderSessionResponse] = []
    failure: grpc.aio.AioRpcError | None = None
    try:
        async with asyncio.timeout(READ_DEADLINE):
            for request in requests:
                await stream.write(request)
            await stream.done_writing()
            while (response := await stream.read()) is not grpc.aio.EOF:
                assert isinstance(response, trading_pb2.OrderSessionResponse)
                responses.append(response)
    except grpc.aio.AioRpcError as error:
        failure = error
    except TimeoutError:
        pytest.fail(f"{where}: no answer within {READ_DEADLINE} s")
    finally:
        stream.cancel()
    if not authenticated:
        assert failure is not None, f"{where}: a session opened with credential {call.credential!r}"
        assert check_refusal(where, failure).reason == "UNAUTHENTICATED"
        check_only_time_moved(where, before, world, 0)
        return
    assert failure is None, f"{where}: {failure.code().name} {failure.details()}"
    assert [r.correlation_id for r in responses] == [r.correlation_id for r in requests]
    sequenced = acked = 0
    for request, response in zip(requests, responses, strict=True):
        if response.HasField("rejection"):
            reason = check_rejection(where, response.rejection)
            assert not response.results, f"{where}: a refused request still has results"
            assert (reason == "BATCH_TOO_LARGE") == (len(request.commands) > 500), f"{where}: {reason}"
            continue
        assert len(response.results) == len(request.commands), f"{where}: one result per command"
        for command, result in zip(request.commands, response.results, strict=True):
            kind = result.WhichOneof("result")
            if kind == "rejection":
                reason = check_rejection(where, result.rejection)
                if reason not in EDGE_REASONS and "field" not in result.rejection.metadata:
                    sequenced += 1
                continue
            assert kind == command.WhichOneof("command"), f"{where}: {kind} answers {command.WhichOneof('command')}"
            if kind == "place_order":
                world.remember(call.credential, result.place_order.order)
            sequenced += 1
            acked += 1
    if acked:
        check_sequenced(where, before, world, sequenced)
    else:
        check_only_time_moved(where, before, world, sequenced)


async def probe(world: World) -> None:
    """A plain limit buy still works (at 2% under a mark set back to 64,900, inside the 5% band)."""
    await world.admin.admin.SetMarkPrice(
        admin_pb2.SetMarkPriceRequest(symbol="BTCUSDT", price="64900"), metadata=world.admin.auth
    )
    account = world.accounts["probe"]
    placed = await account.trading.PlaceOrder(
        _limit("BTCUSDT", common_pb2.SIDE_BUY, "0.010", "63600.0"), metadata=account.auth
    )
    assert placed.order.symbol == "BTCUSDT" and placed.order.quantity == "0.010"
    working = (common_pb2.ORDER_STATUS_NEW, common_pb2.ORDER_STATUS_PARTIALLY_FILLED)
    assert placed.order.status in (*working, common_pb2.ORDER_STATUS_FILLED)
    if placed.order.status in working:
        canceled = await account.trading.CancelOrder(
            trading_pb2.CancelOrderRequest(symbol="BTCUSDT", order_id=placed.order.order_id), metadata=account.auth
        )
        assert canceled.order.status == common_pb2.ORDER_STATUS_CANCELED
    world.engine.check_invariants()


async def fuzz(world: World, service: str, drawn: list[Call]) -> None:
    for call in drawn:
        await perform(world, service, call)
    await probe(world)


FUZZ = settings(
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""One server shared by the examples of a test (its state carries over, which is the point)."""
CALLS_PER_EXAMPLE = 16


def test_the_fuzz_knows_how_to_call_every_rpc() -> None:
    """Every streaming RPC has a handler here: unary ones are called generically, and OrderSession
    is the one client stream."""
    streams = {m.name for s in SERVICES.values() for m in s.methods if m.server_streaming and not m.client_streaming}
    assert streams == {
        "StreamOrderBook",
        "StreamTrades",
        "StreamTickers",
        "StreamCandles",
        "StreamUserEvents",
    }
    assert [m.name for s in SERVICES.values() for m in s.methods if m.client_streaming] == ["OrderSession"]


@FUZZ
@given(drawn=st.lists(calls("MarketData"), min_size=3, max_size=CALLS_PER_EXAMPLE))
@example(drawn=every_rpc("MarketData"))
async def test_market_data_answers_any_request_with_data_or_a_rich_refusal(world: World, drawn: list[Call]) -> None:
    await fuzz(world, "MarketData", drawn)


@FUZZ
@given(drawn=st.lists(calls("Trading"), min_size=3, max_size=CALLS_PER_EXAMPLE))
@example(drawn=every_rpc("Trading"))
async def test_trading_answers_any_request_and_refusals_change_nothing(world: World, drawn: list[Call]) -> None:
    await fuzz(world, "Trading", drawn)


@FUZZ
@given(drawn=st.lists(weighted((4, sessions()), (1, WAITS)), min_size=1, max_size=5))
@example(
    drawn=[Call("OrderSession", [], "alice"), Call("OrderSession", [{}], "bob"), Call("OrderSession", [{}], "none")]
)
async def test_order_sessions_answer_every_command_and_refusals_change_nothing(world: World, drawn: list[Call]) -> None:
    await fuzz(world, "Trading", drawn)


@FUZZ
@given(drawn=st.lists(calls("Account"), min_size=3, max_size=CALLS_PER_EXAMPLE))
@example(drawn=every_rpc("Account"))
async def test_account_answers_any_request_and_refusals_change_nothing(world: World, drawn: list[Call]) -> None:
    await fuzz(world, "Account", drawn)


@FUZZ
@given(drawn=st.lists(calls("Admin"), min_size=3, max_size=CALLS_PER_EXAMPLE))
@example(drawn=every_rpc("Admin"))
async def test_admin_answers_any_request_and_refusals_change_nothing(world: World, drawn: list[Call]) -> None:
    await fuzz(world, "Admin", drawn)


async def test_a_command_meeting_a_due_gtd_expiry_is_answered_for_what_it_did(world: World) -> None:
    """The first command after a GTD order's expiry time expires it (before the command's own work):
    the caller still gets its own answer, here an accepted order, not INTERNAL."""
    alice = world.accounts["alice"]
    expire = timestamp_pb2.Timestamp(seconds=world.engine.now // 10**9 + 60)
    gtd = await alice.trading.PlaceOrder(
        _limit(
            "BTCUSDT",
            common_pb2.SIDE_BUY,
            "0.010",
            "64000.0",
            time_in_force=common_pb2.TIME_IN_FORCE_GTD,
            expire_time=expire,
        ),
        metadata=alice.auth,
    )
    world.clock.ns += 61 * 10**9

    placed = await alice.trading.PlaceOrder(
        _limit("BTCUSDT", common_pb2.SIDE_BUY, "0.010", "64100.0"), metadata=alice.auth
    )

    assert (placed.order.status, placed.order.price) == (common_pb2.ORDER_STATUS_NEW, "64100.0")
    expired = await alice.trading.GetOrder(
        trading_pb2.GetOrderRequest(symbol="BTCUSDT", order_id=gtd.order.order_id), metadata=alice.auth
    )
    assert expired.order.status == common_pb2.ORDER_STATUS_EXPIRED
    assert expired.order.end_reason == errors_pb2.END_REASON_GTD_EXPIRED


async def test_a_refusal_meeting_a_funding_time_is_still_that_refusal(world: World) -> None:
    """The first command after a funding time settles funding (before the command's own work): a
    cancel of an unknown order is still NOT_FOUND/UNKNOWN_ORDER, not INTERNAL."""
    bob = world.accounts["bob"]
    world.clock.ns += 8 * 3600 * 10**9

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await bob.trading.CancelOrder(
            trading_pb2.CancelOrderRequest(symbol="BTCUSDT", order_id=2**63), metadata=bob.auth
        )

    assert refused.value.code() == grpc.StatusCode.NOT_FOUND, refused.value.details()
    assert check_refusal("CancelOrder", refused.value).reason == "UNKNOWN_ORDER"
