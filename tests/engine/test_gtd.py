"""GTD: an order that expires at ``expire_at`` (ns). The engine has no clock: time moves only with a
command's ``ts`` (never backwards) or AdvanceTime, and due orders expire before the command acts."""

import pytest

from paperex.engine.commands import AdvanceTime, AmendOrder, CancelOrder
from paperex.engine.events import MarkPriceChanged, OrderAccepted, OrderExpired
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.state import EXPIRIES_SWEPT_FROM

from .scenario import (
    ALICE,
    BOB,
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
    order,
    run,
    trades,
)

GTD = TimeInForce.GTD
T0 = 1_000_000_000  # 1 s after the epoch, in ns
EXPIRY = T0 + 60_000_000_000  # one minute later


def _gtd_ask(quantity=1_000):
    return limit(ALICE, Side.SELL, PX, quantity, time_in_force=GTD, expire_at=EXPIRY, ts=T0)


def test_gtd_order_rests_until_its_expiry_and_then_expires():
    engine = new_engine(_gtd_ask())

    assert run(engine, AdvanceTime(ts=EXPIRY - 1)) == []
    assert book(engine) == ([], [(PX, 1_000, 1)])

    events = run(engine, AdvanceTime(ts=EXPIRY))

    expired = only(events, OrderExpired)
    assert (expired.order_id, expired.remaining, expired.reason) == (1, 1_000, EndReason.GTD_EXPIRED)
    assert levels(events) == {(Side.SELL, PX, 0, 0)}
    assert engine.order(1) is None


def test_any_later_command_expires_due_orders_before_it_acts():
    """A market buy stamped at the expiry finds the GTD ask already gone: the expiry comes first in the
    events, and the buy expires for lack of liquidity instead of trading."""
    engine = new_engine(mark(PX), _gtd_ask())

    events = run(engine, market(BOB, Side.BUY, 1_000, ts=EXPIRY))

    assert [type(e) for e in events][:2] == [OrderExpired, OrderAccepted]
    assert trades(events) == []
    assert [(e.order_id, e.reason) for e in of(events, OrderExpired)] == [
        (1, EndReason.GTD_EXPIRED),
        (2, EndReason.NO_LIQUIDITY),
    ]


def test_partially_filled_gtd_order_expires_its_remainder():
    engine = new_engine(_gtd_ask(), limit(BOB, Side.BUY, PX, 400, ts=T0))

    events = run(engine, AdvanceTime(ts=EXPIRY))

    assert ends(events) == [(1, 600, EndReason.GTD_EXPIRED)]


def test_a_command_without_ts_does_not_move_time_back():
    """After AdvanceTime(EXPIRY - 1), a command stamped 0 leaves time at EXPIRY - 1: the order survives,
    and an AdvanceTime to EXPIRY still expires it."""
    engine = new_engine(_gtd_ask(), AdvanceTime(ts=EXPIRY - 1))

    run(engine, limit(BOB, Side.BUY, PX - 10, 1_000, ts=0))
    assert engine.now == EXPIRY - 1
    assert engine.order(1) is not None

    assert only(run(engine, AdvanceTime(ts=EXPIRY)), OrderExpired).order_id == 1


@pytest.mark.parametrize("expire_at", [T0, T0 - 1])
def test_expire_at_not_after_now_is_rejected(expire_at):
    engine = new_engine(AdvanceTime(ts=T0))

    command = limit(BOB, Side.BUY, PX, 1_000, time_in_force=GTD, expire_at=expire_at, ts=T0)
    assert_rejected(engine, command, RejectReason.INVALID_EXPIRE_TIME)


@pytest.mark.parametrize(
    ("time_in_force", "expire_at"),
    [(GTD, 0), (TimeInForce.GTC, EXPIRY), (TimeInForce.IOC, EXPIRY)],
    ids=["gtd-without-expiry", "gtc-with-expiry", "ioc-with-expiry"],
)
def test_expire_at_goes_with_gtd_only(time_in_force, expire_at):
    engine = new_engine()

    command = limit(BOB, Side.BUY, PX, 1_000, time_in_force=time_in_force, expire_at=expire_at)
    assert_rejected(engine, command, RejectReason.INVALID_EXPIRE_TIME)


def test_untriggered_gtd_stop_expires_and_no_longer_fires():
    """A GTD sell stop at 64,800.0 (mark 64,900.0) expires at EXPIRY; a later mark at the stop fires nothing."""
    engine = new_engine(
        mark(PX),
        order(
            BOB,
            Side.SELL,
            OrderType.STOP_MARKET,
            quantity=1_000,
            stop_price=648_000,
            time_in_force=GTD,
            expire_at=EXPIRY,
            ts=T0,
        ),
    )

    assert only(run(engine, AdvanceTime(ts=EXPIRY)), OrderExpired).reason is EndReason.GTD_EXPIRED
    assert [type(e) for e in run(engine, mark(648_000))] == [MarkPriceChanged]
    assert engine.open_orders(BOB, "BTCUSDT") == []


def test_amended_gtd_order_keeps_its_expiry():
    """Re-pricing sends the order to the back of a new level but does not change when it expires."""
    engine = new_engine(_gtd_ask(), AmendOrder(account_id=ALICE, symbol="BTCUSDT", order_id=1, price=PX + 10))

    events = run(engine, AdvanceTime(ts=EXPIRY))

    assert (only(events, OrderExpired).order_id, levels(events)) == (1, {(Side.SELL, PX + 10, 0, 0)})


def test_canceled_gtd_order_does_not_expire_again():
    engine = new_engine(_gtd_ask(), CancelOrder(account_id=ALICE, symbol="BTCUSDT", order_id=1))

    assert run(engine, AdvanceTime(ts=EXPIRY)) == []


def test_cancelled_gtd_orders_leave_no_lasting_trace_and_the_open_ones_still_expire():
    """An ended GTD order's expiry entry is swept out once enough pile up, however far its expiry."""
    far = T0 + 365 * 24 * 3600 * 10**9  # a year ahead: without the sweep every entry stays that long
    engine = new_engine()
    kept = run(engine, limit(ALICE, Side.SELL, PX + 1, 1_000, time_in_force=GTD, expire_at=EXPIRY, ts=T0))
    kept_id = only(kept, OrderAccepted).order_id
    for _ in range(5_000):
        placed = run(engine, limit(ALICE, Side.SELL, PX, 1_000, time_in_force=GTD, expire_at=far, ts=T0))
        run(
            engine,
            CancelOrder(
                account_id=ALICE, symbol=placed[0].symbol, order_id=only(placed, OrderAccepted).order_id, ts=T0
            ),
        )

    assert len(engine.state.expiries) <= 2 * EXPIRIES_SWEPT_FROM
    expired = only(run(engine, AdvanceTime(ts=EXPIRY)), OrderExpired)
    assert expired.order_id == kept_id
