"""Each account's margin state as queries value it, folded from events: positions and settings per
symbol and leg (``PositionChanged``, ``SettingsChanged``, and each isolated wallet as ``BalanceChanged``
moves it), the position mode (``PositionModeChanged``), who holds each symbol, and which accounts are
the exchange's own (``AccountCreated``). The cross wallet is the ``Wallets`` read model's, the open
orders' exposure is summed from ``History``'s open orders and the prices are the ``PriceBoard``'s.

Every figure shown is worked out by the engine's own functions (``paperex.engine.risk``,
``paperex.engine.liquidation``) over these values, which provide the shapes those functions read
(``paperex.engine.views``): the same code values the engine's live accounts and these.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from paperex.engine.accounts import DEFAULT_SETTINGS, ONE_WAY, Exposure, MarginMode, PositionMode, SymbolSettings
from paperex.engine.collateral import AssetFigures, CollateralAsset, asset_figures
from paperex.engine.events import (
    AccountCreated,
    AssetModeChanged,
    BalanceChanged,
    PositionChanged,
    PositionModeChanged,
    SettingsChanged,
)
from paperex.engine.instruments import Instrument
from paperex.engine.liquidation import adl_quantiles
from paperex.engine.orders import SHORT, PositionSide, TriggerBy
from paperex.engine.risk import AccountSummary, available_balance, summarize
from paperex.engine.units import Amount, Lots, Ticks
from paperex.server.state.history import History
from paperex.server.state.prices import PriceBoard
from paperex.server.state.wallets import Wallets


class HeldPosition(NamedTuple):
    """A position as its latest event left it (``paperex.engine.views.PositionView``)."""

    size: Lots
    entry_notional: Amount
    isolated_wallet: Amount


FLAT = HeldPosition(0, 0, 0)
NO_EXPOSURES: Mapping[str, Exposure] = {}
NO_POSITIONS: Mapping[str, HeldPosition] = {}


@dataclass(frozen=True, slots=True)
class AccountState:
    """One account's margin inputs at one moment (``paperex.engine.views.AccountView``)."""

    account_id: int
    liquidatable: bool
    wallet: Amount
    assets: Mapping[str, Amount]
    collateral: Mapping[str, CollateralAsset] | None
    settings: Mapping[str, SymbolSettings]
    positions: Mapping[str, HeldPosition]
    exposures: Mapping[str, Exposure]
    position_mode: PositionMode
    short_legs: Mapping[str, HeldPosition]

    def peek_setting(self, symbol: str) -> SymbolSettings:
        return self.settings.get(symbol) or DEFAULT_SETTINGS


class MarketPrices(NamedTuple):
    """A symbol's instrument and prices (``paperex.engine.views.MarketView``)."""

    symbol: str
    instrument: Instrument
    notional_unit: Amount
    index_price: Ticks
    mark_price: Ticks
    last_price: Ticks


class MarginAccounts:
    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        wallets: Wallets,
        history: History,
        prices: PriceBoard,
        collateral: Mapping[str, CollateralAsset],
    ) -> None:
        self._instruments = instruments
        self._collateral = collateral
        self._multi_assets: set[int] = set()
        """The accounts in Multi-Assets mode (``AssetModeChanged``)."""
        self._wallets = wallets
        self._history = history
        self._prices = prices
        self._internal: set[int] = set()
        """The exchange's own accounts (never liquidated, outside the ADL queues)."""
        self._positions: dict[int, dict[str, HeldPosition]] = {}
        """One-way positions and hedge mode's LONG legs (as ``paperex.engine.accounts.Account``)."""
        self._short_legs: dict[int, dict[str, HeldPosition]] = {}
        self._modes: dict[int, PositionMode] = {}
        """Accounts in hedge mode (absent: one-way)."""
        self._settings: dict[int, dict[str, SymbolSettings]] = {}
        self._holders: dict[str, dict[int, None]] = {symbol: {} for symbol in instruments}
        """The accounts with an open position in each symbol."""

    def _legs(self, account_id: int, leg: PositionSide) -> dict[str, HeldPosition]:
        return (self._short_legs if leg is SHORT else self._positions).setdefault(account_id, {})

    def _position(self, e: PositionChanged, sequence: int, ts: int) -> None:
        self._legs(e.account_id, e.position_side)[e.symbol] = HeldPosition(e.size, e.entry_notional, e.isolated_wallet)
        self._setting(e.account_id, e.symbol, e.mode, e.leverage)
        holders = self._holders[e.symbol]
        if e.size or self._short_legs.get(e.account_id, {}).get(e.symbol, FLAT).size:
            holders[e.account_id] = None
        elif not self._positions.get(e.account_id, {}).get(e.symbol, FLAT).size:
            holders.pop(e.account_id, None)

    def _isolated(self, e: BalanceChanged, sequence: int, ts: int) -> None:
        if not e.symbol:
            return
        positions = self._legs(e.account_id, e.position_side)
        positions[e.symbol] = positions.get(e.symbol, FLAT)._replace(isolated_wallet=e.isolated_wallet)

    def _mode_changed(self, e: PositionModeChanged, sequence: int, ts: int) -> None:
        if e.mode is ONE_WAY:
            self._modes.pop(e.account_id, None)
            self._short_legs.pop(e.account_id, None)
        else:
            self._modes[e.account_id] = e.mode

    def _settings_changed(self, e: SettingsChanged, sequence: int, ts: int) -> None:
        self._setting(e.account_id, e.symbol, e.mode, e.leverage)

    def _setting(self, account_id: int, symbol: str, mode: MarginMode, leverage: int) -> None:
        settings = self._settings.setdefault(account_id, {})
        known = settings.get(symbol)
        if known is None or (known.mode, known.leverage) != (mode, leverage):
            settings[symbol] = SymbolSettings(mode, leverage)

    def _asset_mode(self, e: AssetModeChanged, sequence: int, ts: int) -> None:
        if e.multi_assets:
            self._multi_assets.add(e.account_id)
        else:
            self._multi_assets.discard(e.account_id)

    def multi_assets(self, account_id: int) -> bool:
        return account_id in self._multi_assets

    def _created(self, e: AccountCreated, sequence: int, ts: int) -> None:
        if not e.liquidatable:
            self._internal.add(e.account_id)

    # ------------------------------------------------------------------ queries

    def account(self, account_id: int) -> AccountState:
        return self._account(account_id, dict(self._exposures(account_id)))

    def _account(self, account_id: int, exposures: Mapping[str, Exposure]) -> AccountState:
        return AccountState(
            account_id,
            account_id not in self._internal,
            self._wallets.balances(account_id)[1],
            self._wallets.assets(account_id),
            self._collateral if account_id in self._multi_assets else None,
            self._settings.get(account_id, {}),
            self._positions.get(account_id, {}),
            exposures,
            self._modes.get(account_id, ONE_WAY),
            self._short_legs.get(account_id, NO_POSITIONS),
        )

    def _exposures(self, account_id: int) -> Iterator[tuple[str, Exposure]]:
        """The account's resting orders that reserve margin (active, not reduce-only), per symbol: what
        is left of each, at its price."""
        for symbol, spec in self._instruments.items():
            resting = [
                record
                for record in self._history.open_orders(account_id, symbol)
                if record.triggered and not record.reduce_only
            ]
            if resting:
                exposure = Exposure()
                for record in resting:
                    lots = record.quantity - record.filled
                    exposure.change(record.side, lots, lots * record.price * spec.notional_unit)
                yield symbol, exposure

    def position_mode(self, account_id: int) -> PositionMode:
        return self._modes.get(account_id, ONE_WAY)

    def settings(self, account_id: int, symbol: str) -> SymbolSettings:
        return self._settings.get(account_id, {}).get(symbol) or DEFAULT_SETTINGS

    def market(self, symbol: str) -> MarketPrices:
        spec, prices = self._instruments[symbol], self._prices
        mark, last = prices.price(symbol, TriggerBy.MARK), prices.price(symbol, TriggerBy.LAST)
        return MarketPrices(symbol, spec, spec.notional_unit, prices.index.get(symbol, 0), mark, last)

    def markets(self) -> dict[str, MarketPrices]:
        return {symbol: self.market(symbol) for symbol in self._instruments}

    def summary(self, account_id: int) -> AccountSummary:
        """Every margin figure of the account at the current marks (``paperex.engine.risk.summarize``)."""
        return summarize(self.account(account_id), self.markets())

    def asset_figures(self, account_id: int) -> tuple[AssetFigures, ...]:
        """The account's balances besides USDT, valued at the current index prices, with what may be withdrawn."""
        markets = self.markets()
        free = available_balance(self.account(account_id), markets) if account_id in self._multi_assets else None
        return asset_figures(self._wallets.assets(account_id), self._collateral, markets, free)

    def adl_quantiles(self, symbol: str) -> dict[tuple[int, PositionSide], int]:
        """``(account_id, leg) -> 1..5`` in the ADL queue of its side (``paperex.engine.liquidation.adl_quantiles``);
        the ranking reads no order margin, so the holders' open orders are not summed for it."""
        holders = (self._account(account_id, NO_EXPOSURES) for account_id in self._holders[symbol])
        return adl_quantiles(self.market(symbol), holders)

    def holdings(self) -> tuple[Amount, Amount, Amount]:
        """Every account's cross wallet, isolated margin and open positions at their entry notional (a
        short's counts +, a long's -), each summed: the ledger's terms (``paperex.engine.audit.Ledger``)."""
        isolated = positions = 0
        for held in (*self._positions.values(), *self._short_legs.values()):
            for position in held.values():
                isolated += position.isolated_wallet
                positions += -position.entry_notional if position.size > 0 else position.entry_notional
        return self._wallets.cross_total(), isolated, positions

    def open_interest(self, symbol: str) -> Lots:
        """Total long lots (equal to total short lots)."""
        return sum(
            max(0, self._positions.get(account_id, {}).get(symbol, FLAT).size) for account_id in self._holders[symbol]
        )


FOLDERS: dict[type, Callable[[MarginAccounts, Any, int, int], None]] = {
    PositionChanged: MarginAccounts._position,
    BalanceChanged: MarginAccounts._isolated,
    SettingsChanged: MarginAccounts._settings_changed,
    AccountCreated: MarginAccounts._created,
    PositionModeChanged: MarginAccounts._mode_changed,
    AssetModeChanged: MarginAccounts._asset_mode,
}
"""Event type -> the method folding it (event, command sequence, time); the results stage calls it."""
