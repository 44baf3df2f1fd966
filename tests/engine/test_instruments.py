"""paperex.engine.instruments: the default BTCUSDT/ETHUSDT specs, bracket arithmetic, and TOML parsing.

Amounts and rates are integers in 1e-8 units, so 100 USDT is 100 x 1e8 and 0.5% is 0.005 x 1e8.
"""

from decimal import Decimal

import pytest

from paperex.engine.instruments import (
    DEFAULT_INSTRUMENTS,
    Instrument,
    InstrumentConfigError,
    LiquidationFee,
    parse_instrument,
    parse_instruments,
)
from paperex.engine.mark import MarkMethod

E8 = 10**8
BTC = DEFAULT_INSTRUMENTS["BTCUSDT"]
ETH = DEFAULT_INSTRUMENTS["ETHUSDT"]


def usdt(value: str) -> int:
    """A USDT figure or a rate in engine units, computed here independently of paperex.engine.units."""
    scaled = Decimal(value) * E8
    assert scaled == scaled.to_integral_value()
    return int(scaled)


# ---------------------------------------------------------------------- defaults


def test_default_symbols() -> None:
    assert set(DEFAULT_INSTRUMENTS) == {"BTCUSDT", "ETHUSDT"}
    assert (BTC.symbol, BTC.base, BTC.quote) == ("BTCUSDT", "BTC", "USDT")
    assert (ETH.symbol, ETH.base, ETH.quote) == ("ETHUSDT", "ETH", "USDT")


def test_btcusdt_filters() -> None:
    assert BTC.tick_size == Decimal("0.1")
    assert BTC.lot_size == Decimal("0.001")
    assert BTC.min_notional == 100 * E8  # 100 USDT
    assert BTC.min_qty == 1  # 0.001 / 0.001
    assert BTC.max_qty == 1_000_000  # 1000 / 0.001
    assert BTC.max_market_qty == 120_000  # 120 / 0.001
    assert BTC.min_price == 5_568  # 556.8 / 0.1
    assert BTC.max_price == 45_297_640  # 4,529,764 / 0.1
    assert BTC.notional_unit == 10_000  # one tick x one lot = 0.1 x 0.001 = 0.0001 USDT = 1e4 x 1e-8


def test_ethusdt_filters() -> None:
    assert ETH.tick_size == Decimal("0.01")
    assert ETH.lot_size == Decimal("0.001")
    assert ETH.min_notional == 20 * E8  # 20 USDT
    assert ETH.min_qty == 1
    assert ETH.max_qty == 10_000_000  # 10,000 / 0.001
    assert ETH.max_market_qty == 2_000_000  # 2,000 / 0.001
    assert ETH.min_price == 3_986  # 39.86 / 0.01
    assert ETH.max_price == 30_617_700  # 306,177 / 0.01
    assert ETH.notional_unit == 1_000  # 0.01 x 0.001 = 0.00001 USDT = 1e3 x 1e-8


@pytest.mark.parametrize("instrument", [BTC, ETH], ids=["BTCUSDT", "ETHUSDT"])
def test_fees_funding_and_band(instrument: Instrument) -> None:
    assert instrument.maker_fee == 20_000  # 0.02% = 0.0002 x 1e8
    assert instrument.taker_fee == 50_000  # 0.05%
    assert instrument.price_band == 5_000_000  # 5%
    assert (instrument.funding_cap, instrument.funding_floor) == (300_000, -300_000)  # +/-0.3%
    assert instrument.interest_rate == 10_000  # 0.01%
    assert instrument.funding_interval_hours == 8


def test_notional_is_exact() -> None:
    # 1 BTC (1000 lots) at 64,900.0 (649,000 ticks) = 64,900 USDT
    assert BTC.notional(649_000, 1_000) == 64_900 * E8
    # 0.002 BTC at 65,000.0 = 130 USDT
    assert BTC.notional(650_000, 2) == 130 * E8
    # 0.5 ETH (500 lots) at 3,456.78 (345,678 ticks) = 1,728.39 USDT
    assert ETH.notional(345_678, 500) == usdt("1728.39")


# Binance's rule: cum(n) = floor(n) x (mmr(n) - mmr(n-1)) + cum(n-1), cum(1) = 0, where floor(n) is the
# previous tier's cap. Worked tier by tier (USDT):
BTC_TIERS = [
    # floor,       cap,           lev, mmr,     cum
    ("0", "50000", 125, "0.004", "0"),
    ("50000", "250000", 100, "0.005", "50"),  # 50,000 x 0.1% + 0
    ("250000", "1000000", 50, "0.01", "1300"),  # 250,000 x 0.5% + 50
    ("1000000", "10000000", 20, "0.025", "16300"),  # 1,000,000 x 1.5% + 1,300
    ("10000000", "20000000", 10, "0.05", "266300"),  # 10,000,000 x 2.5% + 16,300
    ("20000000", "50000000", 5, "0.10", "1266300"),  # 20,000,000 x 5% + 266,300
    ("50000000", "100000000", 4, "0.125", "2516300"),  # 50,000,000 x 2.5% + 1,266,300
    ("100000000", "200000000", 3, "0.15", "5016300"),  # 100,000,000 x 2.5% + 2,516,300
    ("200000000", "300000000", 2, "0.25", "25016300"),  # 200,000,000 x 10% + 5,016,300
    ("300000000", "9223372036", 1, "0.50", "100016300"),  # 300,000,000 x 25% + 25,016,300
]
ETH_TIERS = [
    ("0", "10000", 100, "0.005", "0"),
    ("10000", "100000", 75, "0.0065", "15"),  # 10,000 x 0.15% + 0
    ("100000", "500000", 50, "0.01", "365"),  # 100,000 x 0.35% + 15
    ("500000", "1000000", 25, "0.02", "5365"),  # 500,000 x 1% + 365
    ("1000000", "2000000", 10, "0.05", "35365"),  # 1,000,000 x 3% + 5,365
    ("2000000", "5000000", 5, "0.10", "135365"),  # 2,000,000 x 5% + 35,365
    ("5000000", "10000000", 4, "0.125", "260365"),  # 5,000,000 x 2.5% + 135,365
    ("10000000", "20000000", 3, "0.15", "510365"),  # 10,000,000 x 2.5% + 260,365
    ("20000000", "50000000", 2, "0.25", "2510365"),  # 20,000,000 x 10% + 510,365
    ("50000000", "9223372036", 1, "0.50", "15010365"),  # 50,000,000 x 25% + 2,510,365
]


@pytest.mark.parametrize(("instrument", "tiers"), [(BTC, BTC_TIERS), (ETH, ETH_TIERS)], ids=["BTCUSDT", "ETHUSDT"])
def test_brackets_follow_binance_cum_rule(instrument: Instrument, tiers: list[tuple[str, str, int, str, str]]) -> None:
    got = [(b.floor, b.cap, b.max_leverage, b.mmr, b.cum) for b in instrument.brackets]
    want = [(usdt(floor), usdt(cap), lev, usdt(mmr), usdt(cum)) for floor, cap, lev, mmr, cum in tiers]
    assert got == want


def test_btcusdt_tier_3_cum_is_1300() -> None:
    # 250,000 x (1% - 0.5%) + 50 = 1,250 + 50 = 1,300 USDT
    assert BTC.brackets[2].cum == 1_300 * E8


def test_max_leverage_is_the_first_tier() -> None:
    assert (BTC.max_leverage, ETH.max_leverage) == (125, 100)


# ---------------------------------------------------------------------- parsing TOML

SOL_FIELDS = {
    "base": '"SOL"',
    "tick_size": "0.01",
    "lot_size": "1",
    "min_qty": "1",
    "max_qty": "1000000",
    "max_market_qty": "5000",
    "min_price": "0.42",
    "max_price": "6857",
    "min_notional": "5",
    "price_band": "0.05",
    "maker_fee": "0.0002",
    "taker_fee": "0.0005",
    "funding_cap": "0.003",
    "funding_floor": "-0.003",
    "interest_rate": "0.0001",
    "brackets": "[{ cap = 5000, max_leverage = 50, mmr = 0.01 }, { cap = 50000, max_leverage = 20, mmr = 0.025 }]",
}


def table(symbol: str = "SOLUSDT", drop: tuple[str, ...] = (), **changes: str) -> str:
    """One ``[instruments.SYMBOL]`` table: SOL_FIELDS with ``changes`` applied and ``drop`` removed."""
    fields = {**SOL_FIELDS, **changes}
    lines = [f"{key} = {value}" for key, value in fields.items() if key not in drop]
    return f"[instruments.{symbol}]\n" + "\n".join(lines) + "\n"


def test_parse_adds_a_symbol_over_the_defaults() -> None:
    instruments = parse_instruments(table(), DEFAULT_INSTRUMENTS)
    assert set(instruments) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert instruments["BTCUSDT"] is BTC and instruments["ETHUSDT"] is ETH
    sol = instruments["SOLUSDT"]
    assert (sol.base, sol.quote, sol.funding_interval_hours) == ("SOL", "USDT", 8)  # defaults
    assert (sol.tick_size, sol.lot_size) == (Decimal("0.01"), Decimal("1"))
    assert (sol.min_qty, sol.max_qty, sol.max_market_qty) == (1, 1_000_000, 5_000)
    assert (sol.min_price, sol.max_price) == (42, 685_700)  # 0.42 / 0.01, 6,857 / 0.01
    assert sol.min_notional == 5 * E8
    assert sol.notional_unit == 1_000_000  # 0.01 x 1 = 0.01 USDT = 1e6 x 1e-8
    # tier 2: 5,000 x (2.5% - 1%) + 0 = 75 USDT
    assert [(b.floor, b.cap, b.max_leverage, b.mmr, b.cum) for b in sol.brackets] == [
        (0, 5_000 * E8, 50, 1_000_000, 0),
        (5_000 * E8, 50_000 * E8, 20, 2_500_000, 75 * E8),
    ]


def test_parse_does_not_mutate_the_base() -> None:
    parse_instruments(table(), DEFAULT_INSTRUMENTS)
    assert set(DEFAULT_INSTRUMENTS) == {"BTCUSDT", "ETHUSDT"}


def test_parse_overrides_an_existing_symbol() -> None:
    text = table("BTCUSDT", base='"BTC"', tick_size="1", lot_size="0.01", min_price="557", max_price="4529764")
    instruments = parse_instruments(text, DEFAULT_INSTRUMENTS)
    btc = instruments["BTCUSDT"]
    assert btc is not BTC
    assert (btc.tick_size, btc.lot_size) == (Decimal("1"), Decimal("0.01"))
    assert (btc.min_price, btc.max_price) == (557, 4_529_764)  # whole-dollar ticks now
    assert btc.min_qty == 100  # min_qty 1 / 0.01
    assert btc.max_leverage == 50  # the table's first tier, not Binance's 125
    assert instruments["ETHUSDT"] is ETH


def test_parse_without_base_holds_only_the_table() -> None:
    assert set(parse_instruments(table())) == {"SOLUSDT"}
    assert parse_instruments("") == {}


def test_parse_reads_decimals_exactly() -> None:
    # a float parser would turn 0.1 into 0.1000000000000000055...; TOML floats must arrive as Decimal
    sol = parse_instruments(table(tick_size="0.1", min_price="0.5", max_price="6857.3"))["SOLUSDT"]
    assert sol.tick_size == Decimal("0.1")
    assert (sol.min_price, sol.max_price) == (5, 68_573)


def test_explicit_cum_overrides_the_rule() -> None:
    brackets = (
        "[{ cap = 5000, max_leverage = 50, mmr = 0.01 }, { cap = 50000, max_leverage = 20, mmr = 0.025, cum = 80 }]"
    )
    sol = parse_instruments(table(brackets=brackets))["SOLUSDT"]
    assert sol.brackets[1].cum == 80 * E8


def test_optional_fields() -> None:
    sol = parse_instruments(table(quote='"USDC"', funding_interval_hours="4"))["SOLUSDT"]
    assert (sol.quote, sol.funding_interval_hours) == ("USDC", 4)


def test_mark_method_is_the_venue_median_unless_the_table_says_index() -> None:
    assert BTC.mark_method is ETH.mark_method is MarkMethod.MEDIAN  # the built-in instruments
    assert parse_instruments(table())["SOLUSDT"].mark_method is MarkMethod.MEDIAN  # left out: the default
    assert parse_instruments(table(mark_method='"median"'))["SOLUSDT"].mark_method is MarkMethod.MEDIAN
    assert parse_instruments(table(mark_method='"index"'))["SOLUSDT"].mark_method is MarkMethod.INDEX


@pytest.mark.parametrize("value", ['"last"', '"MEDIAN"', "1"])
def test_unknown_mark_method(value: str) -> None:
    message = config_error(table(mark_method=value))
    assert message.startswith("SOLUSDT.mark_method: ") and message.endswith("is not one of 'median', 'index'")


def test_liquidation_fee_and_insurance_fund_are_declared_per_instrument() -> None:
    """Binance's clearance model unless the table says otherwise; the fund starts with what it says:
    0.0125 -> 1,250,000 and 250,000 USDT -> 25,000,000,000,000 in 1e-8 units."""
    assert (BTC.liquidation_fee, BTC.liquidation_fee_rate, BTC.insurance_fund) == (LiquidationFee.CLEARANCE, 300_000, 0)
    assert (ETH.liquidation_fee, ETH.liquidation_fee_rate) == (LiquidationFee.CLEARANCE, 500_000)
    sol = parse_instruments(table())["SOLUSDT"]
    assert (sol.liquidation_fee, sol.liquidation_fee_rate, sol.insurance_fund) == (LiquidationFee.CLEARANCE, 0, 0)
    sol = parse_instruments(table(liquidation_fee='"taker"', liquidation_fee_rate="0.0125", insurance_fund="250000"))[
        "SOLUSDT"
    ]
    assert (sol.liquidation_fee, sol.liquidation_fee_rate, sol.insurance_fund) == (
        LiquidationFee.TAKER,
        1_250_000,
        25_000_000_000_000,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"liquidation_fee": '"maker"'}, "SOLUSDT.liquidation_fee: 'maker' is not one of 'clearance', 'taker', 'none'"),
        ({"liquidation_fee_rate": "1"}, "SOLUSDT: liquidation_fee_rate must be at least 0 and below 1"),
        ({"liquidation_fee_rate": "-0.001"}, "SOLUSDT: liquidation_fee_rate must be at least 0 and below 1"),
        ({"insurance_fund": "-1"}, "SOLUSDT: insurance_fund must not be negative"),
    ],
)
def test_bad_liquidation_settings(changes: dict[str, str], message: str) -> None:
    assert config_error(table(**changes)) == message


def test_tick_times_lot_of_exactly_1e_8_is_allowed() -> None:
    # 0.00001 x 0.001 = 1e-8: one tick of one lot is the smallest amount
    sol = parse_instruments(table(tick_size="0.00001", lot_size="0.001", min_qty="0.001", min_price="0.42"))
    assert sol["SOLUSDT"].notional_unit == 1


BTC_SPEC = {
    "base": "BTC",
    "tick_size": "0.1",
    "lot_size": "0.001",
    "min_qty": "0.001",
    "max_qty": "1000",
    "max_market_qty": "120",
    "min_price": "556.8",
    "max_price": "4529764",
    "min_notional": "100",
    "price_band": "0.05",
    "maker_fee": "0.0002",
    "taker_fee": "0.0005",
    "funding_interval_hours": 8,
    "funding_cap": "0.003",
    "funding_floor": "-0.003",
    "interest_rate": "0.0001",
    "liquidation_fee": "clearance",
    "liquidation_fee_rate": "0.003",
    "brackets": [{"cap": cap, "max_leverage": lev, "mmr": mmr} for _floor, cap, lev, mmr, _cum in BTC_TIERS],
}


def test_parse_instrument_takes_a_mapping() -> None:
    # the published BTCUSDT values as a plain mapping of strings rebuild the default spec exactly
    assert parse_instrument("BTCUSDT", BTC_SPEC) == BTC


# ---------------------------------------------------------------------- bad tables


def config_error(text: str) -> str:
    with pytest.raises(InstrumentConfigError) as caught:
        parse_instruments(text, DEFAULT_INSTRUMENTS)
    return str(caught.value)


@pytest.mark.parametrize("field", ["base", "tick_size", "lot_size", "min_qty", "min_notional", "brackets"])
def test_missing_field(field: str) -> None:
    message = config_error(table(drop=(field,)))
    assert message == f"SOLUSDT: missing field '{field}'"


def test_missing_bracket_field() -> None:
    message = config_error(table(brackets="[{ cap = 5000, max_leverage = 50 }]"))
    assert message == "SOLUSDT: missing field 'mmr'"


@pytest.mark.parametrize(
    ("changes", "field", "value", "step"),
    [
        ({"lot_size": "0.001", "min_qty": "0.0015"}, "min_qty", "0.0015", "0.001"),  # 1.5 lots
        ({"min_price": "0.425"}, "min_price", "0.425", "0.01"),  # 42.5 ticks
        ({"max_qty": "0"}, "max_qty", "0", "1"),  # zero lots
        ({"max_market_qty": "-5"}, "max_market_qty", "-5", "1"),
    ],
)
def test_filter_off_the_grid(changes: dict[str, str], field: str, value: str, step: str) -> None:
    message = config_error(table("SOLUSDT", (), **changes))
    assert message.startswith(f"SOLUSDT.{field}: ")
    assert value in message and message.endswith(f"is not a positive multiple of {step}")


@pytest.mark.parametrize(
    ("tick", "lot"),
    [
        ("0.0001", "0.00001"),  # 1e-4 x 1e-5 = 1e-9
        ("0.000001", "0.001"),  # 1e-6 x 1e-3 = 1e-9
        ("0.00000003", "0.5"),  # 1.5e-8: coarser than 1e-8 but not a multiple of it
    ],
)
def test_tick_times_lot_finer_than_1e_8(tick: str, lot: str) -> None:
    message = config_error(table(tick_size=tick, lot_size=lot, min_qty=lot, min_price="1", max_price="100"))
    assert message == "SOLUSDT: tick x lot must be a positive multiple of 1e-8"


@pytest.mark.parametrize(("tick", "lot"), [("0", "1"), ("-0.01", "1"), ("0.01", "0")])
def test_non_positive_tick_or_lot(tick: str, lot: str) -> None:
    assert "tick x lot must be a positive multiple of 1e-8" in config_error(table(tick_size=tick, lot_size=lot))


def test_leverage_increasing_with_tier() -> None:
    brackets = "[{ cap = 5000, max_leverage = 20, mmr = 0.01 }, { cap = 50000, max_leverage = 50, mmr = 0.025 }]"
    assert config_error(table(brackets=brackets)) == "SOLUSDT: bracket 2 allows more leverage than the one below"


@pytest.mark.parametrize(
    "brackets",
    [
        "[{ cap = 5000, max_leverage = 50, mmr = 0.01 }, { cap = 5000, max_leverage = 20, mmr = 0.025 }]",  # empty tier
        "[{ cap = 5000, max_leverage = 0, mmr = 0.01 }]",  # no leverage at all
        "[{ cap = 5000, max_leverage = 50, mmr = 0 }]",  # no maintenance margin
        "[{ cap = 5000, max_leverage = 50, mmr = 1 }]",  # 100% maintenance margin
    ],
)
def test_invalid_tier(brackets: str) -> None:
    assert config_error(table(brackets=brackets)).startswith("SOLUSDT: bracket ")


def test_no_brackets() -> None:
    assert config_error(table(brackets="[]")) == "SOLUSDT: at least one bracket is required"


def test_rate_finer_than_1e_8() -> None:
    message = config_error(table(maker_fee="0.000000001"))
    assert message.startswith("SOLUSDT.maker_fee:") and "at most 8 places" in message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"max_market_qty": "2000000"}, "SOLUSDT: need min_qty <= max_market_qty <= max_qty"),
        ({"min_price": "7000"}, "SOLUSDT: min_price above max_price"),
        ({"price_band": "1"}, "SOLUSDT: price_band must be between 0 and 1"),
        ({"price_band": "0"}, "SOLUSDT: price_band must be between 0 and 1"),
    ],
)
def test_inconsistent_limits(changes: dict[str, str], expected: str) -> None:
    assert config_error(table("SOLUSDT", (), **changes)) == expected


def test_invalid_toml() -> None:
    assert config_error("[instruments.SOLUSDT\nbase = ").startswith("invalid TOML:")


@pytest.mark.parametrize(
    "text",
    [
        table(tick_size='"abc"'),
        table(min_qty='"one"'),
        table(brackets='[{ cap = 5000, max_leverage = "fifty", mmr = 0.01 }]'),
        "[instruments]\nSOLUSDT = 5\n",
    ],
    ids=["tick_size", "min_qty", "max_leverage", "not-a-table"],
)
def test_wrongly_typed_value_is_a_config_error(text: str) -> None:
    config_error(text)
