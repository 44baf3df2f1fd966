"""The application: what every API surface calls, so that an adapter (gRPC today) only maps its wire
to these calls and their results back, with no business logic of its own.

Commands pass admission (an account's) or go straight to the sequencer (the operator's), and come
back, once durable, as typed results built from the command's own ``Applied`` (its events and what
``Exchange.apply`` took for its answer), never from the live state, which later commands may already
have changed. A rejection, the engine's or the host's, is raised as a ``Refused`` worded with its
figures. The reads are ``Queries`` (``paperex.server.core.queries``), which ``Application`` extends.
"""

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from paperex.engine.accounts import PositionMode, SymbolSettings
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AdvanceTime,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Deposit,
    FundInsurance,
    PlaceOrder,
    SetAssetMode,
    SetIndexPrice,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    SetPositionMode,
    Withdraw,
)
from paperex.engine.events import (
    DuplicatePlaceIgnored,
    InsuranceFundChanged,
    OrderAmended,
    OrderFilled,
    OrderRejected,
    PositionModeChanged,
    SettingsChanged,
)
from paperex.engine.instruments import Instrument
from paperex.engine.units import Amount, Ticks
from paperex.server.core.admission import Admission, Charge
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.exchange_commands import (
    CreatePriceAlert,
    DeletePriceAlert,
    LoadScenario,
    MarketStep,
    OpenAccount,
    RotateApiKey,
    SetFaults,
    SetLiquidityProvider,
    SetTakerFlow,
)
from paperex.server.core.faults import NO_FAULT, Decision, answer_lost, refused
from paperex.server.core.queries import HeldPosition, Queries, SymbolLimits, symbol_limits
from paperex.server.core.streams import Hub
from paperex.server.core.tape import ExchangeCommand
from paperex.server.core.writer import Writer
from paperex.server.market.fault_plans import SECOND_NS, CallKind
from paperex.server.market.scenarios import Scenario
from paperex.server.persistence.journal import Snapshot
from paperex.server.state.alerts import Alert
from paperex.server.state.history import FillRecord, OrderSnapshot, fill_record
from paperex.server.wire.errors import Refused, WireError
from paperex.server.wire.rejections import refusal, too_many_steps

OrderCommand = PlaceOrder | AmendOrder | CancelOrder | CancelAllOrders

ADVANCE_CHUNK = 2048
"""Feed steps queued at once by ``advance``: one journal group, and room for other callers between."""
MAX_ADVANCE_STEPS = 7 * 86_400
"""Feed steps one ``advance`` may take: a week at the default 1 s step, a few minutes of work (a
simulated day with the liquidity provider takes 20-40 s); a longer span takes several calls."""


class OrderResult(NamedTuple):
    """An order command's outcome: the orders it placed, amended or canceled, as it left them, and
    their fills among its events (oldest first)."""

    orders: tuple[OrderSnapshot, ...]
    fills: tuple[FillRecord, ...]
    duplicate: bool = False
    """A place whose client order id matched an open identical order: ``orders`` holds that one."""
    priority_kept: bool = False
    """An amend that kept the order's place in the queue (only a smaller quantity does)."""


class Balances(NamedTuple):
    """An account's wallet balance (isolated margin included), its cross wallet, and the balance of the
    asset a deposit or withdrawal moved."""

    wallet: Amount
    cross_wallet: Amount
    asset: Amount = 0


class MarginAdjusted(NamedTuple):
    """An isolated position after margin was added or removed, and the cross wallet it moved from or to."""

    position: HeldPosition
    cross_wallet: Amount
    ts: int


class Advanced(NamedTuple):
    """Simulated time moved to ``until`` in ``steps`` feed steps, the last journaled at ``sequence``."""

    until: int
    steps: int
    sequence: int


def refuse_if_rejected(applied: Applied, instruments: Mapping[str, Instrument]) -> None:
    """Raise the command's refusal: the host's, or the engine's (its one event is OrderRejected)."""
    if applied.refusal is not None:
        raise applied.refusal
    first = applied.events[0] if applied.events else None
    if isinstance(first, OrderRejected):
        raise refusal(first, instruments.get(first.symbol))


def order_result(applied: Applied, instruments: Mapping[str, Instrument]) -> OrderResult:
    """The one mapping of an order command's ``Applied`` to its result; raises its refusal."""
    refuse_if_rejected(applied, instruments)
    events, orders, ts = applied.events, applied.orders, applied.ts
    first = events[0] if events else None
    fills = [
        fill_record(event, orders[event.order_id][0], ts)
        for event in events
        if type(event) is OrderFilled and event.order_id in orders
    ]
    return OrderResult(
        tuple(orders.values()),
        tuple(fills),
        type(first) is DuplicatePlaceIgnored,
        isinstance(first, OrderAmended) and first.priority_kept,
    )


def _result_or_error(applied: Applied, instruments: Mapping[str, Instrument]) -> "OrderResult | Exception":
    try:
        return order_result(applied, instruments)
    except Exception as error:  # a refusal, or a fault confined to this command's result
        return error


def _passes(fate: "Decision | Refused") -> bool:
    """Whether a command with this injected fate reaches the sequencer."""
    return isinstance(fate, Decision) and not fate.refuse


def call_kind(command: object) -> CallKind:
    """What a command is for injected latency: an amend a replace, a cancel a cancel, else a submit."""
    if isinstance(command, AmendOrder):
        return CallKind.REPLACE
    return CallKind.CANCEL if isinstance(command, CancelOrder | CancelAllOrders) else CallKind.SUBMIT


def rated(command: object) -> bool:
    """Places and amends count against the account's order rate and the venue's order windows
    (cancels never do, as on venues)."""
    return isinstance(command, PlaceOrder | AmendOrder)


class Application(Queries):
    """Commands and queries on the exchange that ``sequencer`` writes, an account's admitted by ``admission``."""

    def __init__(
        self,
        sequencer: Writer,
        admission: Admission,
        hub: Hub[Any],
        fresh_exchange: Callable[[], Exchange],
        *,
        simulated: bool = False,
        stream_capacity: int = 65_536,
    ) -> None:
        super().__init__(sequencer, hub, simulated=simulated, stream_capacity=stream_capacity)
        self.admission = admission
        self.fresh_exchange = fresh_exchange
        """An empty exchange as this server makes them (``reset``)."""

    async def _outcome(self, command: ExchangeCommand) -> Applied:
        """An operator's command (no admission), once durable; raises its refusal."""
        applied = await self.sequencer.submit_one(command)
        refuse_if_rejected(applied, self.instruments)
        return applied

    # ------------------------------------------------------------------ an account's commands

    async def _submit(
        self, account_id: int, command: ExchangeCommand, *, order: bool = True, batched: bool = False
    ) -> Applied:
        """Admit one command of an account (counted against its order share unless ``order`` is
        False, as for cancels; against the venue's order windows unless ``batched``, as its batch
        request was, ``Admission.order_batch``) after its injected faults, and sequence it; its
        ``Applied`` once durable (unless a fault loses the answer)."""
        decision = await self.faults.enter(account_id, call_kind(command), command=True, order=rated(command))
        charge = Charge(account_id, 1, int(order), int(rated(command) and not batched))
        applied = await self.sequencer.submit_one(command, charge)
        await self.faults.leave(decision)
        return applied

    async def _account_outcome(self, account_id: int, command: ExchangeCommand, *, order: bool = True) -> Applied:
        """``_submit``, raising the command's refusal."""
        applied = await self._submit(account_id, command, order=order)
        refuse_if_rejected(applied, self.instruments)
        return applied

    async def order_command(self, command: OrderCommand, *, batched: bool = False) -> OrderResult:
        """Place, amend, cancel or cancel all: the result once durable, or its refusal raised.
        ``batched``: one order of a batch request already charged to the venue's order windows."""
        applied = await self._submit(command.account_id, command, order=rated(command), batched=batched)
        return order_result(applied, self.instruments)

    def order_batch(
        self, account_id: int, commands: list[OrderCommand]
    ) -> "asyncio.Future[list[OrderResult | Exception]]":
        """Admit and queue an account's commands in order, without waiting (a pipelining session).
        The future resolves once they are durable with each one's result, or the exception that
        refuses it (a fault in mapping one command's result is confined to that command).

        Each command meets the injected faults as a unary call would, drawn in order: one refused
        (UNAVAILABLE, or maintenance) is not queued and its result is the refusal; one whose answer is
        lost is carried out and its result is ANSWER_LOST. The batch's commands are queued together, in
        order, and its answer comes after the sum of their added latencies and the acknowledgement
        delay."""
        fates: list[Decision | Refused] = [NO_FAULT] * len(commands)
        if self.faults.active:
            fates = [self._fate(account_id, command) for command in commands]
        passing: list[ExchangeCommand] = [c for c, fate in zip(commands, fates, strict=True) if _passes(fate)]
        charge = None
        if passing:
            placed = sum(1 for command in passing if rated(command))
            charge = Charge(account_id, len(passing), placed, placed)
        queued = self.sequencer.enqueue(passing, charge)
        loop = queued.get_loop()
        results: asyncio.Future[list[OrderResult | Exception]] = loop.create_future()
        instruments = self.instruments
        decisions = [fate for fate in fates if isinstance(fate, Decision)]
        delay = sum(fate.delay_ns for fate in decisions) + max((fate.ack_delay_ns for fate in decisions), default=0)

        def answer(outcomes: list[Applied]) -> list[OrderResult | Exception]:
            applied = iter(outcomes)
            answers: list[OrderResult | Exception] = []
            for fate in fates:
                if isinstance(fate, Refused):
                    answers.append(fate)
                elif fate.refuse:
                    answers.append(refused())
                else:
                    result = _result_or_error(next(applied), instruments)
                    answers.append(answer_lost() if fate.lose_answer else result)
            return answers

        def settle(outcome: list[OrderResult | Exception] | BaseException | None) -> None:
            if results.done():
                return
            if outcome is None:
                results.cancel()
            elif isinstance(outcome, BaseException):
                results.set_exception(outcome)
            else:
                results.set_result(outcome)

        def resolve(done: "asyncio.Future[list[Applied]]") -> None:
            outcome = None if done.cancelled() else done.exception() or answer(done.result())
            if delay:
                loop.call_later(delay / SECOND_NS, settle, outcome)
            else:
                settle(outcome)

        queued.add_done_callback(resolve)
        return results

    def _fate(self, account_id: int, command: OrderCommand) -> Decision | Refused:
        """A session command's injected fault, drawn now: a maintenance refusal, or its decision."""
        try:
            return self.faults.fate(account_id, call_kind(command), command=True, order=rated(command))
        except Refused as maintenance:
            return maintenance

    async def set_asset_mode(self, command: SetAssetMode) -> bool:
        """Whether the account is in Multi-Assets mode after the change."""
        await self._account_outcome(command.account_id, command)
        return command.multi_assets

    async def change_settings(self, command: SetLeverage | SetMarginMode) -> SymbolLimits:
        """The symbol's margin mode and leverage after the change."""
        applied = await self._account_outcome(command.account_id, command)
        changed = next(e for e in applied.events if isinstance(e, SettingsChanged))
        return symbol_limits(self.instruments[changed.symbol], SymbolSettings(changed.mode, changed.leverage))

    async def set_position_mode(self, command: SetPositionMode) -> PositionMode:
        """The account's position mode after the switch."""
        applied = await self._account_outcome(command.account_id, command, order=False)
        return next(e for e in applied.events if isinstance(e, PositionModeChanged)).mode

    async def adjust_isolated_margin(self, command: AdjustIsolatedMargin) -> MarginAdjusted:
        applied = await self._account_outcome(command.account_id, command)
        assert applied.position is not None
        quantile = self.adl_quantile(command.account_id, command.symbol, applied.position.position_side)
        _, cross_wallet = applied.wallets
        return MarginAdjusted(HeldPosition(applied.position, quantile), cross_wallet, applied.ts)

    async def create_alert(self, command: CreatePriceAlert) -> Alert:
        applied = await self._account_outcome(command.account_id, command)
        assert applied.alert is not None
        return applied.alert

    async def delete_alert(self, command: DeletePriceAlert) -> None:
        await self._account_outcome(command.account_id, command, order=False)

    # ------------------------------------------------------------------ the operator's commands

    async def open_account(self, command: OpenAccount) -> int:
        """The new account's id."""
        return (await self._outcome(command)).account_id

    async def move_money(self, command: Deposit | Withdraw) -> Balances:
        """A deposit or withdrawal: the balances after it."""
        applied = await self._outcome(command)
        return Balances(*applied.wallets, applied.asset_balance)

    async def rotate_key(self, command: RotateApiKey) -> str:
        """The account's name (which never changes) once only the new key hash opens it."""
        await self._outcome(command)
        return self.exchange.accounts[command.account_id].name

    async def set_price(self, command: SetIndexPrice | SetMarkPrice) -> tuple[Ticks, Ticks]:
        """The symbol's index and mark price after it."""
        return (await self._outcome(command)).prices

    async def fund_insurance(self, command: FundInsurance) -> Amount:
        """The symbol's insurance fund after the top-up."""
        applied = await self._outcome(command)
        return next(e for e in applied.events if isinstance(e, InsuranceFundChanged)).balance

    async def load_scenario(self, command: LoadScenario) -> Scenario:
        applied = await self._outcome(command)
        assert applied.scenario is not None
        return applied.scenario

    async def set_faults(self, command: SetFaults) -> None:
        """Replace an account's (or everyone's) fault plan."""
        await self._outcome(command)

    async def set_liquidity_provider(self, command: SetLiquidityProvider) -> bool:
        """Whether the provider quotes any symbol after it."""
        return (await self._outcome(command)).liquidity_enabled

    async def snapshot(self) -> Snapshot:
        """A snapshot written now, between batches."""
        return await self.sequencer.snapshot()

    async def reset(self) -> None:
        """An empty exchange, and the journal wiped."""
        await self.sequencer.reset(self.fresh_exchange())

    async def start_market(self, takers: bool, scenario: str, seed: int, liquidity: bool, config: str) -> None:
        """The taker switch, scenario and liquidity provider a server starts with, unless the journal
        already runs them (a provider of an earlier version is moved on to the current one)."""
        market = self.exchange.market
        if takers != market.takers_enabled:
            await self._outcome(SetTakerFlow(enabled=takers))
        if scenario and (market.scenario is None or market.scenario.name != scenario):
            await self._outcome(LoadScenario(name=scenario, seed=seed))
        if liquidity and (market.provider is None or config or market.provider_outdated):
            await self._outcome(SetLiquidityProvider(enabled=True, config=config))

    # ------------------------------------------------------------------ time

    async def keep_time(self, poll_seconds: float) -> None:
        """On a wall clock, engine time moves only by commands: step the market every feed step and
        submit a tick whenever a GTD expiry or funding time falls due in between. Returns when the
        sequencer stops taking commands."""
        next_step = 0
        while True:
            await asyncio.sleep(poll_seconds)
            exchange = self.exchange
            now = self.sequencer.clock.now()
            try:
                if exchange.market.active and now >= next_step:
                    next_step = now - now % exchange.market.step_ns + exchange.market.step_ns
                    await self.sequencer.submit_one(MarketStep())
                elif exchange.next_deadline() <= now:
                    await self.sequencer.submit_one(AdvanceTime(ts=0))
            except Exception:  # shutting down or stopped: the loop ends with the server
                return

    async def advance_by(self, span: int, field: str) -> Advanced:
        """Simulated time ``span`` ns ahead (see ``advance``)."""
        self._require_simulated()
        now = self.now
        return await self._advance(now, now + span, field)

    async def advance_until(self, until: int, field: str) -> Advanced:
        """Simulated time to ``until``, which must be ahead (else WireError on ``field``)."""
        self._require_simulated()
        now = self.now
        if until <= now:
            raise WireError("INVALID_ARGUMENT", field, f"{field} must be after the current time")
        return await self._advance(now, until, field)

    async def step(self, count: int, field: str) -> Advanced:
        """Simulated time ``count`` feed steps ahead."""
        self._require_simulated()
        now = self.now
        return await self._advance(now, now + count * self.exchange.market.step_ns, field)

    def _require_simulated(self) -> None:
        if not self.simulated:
            raise Refused("CLOCK_NOT_SIMULATED", "time moves by itself on a wall clock; start with --clock simulated")

    async def _advance(self, now: int, until: int, field: str) -> Advanced:
        """Every feed step from ``now`` to ``until`` as MarketStep commands, queued in chunks so the
        journal groups them (made chunk by chunk, never all at once).

        Raises Refused (INVALID_ARGUMENT on ``field``) above ``MAX_ADVANCE_STEPS`` steps."""
        step_ns = self.exchange.market.step_ns
        times = range(now - now % step_ns + step_ns, until, step_ns)
        steps = len(times) + 1  # and ``until`` itself
        if steps > MAX_ADVANCE_STEPS:
            raise too_many_steps(steps, MAX_ADVANCE_STEPS, step_ns, until - now, field)
        sequence = 0
        for start in range(0, steps, ADVANCE_CHUNK):
            chunk: list[ExchangeCommand] = [MarketStep(at=t) for t in times[start : start + ADVANCE_CHUNK]]
            if start + ADVANCE_CHUNK >= steps:
                chunk.append(MarketStep(at=until))
            sequence = (await self.sequencer.submit(chunk))[-1].sequence
            self._announce_time()
        return Advanced(until, steps, sequence)
