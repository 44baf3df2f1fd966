"""What the margin figures read of an account and a market: the shapes the pure functions of ``risk`` and
``liquidation`` take, so that the engine's live ``Account`` and ``Market`` and a read model folded from
events elsewhere are valued by the same code (no second copy of any formula).

Read-only protocols: the engine's classes provide them as they are, at no cost on its hot paths.
"""

from collections.abc import Iterator, Mapping
from typing import Protocol

from paperex.engine.accounts import HEDGE, Exposure, PositionMode, SymbolSettings
from paperex.engine.collateral import CollateralAsset
from paperex.engine.instruments import Instrument
from paperex.engine.orders import BOTH, LONG, SHORT, PositionSide
from paperex.engine.units import Amount, Lots, Ticks


class PositionView(Protocol):
    @property
    def size(self) -> Lots: ...

    @property
    def entry_notional(self) -> Amount: ...

    @property
    def isolated_wallet(self) -> Amount: ...


class AccountView(Protocol):
    """An account's cross (USDT) wallet, its other assets and its Multi-Assets table, its settings and
    positions per symbol (per leg in hedge mode), and its open orders' exposure per symbol (the inputs
    of the order margin)."""

    @property
    def account_id(self) -> int: ...

    @property
    def liquidatable(self) -> bool: ...

    @property
    def wallet(self) -> Amount: ...

    @property
    def assets(self) -> Mapping[str, Amount]:
        """The balances of other assets than USDT (none at 0)."""

    @property
    def collateral(self) -> Mapping[str, CollateralAsset] | None:
        """In Multi-Assets mode, the table ``assets`` are valued by as margin; None in single-asset mode."""

    @property
    def settings(self) -> Mapping[str, SymbolSettings]: ...

    @property
    def positions(self) -> Mapping[str, PositionView]: ...

    @property
    def position_mode(self) -> PositionMode: ...

    @property
    def short_legs(self) -> Mapping[str, PositionView]:
        """Hedge mode's SHORT legs (``positions`` then holds the LONG ones); empty in one-way mode."""
        ...

    @property
    def exposures(self) -> Mapping[str, Exposure]: ...

    def peek_setting(self, symbol: str) -> SymbolSettings: ...


def legs_of(account: AccountView) -> Iterator[tuple[str, PositionSide, PositionView]]:
    """Every position of ``account`` with its leg (BOTH in one-way mode), LONG legs before SHORT ones."""
    first = LONG if account.position_mode is HEDGE else BOTH
    for symbol, position in account.positions.items():
        yield symbol, first, position
    for symbol, position in account.short_legs.items():
        yield symbol, SHORT, position


class MarketView(Protocol):
    """A symbol's instrument and the prices positions are valued at."""

    @property
    def symbol(self) -> str: ...

    @property
    def instrument(self) -> Instrument: ...

    @property
    def notional_unit(self) -> Amount: ...

    @property
    def index_price(self) -> Ticks: ...

    @property
    def mark_price(self) -> Ticks: ...

    @property
    def last_price(self) -> Ticks: ...


def band_reference(market: MarketView) -> Ticks:
    """The price that anchors the protective price band: mark, else last (0: no price yet)."""
    return market.mark_price or market.last_price
