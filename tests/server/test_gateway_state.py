"""A gateway's state comes from the journal, not from the sequencer: the sequencer process keeps no read
models (it only applies and journals), so a gateway that connects rebuilds the state at the sequence its
``Sync`` names, as recovery does, and Admin.Snapshot is made by the checkpoint helper from the journal.

The sequencer host and the gateways' links run in this process (``gateway_links``); the snapshot helper
is a real spawned process."""

from pathlib import Path

from paperex.engine.commands import SetMarkPrice
from paperex.engine.orders import TriggerBy
from paperex.server.core.tape import encode
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.process.gateway import GatewayServer
from paperex.server.process.replica import replica_at
from tests.server.conftest import config
from tests.server.gateway_links import gateway_links

BTC = "BTCUSDT"


async def test_a_gateway_that_connects_late_rebuilds_the_state_the_sequencer_does_not_keep(tmp_path: Path) -> None:
    """Through gateway A: BTCUSDT's mark to 65,000.0 (650,000 ticks of 0.1), a snapshot, then the mark to
    65,100.0 (651,000 ticks). The snapshot is stored at the first command's sequence; gateway B, which
    connects after all that, shows 651,000 at the second's (the snapshot plus one command replayed);
    the sequencer's own read models never saw a mark."""
    async with gateway_links(tmp_path) as links:
        a, b, sequencer = links.a, links.b, links.sequencer
        await a.connect()
        first = await a.submit_one(SetMarkPrice(symbol=BTC, price=650_000))
        snapshot = await a.snapshot()
        second = await a.submit_one(SetMarkPrice(symbol=BTC, price=651_000))

        assert snapshot.sequence == first.sequence
        assert sequencer.journal.snapshot_sequences() == [first.sequence]
        await b.connect()
        assert b.exchange.sequence == second.sequence
        assert b.exchange.results.prices.price(BTC, TriggerBy.MARK) == 651_000
        assert a.exchange.results.prices.price(BTC, TriggerBy.MARK) == 651_000
        assert sequencer.exchange.results.prices.price(BTC, TriggerBy.MARK) == 0  # none folded


async def test_no_replica_is_made_of_a_journal_reset_since_the_sync(tmp_path: Path) -> None:
    """A ``Sync`` at sequence 2 of epoch 0: rebuilt while the journal is as named; none once it was reset
    (epoch 1), nor when the journal ends before the sequence named (1 command written after the reset)."""
    gateway = GatewayServer(config(tmp_path), str(tmp_path / "unused.sock"))
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        fresh = gateway.fresh_exchanges(journal)
        writer = fresh()
        rows = []
        for price in (650_000, 651_000):
            command = SetMarkPrice(symbol=BTC, price=price, ts=1)
            rows.append((writer.apply(command).sequence, encode(command)))
        journal.append(rows)

        replica = replica_at(journal, fresh, 2, 0)
        assert replica is not None and replica.sequence == 2
        journal.wipe()
        journal.append([(1, encode(SetMarkPrice(symbol=BTC, price=650_000, ts=1)))])
        assert replica_at(journal, fresh, 2, 0) is None
        assert replica_at(journal, fresh, 2, 1) is None
        assert replica_at(journal, fresh, 1, 1) is not None
    finally:
        journal.close()
