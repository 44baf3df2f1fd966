"""High-leverage accounts for the soak, so that a moving market liquidates some and liquidation is exercised.

Each gambler holds a 0.020 BTC position at ``--leverage`` (even ones long, odd ones short) with only
0.2% of the notional above its initial margin: a move of well under 1% against it reaches the
maintenance margin. Every couple of seconds a flat gambler is topped up (Admin.Deposit) and opens
again with a market order, so a long soak sees liquidations all along. Its user-event stream,
resumed from the cursor of its account, counts the PositionLiquidated events.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import ROUND_UP, Decimal
from typing import Any

import grpc

from loadtest.grpc_load.codes import error_code
from loadtest.grpc_load.flow import SYMBOL, Account, lots_text, market_order
from loadtest.grpc_load.paperex import account_tag, bearer, open_accounts
from paperex.v1 import account_pb2, account_pb2_grpc, admin_pb2, admin_pb2_grpc, common_pb2, trading_pb2_grpc

GAMBLE_LOTS = 20
MARGIN_BUFFER = Decimal("0.002")
"""Margin a gambler gets above the initial margin, as a share of its notional."""
GAMBLE_EVERY_S = 2.0
CENT = Decimal("0.01")


class Gamblers:
    """The soak's high-leverage accounts: ``run`` keeps them in positions until cancelled."""

    def __init__(self, channel: grpc.aio.Channel, admin_token: str, accounts: list[Account], leverage: int) -> None:
        self.admin: Any = admin_pb2_grpc.AdminStub(channel)
        self.account: Any = account_pb2_grpc.AccountStub(channel)
        self.trading: Any = trading_pb2_grpc.TradingStub(channel)
        self.admin_metadata = bearer(admin_token)
        self.accounts = accounts
        self.leverage = leverage
        self.liquidations = 0
        self.refused: Counter[str] = Counter()
        """Reopening steps the server refused, by code (e.g. a liquidation under way)."""

    @classmethod
    async def open(cls, channel: grpc.aio.Channel, admin_token: str, count: int, leverage: int) -> Gamblers:
        """``count`` empty accounts at ``leverage`` on BTCUSDT."""
        names = [f"{account_tag('gambler')}-{number}" for number in range(count)]
        accounts = await open_accounts(channel, admin_token, names, "")
        gamblers = cls(channel, admin_token, accounts, leverage)
        request = account_pb2.SetLeverageRequest(symbol=SYMBOL, leverage=leverage)
        await asyncio.gather(*(gamblers.account.SetLeverage(request, metadata=a.metadata) for a in accounts))
        return gamblers

    async def run(self) -> None:
        """Watch every gambler's events and keep reopening positions, until cancelled."""
        async with asyncio.TaskGroup() as group:
            for account in self.accounts:
                group.create_task(self._watch(account))
            group.create_task(self._keep_open())

    async def _keep_open(self) -> None:
        while True:
            for index, account in enumerate(self.accounts):
                side = common_pb2.SIDE_BUY if index % 2 == 0 else common_pb2.SIDE_SELL
                try:
                    await self._reopen(account, side)
                except grpc.aio.AioRpcError as error:
                    self.refused[error_code(error)] += 1
            await asyncio.sleep(GAMBLE_EVERY_S)

    async def _reopen(self, account: Account, side: Any) -> None:
        """Top up a flat gambler to its margin and open its position again."""
        request = account_pb2.ListPositionsRequest(symbol=SYMBOL)
        (position,) = (await self.account.ListPositions(request, metadata=account.metadata)).positions
        if Decimal(position.size) != 0:
            return
        notional = Decimal(lots_text(GAMBLE_LOTS)) * Decimal(position.mark_price)
        needed = notional * (1 / Decimal(self.leverage) + MARGIN_BUFFER)
        reply = await self.account.GetAccount(account_pb2.GetAccountRequest(), metadata=account.metadata)
        missing = (needed - Decimal(reply.account.wallet_balance)).quantize(CENT, ROUND_UP)
        if missing > 0:
            deposit = admin_pb2.DepositRequest(account_id=account.account_id, amount=str(missing))
            await self.admin.Deposit(deposit, metadata=self.admin_metadata)
        await self.trading.PlaceOrder(market_order(side, GAMBLE_LOTS), metadata=account.metadata)

    async def _watch(self, account: Account) -> None:
        """Count the account's PositionLiquidated events, from its current cursor on (no gap); a
        stream that fails is counted under ``refused`` as ``watch:CODE``."""
        reply = await self.account.GetAccount(account_pb2.GetAccountRequest(), metadata=account.metadata)
        request = account_pb2.StreamUserEventsRequest(resume_after=reply.account.cursor)
        try:
            async for message in self.account.StreamUserEvents(request, metadata=account.metadata):
                if message.event.HasField("position_liquidated"):
                    self.liquidations += 1
        except grpc.aio.AioRpcError as error:
            self.refused[f"watch:{error_code(error)}"] += 1
