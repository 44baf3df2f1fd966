"""Accounts: the USDT wallet and the other assets' balances (with the Multi-Assets table when that
mode is on), per-symbol margin settings, positions with their isolated margin, and the open-order
exposure that reserves margin. Money moves here and only here (fills, fees, funding,
transfers), so conservation can be reasoned about in one file.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from paperex.engine.instruments import Instrument
from paperex.engine.margin import fee, initial_margin
from paperex.engine.native import Reduced, reduced
from paperex.engine.orders import BOTH, BUY, LONG, SELL, SHORT, PositionSide, Side
from paperex.engine.positions import Position
from paperex.engine.units import Amount, Lots, Rate, Ticks, ceil_div

if TYPE_CHECKING:
    from paperex.engine.collateral import CollateralAsset
    from paperex.engine.views import AccountView

DEFAULT_LEVERAGE = 20


class MarginMode(StrEnum):
    CROSS = "CROSS"
    ISOLATED = "ISOLATED"


CROSS, ISOLATED = MarginMode.CROSS, MarginMode.ISOLATED
"""Bound to module names for the hot paths (see ``paperex.engine.orders.BUY``)."""


class PositionMode(StrEnum):
    """Binance's ``dualSidePosition``: ONE_WAY nets every fill of a symbol into one signed position;
    HEDGE keeps a LONG and a SHORT leg per symbol, each with its own entry, PnL and margin."""

    ONE_WAY = "ONE_WAY"
    HEDGE = "HEDGE"


ONE_WAY, HEDGE = PositionMode.ONE_WAY, PositionMode.HEDGE


class Exposure:
    """Open non-reduce-only orders of one account in one symbol, per side: lots and notional at their
    limit prices. Kept incrementally so the reserved order margin costs O(1) to read."""

    __slots__ = ("buy_lots", "buy_notional", "sell_lots", "sell_notional")

    def __init__(self) -> None:
        self.buy_lots: Lots = 0
        self.buy_notional: Amount = 0
        self.sell_lots: Lots = 0
        self.sell_notional: Amount = 0

    def change(self, side: Side, lots: Lots, notional: Amount) -> None:
        """Add (positive) or remove (negative) ``lots`` worth ``notional`` on ``side``."""
        if side is BUY:
            self.buy_lots += lots
            self.buy_notional += notional
        else:
            self.sell_lots += lots
            self.sell_notional += notional

    def margin(
        self, size: Lots, leverage: int, side: Side | None = None, lots: Lots = 0, notional: Amount = 0
    ) -> Amount:
        """Initial margin the orders reserve against a position of signed ``size`` (with ``lots`` worth
        ``notional`` more on ``side``, for a what-if): the larger side's part that would grow the
        position (the part that only closes it needs none), valued pro rata at the orders' prices and
        rounded up (once: ceil(ceil(x / lots) / leverage) is ceil(x / (lots x leverage)))."""
        buy_lots, buy_notional, sell_lots, sell_notional = (
            self.buy_lots,
            self.buy_notional,
            self.sell_lots,
            self.sell_notional,
        )
        if side is BUY:
            buy_lots, buy_notional = buy_lots + lots, buy_notional + notional
        elif side is SELL:
            sell_lots, sell_notional = sell_lots + lots, sell_notional + notional
        worst = 0
        growing = buy_lots + size if size < 0 else buy_lots
        if growing > 0:
            worst = ceil_div(buy_notional * growing, buy_lots * leverage)
        growing = sell_lots - size if size > 0 else sell_lots
        if growing > 0:
            sell_margin = ceil_div(sell_notional * growing, sell_lots * leverage)
            if sell_margin > worst:
                worst = sell_margin
        return worst

    def hedged_margin(self, leverage: int, side: Side | None = None, lots: Lots = 0, notional: Amount = 0) -> Amount:
        """Hedge mode's order margin (with ``lots`` worth ``notional`` more on ``side``, for a what-if):
        the exposed orders are the ones opening a leg (BUY opens LONG, SELL opens SHORT; closing orders
        are reduce-only and reserve nothing), and each leg's reserve its own margin, rounded up."""
        buy_notional, sell_notional = self.buy_notional, self.sell_notional
        if side is BUY:
            buy_notional += notional
        elif side is SELL:
            sell_notional += notional
        return ceil_div(buy_notional, leverage) + ceil_div(sell_notional, leverage)


NO_ORDERS = Exposure()
"""The exposure of a symbol without open orders, for reading only (never ``change`` it)."""


class SymbolSettings:
    __slots__ = ("leverage", "mode")

    def __init__(self, mode: MarginMode = MarginMode.CROSS, leverage: int = DEFAULT_LEVERAGE) -> None:
        self.mode = mode
        self.leverage = leverage


DEFAULT_SETTINGS = SymbolSettings()


class Account:
    """One trader's futures account: ``wallet`` is the cross wallet balance (USDT) and ``assets`` the
    balances of the other assets (none at 0); each isolated position holds its own margin in
    ``Position.isolated_wallet``. ``collateral`` is the table that values ``assets`` as margin in
    Multi-Assets mode, None in single-asset mode (the default), where they back nothing. A
    non-``liquidatable`` account (the exchange's own liquidity provider) is never margin-called,
    liquidated or auto-deleveraged.

    In one-way mode ``positions`` holds each symbol's position; in hedge mode it holds the LONG legs
    and ``short_legs`` the SHORT ones, so one-way paths read one dict exactly as before. Hedge mode
    and Multi-Assets mode are independent and may be on together (as on Binance)."""

    __slots__ = (
        "account_id",
        "assets",
        "collateral",
        "exposures",
        "isolated_call_levels",
        "leg_call_levels",
        "liquidatable",
        "margin_call_level",
        "position_mode",
        "positions",
        "settings",
        "short_legs",
        "wallet",
    )

    def __init__(self, account_id: int, liquidatable: bool = True) -> None:
        self.account_id = account_id
        self.liquidatable = liquidatable
        self.wallet: Amount = 0
        self.assets: dict[str, Amount] = {}
        self.collateral: Mapping[str, CollateralAsset] | None = None
        self.settings: dict[str, SymbolSettings] = {}
        self.positions: dict[str, Position] = {}
        self.exposures: dict[str, Exposure] = {}
        self.margin_call_level = 0
        self.isolated_call_levels: dict[str, int] = {}
        """Margin-call thresholds each isolated position's ratio has reached (``margin_call_level``
        is the cross account's); absent means none."""
        self.position_mode = ONE_WAY
        self.short_legs: dict[str, Position] = {}
        self.leg_call_levels: dict[tuple[str, PositionSide], int] = {}
        """``isolated_call_levels`` of hedge legs, per (symbol, leg)."""

    def __reduce__(self) -> Reduced:
        return reduced(self, self.account_id, self.liquidatable)

    @classmethod
    def copy_of(cls, view: "AccountView") -> "Account":
        """An independent account with ``view``'s wallet, settings, positions and order exposure, for
        what-if questions (the order preview) that must not touch the state they ask about."""
        twin = cls(view.account_id, view.liquidatable)
        twin.wallet = view.wallet
        twin.assets = dict(view.assets)
        twin.collateral = view.collateral
        twin.settings = {s: SymbolSettings(v.mode, v.leverage) for s, v in view.settings.items()}
        twin.position_mode = view.position_mode
        for source, target in ((view.positions, twin.positions), (view.short_legs, twin.short_legs)):
            for symbol, position in source.items():
                copy = target[symbol] = Position()
                copy.size, copy.entry_notional, copy.isolated_wallet = (
                    position.size,
                    position.entry_notional,
                    position.isolated_wallet,
                )
        for symbol, exposure in view.exposures.items():
            copied = twin.exposures[symbol] = Exposure()
            copied.change(Side.BUY, exposure.buy_lots, exposure.buy_notional)
            copied.change(Side.SELL, exposure.sell_lots, exposure.sell_notional)
        return twin

    def peek_setting(self, symbol: str) -> SymbolSettings:
        """The symbol's settings without creating them (queries must not change state)."""
        return self.settings.get(symbol) or DEFAULT_SETTINGS

    def setting(self, symbol: str) -> SymbolSettings:
        settings = self.settings.get(symbol)
        if settings is None:
            settings = self.settings[symbol] = SymbolSettings()
        return settings

    def position(self, symbol: str) -> Position:
        position = self.positions.get(symbol)
        if position is None:
            position = self.positions[symbol] = Position()
        return position

    def legs(self, leg: PositionSide) -> dict[str, Position]:
        """The positions of ``leg``: the SHORT legs, or the one-way positions and LONG legs."""
        return self.short_legs if leg is SHORT else self.positions

    def holds(self, symbol: str) -> bool:
        """Whether any position (either hedge leg) in ``symbol`` is open."""
        position, short = self.positions.get(symbol), self.short_legs.get(symbol)
        return bool((position and position.size) or (short and short.size))

    def closing_leg(self, symbol: str, side: Side) -> tuple[PositionSide, Position] | None:
        """The open position an order on ``side`` would close (hedge: the leg opposite to ``side``),
        with its leg; None when there is none."""
        if self.position_mode is HEDGE:
            leg = SHORT if side is BUY else LONG
            position = self.legs(leg).get(symbol)
        else:
            leg, position = BOTH, self.positions.get(symbol)
        return (leg, position) if position is not None and position.size * side < 0 else None

    def exposure(self, symbol: str) -> Exposure:
        exposure = self.exposures.get(symbol)
        if exposure is None:
            exposure = self.exposures[symbol] = Exposure()
        return exposure

    def settle_fill(
        self,
        instrument: Instrument,
        side: Side,
        lots: Lots,
        price: Ticks,
        fee_rate: Rate,
        liquidating: bool = False,
        leg: PositionSide = BOTH,
    ) -> tuple[Amount, Amount, Amount]:
        """Move the money of one fill: position, realized PnL, fee, and for an isolated position the
        margin that enters (opening part) or leaves (closing part) its isolated wallet.

        Returns ``(fee, realized_pnl, released)``: ``released`` is what moved from the isolated wallet
        to the cross wallet (negative when margin entered the position). Realized PnL is exact: exit
        notional minus the entry notional the closed lots carried, so every unit a trader gains
        another one lost. An isolated position's fee and PnL are booked in its isolated wallet; a
        normal close then releases its share of that wallet (with the PnL) to the cross wallet, a
        ``liquidating`` one releases nothing: the margin stays to back what is left of the position,
        and the insurance fund takes what a full liquidation leaves. A close past the position's
        bankruptcy price (an auto-deleverage, a thin book) releases nothing either: its deficit stays
        in the isolated wallet for the insurance fund to cover, never the cross wallet. ``leg`` is the
        hedge leg the fill trades (BOTH: the one-way position).
        """
        symbol = instrument.symbol
        positions = self.short_legs if leg is SHORT else self.positions
        position = positions.get(symbol)
        if position is None:
            position = positions[symbol] = Position()
        settings = self.settings.get(symbol) or self.setting(symbol)
        held = position.size
        per_lot = price * instrument.notional_unit
        closed = min(lots, abs(held)) if held * side < 0 else 0  # Position.closable_by in line
        released_entry = position.fill(lots * side, per_lot)
        realized = (closed * per_lot - released_entry) * (1 if held > 0 else -1) if closed else 0
        charged = fee(lots * per_lot, fee_rate)
        if settings.mode is CROSS:
            self.wallet += realized - charged
            return charged, realized, 0
        isolated = position.isolated_wallet - charged + realized
        released = 0
        if closed and not liquidating:
            if position.size * held <= 0:
                released = max(0, isolated)
            else:
                # Its share of the margin with its PnL; a loss beyond that share stays inside the position.
                released = max(0, (isolated - realized) * closed // abs(held) + realized)
        opened = lots - closed
        if opened:
            released -= initial_margin(opened * per_lot, settings.leverage)
        self.wallet += released
        position.isolated_wallet = isolated - released
        return charged, realized, released
