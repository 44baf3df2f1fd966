"""Read-your-writes across gateways: a read on one gateway waits until it has folded every batch that
was durable when the read came, so a command another gateway acknowledged is always reflected.

The sequencer host and two gateways' links run in this process (``gateway_links``); gateway B's socket
is paused while gateway A's command is acknowledged, so B has not read the batch yet (as when
its loop is busy). Without the barrier, B's read would return at once with the state before it."""

import asyncio
from pathlib import Path

from paperex.engine.commands import SetMarkPrice
from paperex.engine.orders import TriggerBy
from tests.server.gateway_links import gateway_links

BTC = "BTCUSDT"


async def test_a_read_on_another_gateway_waits_for_the_batch_it_has_not_folded(tmp_path: Path) -> None:
    """A sets BTCUSDT's mark to 65,000.0 (650,000 ticks of 0.1) and is answered; B, whose socket is
    paused, is asked to settle: it sends a barrier, which the sequencer answers behind the batch, so
    once reading resumes B folds the batch first and its replica shows A's sequence and mark."""
    async with gateway_links(tmp_path) as links:
        a, b = links.a, links.b
        await a.connect()
        await b.connect()
        assert b._writer is not None
        reading = b._writer.transport  # the socket's one transport: B reads its batches through it
        reading.pause_reading()

        applied = await a.submit_one(SetMarkPrice(symbol=BTC, price=650_000))
        assert b.exchange.sequence < applied.sequence  # B has not read the batch

        waiting = asyncio.ensure_future(b.settled())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()  # the barrier's answer is behind the batch, unread
        reading.resume_reading()
        await waiting
        assert b.exchange.sequence >= applied.sequence
        assert b.exchange.results.prices.price(BTC, TriggerBy.MARK) == 650_000
