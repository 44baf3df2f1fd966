"""FOK (all or nothing, decided before anything changes) and GTX (post-only)."""

import pytest

from paperex.engine.events import OrderAccepted, OrderExpired, OrderFilled
from paperex.engine.orders import OrderStatus, Side, TimeInForce
from paperex.engine.reasons import RejectReason

from .scenario import ALICE, BOB, CAROL, PX, assert_rejected, book, levels, limit, new_engine, of, only, run, trades

FOK, GTX = TimeInForce.FOK, TimeInForce.GTX


def _three_asks():
    """Asks #1 0.5 @ 64,900.0, #2 0.5 @ 64,900.5, #3 1.0 @ 64,901.0: 1.0 within 649,005, 2.0 in all."""
    return new_engine(
        limit(ALICE, Side.SELL, PX, 500),
        limit(CAROL, Side.SELL, PX + 5, 500),
        limit(ALICE, Side.SELL, PX + 10, 1_000),
    )


@pytest.mark.parametrize(
    ("price", "quantity"),
    [
        (PX + 5, 1_001),  # 1.0 available up to 649,005: one lot short after walking two levels
        (PX + 10, 2_500),  # the whole book (2.0) is not enough
    ],
)
def test_fok_that_cannot_fill_is_rejected_and_changes_nothing(price, quantity):
    engine = _three_asks()

    assert_rejected(engine, limit(BOB, Side.BUY, price, quantity, time_in_force=FOK), RejectReason.FOK_NOT_FILLABLE)

    assert book(engine) == ([], [(PX, 500, 1), (PX + 5, 500, 1), (PX + 10, 1_000, 1)])


def test_fok_that_fills_exactly_takes_two_levels_and_leaves_the_third():
    engine = _three_asks()

    events = run(engine, limit(BOB, Side.BUY, PX + 5, 1_000, time_in_force=FOK))

    assert trades(events) == [(1, 4, PX, 500), (2, 4, PX + 5, 500)]
    taker = [f for f in of(events, OrderFilled) if not f.is_maker]
    assert (taker[-1].filled, taker[-1].status) == (1_000, OrderStatus.FILLED)
    assert of(events, OrderExpired) == []
    assert levels(events) == {(Side.SELL, PX, 0, 0), (Side.SELL, PX + 5, 0, 0)}
    assert book(engine) == ([], [(PX + 10, 1_000, 1)])


def test_fok_sell_mirrors_the_buy():
    """Bids 0.5 @ P and 0.5 @ P - 5: a FOK sell of 1.0 limited at P - 5 fills; 1.001 would not."""
    engine = new_engine(limit(ALICE, Side.BUY, PX, 500), limit(CAROL, Side.BUY, PX - 5, 500))

    assert_rejected(engine, limit(BOB, Side.SELL, PX - 5, 1_001, time_in_force=FOK), RejectReason.FOK_NOT_FILLABLE)
    events = run(engine, limit(BOB, Side.SELL, PX - 5, 1_000, time_in_force=FOK))

    assert trades(events) == [(1, 3, PX, 500), (2, 3, PX - 5, 500)]


@pytest.mark.parametrize("side", list(Side))
def test_post_only_at_the_touch_is_rejected(side):
    """Best opposite price P: a GTX at P would take, so it is refused and the book is unchanged."""
    engine = new_engine(limit(ALICE, side.opposite, PX, 1_000))

    assert_rejected(engine, limit(BOB, side, PX, 1_000, time_in_force=GTX), RejectReason.POST_ONLY_WOULD_TAKE)


@pytest.mark.parametrize("side", list(Side))
def test_post_only_one_tick_away_rests(side):
    """One tick passive of the touch (P - 1 for a buy, P + 1 for a sell) rests as a maker."""
    engine = new_engine(limit(ALICE, side.opposite, PX, 1_000))
    price = PX - side

    events = run(engine, limit(BOB, side, price, 1_000, time_in_force=GTX))

    assert only(events, OrderAccepted).time_in_force is GTX
    assert trades(events) == []
    assert levels(events) == {(side, price, 1_000, 1)}


def test_post_only_into_an_empty_book_rests():
    engine = new_engine()

    events = run(engine, limit(BOB, Side.BUY, PX, 1_000, time_in_force=GTX))

    assert book(engine) == ([(PX, 1_000, 1)], [])
    assert trades(events) == []
