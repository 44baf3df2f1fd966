"""The exchange's whole deterministic state: the engine, the host's own state (accounts and hashed keys,
the market script) and the read models folded from the events (``Results``).

The writer applies a command with ``execute`` (the engine's or the host's own) and journals it; after the
batch is durable, ``Results.fold`` folds it. ``apply`` does both at once (recovery, tests). Everything is a
pure function of the command sequence, so a snapshot of an ``Exchange`` (``snapshot_schema``) plus the
journal's tail rebuilds it exactly. The sequencer is its only writer.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from paperex.engine.collateral import DEFAULT_COLLATERAL, CollateralAsset
from paperex.engine.commands import Command, CreateAccount, Deposit
from paperex.engine.engine import Engine
from paperex.engine.events import AccountCreated, Event, OrderRejected
from paperex.engine.instruments import Instrument
from paperex.engine.reasons import RejectReason
from paperex.engine.units import Amount
from paperex.server.core.exchange_commands import (
    HOST_COMMANDS,
    LoadScenario,
    MarketStep,
    OpenAccount,
    RotateApiKey,
    SetFaults,
    SetLiquidityProvider,
    SetTakerFlow,
)
from paperex.server.core.results import (
    Applied,
    Publication,
    Results,
    book_topic,
    candles_topic,
    trades_topic,
    user_topic,
)
from paperex.server.core.state_hash import state_hash
from paperex.server.core.tape import ExchangeCommand
from paperex.server.market.fault_plans import FaultError, FaultPlan, parse_plan, plan_from
from paperex.server.market.market_script import MarketScript
from paperex.server.state.alerts import AlertBook
from paperex.server.state.books import Books
from paperex.server.state.candles import CandleStore
from paperex.server.state.history import RETAINED_PER_ACCOUNT, History
from paperex.server.state.income import IncomeHistory
from paperex.server.state.liquidation_records import LiquidationRecords
from paperex.server.state.margin_accounts import MarginAccounts
from paperex.server.state.ticker_stats import TickerStats
from paperex.server.state.user_event_log import UserEventLog
from paperex.server.wire.errors import Refused

__all__ = [  # the outcome and the topics, where the adapters have always found them
    "AccountEntry",
    "Applied",
    "Exchange",
    "Publication",
    "book_topic",
    "candles_topic",
    "trades_topic",
    "user_topic",
]


_HOST_KINDS = frozenset(HOST_COMMANDS)
"""The host's own commands; every other command is the engine's."""


class AccountEntry(NamedTuple):
    account_id: int
    name: str
    key_hash: str
    internal: bool = False
    api_secret: str = ""
    """The Binance-compatible API's signing secret (empty: the account cannot sign there)."""


class Exchange:
    """Engine + accounts + market script + read models; mutate only through ``execute`` then
    ``results.fold`` (or ``apply``, both at once)."""

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        history_retention: int = RETAINED_PER_ACCOUNT,
        collateral: Mapping[str, CollateralAsset] = DEFAULT_COLLATERAL,
    ) -> None:
        self.instruments = dict(instruments)
        self.engine = Engine(self.instruments, collateral)
        self.results = Results(self.instruments, history_retention, self.engine.state.collateral)
        self.sequence = 0
        self.accounts: dict[int, AccountEntry] = {}
        self.account_by_key: dict[str, int] = {}
        self._account_by_name: dict[str, int] = {}
        self.market = MarketScript(self.instruments)
        self.faults: dict[int, FaultPlan] = {}
        """Fault plans in force by account (0: everyone); never mutated: ``_set_faults`` replaces it."""

    # The read models, by the names queries use.

    @property
    def history(self) -> History:
        return self.results.history

    @property
    def income(self) -> IncomeHistory:
        return self.results.income

    @property
    def liquidations(self) -> LiquidationRecords:
        return self.results.liquidations

    @property
    def user_events(self) -> dict[int, UserEventLog]:
        return self.results.user_events

    @property
    def candles(self) -> CandleStore:
        return self.results.candles

    @property
    def ticker_stats(self) -> TickerStats:
        return self.results.ticker_stats

    @property
    def alerts(self) -> AlertBook:
        return self.results.alerts

    @property
    def margin_accounts(self) -> MarginAccounts:
        return self.results.margin_accounts

    @property
    def books(self) -> Books:
        return self.results.books

    @property
    def now(self) -> int:
        return self.engine.now

    def next_deadline(self) -> int:
        """Engine time of the next GTD expiry or funding settlement, which an ``AdvanceTime`` must meet."""
        return self.engine.next_deadline()

    def state_hash(self) -> str:
        """Digest of everything a snapshot restores, the read models included (``paperex.server.core.state_hash``):
        equal in two processes exactly when their states are."""
        return state_hash(self)

    def apply(self, command: ExchangeCommand) -> Applied:
        """Apply one sequenced command (its ``ts`` already stamped) and fold it at once."""
        return self.results.fold(self.execute(command))

    def execute(self, command: ExchangeCommand) -> Applied:
        """The writer's part of one sequenced command: apply it to the engine or the host's own state.
        Its events are folded into the read models later, by ``results.fold``, in sequence order."""
        self.sequence += 1
        if type(command) is MarketStep and command.at > command.ts:
            command.ts = command.at  # a simulated step: time jumps to it
        applied = Applied(self.sequence, command.ts, command, [])
        if type(command) not in _HOST_KINDS:  # nearly every command: one lookup, not the chain below
            applied.events = self.engine.apply(cast(Command, command))
            self.market.observe(applied.events)
        elif isinstance(command, OpenAccount):
            applied.events = self._open_account(command, applied)
        elif isinstance(command, RotateApiKey):
            self._rotate_key(command, applied)
        elif isinstance(command, MarketStep):
            applied.events = self.market.step(self.engine, command.ts)
        elif isinstance(command, LoadScenario):
            try:
                events = self.market.load(command, self.engine, self._open_internal_account)
                applied.history = self.market.history_bars()
                self._scenario_faults(command, applied)
                applied.events = events + self.market.step(self.engine, command.ts)
                applied.scenario = self.market.scenario
            except Refused as refusal:
                applied.refusal = refusal
        elif isinstance(command, SetLiquidityProvider):
            try:
                applied.events = self.market.set_liquidity(command, self.engine, self._open_internal_account)
            except Refused as refusal:
                applied.refusal = refusal
            applied.liquidity_enabled = self.market.liquidity_enabled
        elif isinstance(command, SetTakerFlow):
            applied.events = self.market.set_takers(command, self.engine, self._open_internal_account)
        elif isinstance(command, SetFaults):
            self._set_faults(command, applied)
        # CreatePriceAlert and DeletePriceAlert: the results stage keeps the alerts, in order with the
        # price moves that fire them
        return applied

    def _open_internal_account(self, name: str, deposit: Amount) -> tuple[int, list[Event]]:
        """The exchange's own accounts (the liquidity provider, the taker flow): no API key, hidden from listings,
        never liquidated."""
        known = self._account_by_name.get(name)
        if known is not None:
            return known, []
        return self._open(name, "", deposit, self.engine.now, internal=True)

    def _open_account(self, command: OpenAccount, applied: Applied) -> list[Event]:
        if command.name in self._account_by_name:
            return [OrderRejected("CreateAccount", 0, "", RejectReason.ACCOUNT_ALREADY_EXISTS)]
        applied.account_id, events = self._open(
            command.name, command.key_hash, command.deposit, command.ts, api_secret=command.api_secret
        )
        return events

    def _open(
        self, name: str, key_hash: str, deposit: Amount, ts: int, internal: bool = False, api_secret: str = ""
    ) -> tuple[int, list[Event]]:
        """Open a named account in the engine, which assigns its id, and fund it."""
        events = self.engine.apply(CreateAccount(liquidatable=not internal, ts=ts))
        account_id = next(event.account_id for event in events if type(event) is AccountCreated)
        self.accounts[account_id] = AccountEntry(account_id, name, key_hash, internal, api_secret)
        if not internal:
            self.account_by_key[key_hash] = account_id
        self._account_by_name[name] = account_id
        if deposit:
            events += self.engine.apply(Deposit(account_id=account_id, amount=deposit, ts=ts))
        return account_id, events

    def _scenario_faults(self, command: LoadScenario, applied: Applied) -> None:
        """A scenario's ``[faults]`` become everyone's plan, its maintenance window counted from the load."""
        scenario = self.market.scenario
        if scenario is not None and scenario.faults:
            plan = plan_from(scenario.faults, now=command.ts, set_at=applied.sequence)
            self.faults = {**self.faults, 0: plan}

    def _set_faults(self, command: SetFaults, applied: Applied) -> None:
        entry = self.accounts.get(command.account_id)
        if command.account_id and (entry is None or entry.internal):
            metadata = {"account_id": str(command.account_id)}
            applied.refusal = Refused("UNKNOWN_ACCOUNT", f"no account {command.account_id}", metadata)
            return
        try:
            plan = parse_plan(command.config, now=command.ts, set_at=applied.sequence)
        except FaultError as error:
            applied.refusal = Refused("INVALID_FAULTS", f"the fault plan is not valid: {error}")
            return
        faults = dict(self.faults)
        if plan is None:
            faults.pop(command.account_id, None)
        else:
            faults[command.account_id] = plan
        self.faults = faults

    def _rotate_key(self, command: RotateApiKey, applied: Applied) -> None:
        """The account answers to the new key hash only; the exchange's own accounts have no key."""
        entry = self.accounts.get(command.account_id)
        if entry is None or entry.internal:
            metadata = {"account_id": str(command.account_id)}
            applied.refusal = Refused("UNKNOWN_ACCOUNT", f"no account {command.account_id}", metadata)
            return
        del self.account_by_key[entry.key_hash]
        self.accounts[entry.account_id] = entry._replace(key_hash=command.key_hash, api_secret=command.api_secret)
        self.account_by_key[command.key_hash] = entry.account_id

    # ------------------------------------------------------------------ queries

    def events_after(self, account_id: int, sequence: int, index: int) -> list[Any] | None:
        """The account's retained events (``UserEvent`` values) strictly after the cursor; None when the log no longer
        reaches back that far, or the cursor is from the future (the caller must resync)."""
        if sequence > self.sequence:
            return None
        log = self.user_events.get(account_id)
        return log.after(sequence, index) if log is not None else []

    def last_cursor(self, account_id: int) -> tuple[int, int]:
        """The cursor of the account's newest event ((0, 0) before any)."""
        log = self.user_events.get(account_id)
        return log.last_cursor() if log is not None else (0, 0)
