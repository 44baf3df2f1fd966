"""Reduce-only orders: never open or grow a position; capped at the position when taking; resting ones
shrink (newest first, keeping their place) or expire when the position shrinks or flips."""

import pytest

from paperex.engine.commands import AmendOrder
from paperex.engine.events import OrderAccepted, OrderAmended, OrderExpired, OrderTriggered
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.reasons import EndReason, RejectReason

from .scenario import (
    ALICE,
    BOB,
    BTC,
    CAROL,
    PX,
    assert_rejected,
    book,
    ends,
    levels,
    limit,
    mark,
    market,
    new_engine,
    of,
    only,
    open_position,
    order,
    queue,
    run,
    trades,
)


def _engine_with_position(lots):
    engine = new_engine()
    if lots:
        open_position(engine, BOB, lots)
    return engine


@pytest.mark.parametrize(
    ("position", "command"),
    [
        (0, limit(BOB, Side.SELL, PX, 1_000, reduce_only=True)),
        (0, market(BOB, Side.BUY, 1_000, reduce_only=True)),
        (1_000, limit(BOB, Side.BUY, PX - 10, 500, reduce_only=True)),
        (1_000, market(BOB, Side.BUY, 500, reduce_only=True)),
        (-1_000, limit(BOB, Side.SELL, PX + 10, 500, reduce_only=True)),
        (0, order(BOB, Side.SELL, OrderType.STOP_MARKET, quantity=1_000, stop_price=640_000, reduce_only=True)),
        (1_000, order(BOB, Side.BUY, OrderType.STOP_MARKET, quantity=500, stop_price=660_000, reduce_only=True)),
    ],
    ids=["flat-limit", "flat-market", "long-buy", "long-market-buy", "short-sell", "flat-stop", "long-buy-stop"],
)
def test_reduce_only_that_would_open_or_grow_is_rejected(position, command):
    engine = _engine_with_position(position)

    assert_rejected(engine, command, RejectReason.REDUCE_ONLY_WOULD_INCREASE)


def test_reduce_only_market_takes_at_most_the_position():
    """Long 1.0; bid 2.0 @ 64,899.0; a reduce-only market sell of 1.5 sells 1.0 and the 0.5 left expires
    with REDUCE_ONLY; BOB is flat and 1.0 of the bid is left."""
    engine = _engine_with_position(1_000)
    run(engine, limit(ALICE, Side.BUY, 648_990, 2_000))

    events = run(engine, market(BOB, Side.SELL, 1_500, reduce_only=True))

    assert [(price, qty) for (_, _, price, qty) in trades(events)] == [(648_990, 1_000)]
    assert ends(events) == [(4, 500, EndReason.REDUCE_ONLY)]
    assert engine.position(BOB, BTC).size == 0
    assert book(engine) == ([(648_990, 1_000, 1)], [])


def test_reduce_only_limit_rests_only_what_the_position_still_allows():
    """Long 2.0; bid 1.0 @ P; reduce-only sell 3.0 @ P sells 1.0, and of the 2.0 left only 1.0 can still
    close: the order shrinks in place to total 2.0 (1.0 filled + 1.0 resting)."""
    engine = _engine_with_position(2_000)
    run(engine, limit(ALICE, Side.BUY, PX, 1_000))

    events = run(engine, limit(BOB, Side.SELL, PX, 3_000, reduce_only=True))

    assert [qty for (*_, qty) in trades(events)] == [1_000]
    amended = only(events, OrderAmended)
    assert (amended.order_id, amended.quantity, amended.priority_kept) == (4, 2_000, True)
    assert book(engine) == ([], [(PX, 1_000, 1)])
    assert engine.position(BOB, BTC).size == 1_000


def test_resting_reduce_only_orders_shrink_newest_first_then_expire():
    """Long 2.0 with reduce-only asks #4 1.0 @ 65,000.0 (older) and #5 1.0 @ 65,100.0 (newer). Selling
    0.5 elsewhere leaves 1.5 to close: #5 shrinks to 0.5 in place. Another 0.5: #5 expires. The last 1.0:
    #4 expires too."""
    engine = _engine_with_position(2_000)
    run(
        engine,
        limit(ALICE, Side.BUY, 648_000, 2_000),
        limit(BOB, Side.SELL, 650_000, 1_000, reduce_only=True),
        limit(BOB, Side.SELL, 651_000, 1_000, reduce_only=True),
    )

    events = run(engine, market(BOB, Side.SELL, 500))
    amended = only(events, OrderAmended)
    assert (amended.order_id, amended.quantity, amended.priority_kept) == (5, 500, True)
    assert (Side.SELL, 651_000, 500, 1) in levels(events)

    events = run(engine, market(BOB, Side.SELL, 500))
    expired = only(events, OrderExpired)
    assert (expired.order_id, expired.remaining, expired.reason) == (5, 500, EndReason.REDUCE_ONLY)
    assert book(engine)[1] == [(650_000, 1_000, 1)]

    events = run(engine, market(BOB, Side.SELL, 1_000))
    assert ends(events) == [(4, 1_000, EndReason.REDUCE_ONLY)]
    assert engine.position(BOB, BTC).size == 0
    assert book(engine)[1] == []


def test_new_reduce_only_order_beyond_what_older_ones_cover_expires_at_once():
    """Long 1.0, reduce-only ask #3 1.0 already covers it: a new reduce-only ask is accepted, then expires
    in the same command (newest first)."""
    engine = _engine_with_position(1_000)
    run(engine, limit(BOB, Side.SELL, 650_000, 1_000, reduce_only=True))

    events = run(engine, limit(BOB, Side.SELL, 651_000, 500, reduce_only=True))

    assert only(events, OrderAccepted).order_id == 4
    assert ends(events) == [(4, 500, EndReason.REDUCE_ONLY)]
    assert queue(engine, Side.SELL) == [[3]]


def test_position_flip_expires_reduce_only_orders_on_the_wrong_side():
    """Long 1.0 with a reduce-only ask; selling 2.0 makes BOB short 1.0, where a sell can only add."""
    engine = _engine_with_position(1_000)
    run(engine, limit(ALICE, Side.BUY, 648_000, 2_000), limit(BOB, Side.SELL, 650_000, 1_000, reduce_only=True))

    events = run(engine, market(BOB, Side.SELL, 2_000))

    assert engine.position(BOB, BTC).size == -1_000
    assert ends(events) == [(4, 1_000, EndReason.REDUCE_ONLY)]
    assert book(engine)[1] == []


def test_reduce_only_maker_is_skipped_once_earlier_fills_closed_the_position():
    """Long 1.0; BOB offers 1.0 @ 65,000.0 (plain) and 1.0 @ 65,001.0 (reduce-only). CAROL buys 2.0 @
    65,001.0: the plain ask fills first and leaves BOB flat, so the reduce-only ask expires mid-walk and
    CAROL rests 1.0. A FOK for the same 2.0 is refused: its dry run sees the same 1.0."""
    engine = _engine_with_position(1_000)
    run(engine, limit(BOB, Side.SELL, 650_000, 1_000), limit(BOB, Side.SELL, 650_010, 1_000, reduce_only=True))

    fok = limit(CAROL, Side.BUY, 650_010, 2_000, time_in_force=TimeInForce.FOK)
    assert_rejected(engine, fok, RejectReason.FOK_NOT_FILLABLE)

    events = run(engine, limit(CAROL, Side.BUY, 650_010, 2_000))

    assert trades(events) == [(3, 5, 650_000, 1_000)]
    assert ends(events) == [(4, 1_000, EndReason.REDUCE_ONLY)]
    assert book(engine) == ([(650_010, 1_000, 1)], [])


def test_reduce_only_is_exempt_from_min_notional():
    """0.001 BTC @ 65,100.0 is 65.1 USDT < 100: refused as a plain order, accepted as reduce-only."""
    engine = _engine_with_position(1_000)

    assert_rejected(engine, limit(BOB, Side.SELL, 651_000, 1), RejectReason.MIN_NOTIONAL)
    assert only(run(engine, limit(BOB, Side.SELL, 651_000, 1, reduce_only=True)), OrderAccepted).quantity == 1


def test_amending_a_reduce_only_order_to_cross_and_grow_closes_the_position():
    """Long 1.0, reduce-only ask #3 1.0 @ 66,000.0, CAROL bids 1.0 @ 64,800.0. Amending #3 to 2.0 @
    64,800.0 can sell only 1.0 (the position): it trades 1.0 and the rest expires; BOB is flat."""
    engine = _engine_with_position(1_000)
    run(engine, limit(BOB, Side.SELL, 660_000, 1_000, reduce_only=True), limit(CAROL, Side.BUY, 648_000, 1_000))

    events = run(engine, AmendOrder(account_id=BOB, symbol=BTC, order_id=3, price=648_000, quantity=2_000))

    assert trades(events) == [(4, 3, 648_000, 1_000)]
    assert engine.position(BOB, BTC).size == 0
    assert engine.order(3) is None
    assert [e.reason for e in of(events, OrderExpired)] == [EndReason.REDUCE_ONLY]
    assert book(engine) == ([], [])


@pytest.mark.parametrize(
    ("position_at_trigger", "sold", "expired"),
    [(0, [], 1_000), (400, [400], 600)],
    ids=["flat", "smaller-position"],
)
def test_reduce_only_stop_fires_for_what_is_left_of_the_position(position_at_trigger, sold, expired):
    """Long 1.0 and a reduce-only sell stop #3 for 1.0 at 64,800.0. Before the mark gets there BOB sells
    down to ``position_at_trigger``: the fired stop sells at most that and the rest expires REDUCE_ONLY."""
    engine = _engine_with_position(1_000)
    run(
        engine,
        mark(PX),
        order(BOB, Side.SELL, OrderType.STOP_MARKET, quantity=1_000, stop_price=648_000, reduce_only=True),
        limit(ALICE, Side.BUY, 647_000, 2_000),
        market(BOB, Side.SELL, 1_000 - position_at_trigger),
    )

    events = run(engine, mark(648_000))

    assert only(events, OrderTriggered).order_id == 3
    assert [qty for (_, taker, _, qty) in trades(events) if taker == 3] == sold
    assert ends(events) == [(3, expired, EndReason.REDUCE_ONLY)]
    assert engine.position(BOB, BTC).size == 0
