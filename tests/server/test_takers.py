"""The built-in taker flow (server/market/takers.py) in isolation: the side's lean toward the index, sizes
in lots, Poisson arrivals, and the same orders from the same seed however the time is stepped.

BTCUSDT in engine units: tick 0.1, so 64,900.0 = 649_000 ticks and 65,000.0 = 650_000; lot 0.001 BTC,
so one lot at 64,900 is worth 64.9 USDT; min notional 100 USDT; the largest market order 120 BTC.
"""

from decimal import Decimal
from fractions import Fraction

import pytest

from paperex.engine.commands import PlaceOrder
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side
from paperex.server.market.scenarios import ScenarioError, library, parse
from paperex.server.market.takers import MINUTE_NS, TakerConfig, TakerFlow, buy_probability, order_lots

BTC, ETH = "BTCUSDT", "ETHUSDT"
BTC_SPEC = DEFAULT_INSTRUMENTS[BTC]
T0 = 1_767_225_600 * 10**9
SECOND = 10**9
INDEX = 650_000  # 65,000.0


def flow(seed: int = 1, **settings: object) -> TakerFlow:
    config = TakerConfig(**settings)  # type: ignore[arg-type]
    return TakerFlow(7, DEFAULT_INSTRUMENTS, {BTC: config}, seed=seed, start_ns=T0)


def run(takers: TakerFlow, minutes: int, step_ns: int, last: int = INDEX) -> list[PlaceOrder]:
    orders: list[PlaceOrder] = []
    for k in range(1, minutes * MINUTE_NS // step_ns + 1):
        orders += takers.orders(BTC, T0 + k * step_ns, INDEX, last)
    return orders


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (0, Fraction(1, 2)),  # no trade yet: even odds
        (650_000, Fraction(1, 2)),  # last on the index
        (649_350, Fraction(3, 5)),  # 0.5 + 100 x 650 / 650,000 = 0.5 + 0.1
        (650_130, Fraction(12, 25)),  # 0.5 - 100 x 130 / 650,000 = 0.5 - 0.02 = 0.48
        (600_000, Fraction(9, 10)),  # 0.5 + 100 x 50,000 / 650,000 = 8.19: kept at 0.5 + 0.4
        (700_000, Fraction(1, 10)),  # 0.5 - 7.69: kept at 0.5 - 0.4
    ],
)
def test_the_side_leans_toward_the_index_within_the_imbalance_limit(last: int, expected: Fraction) -> None:
    assert buy_probability(INDEX, last, TakerConfig()) == expected


@pytest.mark.parametrize(
    ("notional", "lots"),
    [
        (Fraction(2_000), 30),  # 2,000 / 64.9 = 30.8 lots, rounded down
        (Fraction(50), 2),  # 0.77 lots is under the 100 USDT minimum: ceil(100 / 64.9) = 2 lots
        (Fraction(10_000_000), 120_000),  # 154,083 lots capped at the largest market order, 120 BTC
    ],
)
def test_a_notional_becomes_lots_within_the_instruments_filters(notional: Fraction, lots: int) -> None:
    assert order_lots(BTC_SPEC, 649_000, notional) == lots


def test_arrivals_come_at_the_configured_rate_sided_by_the_lean_and_sized_around_the_median() -> None:
    """6 a minute for 1,000 minutes: 6,000 expected, a Poisson count's standard deviation sqrt(6,000) =
    77, so within 4 of them (+-310). With the last price 650 ticks under the index, P(buy) = 0.6: of
    ~6,000 arrivals the buys' standard deviation is sqrt(6,000 x 0.6 x 0.4) = 38 (0.6%), so the share
    lies in 0.6 +- 0.03. Sizes are sized at the index 65,000 (65 USDT a lot): the median 2,000 USDT is
    30.77 lots, so the median order is 30 or 31 lots; the cap 50,000 USDT is 769.2 -> 769 lots, the
    largest any order may be."""
    orders = run(flow(), minutes=1_000, step_ns=SECOND, last=649_350)
    assert 6_000 - 310 <= len(orders) <= 6_000 + 310
    buys = sum(order.side is Side.BUY for order in orders)
    assert 0.57 <= buys / len(orders) <= 0.63
    sizes = sorted(order.quantity for order in orders)
    assert sizes[len(sizes) // 2] in (30, 31)
    assert sizes[-1] <= 769 and sizes[0] >= 2  # 100 USDT / 65 = 1.5 -> 2 lots at least
    assert {(order.account_id, order.symbol, order.order_type) for order in orders} == {(7, BTC, OrderType.MARKET)}


def test_the_same_seed_gives_the_same_orders_however_time_is_stepped_and_another_seed_differs() -> None:
    """Every arrival draws its own gap, side and size, so stepping 1 s or 60 s at a time changes only
    the stamp of each order (the step it falls due in), not the order."""

    def unstamped(orders: list[PlaceOrder]) -> list[tuple[Side, int]]:
        return [(order.side, order.quantity) for order in orders]

    by_second = run(flow(seed=3), minutes=30, step_ns=SECOND)
    by_minute = run(flow(seed=3), minutes=30, step_ns=MINUTE_NS)
    assert unstamped(by_second) == unstamped(by_minute) and by_second
    assert {order.ts % MINUTE_NS for order in by_minute} == {0}
    assert unstamped(run(flow(seed=4), minutes=30, step_ns=SECOND)) != unstamped(by_second)


def test_a_long_gap_is_not_made_up_in_one_burst() -> None:
    """An hour between two steps at 6 a minute would owe ~360 arrivals; only the last minute's are
    made (6 expected, a Poisson count that exceeds 25 with a probability under 1e-8)."""
    takers = flow()
    orders = takers.orders(BTC, T0 + 60 * MINUTE_NS, INDEX, INDEX)
    assert 0 < len(orders) <= 25


def test_no_orders_without_an_index_for_an_unknown_symbol_or_when_switched_off_or_at_rate_zero() -> None:
    later = T0 + 10 * MINUTE_NS
    assert flow().orders(BTC, later, 0, 0) == []
    assert flow().orders(ETH, later, INDEX, INDEX) == []
    assert flow(enabled=False).symbols == () and flow(rate_per_minute=Decimal(0)).symbols == ()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="median_notional must be positive and at most max_notional"):
        TakerConfig(median_notional=Decimal(60_000))
    with pytest.raises(ValueError, match=r"max_imbalance must be between 0 and 0\.5"):
        TakerConfig(max_imbalance=Decimal("0.6"))


BASE = """
name = "custom"
duration = "1h"
[instruments.BTCUSDT]
start = 64900
feed = "fixed"
[instruments.ETHUSDT]
start = 3400
feed = "fixed"
"""


def test_a_scenarios_takers_table_applies_to_every_instrument_with_per_instrument_overrides() -> None:
    scenario = parse(BASE + "[takers]\nrate = 12\nmedian_notional = 500\n[takers.ETHUSDT]\nrate = 3\nenabled = false\n")
    assert scenario.takers[BTC] == TakerConfig(rate_per_minute=Decimal(12), median_notional=Decimal(500))
    assert scenario.takers[ETH] == TakerConfig(rate_per_minute=Decimal(3), median_notional=Decimal(500), enabled=False)
    assert parse(BASE).takers == {}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[takers]\nrate = 'fast'\n", r"^takers\.rate: 'fast' is not a number"),
        ("[takers]\nspeed = 3\n", r"^takers\.speed: unknown key \(expected one of BTCUSDT, ETHUSDT, dispersion"),
        ("[takers.BTCUSDT]\nrate = 1\nETHUSDT = 2\n", r"^takers\.BTCUSDT\.ETHUSDT: unknown key"),
        ("[takers]\nenabled = 1\n", r"^takers\.enabled: expected true or false, not 1"),
        ("[takers.ETHUSDT]\nrate = -1\n", r"^takers\.ETHUSDT: rate_per_minute, dispersion and sensitivity"),
        ("[takers]\nmax_notional = 1000\n", r"^takers: median_notional must be positive and at most max_notional"),
    ],
)
def test_bad_takers_tables_name_the_key_at_fault(table: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse(BASE + table)


def test_the_shipped_scenarios_that_should_trade_have_takers() -> None:
    shipped = library()
    for name in ("calm", "trend-up", "chop", "flash-crash", "squeeze"):
        assert shipped[name].takers and all(config.enabled for config in shipped[name].takers.values()), name
    assert shipped["liquidity-drought"].takers == {}
