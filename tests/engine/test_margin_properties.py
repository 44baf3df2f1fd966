"""Margin invariants over random trading and price paths (hypothesis state machine).

After every command: money is conserved (``check_invariants``: wallets + isolated margin + fees +
insurance fund, with open positions at their entry notional, equals net deposits), no account is left
at or below maintenance (a liquidation pass always finishes the job), and an isolated liquidation
moves neither the cross wallet nor any other position. Prices move by admin marks and by index
updates (the mark then follows by the venue median); the market maker is an exchange-internal account,
which no margin check touches.
"""

from hypothesis import event as hypothesis_event
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import (
    AdvanceTime,
    CancelAllOrders,
    Command,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetIndexPrice,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    Withdraw,
)
from paperex.engine.engine import Engine
from paperex.engine.events import LiquidationTriggered, PositionDeleveraged, TradeExecuted
from paperex.engine.liquidation import cross_breach, isolated_breach
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.units import SCALE

MARKET_MAKER = 100
TRADERS = (1, 2, 3, 4)
START = {"BTCUSDT": 649_000, "ETHUSDT": 186_000}
SECOND = 10**9
HOUR = 3_600 * SECOND

symbols = st.sampled_from(sorted(START))
traders = st.sampled_from(TRADERS)
sides = st.sampled_from(list(Side))


class MarginMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine()
        self.now = 1
        self.marks = dict(START)

    def apply(self, command: Command) -> list[object]:
        command.ts = self.now
        events = self.engine.apply(command)
        self.engine.check_invariants()
        return list(events)

    @initialize(
        funds=st.lists(st.integers(500, 50_000), min_size=len(TRADERS), max_size=len(TRADERS)),
        books=st.lists(
            st.tuples(symbols, sides, st.sampled_from(list(MarginMode))), min_size=len(TRADERS), max_size=len(TRADERS)
        ),
    )
    def open_accounts(self, funds: list[int], books: list[tuple[str, Side, MarginMode]]) -> None:
        """Every trader starts leveraged: about 15x its deposit (at 20x) in one direction, so that
        moderate moves already liquidate someone."""
        for account_id, usdt in [*zip(TRADERS, funds, strict=True), (MARKET_MAKER, 10**9)]:
            self.apply(CreateAccount(account_id=account_id, liquidatable=account_id != MARKET_MAKER))
            self.apply(Deposit(account_id=account_id, amount=usdt * SCALE))
        for symbol, price in START.items():
            self.apply(SetMarkPrice(symbol=symbol, price=price))
            self.quote(symbol)
        for account_id, usdt, (symbol, side, mode) in zip(TRADERS, funds, books, strict=True):
            self.apply(SetMarginMode(account_id=account_id, symbol=symbol, mode=mode))
            unit = self.engine.markets[symbol].notional_unit
            lots = usdt * 15 * SCALE // (START[symbol] * unit)
            self.apply(
                PlaceOrder(
                    account_id=account_id, symbol=symbol, side=side, order_type=OrderType.MARKET, quantity=max(lots, 1)
                )
            )

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

    @rule(
        account=traders,
        symbol=symbols,
        side=sides,
        lots=st.integers(1, 3_000),
        market=st.booleans(),
        offset=st.integers(-30, 30),
    )
    def trade(self, account: int, symbol: str, side: Side, lots: int, market: bool, offset: int) -> None:
        if market:
            self.apply(
                PlaceOrder(account_id=account, symbol=symbol, side=side, order_type=OrderType.MARKET, quantity=lots)
            )
        else:
            price = self.marks[symbol] + self.marks[symbol] * offset // 10_000
            self.apply(
                PlaceOrder(
                    account_id=account,
                    symbol=symbol,
                    side=side,
                    order_type=OrderType.LIMIT,
                    quantity=lots,
                    price=price,
                    time_in_force=TimeInForce.GTC,
                )
            )

    @rule(account=traders, symbol=symbols, side=sides)
    def close(self, account: int, symbol: str, side: Side) -> None:
        self.apply(
            PlaceOrder(
                account_id=account,
                symbol=symbol,
                side=side,
                order_type=OrderType.MARKET,
                quantity=3_000,
                reduce_only=True,
            )
        )

    @rule(symbol=symbols, move=st.integers(-1_500, 1_500))
    def move_mark(self, symbol: str, move: int) -> None:
        """The mark moves by up to 15%. An isolated liquidation never costs the cross wallet (it may only
        get margin back from a partial close) and leaves the account's other positions alone."""
        before = {
            a: (acct.wallet, {s: p.isolated_wallet for s, p in acct.positions.items() if s != symbol})
            for a, acct in self.engine.accounts.items()
        }
        self.marks[symbol] = max(self.marks[symbol] * (10_000 + move) // 10_000, 10_000)
        events = self.apply(SetMarkPrice(symbol=symbol, price=self.marks[symbol]))
        liquidated = [e for e in events if isinstance(e, LiquidationTriggered)]
        cross_hit = {e.account_id for e in liquidated if not e.symbol}
        for event in liquidated:
            hypothesis_event("isolated liquidation" if event.symbol else "cross liquidation")
        # An account whose resting order was filled, or whose position was auto-deleveraged against
        # someone else's bankrupt one, in the same command (often set off by its own liquidation's
        # fills) moved money for that reason too; only pure liquidations are compared.
        makers = {e.maker_account_id for e in events if isinstance(e, TradeExecuted)}
        deleveraged = {e.account_id for e in events if isinstance(e, PositionDeleveraged)}
        for event in liquidated:
            if event.symbol and event.account_id not in cross_hit | makers | deleveraged:
                account = self.engine.accounts[event.account_id]
                others = {s: p.isolated_wallet for s, p in account.positions.items() if s != symbol}
                wallet_before, others_before = before[event.account_id]
                assert account.wallet >= wallet_before
                assert others == others_before
        self.quote(symbol)

    @rule(symbol=symbols, move=st.integers(-1_500, 1_500))
    def move_index(self, symbol: str, move: int) -> None:
        """The index moves by up to 15% a second later; the mark follows by the median of the index,
        index + the basis of the maker's quotes, and the last price; the maker re-quotes around it."""
        self.now += SECOND
        index = max(self.marks[symbol] * (10_000 + move) // 10_000, 10_000)
        events = self.apply(SetIndexPrice(symbol=symbol, price=index))
        if any(isinstance(e, LiquidationTriggered) for e in events):
            hypothesis_event("liquidation by an index move")
        self.marks[symbol] = self.engine.markets[symbol].mark_price
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
            for symbol, position in account.positions.items():
                if position.size and account.settings[symbol].mode is MarginMode.ISOLATED:
                    assert not isolated_breach(account, symbol, markets)


MarginMachine.TestCase.settings = settings(MarginMachine.TestCase.settings, stateful_step_count=30)
TestMarginMachine = MarginMachine.TestCase
