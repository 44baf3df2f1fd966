"""The margin formulas against the venues' published figures and hand-computed expectations.

Sources: Binance USD-M's published formulas and examples unless a docstring names another venue;
"paperex" marks this project's own choice (``docs/margin.md``). Every expected figure is
either a venue's published number or arithmetic written out in the test, never output of the code
under test. Money is compared in Amount (1e-8 USDT); ``usdt("462.665")`` is the exact figure, and
``shown`` truncates to the venue's displayed precision where the venue truncated.
"""

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from paperex.engine.instruments import DEFAULT_INSTRUMENTS, Instrument, parse_instruments
from paperex.engine.margin import (
    adl_score,
    bankruptcy_price,
    bracket_for,
    display_ticks,
    entry_price,
    fee,
    funding_payment,
    funding_rate,
    initial_margin,
    liquidation_price,
    maintenance_margin,
    maintenance_margin_exact,
    margin_ratio,
    max_leverage_for,
    max_notional_for,
    open_loss,
    order_cost,
    premium_index,
    tier_maintenance,
    unrealized_pnl,
)
from paperex.engine.units import Amount, Lots, Ticks, amount_from_decimal, amount_to_decimal

BTC = DEFAULT_INSTRUMENTS["BTCUSDT"]
ETH = DEFAULT_INSTRUMENTS["ETHUSDT"]


def usdt(text: str) -> Amount:
    return amount_from_decimal(text)


def shown(amount: Amount, places: str = "0.01") -> Decimal:
    """Binance's display: truncated, not rounded (its FAQ shows 462.665 as 462.66)."""
    return amount_to_decimal(amount).quantize(Decimal(places), rounding=ROUND_DOWN)


def instrument(tick: str, lot: str, brackets: list[tuple[int, int, str]], symbol: str = "TESTUSDT") -> Instrument:
    """A custom instrument from TOML; brackets are (cap USDT, max leverage, mmr)."""
    rows = ",\n".join(f'  {{ cap = {cap}, max_leverage = {lev}, mmr = "{mmr}" }}' for cap, lev, mmr in brackets)
    toml = f"""
[instruments.{symbol}]
base = "TEST"
tick_size = {tick}
lot_size = {lot}
min_qty = {lot}
max_qty = 1000000
max_market_qty = 1000
min_price = {tick}
max_price = 10000000
min_notional = 5
price_band = 0.05
maker_fee = 0.0002
taker_fee = 0.0005
funding_interval_hours = 8
funding_cap = 0.003
funding_floor = -0.003
interest_rate = 0.0001
brackets = [
{rows},
]
"""
    return parse_instruments(toml)[symbol]


# Tick 0.01 and lot 0.001, for examples with cent prices; tier 1 at 0.5% like Bybit's 50x example.
CENTS = instrument("0.01", "0.001", [(50_000, 125, "0.005"), (250_000, 100, "0.01"), (10**9, 1, "0.5")])


# --- 1.2 brackets, maintenance amount, maintenance margin ----------------------------------------------

# BTCUSDT classic table (DEFAULT_INSTRUMENTS, as published 2021-03-18), cum by Binance's rule
# cum(n) = floor(n) x (mmr(n) - mmr(n-1)) + cum(n-1):
#   cum1 = 0
#   cum2 = 50,000 x (0.5% - 0.4%) + 0                 = 50
#   cum3 = 250,000 x (1% - 0.5%) + 50                 = 1,300      (the reference's example)
#   cum4 = 1,000,000 x (2.5% - 1%) + 1,300            = 16,300
#   cum5 = 10,000,000 x (5% - 2.5%) + 16,300          = 266,300
#   cum6 = 20,000,000 x (10% - 5%) + 266,300          = 1,266,300
#   cum7 = 50,000,000 x (12.5% - 10%) + 1,266,300     = 2,516,300
#   cum8 = 100,000,000 x (15% - 12.5%) + 2,516,300    = 5,016,300
#   cum9 = 200,000,000 x (25% - 15%) + 5,016,300      = 25,016,300
#   cum10 = 300,000,000 x (50% - 25%) + 25,016,300    = 100,016,300
BTC_CUMS = [0, 50, 1_300, 16_300, 266_300, 1_266_300, 2_516_300, 5_016_300, 25_016_300, 100_016_300]

# MM at each cap, on the lower tier's line (cap x mmr - cum) and equal on the upper tier's line:
#   50,000 x 0.4% - 0                  = 200          = 50,000 x 0.5% - 50
#   250,000 x 0.5% - 50                = 1,200        = 250,000 x 1% - 1,300
#   1,000,000 x 1% - 1,300             = 8,700        = 1,000,000 x 2.5% - 16,300
#   10,000,000 x 2.5% - 16,300         = 233,700      = 10,000,000 x 5% - 266,300
#   20,000,000 x 5% - 266,300          = 733,700      = 20,000,000 x 10% - 1,266,300
#   50,000,000 x 10% - 1,266,300       = 3,733,700    = 50,000,000 x 12.5% - 2,516,300
#   100,000,000 x 12.5% - 2,516,300    = 9,983,700    = 100,000,000 x 15% - 5,016,300
#   200,000,000 x 15% - 5,016,300      = 24,983,700   = 200,000,000 x 25% - 25,016,300
#   300,000,000 x 25% - 25,016,300     = 49,983,700   = 300,000,000 x 50% - 100,016,300
BTC_MM_AT_CAPS = [
    (50_000, 200),
    (250_000, 1_200),
    (1_000_000, 8_700),
    (10_000_000, 233_700),
    (20_000_000, 733_700),
    (50_000_000, 3_733_700),
    (100_000_000, 9_983_700),
    (200_000_000, 24_983_700),
    (300_000_000, 49_983_700),
]


def test_maintenance_amount_follows_binances_rule_level_3_is_1300() -> None:
    """Binance: level 3 = 250,000 x (1% - 0.5%) + 50 = 1,300; the whole table as published."""
    assert BTC.brackets[2].cum == usdt("1300")
    assert [b.cum for b in BTC.brackets] == [usdt(str(c)) for c in BTC_CUMS]


@pytest.mark.parametrize(("cap", "expected"), BTC_MM_AT_CAPS)
def test_maintenance_margin_is_continuous_at_each_btc_tier_boundary(cap: int, expected: int) -> None:
    """Both tiers meeting at a cap give the same MM (table above), and so does the selected tier."""
    lower = next(b for b in BTC.brackets if b.cap == usdt(str(cap)))
    upper = BTC.brackets[BTC.brackets.index(lower) + 1]
    assert tier_maintenance(lower, usdt(str(cap))) == usdt(str(expected))
    assert tier_maintenance(upper, usdt(str(cap))) == usdt(str(expected))
    assert maintenance_margin(BTC, usdt(str(cap))) == usdt(str(expected))


def test_maintenance_margin_inside_tiers() -> None:
    """Binance, MM = notional x MMR - cum:
    10,000 x 0.4% = 40; 100,000 x 0.5% - 50 = 450; 300,000 x 1% - 1,300 = 1,700;
    ETH 50,000 x 0.65% - cum2 (10,000 x (0.65% - 0.5%) = 15) = 325 - 15 = 310."""
    assert maintenance_margin(BTC, usdt("10000")) == usdt("40")
    assert maintenance_margin(BTC, usdt("100000")) == usdt("450")
    assert maintenance_margin(BTC, usdt("300000")) == usdt("1700")
    assert maintenance_margin(ETH, usdt("50000")) == usdt("310")
    assert maintenance_margin(BTC, 0) == 0


def test_maintenance_margin_rounds_up_against_the_account() -> None:
    """1e-8 USDT of notional x 0.4% = 4e-11 USDT, not a whole unit: the requirement is 1 unit.
    251 units x 0.4% = 1.004 units -> 2 units. The exact form keeps the fraction."""
    assert maintenance_margin(BTC, 1) == 1
    assert maintenance_margin(BTC, 251) == 2
    assert maintenance_margin_exact(BTC, 251) == Fraction(1004, 1000)


def test_bracket_for_uses_floor_exclusive_cap_inclusive_ranges() -> None:
    """Binance: (floor, cap], first match; 0 is tier 1; past the last cap stays in the last tier."""
    assert bracket_for(BTC, 0) is BTC.brackets[0]
    assert bracket_for(BTC, usdt("50000")) is BTC.brackets[0]
    assert bracket_for(BTC, usdt("50000") + 1) is BTC.brackets[1]
    assert bracket_for(BTC, usdt("250000")) is BTC.brackets[1]
    assert bracket_for(BTC, usdt("250000.00000001")) is BTC.brackets[2]
    assert bracket_for(BTC, usdt("9223372036") + 1) is BTC.brackets[-1]


# --- 1.2 / 8.2 leverage and position limits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("leverage", "limit"),
    [
        # The largest cap among tiers whose max leverage >= the chosen one (BTCUSDT table):
        (125, 50_000),  # only tier 1 (125x)
        (101, 50_000),  # tier 1 only: tier 2 allows 100x
        (100, 250_000),  # tiers 1-2
        (51, 250_000),
        (50, 1_000_000),  # tiers 1-3
        (21, 1_000_000),
        (20, 10_000_000),  # tiers 1-4: BTCUSDT's answer to the FAQ's "BNBUSDT at 20x -> 250,000" rule
        (11, 10_000_000),
        (10, 20_000_000),
        (5, 50_000_000),
        (4, 100_000_000),
        (3, 200_000_000),
        (2, 300_000_000),
        (1, 9_223_372_036),
        (126, 0),  # above every tier: nothing may be opened
    ],
)
def test_position_limit_for_a_chosen_leverage(leverage: int, limit: int) -> None:
    """Binance: the higher the leverage, the smaller the maximum position."""
    assert max_notional_for(BTC, leverage) == usdt(str(limit))


def test_max_leverage_for_a_notional() -> None:
    """paperex: the tier holding the (position + orders) notional caps the leverage."""
    assert max_leverage_for(BTC, usdt("50000")) == 125
    assert max_leverage_for(BTC, usdt("50000") + 1) == 100
    assert max_leverage_for(BTC, usdt("1000000")) == 50
    assert max_leverage_for(BTC, usdt("1000001")) == 20
    assert max_leverage_for(ETH, usdt("10001")) == 75


# --- 1.3 / 1.9 initial margin, open loss, order cost -------------------------------------------------------


def test_binance_order_cost_example() -> None:
    """Binance FAQ (2020): 1 BTC at 9,253.30, 20x, mark 9,259.84.
    IM = 9,253.30 x 1 / 20 = 462.665, shown 462.66 (truncated).
    Buy: open loss = 1 x |min(0, +1 x (9,259.84 - 9,253.30))| = 0, cost 462.66.
    Sell: open loss = 1 x |min(0, -1 x 6.54)| = 6.54, cost 462.665 + 6.54 = 469.205, shown 469.20."""
    price, mark, lots = 925_330, 925_984, 1_000  # ticks of 0.01, lots of 0.001
    notional = CENTS.notional(price, lots)
    assert notional == usdt("9253.30")
    assert initial_margin(notional, 20) == usdt("462.665")
    assert shown(initial_margin(notional, 20)) == Decimal("462.66")
    assert open_loss(1, lots, price, mark, CENTS.notional_unit) == 0
    assert open_loss(-1, lots, price, mark, CENTS.notional_unit) == usdt("6.54")
    buy = order_cost(CENTS, 1, lots, price, mark, 20)
    sell = order_cost(CENTS, -1, lots, price, mark, 20)
    assert (buy, sell) == (usdt("462.665"), usdt("469.205"))
    assert (shown(buy), shown(sell)) == (Decimal("462.66"), Decimal("469.20"))


def test_order_cost_with_the_taker_fee_switch() -> None:
    """paperex adds the taker fee when asked: 9,253.30 x 0.05% = 4.62665;
    buy 462.665 + 0 + 4.62665 = 467.29165; sell 462.665 + 6.54 + 4.62665 = 473.83165."""
    args = (1_000, 925_330, 925_984, 20)
    assert order_cost(CENTS, 1, *args, include_taker_fee=True) == usdt("467.29165")
    assert order_cost(CENTS, -1, *args, include_taker_fee=True) == usdt("473.83165")


def test_initial_margin_examples_and_rounding() -> None:
    """Binance, and Bybit's examples: 1 @ 10,000 at 50x -> IM 200; 1 @ 20,000 at 50x ->
    IM 400 (with MM 0.5%: 50 and 100). 1 unit / 3 = 0.33 units -> 1 unit (rounded up)."""
    assert initial_margin(CENTS.notional(1_000_000, 1_000), 50) == usdt("200")
    assert initial_margin(CENTS.notional(2_000_000, 1_000), 50) == usdt("400")
    assert maintenance_margin(CENTS, usdt("10000")) == usdt("50")
    assert maintenance_margin(CENTS, usdt("20000")) == usdt("100")
    assert initial_margin(1, 3) == 1
    with pytest.raises(ValueError, match="leverage"):
        initial_margin(100, 0)


# --- 1.4 / 1.10 PnL and fees ----------------------------------------------------------------------------


def test_binance_fee_examples() -> None:
    """Binance: taker buy 1 BTC @ 10,104 pays 10,104 x 0.05% = 5.052;
    maker sell 1 BTC @ 11,104 pays 11,104 x 0.02% = 2.2208."""
    assert fee(BTC.notional(101_040, 1_000), BTC.taker_fee) == usdt("5.052")
    assert fee(BTC.notional(111_040, 1_000), BTC.maker_fee) == usdt("2.2208")


def test_fee_rounds_up_against_the_payer() -> None:
    """1 unit x 0.02% = 0.0002 units -> 1 unit; nothing traded pays nothing."""
    assert fee(1, BTC.maker_fee) == 1
    assert fee(0, BTC.taker_fee) == 0


def test_pnl_of_the_fee_page_round_trip() -> None:
    """Binance: long 1 BTC @ 10,104, mark 11,104: uPnL = 1 x (11,104 - 10,104) = +1,000;
    the same short: -1,000. Entry price = 10,104.0 = 101,040 ticks."""
    entry = usdt("10104")
    assert unrealized_pnl(1_000, entry, 111_040, BTC.notional_unit) == usdt("1000")
    assert unrealized_pnl(-1_000, entry, 111_040, BTC.notional_unit) == usdt("-1000")
    assert unrealized_pnl(0, 0, 111_040, BTC.notional_unit) == 0
    assert entry_price(1_000, entry, BTC.notional_unit) == 101_040


# --- 1.7 liquidation price ------------------------------------------------------------------------------


def test_isolated_long_liquidation_price_of_the_reference_example() -> None:
    """Binance: "1 BTC @ 10,000 at 50x gives 9,849.25 on Binance". Isolated wallet = IM =
    10,000 / 50 = 200. Worked by hand, the figure needs a tier-1 MMR of 0.5% (cum 0), not 0.4%:
      LP = (WB + cum - Q x EP) / (Q x MMR - Q) = (200 + 0 - 10,000) / (0.005 - 1) = 9,800 / 0.995
         = 9,849.2462..., shown 9,849.25 (a long rounds up to the 0.01 tick).
    Check: MM at LP = 9,849.2462 x 0.5% = 49.2462; margin balance = 200 - 150.7538 = 49.2462.
    (Bybit's 9,850 = 10,000 x (1 - 2% + 0.5%) takes MM at entry value, 50.)"""
    lp = liquidation_price(CENTS, 1_000, usdt("10000"), usdt("200"))
    assert lp == Fraction(9_800) / Fraction("0.995") * 100  # in ticks of 0.01
    assert display_ticks(lp, 1) == 984_925  # 9,849.25


def test_isolated_long_liquidation_price_with_the_current_btc_tier() -> None:
    """Same position on the BTCUSDT table (tier 1 MMR 0.4%): LP = 9,800 / 0.996 = 9,839.3574...,
    shown 9,839.4 (up to the 0.1 tick)."""
    lp = liquidation_price(BTC, 1_000, usdt("10000"), usdt("200"))
    assert lp == Fraction(9_800) / Fraction("0.996") * 10
    assert lp is not None and display_ticks(lp, 1) == 98_394


def test_isolated_short_liquidation_price() -> None:
    """Short: LP = (WB + cum + Q x EP) / (Q x MMR + Q) = (200 + 10,000) / 1.005 = 10,149.2537...,
    shown 10,149.25 (a short rounds down)."""
    lp = liquidation_price(CENTS, -1_000, usdt("10000"), usdt("200"))
    assert lp == Fraction(10_200) / Fraction("1.005") * 100
    assert lp is not None and display_ticks(lp, -1) == 1_014_925


def test_cross_liquidation_price_counts_other_positions() -> None:
    """Cross long 1 BTC @ 10,000 (BTCUSDT), cross wallet 1,000, other positions' MM 100 and uPnL +300:
    LP = (1,000 - 100 + 300 - 10,000) / (0.004 - 1) = 8,800 / 0.996 = 8,835.3413..., shown 8,835.4.
    A gain elsewhere lowers a long's LP: without the +300 it is (1,000 - 100 - 10,000) / (0.004 - 1)
    = 9,100 / 0.996 = 9,136.5461..."""
    lp = liquidation_price(BTC, 1_000, usdt("10000"), usdt("1000"), usdt("100"), usdt("300"))
    assert lp == Fraction(8_800) / Fraction("0.996") * 10
    assert lp is not None and display_ticks(lp, 1) == 88_354
    assert (
        liquidation_price(BTC, 1_000, usdt("10000"), usdt("1000"), usdt("100"))
        == Fraction(9_100) / Fraction("0.996") * 10
    )


def test_liquidation_price_reselects_the_tier_at_the_liquidation_price() -> None:
    """Short 4.9 BTC @ 10,000 (notional 49,000: tier 1 at entry), isolated wallet 4,900 (10x).
    Tier 1 line: (4,900 + 0 + 49,000) / (4.9 x 1.004) = 53,900 / 4.9196 = 10,956.18; notional there
    4.9 x 10,956.18 = 53,685 > 50,000, outside tier 1: rejected.
    Tier 2 line: (4,900 + 50 + 49,000) / (4.9 x 1.005) = 53,950 / 4.9245 = 10,955.43; notional 53,681.6
    is in (50,000, 250,000]: accepted."""
    lp = liquidation_price(BTC, -4_900, usdt("49000"), usdt("4900"))
    assert lp == Fraction(53_950) / Fraction("4.9245") * 10
    assert lp is not None and display_ticks(lp, -1) == 109_554  # 10,955.4


def test_no_positive_liquidation_price_is_none() -> None:
    """A 1x long with its full notional as margin: LP = (10,000 - 10,000) / (0.004 - 1) = 0 -> "--".
    A short whose margin is already gone at any price: (-10,001 + 10,000) / 1.004 < 0 -> "--"."""
    assert liquidation_price(BTC, 1_000, usdt("10000"), usdt("10000")) is None
    assert liquidation_price(BTC, -1_000, usdt("10000"), usdt("-10001")) is None
    assert liquidation_price(BTC, 0, 0, usdt("100")) is None


# --- 1.8 bankruptcy price -------------------------------------------------------------------------------


def test_bankruptcy_price_examples() -> None:
    """Derived from Binance, and Bybit's example: isolated long 1 @ 10,000 at 50x (wallet 200): 10,000 x (1 - 1/50)
    = 9,800; short: 10,000 x (1 + 1/50) = 10,200. Cross long 2 @ 10,000, wallet 1,000, other uPnL -200:
    10,000 - 800 / 2 = 9,600. A long paid in full (wallet 10,000) cannot go bankrupt: None."""
    unit = BTC.notional_unit
    assert bankruptcy_price(1_000, usdt("10000"), usdt("200"), unit) == 98_000
    assert bankruptcy_price(-1_000, usdt("10000"), usdt("200"), unit) == 102_000
    assert bankruptcy_price(2_000, usdt("20000"), usdt("800"), unit) == 96_000
    assert bankruptcy_price(1_000, usdt("10000"), usdt("10000"), unit) is None
    assert bankruptcy_price(0, 0, usdt("10"), unit) is None


def test_display_rounding_direction() -> None:
    """paperex (as Bybit's examples): a long's price rounds up, a short's down; whole prices stay."""
    assert display_ticks(Fraction(10_001, 2), 5) == 5_001
    assert display_ticks(Fraction(10_001, 2), -5) == 5_000
    assert display_ticks(Fraction(7), 1) == display_ticks(Fraction(7), -1) == 7


# --- 1.11 funding ------------------------------------------------------------------------------------------


def test_premium_index() -> None:
    """Binance, P = [max(0, IB - I) - max(0, I - IA)] / I with index 10,000:
    IB 10,005, IA 10,006 -> 5 / 10,000 = 0.05%; IB 9,990, IA 9,995 -> -5 / 10,000 = -0.05%;
    IB 9,999, IA 10,001 (index inside) -> 0."""
    assert premium_index(10_005, 10_006, 10_000) == Fraction(5, 10_000)
    assert premium_index(9_990, 9_995, 10_000) == Fraction(-5, 10_000)
    assert premium_index(9_999, 10_001, 10_000) == 0
    assert premium_index(Fraction(20_011, 2), 10_006, 10_000) == Fraction(11, 20_000)


@pytest.mark.parametrize(
    ("premium", "interval", "expected"),
    [
        # F = P + clamp(I - P, -0.05%, +0.05%), I = 0.01%, then clamp to [-0.3%, 0.3%], then x N/8:
        ("0.0003", 8, "0.0001"),  # I - P = -0.02%, inside the band: F = I = 0.01%
        ("-0.0003", 8, "0.0001"),  # I - P = 0.04%, inside: F = 0.01%
        ("0.001", 8, "0.0005"),  # I - P = -0.09% -> -0.05%: F = 0.1% - 0.05% = 0.05%
        ("-0.002", 8, "-0.0015"),  # I - P = 0.21% -> 0.05%: F = -0.2% + 0.05% = -0.15%
        ("0.01", 8, "0.003"),  # 1% - 0.05% = 0.95%, capped at 0.3%
        ("-0.01", 8, "-0.003"),  # -1% + 0.05% = -0.95%, floored at -0.3%
        ("0.001", 4, "0.00025"),  # 0.05% x 4/8
        ("0.001", 1, "0.0000625"),  # 0.05% x 1/8
        ("0.01", 4, "0.0015"),  # cap 0.3% x 4/8 (clamped before scaling)
    ],
)
def test_funding_rate(premium: str, interval: int, expected: str) -> None:
    rate = funding_rate(Fraction(premium), BTC.interest_rate, BTC.funding_cap, BTC.funding_floor, interval)
    assert rate == usdt(expected)


def test_funding_rate_rounds_to_the_published_8_decimals() -> None:
    """P = 0.1% at a 3-hour interval: 0.05% x 3/8 = 0.0001875 exactly (18,750 units); and
    P = 1/30,000 with I = 0 and no clamp reach: F = 0.0000333... -> 0.00003333 (nearest)."""
    assert funding_rate(Fraction("0.001"), 10_000, 300_000, -300_000, 3) == usdt("0.0001875")
    assert funding_rate(Fraction(1, 30_000), 0, 300_000, -300_000, 8, clamp=0) == usdt("0.00003333")


def test_funding_payment_examples() -> None:
    """Binance: funding = mark x size x rate, longs pay when positive.
    Long 1 BTC, mark 10,000, rate 0.01% -> pays 1; the short receives 1.
    BitMEX's example: interest (1% - 0.25%) / 3 = 0.25%; at premium 0.25% the rate is
    0.25% (within a 0.75% cap); a 20-unit position pays 20 x 0.25% = 0.05."""
    unit = BTC.notional_unit
    assert funding_payment(1_000, 100_000, unit, usdt("0.0001")) == usdt("1")
    assert funding_payment(-1_000, 100_000, unit, usdt("0.0001")) == usdt("-1")
    bitmex = funding_rate(Fraction("0.0025"), usdt("0.0025"), usdt("0.0075"), usdt("-0.0075"))
    assert bitmex == usdt("0.0025")
    assert funding_payment(1_000, 200, unit, bitmex) == usdt("0.05")  # 1 unit at 20.0 = 20 notional
    assert funding_payment(-1_000, 200, unit, bitmex) == usdt("-0.05")


def test_funding_payment_rounds_against_the_account() -> None:
    """1 lot (0.001 BTC) at 1 tick (0.1) is 0.0001 USDT = 10,000 units; x rate 1e-8 = 0.0001 units:
    the long pays 1 unit (rounded up), the short receives 0 (its -0.0001 rounded up)."""
    assert funding_payment(1, 1, BTC.notional_unit, 1) == 1
    assert funding_payment(-1, 1, BTC.notional_unit, 1) == 0


# --- 1.6 / 1.12 margin ratio and ADL ------------------------------------------------------------------------


def test_margin_ratio() -> None:
    """Binance: MM 50 / margin balance 200 = 25%; 200 / 200 = 100% (liquidation); no balance -> None."""
    assert margin_ratio(usdt("50"), usdt("200")) == Fraction(1, 4)
    assert margin_ratio(usdt("200"), usdt("200")) == 1
    assert margin_ratio(usdt("50"), 0) is None
    assert margin_ratio(usdt("50"), usdt("-1")) is None


def test_adl_score() -> None:
    """Binance, LeveragePnL = max(0, uPnL) / max(1, WB) x MM / (WB + uPnL):
    uPnL 500, WB 1,000, MM 30, MB 1,500 -> 0.5 x 0.02 = 0.01.
    uPnL 10, WB 0.5 (below 1 USDT, so 1 is used), MM 1, MB 10.5 -> 10 x 1/10.5 = 20/21.
    A loss ranks 0; a non-positive margin balance makes the ratio 0."""
    assert adl_score(usdt("500"), usdt("1000"), usdt("30"), usdt("1500")) == Fraction(1, 100)
    assert adl_score(usdt("10"), usdt("0.5"), usdt("1"), usdt("10.5")) == Fraction(20, 21)
    assert adl_score(usdt("-10"), usdt("1000"), usdt("30"), usdt("990")) == 0
    assert adl_score(usdt("10"), usdt("1000"), usdt("30"), 0) == 0


# --- properties -----------------------------------------------------------------------------------------

UNITS = [("0.1", "0.001"), ("0.01", "0.001"), ("0.0001", "1"), ("1", "0.01"), ("0.00001", "0.1")]


@st.composite
def instruments(draw: st.DrawFn) -> Instrument:
    """The default tables or a random one: whole-USDT caps, rising MMR, falling max leverage."""
    choice = draw(st.integers(0, 2))
    if choice < 2:
        return (BTC, ETH)[choice]
    tick, lot = draw(st.sampled_from(UNITS))
    count = draw(st.integers(1, 6))
    caps = sorted(draw(st.sets(st.integers(1, 10**9), min_size=count, max_size=count)))
    mmrs = sorted(draw(st.sets(st.integers(1, 99_999_999), min_size=count, max_size=count)))
    leverages = sorted(draw(st.lists(st.integers(1, 125), min_size=count, max_size=count)), reverse=True)
    rows = [
        (cap, lev, format(Decimal(mmr).scaleb(-8), "f")) for cap, lev, mmr in zip(caps, leverages, mmrs, strict=True)
    ]
    return instrument(tick, lot, rows, symbol="RANDUSDT")


@given(instruments())
def test_property_maintenance_margin_continuous_at_every_boundary(inst: Instrument) -> None:
    for lower, upper in pairwise(inst.brackets):
        assert tier_maintenance(lower, lower.cap) == tier_maintenance(upper, lower.cap)
        assert maintenance_margin_exact(inst, lower.cap) == tier_maintenance(upper, lower.cap)


@given(instruments(), st.integers(0, 10**19), st.integers(0, 10**19))
def test_property_maintenance_margin_non_decreasing(inst: Instrument, a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    assert 0 <= maintenance_margin_exact(inst, low) <= maintenance_margin_exact(inst, high)
    assert maintenance_margin(inst, low) <= maintenance_margin(inst, high)


def margin_gap(
    inst: Instrument, size: Lots, entry: Amount, wallet: Amount, other_mm: Amount, other_upnl: Amount, price: Fraction
) -> Fraction:
    """Margin balance - maintenance margin at ``price``, from the other functions, exactly."""
    balance = wallet + other_upnl + unrealized_pnl(size, entry, price, inst.notional_unit)
    required = other_mm + maintenance_margin_exact(inst, abs(size) * price * inst.notional_unit)
    return balance - required


@given(
    inst=instruments(),
    size=st.integers(1, 10**6),
    short=st.booleans(),
    entry_ticks=st.integers(1, 10**7),
    wallet_share=st.fractions(-1, 3),
    other_mm=st.integers(0, 10**14),
    other_upnl=st.integers(-(10**14), 10**14),
)
def test_property_liquidation_price_is_where_margin_balance_meets_maintenance(
    inst: Instrument,
    size: Lots,
    short: bool,
    entry_ticks: Ticks,
    wallet_share: Fraction,
    other_mm: Amount,
    other_upnl: Amount,
) -> None:
    signed = -size if short else size
    side = -1 if short else 1
    entry = inst.notional(entry_ticks, size)
    wallet = int(entry * wallet_share)
    lp = liquidation_price(inst, signed, entry, wallet, other_mm, other_upnl)

    def gap(price: Fraction | int) -> Fraction:
        return margin_gap(inst, signed, entry, wallet, other_mm, other_upnl, Fraction(price))

    if lp is None:
        # No positive root: a long is safe at every positive price, a short liquidatable at all of them.
        assert (gap(1) > 0) if side == 1 else (gap(1) < 0)
        return
    assert lp > 0
    assert gap(lp) == 0
    further = lp - side
    if further > 0:
        assert gap(further) < 0
    assert gap(lp + side) > 0
    # On the tick grid: the displayed price is still safe, the next tick into the loss is not.
    shown_ticks = display_ticks(lp, signed)
    assert gap(shown_ticks) >= 0
    if shown_ticks - side > 0:
        assert gap(shown_ticks - side) < 0


@given(
    inst=instruments(),
    size=st.integers(-(10**6), 10**6).filter(bool),
    entry_ticks=st.integers(1, 10**7),
    wallet_share=st.fractions(-1, 2),
)
def test_property_bankruptcy_price_is_where_margin_balance_is_zero(
    inst: Instrument, size: Lots, entry_ticks: Ticks, wallet_share: Fraction
) -> None:
    entry = inst.notional(entry_ticks, abs(size))
    wallet = int(entry * wallet_share)
    bp = bankruptcy_price(size, entry, wallet, inst.notional_unit)
    assume(bp is not None)
    assert bp is not None and bp > 0
    assert wallet + unrealized_pnl(size, entry, bp, inst.notional_unit) == 0


@given(
    inst=instruments(),
    lots=st.integers(1, 10**6),
    price=st.integers(1, 10**7),
    mark=st.integers(1, 10**7),
    leverage=st.integers(1, 125),
)
def test_property_order_cost_is_symmetric_in_side(
    inst: Instrument, lots: Lots, price: Ticks, mark: Ticks, leverage: int
) -> None:
    """One side-parametrised path: a buy at p with mark m costs what a sell at p with mark 2p - m does,
    and exactly one side carries open loss."""
    unit = inst.notional_unit
    buy_loss = open_loss(1, lots, price, mark, unit)
    sell_loss = open_loss(-1, lots, price, mark, unit)
    assert min(buy_loss, sell_loss) == 0
    assert buy_loss + sell_loss == lots * unit * abs(price - mark)
    assert order_cost(inst, 1, lots, price, mark, leverage) == order_cost(
        inst, -1, lots, price, 2 * price - mark, leverage
    )
