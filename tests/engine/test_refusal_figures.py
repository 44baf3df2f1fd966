"""Each refusal carries the figures a client needs to correct the command, in engine units: the check
that decides it names them. BTCUSDT: tick 0.1, lot 0.001, so one tick-lot is 10,000 money units
(1e-8 USDT); price filter 5,568 .. 45,297,640 ticks; quantity 1 .. 1,000,000 lots (market 120,000);
min notional 100 USDT; band 5%; brackets 125x to 50,000 USDT, 100x to 250,000 USDT."""

from paperex.engine.commands import CreateAccount, Deposit, SetLeverage, Withdraw
from paperex.engine.engine import Engine
from paperex.engine.orders import Side
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import count, money, price, quantity, shortfall
from paperex.engine.units import SCALE

from .scenario import BOB, BTC, PX, assert_rejected, limit, mark, market, new_engine, run

R = RejectReason
USDT = SCALE
SMALL = 7
"""An account with 1,000 USDT, for the margin refusals."""


def small_account(engine: Engine) -> None:
    run(engine, CreateAccount(account_id=SMALL), Deposit(account_id=SMALL, amount=1_000 * USDT))


def test_a_price_outside_the_filter_names_the_price_and_the_filter() -> None:
    """556.7 is one tick below min_price 556.8."""
    refused = assert_rejected(new_engine(), limit(BOB, Side.BUY, 5_567, 2_000), R.PRICE_OUT_OF_BOUNDS)

    assert refused.figures == (price("price", 5_567), price("min_price", 5_568), price("max_price", 45_297_640))


def test_a_market_order_is_held_to_the_market_maximum() -> None:
    """120.001 BTC is one lot above the market order maximum of 120 BTC (the limit maximum is 1,000)."""
    refused = assert_rejected(new_engine(mark(PX)), market(BOB, Side.BUY, 120_001), R.QUANTITY_OUT_OF_BOUNDS)

    assert refused.figures == (
        quantity("quantity", 120_001),
        quantity("min_quantity", 1),
        quantity("max_quantity", 120_000),
    )


def test_min_notional_names_the_orders_notional() -> None:
    """A limit of 2 lots at 499,999 ticks: 2 x 499,999 x 10,000 = 9,999,980,000 (99.9998 USDT) against
    100 USDT; a market lot is valued at the mark 649,000: 6,490,000,000 (64.9 USDT)."""
    engine = new_engine(mark(PX))

    limit_refused = assert_rejected(engine, limit(BOB, Side.BUY, 499_999, 2), R.MIN_NOTIONAL)
    market_refused = assert_rejected(engine, market(BOB, Side.BUY, 1), R.MIN_NOTIONAL)

    assert limit_refused.figures == (money("notional", 9_999_980_000), money("min_notional", 100 * USDT))
    assert market_refused.figures == (money("notional", 6_490_000_000), money("min_notional", 100 * USDT))


def test_the_band_is_named_with_the_reference_it_was_computed_from() -> None:
    """Mark 649,000 ticks, band 5%: 649,000 x 1.05 = 681,450 and 649,000 x 0.95 = 616,550. A buy one
    tick above 681,450 and a sell one tick below 616,550 are both outside it."""
    engine = new_engine(mark(PX))
    band = (price("lowest_price", 616_550), price("highest_price", 681_450), price("reference_price", PX))

    buy = assert_rejected(engine, limit(BOB, Side.BUY, 681_451, 1_000), R.PRICE_OUT_OF_BAND)
    sell = assert_rejected(engine, limit(BOB, Side.SELL, 616_549, 1_000), R.PRICE_OUT_OF_BAND)

    assert buy.figures == (price("price", 681_451), *band)
    assert sell.figures == (price("price", 616_549), *band)


def test_the_position_limit_names_the_notional_the_cap_and_the_leverage() -> None:
    """At 125x the cap is the first bracket's 50,000 USDT; 1 BTC at 64,900 is 64,900 USDT."""
    engine = new_engine(mark(PX), SetLeverage(account_id=BOB, symbol=BTC, leverage=125))

    refused = assert_rejected(engine, limit(BOB, Side.BUY, PX, 1_000), R.POSITION_LIMIT_EXCEEDED)

    assert refused.figures == (
        money("notional", 64_900 * USDT),
        money("max_notional", 50_000 * USDT),
        count("leverage", 125),
    )


def test_an_invalid_leverage_names_the_instruments_maximum() -> None:
    refused = assert_rejected(new_engine(), SetLeverage(account_id=BOB, symbol=BTC, leverage=126), R.INVALID_LEVERAGE)

    assert refused.figures == (count("leverage", 126), count("max_leverage", 125))


def test_leverage_too_high_names_the_most_that_notional_allows() -> None:
    """A resting 1 BTC bid at 64,000 is 64,000 USDT of notional: above 125x's 50,000 cap, inside the
    second bracket (50,000, 250,000], whose maximum is 100x."""
    engine = new_engine(mark(PX), limit(BOB, Side.BUY, 640_000, 1_000))

    refused = assert_rejected(engine, SetLeverage(account_id=BOB, symbol=BTC, leverage=125), R.LEVERAGE_TOO_HIGH)

    assert refused.figures == (
        count("leverage", 125),
        count("max_leverage", 100),
        money("notional", 64_000 * USDT),
        money("max_notional", 50_000 * USDT),
    )


def test_lowering_leverage_names_the_margin_it_needs_more() -> None:
    """1,000 USDT and a resting 0.1 BTC bid at 64,000 (6,400 USDT): at 20x it reserves 320, leaving
    680 available. At 5x it would reserve 1,280, 960 more than now, and only 680 is there."""
    engine = new_engine(mark(PX))
    small_account(engine)
    run(engine, limit(SMALL, Side.BUY, 640_000, 100))

    refused = assert_rejected(engine, SetLeverage(account_id=SMALL, symbol=BTC, leverage=5), R.INSUFFICIENT_MARGIN)

    assert refused.figures == shortfall(960 * USDT, 680 * USDT)


def test_a_withdrawal_names_the_available_balance_and_the_maximum() -> None:
    """The same 1,000 USDT with 320 reserved by the bid: 680 available, and 680 may leave
    (min(available, wallet - order margin - cross initial margin) = min(680, 1,000 - 320 - 0))."""
    engine = new_engine(mark(PX))
    small_account(engine)
    run(engine, limit(SMALL, Side.BUY, 640_000, 100))

    refused = assert_rejected(engine, Withdraw(account_id=SMALL, amount=700 * USDT), R.INSUFFICIENT_BALANCE)

    assert refused.figures == (*shortfall(700 * USDT, 680 * USDT), money("max_withdraw", 680 * USDT))


def test_the_open_order_limit_is_named() -> None:
    """Binance's MAX_NUM_ORDERS: 200 per account and symbol (bids of 0.002 BTC from 64,800.0 down)."""
    engine = new_engine(mark(PX))
    for step in range(200):
        run(engine, limit(BOB, Side.BUY, PX - 1_000 - step, 2))

    refused = assert_rejected(engine, limit(BOB, Side.BUY, PX - 2_000, 2), R.TOO_MANY_OPEN_ORDERS)

    assert refused.figures == (count("limit", 200),)


def test_a_mark_outside_the_filter_names_the_filter() -> None:
    refused = assert_rejected(new_engine(), mark(5_567), R.PRICE_OUT_OF_BOUNDS)

    assert refused.figures == (price("price", 5_567), price("min_price", 5_568), price("max_price", 45_297_640))
