"""Funding every 8 hours of engine time (reference 1.11): F = P + clamp(I - P, -0.05%, +0.05%),
payment = size x mark x F, longs pay shorts when F > 0. Hand figures use BTCUSDT (interest 0.01%,
impact notional 200 USDT x 125 = 25,000 USDT)."""

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import AdvanceTime, SetIndexPrice, SetMarginMode
from paperex.engine.events import Event, FundingRateSettled, FundingSettled
from paperex.engine.orders import Side

from .scenario import ALICE, BOB, BTC, CAROL, PX, limit, mark, new_engine, of, only, open_position, run

HOUR = 3_600 * 10**9


def btc_rate(events: list[Event]) -> FundingRateSettled:
    return only([e for e in events if isinstance(e, FundingRateSettled) and e.symbol == BTC], FundingRateSettled)


def test_no_premium_means_the_interest_rate_and_longs_pay_shorts():
    """P = 0 -> F = 0 + clamp(0.01% - 0) = 0.01%. BOB long 1 BTC at mark 64,900 pays
    64,900 x 0.0001 = 6.49 USDT; HOUSE, short the same BTC, receives it."""
    engine = new_engine(AdvanceTime(ts=1))
    open_position(engine, BOB, 1_000)
    run(engine, mark(PX))

    assert of(run(engine, AdvanceTime(ts=8 * HOUR - 1)), FundingSettled) == []
    events = run(engine, AdvanceTime(ts=8 * HOUR))

    assert btc_rate(events).rate == 10_000  # 0.01% in 1e-8 units
    assert btc_rate(events).next_funding_time == 16 * HOUR
    payments = {e.account_id: e.payment for e in of(events, FundingSettled)}
    assert payments[BOB] == -649_000_000  # 6.49 USDT paid: the payment is what the account received
    assert sum(payments.values()) == 0  # exact here: nothing left over for the fund


def test_premium_from_the_book_sets_the_rate():
    """Bid 65,000 and ask 65,100 (1 BTC each, more than the 25,000 USDT impact notional), index 64,900:
    P = (65,000 - 64,900)/64,900 = 0.00154083205...; I - P < -0.05% so F = P - 0.0005 = 0.00104083..."""
    engine = new_engine(AdvanceTime(ts=1))
    run(engine, limit(ALICE, Side.BUY, 650_000, 1_000), limit(CAROL, Side.SELL, 651_000, 1_000))
    run(engine, SetIndexPrice(symbol=BTC, price=PX))

    events = run(engine, AdvanceTime(ts=8 * HOUR))

    assert btc_rate(events).rate == 104_083  # 0.00104083 rounded to 1e-8


def test_isolated_funding_comes_out_of_the_isolated_margin():
    engine = new_engine(AdvanceTime(ts=1), SetMarginMode(account_id=BOB, symbol=BTC, mode=MarginMode.ISOLATED))
    open_position(engine, BOB, 1_000)
    run(engine, mark(PX))
    wallet, isolated = engine.accounts[BOB].wallet, engine.position(BOB, BTC).isolated_wallet

    run(engine, AdvanceTime(ts=8 * HOUR))

    assert engine.accounts[BOB].wallet == wallet
    assert engine.position(BOB, BTC).isolated_wallet == isolated - 649_000_000
