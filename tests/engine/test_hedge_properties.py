"""Hedge mode over random flows (hypothesis state machine): traders in hedge mode open and close LONG
and SHORT legs on two symbols, cross and isolated, with close-position stops, through mark moves that
liquidate and auto-deleverage, funding and transfers. After every command money is conserved
(``check_invariants``: wallets, isolated margin of every leg, fees, insurance funds and the legs'
entry notional against net deposits), no leg is left below maintenance, and a second engine fed the
same commands reaches the same state hash (determinism, the replay guarantee).
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from paperex.engine.accounts import HEDGE
from paperex.engine.commands import Command, PlaceOrder, SetMarkPrice, SetPositionMode
from paperex.engine.engine import Engine
from paperex.engine.events import Event
from paperex.engine.orders import LONG, SHORT, OrderType, Side, TimeInForce

from .margin_machine import MarginRules, sides, symbols

HEDGED = (1, 2, 3)
ONE_WAY_TRADER = 4
"""Trades one-way beside the hedged traders, so both kinds meet in one book."""

hedged_traders = st.sampled_from(HEDGED)
legs = st.sampled_from([LONG, SHORT])


class HedgeMachine(MarginRules):
    """Hedge-mode traders beside a one-way one, with the shared rules (``margin_machine``), and a twin
    engine fed every command."""

    def __init__(self) -> None:
        super().__init__()
        self.twin = Engine()

    def apply(self, command: Command) -> list[Event]:
        events = super().apply(command)
        self.twin.apply(command)
        return events

    @initialize(funds=st.lists(st.integers(1_000, 50_000), min_size=len(HEDGED), max_size=len(HEDGED)))
    def open_accounts(self, funds: list[int]) -> None:
        self.open_market([*zip(HEDGED, funds, strict=True), (ONE_WAY_TRADER, 20_000)])
        for account_id in HEDGED:
            self.apply(SetPositionMode(account_id=account_id, mode=HEDGE))

    @rule(
        account=st.sampled_from((*HEDGED, ONE_WAY_TRADER)),
        symbol=symbols,
        side=sides,
        leg=legs,
        lots=st.integers(1, 3_000),
        resting=st.booleans(),
        offset=st.integers(-30, 30),
    )
    def trade(self, account: int, symbol: str, side: Side, leg: object, lots: int, resting: bool, offset: int) -> None:
        """A market or limit order on a leg (one-way for the one-way trader); closing more than the leg
        holds is refused, which changes nothing."""
        hedged = {} if account == ONE_WAY_TRADER else {"position_side": leg}
        if resting:
            price = self.marks[symbol] + self.marks[symbol] * offset // 10_000
            order = PlaceOrder(
                account_id=account,
                symbol=symbol,
                side=side,
                order_type=OrderType.LIMIT,
                quantity=lots,
                price=price,
                time_in_force=TimeInForce.GTC,
                **hedged,  # type: ignore[arg-type]
            )
        else:
            order = PlaceOrder(
                account_id=account,
                symbol=symbol,
                side=side,
                order_type=OrderType.MARKET,
                quantity=lots,
                **hedged,  # type: ignore[arg-type]
            )
        self.apply(order)

    @rule(account=hedged_traders, symbol=symbols, leg=legs, offset=st.integers(1, 500))
    def protect(self, account: int, symbol: str, leg: object, offset: int) -> None:
        """A close-position stop on a leg, ``offset`` basis points against it."""
        side = Side.SELL if leg is LONG else Side.BUY
        stop = self.marks[symbol] - side * self.marks[symbol] * offset // 10_000
        self.apply(
            PlaceOrder(
                account_id=account,
                symbol=symbol,
                side=side,
                order_type=OrderType.STOP_MARKET,
                stop_price=stop,
                close_position=True,
                position_side=leg,  # type: ignore[arg-type]
            )
        )

    @rule(symbol=symbols, move=st.integers(-1_500, 1_500))
    def move_mark(self, symbol: str, move: int) -> None:
        self.marks[symbol] = max(self.marks[symbol] * (10_000 + move) // 10_000, 10_000)
        self.apply(SetMarkPrice(symbol=symbol, price=self.marks[symbol]))
        self.quote(symbol)

    @invariant()
    def legs_keep_their_direction(self) -> None:
        for account_id in HEDGED:
            account = self.engine.accounts.get(account_id)
            if account is not None:
                assert all(p.size >= 0 for p in account.positions.values())
                assert all(p.size <= 0 for p in account.short_legs.values())

    @invariant()
    def the_same_commands_reach_the_same_state(self) -> None:
        assert self.twin.state_hash() == self.engine.state_hash()


HedgeMachine.TestCase.settings = settings(HedgeMachine.TestCase.settings, stateful_step_count=30)
TestHedgeMachine = HedgeMachine.TestCase
