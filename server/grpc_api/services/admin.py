"""Admin: accounts, money, prices, snapshots and reset; every call needs the admin token."""

import uuid
from typing import Any

from google.protobuf import duration_pb2

from paperex.engine import commands
from paperex.engine.commands import FundInsurance, SetIndexPrice, SetMarkPrice
from paperex.server.core.credentials import key_hash
from paperex.server.core.exchange_commands import LoadScenario as LoadScenarioCommand
from paperex.server.core.exchange_commands import OpenAccount, RotateApiKey, SetFaults
from paperex.server.core.exchange_commands import SetLiquidityProvider as SetLiquidityProviderCommand
from paperex.server.grpc_api.auth import Context, new_api_key, new_api_secret
from paperex.server.grpc_api.services.account import ASSET, account_summary
from paperex.server.grpc_api.services.base import Runtime, unary
from paperex.server.wire import parse, render
from paperex.server.wire.errors import WireError
from paperex.v1 import admin_pb2, admin_pb2_grpc

MAX_NAME_CHARS = 64


def _account_id(value: int) -> int:
    if not value:
        raise WireError("MISSING_FIELD", "account_id", "account_id is required")
    return value


def _span(nanoseconds: int) -> duration_pb2.Duration:
    span = duration_pb2.Duration()
    span.FromNanoseconds(nanoseconds)
    return span


class AdminService(admin_pb2_grpc.AdminServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @unary
    async def CreateAccount(self, request: admin_pb2.CreateAccountRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        name = parse.short_text(request.name.strip(), "name", MAX_NAME_CHARS) or f"account-{uuid.uuid4().hex[:12]}"
        deposit = parse.amount(request.initial_deposit, "initial_deposit") if request.initial_deposit else 0
        api_key, api_secret = new_api_key(), new_api_secret()
        command = OpenAccount(name=name, key_hash=key_hash(api_key), deposit=deposit, api_secret=api_secret)
        account_id = await self.runtime.app.open_account(command)
        return admin_pb2.CreateAccountResponse(account_id=account_id, name=name, api_key=api_key, api_secret=api_secret)

    @unary
    async def Deposit(self, request: admin_pb2.DepositRequest, context: Context) -> Any:
        return await self._move_money(commands.Deposit, admin_pb2.DepositResponse, request, context)

    @unary
    async def Withdraw(self, request: admin_pb2.WithdrawRequest, context: Context) -> Any:
        return await self._move_money(commands.Withdraw, admin_pb2.WithdrawResponse, request, context)

    async def _move_money(
        self,
        kind: type[commands.Deposit] | type[commands.Withdraw],
        reply: type[admin_pb2.DepositResponse] | type[admin_pb2.WithdrawResponse],
        request: admin_pb2.DepositRequest | admin_pb2.WithdrawRequest,
        context: Context,
    ) -> Any:
        """A deposit or withdrawal of any asset (USDT when none is named), answered with the balances after it."""
        self.runtime.auth.admin(context)
        account_id, asset = _account_id(request.account_id), parse.asset(request.asset)
        command = kind(account_id=account_id, amount=parse.amount(request.amount), asset=asset)
        balances = await self.runtime.app.move_money(command)
        wallet, cross_wallet = render.money(balances.wallet), render.money(balances.cross_wallet)
        return reply(
            wallet_balance=wallet, cross_wallet_balance=cross_wallet, asset_balance=render.money(balances.asset)
        )

    @unary
    async def ListAccounts(self, request: admin_pb2.ListAccountsRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        size, after = parse.page_size(request.page_size), parse.page_token(request.page_token)
        page = await self.runtime.app.accounts_page(after, size)
        token = str(page[-1].summary.account_id) if len(page) == size else ""
        instruments = self.runtime.instruments
        return admin_pb2.ListAccountsResponse(
            accounts=[account_summary(overview, instruments) for overview in page], next_page_token=token
        )

    @unary
    async def RotateApiKey(self, request: admin_pb2.RotateApiKeyRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        account_id = _account_id(request.account_id)
        api_key, api_secret = new_api_key(), new_api_secret()
        command = RotateApiKey(account_id=account_id, key_hash=key_hash(api_key), api_secret=api_secret)
        name = await self.runtime.app.rotate_key(command)
        return admin_pb2.RotateApiKeyResponse(account_id=account_id, name=name, api_key=api_key, api_secret=api_secret)

    @unary
    async def SetIndexPrice(self, request: admin_pb2.SetIndexPriceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = SetIndexPrice(symbol=spec.symbol, price=parse.reference_price(spec, request.price))
        index, mark = await self.runtime.app.set_price(command)
        return admin_pb2.SetIndexPriceResponse(
            index_price=render.price(index, spec), mark_price=render.price(mark, spec)
        )

    @unary
    async def SetMarkPrice(self, request: admin_pb2.SetMarkPriceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = SetMarkPrice(symbol=spec.symbol, price=parse.reference_price(spec, request.price))
        _, mark = await self.runtime.app.set_price(command)
        return admin_pb2.SetMarkPriceResponse(mark_price=render.price(mark, spec))

    @unary
    async def GetInsuranceFund(self, request: admin_pb2.GetInsuranceFundRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        funds = await self.runtime.app.insurance_funds()
        return admin_pb2.GetInsuranceFundResponse(
            asset=ASSET,
            balance=render.money(funds.total),
            funds=[
                admin_pb2.InsuranceFund(symbol=symbol, balance=render.money(balance))
                for symbol, balance in funds.by_symbol
            ],
        )

    @unary
    async def FundInsurance(self, request: admin_pb2.FundInsuranceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        balance = await self.runtime.app.fund_insurance(
            FundInsurance(symbol=spec.symbol, amount=parse.amount(request.amount))
        )
        return admin_pb2.FundInsuranceResponse(
            fund=admin_pb2.InsuranceFund(symbol=spec.symbol, balance=render.money(balance))
        )

    @unary
    async def GetLedger(self, request: admin_pb2.GetLedgerRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        ledger, sequence, now = await self.runtime.app.ledger()
        return admin_pb2.GetLedgerResponse(
            asset=ASSET,
            net_deposits=render.money(ledger.net_deposits),
            wallets=render.money(ledger.wallets),
            isolated_margin=render.money(ledger.isolated_margin),
            fees_collected=render.money(ledger.fees_collected),
            insurance_fund=render.money(ledger.insurance_fund),
            open_positions=render.money(ledger.open_positions),
            money_in_system=render.money(ledger.money_in_system),
            imbalance=render.money(ledger.imbalance),
            sequence=sequence,
            time=render.timestamp(now),
            insurance_contributions=render.money(ledger.insurance_contributions),
            exchanged=render.money(ledger.exchanged),
        )

    @unary
    async def Snapshot(self, request: admin_pb2.SnapshotRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        snapshot = await self.runtime.app.snapshot()
        return admin_pb2.SnapshotResponse(
            sequence=snapshot.sequence, state_hash=snapshot.state_hash, time=render.timestamp(snapshot.ts)
        )

    @unary
    async def Reset(self, request: admin_pb2.ResetRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        await self.runtime.app.reset()
        return admin_pb2.ResetResponse()

    @unary
    async def GetClock(self, request: admin_pb2.GetClockRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        clock = await self.runtime.app.clock()
        return admin_pb2.GetClockResponse(
            mode=admin_pb2.CLOCK_MODE_SIMULATED if clock.simulated else admin_pb2.CLOCK_MODE_WALL,
            time=render.timestamp(clock.now),
            scenario=clock.scenario,
            scenario_elapsed=_span(clock.scenario_elapsed),
            step=_span(clock.step_ns),
            liquidity_provider=clock.liquidity_provider,
        )

    @unary
    async def AdvanceTime(self, request: admin_pb2.AdvanceTimeRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        target = request.WhichOneof("target")
        if target == "duration":
            span = request.duration.ToNanoseconds()
            if span <= 0:
                raise WireError("INVALID_ARGUMENT", "duration", "duration must be positive")
            advanced = await self.runtime.app.advance_by(span, target)
        elif target == "until":
            advanced = await self.runtime.app.advance_until(parse.nanoseconds(request.until, "until"), target)
        else:
            raise WireError("MISSING_FIELD", "duration", "duration or until is required")
        return admin_pb2.AdvanceTimeResponse(
            time=render.timestamp(advanced.until), steps=advanced.steps, sequence=advanced.sequence
        )

    @unary
    async def Step(self, request: admin_pb2.StepRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        advanced = await self.runtime.app.step(max(1, request.count), "count")
        return admin_pb2.StepResponse(time=render.timestamp(advanced.until), sequence=advanced.sequence)

    @unary
    async def LoadScenario(self, request: admin_pb2.LoadScenarioRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        source = request.WhichOneof("source")
        if source is None or not getattr(request, source):
            raise WireError("MISSING_FIELD", "name", "name or toml is required")
        name = request.name if source == "name" else ""
        text = request.toml if source == "toml" else ""
        scenario = await self.runtime.app.load_scenario(LoadScenarioCommand(name=name, text=text, seed=request.seed))
        return admin_pb2.LoadScenarioResponse(scenario=render.scenario(scenario))

    @unary
    async def ListScenarios(self, request: admin_pb2.ListScenariosRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        return admin_pb2.ListScenariosResponse(
            scenarios=[render.scenario(scenario) for scenario in self.runtime.app.scenarios()]
        )

    @unary
    async def SetLiquidityProvider(self, request: admin_pb2.SetLiquidityProviderRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        config = parse.liquidity_config(request.config_toml)
        command = SetLiquidityProviderCommand(enabled=request.enabled, config=config)
        enabled = await self.runtime.app.set_liquidity_provider(command)
        return admin_pb2.SetLiquidityProviderResponse(enabled=enabled)

    @unary
    async def SetFaults(self, request: admin_pb2.SetFaultsRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        await self.runtime.app.set_faults(SetFaults(account_id=request.account_id, config=request.plan_toml))
        return admin_pb2.SetFaultsResponse()
