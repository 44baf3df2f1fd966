"""The auto-deleverage indicator (``Engine.adl_quantiles``): each trader's place in its side's ADL queue
as 1..5 lights, ranked by Binance's LeveragePnL exactly as ADL would take them.

Hand figures (BTCUSDT tier 1: MMR 0.4%, cum 0; taker fee 0.05%, maker 0.02%). Every long below buys
from HOUSE at 64,900 as taker, LOSER and INTERNAL from SHORTY at 72,000; the mark then settles at
70,000, where 0.1 BTC carries MM 7,000 x 0.004 = 28 and gains 510 if bought at 64,900.
LeveragePnL = max(0, uPnL) / wallet x MM / (wallet + uPnL):

- ISO, 0.1 BTC isolated at 20x: its wallet is the isolated margin, 324.5 less the fee 3.245 (not its
  100,000 deposit): 510/321.255 x 28/831.255 = 0.0535
- BIG, 0.3 BTC, 2,000 deposit (fee 9.735): 1,530/1,990.265 x 84/3,520.265 = 0.0183
- SMALL, 0.1 BTC, 1,000 deposit (fee 3.245): 510/996.755 x 28/1,506.755 = 0.0095
- RICH, 0.1 BTC, 8,000 deposit (fee 3.245): 510/7,996.755 x 28/8,506.755 = 0.00021
- LOSER, 0.1 BTC bought at 72,000: uPnL -200, score 0
- INTERNAL (not liquidatable), 0.1 BTC at 72,000, also losing: in no queue
- shorts: SHORTY, 0.2 BTC sold at 72,000 (maker fee 2.88): 400/997.12 x 56/1,397.12 = 0.0161;
  HOUSE, 0.6 BTC sold at 64,900: uPnL -3,060, score 0.

Five trader longs fill the five lights; two shorts show 5 and 3 (5 - floor(5 x 1/2)).
"""

from paperex.engine.accounts import HEDGE, MarginMode
from paperex.engine.commands import CreateAccount, Deposit, SetMarginMode, SetPositionMode
from paperex.engine.engine import Engine
from paperex.engine.orders import BOTH, LONG, SHORT, Side
from paperex.engine.units import SCALE

from .scenario import ALICE, BTC, HOUSE, PX, lights, limit, mark, market, new_engine, run

ISO, BIG, SMALL, RICH, LOSER, SHORTY, INTERNAL = 15, 13, 11, 12, 14, 120, 20
"""Ids out of queue order, so a queue by id would show other lights."""
DEPOSITS = {ISO: 100_000, BIG: 2_000, SMALL: 1_000, RICH: 8_000, LOSER: 1_000, SHORTY: 1_000, INTERNAL: 1_000}


def crowd() -> Engine:
    """The accounts of the module docstring, the mark at 70,000."""
    engine = new_engine()
    for account, usdt in DEPOSITS.items():
        run(
            engine,
            CreateAccount(account_id=account, liquidatable=account != INTERNAL),
            Deposit(account_id=account, amount=usdt * SCALE),
        )
    run(engine, SetMarginMode(account_id=ISO, symbol=BTC, mode=MarginMode.ISOLATED), mark(PX))
    for account, lots in ((ISO, 100), (BIG, 300), (SMALL, 100), (RICH, 100)):
        run(engine, limit(HOUSE, Side.SELL, PX, lots), market(account, Side.BUY, lots))
    run(engine, mark(720_000), limit(SHORTY, Side.SELL, 720_000, 200))
    run(engine, market(LOSER, Side.BUY, 100), market(INTERNAL, Side.BUY, 100), mark(700_000))
    return engine


def test_each_side_is_queued_by_leverage_pnl_into_five_lights():
    """ISO leads on its isolated margin (ranked on its 100,000 wallet it would trail RICH), BIG's
    threefold profit beats SMALL's smaller wallet, and the losing LOSER and HOUSE queue last."""
    engine = crowd()

    quantiles = lights(engine)

    assert quantiles == {ISO: 5, BIG: 4, SMALL: 3, RICH: 2, LOSER: 1, SHORTY: 5, HOUSE: 3}


def test_flat_and_internal_accounts_show_no_light_and_take_no_place():
    """ALICE never traded; INTERNAL's losing long would sit last among six longs if it counted, which
    would show ISO..LOSER as 5, 5, 4, 3, 2 instead of 5..1."""
    engine = crowd()

    quantiles = lights(engine)

    assert ALICE not in quantiles and INTERNAL not in quantiles
    assert engine.position(INTERNAL, BTC).size == 100
    assert [quantiles[a] for a in (ISO, BIG, SMALL, RICH, LOSER)] == [5, 4, 3, 2, 1]


def test_a_closed_position_leaves_the_queue_and_the_rest_rebucket():
    """SMALL sells its 0.1 BTC to HOUSE at 70,000: four longs stay, at places 0..3 of 4, shown
    5 - floor(5r/4) = 5, 4, 3, 2; ETHUSDT, where nobody holds anything, has an empty queue."""
    engine = crowd()

    run(engine, limit(HOUSE, Side.BUY, 700_000, 100), market(SMALL, Side.SELL, 100))

    assert engine.position(SMALL, BTC).size == 0
    assert lights(engine) == {ISO: 5, BIG: 4, RICH: 3, LOSER: 2, SHORTY: 5, HOUSE: 3}
    assert lights(engine, "ETHUSDT") == {}


def test_the_query_changes_nothing():
    engine = crowd()
    before = engine.state_hash()

    lights(engine)

    assert engine.state_hash() == before


HEDGER = 30
"""A hedge-mode account holding a LONG and a SHORT leg of BTCUSDT."""


def test_a_hedged_account_shows_each_leg_at_its_own_place_in_its_sides_queue():
    """HEDGER (1,000 deposit, cross) buys LONG 0.1 at 64,900 (taker fee 3.245) beside SMALL (the same
    long, 1,000 deposit); at 72,000 SHORTY sells 0.2 to ALICE as maker (fee 2.88) and HEDGER sells
    SHORT 0.1 to ALICE as taker (fee 3.6). At mark 70,000 each 0.1 BTC carries MM 28; HEDGER's wallet
    is 1,000 - 3.245 - 3.6 = 993.155:

    - longs: HEDGER's LONG 510/993.155 x 28/1,503.155 = 0.009566 before SMALL's 510/996.755 x
      28/1,506.755 = 0.009508, ALICE (0.3 bought at 72,000, losing) last: 5, 4, 2.
    - shorts: SHORTY 400/997.12 x 56/1,397.12 = 0.0161, HEDGER's SHORT 200/993.155 x 28/1,193.155 =
      0.0047, HOUSE (short from 64,900, losing) last: 5, 4, 2.

    One light per account (the higher one, 5) would hide that the short leg stands behind SHORTY."""
    engine = new_engine()
    for account in (HEDGER, SMALL, SHORTY):
        run(engine, CreateAccount(account_id=account), Deposit(account_id=account, amount=1_000 * SCALE))
    run(engine, SetPositionMode(account_id=HEDGER, mode=HEDGE), mark(PX))
    run(engine, limit(HOUSE, Side.SELL, PX, 100), market(HEDGER, Side.BUY, 100, position_side=LONG))
    run(engine, limit(HOUSE, Side.SELL, PX, 100), market(SMALL, Side.BUY, 100))
    run(engine, mark(720_000), limit(SHORTY, Side.SELL, 720_000, 200), market(ALICE, Side.BUY, 200))
    run(engine, limit(ALICE, Side.BUY, 720_000, 100), market(HEDGER, Side.SELL, 100, position_side=SHORT))
    run(engine, mark(700_000))

    assert engine.adl_quantiles(BTC) == {
        (HEDGER, LONG): 5,
        (SMALL, BOTH): 4,
        (ALICE, BOTH): 2,
        (SHORTY, BOTH): 5,
        (HEDGER, SHORT): 4,
        (HOUSE, BOTH): 2,
    }
