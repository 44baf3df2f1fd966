"""Hedge mode (Binance ``dualSidePosition``): the switch and its refusals, orders that name their leg,
a LONG and a SHORT leg on one symbol that never net, closing orders bounded by their leg, and the
money of each leg (entry, fee, PnL, isolated margin) kept apart.

Figures in engine units (see ``scenario``): 1 BTC = 1,000 lots, 64,900.0 = 649,000 ticks, money x 1e8;
BTCUSDT's taker fee is 0.05% and maker fee 0.02%.
"""

from fractions import Fraction

from paperex.engine.accounts import HEDGE, ONE_WAY, MarginMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    CreateAccount,
    Deposit,
    SetLeverage,
    SetMarginMode,
    SetPositionMode,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    LiquidationTriggered,
    OrderFilled,
    PositionChanged,
    PositionDeleveraged,
    PositionLiquidated,
    PositionModeChanged,
)
from paperex.engine.orders import BOTH, LONG, SHORT, OrderType, Side, TimeInForce
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import Unit
from paperex.engine.units import SCALE

from .scenario import ALICE, BOB, BTC, ETH, FUNDS, HOUSE, PX, assert_rejected, limit, mark, market, new_engine, of, run

HEDGED = SetPositionMode(account_id=BOB, mode=HEDGE)


def hedged_engine() -> Engine:
    """BOB in hedge mode; HOUSE rests liquidity BOB takes."""
    return new_engine(HEDGED, mark(PX))


def take(engine: Engine, side: Side, lots: int, leg: object, price: int = PX) -> list[object]:
    """BOB takes ``lots`` on ``side`` for ``leg`` from a HOUSE order resting at ``price``."""
    return list(
        run(
            engine,
            limit(HOUSE, side.opposite, price, lots),
            limit(BOB, side, price, lots, time_in_force=TimeInForce.IOC, position_side=leg),
        )
    )


def test_the_switch_is_journaled_as_an_event_and_refused_when_nothing_changes() -> None:
    engine = new_engine()
    events = engine.apply(SetPositionMode(account_id=BOB, mode=HEDGE))
    assert events == [PositionModeChanged(BOB, HEDGE)]
    assert engine.accounts[BOB].position_mode is HEDGE
    assert_rejected(engine, SetPositionMode(account_id=BOB, mode=HEDGE), RejectReason.POSITION_MODE_UNCHANGED)
    assert_rejected(engine, SetPositionMode(account_id=77, mode=HEDGE), RejectReason.UNKNOWN_ACCOUNT)


def test_the_switch_is_refused_with_a_position_or_an_open_order_on_any_symbol() -> None:
    engine = new_engine(mark(PX))
    run(engine, limit(HOUSE, Side.SELL, PX, 10), limit(BOB, Side.BUY, PX, 10, time_in_force=TimeInForce.IOC))
    refused = SetPositionMode(account_id=BOB, mode=HEDGE)
    assert_rejected(engine, refused, RejectReason.POSITION_MODE_CHANGE_WITH_OPEN_POSITION)

    run(engine, limit(ALICE, Side.BUY, PX - 1_000, 10, symbol=BTC))
    assert_rejected(
        engine, SetPositionMode(account_id=ALICE, mode=HEDGE), RejectReason.POSITION_MODE_CHANGE_WITH_OPEN_ORDERS
    )


def test_orders_must_name_a_leg_in_hedge_mode_and_none_in_one_way_mode() -> None:
    engine = hedged_engine()
    assert_rejected(engine, limit(BOB, Side.BUY, PX, 10), RejectReason.POSITION_SIDE_MISMATCH)
    assert_rejected(engine, limit(ALICE, Side.BUY, PX, 10, position_side=LONG), RejectReason.POSITION_SIDE_MISMATCH)
    assert_rejected(
        engine,
        limit(BOB, Side.SELL, PX, 10, position_side=LONG, reduce_only=True),
        RejectReason.REDUCE_ONLY_IN_HEDGE_MODE,
    )


def test_a_long_and_a_short_leg_on_one_symbol_do_not_net() -> None:
    """BUY/LONG 1 BTC then SELL/SHORT 1 BTC at 64,900: two legs of 1 BTC, each entered at 64,900, each
    paying the taker fee 64,900 x 0.05% = 32.45 USDT; a one-way account would be flat."""
    engine = hedged_engine()
    take(engine, Side.BUY, 1_000, LONG)
    events = take(engine, Side.SELL, 1_000, SHORT)

    long_leg, short_leg = engine.position(BOB, BTC, LONG), engine.position(BOB, BTC, SHORT)
    assert (long_leg.size, long_leg.entry_notional) == (1_000, 64_900 * SCALE)
    assert (short_leg.size, short_leg.entry_notional) == (-1_000, 64_900 * SCALE)
    assert engine.accounts[BOB].wallet == FUNDS - 2 * 3_245 * SCALE // 100
    [changed] = [e for e in of(events, PositionChanged) if e.account_id == BOB]
    assert (changed.position_side, changed.size) == (SHORT, -1_000)


def test_a_closing_order_takes_off_its_own_leg_with_that_legs_pnl() -> None:
    """Long 1 BTC and short 1 BTC at 64,900; SELL/LONG 0.5 BTC at 66,000 realizes 0.5 x (66,000 -
    64,900) = 550 USDT on the long leg, which keeps 0.5 BTC at 32,450 entry notional; the short leg
    stays as it was."""
    engine = hedged_engine()
    take(engine, Side.BUY, 1_000, LONG)
    take(engine, Side.SELL, 1_000, SHORT)
    events = take(engine, Side.SELL, 500, LONG, price=660_000)

    [fill] = [e for e in of(events, OrderFilled) if e.account_id == BOB]
    assert fill.realized_pnl == 550 * SCALE
    long_leg, short_leg = engine.position(BOB, BTC, LONG), engine.position(BOB, BTC, SHORT)
    assert (long_leg.size, long_leg.entry_notional) == (500, 32_450 * SCALE)
    assert (short_leg.size, short_leg.entry_notional) == (-1_000, 64_900 * SCALE)


def test_a_closing_order_may_not_exceed_what_its_leg_holds_beyond_resting_closes() -> None:
    """Long 0.3 BTC: a resting SELL/LONG of 0.2 leaves 0.1 to close, so a second SELL/LONG of 0.2 is
    refused with the figures; a SELL/SHORT of any size opens the other leg instead."""
    engine = hedged_engine()
    take(engine, Side.BUY, 300, LONG)
    run(engine, limit(BOB, Side.SELL, PX + 1_000, 200, position_side=LONG))

    refused = assert_rejected(
        engine, limit(BOB, Side.SELL, PX + 2_000, 200, position_side=LONG), RejectReason.CLOSE_EXCEEDS_POSITION
    )
    assert [(f.name, f.value, f.unit) for f in refused.figures] == [
        ("quantity", 200, Unit.LOTS),
        ("closable", 100, Unit.LOTS),
    ]
    assert_rejected(engine, market(BOB, Side.BUY, 10, position_side=SHORT), RejectReason.CLOSE_EXCEEDS_POSITION)


def test_a_close_position_stop_closes_only_the_named_leg() -> None:
    """Long 0.4 and short 0.2 BTC; a STOP_MARKET SELL/LONG closing the position fires at 64,000 and
    sells the 0.4 BTC long, the short leg is left."""
    engine = hedged_engine()
    take(engine, Side.BUY, 400, LONG)
    take(engine, Side.SELL, 200, SHORT)
    stop = market(BOB, Side.SELL, 0, position_side=LONG, close_position=True)
    stop.order_type, stop.stop_price = OrderType.STOP_MARKET, 640_000
    run(engine, stop, limit(HOUSE, Side.BUY, 639_000, 1_000), mark(639_500))

    assert engine.position(BOB, BTC, LONG).size == 0
    assert engine.position(BOB, BTC, SHORT).size == -200


def test_each_isolated_leg_holds_its_own_margin() -> None:
    """Isolated at 20x: the long leg of 1 BTC at 64,900 holds 64,900 / 20 = 3,245 USDT less its fee
    32.45 = 3,212.55; the short leg of 0.5 BTC 1,622.5 less 16.225 = 1,606.275. Adding 100 USDT to the
    SHORT leg moves that leg's wallet only."""
    engine = new_engine(SetMarginMode(account_id=BOB, symbol=BTC, mode=MarginMode.ISOLATED), HEDGED, mark(PX))
    take(engine, Side.BUY, 1_000, LONG)
    take(engine, Side.SELL, 500, SHORT)
    assert engine.position(BOB, BTC, LONG).isolated_wallet == 321_255 * SCALE // 100
    assert engine.position(BOB, BTC, SHORT).isolated_wallet == 1_606_275 * SCALE // 1_000

    run(engine, AdjustIsolatedMargin(account_id=BOB, symbol=BTC, amount=100 * SCALE, position_side=SHORT))
    assert engine.position(BOB, BTC, SHORT).isolated_wallet == 1_706_275 * SCALE // 1_000
    assert engine.position(BOB, BTC, LONG).isolated_wallet == 321_255 * SCALE // 100
    unnamed = AdjustIsolatedMargin(account_id=BOB, symbol=BTC, amount=100 * SCALE)
    assert_rejected(engine, unnamed, RejectReason.POSITION_SIDE_MISMATCH)


def test_switching_back_to_one_way_once_flat() -> None:
    engine = hedged_engine()
    take(engine, Side.BUY, 100, LONG)
    take(engine, Side.SELL, 100, LONG)
    events = run(engine, SetPositionMode(account_id=BOB, mode=ONE_WAY))
    assert of(events, PositionModeChanged) == [PositionModeChanged(BOB, ONE_WAY)]
    assert engine.accounts[BOB].short_legs == {}


ERIN = 5
"""A hedged cross account small enough to meet its liquidation price."""


def erin_hedged() -> Engine:
    """Erin deposits 2,000 USDT, switches to hedge mode (cross, 100x: initial margin 649 + 324.5) and
    takes LONG 1 BTC and SHORT 0.5 BTC at 64,900 from HOUSE: taker fees 32.45 + 16.225, so her cross
    wallet is 1,951.325."""
    engine = new_engine(
        CreateAccount(account_id=ERIN),
        Deposit(account_id=ERIN, amount=2_000 * SCALE),
        SetPositionMode(account_id=ERIN, mode=HEDGE),
        SetLeverage(account_id=ERIN, symbol=BTC, leverage=100),
        mark(PX),
    )
    for side, lots, leg in ((Side.BUY, 1_000, LONG), (Side.SELL, 500, SHORT)):
        run(
            engine,
            limit(HOUSE, side.opposite, PX, lots),
            limit(ERIN, side, PX, lots, time_in_force=TimeInForce.IOC, position_side=leg),
        )
    assert engine.accounts[ERIN].wallet == 1_951_325 * SCALE // 1_000
    return engine


def test_cross_legs_share_one_liquidation_price() -> None:
    """Reference 1.7 with both legs: LP = (WB - TMM1 + UPNL1 + cumL + cumS - QL x EPL + QS x EPS) /
    (QL x MMRL + QS x MMRS - QL + QS). Near 61,760 the long leg's notional (~61,760) is in BTC's tier 2
    (MMR 0.5%, cum 50,000 x (0.005 - 0.004) = 50) and the short leg's (~30,880) in tier 1 (0.4%, cum 0),
    with no other contract (TMM1 = UPNL1 = 0):
    LP = (1,951.325 + 50 + 0 - 64,900 + 32,450) / (0.005 + 0.5 x 0.004 - 1 + 0.5)
       = -30,448.675 / -0.493 = 61,762.0182... USDT = 304,486,750 / 493 ticks, on both legs."""
    engine = erin_hedged()
    shown = {p.position_side: p.liquidation_price for p in engine.summary(ERIN).positions}
    assert shown == {LONG: Fraction(304_486_750, 493), SHORT: Fraction(304_486_750, 493)}


def test_hedged_cross_legs_are_liquidated_together_at_that_price() -> None:
    """Margin balance = 1,951.325 + (P - 64,900) - 0.5 x (P - 64,900); maintenance = 0.5% x P - 50 +
    0.4% x 0.5 x P. At 61,762.1 the balance is 382.375 against 382.3347 (safe); at 61,762.0 it is
    382.325 against 382.334: both legs are liquidated (the empty book leaves them to auto-deleverage,
    the long one last against HOUSE's short and the account's own SHORT leg)."""
    engine = erin_hedged()
    assert not of(run(engine, mark(617_621)), LiquidationTriggered)

    events = run(engine, mark(617_620))
    assert [(e.account_id, e.symbol) for e in of(events, LiquidationTriggered)] == [(ERIN, "")]
    assert {(e.position_side, e.partial) for e in of(events, PositionLiquidated)} == {(LONG, False), (SHORT, False)}
    assert (engine.position(ERIN, BTC, LONG).size, engine.position(ERIN, BTC, SHORT).size) == (0, 0)


def test_a_leg_deleveraged_against_its_own_opposite_leg_is_not_liquidated_again() -> None:
    """Erin as in ``erin_hedged`` (BTC LONG 1, SHORT 0.5 at 64,900) plus ETH LONG 30 at 3,000.00: 90,000
    of entry notional against BTC's 64,900 and 32,450, so ETH's step settles the remainder. BTC's mark
    falls to 55,000.0 and the whole cross account is liquidated, leg by leg in (symbol, leg) order,
    ETH last. The book is empty, so BTC LONG's 1,000 lots are auto-deleveraged: 500 against HOUSE's
    short (HOUSE sold 1,000 and bought 500) and the last 500 against Erin's own SHORT leg, which that
    closes: it gets no step of its own (it used to be liquidated again at size 0, a division by zero).
    ETH LONG's 30,000 lots go to HOUSE's ETH short; every leg ends flat, money conserved (``run``)."""
    engine = erin_hedged()
    run(
        engine,
        Deposit(account_id=ERIN, amount=3_000 * SCALE),
        SetLeverage(account_id=ERIN, symbol=ETH, leverage=50),
        mark(300_000, ETH),
        limit(HOUSE, Side.SELL, 300_000, 30_000, symbol=ETH),
        limit(ERIN, Side.BUY, 300_000, 30_000, symbol=ETH, time_in_force=TimeInForce.IOC, position_side=LONG),
    )
    events = run(engine, mark(550_000))

    steps = [(e.symbol, e.position_side, e.quantity, e.deleveraged) for e in of(events, PositionLiquidated)]
    assert steps == [(BTC, LONG, 1_000, 1_000), (ETH, LONG, 30_000, 30_000)]
    taken = [(e.account_id, e.symbol, e.position_side, e.quantity) for e in of(events, PositionDeleveraged)]
    assert taken == [(HOUSE, BTC, BOTH, 500), (ERIN, BTC, SHORT, 500), (HOUSE, ETH, BOTH, 30_000)]
    legs = [engine.position(ERIN, symbol, leg).size for symbol, leg in ((BTC, LONG), (BTC, SHORT), (ETH, LONG))]
    assert legs == [0, 0, 0]
