"""The API's enums as Python enums, named without their proto prefix (``Side.BUY``, not ``SIDE_BUY``).

Values equal the wire numbers, so converting is ``Side(message.side)`` one way and ``int(side)``
the other; ``tests/clients/test_sdk_models.py`` checks every member against the proto descriptors.
"""

from enum import IntEnum


class Side(IntEnum):
    BUY = 1
    SELL = 2

    @property
    def opposite(self) -> "Side":
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2
    STOP_MARKET = 3
    STOP_LIMIT = 4
    TAKE_PROFIT_MARKET = 5
    TAKE_PROFIT_LIMIT = 6
    TRAILING_STOP_MARKET = 7


class TimeInForce(IntEnum):
    GTC = 1
    IOC = 2
    FOK = 3
    GTX = 4
    GTD = 5


class TriggerBy(IntEnum):
    MARK = 1
    LAST = 2


class SelfTradePrevention(IntEnum):
    EXPIRE_TAKER = 1
    EXPIRE_MAKER = 2
    EXPIRE_BOTH = 3


class OrderStatus(IntEnum):
    NEW = 1
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELED = 4
    EXPIRED = 5

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class MarginMode(IntEnum):
    CROSS = 1
    ISOLATED = 2


class EndReason(IntEnum):
    CANCELED_BY_USER = 1
    IOC_REMAINDER = 2
    FOK_NOT_FILLABLE = 3
    POST_ONLY_WOULD_TAKE = 4
    MARKET_PRICE_BAND = 5
    NO_LIQUIDITY = 6
    SELF_TRADE_PREVENTION = 7
    REDUCE_ONLY = 8
    GTD_EXPIRED = 9
    AMENDED_TO_FILLED = 10
    LIQUIDATION = 11
    INSUFFICIENT_MARGIN = 12
    RESET = 13


class CandleInterval(IntEnum):
    M1 = 1
    M5 = 2
    M15 = 3
    H1 = 4
    H4 = 5
    D1 = 6


class BalanceChangeReason(IntEnum):
    DEPOSIT = 1
    WITHDRAWAL = 2
    REALIZED_PNL = 3
    FEE = 4
    FUNDING = 5
    ISOLATED_MARGIN_TRANSFER = 6
    LIQUIDATION_FEE = 7
    INSURANCE_FUND_COVER = 8
    ADL = 9
    INSURANCE_CLEAR = 10


class LiquidationFeeModel(IntEnum):
    """What a liquidation fill costs: Binance's clearance fee to the insurance fund, the taker fee, or none."""

    CLEARANCE = 1
    TAKER = 2
    NONE = 3


class MarginAdjustment(IntEnum):
    ADD = 1
    REMOVE = 2


class AlertDirection(IntEnum):
    CROSSES_ABOVE = 1
    CROSSES_BELOW = 2


class ClockMode(IntEnum):
    WALL = 1
    SIMULATED = 2


class IncomeType(IntEnum):
    TRANSFER = 1
    REALIZED_PNL = 2
    COMMISSION = 3
    FUNDING_FEE = 4
    INSURANCE_CLEAR = 5
    AUTO_DELEVERAGE = 6
