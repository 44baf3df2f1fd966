"""Matching invariants over random command sequences (hypothesis state machine).

After every command: the book is not crossed and its structure is sound (``check_invariants``); every
order's quantity is accounted for (filled + resting remainder, or filled + the remainder its end event
reported); no finished order rests or fills again; every trade is at the maker's resting price and
within the taker's limit. At the end, replaying the same commands on a fresh engine gives the same
serialized events byte for byte and the same state hash.
"""

from dataclasses import dataclass, replace

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from paperex.engine.commands import AmendOrder, CancelOrder, Command, CreateAccount, Deposit, PlaceOrder, SetMarkPrice
from paperex.engine.engine import Engine
from paperex.engine.events import (
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    TradeExecuted,
    serialize,
)
from paperex.engine.orders import OrderType, SelfTradePrevention, Side, TimeInForce
from paperex.engine.units import SCALE

SYMBOL = "BTCUSDT"
MID = 649_000
ACCOUNTS = (1, 2, 3)


@dataclass
class Tracked:
    side: Side
    limit: int  # 0 for market orders
    quantity: int
    filled: int = 0
    ended_with: int | None = None  # remaining reported by OrderCanceled/OrderExpired


class MatchingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine()
        self.tape: list[Command] = []
        self.events: list[Event] = []
        self.orders: dict[int, Tracked] = {}
        self.now = 0

    def apply(self, command: Command) -> None:
        self.now += 1
        command = replace(command, ts=self.now)
        self.tape.append(command)
        events = self.engine.apply(command)
        self.events += events
        self.engine.check_invariants()
        self.account_for(events)

    def account_for(self, events: list[Event]) -> None:
        limits: dict[int, int] = {}
        for event in events:
            if isinstance(event, OrderAccepted):
                self.orders[event.order_id] = Tracked(event.side, event.price, event.quantity)
            elif isinstance(event, OrderAmended):
                tracked = self.orders[event.order_id]
                tracked.quantity, tracked.limit = event.quantity, event.price
            elif isinstance(event, TradeExecuted):
                limits[event.trade_id] = event.price
            elif isinstance(event, OrderFilled):
                tracked = self.orders[event.order_id]
                assert tracked.ended_with is None, "a finished order filled again"
                tracked.filled += event.quantity
                assert tracked.filled == event.filled
                if tracked.limit:  # the trade respects this order's limit
                    assert event.price <= tracked.limit if tracked.side is Side.BUY else event.price >= tracked.limit
                if event.is_maker:
                    assert event.price == tracked.limit, "a maker fills at its resting price"
            elif isinstance(event, OrderCanceled | OrderExpired):
                tracked = self.orders[event.order_id]
                assert tracked.ended_with is None, "an order ended twice"
                tracked.ended_with = event.remaining

    @initialize()
    def open_accounts(self) -> None:
        for account_id in ACCOUNTS:
            self.apply(CreateAccount(account_id=account_id))
            self.apply(Deposit(account_id=account_id, amount=10**9 * SCALE))
        self.apply(SetMarkPrice(symbol=SYMBOL, price=MID))

    @rule(
        account=st.sampled_from(ACCOUNTS),
        side=st.sampled_from(list(Side)),
        offset=st.integers(-20, 20),
        lots=st.integers(2, 40),
        tif=st.sampled_from(list(TimeInForce)),
        stp=st.sampled_from(list(SelfTradePrevention)),
    )
    def place_limit(
        self, account: int, side: Side, offset: int, lots: int, tif: TimeInForce, stp: SelfTradePrevention
    ) -> None:
        expire = self.now + 5 if tif is TimeInForce.GTD else 0
        self.apply(
            PlaceOrder(
                account_id=account,
                symbol=SYMBOL,
                side=side,
                order_type=OrderType.LIMIT,
                quantity=lots,
                price=MID + offset,
                time_in_force=tif,
                stp=stp,
                expire_at=expire,
            )
        )

    @rule(account=st.sampled_from(ACCOUNTS), side=st.sampled_from(list(Side)), lots=st.integers(2, 80))
    def place_market(self, account: int, side: Side, lots: int) -> None:
        self.apply(PlaceOrder(account_id=account, symbol=SYMBOL, side=side, order_type=OrderType.MARKET, quantity=lots))

    def resting(self) -> list[int]:
        return sorted(self.engine.markets[SYMBOL].book.orders)

    @precondition(lambda self: bool(self.resting()))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = self.engine.order(data.draw(st.sampled_from(self.resting())))
        assert order is not None
        self.apply(CancelOrder(account_id=order.account_id, symbol=SYMBOL, order_id=order.order_id))

    @precondition(lambda self: bool(self.resting()))
    @rule(data=st.data(), offset=st.integers(-20, 20), lots=st.integers(0, 40))
    def amend(self, data: st.DataObject, offset: int, lots: int) -> None:
        order = self.engine.order(data.draw(st.sampled_from(self.resting())))
        assert order is not None
        self.apply(
            AmendOrder(
                account_id=order.account_id, symbol=SYMBOL, order_id=order.order_id, quantity=lots, price=MID + offset
            )
        )

    @invariant()
    def every_lot_is_accounted_for(self) -> None:
        book = self.engine.markets[SYMBOL].book.orders
        for order_id, tracked in self.orders.items():
            if order_id in book:
                assert tracked.ended_with is None, "a finished order is still resting"
                assert tracked.quantity == tracked.filled + book[order_id].remaining
            elif tracked.ended_with is not None:
                assert tracked.quantity == tracked.filled + tracked.ended_with
            else:
                assert tracked.filled == tracked.quantity, "an order vanished without ending"

    def teardown(self) -> None:
        replay = Engine()
        replayed = [event for command in self.tape for event in replay.apply(command)]
        assert [serialize(e) for e in replayed] == [serialize(e) for e in self.events]
        assert replay.state_hash() == self.engine.state_hash()


TestMatchingMachine = MatchingMachine.TestCase
