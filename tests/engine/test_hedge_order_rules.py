"""Amend, trailing stops, conditional orders and self-trade prevention keep their rules per hedge leg:
a closing order stays bounded by its own leg when amended, a stop or trailing stop that fires trades
the leg it names and leaves the other one, and an account's orders on its two legs never trade with
each other.

BOB is in hedge mode (``test_hedge_mode.hedged_engine``), HOUSE rests the liquidity he takes. Figures in
engine units: 1 BTC = 1,000 lots, 64,900.0 = 649,000 ticks.
"""

import pytest

from paperex.engine.commands import AmendOrder
from paperex.engine.events import OrderAccepted, OrderAmended, OrderExpired, OrderRejected, OrderTriggered
from paperex.engine.orders import LONG, SHORT, OrderType, SelfTradePrevention, Side
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.refusals import Unit

from .scenario import BOB, BTC, HOUSE, assert_rejected, limit, mark, of, order, run, trades
from .test_hedge_mode import hedged_engine, take


def test_an_amended_closing_order_stays_within_what_its_leg_holds_beyond_the_other_closes() -> None:
    """Long 0.3 BTC; SELL/LONG 0.1 at 66,000 (A) and SELL/LONG 0.1 at 66,100 (B) rest. Amending A to
    0.25 would close 0.25 + 0.1 > 0.3: refused with quantity 0.25 and closable 0.3 - 0.1 = 0.2, and B
    keeps its 0.1 (it is not trimmed to make room). Amending A to 0.2 is accepted; a SELL/SHORT is not
    bounded by the LONG leg at all."""
    engine = hedged_engine()
    take(engine, Side.BUY, 300, LONG)
    run(engine, limit(BOB, Side.SELL, 660_000, 100, position_side=LONG))
    order_id = engine.open_orders(BOB, BTC)[0].order_id
    run(engine, limit(BOB, Side.SELL, 661_000, 100, position_side=LONG))

    too_much = AmendOrder(account_id=BOB, symbol=BTC, order_id=order_id, quantity=250)
    refused = assert_rejected(engine, too_much, RejectReason.CLOSE_EXCEEDS_POSITION)
    assert [(f.name, f.value, f.unit) for f in refused.figures] == [
        ("quantity", 250, Unit.LOTS),
        ("closable", 200, Unit.LOTS),
    ]
    events = run(engine, AmendOrder(account_id=BOB, symbol=BTC, order_id=order_id, quantity=200))
    assert [(e.order_id, e.quantity) for e in of(events, OrderAmended)] == [(order_id, 200)]
    assert sorted(o.remaining for o in engine.open_orders(BOB, BTC)) == [100, 200]
    opened = run(engine, limit(BOB, Side.SELL, 662_000, 1_000, position_side=SHORT))
    assert of(opened, OrderAccepted) and not of(opened, OrderRejected)


def test_a_trailing_stop_on_the_long_leg_closes_that_leg_only() -> None:
    """Long 0.4 and short 0.2 BTC. A TRAILING_STOP_MARKET SELL/LONG of 0.4 with a 1% callback arms at
    mark 64,900 (stop 64,900 x 0.99 = 64,251), ratchets at 66,000 (stop 65,340) and fires at 65,300:
    it sells the 0.4 long into HOUSE's bid at 65,200; the short leg keeps its -0.2 (in one-way mode the
    same sell would have made the account short)."""
    engine = hedged_engine()
    take(engine, Side.BUY, 400, LONG)
    take(engine, Side.SELL, 200, SHORT)
    trailing_sell = order(
        BOB, Side.SELL, OrderType.TRAILING_STOP_MARKET, quantity=400, callback_bps=100, position_side=LONG
    )
    run(engine, trailing_sell)
    [trailing] = engine.open_orders(BOB, BTC)
    assert trailing.stop_price == 642_510

    run(engine, mark(660_000))
    assert trailing.stop_price == 653_400
    events = run(engine, limit(HOUSE, Side.BUY, 652_000, 1_000), mark(653_000))

    assert [e.order_id for e in of(events, OrderTriggered)] == [trailing.order_id]
    assert [(price, lots) for _, taker, price, lots in trades(events) if taker == trailing.order_id] == [(652_000, 400)]
    assert (engine.position(BOB, BTC, LONG).size, engine.position(BOB, BTC, SHORT).size) == (0, -200)


def test_a_stop_opening_the_short_leg_leaves_the_long_leg() -> None:
    """Long 0.4 BTC; a STOP_MARKET SELL/SHORT of 0.2 at 64,000 (a breakdown hedge) fires at mark 63,900
    and sells 0.2 into HOUSE's bid at 63,900: the SHORT leg opens at -0.2, the long keeps 0.4 (one-way,
    it would have cut the long to 0.2). A TAKE_PROFIT_MARKET BUY/SHORT closing that leg at 63,000 then
    fires at 62,900 and closes the short only."""
    engine = hedged_engine()
    take(engine, Side.BUY, 400, LONG)
    run(engine, order(BOB, Side.SELL, OrderType.STOP_MARKET, quantity=200, stop_price=640_000, position_side=SHORT))
    run(engine, limit(HOUSE, Side.BUY, 639_000, 200), mark(639_000))
    assert (engine.position(BOB, BTC, LONG).size, engine.position(BOB, BTC, SHORT).size) == (400, -200)

    profit = order(BOB, Side.BUY, OrderType.TAKE_PROFIT_MARKET, quantity=200, stop_price=630_000, position_side=SHORT)
    run(engine, profit, limit(HOUSE, Side.SELL, 629_000, 200), mark(629_000))
    assert (engine.position(BOB, BTC, LONG).size, engine.position(BOB, BTC, SHORT).size) == (400, 0)


def test_a_closing_stop_whose_leg_closed_meanwhile_expires_without_opening_the_other() -> None:
    """Long 0.1 BTC with a STOP_MARKET SELL/LONG of 0.1 at 64,000; the long is sold by hand first. When
    the stop fires there is nothing on its leg to close: it expires (REDUCE_ONLY) and opens no short."""
    engine = hedged_engine()
    take(engine, Side.BUY, 100, LONG)
    run(engine, order(BOB, Side.SELL, OrderType.STOP_MARKET, quantity=100, stop_price=640_000, position_side=LONG))
    take(engine, Side.SELL, 100, LONG)

    events = run(engine, limit(HOUSE, Side.BUY, 639_000, 1_000), mark(639_000))

    assert [(e.remaining, e.reason) for e in of(events, OrderExpired)] == [(100, EndReason.REDUCE_ONLY)]
    assert engine.position(BOB, BTC, SHORT).size == 0


@pytest.mark.parametrize(
    ("stp", "maker_left", "traded"),
    [
        (SelfTradePrevention.EXPIRE_TAKER, 100, []),
        (SelfTradePrevention.EXPIRE_MAKER, 0, [(650_000, 100)]),
        (SelfTradePrevention.EXPIRE_BOTH, 0, []),
    ],
)
def test_self_trade_prevention_applies_between_an_accounts_two_legs(
    stp: SelfTradePrevention, maker_left: int, traded: list[tuple[int, int]]
) -> None:
    """BOB rests SELL/SHORT 0.1 at 65,000 (opening a short), ahead of HOUSE's ask at the same price
    placed after it. His BUY/LONG 0.1 at 65,000 meets his own order first: it never trades against it (that would
    open both legs against himself). EXPIRE_TAKER ends the buy, EXPIRE_MAKER ends his sell and the buy
    takes HOUSE's ask, EXPIRE_BOTH ends both."""
    engine = hedged_engine()
    run(engine, limit(BOB, Side.SELL, 650_000, 100, position_side=SHORT), limit(HOUSE, Side.SELL, 650_000, 100))

    events = run(engine, limit(BOB, Side.BUY, 650_000, 100, position_side=LONG, stp=stp))

    assert [(price, lots) for *_, price, lots in trades(events)] == traded
    assert sum(o.remaining for o in engine.open_orders(BOB, BTC) if o.side is Side.SELL) == maker_left
    assert engine.position(BOB, BTC, SHORT).size == 0
    assert engine.position(BOB, BTC, LONG).size == (100 if traded else 0)
