"""An exchange-internal account (``CreateAccount(liquidatable=False)``, the built-in liquidity
provider): never margin-called, liquidated or picked for auto-deleverage, yet its orders need margin
and it trades with everyone like any other account.

Hand figures (BTCUSDT tier 1: MMR 0.4%, cum 0; taker fee 0.05%, maker 0.02%): 500 USDT at 100x buys
0.7 BTC at 64,900 (notional 45,430, taker fee 22.715): wallet 477.285. Cross liquidation when
477.285 + 0.7 (M - 64,900) <= 0.7 x M x 0.004, i.e. M <= 44,952.715 / 0.6972 = 64,476.06.
"""

import pytest

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import CreateAccount, Deposit, SetLeverage, SetMarginMode
from paperex.engine.engine import Engine
from paperex.engine.events import (
    AccountCreated,
    LiquidationTriggered,
    MarginCallIssued,
    PositionDeleveraged,
    PositionLiquidated,
    TradeExecuted,
)
from paperex.engine.orders import Side, TimeInForce
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import shortfall
from paperex.engine.units import SCALE

from .scenario import BOB, BTC, HOUSE, PX, assert_rejected, lights, limit, mark, market, new_engine, of, only, run

TRADER, INTERNAL, USER = 5, 6, 7


def leveraged_long(engine: Engine, account: int, seller: int = HOUSE, deposit: int = 500) -> None:
    """``account`` deposits ``deposit`` USDT and buys 0.7 BTC at 64,900 at 100x from ``seller``."""
    run(
        engine,
        Deposit(account_id=account, amount=deposit * SCALE),
        SetLeverage(account_id=account, symbol=BTC, leverage=100),
        limit(seller, Side.SELL, PX, 700),
        limit(account, Side.BUY, PX, 700, time_in_force=TimeInForce.IOC),
    )


def with_accounts(*internal: int, traders: tuple[int, ...] = (TRADER,)) -> Engine:
    creates = [CreateAccount(account_id=a) for a in traders]
    creates += [CreateAccount(account_id=a, liquidatable=False) for a in internal]
    return new_engine(*creates, mark(PX))


def test_creating_an_internal_account_says_so_and_changes_the_state_hash():
    normal, internal = new_engine(), new_engine()

    assert run(normal, CreateAccount(account_id=INTERNAL)) == [AccountCreated(INTERNAL, True)]
    assert run(internal, CreateAccount(account_id=INTERNAL, liquidatable=False)) == [AccountCreated(INTERNAL, False)]
    assert normal.state_hash() != internal.state_hash()


def test_an_internal_account_survives_the_crash_that_liquidates_an_equal_trader():
    """Both hold the same 0.7 BTC at 100x. On the way down to 64,480 (margin ratio 180.54/183.285 =
    98.5%) TRADER gets the 70/80/90% margin calls, INTERNAL none. At 60,000 TRADER is liquidated
    (no bids: deleveraged against HOUSE); INTERNAL keeps its position with a margin balance of
    477.285 + 0.7 x (60,000 - 64,900) = -2,952.715 USDT, and still at 56,000."""
    engine = with_accounts(INTERNAL)
    leveraged_long(engine, TRADER)
    leveraged_long(engine, INTERNAL)

    decline = run(engine, *(mark(price) for price in range(648_000, 644_799, -100)))
    crash = run(engine, mark(600_000))
    balance_at_crash = engine.summary(INTERNAL).margin_balance
    deeper = run(engine, mark(560_000))

    assert [(c.account_id, c.threshold_bps) for c in of(decline, MarginCallIssued)] == [
        (TRADER, 7_000),
        (TRADER, 8_000),
        (TRADER, 9_000),
    ]
    assert [e.account_id for e in of(crash, LiquidationTriggered)] == [TRADER]
    assert engine.position(TRADER, BTC).size == 0
    assert of(crash + deeper, MarginCallIssued) == [] and of(deeper, LiquidationTriggered) == []
    assert engine.position(INTERNAL, BTC).size == 700
    assert balance_at_crash == -2_952_715 * 10**5
    assert engine.summary(INTERNAL).margin_balance == -5_752_715 * 10**5  # 477.285 - 0.7 x 8,900


def test_an_isolated_internal_position_is_not_liquidated_either():
    """Isolated at 100x: 454.30 of margin moved into the position, less the 22.715 fee: 431.585. At
    60,000 its loss of 3,430 is far beyond that margin, and nothing happens."""
    engine = with_accounts(INTERNAL, traders=())
    run(engine, SetMarginMode(account_id=INTERNAL, symbol=BTC, mode=MarginMode.ISOLATED))
    leveraged_long(engine, INTERNAL)
    assert engine.position(INTERNAL, BTC).isolated_wallet == 431_585 * 10**5

    events = run(engine, mark(600_000))

    assert of(events, LiquidationTriggered) == [] and of(events, MarginCallIssued) == []
    assert engine.position(INTERNAL, BTC).size == 700
    assert engine.position(INTERNAL, BTC).isolated_wallet == 431_585 * 10**5


def test_its_orders_still_need_margin():
    """100 USDT cannot back 1 BTC at 64,900 at the default 20x: margin 3,245 plus the 32.45 taker fee
    the check adds (3,277.45). With 10,000 USDT more the bid rests, and BOB's market sell fills it."""
    engine = with_accounts(INTERNAL, traders=())
    run(engine, Deposit(account_id=INTERNAL, amount=100 * SCALE))

    refused = assert_rejected(engine, limit(INTERNAL, Side.BUY, PX, 1_000), RejectReason.INSUFFICIENT_MARGIN)
    assert refused.figures == shortfall(3_277_45 * 10**6, 100 * SCALE)

    run(engine, Deposit(account_id=INTERNAL, amount=10_000 * SCALE), limit(INTERNAL, Side.BUY, PX, 1_000))
    trade = only(run(engine, market(BOB, Side.SELL, 1_000)), TradeExecuted)
    assert (trade.maker_account_id, trade.taker_account_id, trade.price, trade.quantity) == (INTERNAL, BOB, PX, 1_000)


def test_a_liquidation_order_takes_the_internal_accounts_quotes():
    """INTERNAL bids 1 BTC at 64,400. At mark 64,400 (below 64,476.06) TRADER's 0.7 BTC is sold into it."""
    engine = with_accounts(INTERNAL)
    run(engine, Deposit(account_id=INTERNAL, amount=10_000_000 * SCALE), limit(INTERNAL, Side.BUY, 644_000, 1_000))
    leveraged_long(engine, TRADER)

    events = run(engine, mark(644_000))

    assert only(events, LiquidationTriggered).account_id == TRADER
    trade = only(events, TradeExecuted)
    assert (trade.maker_account_id, trade.taker_account_id, trade.price, trade.quantity) == (
        INTERNAL,
        TRADER,
        644_000,
        700,
    )
    assert engine.position(INTERNAL, BTC).size == 700


def rival_shorts(liquidatable: bool) -> Engine:
    """TRADER's 0.7 BTC long was sold by INTERNAL (1,000 USDT at 100x; maker fee 9.086); USER (10,000,000
    USDT) is short 0.7 BTC too, against HOUSE."""
    engine = new_engine(
        CreateAccount(account_id=TRADER),
        CreateAccount(account_id=INTERNAL, liquidatable=liquidatable),
        CreateAccount(account_id=USER),
        Deposit(account_id=INTERNAL, amount=1_000 * SCALE),
        SetLeverage(account_id=INTERNAL, symbol=BTC, leverage=100),
        Deposit(account_id=USER, amount=10_000_000 * SCALE),
        mark(PX),
        limit(USER, Side.SELL, PX, 700),
        limit(HOUSE, Side.BUY, PX, 700, time_in_force=TimeInForce.IOC),
    )
    leveraged_long(engine, TRADER, seller=INTERNAL)
    return engine


@pytest.mark.parametrize(("liquidatable", "picked"), [(True, INTERNAL), (False, USER)])
def test_auto_deleverage_never_picks_an_internal_account(liquidatable, picked):
    """At 60,000 with no bids TRADER is deleveraged. Binance's LeveragePnL: INTERNAL (3,430/990.914) x
    (168/4,420.914) = 0.1315; USER about 3.4e-4 x 1.7e-5. As a trader INTERNAL would be picked first;
    as an internal account it is passed by for USER."""
    engine = rival_shorts(liquidatable)

    events = run(engine, mark(600_000))

    assert only(events, PositionLiquidated).deleveraged == 700
    deleveraged = only(events, PositionDeleveraged)  # only the deleveraged side is told it was
    assert (deleveraged.account_id, deleveraged.counterparty_id) == (picked, TRADER)
    assert engine.position(picked, BTC).size == 0
    assert engine.position(INTERNAL if picked == USER else USER, BTC).size == -700


def test_an_internal_account_is_the_backstop_when_no_trader_can_take_the_rest():
    """When the only opposing position is INTERNAL's, it takes the bankrupt position rather than leave
    it open, at the bankruptcy price 64,900 - 477.285/0.7 = 64,218.16 (shown rounded up: 642,182
    ticks; inside the 5% band around the 64,000 mark, so not clamped)."""
    engine = with_accounts(INTERNAL)
    run(engine, Deposit(account_id=INTERNAL, amount=10_000_000 * SCALE))
    leveraged_long(engine, TRADER, seller=INTERNAL)

    events = run(engine, mark(640_000))

    deleveraged = only(events, PositionDeleveraged)
    assert (deleveraged.account_id, deleveraged.counterparty_id, deleveraged.price) == (INTERNAL, TRADER, 642_182)
    assert engine.position(TRADER, BTC).size == 0 and engine.position(INTERNAL, BTC).size == 0


@pytest.mark.parametrize(
    ("liquidatable", "quantiles", "picked"),
    [
        (True, {TRADER: 5, HOUSE: 3, INTERNAL: 5, USER: 3}, INTERNAL),
        (False, {TRADER: 5, HOUSE: 3, USER: 5}, USER),
    ],
)
def test_the_short_showing_five_lights_is_the_one_deleveraged(liquidatable, quantiles, picked):
    """At 64,600 (above TRADER's 64,476.06 liquidation price) the shorts gain 0.7 x 300 = 210 with MM
    0.7 x 64,600 x 0.004 = 180.88: INTERNAL scores 210/990.914 x 180.88/1,200.914 = 0.0319, USER
    210/9,999,990.914 x 180.88/10,000,200.914 = 3.8e-10; two shorts show 5 and 3. The losing longs
    (TRADER, HOUSE) score 0 and queue by id. An internal INTERNAL shows nothing and USER is alone (5).
    The crash to 60,000 then deleverages TRADER against the short that showed 5."""
    engine = rival_shorts(liquidatable)
    run(engine, mark(646_000))

    shown = lights(engine)
    events = run(engine, mark(600_000))

    assert shown == quantiles
    assert [d.account_id for d in of(events, PositionDeleveraged) if d.account_id != TRADER] == [picked]
