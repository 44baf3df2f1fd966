"""Self-trade prevention: when a taker meets its own account's resting order, the taker's mode decides
who expires (EXPIRE_TAKER, the default; EXPIRE_MAKER; EXPIRE_BOTH). No trade between one account's
orders ever happens."""

import pytest

from paperex.engine.events import OrderExpired
from paperex.engine.orders import SelfTradePrevention, Side, TimeInForce
from paperex.engine.reasons import EndReason, RejectReason

from .scenario import ALICE, CAROL, PX, assert_rejected, book, limit, mark, market, new_engine, of, run, trades

TAKER, MAKER, BOTH = SelfTradePrevention.EXPIRE_TAKER, SelfTradePrevention.EXPIRE_MAKER, SelfTradePrevention.EXPIRE_BOTH


def _asks_with_own_order_in_the_middle():
    """Asks: #1 CAROL 0.3 @ P, #2 ALICE 0.5 @ P (behind it), #3 CAROL 0.5 @ P + 5."""
    return new_engine(
        limit(CAROL, Side.SELL, PX, 300),
        limit(ALICE, Side.SELL, PX, 500),
        limit(CAROL, Side.SELL, PX + 5, 500),
    )


def _expired(events):
    return sorted(
        (e.order_id, e.remaining) for e in of(events, OrderExpired) if e.reason is EndReason.SELF_TRADE_PREVENTION
    )


@pytest.mark.parametrize(
    ("stp", "expected_trades", "expected_expired", "expected_book"),
    [
        # taker (#4, 1.0) fills 0.3 from CAROL, meets #2 and expires with 0.7; #2 and #3 stay.
        (TAKER, [(1, 4, PX, 300)], [(4, 700)], ([], [(PX, 500, 1), (PX + 5, 500, 1)])),
        # #2 expires (0.5) and the taker goes on: 0.3 + 0.5 from #3, and 0.2 rests as a bid @ P + 5.
        (MAKER, [(1, 4, PX, 300), (3, 4, PX + 5, 500)], [(2, 500)], ([(PX + 5, 200, 1)], [])),
        # both expire: #2 with 0.5, the taker with 0.7; #3 stays.
        (BOTH, [(1, 4, PX, 300)], [(2, 500), (4, 700)], ([], [(PX + 5, 500, 1)])),
    ],
)
def test_stp_modes(stp, expected_trades, expected_expired, expected_book):
    engine = _asks_with_own_order_in_the_middle()

    events = run(engine, limit(ALICE, Side.BUY, PX + 5, 1_000, stp=stp))

    assert trades(events) == expected_trades
    assert _expired(events) == expected_expired
    assert book(engine) == expected_book


def test_expire_taker_is_the_default():
    engine = _asks_with_own_order_in_the_middle()

    events = run(engine, limit(ALICE, Side.BUY, PX + 5, 1_000))

    assert _expired(events) == [(4, 700)]


@pytest.mark.parametrize("stp", [TAKER, MAKER, BOTH])
def test_market_order_never_trades_with_its_own_account(stp):
    """A market sell against ALICE's own bid only: nothing trades in any mode; the bid survives only when
    the taker is the one to expire."""
    engine = new_engine(mark(PX), limit(ALICE, Side.BUY, PX, 1_000))

    events = run(engine, market(ALICE, Side.SELL, 500, stp=stp))

    assert trades(events) == []
    assert engine.position(ALICE, "BTCUSDT").size == 0
    assert book(engine)[0] == ([(PX, 1_000, 1)] if stp is TAKER else [])


@pytest.mark.parametrize(("stp", "fills"), [(TAKER, False), (BOTH, False), (MAKER, True)])
def test_fok_counts_liquidity_only_up_to_its_own_order(stp, fills):
    """FOK buy 0.8 @ P + 5: 0.3 lies before ALICE's own ask, 0.5 after it. EXPIRE_TAKER and EXPIRE_BOTH
    would stop at her order (0.3 < 0.8) so the FOK is refused; EXPIRE_MAKER removes it and fills 0.8."""
    engine = _asks_with_own_order_in_the_middle()
    command = limit(ALICE, Side.BUY, PX + 5, 800, time_in_force=TimeInForce.FOK, stp=stp)

    if not fills:
        assert_rejected(engine, command, RejectReason.FOK_NOT_FILLABLE)
        return
    events = run(engine, command)
    assert trades(events) == [(1, 4, PX, 300), (3, 4, PX + 5, 500)]
    assert _expired(events) == [(2, 500)]


def test_post_only_against_own_order_is_rejected():
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000))

    command = limit(ALICE, Side.BUY, PX, 1_000, time_in_force=TimeInForce.GTX, stp=MAKER)
    assert_rejected(engine, command, RejectReason.POST_ONLY_WOULD_TAKE)
