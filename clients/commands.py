"""Order commands as plain dataclasses, shared by the unary calls and OrderSession batches.

``PlaceOrder("BTCUSDT", Side.BUY, "0.010", price="64000")`` (or ``side="buy"``) is a GTC limit order;
without a price it is a market order. Every PlaceOrder carries a client_order_id (one is generated when not given), so a
retry after a lost answer returns the original order instead of placing a second one.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from paperex.client.convert import decimal_text, enum_number
from paperex.client.enums import (
    OrderType,
    PositionSide,
    SelfTradePrevention,
    Side,
    TimeInForce,
    TriggerBy,
    WireEnum,
)
from paperex.v1 import trading_pb2

Number = Decimal | int | str


def new_client_order_id() -> str:
    """32 hex characters: inside Binance's 36-character alphabet, unique without coordination."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class PlaceOrder:
    """Enum fields take a member or its name in any case (``side="buy"``, ``time_in_force="gtx"``);
    names become members here, so a misspelt one fails at once with the valid names."""

    symbol: str
    side: Side | str
    quantity: Number | None = None
    price: Number | None = None
    order_type: OrderType | str | None = None
    time_in_force: TimeInForce | str | None = None
    stop_price: Number | None = None
    trigger_by: TriggerBy | str | None = None
    reduce_only: bool = False
    close_position: bool = False
    client_order_id: str = field(default_factory=new_client_order_id)
    self_trade_prevention: SelfTradePrevention | str | None = None
    callback_bps: int = 0
    activation_price: Number | None = None
    expire_time: datetime | None = None
    position_side: PositionSide | str | None = None
    """Hedge mode: LONG or SHORT (BUY/LONG opens the long leg, SELL/LONG closes it)."""

    def __post_init__(self) -> None:
        for name, kind in _ENUM_FIELDS.items():
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, kind.parse(value))

    @property
    def resolved_type(self) -> OrderType:
        """The order type sent: LIMIT when a price is given, MARKET otherwise, unless set."""
        if self.order_type is not None:
            return OrderType.parse(self.order_type)
        return OrderType.LIMIT if self.price is not None else OrderType.MARKET

    def to_proto(self) -> trading_pb2.PlaceOrderRequest:
        request = trading_pb2.PlaceOrderRequest(
            symbol=self.symbol,
            side=enum_number(Side, self.side),
            order_type=enum_number(OrderType, self.resolved_type),
            quantity=decimal_text(self.quantity),
            price=decimal_text(self.price),
            time_in_force=enum_number(TimeInForce, self.time_in_force),
            stop_price=decimal_text(self.stop_price),
            trigger_by=enum_number(TriggerBy, self.trigger_by),
            reduce_only=self.reduce_only,
            close_position=self.close_position,
            client_order_id=self.client_order_id,
            self_trade_prevention=enum_number(SelfTradePrevention, self.self_trade_prevention),
            callback_bps=self.callback_bps,
            activation_price=decimal_text(self.activation_price),
            position_side=enum_number(PositionSide, self.position_side),
        )
        if self.expire_time is not None:
            request.expire_time.FromDatetime(self.expire_time)
        return request

    def to_command(self) -> trading_pb2.OrderCommand:
        return trading_pb2.OrderCommand(place_order=self.to_proto())


_ENUM_FIELDS: dict[str, type[WireEnum]] = {
    "side": Side,
    "order_type": OrderType,
    "time_in_force": TimeInForce,
    "trigger_by": TriggerBy,
    "self_trade_prevention": SelfTradePrevention,
    "position_side": PositionSide,
}


@dataclass(frozen=True)
class AmendOrder:
    """New price and/or new total quantity of a resting limit order, named by one of its two ids."""

    symbol: str
    order_id: int = 0
    client_order_id: str = ""
    quantity: Number | None = None
    price: Number | None = None

    def to_proto(self) -> trading_pb2.AmendOrderRequest:
        return trading_pb2.AmendOrderRequest(
            symbol=self.symbol,
            quantity=decimal_text(self.quantity),
            price=decimal_text(self.price),
            **order_key(self.order_id, self.client_order_id),
        )

    def to_command(self) -> trading_pb2.OrderCommand:
        return trading_pb2.OrderCommand(amend_order=self.to_proto())


@dataclass(frozen=True)
class CancelOrder:
    symbol: str
    order_id: int = 0
    client_order_id: str = ""

    def to_proto(self) -> trading_pb2.CancelOrderRequest:
        return trading_pb2.CancelOrderRequest(symbol=self.symbol, **order_key(self.order_id, self.client_order_id))

    def to_command(self) -> trading_pb2.OrderCommand:
        return trading_pb2.OrderCommand(cancel_order=self.to_proto())


@dataclass(frozen=True)
class CancelAllOrders:
    symbol: str

    def to_proto(self) -> trading_pb2.CancelAllOrdersRequest:
        return trading_pb2.CancelAllOrdersRequest(symbol=self.symbol)

    def to_command(self) -> trading_pb2.OrderCommand:
        return trading_pb2.OrderCommand(cancel_all_orders=self.to_proto())


OrderCommand = PlaceOrder | AmendOrder | CancelOrder | CancelAllOrders


def order_key(order_id: int, client_order_id: str) -> dict[str, Any]:
    """The oneof ``order_key`` of amend, cancel and get requests."""
    if bool(order_id) == bool(client_order_id):
        raise ValueError("name the order by exactly one of order_id and client_order_id")
    return {"order_id": order_id} if order_id else {"client_order_id": client_order_id}
