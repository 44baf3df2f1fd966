"""paperex.engine.units: exact decimal <-> integer conversion, and the instrument filters built on it.

Every expected value is worked out by hand in a comment: a price in ticks is price / tick_size, a
quantity in lots is quantity / lot_size, an Amount is the decimal x 1e8.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.reasons import RejectReason
from paperex.engine.units import (
    SCALE,
    ConversionError,
    amount_from_decimal,
    amount_to_decimal,
    from_steps,
    parse_decimal,
    to_steps,
)

BTC = DEFAULT_INSTRUMENTS["BTCUSDT"]
TICK = Decimal("0.1")
LOT = Decimal("0.001")
PRICE = (RejectReason.INVALID_PRICE, RejectReason.INVALID_TICK)
QUANTITY = (RejectReason.INVALID_QUANTITY, RejectReason.INVALID_LOT)


def price_steps(text: Any) -> int:
    return to_steps(text, TICK, "price", *PRICE)


def lot_steps(text: Any) -> int:
    return to_steps(text, LOT, "quantity", *QUANTITY)


def reason_of(convert: Callable[[Any], object], value: object) -> RejectReason:
    with pytest.raises(ConversionError) as caught:
        convert(value)
    return caught.value.reason


# ---------------------------------------------------------------------- exact conversions


@pytest.mark.parametrize(
    ("text", "step", "steps"),
    [
        ("64900.1", "0.1", 649_001),  # 64900.1 / 0.1
        ("64900.10", "0.1", 649_001),  # a trailing zero is still on the grid
        ("64900", "0.1", 649_000),  # 64900 / 0.1
        ("0.1", "0.1", 1),
        ("0.001", "0.001", 1),
        ("0.125", "0.001", 125),  # 0.125 / 0.001
        ("1000", "0.001", 1_000_000),  # 1000 / 0.001
        ("2500.01", "0.01", 250_001),  # 2500.01 / 0.01
        ("3", "1", 3),
        ("1.5", "0.5", 3),  # steps need not be powers of ten
    ],
)
def test_to_steps_is_exact(text: str, step: str, steps: int) -> None:
    assert to_steps(text, Decimal(step), "price", *PRICE) == steps


def test_to_steps_accepts_a_decimal_as_well_as_text() -> None:
    # Decimal("2.50") / 0.01 = 250
    assert to_steps(Decimal("2.50"), Decimal("0.01"), "price", *PRICE) == 250


@pytest.mark.parametrize(
    ("count", "step", "text"),
    [
        (649_001, "0.1", "64900.1"),  # 649001 x 0.1
        (649_000, "0.1", "64900.0"),  # keeps the tick's one decimal
        (5_568, "0.1", "556.8"),
        (1, "0.001", "0.001"),
        (1_000, "0.001", "1.000"),  # 1000 x 0.001, three decimals like the lot
        (250_001, "0.01", "2500.01"),
        (0, "0.1", "0.0"),
    ],
)
def test_from_steps_renders_with_the_step_precision(count: int, step: str, text: str) -> None:
    assert from_steps(count, Decimal(step)) == text


@given(
    count=st.integers(min_value=1, max_value=10**15),
    step=st.sampled_from(["1", "0.5", "0.1", "0.01", "0.001", "0.00001"]),
)
def test_steps_round_trip(count: int, step: str) -> None:
    assert to_steps(from_steps(count, Decimal(step)), Decimal(step), "price", *PRICE) == count


def test_parse_decimal_keeps_the_exact_value() -> None:
    assert parse_decimal("64900.10", "price", RejectReason.INVALID_PRICE) == Decimal("64900.1")


# ---------------------------------------------------------------------- refused values


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("64900.15", RejectReason.INVALID_TICK),  # 649001.5 ticks
        ("0.05", RejectReason.INVALID_TICK),  # half a tick
        ("64900.1000000000000000000000000001", RejectReason.INVALID_TICK),  # off by 1e-28: refused, not rounded
    ],
)
def test_off_grid_price_is_invalid_tick(text: str, reason: RejectReason) -> None:
    assert reason_of(price_steps, text) is reason


@pytest.mark.parametrize("text", ["0.0015", "1.0001", "0.0005"])  # 1.5, 1000.1 and 0.5 lots
def test_off_grid_quantity_is_invalid_lot(text: str) -> None:
    assert reason_of(lot_steps, text) is RejectReason.INVALID_LOT


REFUSED = [
    "0",
    "0.0",
    "-0",
    "0E-3",
    "-1",
    "-0.1",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "",
    " ",
    "\t",
    " 1",
    "1 ",
    "1\n",
    "abc",
    "1,000",
    "0x10",
    "1.2.3",
    "6.49001E+4",  # exponents are not plain decimal notation
    "1e30",
    1.5,  # a float, even one exactly on the grid
    0.1,
    100,  # not text
    None,
    Decimal("NaN"),
    Decimal("Infinity"),
    Decimal("-1"),
    Decimal("0"),
]


@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_bad_price_is_invalid_price(value: object) -> None:
    assert reason_of(price_steps, value) is RejectReason.INVALID_PRICE


@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_bad_quantity_is_invalid_quantity(value: object) -> None:
    assert reason_of(lot_steps, value) is RejectReason.INVALID_QUANTITY


def test_conversion_error_names_field_and_value() -> None:
    with pytest.raises(ConversionError) as caught:
        BTC.price_to_ticks("64900.15", field="stop_price")
    error = caught.value
    assert (error.reason, error.field, error.value) == (RejectReason.INVALID_TICK, "stop_price", "64900.15")
    assert isinstance(error, ValueError)
    assert "stop_price" in str(error) and "INVALID_TICK" in str(error)


@pytest.mark.parametrize("text", ["1_000", "\u0666\u0665\u0660\u0660\u0660"], ids=["underscore", "arabic-indic"])
def test_python_only_number_forms_are_refused(text: str) -> None:
    assert reason_of(price_steps, text) is RejectReason.INVALID_PRICE


# ---------------------------------------------------------------------- instrument filters (BTCUSDT)


@pytest.mark.parametrize(
    ("text", "ticks"),
    [
        ("556.8", 5_568),  # min_price 556.8 / 0.1
        ("4529764", 45_297_640),  # max_price 4,529,764 / 0.1
        ("64900.1", 649_001),
    ],
)
def test_price_bounds_are_inclusive(text: str, ticks: int) -> None:
    assert BTC.price_to_ticks(text) == ticks


@pytest.mark.parametrize("text", ["556.7", "0.1", "4529764.1", "10000000"])
def test_price_outside_the_filter_is_out_of_bounds(text: str) -> None:
    assert reason_of(BTC.price_to_ticks, text) is RejectReason.PRICE_OUT_OF_BOUNDS


def test_grid_is_checked_before_bounds() -> None:
    # 556.75 is both below min_price and off the 0.1 grid: the tick error wins
    assert reason_of(BTC.price_to_ticks, "556.75") is RejectReason.INVALID_TICK
    assert reason_of(BTC.price_to_ticks, "-556.8") is RejectReason.INVALID_PRICE


@pytest.mark.parametrize("text", ["9" * 30, "1" + "0" * 40, "1" + "0" * 40 + ".5"])
def test_huge_price_is_out_of_bounds(text: str) -> None:
    # 1e30 / 0.1 = 1e31 ticks and more: far above max_price (45,297,640 ticks), and more digits than
    # Decimal's default 28-digit context holds
    assert reason_of(BTC.price_to_ticks, text) is RejectReason.PRICE_OUT_OF_BOUNDS


@pytest.mark.parametrize(
    ("text", "lots"),
    [
        ("0.001", 1),  # min_qty 0.001 / 0.001
        ("1000", 1_000_000),  # max_qty 1000 / 0.001
        ("0.5", 500),
    ],
)
def test_quantity_bounds_are_inclusive(text: str, lots: int) -> None:
    assert BTC.qty_to_lots(text) == lots


@pytest.mark.parametrize("text", ["1000.001", "5000"])
def test_quantity_above_the_filter_is_out_of_bounds(text: str) -> None:
    assert reason_of(BTC.qty_to_lots, text) is RejectReason.QUANTITY_OUT_OF_BOUNDS


def test_quantity_errors_use_quantity_reasons() -> None:
    assert reason_of(BTC.qty_to_lots, "0.0001") is RejectReason.INVALID_LOT  # a tenth of a lot
    assert reason_of(BTC.qty_to_lots, "0") is RejectReason.INVALID_QUANTITY
    assert reason_of(BTC.qty_to_lots, "NaN") is RejectReason.INVALID_QUANTITY


@given(ticks=st.integers(min_value=5_568, max_value=45_297_640))
def test_instrument_price_round_trip(ticks: int) -> None:
    assert BTC.price_to_ticks(BTC.ticks_to_price(ticks)) == ticks


@given(lots=st.integers(min_value=1, max_value=1_000_000))
def test_instrument_quantity_round_trip(lots: int) -> None:
    assert BTC.qty_to_lots(BTC.lots_to_qty(lots)) == lots


# ---------------------------------------------------------------------- amounts and rates (1e-8)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("0.0002", 20_000),  # 0.0002 x 1e8 (the maker fee rate)
        ("100", 10_000_000_000),  # 100 x 1e8
        ("1.23456789", 123_456_789),
        ("0.00000001", 1),  # the smallest unit
        ("-0.003", -300_000),  # rates may be negative (funding floor)
        ("0", 0),
        ("1E+2", 10_000_000_000),  # 100 with an exponent
    ],
)
def test_amount_from_decimal(text: str, amount: int) -> None:
    assert amount_from_decimal(text) == amount
    assert amount_from_decimal(Decimal(text)) == amount


@pytest.mark.parametrize("text", ["0.000000001", "1.000000005", "-0.123456789"])  # 9 decimal places
def test_amount_finer_than_1e_8_is_refused_not_rounded(text: str) -> None:
    with pytest.raises(ValueError, match="more than 8 decimal places"):
        amount_from_decimal(text)


@pytest.mark.parametrize(
    ("amount", "value"),
    [
        (123_456_789, "1.23456789"),
        (20_000, "0.0002"),
        (-300_000, "-0.003"),
        (1, "0.00000001"),
        (10_000_000_000, "100"),
    ],
)
def test_amount_to_decimal(amount: int, value: str) -> None:
    assert amount_to_decimal(amount) == Decimal(value)


def test_scale_is_1e_8() -> None:
    assert SCALE == 100_000_000


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_amount_round_trip(amount: int) -> None:
    value = amount_to_decimal(amount)
    assert amount_from_decimal(value) == amount
    assert amount_from_decimal(str(value)) == amount


@given(
    whole=st.integers(min_value=-(10**10), max_value=10**10),
    fraction=st.integers(min_value=0, max_value=10**8 - 1),
)
def test_decimal_round_trip(whole: int, fraction: int) -> None:
    value = Decimal(whole) + Decimal(fraction).scaleb(-8)
    assert amount_to_decimal(amount_from_decimal(value)) == value
