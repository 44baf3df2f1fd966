"""Mark price by Binance's method (reference 1.1): mark = median(P1, P2, last), with
P1 = index x (1 + last funding rate x time to funding / interval) and P2 = index + the average basis
((bid1 + ask1)/2 - index) of one sample per second over the last 30 s; the result rounded to the
nearest tick, halves to even. BTCUSDT figures: 649,000 ticks = 64,900.0 USDT (tick 0.1)."""

import itertools
import pickle
import random
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperex.engine.commands import (
    AdvanceTime,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    SetIndexPrice,
    SetLeverage,
    SetMarkPrice,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    Event,
    FundingRateSettled,
    IndexPriceChanged,
    LiquidationTriggered,
    MarkPriceChanged,
    PositionLiquidated,
    TradeExecuted,
    serialize,
)
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.mark import BasisWindow, MarkMethod, median_mark, price1, price2, to_tick, venue_mark
from paperex.engine.orders import Side, TimeInForce
from paperex.engine.units import SCALE

from .scenario import ALICE, BOB, BTC, CAROL, DAVE, HOUSE, PX, limit, mark, new_engine, of, only, run

S = 10**9
"""One second of engine time (ns)."""
HOUR = 3_600 * S
TRADER = 5


def index(price: int, ts: int, symbol: str = BTC) -> SetIndexPrice:
    return SetIndexPrice(symbol=symbol, price=price, ts=ts)


def marks(events: list[Event]) -> list[int]:
    return [e.price for e in of(events, MarkPriceChanged) if e.symbol == BTC]


def index_priced_engine(*commands: Command) -> Engine:
    """The scenario engine with BTCUSDT's mark method set to the raw index."""
    instruments = dict(DEFAULT_INSTRUMENTS)
    instruments[BTC] = replace(instruments[BTC], mark_method=MarkMethod.INDEX)
    return new_engine(*commands, instruments=instruments)


# ---------------------------------------------------------------------- the pure formulas


@pytest.mark.parametrize(
    ("rate", "until", "interval", "expected"),
    [
        # 649,000 x (1 + 0.0001 x 2/8) = 649,000 + 16.225
        (10_000, 2 * HOUR, 8 * HOUR, Fraction("649016.225")),
        # 649,000 x (1 - 0.000375 x 6/8) = 649,000 - 649,000 x 0.00028125 = 649,000 - 182.53125
        (-37_500, 6 * HOUR, 8 * HOUR, Fraction("648817.46875")),
        # a 4 h interval: the rate is per 4 h; 1 h to go: 649,000 x 0.003 x 1/4 = 486.75
        (300_000, 1 * HOUR, 4 * HOUR, Fraction("649486.75")),
        # at the funding time itself nothing is left of the interval: P1 is the index
        (300_000, 0, 8 * HOUR, Fraction(649_000)),
        # more time than one interval is clamped to the interval: 649,000 x 0.0001 = 64.9
        (10_000, 9 * HOUR, 8 * HOUR, Fraction("649064.9")),
    ],
)
def test_price1_scales_the_funding_rate_by_the_time_left(rate, until, interval, expected):
    assert price1(PX, rate, until, interval) == expected


def test_price2_is_the_index_plus_the_average_basis():
    """Basis per second: s0 mid (649,100 + 649,120)/2 = 649,110 - 649,000 = +110;
    s1 mid (649,050 + 649,061)/2 = 649,055.5 - 649,010 = +45.5; s2 mid 648,995 - 649,020 = -25.
    Average (110 + 45.5 - 25)/3 = 130.5/3 = 43.5, so P2 at index 649,020 is 649,063.5."""
    window = BasisWindow()
    assert window.sample(0, 649_100, 649_120, 649_000)
    assert window.sample(1 * S, 649_050, 649_061, 649_010)
    assert window.sample(2 * S, 648_990, 649_000, 649_020)

    assert window.average(2 * S) == Fraction("43.5")
    assert price2(649_020, window.average(2 * S)) == Fraction("649063.5")
    assert price2(649_020, None) == 649_020  # no sample at all: the index


@pytest.mark.parametrize("roles", list(itertools.permutations((648_900, 649_000, 649_100))))
def test_the_median_is_the_middle_input_whatever_the_order(roles):
    """(P1, P2, last) takes each of the six orderings of 64,890 < 64,900 < 64,910: always 64,900."""
    p1, p2, last = roles
    assert median_mark(Fraction(p1), Fraction(p2), last) == 649_000


@pytest.mark.parametrize(
    ("p1", "p2", "last", "expected"),
    [
        (Fraction("649016.225"), Fraction("649063.5"), 649_040, 649_040),  # last in the middle
        (Fraction("649016.225"), Fraction("649063.5"), 649_000, 649_016),  # P1: .225 rounds down
        (Fraction("649016.225"), Fraction("649063.5"), 649_100, 649_064),  # P2: .5 to the even 649,064
        (Fraction("649016.5"), Fraction("649063.5"), 649_000, 649_016),  # P1: .5 to the even 649,016
        (Fraction("649016.225"), Fraction("649063.5"), 0, 649_064),  # no last trade: P2 stands in
        (Fraction("649099.75"), Fraction("649063.5"), 0, 649_064),  # ... even when P1 is above it
    ],
)
def test_median_with_fractional_inputs_and_without_a_last_trade(p1, p2, last, expected):
    assert median_mark(p1, p2, last) == expected


def test_rounding_is_to_the_nearest_tick_and_halves_to_even():
    assert [to_tick(Fraction(n, 4)) for n in (41, 42, 43, 45, 46)] == [10, 10, 11, 11, 12]  # 10.25 .. 11.5


def test_the_window_keeps_30_seconds_of_samples():
    """Samples at seconds 0 (+1) and 29 (+3): both count at second 29 (average 2). At second 30 the
    window is seconds 1..30: the first sample is gone and only +3 is left."""
    window = BasisWindow()
    window.sample(0, 649_001, 649_001, 649_000)  # basis +1
    window.sample(29 * S + 999_999_999, 649_003, 649_003, 649_000)  # basis +3, still second 29

    assert window.average(29 * S + 999_999_999) == 2
    assert window.average(30 * S) == 3
    assert window.average(59 * S + 999_999_999) is None  # second 59: the window is 30..59, empty


def test_one_sample_per_second_and_none_without_both_sides():
    window = BasisWindow()
    assert window.sample(5 * S, 649_100, 649_100, 649_000)  # +100 at second 5
    assert not window.sample(5 * S + 900_000_000, 649_300, 649_300, 649_000)  # second 5 again: ignored
    assert not window.sample(6 * S, None, 649_300, 649_000)  # no bid: no mid, no sample
    assert not window.sample(6 * S, 649_300, None, 649_000)  # no ask

    assert window.average(6 * S) == 100
    assert window.sample(6 * S + 1, 649_300, 649_300, 649_000)  # second 6 is still free: +300
    assert window.average(6 * S) == 200


def test_venue_mark_combines_the_three():
    """P1 = 649,000 x (1 + 0.0001 x 4/8) = 649,032.45; P2 = 649,000 + 20 = 649,020; last 649,500:
    the median is P1, rounded to 649,032."""
    assert venue_mark(PX, 10_000, 4 * HOUR, 8 * HOUR, Fraction(20), 649_500) == 649_032


@given(
    index_ticks=st.integers(5_568, 45_297_640),
    rate=st.integers(-300_000, 300_000),
    until=st.integers(-HOUR, 9 * HOUR),
    interval_hours=st.sampled_from([1, 4, 8]),
    basis=st.none() | st.fractions(min_value=-100_000, max_value=100_000, max_denominator=60),
    last=st.integers(0, 45_297_640),
)
def test_mark_lies_between_the_smallest_and_largest_input(index_ticks, rate, until, interval_hours, basis, last):
    """Whatever the inputs, the mark is one of (P1, P2, last) rounded, so it lies between the rounded
    smallest and largest of them (P2 stands in for a missing last)."""
    interval = interval_hours * HOUR
    p1 = index_ticks * (1 + Fraction(rate, SCALE) * Fraction(min(max(until, 0), interval), interval))
    p2 = index_ticks + (basis or 0)
    third = Fraction(last) if last else p2

    result = venue_mark(index_ticks, rate, until, interval, basis, last)

    inputs = (p1, p2, third)
    assert round(min(inputs)) <= result <= round(max(inputs))
    assert result in {round(p) for p in inputs}


@given(
    updates=st.lists(st.tuples(st.integers(0, 3 * S), st.booleans(), st.integers(-500, 500)), min_size=1, max_size=40)
)
def test_the_window_average_matches_a_naive_recount(updates):
    """Oracle: keep every (second, basis) that was the first sample of its second, then average those
    of the last 30 seconds. Gaps between updates (up to 3 s) leave seconds without a sample."""
    window, now, taken = BasisWindow(), 0, []
    for gap, two_sided, doubled_basis in updates:
        now += gap
        bid = 649_000 + doubled_basis  # ask 649,000: basis = (bid + ask)/2 - 649,000 = doubled_basis/2
        sampled = window.sample(now, bid if two_sided else None, 649_000, 649_000)
        second = now // S
        first_of_second = two_sided and all(t[0] != second for t in taken)
        assert sampled == first_of_second
        if first_of_second:
            taken.append((second, Fraction(doubled_basis, 2)))
        recent = [b for t, b in taken if t > second - 30]
        assert window.average(now) == (sum(recent) / len(recent) if recent else None)


# ---------------------------------------------------------------------- through the engine


def test_an_index_update_moves_the_mark_and_says_so():
    """Empty book, no trade, no funding rate yet: P1 = P2 = last = the index, so the mark is the index,
    announced after the index."""
    engine = new_engine()

    events = run(engine, index(PX, 0))

    assert [(type(e), e.price) for e in events if isinstance(e, IndexPriceChanged | MarkPriceChanged)] == [
        (IndexPriceChanged, PX),
        (MarkPriceChanged, PX),
    ]
    assert engine.markets[BTC].mark_price == PX


def test_p2_follows_the_book_when_nothing_has_traded():
    """Bid 649,000 and ask 649,200: mid 649,100, basis +100 at index 649,000. No last trade, so the
    mark is P2 = 649,100 (P1 = 649,000 loses the median to P2 counted twice)."""
    engine = new_engine(limit(ALICE, Side.BUY, 649_000, 1_000), limit(CAROL, Side.SELL, 649_200, 1_000))

    assert marks(run(engine, index(PX, 0))) == [649_100]


def test_the_basis_is_sampled_once_per_second():
    """Mid 649,100 at 5.0 s: +100. At 5.9 s DAVE bids 649,150 (mid (649,150 + 649,200)/2 = 649,175) but
    second 5 already has its sample: the mark stays 649,100. At 6.0 s the +175 sample joins:
    average (100 + 175)/2 = 137.5, P2 = 649,137.5, which rounds to the even 649,138."""
    engine = new_engine(limit(ALICE, Side.BUY, 649_000, 1_000), limit(CAROL, Side.SELL, 649_200, 1_000))

    first = run(engine, index(PX, 5 * S))
    run(engine, limit(DAVE, Side.BUY, 649_150, 1_000, ts=5 * S + 900_000_000))
    same_second = run(engine, index(PX, 5 * S + 900_000_000))
    next_second = run(engine, index(PX, 6 * S))

    assert (marks(first), marks(same_second), marks(next_second)) == ([649_100], [649_100], [649_138])


def test_a_sample_leaves_the_window_after_30_seconds():
    """Mid 649,100 throughout. Second 0, index 649,000: basis +100, mark 649,100. Second 29, index
    649,080: basis +20, average 60, mark 649,140. Second 30: the second-0 sample leaves (the window is
    seconds 1..30), samples +20 and +20, mark 649,100 (with it, (100 + 20 + 20)/3 would give 649,127)."""
    engine = new_engine(limit(ALICE, Side.BUY, 649_000, 1_000), limit(CAROL, Side.SELL, 649_200, 1_000))

    assert marks(run(engine, index(649_000, 0))) == [649_100]
    assert marks(run(engine, index(649_080, 29 * S))) == [649_140]
    assert marks(run(engine, index(649_080, 30 * S))) == [649_100]


def test_without_a_two_sided_book_the_basis_is_not_sampled():
    """Bid only at 1 s: no mid, P2 = index 648,000 = mark. Both sides at 2 s (mid 649,100, index
    649,000): +100, mark 649,100. CAROL's ask is canceled; at 3 s (index 649,050) nothing is sampled and
    P2 = 649,050 + 100 = 649,150. A new ask at 649,100 (mid 649,050) at 4 s, index 649,000: +50 joins,
    average (100 + 50)/2 = 75, mark 649,075 (only two samples: second 3 had none)."""
    engine = new_engine(limit(ALICE, Side.BUY, 649_000, 1_000))

    assert marks(run(engine, index(648_000, 1 * S))) == [648_000]
    run(engine, limit(CAROL, Side.SELL, 649_200, 1_000, ts=2 * S))
    assert marks(run(engine, index(649_000, 2 * S))) == [649_100]
    ask_id = engine.open_orders(CAROL, BTC)[0].order_id
    run(engine, CancelOrder(account_id=CAROL, symbol=BTC, order_id=ask_id, ts=3 * S))
    assert marks(run(engine, index(649_050, 3 * S))) == [649_150]
    run(engine, limit(CAROL, Side.SELL, 649_100, 1_000, ts=4 * S))
    assert marks(run(engine, index(649_000, 4 * S))) == [649_075]


@pytest.mark.parametrize(("traded", "expected"), [(True, 649_507), (False, 650_500)])
def test_price1_uses_the_last_funding_rate_and_the_time_to_funding(traded, expected):
    """Book: bid 650,000 / ask 651,000 (1 BTC each, above the 25,000 USDT impact notional); index
    649,000. The premium (650,000 - 649,000)/649,000 = 0.00154083 gives the 8 h rate
    0.00154083 - 0.0005 = 0.00104083 (as in test_funding). At 10 h, 6 h before the 16 h funding:
    P1 = 649,000 x (1 + 0.00104083 x 6/8) = 649,000 + 506.6240025 = 649,506.6240025;
    P2 = 649,000 + (650,500 - 649,000) = 650,500 (the old samples left the window long ago).
    With a trade at 649,300 earlier: median(649,506.62, 650,500, 649,300) = P1, rounded 649,507.
    Without any trade: P2 stands in for last and the mark is P2 = 650,500."""
    setup: list[Command] = []
    if traded:
        setup = [
            limit(DAVE, Side.SELL, 649_300, 2),
            limit(BOB, Side.BUY, 649_300, 2, time_in_force=TimeInForce.IOC),
        ]
    engine = new_engine(
        *setup, limit(ALICE, Side.BUY, 650_000, 1_000), limit(CAROL, Side.SELL, 651_000, 1_000), index(PX, 1)
    )

    settled = run(engine, AdvanceTime(ts=8 * HOUR))
    assert [e.rate for e in of(settled, FundingRateSettled) if e.symbol == BTC] == [104_083]

    assert marks(run(engine, index(PX, 10 * HOUR))) == [expected]


def test_last_price_in_the_middle_is_the_mark():
    """At the first index update (no funding rate yet, P1 = index 649,000), basis +1,500
    (P2 = 650,500) and last 649,300: the last price is the median."""
    engine = new_engine(
        limit(DAVE, Side.SELL, 649_300, 2),
        limit(BOB, Side.BUY, 649_300, 2, time_in_force=TimeInForce.IOC),
        limit(ALICE, Side.BUY, 650_000, 1_000),
        limit(CAROL, Side.SELL, 651_000, 1_000),
    )

    assert marks(run(engine, index(PX, 1))) == [649_300]


def test_the_admin_mark_holds_until_the_next_index_update():
    engine = new_engine(limit(ALICE, Side.BUY, 649_000, 1_000), limit(CAROL, Side.SELL, 649_200, 1_000))
    run(engine, index(PX, 0))  # basis +100: 649,100

    assert marks(run(engine, SetMarkPrice(symbol=BTC, price=640_000, ts=S))) == [640_000]
    assert engine.markets[BTC].mark_price == 640_000
    assert marks(run(engine, index(PX, 2 * S))) == [649_100]  # samples +100, +100


def test_the_index_method_makes_the_mark_the_index():
    """An instrument configured with mark_method "index" ignores the book (mid 649,100 here)."""
    engine = index_priced_engine(limit(ALICE, Side.BUY, 649_000, 1_000), limit(CAROL, Side.SELL, 649_200, 1_000))

    assert marks(run(engine, index(648_500, 0))) == [648_500]


@pytest.mark.parametrize("edge", ["max_price", "min_price"])
def test_the_mark_stays_inside_the_price_filter(edge):
    """A book one tick wide at the filter's edge E (bid/ask E-1/E at the top, E/E+1 at the bottom).
    At 0 s the index is 20,000,000 ticks inside, so the basis is 20,000,000 - 0.5 ticks towards the
    edge; the mark is P2 = the mid E -/+ 0.5, which rounds half to even to E (45,297,640 and 5,568 are
    even). At 1 s the index is E itself (basis 0.5 the other way): the average basis is about
    10,000,000 ticks, so P2 (the mark: no last trade) lies about 10,000,000 ticks beyond E. The
    mark stops at E."""
    spec = DEFAULT_INSTRUMENTS[BTC]
    if edge == "max_price":  # 1 lot at the top is 4,529.76 USDT
        e, inward, lots = spec.max_price, -1, 1
        bid, ask = e - 1, e
    else:  # 1 BTC at the bottom is 556.80 USDT, above the 100 USDT minimum notional
        e, inward, lots = spec.min_price, 1, 1_000
        bid, ask = e, e + 1
    inside = e + inward * 20_000_000
    engine = new_engine(limit(ALICE, Side.BUY, bid, lots), limit(CAROL, Side.SELL, ask, lots))

    assert marks(run(engine, index(inside, 0))) == [e]
    assert marks(run(engine, index(e, S))) == [e]


# ---------------------------------------------------------------------- liquidation through the index


def leveraged_long(instruments_engine: Engine) -> Engine:
    """TRADER: 500 USDT at 100x buys 0.7 BTC at 64,900 from HOUSE (notional 45,430, taker fee 22.715,
    wallet 477.285). Tier 1 (MMR 0.4%, cum 0): liquidated when 477.285 + 0.7 (M - 64,900) <= 0.0028 M,
    i.e. M <= 44,952.715 / 0.6972 = 64,476.06. Then ALICE bids 1 BTC at 64,500 and CAROL asks 1 BTC at
    64,600 (mid 64,550)."""
    run(
        instruments_engine,
        CreateAccount(account_id=TRADER),
        Deposit(account_id=TRADER, amount=500 * SCALE),
        SetLeverage(account_id=TRADER, symbol=BTC, leverage=100),
        mark(PX),
        limit(HOUSE, Side.SELL, PX, 700),
        limit(TRADER, Side.BUY, PX, 700, time_in_force=TimeInForce.IOC),
        limit(ALICE, Side.BUY, 645_000, 1_000),
        limit(CAROL, Side.SELL, 646_000, 1_000),
    )
    assert instruments_engine.accounts[TRADER].wallet == 477_285 * 10**5
    return instruments_engine


def test_an_index_fall_liquidates_through_the_mark_method():
    """1 s, index 64,400: basis 64,550 - 64,400 = +150.0 (1,500 ticks), P2 = 64,550, P1 = 64,400, last
    64,900: mark 64,550, above 64,476.06, so no liquidation although the index is below it.
    2 s, index 64,200: basis +3,500 ticks, average (1,500 + 3,500)/2 = 2,500, P2 = 64,450 = mark
    (P1 64,200, last 64,900): liquidated. The liquidation order sells 0.7 into ALICE's 64,500 bid;
    bankruptcy price 64,900 - 477.285/0.7 = 64,218.1643, shown rounded up: 642,182 ticks."""
    engine = leveraged_long(new_engine())

    first = run(engine, index(644_000, 1 * S))
    assert marks(first) == [645_500]
    assert of(first, LiquidationTriggered) == []

    second = run(engine, index(642_000, 2 * S))

    assert marks(second) == [644_500]
    assert only(second, LiquidationTriggered).account_id == TRADER
    liquidated = only(second, PositionLiquidated)
    assert (liquidated.quantity, liquidated.deleveraged, liquidated.bankruptcy_price) == (700, 0, 642_182)
    trade = only(second, TradeExecuted)
    assert (trade.price, trade.quantity, trade.maker_account_id) == (645_000, 700, ALICE)
    assert engine.position(TRADER, BTC).size == 0


def test_with_the_index_method_the_same_fall_liquidates_at_once():
    """The contrast: mark = index 64,400 <= 64,476.06 at the first step."""
    engine = leveraged_long(index_priced_engine())

    events = run(engine, index(644_000, 1 * S))

    assert marks(events) == [644_000]
    assert only(events, LiquidationTriggered).account_id == TRADER


# ---------------------------------------------------------------------- determinism


def scripted_flow(seed: int) -> list[Command]:
    """Index updates (some in the same second, some with gaps past the window) mixed with quotes and
    trades, all from a seeded generator."""
    rng = random.Random(seed)
    now, price, commands = 0, PX, []
    for _ in range(120):
        now += rng.choice([200_000_000, 700_000_000, S, 3 * S, 40 * S])
        price += rng.randint(-300, 300)
        kind = rng.random()
        if kind < 0.5:
            commands.append(index(price, now))
        elif kind < 0.8:
            maker = rng.choice([ALICE, CAROL])
            side = Side.BUY if maker == ALICE else Side.SELL
            offset = rng.randint(1, 200) * (-1 if side is Side.BUY else 1)
            commands.append(limit(maker, side, price + offset, rng.randint(2, 50), ts=now))
        else:
            side = rng.choice(list(Side))
            through = price + (2_000 if side is Side.BUY else -2_000)
            commands.append(limit(BOB, side, through, 5, time_in_force=TimeInForce.IOC, ts=now))
    return commands


def test_the_same_commands_give_the_same_marks_events_and_state():
    flow = scripted_flow(7)
    one, two = new_engine(mark(PX)), new_engine(mark(PX))

    first = [serialize(e) for e in run(one, *flow)]
    second = [serialize(e) for e in run(two, *flow)]

    assert first == second
    assert one.state_hash() == two.state_hash()
    assert len(set(marks(run(new_engine(mark(PX)), *flow)))) > 10  # the flow really moves the mark


def test_a_restored_engine_continues_with_the_same_basis_window():
    flow = scripted_flow(11)
    engine = new_engine(mark(PX))
    run(engine, *flow[:60])
    restored: Engine = pickle.loads(pickle.dumps(engine))
    assert restored.state_hash() == engine.state_hash()

    rest_original = [serialize(e) for e in run(engine, *flow[60:])]
    rest_restored = [serialize(e) for e in run(restored, *flow[60:])]

    assert rest_original == rest_restored
    assert restored.state_hash() == engine.state_hash()


def test_engines_differing_only_in_basis_samples_hash_differently():
    """One engine sampled +100 at second 0, the other had no book then; both are then given the same
    book and mark. (0.1 BTC a side is below the 25,000 USDT impact notional, so the funding premium
    samples the index alike in both.) A DAVE bid at 649,150 moves the mid to 649,175, and the index
    update at 1 s gives (100 + 175)/2 = 137.5 -> 649,138 for the first and 175 -> 649,175 for the
    second."""
    quotes = [limit(ALICE, Side.BUY, 649_000, 100), limit(CAROL, Side.SELL, 649_200, 100)]
    sampled = new_engine(*quotes, index(PX, 0), mark(PX))
    unsampled = new_engine(index(PX, 0), *quotes, mark(PX))
    hashes = sampled.state_hash(), unsampled.state_hash()
    probe = [limit(DAVE, Side.BUY, 649_150, 100, ts=S), index(PX, S)]

    assert (marks(run(sampled, *probe)), marks(run(unsampled, *probe))) == ([649_138], [649_175])
    assert hashes[0] != hashes[1]
