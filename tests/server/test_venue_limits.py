"""A venue's limits counted its way (``paperex.server.core.venue_limits``): fixed windows of the wall
clock, escalating bans, order counts per account; on a clock the tests move by hand."""

import pytest

from paperex.server.core.admission import PROFILES, Admission, Limits
from paperex.server.core.venue_limits import VenueLimits, VenueMeter
from paperex.server.wire.errors import Refused
from tests.server.conftest import ManualClock

SMALL = VenueLimits(
    request_weight=10, orders_per_10s=3, orders_per_minute=5, refusals_before_ban=2, ban_seconds=(120, 600)
)
ADDRESS = "10.0.0.7"


def refusal(call: object, *args: object) -> Refused:
    with pytest.raises(Refused) as refused:
        call(*args)  # type: ignore[operator]
    return refused.value


def test_weight_is_counted_per_address_in_the_minute_of_the_wall_clock() -> None:
    """Limit 10 a minute. At 960,020 s (20 s into the minute that opened at 960,000 s): 6 then 4
    fill it (used 6, 10); 1 more is refused with the 40 s left of the minute, and uses nothing (still
    10); another address has its own 10. At 960,060 s the next minute opens: 1 is used 1."""
    clock = ManualClock(960_020.0)
    meter = VenueMeter(SMALL, clock)
    assert meter.request(ADDRESS, 6) == 6
    assert meter.request(ADDRESS, 4) == 10
    refused = refusal(meter.request, ADDRESS, 1)
    assert (refused.reason, refused.retry_after) == ("RATE_LIMITED", 40.0)
    assert refused.metadata == {
        "budget": "request_weight",
        "address": ADDRESS,
        "used": "10",
        "weight": "1",
        "limit": "10",
        "window": "1m",
        "retry_after": "40.000",
    }
    assert meter.used_weight(ADDRESS) == 10
    assert meter.request("10.0.0.8", 10) == 10
    clock.now = 960_060.0
    assert meter.request(ADDRESS, 1) == 1


def test_an_address_that_keeps_sending_is_banned_longer_each_time() -> None:
    """Two refusals a minute are allowed; the third request refused in the minute bans the address for
    120 s (from 960,030 s to 960,150 s), answered BANNED with the time left, even for a request of
    weight 0, until the ban ends. The next ban lasts 600 s, and so does any later one (the last
    duration repeats)."""
    clock = ManualClock(960_000.0)
    meter = VenueMeter(SMALL, clock)
    meter.request(ADDRESS, 10)
    clock.now = 960_030.0
    assert [refusal(meter.request, ADDRESS, 1).reason for _ in range(2)] == ["RATE_LIMITED", "RATE_LIMITED"]
    banned = refusal(meter.request, ADDRESS, 1)
    assert (banned.reason, banned.retry_after) == ("BANNED", 120.0)
    assert banned.metadata == {"address": ADDRESS, "until_ms": "960150000", "bans": "1", "retry_after": "120.000"}
    clock.now = 960_100.0
    assert (refusal(meter.request, ADDRESS, 0).reason, refusal(meter.request, ADDRESS, 0).retry_after) == (
        "BANNED",
        50.0,
    )
    for start, bans in ((960_150.0, "2"), (960_750.0, "3")):
        clock.now = start
        assert meter.request(ADDRESS, 10) == 10
        assert [refusal(meter.request, ADDRESS, 1).reason for _ in range(2)] == ["RATE_LIMITED", "RATE_LIMITED"]
        banned = refusal(meter.request, ADDRESS, 1)
        assert (banned.reason, banned.retry_after, banned.metadata["bans"]) == ("BANNED", 600.0, bans)


def test_a_ban_is_forgotten_a_day_after_it_ends() -> None:
    """Forgiven 86,400 s after its end, the next ban of the address is a first again: 120 s."""
    clock = ManualClock(960_000.0)
    meter = VenueMeter(SMALL, clock)
    meter.request(ADDRESS, 10)
    for _ in range(3):
        with pytest.raises(Refused):
            meter.request(ADDRESS, 1)
    clock.now = 960_000.0 + 120 + 86_400
    assert meter.request(ADDRESS, 10) == 10
    for _ in range(2):
        refusal(meter.request, ADDRESS, 1)
    banned = refusal(meter.request, ADDRESS, 1)
    assert (banned.reason, banned.retry_after, banned.metadata["bans"]) == ("BANNED", 120.0, "1")


def test_orders_are_counted_per_account_in_10_second_and_minute_windows() -> None:
    """3 per 10 s, 5 per minute. From 960,000 s: 3 orders fill the 10 s (refused 4th: 10 s window,
    retry in 7 s at 960,003 s); at 960,010 s 2 more make 5 in the minute, and the 6th is refused
    for the minute (50 s left). Checking takes nothing; another account counts apart."""
    clock = ManualClock(960_000.0)
    meter = VenueMeter(SMALL, clock)
    meter.check_orders(1, 3)
    meter.take_orders(1, 3)
    clock.now = 960_003.0
    refused = refusal(meter.check_orders, 1, 1)
    assert (refused.retry_after, refused.metadata) == (
        7.0,
        {"budget": "orders", "used": "3", "limit": "3", "window": "10s", "retry_after": "7.000"},
    )
    meter.check_orders(2, 3)
    clock.now = 960_010.0
    meter.take_orders(1, 2)
    assert meter.order_counts(1) == (2, 5)
    refused = refusal(meter.check_orders, 1, 1)
    assert (refused.metadata["window"], refused.metadata["limit"], refused.retry_after) == ("1m", "5", 50.0)
    assert meter.order_counts(1) == (2, 5)
    assert meter.order_counts(2) == (0, 0)


def test_admission_counts_places_against_the_venue_windows_and_refuses_with_nothing_taken() -> None:
    """Under venue limits, 3 places of account 1 fill its 10 s; a batch of 2 more is refused whole,
    and neither the order windows nor the server's command budget (2 a second, burst 5: 3 used)
    count it, so 2 commands that are not places still pass."""
    clock = ManualClock(960_000.0)
    limits = Limits(command_rate=2, command_burst=5, order_rate=0, venue=SMALL)
    admission = Admission(limits, lambda: 0.0, clock)
    admission.commands(1, 3, 3, 3)
    refused = refusal(admission.commands, 1, 2, 2, 2)
    assert (refused.reason, refused.metadata["window"]) == ("RATE_LIMITED", "10s")
    assert admission.venue is not None and admission.venue.order_counts(1) == (3, 3)
    admission.commands(1, 2, 0, 0)


def test_the_default_profile_has_no_venue_limits_and_the_binance_one_the_published_numbers() -> None:
    """Binance USDⓈ-M publishes 2,400 request weight a minute per IP, 300 orders per 10 s and 1,200 a
    minute per account, bans from 2 minutes to 3 days; its profile turns the per-account budgets it
    replaces off and keeps the server's own command budget."""
    assert PROFILES["default"] == Limits()
    default = Admission(PROFILES["default"], lambda: 0.0)
    assert default.venue is None
    default.request(ADDRESS, 10**9)  # nothing is counted, nothing refused
    binance = PROFILES["binance"]
    assert binance.venue is not None
    assert (binance.venue.request_weight, binance.venue.orders_per_10s, binance.venue.orders_per_minute) == (
        2400,
        300,
        1200,
    )
    assert (binance.venue.ban_seconds[0], binance.venue.ban_seconds[-1]) == (120, 3 * 86_400)
    assert (binance.order_rate, binance.query_rate, binance.anonymous_rate) == (0, 0, 0)
    assert binance.command_rate == Limits().command_rate
