"""The engine: ``apply(command) -> events``, synchronous and deterministic.

One command runs a fixed pipeline (``Engine.apply``): the clock moves to the command's time, due GTD
orders expire, funding settles when its time has come, the command's handler runs, then its
consequences (conditional orders fired by the new prices, margin checks, liquidations) until nothing
more happens, and finally one ``PositionChanged`` per position moved and one ``BookLevelChanged`` per
price level touched. A rejected command emits exactly one ``OrderRejected`` and changes nothing.

This module only composes and dispatches. Each job has its module, all working over one
``EngineState``: ``order_commands`` (place, amend, cancel), ``execution`` (the walk through the book,
resting, reduce-only trimming), ``settlement`` (each fill's money and positions), ``open_orders``
(the order indexes, ends and expiries), ``account_commands``, ``prices`` (mark, index, funding),
``trigger_runner`` (conditional orders) and ``liquidator`` (margin calls, liquidation, ADL).
"""

from collections.abc import Callable, Mapping
from typing import Any

from paperex.engine.account_commands import AccountCommands
from paperex.engine.accounts import Account
from paperex.engine.audit import InvariantViolation, Ledger, check_invariants, ledger, state_hash
from paperex.engine.book import DepthLevel
from paperex.engine.collateral import DEFAULT_COLLATERAL, CollateralAsset
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AdvanceTime,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    FundInsurance,
    PlaceOrder,
    Resume,
    SetAssetMode,
    SetIndexPrice,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    SetPositionMode,
    Withdraw,
)
from paperex.engine.events import BookLevelChanged, Event, PositionChanged
from paperex.engine.execution import Execution
from paperex.engine.instruments import DEFAULT_INSTRUMENTS, Instrument
from paperex.engine.liquidation import adl_quantiles
from paperex.engine.liquidator import Liquidator
from paperex.engine.market import Market
from paperex.engine.open_orders import OpenOrders
from paperex.engine.order_commands import OrderCommands
from paperex.engine.orders import Order, PositionSide, Side
from paperex.engine.positions import Position
from paperex.engine.prices import Prices
from paperex.engine.risk import AccountSummary, OrderPreview, estimated_price, figure_basis, preview, summarize
from paperex.engine.settlement import Settlement
from paperex.engine.state import EngineState
from paperex.engine.trigger_runner import TriggerRunner
from paperex.engine.units import Amount, Lots, Ticks

ENGINE_BUILD = "interpreted" if __file__.endswith(".py") else "mypyc"
"""Which build of the engine runs: the optional compiled one (``PAPEREX_MYPYC=1 pip install .``) loads
this module from an extension module instead of its source."""

MAX_CASCADE_ROUNDS = 1_000
"""Trigger/liquidation rounds one command may set off before the engine calls it a bug."""


class Engine:
    """All markets, orders and positions; mutate only through ``apply``."""

    def __init__(
        self,
        instruments: Mapping[str, Instrument] = DEFAULT_INSTRUMENTS,
        collateral: Mapping[str, CollateralAsset] = DEFAULT_COLLATERAL,
    ) -> None:
        self._compose(EngineState(instruments, collateral))

    def _compose(self, state: EngineState) -> None:
        """Build the jobs around ``state`` and the table of command handlers."""
        self.state = state
        self.markets: dict[str, Market] = state.markets
        self.accounts: dict[int, Account] = state.accounts
        open_orders = OpenOrders(state)
        settlement = Settlement(state, open_orders)
        execution = Execution(state, open_orders, settlement)
        orders = OrderCommands(state, open_orders, execution)
        accounts = AccountCommands(state)
        prices = Prices(state)
        self._open_orders = open_orders
        self._prices = prices
        self._triggers = TriggerRunner(state, open_orders, execution)
        self._liquidator = Liquidator(state, open_orders, execution, settlement)
        self._handlers: dict[type, Callable[[Any], None]] = {
            PlaceOrder: orders.place,
            AmendOrder: orders.amend,
            CancelOrder: orders.cancel,
            CancelAllOrders: orders.cancel_all,
            SetMarkPrice: prices.set_mark,
            SetIndexPrice: prices.set_index,
            AdvanceTime: self._advance_time,
            Resume: self._advance_time,
            CreateAccount: accounts.create_account,
            Deposit: accounts.deposit,
            Withdraw: accounts.withdraw,
            SetLeverage: accounts.set_leverage,
            SetMarginMode: accounts.set_margin_mode,
            SetPositionMode: accounts.set_position_mode,
            SetAssetMode: accounts.set_asset_mode,
            AdjustIsolatedMargin: accounts.adjust_isolated_margin,
            FundInsurance: accounts.fund_insurance,
        }

    def __getstate__(self) -> EngineState:
        """A snapshot holds the state alone; the jobs are rebuilt around it when it loads, so moving
        operations between jobs never invalidates a snapshot."""
        return self.state

    def __setstate__(self, state: EngineState) -> None:
        self._compose(state)

    # ------------------------------------------------------------------ the one entry point

    def apply(self, command: Command) -> list[Event]:
        """Apply one command and return its events in causal order."""
        state = self.state
        out: list[Event] = []
        state.events = out
        if command.ts > state.now:
            if type(command) is Resume and state.recent_client_ids:
                self._open_orders.discount_downtime(command.ts - state.now)
            state.now = command.ts
        if state.recent_client_ids:
            self._open_orders.prune_recent_client_ids()
        expiries = state.expiries
        if expiries and expiries[0][0] <= state.now:
            self._open_orders.expire_due()
        if state.now >= state.next_funding:
            self._prices.settle_funding()
        self._handlers[type(command)](command)
        if state.at_risk or state.prices_moved:
            self._settle_consequences()
        if state.moved:
            self._flush_positions()
        for market in state.market_list:
            if market.dirty:
                self._flush_levels(market)
        return out

    def _advance_time(self, command: AdvanceTime | Resume) -> None:
        """Nothing beyond what ``apply`` does for every command: expire due orders, settle funding
        (and for ``Resume``, discount the downtime before anything else)."""

    def _settle_consequences(self) -> None:
        """Run what a command set off until it stops: triggers fired by price moves, then margin
        checks of every account whose positions or marks moved (a liquidation trades, which can fire
        triggers and put counterparties at risk in turn)."""
        state = self.state
        for _ in range(MAX_CASCADE_ROUNDS):
            for market in state.market_list:
                if market.trade_low or market.mark_moved:
                    self._triggers.run(market)
            if not state.at_risk:
                state.prices_moved = False
                return
            at_risk, state.at_risk = state.at_risk, {}
            for account_id in sorted(at_risk):
                self._liquidator.check_account(state.accounts[account_id])
        raise InvariantViolation("liquidation cascade did not settle")

    def _flush_positions(self) -> None:
        """One PositionChanged per position the command moved, in first-moved order."""
        state = self.state
        out, accounts, markets = state.events, state.accounts, state.markets
        for (account_id, symbol, leg), position in state.moved.items():
            account = accounts[account_id]
            settings = account.peek_setting(symbol)
            basis = figure_basis(account, markets, symbol, leg) if account.liquidatable and position.size else None
            out.append(
                PositionChanged(
                    account_id,
                    symbol,
                    position.size,
                    position.entry_notional,
                    position.isolated_wallet,
                    settings.mode,
                    settings.leverage,
                    markets[symbol].mark_price,
                    basis,
                    leg,
                )
            )
        state.moved = {}

    def _flush_levels(self, market: Market) -> None:
        """One BookLevelChanged per level the command touched; an emptied level reads 0 and 0."""
        symbol, out = market.symbol, self.state.events
        for level in market.dirty:
            out.append(BookLevelChanged(symbol, level.side, level.price, level.quantity, level.count))
        market.dirty = {}

    # ------------------------------------------------------------------ queries (read-only)

    @property
    def now(self) -> int:
        """Engine time (ns): the latest command's ``ts``."""
        return self.state.now

    @property
    def fees_collected(self) -> Amount:
        return self.state.fees_collected

    @fees_collected.setter
    def fees_collected(self, amount: Amount) -> None:
        self.state.fees_collected = amount

    @property
    def net_deposits(self) -> Amount:
        return self.state.net_deposits

    @property
    def insurance_contributions(self) -> Amount:
        return self.state.insurance_contributions

    def next_deadline(self) -> int:
        """Engine time (ns) of the next GTD expiry or funding settlement: the host submits an
        ``AdvanceTime`` once its clock reaches it (the engine never reads a clock)."""
        expiries, next_funding = self.state.expiries, self.state.next_funding
        return min(expiries[0][0], next_funding) if expiries else next_funding

    def depth(self, symbol: str, limit: int) -> tuple[list[DepthLevel], list[DepthLevel]]:
        """L2: top ``limit`` aggregated levels as (bids, asks), best first."""
        book = self.markets[symbol].book
        return book.depth(Side.BUY, limit), book.depth(Side.SELL, limit)

    def l3(self, symbol: str, side: Side) -> list[list[Order]]:
        """L3: every resting order of one side, level by level in priority order."""
        return [list(level.orders()) for level in self.markets[symbol].book.side(side)]

    def order(self, order_id: int) -> Order | None:
        """An open order (resting or waiting for its trigger)."""
        return self.state.orders.get(order_id)

    def open_orders(self, account_id: int, symbol: str) -> list[Order]:
        return list(self.state.account_orders.get((account_id, symbol), {}).values())

    def position(self, account_id: int, symbol: str, leg: PositionSide = PositionSide.BOTH) -> Position:
        """The account's position in ``symbol`` (in hedge mode, its ``leg``)."""
        return self.state.position(account_id, symbol, leg)

    def preview(
        self,
        account_id: int,
        symbol: str,
        side: Side,
        lots: Lots,
        price: Ticks = 0,
        leg: PositionSide = PositionSide.BOTH,
    ) -> tuple[OrderPreview, OrderPreview]:
        """An order's margin, fee and resulting position (``leg``'s, in hedge mode) under the current and
        the other margin mode, changing nothing. ``price`` 0 previews a market order at the opposite touch."""
        market = self.markets[symbol]
        return preview(
            self.accounts[account_id],
            self.markets,
            symbol,
            side,
            lots,
            price or estimated_price(market, market.book.best_price(side.opposite)),
            leg,
        )

    def summary(self, account_id: int) -> AccountSummary:
        """Every margin figure of one account at the current marks (read-only)."""
        return summarize(self.accounts[account_id], self.markets)

    def adl_quantiles(self, symbol: str) -> dict[tuple[int, PositionSide], int]:
        """``(account_id, leg) -> 1..5`` of every trader's position in ``symbol`` in its side's auto-deleverage
        queue (5: first to be deleveraged); flat and internal accounts are absent (0). Ranked afresh on
        each call, read-only: see ``paperex.engine.liquidation.adl_quantiles`` for the buckets."""
        market = self.markets[symbol]
        return adl_quantiles(market, (self.accounts[account_id] for account_id in market.holders))

    def state_hash(self) -> str:
        """A digest of everything that determines future behaviour; equal engines hash equal."""
        return state_hash(self.state)

    def check_invariants(self) -> None:
        """Raise InvariantViolation when internal structures disagree (tests call it after each step)."""
        check_invariants(self.state)

    @property
    def insurance_fund(self) -> Amount:
        """Every symbol's insurance fund together."""
        return sum(market.insurance_fund for market in self.state.market_list)

    def ledger(self) -> Ledger:
        """The terms of the money-conservation sum (read-only; see ``paperex.engine.audit.Ledger``)."""
        return ledger(self.state)
