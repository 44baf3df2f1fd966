"""A scripted engine session printed as a person reads it: the stand-in for ``paperex`` until the
gRPC service exists. It shows price-time priority, a market order walking levels and a stop firing."""

from decimal import Decimal

from engine.commands import Command, PlaceOrder, SetMarkPrice
from engine.engine import Engine
from engine.events import Event, OrderExpired, OrderRejected, OrderTriggered, TradeExecuted
from engine.orders import OrderType, Side, TriggerBy

SYMBOL = "BTCUSDT"


def _script(engine: Engine) -> list[Command]:
    spec = engine.markets[SYMBOL].instrument
    price, qty = spec.price_to_ticks, spec.qty_to_lots
    maker, taker = 1, 2
    commands: list[Command] = [SetMarkPrice(symbol=SYMBOL, price=price("64900"))]
    for offset, size in (("0.1", "0.5"), ("0.5", "1.2"), ("1.0", "2.0")):
        for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
            level = price(Decimal("64900") + sign * Decimal(offset))
            commands.append(
                PlaceOrder(
                    account_id=maker,
                    symbol=SYMBOL,
                    side=side,
                    order_type=OrderType.LIMIT,
                    quantity=qty(size),
                    price=level,
                )
            )
    commands += [
        PlaceOrder(
            account_id=taker,
            symbol=SYMBOL,
            side=Side.SELL,
            order_type=OrderType.STOP_MARKET,
            quantity=qty("0.3"),
            stop_price=price("64899.5"),
            trigger_by=TriggerBy.LAST,
        ),
        PlaceOrder(account_id=taker, symbol=SYMBOL, side=Side.BUY, order_type=OrderType.MARKET, quantity=qty("1.0")),
        PlaceOrder(account_id=taker, symbol=SYMBOL, side=Side.SELL, order_type=OrderType.MARKET, quantity=qty("0.6")),
    ]
    return commands


def _describe(engine: Engine, event: Event) -> str | None:
    spec = engine.markets[SYMBOL].instrument
    if isinstance(event, TradeExecuted):
        return (
            f"trade #{event.trade_id}: {spec.lots_to_qty(event.quantity)} @ {spec.ticks_to_price(event.price)} "
            f"({event.aggressor.name} aggressor)"
        )
    if isinstance(event, OrderTriggered):
        return f"order #{event.order_id} triggered at {spec.ticks_to_price(event.trigger_price)}"
    if isinstance(event, OrderExpired | OrderRejected):
        return f"order #{event.order_id}: {type(event).__name__} {event.reason.value}"
    return None


def main() -> None:
    engine = Engine()
    spec = engine.markets[SYMBOL].instrument
    for command in _script(engine):
        for event in engine.apply(command):
            line = _describe(engine, event)
            if line:
                print(line)
    bids, asks = engine.depth(SYMBOL, 5)
    print(f"\n{SYMBOL} book after the session (price  qty  orders)")
    for level in reversed(asks):
        print(f"  ask {spec.ticks_to_price(level.price):>10} {spec.lots_to_qty(level.quantity):>7} {level.orders}")
    for level in bids:
        print(f"  bid {spec.ticks_to_price(level.price):>10} {spec.lots_to_qty(level.quantity):>7} {level.orders}")
