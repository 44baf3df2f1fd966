"""Order vocabulary (sides, types, time in force, ...) and the mutable order record the engine owns."""

from enum import IntEnum, StrEnum

from paperex.engine.native import Reduced, reduced
from paperex.engine.units import Lots, Ticks


class Side(IntEnum):
    """The value is the sign an order's fills add to a position."""

    BUY = 1
    SELL = -1

    @property
    def opposite(self) -> "Side":
        return SELL if self is BUY else BUY


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    STOP_MARKET = "STOP_MARKET"
    STOP_LIMIT = "STOP_LIMIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTX = "GTX"
    GTD = "GTD"


class TriggerBy(StrEnum):
    """Which price a conditional order watches."""

    MARK = "MARK"
    LAST = "LAST"


class SelfTradePrevention(StrEnum):
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


class PositionSide(StrEnum):
    """Which position an order trades: BOTH is the one-way position; in hedge mode every order names
    the LONG or the SHORT leg (a BUY opens LONG and closes SHORT, a SELL the reverse)."""

    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


# Members the per-order and per-fill paths read, bound to module names: on Python 3.11 every
# ``Side.BUY`` goes through ``EnumType.__getattr__`` (about 0.1 us, ten times a global read; 3.12
# dropped that hook), which adds up to a tenth of a command's time.
BUY, SELL = Side.BUY, Side.SELL
LIMIT, TRAILING_STOP_MARKET = OrderType.LIMIT, OrderType.TRAILING_STOP_MARKET
GTX, FOK, GTD = TimeInForce.GTX, TimeInForce.FOK, TimeInForce.GTD
NEW, PARTIALLY_FILLED, FILLED = OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED
CANCELED, EXPIRED = OrderStatus.CANCELED, OrderStatus.EXPIRED
BOTH, LONG, SHORT = PositionSide.BOTH, PositionSide.LONG, PositionSide.SHORT

CONDITIONAL_TYPES = frozenset(
    {
        OrderType.STOP_MARKET,
        OrderType.STOP_LIMIT,
        OrderType.TAKE_PROFIT_MARKET,
        OrderType.TAKE_PROFIT_LIMIT,
        OrderType.TRAILING_STOP_MARKET,
    }
)
LIMIT_PRICED_TYPES = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
RESTING_TIME_IN_FORCE = frozenset({TimeInForce.GTC, TimeInForce.GTX, TimeInForce.GTD})
FINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED})


STATE_FIELDS = (
    "account_id",
    "activation_price",
    "armed",
    "callback_bps",
    "client_order_id",
    "close_position",
    "expire_at",
    "extreme",
    "filled",
    "liquidation",
    "order_id",
    "order_type",
    "price",
    "quantity",
    "reduce_only",
    "side",
    "status",
    "stop_price",
    "stp",
    "symbol",
    "time_in_force",
    "trigger_by",
    "triggered",
)
"""An order's own state, every slot but the FIFO links (``prev``/``next``): what ``state_hash`` digests.
Named here rather than read from ``__slots__``, which a class compiled by mypyc does not have.
``position_side`` is digested apart, only when it is a hedge leg, so one-way states hash as before."""


class Order:
    """One order's live state. ``prev``/``next`` link it into its price level's FIFO (intrusive list,
    so cancel is O(1)); ``extreme`` and ``armed`` hold a trailing stop's ratchet, and an armed
    trailing stop's ``stop_price`` is the price it fires at now. ``liquidation`` marks an order the
    exchange placed to close a liquidated position (its fills pay the instrument's liquidation fee)."""

    __slots__ = (*STATE_FIELDS, "next", "position_side", "prev")

    def __init__(
        self,
        order_id: int,
        account_id: int,
        symbol: str,
        side: Side,
        order_type: OrderType,
        quantity: Lots,
        price: Ticks,
        time_in_force: TimeInForce,
        stp: SelfTradePrevention,
        reduce_only: bool = False,
        close_position: bool = False,
        client_order_id: str = "",
        stop_price: Ticks = 0,
        trigger_by: TriggerBy = TriggerBy.MARK,
        callback_bps: int = 0,
        activation_price: Ticks = 0,
        expire_at: int = 0,
        liquidation: bool = False,
        position_side: PositionSide = BOTH,
    ) -> None:
        self.order_id = order_id
        self.account_id = account_id
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.quantity = quantity
        self.price = price
        self.time_in_force = time_in_force
        self.stp = stp
        self.reduce_only = reduce_only
        self.close_position = close_position
        self.client_order_id = client_order_id
        self.stop_price = stop_price
        self.trigger_by = trigger_by
        self.callback_bps = callback_bps
        self.activation_price = activation_price
        self.expire_at = expire_at
        self.liquidation = liquidation
        self.position_side = position_side
        self.filled: Lots = 0
        self.status = NEW
        self.triggered = order_type not in CONDITIONAL_TYPES
        self.armed = False
        self.extreme: Ticks = 0
        self.prev: Order | None = None
        self.next: Order | None = None

    def __reduce__(self) -> Reduced:
        return reduced(
            self,
            self.order_id,
            self.account_id,
            self.symbol,
            self.side,
            self.order_type,
            self.quantity,
            self.price,
            self.time_in_force,
            self.stp,
        )

    @property
    def remaining(self) -> Lots:
        return self.quantity - self.filled

    def __repr__(self) -> str:
        return (
            f"Order(#{self.order_id} acct={self.account_id} {self.symbol} {self.side.name} "
            f"{self.order_type} {self.filled}/{self.quantity}@{self.price} {self.status})"
        )
