"""Builders and event filters for the engine scenario tests.

BTCUSDT in engine units: tick 0.1, so 64,900.0 USDT = 649_000 ticks; lot 0.001, so 1 BTC = 1_000 lots;
money is scaled by 1e8 and one tick x one lot is 0.1 x 0.001 = 0.0001 USDT = 10_000 money units
(``notional = ticks x lots x 10_000``); min notional 100 USDT = 10_000_000_000 units; price band 5%.
"""

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TypeVar

from paperex.engine.commands import Command, CreateAccount, Deposit, PlaceOrder, SetMarkPrice
from paperex.engine.engine import Engine
from paperex.engine.events import BookLevelChanged, Event, OrderCanceled, OrderExpired, OrderRejected, TradeExecuted
from paperex.engine.instruments import DEFAULT_INSTRUMENTS, Instrument, LiquidationFee
from paperex.engine.orders import OrderType, PositionSide, Side, TimeInForce
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.units import SCALE, Lots, Ticks

BTC = "BTCUSDT"
ETH = "ETHUSDT"
PX: Ticks = 649_000
"""64,900.0 USDT, the BTC price the hand-computed scenarios start from."""
BTC_LOTS: Lots = 1_000
"""1 BTC."""
UNIT = 10_000
"""Money units (1e-8 USDT) per tick-lot of BTCUSDT."""

ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4
"""Accounts. Scenarios use ALICE and CAROL as makers and BOB as the taker unless they say otherwise."""
HOUSE = 99
"""The counterparty ``open_position`` trades against."""

E = TypeVar("E")


def order(account: int, side: Side, order_type: OrderType, **fields: object) -> PlaceOrder:
    """A PlaceOrder on BTCUSDT unless ``symbol`` is given."""
    fields.setdefault("symbol", BTC)
    return PlaceOrder(account_id=account, side=side, order_type=order_type, **fields)  # type: ignore[arg-type]


def limit(account: int, side: Side, price: Ticks, quantity: Lots, **fields: object) -> PlaceOrder:
    return order(account, side, OrderType.LIMIT, price=price, quantity=quantity, **fields)


def market(account: int, side: Side, quantity: Lots, **fields: object) -> PlaceOrder:
    return order(account, side, OrderType.MARKET, quantity=quantity, **fields)


def mark(price: Ticks, symbol: str = BTC) -> SetMarkPrice:
    return SetMarkPrice(symbol=symbol, price=price)


def run(engine: Engine, *commands: Command) -> list[Event]:
    """Apply ``commands`` in order, checking invariants after each; return all their events."""
    events: list[Event] = []
    for command in commands:
        events += engine.apply(command)
        engine.check_invariants()
    return events


FUNDS = 10_000_000 * SCALE
"""Each scenario account starts with 10,000,000 USDT, so matching scenarios never meet a margin limit."""


TAKER_LIQUIDATION = {
    symbol: replace(spec, liquidation_fee=LiquidationFee.TAKER) for symbol, spec in DEFAULT_INSTRUMENTS.items()
}
"""The default instruments with liquidation fills paying the ordinary taker fee (no clearance fee)."""


def new_engine(*commands: Command, instruments: Mapping[str, Instrument] = DEFAULT_INSTRUMENTS) -> Engine:
    """An engine whose accounts ALICE..DAVE and HOUSE exist and are funded, after ``commands``."""
    engine = Engine(instruments)
    for account_id in (ALICE, BOB, CAROL, DAVE, HOUSE):
        engine.apply(CreateAccount(account_id=account_id))
        engine.apply(Deposit(account_id=account_id, amount=FUNDS))
    run(engine, *commands)
    return engine


def of(events: Iterable[Event], kind: type[E]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]


def only(events: Iterable[Event], kind: type[E]) -> E:
    found = of(events, kind)
    assert len(found) == 1, f"expected one {kind.__name__}, got {found}"
    return found[0]


def trades(events: Iterable[Event]) -> list[tuple[int, int, Ticks, Lots]]:
    """(maker order id, taker order id, price, quantity) per trade, in execution order."""
    return [(t.maker_order_id, t.taker_order_id, t.price, t.quantity) for t in of(events, TradeExecuted)]


def ends(events: Iterable[Event]) -> list[tuple[int, Lots, EndReason]]:
    """(order id, remaining, reason) of every OrderExpired and OrderCanceled, in event order."""
    return [(e.order_id, e.remaining, e.reason) for e in events if isinstance(e, OrderExpired | OrderCanceled)]


def levels(events: Iterable[Event]) -> set[tuple[Side, Ticks, Lots, int]]:
    """(side, price, quantity, orders) of every BookLevelChanged."""
    return {(e.side, e.price, e.quantity, e.orders) for e in of(events, BookLevelChanged)}


def queue(engine: Engine, side: Side, symbol: str = BTC) -> list[list[int]]:
    """Order ids per level of one side, best level first, FIFO within a level (from L3)."""
    return [[o.order_id for o in level] for level in engine.l3(symbol, side)]


def book(engine: Engine, symbol: str = BTC) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """L2 as plain (price, quantity, orders) tuples: (bids, asks)."""
    bids, asks = engine.depth(symbol, 50)
    return [tuple(level) for level in bids], [tuple(level) for level in asks]  # type: ignore[misc]


def assert_rejected(engine: Engine, command: Command, reason: RejectReason) -> OrderRejected:
    """``command`` yields exactly one OrderRejected with ``reason`` and changes nothing."""
    before = engine.state_hash()
    events = engine.apply(command)
    assert [type(e) for e in events] == [OrderRejected], events
    rejected = events[0]
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason is reason
    assert engine.state_hash() == before
    engine.check_invariants()
    return rejected


def lights(engine: Engine, symbol: str = BTC) -> dict[int, int]:
    """``Engine.adl_quantiles`` of one-way accounts, by account (every key's leg must be BOTH)."""
    quantiles = engine.adl_quantiles(symbol)
    assert {leg for _, leg in quantiles} <= {PositionSide.BOTH}, quantiles
    return {account: light for (account, _), light in quantiles.items()}


def open_position(engine: Engine, account: int, lots: Lots, price: Ticks = PX, symbol: str = BTC) -> None:
    """Give ``account`` a position of ``lots`` (signed) by trading against HOUSE at ``price``.

    HOUSE rests the opposite side and the account takes it with an IOC limit, so nothing is left on
    the book; the trade sets the last price to ``price``.
    """
    side = Side.BUY if lots > 0 else Side.SELL
    run(
        engine,
        limit(HOUSE, side.opposite, price, abs(lots), symbol=symbol),
        limit(account, side, price, abs(lots), symbol=symbol, time_in_force=TimeInForce.IOC),
    )
