"""Admin: accounts, money, prices, snapshots and reset; every call needs the admin token."""

import uuid
from typing import Any

from google.protobuf import duration_pb2

from paperex.engine import commands
from paperex.engine.commands import FundInsurance, SetIndexPrice, SetMarkPrice
from paperex.engine.events import InsuranceFundChanged
from paperex.server.core.credentials import key_hash
from paperex.server.core.exchange_commands import LoadScenario as LoadScenarioCommand
from paperex.server.core.exchange_commands import MarketStep, OpenAccount, RotateApiKey, SetFaults
from paperex.server.core.exchange_commands import SetLiquidityProvider as SetLiquidityProviderCommand
from paperex.server.core.tape import ExchangeCommand
from paperex.server.grpc_api.auth import Context, new_api_key, new_api_secret
from paperex.server.grpc_api.services.account import account_summary
from paperex.server.grpc_api.services.base import Runtime, unary
from paperex.server.market.liquidity import parse_configs
from paperex.server.market.scenarios import library
from paperex.server.wire import parse, render
from paperex.server.wire.errors import Refused, WireError
from paperex.v1 import admin_pb2, admin_pb2_grpc

MAX_NAME_CHARS = 64
ADVANCE_CHUNK = 2048
"""Feed steps queued at once by AdvanceTime: one journal group, and room for other callers between."""
MAX_ADVANCE_STEPS = 7 * 86_400
"""Feed steps one AdvanceTime or Step may take: a week at the default 1 s step, a few minutes of work
(a simulated day with the liquidity provider takes 20-40 s); a longer span takes several calls."""


def _duration(nanoseconds: int) -> str:
    """A span as protobuf's JSON form of a Duration, e.g. ``604800s``."""
    span = duration_pb2.Duration()
    span.FromNanoseconds(nanoseconds)
    return span.ToJsonString()


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
        api_key, api_secret = new_api_key(), new_api_secret()

        command = OpenAccount(name=name, key_hash=key_hash(api_key), deposit=deposit, api_secret=api_secret)
        applied = await self.runtime.sequencer.submit_one(command)
        self.runtime.refuse_if_rejected(applied)
        return admin_pb2.CreateAccountResponse(
            account_id=applied.account_id, name=name, api_key=api_key, api_secret=api_secret
        )

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
        """A deposit or withdrawal, answered with the balances after it."""
        self.runtime.auth.admin(context)
        command = kind(account_id=_account_id(request.account_id), amount=parse.amount(request.amount))

        applied = await self.runtime.sequencer.submit_one(command)
        self.runtime.refuse_if_rejected(applied)
        wallet, cross = applied.wallets
        return reply(wallet_balance=render.money(wallet), cross_wallet_balance=render.money(cross))

    @unary
    async def ListAccounts(self, request: admin_pb2.ListAccountsRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        size, after = parse.page_size(request.page_size), parse.page_token(request.page_token)
        await self.runtime.sequencer.settled()
        exchange = self.runtime.exchange
        ids = [
            entry.account_id for entry in exchange.accounts.values() if entry.account_id > after and not entry.internal
        ]
        ids = ids[:size]
        token = str(ids[-1]) if len(ids) == size else ""
        summaries = [account_summary(exchange, account_id, self.runtime.adl) for account_id in ids]
        return admin_pb2.ListAccountsResponse(accounts=summaries, next_page_token=token)

    @unary
    async def RotateApiKey(self, request: admin_pb2.RotateApiKeyRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        account_id = _account_id(request.account_id)
        api_key, api_secret = new_api_key(), new_api_secret()

        command = RotateApiKey(account_id=account_id, key_hash=key_hash(api_key), api_secret=api_secret)
        applied = await self.runtime.sequencer.submit_one(command)
        if applied.refusal is not None:
            raise applied.refusal
        name = self.runtime.exchange.accounts[account_id].name
        return admin_pb2.RotateApiKeyResponse(account_id=account_id, name=name, api_key=api_key, api_secret=api_secret)

    @unary
    async def SetIndexPrice(self, request: admin_pb2.SetIndexPriceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = SetIndexPrice(symbol=spec.symbol, price=parse.reference_price(spec, request.price))

        applied = await self.runtime.sequencer.submit_one(command)
        index, mark = applied.prices
        return admin_pb2.SetIndexPriceResponse(
            index_price=render.price(index, spec), mark_price=render.price(mark, spec)
        )

    @unary
    async def SetMarkPrice(self, request: admin_pb2.SetMarkPriceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = SetMarkPrice(symbol=spec.symbol, price=parse.reference_price(spec, request.price))

        applied = await self.runtime.sequencer.submit_one(command)
        _, mark = applied.prices
        return admin_pb2.SetMarkPriceResponse(mark_price=render.price(mark, spec))

    @unary
    async def GetInsuranceFund(self, request: admin_pb2.GetInsuranceFundRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        await self.runtime.sequencer.settled()
        engine = self.runtime.exchange.engine
        funds = [
            admin_pb2.InsuranceFund(symbol=symbol, balance=render.money(market.insurance_fund))
            for symbol, market in engine.markets.items()
        ]
        return admin_pb2.GetInsuranceFundResponse(
            asset="USDT", balance=render.money(engine.insurance_fund), funds=funds
        )

    @unary
    async def FundInsurance(self, request: admin_pb2.FundInsuranceRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = FundInsurance(symbol=spec.symbol, amount=parse.amount(request.amount))

        applied = await self.runtime.sequencer.submit_one(command)
        self.runtime.refuse_if_rejected(applied)
        funded = next(e for e in applied.events if isinstance(e, InsuranceFundChanged))
        balance = render.money(funded.balance)
        return admin_pb2.FundInsuranceResponse(fund=admin_pb2.InsuranceFund(symbol=spec.symbol, balance=balance))

    @unary
    async def GetLedger(self, request: admin_pb2.GetLedgerRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        await self.runtime.sequencer.settled()
        exchange = self.runtime.exchange
        ledger = exchange.engine.ledger()
        return admin_pb2.GetLedgerResponse(
            asset="USDT",
            net_deposits=render.money(ledger.net_deposits),
            wallets=render.money(ledger.wallets),
            isolated_margin=render.money(ledger.isolated_margin),
            fees_collected=render.money(ledger.fees_collected),
            insurance_fund=render.money(ledger.insurance_fund),
            open_positions=render.money(ledger.open_positions),
            money_in_system=render.money(ledger.money_in_system),
            imbalance=render.money(ledger.imbalance),
            sequence=exchange.sequence,
            time=render.timestamp(self.runtime.now),
            insurance_contributions=render.money(ledger.insurance_contributions),
        )

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
        await self.runtime.sequencer.reset(self.runtime.fresh_exchange())
        return admin_pb2.ResetResponse()

    @unary
    async def GetClock(self, request: admin_pb2.GetClockRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        await self.runtime.sequencer.settled()
        exchange = self.runtime.exchange
        market = exchange.market
        elapsed, step = duration_pb2.Duration(), duration_pb2.Duration()
        if market.scenario is not None:
            elapsed.FromNanoseconds(exchange.now - market.started_at)
        step.FromNanoseconds(market.step_ns)
        return admin_pb2.GetClockResponse(
            mode=admin_pb2.CLOCK_MODE_SIMULATED if self.runtime.simulated else admin_pb2.CLOCK_MODE_WALL,
            time=render.timestamp(self.runtime.now),
            scenario=market.scenario.name if market.scenario is not None else "",
            scenario_elapsed=elapsed,
            step=step,
            liquidity_provider=market.liquidity_enabled,
        )

    @unary
    async def AdvanceTime(self, request: admin_pb2.AdvanceTimeRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        self._require_simulated()
        now = self.runtime.now
        target = request.WhichOneof("target")
        if target == "duration":
            span = request.duration.ToNanoseconds()
            if span <= 0:
                raise WireError("INVALID_ARGUMENT", "duration", "duration must be positive")
            until = now + span
        elif target == "until":
            until = parse.nanoseconds(request.until, "until")
            if until <= now:
                raise WireError("INVALID_ARGUMENT", "until", "until must be after the current time")
        else:
            raise WireError("MISSING_FIELD", "duration", "duration or until is required")
        steps, sequence = await self._advance(now, until, target)
        return admin_pb2.AdvanceTimeResponse(time=render.timestamp(until), steps=steps, sequence=sequence)

    @unary
    async def Step(self, request: admin_pb2.StepRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        self._require_simulated()
        now = self.runtime.now
        until = now + max(1, request.count) * self.runtime.exchange.market.step_ns
        _, sequence = await self._advance(now, until, "count")
        return admin_pb2.StepResponse(time=render.timestamp(until), sequence=sequence)

    def _require_simulated(self) -> None:
        if not self.runtime.simulated:
            raise Refused("CLOCK_NOT_SIMULATED", "time moves by itself on a wall clock; start with --clock simulated")

    async def _advance(self, now: int, until: int, field: str) -> tuple[int, int]:
        """Every feed step from ``now`` to ``until`` as MarketStep commands, queued in chunks so the
        journal groups them (made chunk by chunk, never all at once); returns (steps, last sequence).

        Raises Refused (INVALID_ARGUMENT on ``field``) above ``MAX_ADVANCE_STEPS`` steps."""
        step_ns = self.runtime.exchange.market.step_ns
        times = range(now - now % step_ns + step_ns, until, step_ns)
        steps = len(times) + 1  # and ``until`` itself
        if steps > MAX_ADVANCE_STEPS:
            limit, asked = _duration(MAX_ADVANCE_STEPS * step_ns), _duration(until - now)
            raise Refused(
                "INVALID_ARGUMENT",
                f"at most {MAX_ADVANCE_STEPS:,} feed steps per call ({limit} at the {_duration(step_ns)} step); "
                f"this asks for {steps:,} ({asked}): advance in several calls",
                {"max_steps": str(MAX_ADVANCE_STEPS), "steps": str(steps), "max_duration": limit, "duration": asked},
                field=field,
            )
        sequence = 0
        for start in range(0, steps, ADVANCE_CHUNK):
            chunk: list[ExchangeCommand] = [MarketStep(at=t) for t in times[start : start + ADVANCE_CHUNK]]
            if start + ADVANCE_CHUNK >= steps:
                chunk.append(MarketStep(at=until))
            sequence = (await self.runtime.sequencer.submit(chunk))[-1].sequence
        return steps, sequence

    @unary
    async def LoadScenario(self, request: admin_pb2.LoadScenarioRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        source = request.WhichOneof("source")
        if source is None or not getattr(request, source):
            raise WireError("MISSING_FIELD", "name", "name or toml is required")
        name = request.name if source == "name" else ""
        text = request.toml if source == "toml" else ""
        command = LoadScenarioCommand(name=name, text=text, seed=request.seed)

        applied = await self.runtime.sequencer.submit_one(command)
        if applied.refusal is not None:
            raise applied.refusal
        assert applied.scenario is not None
        return admin_pb2.LoadScenarioResponse(scenario=render.scenario(applied.scenario))

    @unary
    async def ListScenarios(self, request: admin_pb2.ListScenariosRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        shipped = sorted(library().items())
        return admin_pb2.ListScenariosResponse(scenarios=[render.scenario(scenario) for _, scenario in shipped])

    @unary
    async def SetLiquidityProvider(self, request: admin_pb2.SetLiquidityProviderRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        if request.config_toml:
            try:
                parse_configs(request.config_toml)
            except ValueError as error:
                raise WireError("INVALID_ARGUMENT", "config_toml", f"liquidity provider config: {error}") from None
        command = SetLiquidityProviderCommand(enabled=request.enabled, config=request.config_toml)

        applied = await self.runtime.sequencer.submit_one(command)
        if applied.refusal is not None:
            raise applied.refusal
        return admin_pb2.SetLiquidityProviderResponse(enabled=applied.liquidity_enabled)

    @unary
    async def SetFaults(self, request: admin_pb2.SetFaultsRequest, context: Context) -> Any:
        self.runtime.auth.admin(context)
        command = SetFaults(account_id=request.account_id, config=request.plan_toml)
        applied = await self.runtime.sequencer.submit_one(command)
        if applied.refusal is not None:
            raise applied.refusal
        return admin_pb2.SetFaultsResponse()
