"""The read models queries answer from are the engine's state, folded from events alone: after every
command of a seeded random flow (limit, market, stop, take-profit and trailing orders, amends, cancels,
mark moves that fire triggers and liquidate a 100x account, leverage and margin-mode changes, isolated
margin, deposits, funding, insurance top-ups; in some flows the exchange's liquidity provider quotes
too), each read model agrees with the engine for every account and symbol."""

import random
from collections.abc import Callable, Iterator

import pytest

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AdvanceTime,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Deposit,
    FundInsurance,
    PlaceOrder,
    SetIndexPrice,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
)
from paperex.engine.events import (
    BookLevelChanged,
    LiquidationTriggered,
    OrderAmended,
    OrderTriggered,
    PositionDeleveraged,
    SettingsChanged,
    TradeExecuted,
    TrailingStopMoved,
)
from paperex.engine.funding import next_boundary
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side, TimeInForce, TriggerBy
from paperex.engine.risk import estimated_price, preview
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.exchange_commands import MarketStep, OpenAccount, SetLiquidityProvider
from paperex.server.core.tape import ExchangeCommand

Flow = tuple[int, bool]
"""A random flow: its seed, and whether the exchange's liquidity provider quotes."""
FLOWS: tuple[Flow, ...] = ((1, False), (2, False), (3, False), (1, True), (3, True))
COMMANDS = 600
USDT = 10**8
MINUTE_NS = 60 * 10**9
START_NS = 1_700_000_000 * 10**9
CENTRES = {"BTCUSDT": 649_000, "ETHUSDT": 186_000}
"""Mark prices (ticks) the flow starts at: 64,900.0 and 1,860.00."""
LOTS = {"BTCUSDT": (2, 5, 10, 50), "ETHUSDT": (20, 50, 100, 500)}
"""Order sizes (lots of 0.001) above each symbol's minimum notional."""
DEPOSITS = (1_000_000, 50_000, 20_000, 500)
"""USDT of the four accounts: a deep maker, two traders, and a small one at 100x that trades most and
that mark moves liquidate."""
WHOLE_BOOK = 2**32


def random_flow(seed: int, provider: bool, open_ids: Callable[[int, str], list[int]]) -> Iterator[ExchangeCommand]:
    """The accounts (and the exchange's liquidity provider when ``provider``), then ``COMMANDS`` random
    commands on a small price grid around the marks; amends and cancels mostly name one of the account's
    open orders (``open_ids``)."""
    rng = random.Random(seed)
    for number, deposit in enumerate(DEPOSITS, start=1):
        yield OpenAccount(name=f"a{number}", key_hash=f"k{number}", deposit=deposit * USDT)
    for symbol, centre in CENTRES.items():
        yield SetIndexPrice(symbol=symbol, price=centre)
        yield SetMarkPrice(symbol=symbol, price=centre)
        yield SetLeverage(account_id=len(DEPOSITS), symbol=symbol, leverage=100)
    if provider:
        yield SetLiquidityProvider(enabled=True)
    marks = dict(CENTRES)
    accounts = (1, 2, 3, 4, 4)
    for _ in range(COMMANDS):
        symbol = rng.choice(list(CENTRES))
        account = rng.choice(accounts)
        side = rng.choice((Side.BUY, Side.SELL))
        near = marks[symbol] + rng.randint(-20, 20) * (marks[symbol] // 2_000)
        lots = rng.choice(LOTS[symbol])
        roll = rng.random()
        if roll < 0.35:
            tif = rng.choice((TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.GTX))
            yield PlaceOrder(
                account_id=account,
                symbol=symbol,
                side=side,
                order_type=OrderType.LIMIT,
                quantity=lots,
                price=near,
                time_in_force=tif,
                reduce_only=rng.random() < 0.1,
            )
        elif roll < 0.45:
            yield PlaceOrder(account_id=account, symbol=symbol, side=side, order_type=OrderType.MARKET, quantity=lots)
        elif roll < 0.55:
            kind = rng.choice((OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_LIMIT, OrderType.TRAILING_STOP_MARKET))
            trailing = kind is OrderType.TRAILING_STOP_MARKET
            yield PlaceOrder(
                account_id=account,
                symbol=symbol,
                side=side,
                order_type=kind,
                quantity=lots,
                price=near if kind is OrderType.TAKE_PROFIT_LIMIT else 0,
                stop_price=0 if trailing else near,
                trigger_by=rng.choice((TriggerBy.MARK, TriggerBy.LAST)),
                callback_bps=rng.choice((10, 50)) if trailing else 0,
            )
        elif roll < 0.62:
            order_id = rng.choice(open_ids(account, symbol) or [1])
            yield AmendOrder(account_id=account, symbol=symbol, order_id=order_id, quantity=lots, price=near)
        elif roll < 0.68:
            yield CancelOrder(account_id=account, symbol=symbol, order_id=rng.choice(open_ids(account, symbol) or [1]))
        elif roll < 0.70:
            yield CancelAllOrders(account_id=account, symbol=symbol)
        elif roll < 0.82:
            marks[symbol] = marks[symbol] * rng.randint(950, 1_050) // 1_000
            yield SetMarkPrice(symbol=symbol, price=marks[symbol])
        elif roll < 0.86:
            yield SetLeverage(account_id=account, symbol=symbol, leverage=rng.choice((1, 5, 20, 50, 100)))
        elif roll < 0.89:
            yield SetMarginMode(account_id=account, symbol=symbol, mode=rng.choice(list(MarginMode)))
        elif roll < 0.92:
            amount = rng.choice((-50, 20, 100)) * USDT
            yield AdjustIsolatedMargin(account_id=account, symbol=symbol, amount=amount)
        elif roll < 0.95:
            yield Deposit(account_id=account, amount=rng.choice((10, 1_000)) * USDT)
        elif roll < 0.97:
            yield FundInsurance(symbol=symbol, amount=100 * USDT)
        elif roll < 0.985:
            yield AdvanceTime(ts=0)
        else:
            yield MarketStep()


def run(flow: Flow) -> Iterator[tuple[Exchange, Applied]]:
    """The flow applied to a fresh exchange, command by command (a minute apart, so funding falls due)."""
    exchange = Exchange(DEFAULT_INSTRUMENTS)

    def open_ids(account_id: int, symbol: str) -> list[int]:
        return [o.order_id for o in exchange.engine.open_orders(account_id, symbol)]

    for step, command in enumerate(random_flow(*flow, open_ids)):
        command.ts = START_NS + step * MINUTE_NS
        yield exchange, exchange.apply(command)


@pytest.fixture(scope="module", params=FLOWS, ids=lambda flow: f"seed{flow[0]}{'-provider' * flow[1]}")
def flow(request: pytest.FixtureRequest) -> Flow:
    seed, provider = request.param
    return seed, provider


def test_the_flow_reaches_what_the_read_models_fold(flow: Flow) -> None:
    """What the comparisons stand on: the flow trades, fires conditional orders and liquidates; without the
    liquidity provider the book runs dry and auto-deleverages, with it the provider's own account (never
    liquidated, outside the ADL queues) holds positions and quotes."""
    kinds: set[type] = set()
    internal_held = False
    for exchange, applied in run(flow):
        kinds.update(type(event) for event in applied.events)
        engine = exchange.engine
        holders = (account_id for symbol in CENTRES for account_id in engine.markets[symbol].holders)
        internal_held |= any(not engine.accounts[account_id].liquidatable for account_id in holders)
    assert {
        TradeExecuted,
        OrderAmended,
        OrderTriggered,
        TrailingStopMoved,
        SettingsChanged,
        LiquidationTriggered,
    } <= kinds
    _, provider = flow
    assert (PositionDeleveraged in kinds) is not provider
    assert internal_held is provider


def test_open_orders_are_the_engine_s(flow: Flow) -> None:
    """Each account's open orders on each symbol, with the fields a fill, an amend, a trigger or a
    trailing move changes, after every command."""
    for exchange, applied in run(flow):
        for account_id in exchange.engine.accounts:
            for symbol in CENTRES:
                live = sorted(exchange.engine.open_orders(account_id, symbol), key=lambda o: o.order_id)
                expected = [(o.order_id, o.quantity, o.filled, o.price, o.stop_price, o.triggered) for o in live]
                folded = [
                    (r.order_id, r.quantity, r.filled, r.price, r.stop_price, r.triggered)
                    for r in exchange.history.open_orders(account_id, symbol)
                ]
                assert folded == expected, (applied.command, account_id, symbol)


def test_books_are_the_engine_s(flow: Flow) -> None:
    """Every level of each side and the best prices after every command; the book's sequence counts the
    commands that moved the symbol's book."""
    moved = dict.fromkeys(CENTRES, 0)
    for exchange, applied in run(flow):
        for symbol in {e.symbol for e in applied.events if isinstance(e, BookLevelChanged)}:
            moved[symbol] += 1
        for symbol in CENTRES:
            assert exchange.books.depth(symbol, WHOLE_BOOK) == exchange.engine.depth(symbol, WHOLE_BOOK)
            book = exchange.engine.markets[symbol].book
            assert [exchange.books.best_price(symbol, side) for side in Side] == [book.best_price(s) for s in Side]
        assert exchange.books.sequence == moved


def test_account_figures_are_the_engine_s(flow: Flow) -> None:
    """Every account's summary (wallets, margins, available balance, each position's figures), its settings
    on every symbol, and each symbol's ADL quantiles and open interest, after every command."""
    for exchange, applied in run(flow):
        engine, accounts = exchange.engine, exchange.margin_accounts
        for account_id, account in engine.accounts.items():
            assert accounts.summary(account_id) == engine.summary(account_id), applied.command
            for symbol in CENTRES:
                settings = accounts.settings(account_id, symbol)
                expected = account.peek_setting(symbol)
                assert (settings.mode, settings.leverage) == (expected.mode, expected.leverage)
        for symbol in CENTRES:
            assert accounts.adl_quantiles(symbol) == engine.adl_quantiles(symbol), applied.command
            assert accounts.open_interest(symbol) == exchange_open_interest(exchange, symbol)


def exchange_open_interest(exchange: Exchange, symbol: str) -> int:
    """The engine's long lots (read without creating a position, as ``Engine.position`` would)."""
    held = (account.positions.get(symbol) for account in exchange.engine.accounts.values())
    return sum(max(0, position.size) for position in held if position is not None)


def test_previews_from_the_read_models_are_the_engine_s(flow: Flow) -> None:
    """A buy and a sell of each account on each symbol, at the mark and at market (the opposite touch),
    previewed from the read models with the engine's function, equal the engine's own preview, after
    every tenth command."""
    for step, (exchange, _) in enumerate(run(flow)):
        if step % 10:
            continue
        engine, accounts, books = exchange.engine, exchange.margin_accounts, exchange.books
        for account_id in engine.accounts:
            for symbol, lots in ((s, LOTS[s][1]) for s in CENTRES):
                market = accounts.market(symbol)
                for side in Side:
                    for price in (market.mark_price, 0):
                        estimate = price or estimated_price(market, books.best_price(symbol, side.opposite))
                        folded = preview(accounts.account(account_id), accounts.markets(), symbol, side, lots, estimate)
                        assert folded == engine.preview(account_id, symbol, side, lots, price)


def test_prices_funds_and_the_ledger_are_the_engine_s(flow: Flow) -> None:
    """Each symbol's last, mark and index price, funding rate, next funding time and insurance fund, and the
    money ledger (every term), after every command."""
    for exchange, applied in run(flow):
        engine, results = exchange.engine, exchange.results
        for symbol, market in engine.markets.items():
            folded = results.margin_accounts.market(symbol)
            assert (folded.last_price, folded.mark_price) == (market.last_price, market.mark_price)
            assert results.prices.index_and_mark(symbol) == (market.index_price, market.mark_price)
            assert results.prices.funding_rate.get(symbol, 0) == market.funding_rate
            assert next_boundary(results.now, market.instrument.funding_interval_hours) == market.next_funding
            assert results.funds.insurance[symbol] == market.insurance_fund
        assert results.funds.ledger(results.margin_accounts) == engine.ledger(), applied.command
        assert results.now == engine.now
