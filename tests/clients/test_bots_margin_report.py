"""paperex.client.bots.margin_report: the side-by-side table and a verdict that follows the outcome, not the script.
Also runs the doctests of the bots' pure modules (pytest collects doctests only under engine/)."""

import doctest
from datetime import timedelta
from decimal import Decimal
from types import ModuleType

import pytest

from paperex.client.bots import grid, indicators, margin_report, quoting, sizing, trend
from paperex.client.bots.margin_report import (
    AccountView,
    CollateralOutcome,
    CollateralStep,
    Outcome,
    Step,
    collateral_table,
    collateral_verdict,
    first_liquidation,
    header,
    row,
    status,
    verdict,
)

D = Decimal
OPEN = AccountView(D("1.540"), D("14949.98"), D("13022.54"), D("0.034"), D("55501.2"), "open")
GONE = AccountView(D(0), D("10012.27"), D("10012.27"), None, None, "LIQUIDATED")


def outcome(lost_to: str, margin: str = "4951.52", *, liquidated: bool = True, still_open: bool = False) -> Outcome:
    """An account that started with 15,000, put ``margin`` behind the long, paid 57.13 of fees and ends
    with a margin balance of ``lost_to``."""
    return Outcome(D(15000), D(margin), D("57.13"), D(lost_to), D(lost_to), liquidated, still_open, None)


@pytest.mark.parametrize(
    ("size", "ratio", "liquidated", "expected"),
    [
        ("1.540", "0.034", False, "open"),
        ("1.540", "0.70", False, "margin call"),
        ("0", None, True, "LIQUIDATED"),
        ("0.700", "0.2", True, "part-liquid."),
        ("0", None, False, "closed"),
    ],
)
def test_status_words(size: str, ratio: str | None, liquidated: bool, expected: str) -> None:
    assert status(D(size), D("1.540"), D(ratio) if ratio else None, liquidated) == expected


def test_each_row_lines_up_under_the_header_with_both_accounts_side_by_side() -> None:
    """Mark 63,712.4 from 64,900: (63,712.4 - 64,900) / 64,900 = -1.83% -> -1.8%."""
    names, columns = header()
    line = row(Step(timedelta(minutes=5), D("63712.4"), OPEN, GONE), D(64900))
    assert len(line) == len(columns) == len(names)
    assert names.index("CROSS") < names.index("ISOLATED")
    assert line.split(" | ")[0].split() == ["0:05:00", "63,712.4", "-1.8%"]
    cross, isolated = line.split(" | ")[1:]
    assert cross.split() == ["1.540", "14,949.98", "13,022.54", "3.4%", "55,501.2", "open"]
    assert isolated.split() == ["0.000", "10,012.27", "10,012.27", "LIQUIDATED"]


def test_the_verdict_when_the_story_plays_out() -> None:
    """Isolated lost 15,000 - 10,012.27 = 4,987.73 <= 4,951.52 + 57.13 = 5,008.65; cross lost it all."""
    lines = verdict(outcome("0", "4997.30"), outcome("10012.27"))
    assert lines[0].startswith("ISOLATED: liquidated; lost 4,987.73 of 15,000.00 USDT, no more than")
    assert "the whole wallet backed the position and went with it" in lines[1]
    assert "isolated margin capped the loss" in lines[2]


def test_the_verdict_when_cross_margin_survives_the_move() -> None:
    """A shallower move: isolated liquidated (lost 4,987.73), cross still open with equity 11,000."""
    lines = verdict(outcome("11000", "4997.30", liquidated=False, still_open=True), outcome("10012.27"))
    assert lines[1].startswith("CROSS:    still open; equity 11,000.00 USDT (down 4,000.00)")
    assert "rode out the move" in lines[2]


def test_an_open_isolated_position_is_reported_with_what_is_at_stake() -> None:
    """Equity 14,781.71: down 15,000 - 14,781.71 = 218.29, nothing "kept" yet."""
    line = verdict(
        outcome("14781.71", liquidated=False, still_open=True), outcome("14781.71", liquidated=False, still_open=True)
    )[0]
    assert line == (
        "ISOLATED: still open; equity 14,781.71 USDT (down 218.29), at most its position margin (4,951.52) plus "
        "fees (57.13) at stake."
    )


def test_the_verdict_says_so_when_isolated_lost_more_than_its_margin() -> None:
    """Lost 15,000 - 9,000 = 6,000 > 4,951.52 + 57.13: the line must not claim the cap held."""
    assert "MORE than its position margin" in verdict(outcome("0"), outcome("9000"))[0]


@pytest.mark.parametrize("module", [grid, indicators, quoting, sizing, trend, margin_report])
def test_the_docstring_examples_hold(module: ModuleType) -> None:
    assert doctest.testmod(module).failed == 0


BTC_OPEN = AccountView(D("1.540"), D("-50.02"), D("1804.70"), D("0.219"), D("57107.3"), "open")


def test_the_collateral_table_adds_the_btc_backed_accounts_collateral_last() -> None:
    """Mark 57,911.5 from 64,900: (57,911.5 - 64,900) / 64,900 = -10.77% -> -10.8%; the BTC's margin
    12,715.54 is the last cell, right-aligned under its column."""
    names, columns, line = collateral_table(
        [CollateralStep(timedelta(minutes=30), D("57911.5"), OPEN, BTC_OPEN, D("12715.54"))], D(64900)
    )
    assert len(names) == len(columns) == len(line)
    assert names.index("USDT COLLATERAL") < names.index("BTC COLLATERAL")
    assert columns.split()[-1] == "collateral" and line.split()[-1] == "12,715.54"
    assert line.split(" | ")[0].split() == ["0:30:00", "57,911.5", "-10.8%"]
    assert line.split(" | ")[2].split() == ["1.540", "-50.02", "1,804.70", "21.9%", "57,107.3", "open", "12,715.54"]


def test_the_first_liquidation_is_the_first_row_showing_it() -> None:
    steps = [
        CollateralStep(timedelta(minutes=30), D("57911.5"), OPEN, BTC_OPEN, D("12715.54")),
        CollateralStep(timedelta(minutes=35), D("56581.8"), OPEN, GONE, D(0)),
        CollateralStep(timedelta(minutes=40), D("55639.4"), GONE, GONE, D(0)),
    ]
    assert first_liquidation(steps, btc=True) == (timedelta(minutes=35), D("56581.8"))
    assert first_liquidation(steps, btc=False) == (timedelta(minutes=40), D("55639.4"))
    assert first_liquidation(steps[:1], btc=True) is None


def collateral_outcome(liquidated_minutes: int | None, price: str) -> CollateralOutcome:
    at = None if liquidated_minutes is None else timedelta(minutes=liquidated_minutes)
    return CollateralOutcome(D(price), at, D("56581.8") if at else None, D(0) if at else D("590.12"))


def test_the_collateral_verdict_names_the_earlier_liquidation() -> None:
    """BTC-backed liquidated at 0:35:00, USDT-backed at 0:45:00: the BTC one went first."""
    lines = collateral_verdict(
        collateral_outcome(45, "55501.24"), collateral_outcome(35, "57107.34"), (D("14248.02"), D(0))
    )
    assert lines[0].startswith("USDT COLLATERAL: liquidated by 0:45:00")
    assert "its BTC gave 14,248.02 USDT of margin at the start, 0.00 at the end" in lines[1]
    assert lines[2].endswith("its liquidation price higher from the start (57,107.3 against 55,501.2).")


def test_the_collateral_verdict_claims_nothing_the_run_did_not_show() -> None:
    """The same step: no "first"; the USDT-backed one liquidated alone: no lesson at all."""
    same = collateral_verdict(collateral_outcome(35, "55501.24"), collateral_outcome(35, "57107.34"), (D(1), D(0)))
    assert "within one step" in same[2] and "first" not in same[2]
    usdt_only = collateral_verdict(
        collateral_outcome(35, "55501.24"), collateral_outcome(None, "57107.34"), (D(1), D(1))
    )
    assert len(usdt_only) == 2 and usdt_only[1].startswith("BTC COLLATERAL:  not liquidated")
