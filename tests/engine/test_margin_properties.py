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
from hypothesis.stateful import initialize, rule

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import PlaceOrder, SetIndexPrice, SetMarginMode, SetMarkPrice
from paperex.engine.events import LiquidationTriggered, PositionDeleveraged, TradeExecuted
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.units import SCALE

from .margin_machine import SECOND, START, TRADERS, MarginRules, sides, symbols, traders


class MarginMachine(MarginRules):
    """One-way traders, cross and isolated, with the shared rules (``margin_machine``)."""

    @initialize(
        funds=st.lists(st.integers(500, 50_000), min_size=len(TRADERS), max_size=len(TRADERS)),
        books=st.lists(
            st.tuples(symbols, sides, st.sampled_from(list(MarginMode))), min_size=len(TRADERS), max_size=len(TRADERS)
        ),
    )
    def open_accounts(self, funds: list[int], books: list[tuple[str, Side, MarginMode]]) -> None:
        """Every trader starts leveraged: about 15x its deposit (at 20x) in one direction, so that
        moderate moves already liquidate someone."""
        self.open_market(zip(TRADERS, funds, strict=True))
        for account_id, usdt, (symbol, side, mode) in zip(TRADERS, funds, books, strict=True):
            self.apply(SetMarginMode(account_id=account_id, symbol=symbol, mode=mode))
            unit = self.engine.markets[symbol].notional_unit
            lots = usdt * 15 * SCALE // (START[symbol] * unit)
            self.apply(
                PlaceOrder(
                    account_id=account_id, symbol=symbol, side=side, order_type=OrderType.MARKET, quantity=max(lots, 1)
                )
            )

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


MarginMachine.TestCase.settings = settings(MarginMachine.TestCase.settings, stateful_step_count=30)
TestMarginMachine = MarginMachine.TestCase
