"""paperex.client.bots.quoting: the market maker's quotes, mid and requote decisions, worked out by hand.

Rules used throughout (BTCUSDT's filters): half-spread 10 bps, size 0.010, max inventory 0.016, skew
8 bps at max inventory, tick 0.1, lot 0.001, min quantity 0.001, min notional 100. At a mid of 64,900
the half-spread is 64,900 x 10 / 10,000 = 64.9 and the full skew 64,900 x 8 / 10,000 = 51.92.
"""

from decimal import Decimal

import pytest

from paperex.client.bots.quoting import (
    Action,
    Quote,
    QuoteRules,
    action,
    external_best,
    moved_beyond,
    quotes,
    reference_mid,
)
from paperex.client.enums import Side

D = Decimal
RULES = QuoteRules(D(10), D("0.010"), D("0.016"), D(8), D("0.1"), D("0.001"), D("0.001"), D(100))
MID = D(64900)


def bid(price: str, quantity: str) -> Quote:
    return Quote(Side.BUY, D(price), D(quantity))


def ask(price: str, quantity: str) -> Quote:
    return Quote(Side.SELL, D(price), D(quantity))


def test_flat_quotes_sit_the_half_spread_either_side_of_the_mid() -> None:
    """64,900 - 64.9 = 64,835.1 and 64,900 + 64.9 = 64,964.9, the full size on both sides."""
    assert quotes(MID, D(0), RULES) == (bid("64835.1", "0.010"), ask("64964.9", "0.010"))


def test_a_long_shifts_both_quotes_down_and_shrinks_the_bid() -> None:
    """Position +0.010: inventory 0.010 / 0.016 = 0.625, skew 51.92 x 0.625 = 32.45, reservation
    64,867.55. Bid 64,867.55 - 64.9 = 64,802.65 -> 64,802.6 (down to the tick), sized 0.016 - 0.010 =
    0.006; ask 64,932.45 -> 64,932.5 (up), sized min(0.010, 0.016 + 0.010) = 0.010."""
    assert quotes(MID, D("0.010"), RULES) == (bid("64802.6", "0.006"), ask("64932.5", "0.010"))


def test_a_short_mirrors_it() -> None:
    """Position -0.010: reservation 64,900 + 32.45 = 64,932.45; bid 64,867.55 -> 64,867.5 sized 0.010,
    ask 64,997.35 -> 64,997.4 sized 0.016 - 0.010 = 0.006."""
    assert quotes(MID, D("-0.010"), RULES) == (bid("64867.5", "0.010"), ask("64997.4", "0.006"))


@pytest.mark.parametrize("position", ["0.016", "0.020"])
def test_at_or_past_max_inventory_only_the_reducing_side_quotes(position: str) -> None:
    """Inventory clamps at 1: full skew 51.92, reservation 64,848.08; no bid (0.016 - position <= 0);
    ask 64,848.08 + 64.9 = 64,912.98 -> 64,913.0, full size."""
    assert quotes(MID, D(position), RULES) == (None, ask("64913.0", "0.010"))


def test_a_quote_under_the_minimum_notional_is_not_sent() -> None:
    """Size 0.001: 0.001 x 64,835.1 = 64.8 < 100 on the bid and 65.0 < 100 on the ask."""
    small = QuoteRules(D(10), D("0.001"), D("0.016"), D(8), D("0.1"), D("0.001"), D("0.001"), D(100))
    assert quotes(MID, D(0), small) == (None, None)


def test_post_only_quotes_stay_a_tick_clear_of_the_other_side() -> None:
    """Others ask 64,830.0 (under our 64,835.1 bid) and bid 64,970.0 (over our 64,964.9 ask): the bid
    goes to 64,829.9 and the ask to 64,970.1 so that neither would take."""
    assert quotes(MID, D(0), RULES, best_bid=D("64970.0"), best_ask=D("64830.0")) == (
        bid("64829.9", "0.010"),
        ask("64970.1", "0.010"),
    )


def test_our_own_quantity_is_taken_out_of_the_book() -> None:
    """Our bid of 0.010 is alone at 64,935.0: the best bid of others is 64,900.0. Where others rest at
    our price too (0.5 there, ours 0.010), that price stays the best."""
    levels = [(D("64935.0"), D("0.010")), (D("64900.0"), D("0.500"))]
    assert external_best(levels, {D("64935.0"): D("0.010")}) == D("64900.0")
    assert external_best([(D("64935.0"), D("0.510"))], {D("64935.0"): D("0.010")}) == D("64935.0")
    assert external_best([(D("64935.0"), D("0.010"))], {D("64935.0"): D("0.010")}) is None


def test_the_mid_falls_back_to_the_mark_when_the_book_is_one_sided_empty_or_crossed() -> None:
    mark = D("64950.0")
    assert reference_mid(D("64800.0"), D("65000.0"), mark) == D("64900.0")
    assert reference_mid(D("64800.0"), None, mark) == mark
    assert reference_mid(None, None, mark) == mark
    assert reference_mid(D("65000.0"), D("64800.0"), mark) == mark
    assert reference_mid(None, None, None) is None


def test_only_a_move_beyond_the_threshold_counts() -> None:
    """2 bps of 64,900 is 12.98: a move of 12 stays inside, one of 14 is beyond, either way."""
    assert not moved_beyond(MID, D(64912), D(2))
    assert moved_beyond(MID, D(64914), D(2))
    assert moved_beyond(MID, D(64886), D(2))


@pytest.mark.parametrize(
    ("live", "target", "requote", "expected"),
    [
        (None, bid("64835.1", "0.010"), False, Action.PLACE),
        (bid("64835.1", "0.010"), None, False, Action.CANCEL),
        (None, None, True, Action.KEEP),
        (bid("64835.1", "0.010"), bid("64835.1", "0.010"), True, Action.KEEP),
        (bid("64835.1", "0.010"), bid("64802.6", "0.006"), False, Action.KEEP),
        (bid("64835.1", "0.010"), bid("64802.6", "0.006"), True, Action.AMEND),
        (bid("64835.1", "0.010"), bid("64835.1", "0.006"), True, Action.AMEND),
    ],
)
def test_a_resting_quote_is_amended_only_when_it_is_time_to_requote(
    live: Quote | None, target: Quote | None, requote: bool, expected: Action
) -> None:
    assert action(live, target, requote) is expected
