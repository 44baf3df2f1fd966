"""The market that moves by itself: the loaded scenario's feed steps index prices (the mark follows
by the venue method) and the built-in liquidity provider re-quotes around them.

It lives inside the exchange's deterministic state and acts only through journaled commands
(LoadScenario, SetLiquidityProvider, MarketStep), so a replay re-runs the same seeded feed and the same
quotes. Every engine command it issues carries the step's time.
"""

from collections.abc import Callable
from decimal import Decimal

from paperex.engine.commands import AdvanceTime, Command, SetIndexPrice, SetLeverage
from paperex.engine.engine import Engine
from paperex.engine.events import Event
from paperex.engine.instruments import Instrument
from paperex.server.core.exchange_commands import LoadScenario, SetLiquidityProvider
from paperex.server.market.feeds import MarketFeed
from paperex.server.market.liquidity import NORMAL, LiquidityProvider, Regime, parse_configs
from paperex.server.market.scenarios import Scenario, ScenarioError, library, load
from paperex.server.wire.errors import Refused

SECOND_NS = 10**9
LIQUIDITY_PROVIDER_NAME = "liquidity-provider"
LIQUIDITY_PROVIDER_DEPOSIT = 10**9 * 10**8
"""A billion USDT (scaled 1e-8): the provider never runs short of margin for its quotes."""

OpenInternalAccount = Callable[[str, int], tuple[int, list[Event]]]
"""Opens (or finds) an internal account by name with a deposit: (account id, events)."""


class MarketScript:
    def __init__(self, instruments: dict[str, Instrument]) -> None:
        self.instruments = instruments
        self.scenario: Scenario | None = None
        self.feed: MarketFeed | None = None
        self.started_at = 0
        self.step_ns = SECOND_NS
        self.provider: LiquidityProvider | None = None

    @property
    def liquidity_enabled(self) -> bool:
        return self.provider is not None and any(self.provider.enabled(s) for s in self.provider.symbols)

    @property
    def active(self) -> bool:
        """Whether feed steps do anything (a scenario or quotes to keep)."""
        return self.feed is not None or self.liquidity_enabled

    def load(self, command: LoadScenario, engine: Engine) -> Scenario:
        """Start a scenario at the command's time, from the current index prices where there are
        any (paths are relative moves); raises Refused for an unknown or invalid scenario."""
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
        try:
            self.feed = scenario.feed(self.instruments, command.ts, seed=command.seed or None, start_prices=current)
        except ScenarioError as error:
            raise Refused("INVALID_SCENARIO", str(error), {"scenario": scenario.name}) from None
        self.scenario, self.started_at, self.step_ns = scenario, command.ts, scenario.step_ns
        return scenario

    def set_liquidity(
        self, command: SetLiquidityProvider, engine: Engine, open_account: OpenInternalAccount
    ) -> list[Event]:
        """Switch the provider (opening its account the first time) and apply a new config; a bad
        config is refused before anything changes."""
        try:
            configs = parse_configs(command.config) if command.config else None
        except ValueError as error:
            raise Refused("INVALID_ARGUMENT", f"liquidity provider config: {error}", field="config_toml") from None
        events: list[Event] = []
        if command.enabled and self.provider is None:
            account_id, events = open_account(LIQUIDITY_PROVIDER_NAME, LIQUIDITY_PROVIDER_DEPOSIT)
            for symbol in self.instruments:
                # 1x: the highest position cap, so a crash's one-way flow never stops its bids
                events += engine.apply(SetLeverage(account_id=account_id, symbol=symbol, leverage=1, ts=command.ts))
            self.provider = LiquidityProvider(account_id, self.instruments)
        if self.provider is None:
            return events
        for symbol in self.provider.symbols:
            if configs is not None:
                self.provider.configure(symbol, configs[symbol])
            for order in self.provider.set_enabled(symbol, command.enabled, command.ts):
                events += self._issue(engine, order, command.ts)
        return events + self.step(engine, command.ts)

    def step(self, engine: Engine, at: int) -> list[Event]:
        """Prices at ``at``, then quotes; with neither, just time moving to ``at``."""
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
                for order in provider.quote(symbol, market.index_price, at, regime, mark_ticks=market.mark_price):
                    events += self._issue(engine, order, at)
        if not events:
            events = engine.apply(AdvanceTime(ts=at))
        return events

    def observe(self, events: list[Event]) -> None:
        """Every command's events: other accounts' orders fill the provider's quotes."""
        if self.provider is not None:
            self.provider.observe(events)

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
