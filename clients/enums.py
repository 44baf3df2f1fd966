"""The API's enums as Python enums, named without their proto prefix (``Side.BUY``, not ``SIDE_BUY``).

Values equal the wire numbers, so converting is ``Side(message.side)`` one way and ``int(side)``
the other; ``tests/clients/test_sdk_models.py`` checks every member against the proto descriptors.
They print as their names, and ``Side.parse("buy")`` finds one by name in any case, which is how
every SDK call that takes an enum also takes its name (``side="buy"``).
"""

from enum import IntEnum
from typing import Self


class WireEnum(IntEnum):
    """An API enum that reads as its name and is found by it.

    >>> str(Side.BUY), f"{Side.SELL}", repr(OrderType.STOP_MARKET)
    ('BUY', 'SELL', 'OrderType.STOP_MARKET')
    >>> Side.parse("buy"), OrderType.parse("stop-market"), TimeInForce.parse("Gtx"), Side.parse(Side.SELL)
    (Side.BUY, OrderType.STOP_MARKET, TimeInForce.GTX, Side.SELL)
    >>> Side.parse("hold")
    Traceback (most recent call last):
    ...
    ValueError: 'hold' is not a Side: use one of BUY, SELL
    """

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    @classmethod
    def parse(cls, value: "Self | str") -> Self:
        """The member ``value`` names, in any case and with ``-`` for ``_`` (as the CLI spells it),
        or the member itself."""
        if isinstance(value, cls):
            return value
        member = cls.__members__.get(str(value).strip().upper().replace("-", "_"))
        if member is None:
            raise ValueError(f"{value!r} is not a {cls.__name__}: use one of {', '.join(cls.__members__)}")
        return member


class Side(WireEnum):
    BUY = 1
    SELL = 2

    @property
    def opposite(self) -> "Side":
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(WireEnum):
    LIMIT = 1
    MARKET = 2
    STOP_MARKET = 3
    STOP_LIMIT = 4
    TAKE_PROFIT_MARKET = 5
    TAKE_PROFIT_LIMIT = 6
    TRAILING_STOP_MARKET = 7


class TimeInForce(WireEnum):
    GTC = 1
    IOC = 2
    FOK = 3
    GTX = 4
    GTD = 5


class TriggerBy(WireEnum):
    MARK = 1
    LAST = 2


class SelfTradePrevention(WireEnum):
    EXPIRE_TAKER = 1
    EXPIRE_MAKER = 2
    EXPIRE_BOTH = 3


class OrderStatus(WireEnum):
    NEW = 1
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELED = 4
    EXPIRED = 5

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class MarginMode(WireEnum):
    CROSS = 1
    ISOLATED = 2


class PositionSide(WireEnum):
    """The leg an order trades: hedge mode names LONG or SHORT, one-way mode leaves it unset (BOTH)."""

    BOTH = 1
    LONG = 2
    SHORT = 3


class PositionMode(WireEnum):
    ONE_WAY = 1
    HEDGE = 2


class EndReason(WireEnum):
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


class CandleInterval(WireEnum):
    M1 = 1
    M5 = 2
    M15 = 3
    H1 = 4
    H4 = 5
    D1 = 6


class CandlePrice(WireEnum):
    LAST = 1
    MARK = 2
    INDEX = 3


class BalanceChangeReason(WireEnum):
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
    AUTO_EXCHANGE = 11


class LiquidationFeeModel(WireEnum):
    """What a liquidation fill costs: Binance's clearance fee to the insurance fund, the taker fee, or none."""

    CLEARANCE = 1
    TAKER = 2
    NONE = 3


class MarginAdjustment(WireEnum):
    ADD = 1
    REMOVE = 2


class AlertDirection(WireEnum):
    CROSSES_ABOVE = 1
    CROSSES_BELOW = 2


class ClockMode(WireEnum):
    WALL = 1
    SIMULATED = 2


class IncomeType(WireEnum):
    TRANSFER = 1
    REALIZED_PNL = 2
    COMMISSION = 3
    FUNDING_FEE = 4
    INSURANCE_CLEAR = 5
    AUTO_DELEVERAGE = 6
    AUTO_EXCHANGE = 7
