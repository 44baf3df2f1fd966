"""The order preview in hedge mode prices the leg the order names: an order opening a leg costs its
margin and fee, one closing a leg costs nothing (reduce-only by nature) and takes off at most what the
leg holds; the position shown after is that leg's.

Figures in engine units (see ``scenario``): 1 BTC = 1,000 lots, 64,900.0 = 649,000 ticks, money x 1e8;
BTCUSDT's taker fee is 0.05%, the default leverage 20x, cross margin.
"""

from paperex.engine.accounts import MarginMode
from paperex.engine.orders import LONG, SHORT, Side
from paperex.engine.units import SCALE

from .scenario import BOB, BTC, PX
from .test_hedge_mode import hedged_engine, take


def test_an_order_opening_the_short_leg_is_priced_as_that_leg_beside_the_long() -> None:
    """Long 1 BTC at 64,900, mark 64,900. SELL/SHORT 0.5 BTC at 64,900: initial margin 0.5 x 64,900 / 20
    = 1,622.5, no open loss (priced at the mark), taker fee 0.5 x 64,900 x 0.05% = 16.225: cost 1,638.725.
    After it, the SHORT leg holds -0.5 BTC and the LONG leg still 1 BTC (a one-way account would be
    long 0.5). Nothing changes; placing the order gives the leg the figures the preview showed."""
    engine = hedged_engine()
    take(engine, Side.BUY, 1_000, LONG)
    before = engine.state_hash()

    current, other = engine.preview(BOB, BTC, Side.SELL, 500, PX, SHORT)

    assert engine.state_hash() == before
    assert (current.mode, other.mode) == (MarginMode.CROSS, MarginMode.ISOLATED)
    assert (current.initial_margin, current.open_loss, current.fee) == (
        16_225 * SCALE // 10,
        0,
        16_225 * SCALE // 1_000,
    )
    assert current.cost == 1_638_725 * SCALE // 1_000 and current.accepted
    assert current.position is not None
    assert (current.position.position_side, current.position.size) == (SHORT, -500)
    assert engine.position(BOB, BTC, LONG).size == 1_000

    take(engine, Side.SELL, 500, SHORT)
    [placed] = [p for p in engine.summary(BOB).positions if p.position_side is SHORT]
    assert placed.liquidation_price == current.position.liquidation_price
    assert placed.initial_margin == current.position.initial_margin


def test_an_order_closing_a_leg_costs_nothing_and_shows_the_leg_it_leaves() -> None:
    """Long 1 BTC and short 0.5 BTC at 64,900. SELL/LONG 0.4 BTC closes part of the long: no margin, no
    open loss, cost 0; its fee 0.4 x 64,900 x 0.05% = 12.98; the LONG leg after holds 0.6 BTC (the SHORT
    leg is not touched: a one-way reading would grow the short). BUY/SHORT 2 BTC closes only the 0.5 the
    SHORT leg holds: fee 0.5 x 64,900 x 0.05% = 16.225 and no SHORT leg after."""
    engine = hedged_engine()
    take(engine, Side.BUY, 1_000, LONG)
    take(engine, Side.SELL, 500, SHORT)

    closing, _ = engine.preview(BOB, BTC, Side.SELL, 400, PX, LONG)
    assert (closing.cost, closing.initial_margin, closing.open_loss) == (0, 0, 0)
    assert closing.fee == 1_298 * SCALE // 100 and closing.accepted
    assert closing.position is not None
    assert (closing.position.position_side, closing.position.size) == (LONG, 600)

    beyond, _ = engine.preview(BOB, BTC, Side.BUY, 2_000, PX, SHORT)
    assert beyond.cost == 0 and beyond.fee == 16_225 * SCALE // 1_000
    assert beyond.position is None
    engine.check_invariants()
    assert (engine.position(BOB, BTC, LONG).size, engine.position(BOB, BTC, SHORT).size) == (1_000, -500)
