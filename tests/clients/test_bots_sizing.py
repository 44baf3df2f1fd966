"""paperex.client.bots.sizing: the 2% rule and its balance cap, worked out by hand (BTCUSDT's filters: lot
0.001, min quantity 0.001, min notional 100, taker fee 0.05%)."""

from decimal import Decimal

import pytest

from paperex.client.bots.sizing import Rules, Size, affordable_quantity, position_size, risk_quantity

D = Decimal
RULES = Rules()
ENTRY, STOP = D(64710), D("63892.9")


def test_the_risk_at_the_stop_is_two_percent_of_equity_rounded_down_to_the_lot() -> None:
    """10,000 x 2% = 200 at risk over 64,710 - 63,892.9 = 817.1 a BTC: 0.24477 -> 0.244, whose loss at
    the stop is 0.244 x 817.1 = 199.37 <= 200. The balance allows 10,000 x 0.95 / (64,710 / 5 + 64,710
    x 0.0005) = 9,500 / 12,974.355 = 0.7322 -> 0.732, so the risk sets the size."""
    size = position_size(D(10_000), D(10_000), ENTRY, STOP, 5, RULES)
    assert size == Size(D("0.244"), D("0.244"), D("0.732"))
    assert not size.capped


def test_a_short_risks_the_same_over_the_same_distance() -> None:
    """Stop 64,710 + 817.1 = 65,527.1 above a short entry: the same 0.244."""
    assert risk_quantity(D(10_000), D("0.02"), ENTRY, D("65527.1"), D("0.001")) == D("0.244")


def test_the_available_balance_caps_the_size() -> None:
    """Available 2,000: 2,000 x 0.95 / 12,974.355 = 0.14644 -> 0.146 < 0.244: capped."""
    size = position_size(D(10_000), D(2_000), ENTRY, STOP, 5, RULES)
    assert size == Size(D("0.146"), D("0.244"), D("0.146"))
    assert size.capped


def test_higher_leverage_lifts_the_cap() -> None:
    """At 20x: 2,000 x 0.95 / (64,710 / 20 + 32.355) = 1,900 / 3,267.855 = 0.58142 -> 0.581."""
    assert affordable_quantity(D(2_000), 20, ENTRY, D("0.0005"), D("0.95"), D("0.001")) == D("0.581")


def test_a_size_under_the_minimum_notional_means_no_trade() -> None:
    """Equity 100: 2 / 817.1 = 0.00245 -> 0.002, notional 129.42 >= 100: trade. Equity 50: 1 / 817.1 =
    0.00122 -> 0.001, notional 64.71 < 100: no trade."""
    assert position_size(D(100), D(10_000), ENTRY, STOP, 5, RULES).quantity == D("0.002")
    assert position_size(D(50), D(10_000), ENTRY, STOP, 5, RULES).quantity == 0


def test_a_stop_at_the_entry_cannot_be_sized() -> None:
    with pytest.raises(ValueError):
        risk_quantity(D(10_000), D("0.02"), ENTRY, ENTRY, D("0.001"))
