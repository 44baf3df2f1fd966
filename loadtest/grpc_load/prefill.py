"""The soak's first step: fill what the server keeps of the liquidity provider and of the symbol's public
trades before memory is watched.

The server keeps each account's last orders and fills up to its history retention, so its memory
grows until those are full. The bots fill theirs within about 90 s, but the liquidity provider (an
internal account, whose user events are not kept at all) gets its fills only as takers meet its
quotes: one or two a second at the soak's defaults, far too slow to fill in a 10-minute soak. The
symbol's last 10,000 public trades (``paperex.server.state.public_trades``) fill at the bots' 11
trades a second, in 15 minutes. So before the run a prefill account sends ``--prefill`` market orders
(by default ``default_orders``) of ``PREFILL_LOTS`` against the provider's quotes, buying and selling
in turn (it ends flat): each fills at least one of the provider's quotes, which is one fill for the
provider and one public trade. What the soak then watches holds what a server that has traded for a
while holds: a full history and the newest 10,000 trades, no more.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from loadtest.grpc_load.flow import DEPOSIT, market_order
from loadtest.grpc_load.paperex import account_tag, open_accounts
from paperex.server.state.public_trades import RETAINED_PER_SYMBOL
from paperex.v1 import common_pb2, trading_pb2_grpc

PREFILL_LOTS = 2
"""0.002 BTC, above BTCUSDT's minimum notional."""
IN_FLIGHT = 32
"""Concurrent orders: about 1 BTC a second off each side, well within the provider's depth, which it
restores at every feed step after a fill."""


def default_orders(history_retention: int) -> int:
    """Enough orders to fill the provider's history and the symbol's public trades: one trade each at least."""
    return max(history_retention, RETAINED_PER_SYMBOL)


async def prefill(channel: grpc.aio.Channel, admin_token: str, orders: int) -> None:
    """Trade ``orders`` market orders against the liquidity provider, alternately buying and selling."""
    (account,) = await open_accounts(channel, admin_token, [account_tag("prefill")], DEPOSIT)
    trading: Any = trading_pb2_grpc.TradingStub(channel)
    sides = (common_pb2.SIDE_BUY, common_pb2.SIDE_SELL)
    for start in range(0, orders, IN_FLIGHT):
        chunk = range(start, min(start + IN_FLIGHT, orders))
        calls = (trading.PlaceOrder(market_order(sides[n % 2], PREFILL_LOTS), metadata=account.metadata) for n in chunk)
        await asyncio.gather(*calls)
