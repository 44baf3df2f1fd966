"""The market that moves by itself: the loaded scenario's feed steps index prices (the mark follows
by the venue method), the built-in liquidity provider re-quotes around them, and the scenario's taker
flow trades against the book.

It lives inside the exchange's deterministic state and acts only through journaled commands
(LoadScenario, SetLiquidityProvider, SetTakerFlow, MarketStep), so a replay re-runs the same seeded
feed, the same quotes and the same taker orders. Every engine command it issues carries the step's time.
"""

from collections.abc import Callable
from decimal import Decimal

from paperex.engine.commands import AdvanceTime, CancelAllOrders, Command, SetIndexPrice, SetLeverage
from paperex.engine.engine import Engine
from paperex.engine.events import Event
from paperex.engine.instruments import Instrument
from paperex.engine.orders import Side
from paperex.server.core.exchange_commands import (
    LIQUIDITY_PROVIDER_VERSION,
    LoadScenario,
    SetLiquidityProvider,
    SetTakerFlow,
)
from paperex.server.market.feeds import MarketFeed, Replay
from paperex.server.market.history import Bar, bars
from paperex.server.market.kline_trades import KlineTrades, Print, print_orders
from paperex.server.market.liquidity import NORMAL, LiquidityProvider, Regime, parse_configs
from paperex.server.market.liquidity_v1 import LiquidityProviderV1
from paperex.server.market.scenarios import Scenario, ScenarioError, library, load
from paperex.server.market.takers import TakerFlow
from paperex.server.wire.errors import Refused

SECOND_NS = 10**9
LIQUIDITY_PROVIDER_NAME = "liquidity-provider"
LIQUIDITY_PROVIDER_DEPOSIT = 10**9 * 10**8
"""A billion USDT (scaled 1e-8): the provider never runs short of margin for its quotes."""
TAKER_FLOW_NAME = "taker-flow"
TAKER_FLOW_DEPOSIT = LIQUIDITY_PROVIDER_DEPOSIT
"""The takers' net position wanders with their flow; at 1x this covers it many times over."""
KLINE_MAKER_NAME = "kline-maker"
"""The exchange's own account that rests the other side of a replayed kline file's prints."""

_PROVIDERS: dict[int, type[LiquidityProvider] | type[LiquidityProviderV1]] = {
    1: LiquidityProviderV1,
    2: LiquidityProvider,
}
"""The provider behind each ``SetLiquidityProvider.version``."""

OpenInternalAccount = Callable[[str, int], tuple[int, list[Event]]]
"""Opens (or finds) an internal account by name with a deposit: (account id, events)."""


class MarketScript:
    takers: TakerFlow | None = None
    takers_enabled = True
    klines: dict[str, KlineTrades] = {}  # noqa: RUF012  (never mutated: _start_takers replaces it)
    kline_accounts = (0, 0)
    start_prices: dict[str, Decimal] = {}  # noqa: RUF012  (never mutated: load replaces it)
    """Class defaults: a state pickled before the taker flow (or traded kline files) existed restores
    without one."""

    def __init__(self, instruments: dict[str, Instrument]) -> None:
        self.instruments = instruments
        self.scenario: Scenario | None = None
        self.feed: MarketFeed | None = None
        self.started_at = 0
        self.step_ns = SECOND_NS
        self.provider: LiquidityProvider | LiquidityProviderV1 | None = None
        self.takers = None
        self.takers_enabled = True
        self.klines = {}
        """The prints of each symbol whose replayed kline file is traded (``kline_trades``)."""
        self.kline_accounts = (0, 0)
        """The (maker, taker) accounts of those prints."""
        self.start_prices = {}
        """The index prices the running scenario started from (its tracks are rebased to them)."""

    @property
    def provider_outdated(self) -> bool:
        """Whether the provider is of an earlier version than new commands get (a journal written by an
        earlier paperex): a server start moves it on to the current one."""
        current = _PROVIDERS[LIQUIDITY_PROVIDER_VERSION]
        return self.provider is not None and not isinstance(self.provider, current)

    @property
    def liquidity_enabled(self) -> bool:
        return self.provider is not None and any(self.provider.enabled(s) for s in self.provider.symbols)

    @property
    def active(self) -> bool:
        """Whether feed steps do anything (a scenario or quotes to keep)."""
        return self.feed is not None or self.liquidity_enabled

    def load(self, command: LoadScenario, engine: Engine, open_account: OpenInternalAccount) -> list[Event]:
        """Start a scenario at the command's time, from the current index prices where there are
        any (paths are relative moves), with its taker flow; raises Refused for an unknown or invalid
        scenario."""
        try:
            scenario = load(command.name or command.text, command.seed)
        except ScenarioError as error:
            reason = "UNKNOWN_SCENARIO" if command.name and command.name not in library() else "INVALID_SCENARIO"
            raise Refused(reason, str(error), {"scenario": command.name}) from None
        current = {
            symbol: Decimal(market.index_price) * market.instrument.tick_size
            for symbol, market in engine.markets.items()
            if market.index_price and symbol in scenario.symbols
        }
        unknown = sorted(set(scenario.history) - set(self.instruments))
        if unknown:
            message = f"history.{unknown[0]}: not an instrument of this exchange"
            raise Refused("INVALID_SCENARIO", message, {"scenario": scenario.name})
        try:
            self.feed = scenario.feed(self.instruments, command.ts, seed=command.seed or None, start_prices=current)
        except ScenarioError as error:
            raise Refused("INVALID_SCENARIO", str(error), {"scenario": scenario.name}) from None
        self.scenario, self.started_at, self.step_ns = scenario, command.ts, scenario.step_ns
        self.start_prices = current
        return self._start_takers(engine, command.ts, open_account)

    def history_bars(self) -> dict[str, tuple[int, list[Bar]]]:
        """The loaded scenario's candle history per symbol, as (bar length, bars) ending where the
        current bar opens, scaled to the prices the feed starts from (``paperex.server.market.history``)."""
        if self.scenario is None or self.feed is None:
            return {}
        starts = self.feed.prices(self.started_at)
        at = self.started_at
        return {
            symbol: (
                history.interval_ns,
                bars(history, self.instruments[symbol], at - at % history.interval_ns, starts.get(symbol)),
            )
            for symbol, history in self.scenario.history.items()
        }

    def set_takers(self, command: SetTakerFlow, engine: Engine, open_account: OpenInternalAccount) -> list[Event]:
        """Switch the taker flow; on, the running scenario's takers start afresh from this command."""
        if command.enabled == self.takers_enabled:
            return []
        self.takers_enabled = command.enabled
        return self._start_takers(engine, command.ts, open_account)

    def _start_takers(self, engine: Engine, at: int, open_account: OpenInternalAccount) -> list[Event]:
        """The scenario's taker flow, seeded by the scenario's seed, and the prints of its traded kline
        files from ``at`` on (opening their accounts the first time). A symbol whose kline file is
        traded gets no random flow: its trades are the file's."""
        self.takers, self.klines = None, {}
        scenario = self.scenario
        if scenario is None or not self.takers_enabled:
            return []
        traded = scenario.kline_trades
        flows = {symbol: config for symbol, config in scenario.takers.items() if symbol not in traded}
        if not traded and not any(config.enabled for config in flows.values()):
            return []
        events: list[Event] = []
        taker_id = self._internal_account(engine, TAKER_FLOW_NAME, at, open_account, events)
        if any(config.enabled for config in flows.values()):
            self.takers = TakerFlow(taker_id, self.instruments, flows, seed=scenario.seed, start_ns=at)
        if traded:
            maker_id = self._internal_account(engine, KLINE_MAKER_NAME, at, open_account, events)
            self.kline_accounts = (maker_id, taker_id)
            for symbol, tape in traded.items():
                replay = scenario.started_track(symbol, self.started_at, self.start_prices)
                assert isinstance(replay, Replay)
                self.klines[symbol] = KlineTrades(self.instruments[symbol], tape, replay, self.started_at, at)
        return events

    def _internal_account(
        self, engine: Engine, name: str, at: int, open_account: OpenInternalAccount, events: list[Event]
    ) -> int:
        """An internal account by name at 1x, opened the first time; its events appended to ``events``."""
        account_id, opened = open_account(name, TAKER_FLOW_DEPOSIT)
        if opened:
            events += opened + self._leverage_one(engine, account_id, at)
        return account_id

    def _leverage_one(self, engine: Engine, account_id: int, at: int) -> list[Event]:
        """1x: the highest position cap, so a one-way flow is never refused for its size."""
        events: list[Event] = []
        for symbol in self.instruments:
            events += engine.apply(SetLeverage(account_id=account_id, symbol=symbol, leverage=1, ts=at))
        return events

    def set_liquidity(
        self, command: SetLiquidityProvider, engine: Engine, open_account: OpenInternalAccount
    ) -> list[Event]:
        """Switch the provider (opening its account the first time) and apply a new config; a bad
        config is refused before anything changes. A command of another version than the running
        provider's replaces it with that version's, keeping its account and settings."""
        if command.version not in _PROVIDERS:
            known = ", ".join(map(str, _PROVIDERS))
            message = f"liquidity provider version {command.version} is not one this paperex runs ({known})"
            raise Refused("INVALID_ARGUMENT", message, {"version": str(command.version), "known": known})
        try:
            configs = parse_configs(command.config) if command.config else None
        except ValueError as error:
            raise Refused("INVALID_ARGUMENT", f"liquidity provider config: {error}", field="config_toml") from None
        events: list[Event] = []
        if command.enabled and self.provider is None:
            account_id, events = open_account(LIQUIDITY_PROVIDER_NAME, LIQUIDITY_PROVIDER_DEPOSIT)
            events += self._leverage_one(engine, account_id, command.ts)  # a crash never stops its bids
            self.provider = _PROVIDERS[command.version](account_id, self.instruments)
        if self.provider is None:
            return events
        if not isinstance(self.provider, _PROVIDERS[command.version]):
            self.provider = self._with_version(self.provider, command.version)
        for symbol in self.provider.symbols:
            if configs is not None:
                self.provider.configure(symbol, configs[symbol])
            for order in self.provider.set_enabled(symbol, command.enabled, command.ts):
                events += self._issue(engine, order, command.ts)
        return events + self.step(engine, command.ts)

    def step(self, engine: Engine, at: int) -> list[Event]:
        """Prices at ``at``, then quotes, then the taker orders due by ``at``; with none of them,
        just time moving to ``at``."""
        events: list[Event] = []
        if self.feed is not None:
            for symbol, ticks in self.feed.ticks(at).items():
                events += engine.apply(SetIndexPrice(symbol=symbol, price=ticks, ts=at))
        provider = self.provider
        if provider is not None:
            for symbol in provider.symbols:
                market = engine.markets[symbol]
                if not market.index_price or not provider.enabled(symbol):
                    continue  # the provider quotes around the index; without one it waits
                regime = self._regime(at, symbol)
                if isinstance(provider, LiquidityProviderV1):
                    orders = provider.quote(symbol, market.index_price, at, regime, mark_ticks=market.mark_price)
                else:
                    orders = provider.quote(engine, symbol, at, regime)
                for order in orders:
                    events += self._issue(engine, order, at)
        takers = self.takers
        if takers is not None:
            for symbol in takers.symbols:
                market = engine.markets[symbol]
                for order in takers.orders(symbol, at, market.index_price, market.last_price):
                    if market.book.best_price(Side(-order.side)) is not None:  # else nothing to take
                        events += self._issue(engine, order, at)
        for symbol, klines in self.klines.items():
            for trade in klines.due(at):
                events += self._print(engine, symbol, trade, at)
        if not events:
            events = engine.apply(AdvanceTime(ts=at))
        return events

    def _print(self, engine: Engine, symbol: str, trade: Print, at: int) -> list[Event]:
        """One print of a traded kline file: the maker rests, the taker trades against it, and what is
        left of the maker's order (others' better orders filled first) is cancelled."""
        maker_id, taker_id = self.kline_accounts
        best_bid = engine.markets[symbol].book.best_price(Side.BUY)
        maker, taker = print_orders(symbol, trade, best_bid, maker_id, taker_id)
        events = self._issue(engine, maker, at) + self._issue(engine, taker, at)
        if engine.open_orders(maker_id, symbol):
            events += self._issue(engine, CancelAllOrders(account_id=maker_id, symbol=symbol), at)
        return events

    def observe(self, events: list[Event]) -> None:
        """Every command's events, for a version 1 provider's belief (other accounts' orders fill its
        quotes); the current provider reads the engine instead."""
        if isinstance(self.provider, LiquidityProviderV1):
            self.provider.observe(events)

    def _with_version(
        self, old: LiquidityProvider | LiquidityProviderV1, version: int
    ) -> LiquidityProvider | LiquidityProviderV1:
        """The provider of ``version`` on ``old``'s account, configs and switches; it re-quotes the
        whole ladder at its first step, over whatever orders ``old`` left."""
        configs = {symbol: old.config(symbol) for symbol in old.symbols}
        provider = _PROVIDERS[version](old.account_id, self.instruments, configs)
        for symbol in old.symbols:
            provider.set_enabled(symbol, old.enabled(symbol))
        return provider

    def _issue(self, engine: Engine, command: Command, at: int) -> list[Event]:
        command.ts = at
        events = engine.apply(command)
        self.observe(events)
        return events

    def _regime(self, at: int, symbol: str) -> Regime:
        if self.scenario is None:
            return NORMAL
        liquidity = self.scenario.liquidity_at(at - self.started_at, symbol)
        return Regime(spread=liquidity.spread, depth=liquidity.depth)
