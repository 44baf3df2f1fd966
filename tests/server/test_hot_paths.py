"""The server's fast paths say exactly what the plain ones said.

Decimal strings by integer arithmetic (render), wire decimals parsed by integer arithmetic (parse),
compiled journal encoders (tape), and user events kept as values and rendered to protobuf only when
read (user_events, the sequencer's publishing): each is compared with the reference path it replaces,
and with hand-worked values.
"""

import asyncio
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from paperex.engine.commands import AmendOrder, CancelOrder, PlaceOrder, SetMarkPrice
from paperex.engine.events import OrderAccepted
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderStatus, OrderType, Side, TimeInForce
from paperex.engine.units import ConversionError, amount_to_decimal, from_steps
from paperex.server.core import tape
from paperex.server.core.checkpoint import Checkpointer
from paperex.server.core.exchange import Exchange, user_topic
from paperex.server.core.exchange_commands import OpenAccount
from paperex.server.core.sequencer import Sequencer
from paperex.server.core.snapshot_schema import decode_exchange, encode_exchange
from paperex.server.core.streams import Hub
from paperex.server.market.clock import WallClock
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.state.market_updates import BookUpdate
from paperex.server.state.user_event_log import UserEventLog
from paperex.server.state.user_events import BalanceUpdate, OrderUpdate, PositionUpdate
from paperex.server.wire import parse, render
from paperex.server.wire.errors import WireError
from paperex.server.wire.rejections import conversion_refusal
from paperex.server.wire.user_events import user_event
from paperex.v1 import errors_pb2

BTC = DEFAULT_INSTRUMENTS["BTCUSDT"]


def _outcome(function: Any, *args: Any) -> Any:
    """What a call gave: its value, or the error it raised (a 29-digit price is refused by both)."""
    try:
        return ("ok", function(*args))
    except WireError as error:
        return ("refused", str(error), error.args)
    except ArithmeticError as error:
        return ("error", type(error))


STEPS = ["0.1", "0.10", "0.001", "1", "5", "0.5", "0.25", "0.000001", "0.0000001", "0.00000001", "1E+1", "10"]
COUNTS = [0, 1, -1, 7, -7, 649_001, 10**6, 10**12, -(10**15) + 3, 10**26, 10**27, 10**30]


def test_steps_text_prints_what_the_decimal_path_prints() -> None:
    # Hand-worked: 649001 ticks of 0.1 is 64900.1; 15 lots of 0.001 is 0.015; zero keeps the step's
    # places; a step written "0.10" prints two places (Decimal("0.1") == Decimal("0.10") must not
    # share a cached format).
    assert render.steps_text(649_001, Decimal("0.1")) == "64900.1"
    assert render.steps_text(15, Decimal("0.001")) == "0.015"
    assert render.steps_text(0, Decimal("0.1")) == "0.0"
    assert render.steps_text(3, Decimal("0.10")) == "0.30"
    assert render.steps_text(3, Decimal("0.1")) == "0.3"
    for step in map(Decimal, STEPS):
        for count in COUNTS:
            assert _outcome(render.steps_text, count, step) == _outcome(from_steps, count, step), (count, step)


def test_the_texts_remembered_per_step_stay_within_the_bound() -> None:
    # A step of its own (a new Decimal, so a new cache) and one more distinct count than the bound:
    # the cache empties when full, so it holds at most _TEXTS_PER_STEP texts, and after emptying it
    # still prints right (count 64,900 + bound ticks of 0.5 is (64,900 + 4,096) / 2 = 34,498.0).
    step = Decimal("0.5")
    bound = render._TEXTS_PER_STEP
    for count in range(64_900, 64_900 + bound + 1):
        render.steps_text(count, step)
    texts = render._STEP_FORMATS[id(step)][3]
    assert 0 < len(texts) <= bound
    assert render.steps_text(64_900 + bound, step) == "34498.0"


def test_money_prints_what_the_decimal_path_prints() -> None:
    # Hand-worked: 123450000 units of 1e-8 is 1.2345; -5 units is -0.00000005; 10^17 units is 10^9.
    assert (render.money(123_450_000), render.money(-5), render.money(0)) == ("1.2345", "-0.00000005", "0")
    assert render.money(10**17) == "1000000000"
    for amount in [1, -1, 10**8, -(10**8) - 1, 99_999_999, 10**26 + 1, 10**27, 10**35, -(10**35) - 7]:
        assert render.money(amount) == render._plain(amount_to_decimal(amount)), amount


def test_timestamps_match_from_nanoseconds_and_refuse_alike() -> None:
    for ns in [0, 1, 10**9 - 1, 10**9, 1_764_013_613_123_456_789, render._LAST_NS]:
        reference = timestamp_pb2.Timestamp()
        reference.FromNanoseconds(ns)
        assert render.timestamp(ns) == reference
        assert timestamp_pb2.Timestamp(**render.stamp(ns)) == reference
    with pytest.raises(ValueError):
        render.timestamp(render._LAST_NS + 1)  # past year 9999: the checked path refuses it


def _strict_price(text: str) -> int:
    try:
        return BTC.price_to_ticks(text, "price") if text else 0
    except ConversionError as error:
        raise conversion_refusal(error, BTC) from None


def _strict_quantity(text: str) -> int:
    try:
        return BTC.qty_to_lots(text, "quantity") if text else 0
    except ConversionError as error:
        raise conversion_refusal(error, BTC) from None


WIRE_DECIMALS = [
    "", "0", "0.0", "1", "64900.1", "64900.10", "64900.15", "0.001", "0.0015", "0.015", "-1", "+1", "1e3",
    " 1", "1 ", ".5", "5.", "1.2.3", "\u0663", "\u00b2", "1_000", "NaN", "inf", "00064900.1", "9" * 64,
    "9" * 65, "1." + "0" * 62, "1." + "0" * 63, "0.000", "999999999.9", "1000", "1000.001",
]  # fmt: skip


def test_plain_decimals_parse_exactly_as_the_strict_path() -> None:
    # Hand-worked: "64900.1" is 649001 ticks of 0.1; "0.015" is 15 lots of 0.001; "1.25" is not a
    # whole number of ticks, so the fast path declines it (0) and the strict path refuses it.
    assert parse.plain_steps("64900.1", Decimal("0.1")) == 649_001
    assert parse.plain_steps("0.015", Decimal("0.001")) == 15
    assert parse.plain_steps("1.25", Decimal("0.1")) == 0
    for text in WIRE_DECIMALS:
        assert _outcome(parse.price, BTC, text, "price") == _outcome(_strict_price, text), text
        assert _outcome(parse.quantity, BTC, text) == _outcome(_strict_quantity, text), text


def test_compiled_encoders_write_the_generic_text() -> None:
    commands: list[tape.ExchangeCommand] = [
        PlaceOrder(account_id=3, symbol="BTCUSDT", side=Side.SELL, order_type=OrderType.LIMIT, quantity=15,
                   price=649_001, time_in_force=TimeInForce.GTX, client_order_id='q"\\\u2028é', ts=7),
        AmendOrder(account_id=3, symbol="BTCUSDT", order_id=9, quantity=2, ts=8),
        CancelOrder(account_id=3, symbol="BTCUSDT", client_order_id="c-1", ts=9),
        OpenAccount(name="名前 \x00\t", key_hash="ab", deposit=10**20, ts=10),
        SetMarkPrice(symbol="BTCUSDT", price=649_000, ts=11),
    ]  # fmt: skip
    assert tape.encode(commands[4]) == '["SetMarkPrice",{"symbol":"BTCUSDT","price":649000,"ts":11}]'
    for command in commands:
        assert tape.encode(command) == tape.encode_generic(command)
        assert tape.decode(tape.encode(command)) == command
    odd = SetMarkPrice(symbol="BTCUSDT", price=True, ts=1)  # a value of another type than declared
    assert tape.encode(odd) == tape.encode_generic(odd) == '["SetMarkPrice",{"symbol":"BTCUSDT","price":true,"ts":1}]'


def _trading_exchange() -> Exchange:
    """Two accounts that trade: resting orders, a fill with position changes, an amend, a cancel,
    and a rejection (a post-only buy of 0.002 BTC, 129.8 USDT, that would take at 64,901.0)."""
    exchange = Exchange(DEFAULT_INSTRUMENTS)
    ts = 1_700_000_000_000_000_000
    commands: list[Any] = [
        SetMarkPrice(symbol="BTCUSDT", price=649_000),
        OpenAccount(name="maker", key_hash="m", deposit=10**13),
        OpenAccount(name="taker", key_hash="t", deposit=10**13),
        PlaceOrder(account_id=1, symbol="BTCUSDT", side=Side.SELL, order_type=OrderType.LIMIT, quantity=20,
                   price=649_010),
        PlaceOrder(account_id=1, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT, quantity=5,
                   price=648_990),
        PlaceOrder(account_id=2, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.MARKET, quantity=7),
        AmendOrder(account_id=1, symbol="BTCUSDT", order_id=2, quantity=3),
        PlaceOrder(account_id=2, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT, quantity=2,
                   price=649_010, time_in_force=TimeInForce.GTX),
        CancelOrder(account_id=1, symbol="BTCUSDT", order_id=1),
    ]  # fmt: skip
    for command in commands:
        ts += 1_000
        command.ts = ts
        exchange.apply(command)
    return exchange


def _rendered(events: list[Any] | None) -> list[Any]:
    assert events is not None
    return [user_event(event, DEFAULT_INSTRUMENTS) for event in events]


def test_user_events_are_kept_as_values_and_render_the_same_after_a_snapshot() -> None:
    exchange = _trading_exchange()
    maker_log = exchange.user_events[1]
    assert isinstance(maker_log, UserEventLog)
    assert {type(event) for event in maker_log} <= {OrderUpdate, PositionUpdate, BalanceUpdate}
    # The maker saw: accepted (sell 20), accepted (buy 5), filled (sell, 7 of 20), position change,
    # amended (buy 5 -> 3), canceled (sell, 13 left): the order states at those moments.
    restored = decode_exchange(encode_exchange(exchange))
    events = _rendered(exchange.events_after(1, 0, 0))
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds[:3] == ["balance_changed", "order_accepted", "order_accepted"]  # the deposit first
    assert "order_filled" in kinds and "position_changed" in kinds
    assert kinds[-2:] == ["order_amended", "order_canceled"]
    accepted, filled = events[1].order_accepted.order, events[kinds.index("order_filled")]
    assert (accepted.filled_quantity, accepted.status) == ("0.000", render.STATUSES[OrderStatus.NEW])
    assert (filled.order_filled.order.filled_quantity, filled.order_filled.fill.quantity) == ("0.007", "0.007")
    assert events[-1].order_canceled.order.filled_quantity == "0.007"
    # The snapshot kept the values, which render to the very same events.
    assert _rendered(restored.events_after(1, 0, 0)) == events
    assert restored.user_events[1] is not maker_log
    last = events[-1].cursor
    assert exchange.last_cursor(1) == maker_log.last_cursor() == (last.sequence, last.index)
    middle = events[len(events) // 2].cursor
    assert _rendered(restored.user_events[1].after(middle.sequence, middle.index)) == events[len(events) // 2 + 1 :]
    assert _rendered(restored.user_events[1].after(0, 0)) == events


def test_the_taker_sees_its_rejection_with_its_reason() -> None:
    events = _rendered(_trading_exchange().events_after(2, 0, 0))
    rejected = [event.order_rejected for event in events if event.WhichOneof("event") == "order_rejected"]
    assert [r.rejection.reason for r in rejected] == [errors_pb2.REJECT_REASON_POST_ONLY_WOULD_TAKE]


class _CountingHub(Hub[Any]):
    """A hub that remembers what the sequencer published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[Any, Any]] = []

    def publish(self, topic: Any, item: Any) -> None:
        self.published.append((topic, item))
        super().publish(topic, item)


async def test_the_writer_publishes_the_values_it_keeps_and_renders_nothing(tmp_path: Path) -> None:
    """Every command's stream values are published as they are, the very objects the user-event logs keep:
    the core renders nothing, so a topic nobody follows costs no rendering; an adapter renders what its
    subscriber reads."""
    hub = _CountingHub()
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    checkpoints = Checkpointer(str(tmp_path / "journal.db"), Durability.OFF, partial(Exchange, DEFAULT_INSTRUMENTS))
    exchange = Exchange(DEFAULT_INSTRUMENTS)
    sequencer = Sequencer(exchange, journal, WallClock(), hub, checkpoints)
    sequencer.start()
    try:
        await sequencer.submit_one(SetMarkPrice(symbol="BTCUSDT", price=649_000))
        for name in ("a", "b"):
            await sequencer.submit_one(OpenAccount(name=name, key_hash=name, deposit=10**13))
        subscription = hub.subscribe(user_topic(1), capacity=100)
        for account_id in (1, 2):
            order = PlaceOrder(account_id=account_id, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT,
                               quantity=5, price=648_990)  # fmt: skip
            await sequencer.submit_one(order)
        received = await asyncio.wait_for(subscription.__anext__(), 5)
        subscription.unsubscribe()
    finally:
        await sequencer.stop()
        journal.close()
    assert not any(isinstance(item, Message) for _, item in hub.published)
    user = [(topic, item) for topic, item in hub.published if topic[0] == "user"]
    # each account's deposit, then its order's acceptance: the values its log keeps, one for one
    assert [topic for topic, _ in user] == [user_topic(1), user_topic(2), user_topic(1), user_topic(2)]
    for account_id in (1, 2):
        assert [item for topic, item in user if topic == user_topic(account_id)] == list(
            exchange.user_events[account_id]
        )
    assert received is exchange.user_events[1][-1]
    assert (type(received), received.kind) == (OrderUpdate, OrderAccepted)
    first, second = [item for topic, item in hub.published if topic == ("book", "BTCUSDT")]
    # the level at 64,899.0 holds 0.005 BTC in one order, then 0.010 in two
    assert first == BookUpdate("BTCUSDT", 1, 1, first.ts, [(Side.BUY, 648_990, 5, 1)])
    assert second == BookUpdate("BTCUSDT", 2, 2, second.ts, [(Side.BUY, 648_990, 10, 2)])
