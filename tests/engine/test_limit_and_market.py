"""LIMIT resting and crossing, price-time priority across levels, MARKET orders and the price band."""

import pytest

from paperex.engine.events import OrderAccepted, OrderExpired, OrderFilled, TradeExecuted
from paperex.engine.orders import OrderStatus, Side, TimeInForce
from paperex.engine.reasons import EndReason, RejectReason

from .scenario import (
    ALICE,
    BOB,
    BTC,
    CAROL,
    DAVE,
    PX,
    UNIT,
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
    queue,
    run,
    trades,
)


@pytest.mark.parametrize("side", list(Side))
def test_limit_that_does_not_cross_rests(side):
    engine = new_engine(limit(ALICE, side.opposite, PX + side * 10, 1_000))

    events = run(engine, limit(BOB, side, PX, 1_000))

    assert only(events, OrderAccepted).order_id == 2
    assert trades(events) == []
    assert levels(events) == {(side, PX, 1_000, 1)}
    bids, asks = book(engine)
    assert (bids if side is Side.BUY else asks) == [(PX, 1_000, 1)]
    assert engine.position(BOB, BTC).size == 0


def test_crossing_limit_trades_at_the_maker_price_and_rests_the_rest():
    """Ask 0.5 @ 64,900.0; buy 1.0 @ 64,901.0 trades 0.5 @ 64,900.0 (the maker's price) and rests 0.5
    @ 64,901.0. Entry notional 500 lots x 649,000 ticks x 10,000 = 3,245,000,000,000 (32,450 USDT)."""
    engine = new_engine(limit(ALICE, Side.SELL, PX, 500))

    events = run(engine, limit(BOB, Side.BUY, 649_010, 1_000))

    assert trades(events) == [(1, 2, PX, 500)]
    assert levels(events) == {(Side.SELL, PX, 0, 0), (Side.BUY, 649_010, 500, 1)}
    taker_fill = [f for f in of(events, OrderFilled) if not f.is_maker]
    assert [(f.filled, f.remaining, f.status) for f in taker_fill] == [(500, 500, OrderStatus.PARTIALLY_FILLED)]
    assert book(engine) == ([(649_010, 500, 1)], [])
    assert engine.position(BOB, BTC).size == 500
    assert engine.position(BOB, BTC).entry_notional == 3_245_000_000_000
    assert engine.position(ALICE, BTC).size == -500


@pytest.mark.parametrize("side", list(Side))
def test_taker_walks_levels_in_price_then_time_order(side):
    """Makers on the opposite side: #1 0.3 @ P, #2 0.4 @ P (same level, later), #3 1.0 @ P one half-dollar
    worse (5 ticks), #4 1.0 @ P 10 ticks worse. A 1.0 taker limited at the third level fills #1 0.3, #2 0.4,
    then #3 0.3, and never reaches #4.
    Entry notional = (700 x P + 300 x (P -/+ 5)) x 10,000; for a buy (700 x 649,000 + 300 x 649,005) x 10,000
    = 649,001,500 x 10,000 (64,900.15 USDT per BTC)."""
    worse = int(side)  # worse for the taker: higher for a buyer, lower for a seller
    engine = new_engine(
        limit(ALICE, side.opposite, PX, 300),
        limit(CAROL, side.opposite, PX, 400),
        limit(ALICE, side.opposite, PX + worse * 5, 1_000),
        limit(CAROL, side.opposite, PX + worse * 10, 1_000),
    )

    events = run(engine, limit(BOB, side, PX + worse * 5, 1_000))

    assert trades(events) == [(1, 5, PX, 300), (2, 5, PX, 400), (3, 5, PX + worse * 5, 300)]
    assert [f.status for f in of(events, OrderFilled) if not f.is_maker][-1] is OrderStatus.FILLED
    assert levels(events) == {(side.opposite, PX, 0, 0), (side.opposite, PX + worse * 5, 700, 1)}
    assert queue(engine, side.opposite) == [[3], [4]]
    assert engine.position(BOB, BTC).size == side * 1_000
    assert engine.position(BOB, BTC).entry_notional == (700 * PX + 300 * (PX + worse * 5)) * UNIT


def test_partial_fill_keeps_the_head_of_the_queue():
    """FIFO within a level: a 0.2 taker takes 0.2 of the first maker (#1, 1.0), which keeps its place
    ahead of #2; the level shows 1.8 in 2 orders."""
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000), limit(CAROL, Side.SELL, PX, 1_000))

    events = run(engine, limit(BOB, Side.BUY, PX, 200))

    assert trades(events) == [(1, 3, PX, 200)]
    assert levels(events) == {(Side.SELL, PX, 1_800, 2)}
    assert queue(engine, Side.SELL) == [[1, 2]]
    assert engine.order(1).remaining == 800

    events = run(engine, limit(BOB, Side.BUY, PX, 1_000))

    assert trades(events) == [(1, 4, PX, 800), (2, 4, PX, 200)]
    assert queue(engine, Side.SELL) == [[2]]


def test_ioc_remainder_expires_instead_of_resting():
    """Ask 0.4 @ P; IOC buy 1.0 @ P fills 0.4 and the 0.6 left expires; nothing rests on the bid side."""
    engine = new_engine(limit(ALICE, Side.SELL, PX, 400))

    events = run(engine, limit(BOB, Side.BUY, PX, 1_000, time_in_force=TimeInForce.IOC))

    assert trades(events) == [(1, 2, PX, 400)]
    expired = only(events, OrderExpired)
    assert (expired.order_id, expired.remaining, expired.reason) == (2, 600, EndReason.IOC_REMAINDER)
    assert book(engine) == ([], [])
    assert engine.order(2) is None


def test_ioc_that_does_not_cross_expires_whole():
    engine = new_engine(limit(ALICE, Side.SELL, PX + 1, 400))

    events = run(engine, limit(BOB, Side.BUY, PX, 1_000, time_in_force=TimeInForce.IOC))

    assert trades(events) == []
    assert ends(events) == [(2, 1_000, EndReason.IOC_REMAINDER)]
    assert book(engine) == ([], [(PX + 1, 400, 1)])


def test_market_walks_levels_until_filled():
    """Asks 0.5 @ 64,900.0, 0.5 @ 64,950.0, 1.0 @ 65,000.0 (mark 64,900.0, band up to 68,145.0):
    a 1.2 market buy fills 0.5 + 0.5 + 0.2 and leaves 0.8 @ 65,000.0."""
    engine = new_engine(
        mark(PX),
        limit(ALICE, Side.SELL, PX, 500),
        limit(ALICE, Side.SELL, 649_500, 500),
        limit(ALICE, Side.SELL, 650_000, 1_000),
    )

    events = run(engine, market(BOB, Side.BUY, 1_200))

    assert trades(events) == [(1, 4, PX, 500), (2, 4, 649_500, 500), (3, 4, 650_000, 200)]
    assert of(events, OrderExpired) == []
    assert book(engine) == ([], [(650_000, 800, 1)])
    assert engine.position(BOB, BTC).entry_notional == (500 * PX + 500 * 649_500 + 200 * 650_000) * UNIT


def _with_last(price):
    """DAVE and CAROL trade 0.002 at ``price`` (0.002 x 62,000 = 124 USDT >= 100), setting the last price."""
    return [limit(DAVE, Side.SELL, price, 2), limit(CAROL, Side.BUY, price, 2)]


@pytest.mark.parametrize(
    ("setup", "asks", "filled_prices"),
    [
        # mark 63,000.0 wins over the last (64,900.0) and the book: band 630,000 x 1.05 = 661,500.
        ([*_with_last(PX), mark(630_000)], [PX, 661_500, 661_501], [PX, 661_500]),
        # no mark: last 62,000.0 wins over the best ask: band 620,000 x 1.05 = 651,000.
        (_with_last(620_000), [PX, 651_000, 651_001], [PX, 651_000]),
        # no mark, no trade yet: best ask at arrival 64,900.0: band 649,000 x 1.05 = 681,450.
        ([], [PX, 681_450, 681_451], [PX, 681_450]),
    ],
    ids=["mark", "last", "best-ask"],
)
def test_market_buy_stops_at_the_price_band(setup, asks, filled_prices):
    """Three asks of 0.5; a 1.5 market buy fills the two within 5% of the reference (the band edge itself
    included) and the last 0.5 expires with MARKET_PRICE_BAND, leaving the out-of-band ask untouched."""
    engine = new_engine(*setup, *(limit(ALICE, Side.SELL, price, 500) for price in asks))

    events = run(engine, market(BOB, Side.BUY, 1_500))

    assert [t.price for t in of(events, TradeExecuted)] == filled_prices
    expired = only(events, OrderExpired)
    assert (expired.remaining, expired.reason) == (500, EndReason.MARKET_PRICE_BAND)
    assert book(engine)[1] == [(asks[2], 500, 1)]


def test_market_sell_band_rounds_inward():
    """Mark 64,900.1 (649,001 ticks): 95% is 616,550.95 ticks, so the lowest allowed bid is 616,551
    (rounded up, towards the mark); the bid at 616,550 is outside the band and stays."""
    engine = new_engine(
        mark(649_001),
        limit(ALICE, Side.BUY, 616_551, 500),
        limit(ALICE, Side.BUY, 616_550, 500),
    )

    events = run(engine, market(BOB, Side.SELL, 1_000))

    assert trades(events) == [(1, 3, 616_551, 500)]
    assert ends(events) == [(3, 500, EndReason.MARKET_PRICE_BAND)]
    assert book(engine)[0] == [(616_550, 500, 1)]


@pytest.mark.parametrize("with_mark", [True, False])
def test_market_into_an_empty_side_expires_no_liquidity(with_mark):
    engine = new_engine(*([mark(PX)] if with_mark else []), limit(ALICE, Side.BUY, PX - 10, 1_000))

    events = run(engine, market(BOB, Side.BUY, 1_000))

    assert only(events, OrderAccepted).order_id == 2
    assert trades(events) == []
    expired = only(events, OrderExpired)
    assert (expired.remaining, expired.reason) == (1_000, EndReason.NO_LIQUIDITY)
    assert engine.order(2) is None


def test_market_that_exhausts_the_book_expires_the_rest_no_liquidity():
    engine = new_engine(mark(PX), limit(ALICE, Side.SELL, PX, 300))

    events = run(engine, market(BOB, Side.BUY, 1_000))

    assert trades(events) == [(1, 2, PX, 300)]
    expired = only(events, OrderExpired)
    assert (expired.remaining, expired.reason) == (700, EndReason.NO_LIQUIDITY)


@pytest.mark.parametrize(
    ("side", "price", "accepted"),
    [
        # mark 64,900.0: a buy may be priced up to 649,000 x 1.05 = 681,450 ticks.
        (Side.BUY, 681_450, True),
        (Side.BUY, 681_451, False),
        # a sell down to 649,000 x 0.95 = 616,550 ticks.
        (Side.SELL, 616_550, True),
        (Side.SELL, 616_549, False),
        # the band is one-sided (as Binance's PERCENT_PRICE): passive prices far away are fine.
        (Side.BUY, 300_000, True),
        (Side.SELL, 1_000_000, True),
    ],
)
def test_limit_price_band_against_the_mark(side, price, accepted):
    engine = new_engine(mark(PX))
    command = limit(BOB, side, price, 1_000)

    if accepted:
        assert only(run(engine, command), OrderAccepted).price == price
    else:
        assert_rejected(engine, command, RejectReason.PRICE_OUT_OF_BAND)


def test_limit_band_is_not_applied_before_any_price_exists():
    """No mark and no trade: a buy at 2x 64,900 is accepted (there is nothing to anchor a band to)."""
    engine = new_engine()

    assert only(run(engine, limit(BOB, Side.BUY, 2 * PX, 1_000)), OrderAccepted).price == 2 * PX
