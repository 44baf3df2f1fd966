"""A snapshot pickles the engine as its ``EngineState`` alone; loading builds the jobs around the
loaded state, so the copy acts on its own state and never on the original's."""

import pickle

from paperex.engine.engine import Engine
from paperex.engine.events import serialize
from paperex.engine.orders import Side

from .scenario import ALICE, BOB, PX, limit, mark, new_engine


def test_a_restored_engine_trades_alike_on_its_own_state() -> None:
    """ALICE rests an ask of 1,000 lots (order 1). The copy and the original each take 400 of it with
    the same bid: the same events, 600 left in both. Then only the original takes the other 600: its
    ask is filled and gone, while the copy's still rests with 600 (1,000 - 400)."""
    engine = new_engine(mark(PX), limit(ALICE, Side.SELL, PX, 1_000))
    copy: Engine = pickle.loads(pickle.dumps(engine, protocol=5))
    taker = limit(BOB, Side.BUY, PX, 400)

    assert [serialize(e) for e in copy.apply(taker)] == [serialize(e) for e in engine.apply(taker)]
    assert copy.state_hash() == engine.state_hash()

    engine.apply(limit(BOB, Side.BUY, PX, 600))

    assert engine.order(1) is None
    resting = copy.order(1)
    assert resting is not None and resting.remaining == 600
    assert copy.state_hash() != engine.state_hash()
