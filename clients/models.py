"""What the exchange answers, as frozen dataclasses: ``Decimal`` for every price, quantity and amount,
Python enums, ``datetime`` in UTC.

Field names are the proto's, so the documentation of ``proto/paperex/v1`` applies as written. An
empty decimal string, an unset timestamp or an UNSPECIFIED enum becomes ``None``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from paperex.client.enums import (
    AlertDirection,
    BalanceChangeReason,
    CandleInterval,
    ClockMode,
    EndReason,
    IncomeType,
    LiquidationFeeModel,
    MarginMode,
    OrderStatus,
    OrderType,
    PositionSide,
    SelfTradePrevention,
    Side,
    TimeInForce,
    TriggerBy,
)

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Order:
    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce | None
    status: OrderStatus
    price: Decimal | None
    quantity: Decimal | None
    filled_quantity: Decimal | None
    average_price: Decimal | None
    stop_price: Decimal | None
    trigger_by: TriggerBy | None
    triggered: bool
    reduce_only: bool
    close_position: bool
    self_trade_prevention: SelfTradePrevention | None
    callback_bps: int
    activation_price: Decimal | None
    expire_time: datetime | None
    end_reason: EndReason | None
    is_liquidation: bool
    create_time: datetime | None
    update_time: datetime | None
    is_auto_deleverage: bool
    position_side: PositionSide | None = None
    """LONG or SHORT in hedge mode; None (BOTH) in one-way mode."""

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def remaining_quantity(self) -> Decimal:
        """What is still to fill (zero once the order is finished)."""
        if not self.is_open or self.quantity is None:
            return ZERO
        return self.quantity - (self.filled_quantity or ZERO)


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: int
    symbol: str
    price: Decimal
    quantity: Decimal
    aggressor_side: Side
    time: datetime | None


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: int
    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    is_maker: bool
    fee: Decimal | None
    fee_asset: str
    realized_pnl: Decimal | None
    is_liquidation: bool
    time: datetime | None
    is_auto_deleverage: bool


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    margin_mode: MarginMode | None
    leverage: int
    size: Decimal
    entry_price: Decimal | None
    mark_price: Decimal | None
    notional: Decimal | None
    unrealized_pnl: Decimal | None
    initial_margin: Decimal | None
    maintenance_margin: Decimal | None
    liquidation_price: Decimal | None
    bankruptcy_price: Decimal | None
    isolated_wallet: Decimal | None
    margin_ratio: Decimal | None
    adl_quantile: int
    max_removable_margin: Decimal | None
    update_time: datetime | None
    position_side: PositionSide | None = None
    """The hedge leg, LONG or SHORT; None for a one-way position."""

    @property
    def side(self) -> Side | None:
        """BUY for a long, SELL for a short, None when flat."""
        if self.size > 0:
            return Side.BUY
        return Side.SELL if self.size < 0 else None


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    quantity: Decimal
    order_count: int


@dataclass(frozen=True, slots=True)
class OrderBook:
    symbol: str
    sequence: int
    bids: list[BookLevel]
    asks: list[BookLevel]
    time: datetime | None


@dataclass(frozen=True, slots=True)
class OrderBookUpdate:
    """Level changes covering updates ``first_sequence`` to ``sequence`` (several when the server merged
    a backlog for a reader that fell behind), each level with its final quantity."""

    symbol: str
    sequence: int
    bids: list[BookLevel]
    asks: list[BookLevel]
    time: datetime | None
    first_sequence: int

    @property
    def follows(self) -> int:
        """The sequence this update must come right after."""
        return (self.first_sequence or self.sequence) - 1


@dataclass(frozen=True, slots=True)
class LeverageBracket:
    notional_floor: Decimal
    notional_cap: Decimal
    max_leverage: int
    maintenance_margin_rate: Decimal
    maintenance_amount: Decimal


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    base_asset: str
    quote_asset: str
    tick_size: Decimal
    lot_size: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    max_market_quantity: Decimal
    min_price: Decimal
    max_price: Decimal
    min_notional: Decimal
    price_band: Decimal
    maker_fee_rate: Decimal
    taker_fee_rate: Decimal
    max_leverage: int
    brackets: list[LeverageBracket]
    funding_interval: timedelta | None
    funding_rate_cap: Decimal
    funding_rate_floor: Decimal
    interest_rate: Decimal
    liquidation_fee: LiquidationFeeModel | None
    liquidation_fee_rate: Decimal


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    last_price: Decimal | None
    best_bid_price: Decimal | None
    best_bid_quantity: Decimal | None
    best_ask_price: Decimal | None
    best_ask_quantity: Decimal | None
    mark_price: Decimal | None
    index_price: Decimal | None
    funding_rate: Decimal | None
    next_funding_time: datetime | None
    open_price_24h: Decimal | None
    high_price_24h: Decimal | None
    low_price_24h: Decimal | None
    volume_24h: Decimal | None
    quote_volume_24h: Decimal | None
    open_interest: Decimal | None
    time: datetime | None


@dataclass(frozen=True, slots=True)
class Candle:
    symbol: str
    interval: CandleInterval
    open_time: datetime | None
    close_time: datetime | None
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trade_count: int
    closed: bool


@dataclass(frozen=True, slots=True)
class FundingRate:
    """One settled funding time: ``rate`` as a fraction (positive: longs paid shorts) at ``mark_price``."""

    symbol: str
    rate: Decimal
    mark_price: Decimal
    time: datetime | None


@dataclass(frozen=True, slots=True)
class SymbolSettings:
    symbol: str
    margin_mode: MarginMode | None
    leverage: int
    max_notional: Decimal | None


@dataclass(frozen=True, slots=True, order=True)
class EventCursor:
    """Where an event sits in the exchange's total order; cursors compare as (sequence, index)."""

    sequence: int
    index: int


@dataclass(frozen=True, slots=True)
class AssetBalance:
    """``index_price`` is USDT per unit; ``margin_value`` = balance x index price x ``collateral_rate``."""

    asset: str
    wallet_balance: Decimal
    index_price: Decimal
    collateral_rate: Decimal
    margin_value: Decimal
    max_withdraw_amount: Decimal
    """All of ``wallet_balance`` in single-asset mode; in Multi-Assets mode what the available balance covers."""


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account_id: int
    name: str
    asset: str
    wallet_balance: Decimal
    cross_wallet_balance: Decimal
    unrealized_pnl: Decimal
    cross_unrealized_pnl: Decimal
    margin_balance: Decimal
    cross_margin_balance: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal
    initial_margin: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    maintenance_margin: Decimal
    cross_maintenance_margin: Decimal
    margin_ratio: Decimal | None
    total_notional: Decimal
    effective_leverage: Decimal
    positions: list[Position]
    symbol_settings: list[SymbolSettings]
    cursor: EventCursor | None
    time: datetime | None
    multi_assets_mode: bool
    assets: list[AssetBalance]
    """Balances of other assets than USDT, valued at their index price."""
    collateral_value: Decimal
    """In Multi-Assets mode, the margin ``assets`` give together (in ``cross_margin_balance``)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refusal reported in-band (OrderSession results, user events); ``reason`` is the unprefixed code."""

    reason: str
    message: str
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class OrderPreview:
    margin_mode: MarginMode | None
    leverage: int
    accepted: bool
    rejection: Rejection | None
    estimated_price: Decimal | None
    order_cost: Decimal | None
    initial_margin: Decimal | None
    open_loss: Decimal | None
    fee: Decimal | None
    available_balance_before: Decimal | None
    available_balance_after: Decimal | None
    position_after: Position | None
    margin_ratio_after: Decimal | None
    effective_leverage_after: Decimal | None


@dataclass(frozen=True, slots=True)
class PreviewOrderResponse:
    current_mode: OrderPreview
    other_mode: OrderPreview


@dataclass(frozen=True, slots=True)
class PlaceOrderResponse:
    order: Order
    fills: list[Fill]
    duplicate: bool


@dataclass(frozen=True, slots=True)
class AmendOrderResponse:
    order: Order
    fills: list[Fill]
    priority_kept: bool


@dataclass(frozen=True, slots=True)
class AdjustIsolatedMarginResponse:
    position: Position
    cross_wallet_balance: Decimal


@dataclass(frozen=True, slots=True)
class PriceAlert:
    alert_id: int
    symbol: str
    price_source: TriggerBy | None
    direction: AlertDirection
    price: Decimal
    repeating: bool
    fired: int
    create_time: datetime | None
    note: str


# User events: the payloads of UserEvent.event, one per proto message.


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    order: Order


@dataclass(frozen=True, slots=True)
class OrderRejected:
    command: str
    symbol: str
    order_id: int
    client_order_id: str
    rejection: Rejection


@dataclass(frozen=True, slots=True)
class OrderTriggered:
    order: Order
    trigger_price: Decimal


@dataclass(frozen=True, slots=True)
class OrderAmended:
    order: Order
    priority_kept: bool


@dataclass(frozen=True, slots=True)
class TrailingStopMoved:
    """``order.stop_price`` is the armed trailing stop's trigger price now."""

    order: Order


@dataclass(frozen=True, slots=True)
class OrderFilled:
    order: Order
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    order: Order


@dataclass(frozen=True, slots=True)
class OrderExpired:
    order: Order


@dataclass(frozen=True, slots=True)
class PositionChanged:
    position: Position


@dataclass(frozen=True, slots=True)
class BalanceChanged:
    """One move of a wallet; the balances are those right after it. ``isolated_wallet`` and
    ``isolated_change`` are None when no isolated position's wallet moved. For another ``asset`` than
    USDT, ``change`` and ``wallet_balance`` are that asset's and the cross figures are 0."""

    reason: BalanceChangeReason
    change: Decimal
    symbol: str
    trade_id: int
    wallet_balance: Decimal
    cross_wallet_balance: Decimal
    isolated_wallet: Decimal | None
    cross_change: Decimal
    isolated_change: Decimal | None
    asset: str


@dataclass(frozen=True, slots=True)
class FundingSettled:
    """``payment`` is what the account received: negative when it paid."""

    symbol: str
    funding_rate: Decimal
    mark_price: Decimal
    position_size: Decimal
    payment: Decimal
    funding_time: datetime | None


@dataclass(frozen=True, slots=True)
class MarginCallIssued:
    margin_mode: MarginMode
    symbol: str
    threshold: Decimal
    margin_ratio: Decimal
    margin_balance: Decimal
    maintenance_margin: Decimal


@dataclass(frozen=True, slots=True)
class LiquidationStarted:
    margin_mode: MarginMode
    symbol: str
    margin_balance: Decimal
    maintenance_margin: Decimal


@dataclass(frozen=True, slots=True)
class PositionLiquidated:
    symbol: str
    margin_mode: MarginMode
    quantity: Decimal
    average_price: Decimal | None
    bankruptcy_price: Decimal | None
    realized_pnl: Decimal
    insurance_fund_change: Decimal | None
    order_id: int
    deleveraged_quantity: Decimal


@dataclass(frozen=True, slots=True)
class PositionDeleveraged:
    symbol: str
    quantity: Decimal
    price: Decimal
    realized_pnl: Decimal
    order_id: int


@dataclass(frozen=True, slots=True)
class AssetModeChanged:
    multi_assets_mode: bool


@dataclass(frozen=True, slots=True)
class SymbolSettingsChanged:
    settings: SymbolSettings


@dataclass(frozen=True, slots=True)
class PriceAlertTriggered:
    alert: PriceAlert
    price: Decimal


UserEventPayload = (
    OrderAccepted
    | OrderRejected
    | OrderTriggered
    | OrderAmended
    | TrailingStopMoved
    | OrderFilled
    | OrderCanceled
    | OrderExpired
    | PositionChanged
    | BalanceChanged
    | FundingSettled
    | MarginCallIssued
    | LiquidationStarted
    | PositionLiquidated
    | PositionDeleveraged
    | SymbolSettingsChanged
    | PriceAlertTriggered
    | AssetModeChanged
)


@dataclass(frozen=True, slots=True)
class UserEvent:
    cursor: EventCursor
    time: datetime | None
    event: UserEventPayload


# Operator (admin) answers.


@dataclass(frozen=True, slots=True)
class CreateAccountResponse:
    """An account's API key and signing secret, shown once: by CreateAccount and again by RotateApiKey."""

    account_id: int
    name: str
    api_key: str
    api_secret: str = ""
    """The Binance-compatible REST API's HMAC secret (the key is its ``X-MBX-APIKEY``)."""


@dataclass(frozen=True, slots=True)
class Balances:
    """Wallet figures after a deposit or withdrawal."""

    wallet_balance: Decimal
    cross_wallet_balance: Decimal
    asset_balance: Decimal
    """The balance of the asset moved."""


@dataclass(frozen=True, slots=True)
class Clock:
    mode: ClockMode
    time: datetime | None
    scenario: str
    scenario_elapsed: timedelta | None
    step: timedelta | None
    liquidity_provider: bool


@dataclass(frozen=True, slots=True)
class AdvanceTimeResponse:
    time: datetime | None
    steps: int
    sequence: int


@dataclass(frozen=True, slots=True)
class StepResponse:
    time: datetime | None
    sequence: int


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    duration: timedelta | None
    symbols: list[str]


@dataclass(frozen=True, slots=True)
class SetIndexPriceResponse:
    index_price: Decimal
    mark_price: Decimal


@dataclass(frozen=True, slots=True)
class Ledger:
    """The terms of the money-conservation sum, in ``asset``: wallets + isolated_margin + fees_collected
    + insurance_fund + open_positions = money_in_system, which must equal net_deposits +
    insurance_contributions (the operator's money in the insurance funds)."""

    asset: str
    net_deposits: Decimal
    wallets: Decimal
    isolated_margin: Decimal
    fees_collected: Decimal
    insurance_fund: Decimal
    open_positions: Decimal
    money_in_system: Decimal
    imbalance: Decimal
    sequence: int
    time: datetime | None
    insurance_contributions: Decimal
    exchanged: Decimal
    """Multi-Assets mode: the USDT the auto-exchange paid out, negated (a term of money_in_system)."""

    @property
    def conserved(self) -> bool:
        """No money created or lost: any imbalance is a bug in the exchange."""
        return self.imbalance == 0


@dataclass(frozen=True, slots=True)
class SnapshotResponse:
    sequence: int
    state_hash: str
    time: datetime | None


# Account records: income and liquidations.


@dataclass(frozen=True, slots=True)
class Income:
    """One money move; ``income`` is its signed amount."""

    income_id: int
    income_type: IncomeType
    income: Decimal
    asset: str
    symbol: str
    trade_id: int
    time: datetime | None


@dataclass(frozen=True, slots=True)
class MarginCallRecord:
    time: datetime | None
    margin_call: MarginCallIssued


@dataclass(frozen=True, slots=True)
class Liquidation:
    """One liquidation: the figures at its trigger, the margin calls that led there (oldest first), the
    orders it canceled, its liquidation orders with their fills, and one record per position closed."""

    liquidation_id: int
    time: datetime | None
    margin_mode: MarginMode
    symbol: str
    margin_balance: Decimal
    maintenance_margin: Decimal
    margin_calls: list[MarginCallRecord]
    canceled_orders: list[Order]
    orders: list[Order]
    fills: list[Fill]
    positions: list[PositionLiquidated]
    insurance_fund_change: Decimal
    realized_pnl: Decimal
