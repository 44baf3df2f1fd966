"""The frames between gateways and the sequencer: what is encoded is what is read back, and the engine's
commands and events travel in their compact form (class and field values, no field names)."""

import asyncio
import pickle

from paperex.engine.commands import CancelOrder, PlaceOrder, SetMarkPrice
from paperex.engine.events import OrderFilled, TradeExecuted
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side
from paperex.engine.units import SCALE
from paperex.server.core.exchange import Exchange
from paperex.server.core.exchange_commands import OpenAccount
from paperex.server.core.tape import ExchangeCommand
from paperex.server.process import frames

BTC = "BTCUSDT"


def _batch() -> frames.Batch:
    """Two accounts; a resting sell of 0.010 BTC at 65,000.0 taken by a market buy (a fill each side);
    a second sell canceled."""
    exchange = Exchange(DEFAULT_INSTRUMENTS)
    limit, market = OrderType.LIMIT, OrderType.MARKET
    commands: list[ExchangeCommand] = [
        OpenAccount(name="maker", key_hash="m", deposit=100_000 * SCALE, ts=1),
        OpenAccount(name="taker", key_hash="t", deposit=100_000 * SCALE, ts=1),
        SetMarkPrice(symbol=BTC, price=650_000, ts=2),
        PlaceOrder(account_id=1, symbol=BTC, side=Side.SELL, order_type=limit, quantity=10, price=650_000, ts=3),
        PlaceOrder(account_id=2, symbol=BTC, side=Side.BUY, order_type=market, quantity=10, ts=4),
        PlaceOrder(account_id=1, symbol=BTC, side=Side.SELL, order_type=limit, quantity=10, price=651_000, ts=5),
        CancelOrder(account_id=1, symbol=BTC, order_id=3, ts=6),
    ]
    applied = [exchange.execute(command) for command in commands]
    return frames.Batch(
        [frames.Committed.of(outcome) for outcome in applied],
        frames.HostState(exchange.accounts, exchange.account_by_key, exchange.faults, exchange.market),
        [((1, 7), [outcome.sequence for outcome in applied])],
    )


async def test_a_batch_reads_back_equal_to_what_was_encoded_and_smaller_than_a_plain_pickle() -> None:
    batch = _batch()
    taken = [type(event) for committed in batch.commands for event in committed.events]
    assert OrderFilled in taken and TradeExecuted in taken  # the trade happened
    frame = frames.encode(batch)
    reader = asyncio.StreamReader()
    reader.feed_data(frame)
    read = await frames.read(reader)
    assert read.commands == batch.commands
    assert read.answered == batch.answered
    assert read.host.accounts == batch.host.accounts
    assert len(frame) < len(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
    assert b"client_order_id" not in frame  # no field names: the compact form


async def test_a_gateway_request_reads_back_its_commands() -> None:
    """A Submit of two commands and a barrier: the commands come back equal, the enums the very members."""
    place = PlaceOrder(account_id=3, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=5, price=1)
    requests = [frames.Submit(1, [place, CancelOrder(account_id=3, symbol=BTC, order_id=9)], None)]
    requests.append(frames.Control(2, "barrier"))
    reader = asyncio.StreamReader()
    reader.feed_data(frames.encode(requests))
    read = await frames.read(reader)
    assert read == requests
    assert read[0].commands[0].side is Side.BUY
