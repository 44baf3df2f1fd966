"""Conditional orders: stops and take-profits on MARK or LAST, trailing stops, close_position.

Stops fire when the watched price reaches the stop price exactly or passes it: a buy stop and a sell
take-profit on a rise, a sell stop and a buy take-profit on a fall. A stop that would fire at once is
refused (WOULD_IMMEDIATELY_TRIGGER), as Binance refuses it with -2021.
"""

import pytest

from paperex.engine.events import MarkPriceChanged, OrderAccepted, OrderTriggered
from paperex.engine.orders import OrderType, Side, TimeInForce, TriggerBy
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
    new_engine,
    of,
    only,
    open_position,
    order,
    run,
    trades,
)

STOP_MARKET, STOP_LIMIT = OrderType.STOP_MARKET, OrderType.STOP_LIMIT
TP_MARKET, TP_LIMIT = OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT
TRAILING = OrderType.TRAILING_STOP_MARKET
BID, ASK = 647_000, 651_000  # ALICE's liquidity around the 64,900.0 mark


def _market_with_liquidity():
    """Mark 64,900.0; ALICE bids 1.0 @ 64,700.0 (#1) and offers 1.0 @ 65,100.0 (#2)."""
    return new_engine(mark(PX), limit(ALICE, Side.BUY, BID, 1_000), limit(ALICE, Side.SELL, ASK, 1_000))


def stop(order_type, side, stop_price, quantity=1_000, **fields):
    return order(BOB, side, order_type, quantity=quantity, stop_price=stop_price, **fields)


@pytest.mark.parametrize(
    ("order_type", "side", "stop_price", "one_tick_short"),
    [
        (STOP_MARKET, Side.SELL, 648_000, 648_001),  # fires on a fall to 64,800.0
        (STOP_MARKET, Side.BUY, 650_000, 649_999),  # fires on a rise to 65,000.0
        (TP_MARKET, Side.SELL, 650_000, 649_999),  # take profit on a rise
        (TP_MARKET, Side.BUY, 648_000, 648_001),  # take profit on a fall
    ],
)
def test_market_stop_fires_when_the_mark_reaches_the_stop_exactly(order_type, side, stop_price, one_tick_short):
    """One tick short of the stop nothing happens; at the stop the order fires with the mark as trigger
    price and trades 1.0 as a market order against ALICE's opposite quote (bid 64,700.0 / ask 65,100.0,
    both within 5% of the new mark)."""
    engine = _market_with_liquidity()
    run(engine, stop(order_type, side, stop_price))

    assert [type(e) for e in run(engine, mark(one_tick_short))] == [MarkPriceChanged]
    assert engine.order(3) is not None

    events = run(engine, mark(stop_price))

    triggered = only(events, OrderTriggered)
    assert (triggered.order_id, triggered.trigger_price, triggered.quantity) == (3, stop_price, 1_000)
    maker = 1 if side is Side.SELL else 2
    assert trades(events) == [(maker, 3, BID if side is Side.SELL else ASK, 1_000)]
    assert engine.position(BOB, BTC).size == side * 1_000
    assert engine.order(3) is None


@pytest.mark.parametrize(
    ("order_type", "side", "stop_price", "price", "expected_trades", "expected_book"),
    [
        # sell stop at 64,800.0 becomes a sell limit at 64,750.0: above the 64,700.0 bid, so it rests.
        (STOP_LIMIT, Side.SELL, 648_000, 647_500, [], ([(BID, 1_000, 1)], [(647_500, 1_000, 1), (ASK, 1_000, 1)])),
        # buy take-profit at 64,800.0 becomes a buy limit at 65,100.0: crosses the ask and trades.
        (TP_LIMIT, Side.BUY, 648_000, ASK, [(2, 3, ASK, 1_000)], ([(BID, 1_000, 1)], [])),
    ],
)
def test_limit_stop_becomes_a_limit_order_when_fired(
    order_type, side, stop_price, price, expected_trades, expected_book
):
    engine = _market_with_liquidity()
    run(engine, stop(order_type, side, stop_price, price=price))

    events = run(engine, mark(stop_price))

    assert only(events, OrderTriggered).order_id == 3
    assert trades(events) == expected_trades
    assert book(engine) == expected_book


def test_last_price_stop_fires_on_a_trade_at_the_stop():
    """No mark. ALICE bids 0.5 @ 64,850.1, 0.5 @ 64,850.0 and 1.0 @ 64,800.0; BOB's sell stop on LAST at
    64,850.0. CAROL selling into 64,850.1 is a tick short; selling into 64,850.0 fires the stop, whose
    market sell (band from last 648,500: >= 616,075) takes the 64,800.0 bid."""
    engine = new_engine(
        limit(ALICE, Side.BUY, 648_501, 500),
        limit(ALICE, Side.BUY, 648_500, 500),
        limit(ALICE, Side.BUY, 648_000, 1_000),
        stop(STOP_MARKET, Side.SELL, 648_500, trigger_by=TriggerBy.LAST),
    )

    events = run(engine, limit(CAROL, Side.SELL, 648_501, 500))
    assert trades(events) == [(1, 5, 648_501, 500)]
    assert of(events, OrderTriggered) == []

    events = run(engine, limit(CAROL, Side.SELL, 648_500, 500))

    assert (only(events, OrderTriggered).order_id, only(events, OrderTriggered).trigger_price) == (4, 648_500)
    assert trades(events) == [(2, 6, 648_500, 500), (3, 4, 648_000, 1_000)]
    assert book(engine) == ([], [])


def test_mark_stop_ignores_trades_and_last_stop_ignores_the_mark():
    """Mark 64,900.0. BOB's sell stops at 64,850.0: #2 on MARK, #3 on LAST (no trade yet, so LAST has no
    reference and it is accepted). A trade at 64,800.0 fires only #3; the mark then falling to 64,850.0
    fires #2."""
    engine = new_engine(
        mark(PX),
        limit(ALICE, Side.BUY, 648_000, 500),
        stop(STOP_MARKET, Side.SELL, 648_500, quantity=2),
        stop(STOP_MARKET, Side.SELL, 648_500, quantity=2, trigger_by=TriggerBy.LAST),
    )

    events = run(engine, limit(CAROL, Side.SELL, 648_000, 400))
    assert [e.order_id for e in of(events, OrderTriggered)] == [3]

    events = run(engine, mark(648_500))
    assert [e.order_id for e in of(events, OrderTriggered)] == [2]


@pytest.mark.parametrize(
    ("order_type", "side", "stop_price"),
    [
        (STOP_MARKET, Side.SELL, PX),  # at the mark
        (STOP_MARKET, Side.SELL, PX + 10),  # already through it
        (STOP_MARKET, Side.BUY, PX),
        (STOP_MARKET, Side.BUY, PX - 10),
        (TP_MARKET, Side.SELL, PX),
        (TP_MARKET, Side.SELL, PX - 10),
        (TP_MARKET, Side.BUY, PX),
        (TP_MARKET, Side.BUY, PX + 10),
        (STOP_LIMIT, Side.SELL, PX + 10),
        (TP_LIMIT, Side.BUY, PX + 10),
    ],
)
def test_stop_that_would_fire_at_once_is_rejected(order_type, side, stop_price):
    engine = new_engine(mark(PX))
    price = {"price": PX} if order_type in (STOP_LIMIT, TP_LIMIT) else {}

    assert_rejected(engine, stop(order_type, side, stop_price, **price), RejectReason.WOULD_IMMEDIATELY_TRIGGER)


@pytest.mark.parametrize(("trigger_by", "accepted"), [(TriggerBy.MARK, True), (TriggerBy.LAST, False)])
def test_immediate_trigger_check_uses_the_orders_own_price_source(trigger_by, accepted):
    """Last trade 64,000.0, mark 64,900.0: a sell stop at 64,500.0 is below the mark (fine on MARK) but
    above the last price (would fire at once on LAST)."""
    engine = new_engine(limit(ALICE, Side.BUY, 640_000, 2), limit(CAROL, Side.SELL, 640_000, 2), mark(PX))
    command = stop(STOP_MARKET, Side.SELL, 645_000, trigger_by=trigger_by)

    if accepted:
        assert only(run(engine, command), OrderAccepted).trigger_by is trigger_by
    else:
        assert_rejected(engine, command, RejectReason.WOULD_IMMEDIATELY_TRIGGER)


def test_conditional_min_notional_uses_the_stop_price():
    """0.001 BTC at a 64,800.0 stop is 64.8 USDT < 100; 0.002 is 129.6 USDT."""
    engine = new_engine(mark(PX))

    assert_rejected(engine, stop(STOP_MARKET, Side.SELL, 648_000, quantity=1), RejectReason.MIN_NOTIONAL)
    assert only(run(engine, stop(STOP_MARKET, Side.SELL, 648_000, quantity=2)), OrderAccepted)


def trailing(side, callback_bps, activation_price=0, quantity=1_000):
    return order(BOB, side, TRAILING, quantity=quantity, callback_bps=callback_bps, activation_price=activation_price)


def test_sell_trailing_stop_ratchets_up_then_fires_on_the_callback():
    """Callback 1% (100 bps), armed at the 64,900.0 mark. The mark rises to 66,000.0 (new high), so the
    trigger is 66,000.0 x 0.99 = 65,340.0: 65,340.1 does not fire (although far above 64,900 x 0.99 =
    64,251.0), 65,340.0 does. ALICE's 1.0 bid at 65,000.0 takes the market sell."""
    engine = new_engine(mark(PX), limit(ALICE, Side.BUY, 650_000, 1_000), trailing(Side.SELL, 100))

    for price in (655_000, 660_000, 656_000, 653_401):
        assert of(run(engine, mark(price)), OrderTriggered) == []

    events = run(engine, mark(653_400))

    assert only(events, OrderTriggered).trigger_price == 653_400
    assert trades(events) == [(1, 2, 650_000, 1_000)]


def test_buy_trailing_stop_ratchets_down_then_fires_on_the_callback():
    """Callback 1%: the mark falls to 64,000.0 (new low), trigger 64,000.0 x 1.01 = 64,640.0."""
    engine = new_engine(mark(PX), limit(ALICE, Side.SELL, 647_000, 1_000), trailing(Side.BUY, 100))

    for price in (645_000, 640_000, 643_000, 646_399):
        assert of(run(engine, mark(price)), OrderTriggered) == []

    events = run(engine, mark(646_400))

    assert only(events, OrderTriggered).trigger_price == 646_400
    assert trades(events) == [(1, 2, 647_000, 1_000)]


def test_trailing_stop_waits_for_its_activation_price():
    """Sell trailing, callback 2%, activation 66,000.0, mark 64,900.0. A fall to 63,000.0 (more than 2%
    under 64,900) fires nothing: it is not active yet. Reaching 66,000.0 arms it, 67,000.0 ratchets the
    high, and 67,000.0 x 0.98 = 65,660.0 fires it (65,660.1 does not)."""
    engine = new_engine(mark(PX), limit(ALICE, Side.BUY, 650_000, 1_000), trailing(Side.SELL, 200, 660_000))

    for price in (630_000, 660_000, 670_000, 656_601):
        assert of(run(engine, mark(price)), OrderTriggered) == []

    assert only(run(engine, mark(656_600)), OrderTriggered).trigger_price == 656_600


@pytest.mark.parametrize("callback_bps", [0, 9, 1_001, -100])
def test_callback_rate_outside_a_tenth_to_ten_percent_is_rejected(callback_bps):
    engine = new_engine(mark(PX))

    assert_rejected(engine, trailing(Side.SELL, callback_bps), RejectReason.INVALID_CALLBACK_RATE)


@pytest.mark.parametrize("callback_bps", [10, 1_000])
def test_callback_rate_bounds_are_accepted(callback_bps):
    engine = new_engine(mark(PX))

    assert only(run(engine, trailing(Side.SELL, callback_bps)), OrderAccepted).callback_bps == callback_bps


@pytest.mark.parametrize(("side", "activation_price"), [(Side.SELL, 640_000), (Side.SELL, PX), (Side.BUY, 660_000)])
def test_trailing_activation_price_already_reached_is_rejected(side, activation_price):
    engine = new_engine(mark(PX))

    assert_rejected(engine, trailing(side, 100, activation_price), RejectReason.WOULD_IMMEDIATELY_TRIGGER)


@pytest.mark.parametrize(
    ("side", "stop_price", "quote_price"),
    [(Side.SELL, 648_000, BID), (Side.BUY, 650_000, ASK)],
    ids=["long-closed-by-sell", "short-closed-by-buy"],
)
def test_close_position_stop_closes_the_whole_position_at_trigger_time(side, stop_price, quote_price):
    """BOB holds 1.0 when placing the stop and 1.5 when it fires: the order takes the quantity at trigger
    time (1,500 lots) and leaves BOB flat."""
    engine = new_engine()
    open_position(engine, BOB, -side * 1_000)
    run(
        engine,
        mark(PX),
        limit(ALICE, side.opposite, quote_price, 2_000),
        order(BOB, side, STOP_MARKET, stop_price=stop_price, close_position=True),
    )
    open_position(engine, BOB, -side * 500)

    events = run(engine, mark(stop_price))

    assert only(events, OrderTriggered).quantity == 1_500
    assert [(price, qty) for (_, taker, price, qty) in trades(events) if taker == 4] == [(quote_price, 1_500)]
    assert engine.position(BOB, BTC).size == 0


def test_close_position_stop_expires_when_flat_at_trigger_time():
    engine = new_engine(
        mark(PX),
        limit(ALICE, Side.BUY, BID, 1_000),
        order(BOB, Side.SELL, STOP_MARKET, stop_price=648_000, close_position=True),
    )

    events = run(engine, mark(648_000))

    assert only(events, OrderTriggered).quantity == 0
    assert ends(events) == [(2, 0, EndReason.REDUCE_ONLY)]  # quantity taken at trigger: 0 (flat)
    assert trades(events) == []
    assert levels(events) == set()
    assert book(engine) == ([(BID, 1_000, 1)], [])
    assert engine.position(BOB, BTC).size == 0


def test_stops_fired_together_run_oldest_first():
    """Sell stops #2 at 64,800.0 and #3 at 64,850.0 (the newer one is reached first on the way down). The
    mark gaps from 64,900.0 to 64,700.0: both fire in one command in order-id order, #2 then #3, each
    selling 0.5 into ALICE's 1.0 bid at 64,600.0."""
    engine = new_engine(
        mark(PX),
        limit(ALICE, Side.BUY, 646_000, 1_000),
        stop(STOP_MARKET, Side.SELL, 648_000, quantity=500),
        stop(STOP_MARKET, Side.SELL, 648_500, quantity=500),
    )

    events = run(engine, mark(647_000))

    assert [e.order_id for e in of(events, OrderTriggered)] == [2, 3]
    assert trades(events) == [(1, 2, 646_000, 500), (1, 3, 646_000, 500)]


def test_a_fired_stop_can_fire_the_next_one_in_the_same_command():
    """No mark. Bids 0.5 @ 64,850.0, 1.0 @ 64,800.0, 1.0 @ 64,750.0, 1.0 @ 64,700.0; BOB's LAST sell stops
    #5 (2.0 at 64,850.0) and #6 (1.0 at 64,750.0). CAROL's 0.5 sale at 64,850.0 fires #5, whose 2.0 walk
    down to 64,750.0 fires #6, which sells into 64,700.0."""
    engine = new_engine(
        limit(ALICE, Side.BUY, 648_500, 500),
        limit(ALICE, Side.BUY, 648_000, 1_000),
        limit(ALICE, Side.BUY, 647_500, 1_000),
        limit(ALICE, Side.BUY, 647_000, 1_000),
        stop(STOP_MARKET, Side.SELL, 648_500, quantity=2_000, trigger_by=TriggerBy.LAST),
        stop(STOP_MARKET, Side.SELL, 647_500, quantity=1_000, trigger_by=TriggerBy.LAST),
    )

    events = run(engine, limit(CAROL, Side.SELL, 648_500, 500))

    assert [(e.order_id, e.trigger_price) for e in of(events, OrderTriggered)] == [(5, 648_500), (6, 647_500)]
    assert trades(events) == [
        (1, 7, 648_500, 500),
        (2, 5, 648_000, 1_000),
        (3, 5, 647_500, 1_000),
        (4, 6, 647_000, 1_000),
    ]
    assert book(engine) == ([], [])


@pytest.mark.parametrize(
    ("time_in_force", "price", "reason"),
    [
        # post-only stop-limit whose limit (64,700.0) meets the 64,700.0 bid when it fires
        (TimeInForce.GTX, BID, EndReason.POST_ONLY_WOULD_TAKE),
        # fill-or-kill stop-limit for 1.5 against a 1.0 bid
        (TimeInForce.FOK, BID, EndReason.FOK_NOT_FILLABLE),
    ],
)
def test_fired_stop_limit_that_cannot_honour_its_time_in_force_expires(time_in_force, price, reason):
    engine = _market_with_liquidity()
    run(engine, stop(STOP_LIMIT, Side.SELL, 648_000, quantity=1_500, price=price, time_in_force=time_in_force))

    events = run(engine, mark(648_000))

    assert only(events, OrderTriggered).order_id == 3
    assert ends(events) == [(3, 1_500, reason)]
    assert trades(events) == []
    assert book(engine) == ([(BID, 1_000, 1)], [(ASK, 1_000, 1)])
