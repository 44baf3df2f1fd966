"""Events: what happened, in causal order, as plain values (past-tense names).

Events are slotted dataclasses for speed; treat them as immutable. ``serialize`` gives the canonical
text form used to compare runs byte for byte.
"""

import json
from dataclasses import dataclass, fields
from enum import Enum, StrEnum

from paperex.engine.accounts import MarginMode, PositionMode
from paperex.engine.collateral import USDT
from paperex.engine.orders import (
    BOTH,
    OrderStatus,
    OrderType,
    PositionSide,
    SelfTradePrevention,
    Side,
    TimeInForce,
    TriggerBy,
)
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.refusals import Figure
from paperex.engine.risk import FigureBasis
from paperex.engine.units import Amount, Lots, Rate, Ticks


@dataclass(slots=True)
class OrderAccepted:
    """A new order; ``liquidation`` marks one the exchange placed to close a liquidated position,
    ``auto_deleverage`` one it placed to close an opposing position against a bankrupt one (ADL)."""

    order_id: int
    account_id: int
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Lots
    price: Ticks
    time_in_force: TimeInForce
    stop_price: Ticks
    trigger_by: TriggerBy
    reduce_only: bool
    close_position: bool
    client_order_id: str
    stp: SelfTradePrevention
    callback_bps: int
    activation_price: Ticks
    expire_at: int
    liquidation: bool = False
    auto_deleverage: bool = False
    position_side: PositionSide = BOTH


@dataclass(slots=True)
class OrderRejected:
    """A refused command (``command`` names it: PlaceOrder, AmendOrder, CancelOrder...), with the
    figures that explain the refusal (``paperex.engine.refusals``): the tick or band missed, the
    margin required against the margin available, and so on."""

    command: str
    account_id: int
    symbol: str
    reason: RejectReason
    order_id: int = 0
    client_order_id: str = ""
    figures: tuple[Figure, ...] = ()


@dataclass(slots=True)
class DuplicatePlaceIgnored:
    """A PlaceOrder retried with a known client_order_id and identical content: nothing new happened."""

    account_id: int
    symbol: str
    order_id: int
    client_order_id: str
    status: OrderStatus


@dataclass(slots=True)
class OrderTriggered:
    order_id: int
    account_id: int
    symbol: str
    trigger_price: Ticks
    quantity: Lots


@dataclass(slots=True)
class TrailingStopMoved:
    """An armed trailing stop's trigger price moved with the price it follows (``stop_price``: the
    price at which it now fires, at the tick; a sell's rises, a buy's falls)."""

    order_id: int
    account_id: int
    symbol: str
    stop_price: Ticks


@dataclass(slots=True)
class OrderAmended:
    order_id: int
    account_id: int
    symbol: str
    quantity: Lots
    price: Ticks
    priority_kept: bool


@dataclass(slots=True)
class TradeExecuted:
    trade_id: int
    symbol: str
    price: Ticks
    quantity: Lots
    aggressor: Side
    maker_order_id: int
    taker_order_id: int
    maker_account_id: int
    taker_account_id: int


@dataclass(slots=True)
class OrderFilled:
    """One side of one trade, as its owner sees it. ``auto_deleverage`` marks the two fills of an
    auto-deleverage close (the liquidation order's and the one placed for the deleveraged position):
    no fee, and no public trade (no ``TradeExecuted``)."""

    order_id: int
    account_id: int
    symbol: str
    side: Side
    trade_id: int
    price: Ticks
    quantity: Lots
    filled: Lots
    remaining: Lots
    is_maker: bool
    status: OrderStatus
    fee: Amount
    realized_pnl: Amount
    auto_deleverage: bool = False


@dataclass(slots=True)
class OrderCanceled:
    order_id: int
    account_id: int
    symbol: str
    remaining: Lots
    reason: EndReason


@dataclass(slots=True)
class OrderExpired:
    order_id: int
    account_id: int
    symbol: str
    remaining: Lots
    reason: EndReason


@dataclass(slots=True)
class PositionChanged:
    """A position as the command left it: signed size and the exact notional paid for it (entry =
    notional/size), for an isolated position the margin it holds, the symbol's settings and mark, and the
    valuation every other figure a reader shows is worked out from (``basis``: pass it to
    ``paperex.engine.risk.figures``, which gives what ``Engine.summary`` gave then). ``basis`` is None for
    a flat position, and for the exchange's own accounts (not liquidatable), whose events no reader sees."""

    account_id: int
    symbol: str
    size: Lots
    entry_notional: Amount
    isolated_wallet: Amount
    mode: MarginMode
    leverage: int
    mark_price: Ticks
    basis: FigureBasis | None
    position_side: PositionSide = BOTH
    """The hedge leg (BOTH: the one-way position)."""


@dataclass(slots=True)
class AccountCreated:
    """A new account; ``liquidatable`` False marks an exchange-internal one (never liquidated)."""

    account_id: int
    liquidatable: bool = True


class BalanceReason(StrEnum):
    """Why a wallet moved. A fill moves money in up to three steps, each its own event: its realized
    PnL, its fee, and for an isolated position the margin that enters or leaves it."""

    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    REALIZED_PNL = "REALIZED_PNL"
    FEE = "FEE"
    FUNDING = "FUNDING"
    ISOLATED_MARGIN_TRANSFER = "ISOLATED_MARGIN_TRANSFER"
    """Between the cross wallet and an isolated position: the user's transfer, or a fill's opening
    margin (in) and a normal close's released margin with its PnL (out)."""
    LIQUIDATION_FEE = "LIQUIDATION_FEE"
    """The clearance fee of a liquidation fill, paid to the insurance fund."""
    INSURANCE_CLEAR = "INSURANCE_CLEAR"
    """After a full liquidation, the margin left taken by the insurance fund (the wallet ends at 0)."""
    INSURANCE_FUND_COVER = "INSURANCE_FUND_COVER"
    """After a full liquidation, or a close past an isolated position's bankruptcy price, the deficit
    the insurance fund covered (the wallet ends at 0)."""
    ADL = "ADL"
    """PnL realized by an auto-deleverage close."""
    AUTO_EXCHANGE = "AUTO_EXCHANGE"
    """Multi-Assets mode: the venue exchanged other assets (delta < 0) into USDT (delta > 0) to pay a
    USDT debt past its threshold, or a liquidated account's deficit."""


@dataclass(slots=True)
class BalanceChanged:
    """A wallet moved: ``delta`` is the cross wallet's change and ``wallet`` its balance after;
    ``isolated_delta`` and ``isolated_wallet`` the same for ``symbol``'s isolated position (0 for a
    cross move). ``trade_id`` names the fill that caused it, if one did. ``asset`` names the balance:
    USDT's is the cross wallet; another asset's ``delta`` and ``wallet`` are that asset's. Every change
    of a wallet is one of these, so an account's balances can be kept from its events alone."""

    account_id: int
    reason: BalanceReason
    delta: Amount
    wallet: Amount
    symbol: str = ""
    isolated_delta: Amount = 0
    isolated_wallet: Amount = 0
    trade_id: int = 0
    position_side: PositionSide = BOTH
    """The hedge leg the change concerns: the one whose isolated wallet moved, or whose fill, funding or
    clearance fee moved the cross wallet (BOTH: a one-way position, or the account as a whole)."""
    asset: str = USDT


@dataclass(slots=True)
class AssetModeChanged:
    """The account switched to Multi-Assets mode (``multi_assets``) or back to single-asset mode."""

    account_id: int
    multi_assets: bool


@dataclass(slots=True)
class MarginCallIssued:
    """A margin ratio (maintenance margin / margin balance) reached a new warning threshold (basis
    points: 8,000 = 80%): the cross account's (``symbol`` empty) or one isolated position's."""

    account_id: int
    symbol: str
    mode: MarginMode
    threshold_bps: int
    margin_balance: Amount
    maintenance_margin: Amount
    position_side: PositionSide = BOTH
    """The isolated hedge leg called (BOTH: a one-way position, or the cross account)."""


@dataclass(slots=True)
class LiquidationTriggered:
    """Margin balance fell to the maintenance margin: ``symbol`` is empty for the whole cross account."""

    account_id: int
    symbol: str
    mode: MarginMode
    margin_balance: Amount
    maintenance_margin: Amount
    position_side: PositionSide = BOTH
    """The isolated hedge leg liquidated (BOTH: a one-way position, or the cross account)."""


@dataclass(slots=True)
class PositionLiquidated:
    """A liquidation step ended: ``quantity`` lots were taken off (all of them unless ``partial``),
    ``deleveraged`` of those by ADL because the book could not take them; ``bankruptcy_price`` is
    where the position's margin ran out (shown at the tick, toward the entry)."""

    account_id: int
    symbol: str
    mode: MarginMode
    order_id: int
    quantity: Lots
    deleveraged: Lots
    partial: bool
    bankruptcy_price: Ticks
    realized_pnl: Amount
    """Net of trading and clearance fees, over the liquidation order's fills (the auto-deleveraged
    ones included)."""
    insurance_fund_change: Amount
    """Clearance fees paid to the fund and, for the last position of a full liquidation, the margin
    left to it (> 0) or the deficit it covered (< 0)."""
    position_side: PositionSide = BOTH


@dataclass(slots=True)
class PositionDeleveraged:
    """Auto-deleverage took ``quantity`` lots of this account's position, first in its side's ranking (the
    most profitable and leveraged first, a losing one only when none is left; by its order
    ``order_id``, filled at ``price`` on ``side``, without fee) to close a bankrupt position of
    ``counterparty_id``, realizing ``realized_pnl``. Only the deleveraged side gets it: the bankrupt
    side sees fills of its liquidation order."""

    account_id: int
    symbol: str
    order_id: int
    side: Side
    quantity: Lots
    price: Ticks
    counterparty_id: int
    realized_pnl: Amount
    position_side: PositionSide = BOTH


class FundReason(StrEnum):
    """Why an insurance fund moved."""

    LIQUIDATION = "LIQUIDATION"
    """A fully liquidated position's remaining margin (delta > 0) or the deficit covered (< 0), also
    an isolated position's deficit after a close past its bankruptcy price."""
    CLEARANCE_FEE = "CLEARANCE_FEE"
    FUNDING_REMAINDER = "FUNDING_REMAINDER"
    """Payers round up, receivers down: the sub-unit remainder of a funding settlement."""
    TOP_UP = "TOP_UP"
    """The operator's contribution (``FundInsurance``)."""


@dataclass(slots=True)
class InsuranceFundChanged:
    """``symbol``'s insurance fund moved by ``delta`` to ``balance``; ``account_id`` is the liquidated
    account it took from or covered (0 for funding and top-ups)."""

    symbol: str
    reason: FundReason
    delta: Amount
    balance: Amount
    account_id: int = 0


@dataclass(slots=True)
class SettingsChanged:
    account_id: int
    symbol: str
    mode: MarginMode
    leverage: int


@dataclass(slots=True)
class PositionModeChanged:
    """The account now trades in ``mode`` (one-way or hedge)."""

    account_id: int
    mode: PositionMode


@dataclass(slots=True)
class MarkPriceChanged:
    symbol: str
    price: Ticks


@dataclass(slots=True)
class IndexPriceChanged:
    symbol: str
    price: Ticks


@dataclass(slots=True)
class FundingRateSettled:
    """The rate of the interval that just ended (1e-8 units; positive: longs pay shorts)."""

    symbol: str
    rate: Rate
    next_funding_time: int


@dataclass(slots=True)
class FundingSettled:
    """One position (signed ``size``) funded at ``mark``: ``payment`` is what the account received
    (< 0: it paid), as Binance's FUNDING_FEE income is signed."""

    account_id: int
    symbol: str
    rate: Rate
    mark: Ticks
    size: Lots
    payment: Amount
    position_side: PositionSide = BOTH


@dataclass(slots=True)
class BookLevelChanged:
    """A price level's total after a command; quantity 0 means the level is gone."""

    symbol: str
    side: Side
    price: Ticks
    quantity: Lots
    orders: int


Event = (
    OrderAccepted
    | OrderRejected
    | DuplicatePlaceIgnored
    | OrderTriggered
    | TrailingStopMoved
    | OrderAmended
    | TradeExecuted
    | OrderFilled
    | OrderCanceled
    | OrderExpired
    | PositionChanged
    | MarkPriceChanged
    | IndexPriceChanged
    | FundingRateSettled
    | FundingSettled
    | BookLevelChanged
    | AccountCreated
    | BalanceChanged
    | SettingsChanged
    | PositionModeChanged
    | AssetModeChanged
    | MarginCallIssued
    | LiquidationTriggered
    | PositionLiquidated
    | PositionDeleveraged
    | InsuranceFundChanged
)


def _plain(value: object) -> object:
    return value.name if isinstance(value, Enum) else value


def serialize(event: Event) -> str:
    """Canonical one-line JSON: the event's type, then its fields in declaration order.

    >>> serialize(MarkPriceChanged("BTCUSDT", 649000))
    '["MarkPriceChanged",{"symbol":"BTCUSDT","price":649000}]'
    """
    body = {f.name: _plain(getattr(event, f.name)) for f in fields(event)}
    return json.dumps([type(event).__name__, body], separators=(",", ":"))
