"""client_order_id: unique per account among open orders; an identical retry is answered with the
original order instead of placing a second one (idempotent PlaceOrder)."""

from paperex.engine.commands import CancelOrder
from paperex.engine.events import DuplicatePlaceIgnored, OrderAccepted
from paperex.engine.orders import OrderStatus, Side
from paperex.engine.reasons import RejectReason

from .scenario import ALICE, BOB, BTC, CAROL, ETH, PX, assert_rejected, limit, new_engine, only, run


def _ask(price=PX, quantity=1_000, **fields):
    fields.setdefault("client_order_id", "ask-1")
    return limit(ALICE, Side.SELL, price, quantity, **fields)


def test_identical_retry_returns_the_original_order_and_changes_nothing():
    engine = new_engine(_ask())
    before = engine.state_hash()

    events = run(engine, _ask())

    assert events == [DuplicatePlaceIgnored(ALICE, BTC, 1, "ask-1", OrderStatus.NEW)]
    assert engine.state_hash() == before
    assert [o.order_id for o in engine.open_orders(ALICE, BTC)] == [1]


def test_retry_stamped_later_is_still_a_retry():
    engine = new_engine(_ask(ts=1_000))

    events = run(engine, _ask(ts=2_000))

    assert only(events, DuplicatePlaceIgnored).order_id == 1
    assert len(engine.open_orders(ALICE, BTC)) == 1


def test_retry_after_the_order_filled_reports_it_filled():
    engine = new_engine(_ask(), limit(BOB, Side.BUY, PX, 1_000))

    events = run(engine, _ask())

    assert events == [DuplicatePlaceIgnored(ALICE, BTC, 1, "ask-1", OrderStatus.FILLED)]
    assert engine.open_orders(ALICE, BTC) == []


def test_same_id_with_different_content_while_open_is_rejected():
    engine = new_engine(_ask())

    rejected = assert_rejected(engine, _ask(price=PX + 10), RejectReason.DUPLICATE_CLIENT_ORDER_ID)

    assert rejected.client_order_id == "ask-1"


def test_id_is_unique_per_account_across_instruments():
    """ETH bid 1.0 @ 1,860.00 (186,000 ticks of 0.01) under an id ALICE already uses on BTC."""
    engine = new_engine(_ask())

    command = limit(ALICE, Side.BUY, 186_000, 1_000, symbol=ETH, client_order_id="ask-1")
    assert_rejected(engine, command, RejectReason.DUPLICATE_CLIENT_ORDER_ID)


def test_other_accounts_may_use_the_same_id():
    engine = new_engine(_ask())

    events = run(engine, limit(CAROL, Side.SELL, PX, 1_000, client_order_id="ask-1"))

    assert only(events, OrderAccepted).order_id == 2


def test_id_of_a_finished_order_can_be_reused_for_a_different_order():
    engine = new_engine(_ask(), CancelOrder(account_id=ALICE, symbol=BTC, client_order_id="ask-1"))

    events = run(engine, _ask(price=PX + 10))

    assert only(events, OrderAccepted).order_id == 2
    assert [o.price for o in engine.open_orders(ALICE, BTC)] == [PX + 10]


def test_rejected_order_does_not_claim_its_id():
    """0.001 BTC @ 64,900.0 = 64.9 USDT is refused (MIN_NOTIONAL); the id stays free for a valid order."""
    engine = new_engine()

    assert_rejected(engine, _ask(quantity=1), RejectReason.MIN_NOTIONAL)
    assert only(run(engine, _ask()), OrderAccepted).client_order_id == "ask-1"
