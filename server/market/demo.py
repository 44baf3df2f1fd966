"""A scripted engine session printed as a person reads it: the stand-in for ``paperex`` until the
gRPC service exists. A maker quotes BTCUSDT; two traders with 15,000 USDT each go long: one 0.77 BTC
at 10x with a stop at 63,000, one 3 BTC at 20x without a stop. The price falls 20% in 26 steps:
the stop limits the first loss, the second account gets margin calls and is
liquidated."""

from decimal import Decimal

from paperex.engine.commands import (
    CancelAllOrders,
    Command,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetLeverage,
    SetMarkPrice,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    Event,
    LiquidationTriggered,
    MarginCallIssued,
    MarkPriceChanged,
    OrderExpired,
    OrderRejected,
    OrderTriggered,
    TradeExecuted,
)
from paperex.engine.instruments import Instrument
from paperex.engine.orders import OrderType, Side, TriggerBy
from paperex.engine.units import SCALE, amount_to_decimal

SYMBOL = "BTCUSDT"
MAKER, CAREFUL, RECKLESS = 1, 2, 3


def _script(spec: Instrument) -> list[Command]:
    price, qty = spec.price_to_ticks, spec.qty_to_lots
    commands: list[Command] = [SetMarkPrice(symbol=SYMBOL, price=price("64900"))]
    for account_id, usdt, leverage in ((MAKER, 10_000_000, 10), (CAREFUL, 15_000, 10), (RECKLESS, 15_000, 20)):
        commands += [
            CreateAccount(account_id=account_id),
            Deposit(account_id=account_id, amount=usdt * SCALE),
            SetLeverage(account_id=account_id, symbol=SYMBOL, leverage=leverage),
        ]
    commands += _ladder(spec, Decimal("64900"))
    for trader, size in ((CAREFUL, "0.77"), (RECKLESS, "3")):
        commands.append(
            PlaceOrder(account_id=trader, symbol=SYMBOL, side=Side.BUY, order_type=OrderType.MARKET, quantity=qty(size))
        )
    commands.append(
        PlaceOrder(
            account_id=CAREFUL,
            symbol=SYMBOL,
            side=Side.SELL,
            order_type=OrderType.STOP_MARKET,
            stop_price=price("63000"),
            close_position=True,
            trigger_by=TriggerBy.MARK,
        )
    )
    for mark in range(64500, 51500, -500):  # -20% in 26 steps; the maker re-quotes around each mark
        commands.append(SetMarkPrice(symbol=SYMBOL, price=price(str(mark))))
        commands += [CancelAllOrders(account_id=MAKER, symbol=SYMBOL), *_ladder(spec, Decimal(mark))]
    return commands


def _ladder(spec: Instrument, mid: Decimal) -> list[Command]:
    """The maker's quotes: 2 BTC every 0.1% on both sides, ten levels deep."""
    ladder: list[Command] = []
    for step in range(1, 11):
        for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
            level = (mid * (1 + sign * Decimal(step) / 1000)).quantize(spec.tick_size)
            ladder.append(
                PlaceOrder(
                    account_id=MAKER,
                    symbol=SYMBOL,
                    side=side,
                    order_type=OrderType.LIMIT,
                    quantity=spec.qty_to_lots("2"),
                    price=spec.price_to_ticks(level),
                )
            )
    return ladder


def _describe(spec: Instrument, event: Event) -> str | None:
    if isinstance(event, TradeExecuted):
        return (
            f"trade #{event.trade_id}: {spec.lots_to_qty(event.quantity)} @ {spec.ticks_to_price(event.price)} "
            f"(account {event.taker_account_id} {event.aggressor.name})"
        )
    if isinstance(event, OrderTriggered):
        mark = spec.ticks_to_price(event.trigger_price)
        return f"stop #{event.order_id} of account {event.account_id} fired at mark {mark}"
    if isinstance(event, MarkPriceChanged) and event.price % 10_000 == 0:
        return f"-- mark {spec.ticks_to_price(event.price)}"
    if isinstance(event, MarginCallIssued):
        ratio = event.maintenance_margin / event.margin_balance if event.margin_balance > 0 else 1
        return f"margin call for account {event.account_id}: ratio {ratio:.2%}"
    if isinstance(event, LiquidationTriggered):
        return f"LIQUIDATION of account {event.account_id} ({event.mode})"
    if isinstance(event, OrderExpired | OrderRejected):
        return f"order #{event.order_id}: {type(event).__name__} {event.reason.value}"
    return None


def main() -> None:
    engine = Engine()
    spec = engine.markets[SYMBOL].instrument
    for command in _script(spec):
        for event in engine.apply(command):
            line = _describe(spec, event)
            if line and not (isinstance(event, TradeExecuted) and event.taker_account_id == MAKER):
                print(line)
    for trader, name in ((CAREFUL, "0.77 BTC, stop at 63,000"), (RECKLESS, "3 BTC at 20x, no stop")):
        summary = engine.summary(trader)
        print(f"account {trader} ({name}): wallet {amount_to_decimal(summary.wallet):.2f} USDT")
