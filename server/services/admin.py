"""Admin: accounts, money, prices, snapshots and reset; every call needs the admin token."""

import uuid
from typing import Any

from paperex.v1 import admin_pb2, admin_pb2_grpc

from engine.commands import Deposit, SetIndexPrice, SetMarkPrice, Withdraw
from server import parse, render
from server.auth import Context, key_hash, new_api_key
from server.errors import WireError
from server.exchange import Applied, Exchange
from server.exchange_commands import OpenAccount
from server.services.account import account_summary
from server.services.base import Runtime, refuse_if_rejected, unary

MAX_NAME_CHARS = 64


def _balances(exchange: Exchange, account_id: int) -> tuple[str, str]:
    account = exchange.engine.accounts[account_id]
    isolated = sum(p.isolated_wallet for p in account.positions.values())
    return render.money(account.wallet + isolated), render.money(account.wallet)


def _account_id(value: int) -> int:
    if not value:
        raise WireError("MISSING_FIELD", "account_id", "account_id is required")
    return value


class AdminService(admin_pb2_grpc.AdminServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @unary
    async def CreateAccount(self, request: admin_pb2.CreateAccountRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        name = parse.short_text(request.name.strip(), "name", MAX_NAME_CHARS) or f"account-{uuid.uuid4().hex[:12]}"
        deposit = parse.amount(request.initial_deposit, "initial_deposit") if request.initial_deposit else 0
        api_key = new_api_key()

        def respond(applied: Applied) -> admin_pb2.CreateAccountResponse:
            refuse_if_rejected(applied)
            return admin_pb2.CreateAccountResponse(account_id=applied.account_id, name=name, api_key=api_key)

        command = OpenAccount(name=name, key_hash=key_hash(api_key), deposit=deposit)
        return await self.runtime.sequencer.submit_one(command, respond)

    @unary
    async def Deposit(self, request: admin_pb2.DepositRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        command = Deposit(account_id=_account_id(request.account_id), amount=parse.amount(request.amount))

        def respond(applied: Applied) -> admin_pb2.DepositResponse:
            refuse_if_rejected(applied)
            wallet, cross = _balances(self.runtime.exchange, command.account_id)
            return admin_pb2.DepositResponse(wallet_balance=wallet, cross_wallet_balance=cross)

        return await self.runtime.sequencer.submit_one(command, respond)

    @unary
    async def Withdraw(self, request: admin_pb2.WithdrawRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        command = Withdraw(account_id=_account_id(request.account_id), amount=parse.amount(request.amount))

        def respond(applied: Applied) -> admin_pb2.WithdrawResponse:
            refuse_if_rejected(applied)
            wallet, cross = _balances(self.runtime.exchange, command.account_id)
            return admin_pb2.WithdrawResponse(wallet_balance=wallet, cross_wallet_balance=cross)

        return await self.runtime.sequencer.submit_one(command, respond)

    @unary
    async def ListAccounts(self, request: admin_pb2.ListAccountsRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        size, after = parse.page_size(request.page_size), parse.page_token(request.page_token)
        await self.runtime.sequencer.settled()
        exchange = self.runtime.exchange
        ids = [account_id for account_id in exchange.accounts if account_id > after][:size]
        token = str(ids[-1]) if len(ids) == size else ""
        return admin_pb2.ListAccountsResponse(
            accounts=[account_summary(exchange, account_id) for account_id in ids], next_page_token=token
        )

    @unary
    async def SetIndexPrice(self, request: admin_pb2.SetIndexPriceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = SetIndexPrice(symbol=spec.symbol, price=parse.reference_price(spec, request.price))

        def respond(applied: Applied) -> admin_pb2.SetIndexPriceResponse:
            market = self.runtime.exchange.engine.markets[spec.symbol]
            return admin_pb2.SetIndexPriceResponse(
                index_price=render.price(market.index_price, spec), mark_price=render.price(market.mark_price, spec)
            )

        return await self.runtime.sequencer.submit_one(command, respond)

    @unary
    async def SetMarkPrice(self, request: admin_pb2.SetMarkPriceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = SetMarkPrice(symbol=spec.symbol, price=parse.reference_price(spec, request.price))

        def respond(applied: Applied) -> admin_pb2.SetMarkPriceResponse:
            market = self.runtime.exchange.engine.markets[spec.symbol]
            return admin_pb2.SetMarkPriceResponse(mark_price=render.price(market.mark_price, spec))

        return await self.runtime.sequencer.submit_one(command, respond)

    @unary
    async def GetInsuranceFund(self, request: admin_pb2.GetInsuranceFundRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        await self.runtime.sequencer.settled()
        balance = render.money(self.runtime.exchange.engine.insurance_fund)
        return admin_pb2.GetInsuranceFundResponse(asset="USDT", balance=balance)

    @unary
    async def Snapshot(self, request: admin_pb2.SnapshotRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        snapshot = await self.runtime.sequencer.snapshot()
        return admin_pb2.SnapshotResponse(
            sequence=snapshot.sequence, state_hash=snapshot.state_hash, time=render.timestamp(snapshot.ts)
        )

    @unary
    async def Reset(self, request: admin_pb2.ResetRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        await self.runtime.sequencer.reset(Exchange(self.runtime.instruments))
        return admin_pb2.ResetResponse()
