"""What the margin state machines (``test_margin_properties``, ``test_hedge_properties``) share: an
engine whose exchange-internal market maker quotes around the marks, the rules that configure
margin, settle funding and move money, and the invariant that no position (no hedge leg) is left at
or below maintenance. Every command is checked with ``check_invariants`` (money conservation and the
engine's structures) as it is applied.
"""

from collections.abc import Iterable

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from paperex.engine.accounts import MarginMode
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
    Withdraw,
)
from paperex.engine.engine import Engine
from paperex.engine.events import Event
from paperex.engine.liquidation import cross_breach, isolated_breach
from paperex.engine.orders import OrderType, Side
from paperex.engine.units import SCALE
from paperex.engine.views import legs_of

MARKET_MAKER = 100
TRADERS = (1, 2, 3, 4)
"""The accounts the shared rules configure and fund (a machine may trade them in its own ways)."""
START = {"BTCUSDT": 649_000, "ETHUSDT": 186_000}
SECOND = 10**9
HOUR = 3_600 * SECOND

symbols = st.sampled_from(sorted(START))
traders = st.sampled_from(TRADERS)
sides = st.sampled_from(list(Side))


class MarginRules(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine()
        self.now = 1
        self.marks = dict(START)

    def apply(self, command: Command) -> list[Event]:
        command.ts = self.now
        events = self.engine.apply(command)
        self.engine.check_invariants()
        return list(events)

    def open_market(self, deposits: Iterable[tuple[int, int]]) -> None:
        """Each (account, USDT) opened and funded, the market maker with 10^9 USDT, the marks set at
        ``START`` and quoted."""
        for account_id, usdt in [*deposits, (MARKET_MAKER, 10**9)]:
            self.apply(CreateAccount(account_id=account_id, liquidatable=account_id != MARKET_MAKER))
            self.apply(Deposit(account_id=account_id, amount=usdt * SCALE))
        for symbol, price in START.items():
            self.apply(SetMarkPrice(symbol=symbol, price=price))
            self.quote(symbol)

    def quote(self, symbol: str) -> None:
        """The market maker re-quotes ten levels a side around the mark (0.1% apart)."""
        self.apply(CancelAllOrders(account_id=MARKET_MAKER, symbol=symbol))
        mark = self.marks[symbol]
        for level in range(1, 11):
            for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
                self.apply(
                    PlaceOrder(
                        account_id=MARKET_MAKER,
                        symbol=symbol,
                        side=side,
                        order_type=OrderType.LIMIT,
                        quantity=20_000,
                        price=mark + sign * mark * level // 1_000,
                    )
                )

    @rule(account=traders, symbol=symbols, mode=st.sampled_from(list(MarginMode)), leverage=st.integers(1, 75))
    def configure(self, account: int, symbol: str, mode: MarginMode, leverage: int) -> None:
        self.apply(SetMarginMode(account_id=account, symbol=symbol, mode=mode))
        self.apply(SetLeverage(account_id=account, symbol=symbol, leverage=leverage))

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
