"""Hedge mode over random flows (hypothesis state machine): traders in hedge mode open and close LONG
and SHORT legs on two symbols, cross and isolated, with close-position stops, through mark moves that
liquidate and auto-deleverage, funding and transfers. After every command money is conserved
(``check_invariants``: wallets, isolated margin of every leg, fees, insurance funds and the legs'
entry notional against net deposits), no leg is left below maintenance, and a second engine fed the
same commands reaches the same state hash (determinism, the replay guarantee).
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from paperex.engine.accounts import HEDGE, MarginMode
from paperex.engine.commands import (
    AdvanceTime,
    CancelAllOrders,
    Command,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    SetPositionMode,
    Withdraw,
)
from paperex.engine.engine import Engine
from paperex.engine.liquidation import cross_breach, isolated_breach
from paperex.engine.orders import LONG, SHORT, OrderType, Side, TimeInForce
from paperex.engine.units import SCALE
from paperex.engine.views import legs_of

MARKET_MAKER = 100
TRADERS = (1, 2, 3)
ONE_WAY_TRADER = 4
"""Trades one-way beside the hedged traders, so both kinds meet in one book."""
START = {"BTCUSDT": 649_000, "ETHUSDT": 186_000}
HOUR = 3_600 * 10**9

symbols = st.sampled_from(sorted(START))
traders = st.sampled_from(TRADERS)
sides = st.sampled_from(list(Side))
legs = st.sampled_from([LONG, SHORT])


class HedgeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine()
        self.twin = Engine()
        self.now = 1
        self.marks = dict(START)

    def apply(self, command: Command) -> None:
        command.ts = self.now
        self.engine.apply(command)
        self.twin.apply(command)
        self.engine.check_invariants()

    @initialize(funds=st.lists(st.integers(1_000, 50_000), min_size=len(TRADERS), max_size=len(TRADERS)))
    def open_accounts(self, funds: list[int]) -> None:
        for account_id, usdt in [*zip(TRADERS, funds, strict=True), (ONE_WAY_TRADER, 20_000), (MARKET_MAKER, 10**9)]:
            self.apply(CreateAccount(account_id=account_id, liquidatable=account_id != MARKET_MAKER))
            self.apply(Deposit(account_id=account_id, amount=usdt * SCALE))
        for account_id in TRADERS:
            self.apply(SetPositionMode(account_id=account_id, mode=HEDGE))
        for symbol, price in START.items():
            self.apply(SetMarkPrice(symbol=symbol, price=price))
            self.quote(symbol)

    def quote(self, symbol: str) -> None:
        """The market maker re-quotes ten levels a side around the mark (0.1% apart)."""
        self.apply(CancelAllOrders(account_id=MARKET_MAKER, symbol=symbol))
        mark = self.marks[symbol]
        for level in range(1, 11):
            for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
                price = mark + sign * mark * level // 1_000
                self.apply(
                    PlaceOrder(
                        account_id=MARKET_MAKER,
                        symbol=symbol,
                        side=side,
                        order_type=OrderType.LIMIT,
                        quantity=20_000,
                        price=price,
                    )
                )

    @rule(account=traders, symbol=symbols, mode=st.sampled_from(list(MarginMode)), leverage=st.integers(1, 75))
    def configure(self, account: int, symbol: str, mode: MarginMode, leverage: int) -> None:
        self.apply(SetMarginMode(account_id=account, symbol=symbol, mode=mode))
        self.apply(SetLeverage(account_id=account, symbol=symbol, leverage=leverage))

    @rule(
        account=st.sampled_from((*TRADERS, ONE_WAY_TRADER)),
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

    @rule(account=traders, symbol=symbols, leg=legs, offset=st.integers(1, 500))
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

    @rule()
    def funding(self) -> None:
        self.now += 8 * HOUR
        self.apply(AdvanceTime(ts=self.now))

    @rule(account=traders, usdt=st.integers(1, 20_000), deposit=st.booleans())
    def transfer(self, account: int, usdt: int, deposit: bool) -> None:
        kind = Deposit if deposit else Withdraw
        self.apply(kind(account_id=account, amount=usdt * SCALE))

    @invariant()
    def nobody_is_left_below_maintenance(self) -> None:
        markets = self.engine.markets
        for account in self.engine.accounts.values():
            if not account.liquidatable:
                continue
            assert cross_breach(account, markets) is None
            for symbol, leg, position in legs_of(account):
                if position.size and account.settings[symbol].mode is MarginMode.ISOLATED:
                    assert not isolated_breach(account, symbol, markets, leg)

    @invariant()
    def legs_keep_their_direction(self) -> None:
        for account_id in TRADERS:
            account = self.engine.accounts.get(account_id)
            if account is not None:
                assert all(p.size >= 0 for p in account.positions.values())
                assert all(p.size <= 0 for p in account.short_legs.values())

    @invariant()
    def the_same_commands_reach_the_same_state(self) -> None:
        assert self.twin.state_hash() == self.engine.state_hash()


HedgeMachine.TestCase.settings = settings(HedgeMachine.TestCase.settings, stateful_step_count=30)
TestHedgeMachine = HedgeMachine.TestCase
