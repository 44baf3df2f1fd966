"""Events: what happened, in causal order, as plain values (past-tense names).

Events are slotted dataclasses for speed; treat them as immutable. ``serialize`` gives the canonical
text form used to compare runs byte for byte.
"""

import json
from dataclasses import dataclass, fields
from enum import Enum

from engine.accounts import MarginMode
from engine.orders import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce, TriggerBy
from engine.reasons import EndReason, RejectReason
from engine.units import Amount, Lots, Rate, Ticks


@dataclass(slots=True)
class OrderAccepted:
    """A new order; ``liquidation`` marks one the exchange placed to close a liquidated position."""

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


@dataclass(slots=True)
class OrderRejected:
    """A refused command (``command`` names it: PlaceOrder, AmendOrder, CancelOrder...). A margin
    refusal names the shortfall: ``required`` against ``available`` (money, or notional against the
    leverage's cap for POSITION_LIMIT_EXCEEDED)."""

    command: str
    account_id: int
    symbol: str
    reason: RejectReason
    order_id: int = 0
    client_order_id: str = ""
    required: Amount = 0
    available: Amount = 0


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
    """One side of one trade, as its owner sees it."""

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
    """A position after a fill: signed size and the exact notional paid for it (entry = notional/size),
    and, for an isolated position, the margin it holds."""

    account_id: int
    symbol: str
    size: Lots
    entry_notional: Amount
    isolated_wallet: Amount


@dataclass(slots=True)
class AccountCreated:
    """A new account; ``liquidatable`` False marks an exchange-internal one (never liquidated)."""

    account_id: int
    liquidatable: bool = True


@dataclass(slots=True)
class BalanceChanged:
    """The cross wallet moved for a reason other than a fill (deposit, withdrawal, margin transfer,
    funding); ``delta`` is the change and ``wallet`` the balance after it."""

    account_id: int
    reason: str
    delta: Amount
    wallet: Amount
    symbol: str = ""


@dataclass(slots=True)
class MarginCallIssued:
    """The cross margin ratio reached a new threshold (basis points: 8,000 = 80%)."""

    account_id: int
    margin_ratio_bps: int
    threshold_bps: int


@dataclass(slots=True)
class LiquidationTriggered:
    """Margin balance fell to the maintenance margin: ``symbol`` is empty for the whole cross account."""

    account_id: int
    symbol: str
    mode: MarginMode
    margin_balance: Amount
    maintenance_margin: Amount


@dataclass(slots=True)
class PositionLiquidated:
    """A liquidation step ended: ``quantity`` lots were taken off (all of them unless ``partial``),
    ``deleveraged`` of those by ADL because the book could not take them; ``bankruptcy_price`` is
    where the position's margin ran out (shown at the tick, toward the entry)."""

    account_id: int
    symbol: str
    order_id: int
    quantity: Lots
    deleveraged: Lots
    partial: bool
    bankruptcy_price: Ticks
    realized_pnl: Amount
    """Net of fees, over the liquidation order's fills and the auto-deleveraged part."""


@dataclass(slots=True)
class PositionDeleveraged:
    """Auto-deleverage: ``quantity`` lots of this account's position closed at ``price`` by a trade on
    ``side`` against ``counterparty_id`` (the bankrupt account, or for the bankrupt one the account it
    closed against), without fee, realizing ``realized_pnl``."""

    account_id: int
    symbol: str
    side: Side
    quantity: Lots
    price: Ticks
    counterparty_id: int
    realized_pnl: Amount


@dataclass(slots=True)
class InsuranceFundChanged:
    """The fund took a liquidated account's remaining margin (delta > 0) or covered its deficit."""

    account_id: int
    symbol: str
    delta: Amount
    balance: Amount


@dataclass(slots=True)
class SettingsChanged:
    account_id: int
    symbol: str
    mode: MarginMode
    leverage: int


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
    """One position's funding: ``payment`` > 0 was paid, < 0 received, at ``mark``."""

    account_id: int
    symbol: str
    rate: Rate
    mark: Ticks
    payment: Amount


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
