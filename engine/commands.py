"""Commands: imperative requests the engine applies one at a time.

Every command carries ``ts``, the sequencer's clock reading in nanoseconds: the engine never reads a
clock, so time (GTD expiry, later funding) only moves when a command says so.
"""

from dataclasses import dataclass

from paperex.engine.accounts import MarginMode, PositionMode
from paperex.engine.collateral import USDT
from paperex.engine.orders import BOTH, OrderType, PositionSide, SelfTradePrevention, Side, TimeInForce, TriggerBy
from paperex.engine.units import Amount, Lots, Ticks


@dataclass(slots=True, kw_only=True)
class PlaceOrder:
    """A new order. Prices are ticks and quantities lots; 0 means "not given".

    ``callback_bps`` is a trailing stop's callback rate in basis points (Binance allows 0.1% to 10%).
    ``expire_at`` (ns) is required for GTD and refused otherwise. ``position_side`` is BOTH in one-way
    mode and the leg the order trades (LONG or SHORT) in hedge mode.
    """

    account_id: int
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Lots = 0
    price: Ticks = 0
    time_in_force: TimeInForce = TimeInForce.GTC
    stop_price: Ticks = 0
    trigger_by: TriggerBy = TriggerBy.MARK
    reduce_only: bool = False
    close_position: bool = False
    client_order_id: str = ""
    stp: SelfTradePrevention = SelfTradePrevention.EXPIRE_TAKER
    callback_bps: int = 0
    activation_price: Ticks = 0
    expire_at: int = 0
    position_side: PositionSide = BOTH
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class AmendOrder:
    """Change a resting limit order's price and/or total quantity (0 keeps the current value).

    Only a pure quantity decrease keeps time priority.
    """

    account_id: int
    symbol: str
    order_id: int = 0
    client_order_id: str = ""
    quantity: Lots = 0
    price: Ticks = 0
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class CancelOrder:
    """Cancel one open order (resting or untriggered), by ``order_id`` or ``client_order_id``."""

    account_id: int
    symbol: str
    order_id: int = 0
    client_order_id: str = ""
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class CancelAllOrders:
    """Cancel every open order of one account in one instrument."""

    account_id: int
    symbol: str
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetMarkPrice:
    """Set the mark directly (an admin override; it holds until the next index price recomputes the
    mark): drives MARK-triggered orders, PnL and liquidation checks."""

    symbol: str
    price: Ticks
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetIndexPrice:
    """A new index price (spot reference from the feed): sampled against the book for funding, and it
    moves the mark by the instrument's mark method (``paperex.engine.mark``)."""

    symbol: str
    price: Ticks
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class AdvanceTime:
    """Move engine time forward with nothing else to do (expires due GTD orders)."""

    ts: int


@dataclass(slots=True, kw_only=True)
class Resume:
    """The host runs again after a stop or a crash, since ``ts``: the time since the previous command
    was downtime (or idle just before it), so it does not count toward a finished order's retry window
    (a request that got no answer because of the crash is retried after the restart)."""

    ts: int


@dataclass(slots=True, kw_only=True)
class CreateAccount:
    """Open an empty account: under the next free id (``account_id`` 0, the one after the highest so far,
    named in ``AccountCreated``) or under the id given.

    ``liquidatable`` False makes an exchange-internal account (the built-in liquidity provider): margin
    calls, liquidation and auto-deleverage pass it by, while its orders still need margin and it
    trades with everyone like any other account.
    """

    account_id: int = 0
    liquidatable: bool = True
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class Deposit:
    """Put ``amount`` (1e-8 units) of ``asset`` into the account: USDT, or an asset of the collateral table."""

    account_id: int
    amount: Amount
    asset: str = USDT
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class Withdraw:
    """Take ``amount`` of ``asset`` out of the account; refused when positions or orders need it."""

    account_id: int
    amount: Amount
    asset: str = USDT
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetAssetMode:
    """Switch the account between single-asset mode (USDT alone is margin) and Multi-Assets mode (the
    other assets count too, at their collateral rate); as on the venue, only without open orders or
    positions, and Multi-Assets mode only with every symbol in cross margin."""

    account_id: int
    multi_assets: bool
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetLeverage:
    account_id: int
    symbol: str
    leverage: int
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetMarginMode:
    account_id: int
    symbol: str
    mode: MarginMode
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetPositionMode:
    """Switch the account between one-way and hedge mode: refused while it has an open order or a
    position on any symbol (the venue's rule)."""

    account_id: int
    mode: PositionMode
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class AdjustIsolatedMargin:
    """Add (amount > 0) or remove (amount < 0) margin of an isolated position (in hedge mode, of the
    ``position_side`` leg)."""

    account_id: int
    symbol: str
    amount: Amount
    position_side: PositionSide = BOTH
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class FundInsurance:
    """The operator adds ``amount`` to a symbol's insurance fund (a venue's fund is large; an empty
    one sends every bankruptcy straight to auto-deleverage)."""

    symbol: str
    amount: Amount
    ts: int = 0


Command = (
    PlaceOrder
    | AmendOrder
    | CancelOrder
    | CancelAllOrders
    | SetMarkPrice
    | SetIndexPrice
    | AdvanceTime
    | Resume
    | CreateAccount
    | Deposit
    | Withdraw
    | SetLeverage
    | SetMarginMode
    | SetPositionMode
    | SetAssetMode
    | AdjustIsolatedMargin
    | FundInsurance
)
