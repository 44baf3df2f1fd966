"""``state_hash()`` is what the rejection tests rely on to show "nothing changed": it must cover every
order field that decides future behaviour ("equal engines hash equal", and so engines that will act
differently must not)."""

import pytest

from paperex.engine.commands import AdvanceTime, AmendOrder
from paperex.engine.events import serialize
from paperex.engine.orders import OrderType, Side, TimeInForce, TriggerBy

from .scenario import ALICE, BOB, BTC, PX, limit, mark, new_engine, order


@pytest.mark.parametrize(
    ("first", "second", "probe"),
    [
        # the same ask with and without a client id: a later PlaceOrder reusing the id is a retry for one only
        (
            limit(ALICE, Side.SELL, PX, 1_000, client_order_id="a"),
            limit(ALICE, Side.SELL, PX, 1_000),
            limit(ALICE, Side.SELL, PX, 1_000, client_order_id="a"),
        ),
        # GTC vs GTD: the GTD ask expires when time reaches 5,000
        (
            limit(ALICE, Side.SELL, PX, 1_000),
            limit(ALICE, Side.SELL, PX, 1_000, time_in_force=TimeInForce.GTD, expire_at=5_000),
            AdvanceTime(ts=5_000),
        ),
        # a sell stop on MARK vs the same on LAST: only the MARK one fires when the mark reaches its stop
        (
            order(BOB, Side.SELL, OrderType.STOP_MARKET, quantity=1_000, stop_price=640_000),
            order(BOB, Side.SELL, OrderType.STOP_MARKET, quantity=1_000, stop_price=640_000, trigger_by=TriggerBy.LAST),
            mark(640_000),
        ),
    ],
    ids=["client-order-id", "gtd-expiry", "trigger-by"],
)
def test_engines_that_will_diverge_hash_differently(first, second, probe):
    one, two = new_engine(mark(PX), first), new_engine(mark(PX), second)
    hashes = one.state_hash(), two.state_hash()

    # the two engines do act differently on the same next command ...
    assert [serialize(e) for e in one.apply(probe)] != [serialize(e) for e in two.apply(probe)]
    # ... so their hashes must differ
    assert hashes[0] != hashes[1]


def test_hash_differs_after_an_amend():
    """Sanity check of what the hash does cover: an amended quantity."""
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000))
    before = engine.state_hash()

    engine.apply(AmendOrder(account_id=ALICE, symbol=BTC, order_id=1, quantity=500))

    assert engine.state_hash() != before
