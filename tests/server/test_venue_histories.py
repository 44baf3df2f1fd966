"""The read models behind the venue API's histories, folded from events alone: settled funding rates with
the mark they were charged at, the public tape and its aggregate trades, an account's own margin moves."""

from paperex.engine.commands import AdjustIsolatedMargin
from paperex.engine.events import (
    BalanceChanged,
    BalanceReason,
    FundingRateSettled,
    MarkPriceChanged,
    OrderRejected,
    TradeExecuted,
)
from paperex.engine.orders import Side
from paperex.engine.reasons import RejectReason
from paperex.server.state.funding_history import FundingHistory, FundingRecord
from paperex.server.state.margin_adjustments import MarginAdjustments
from paperex.server.state.public_trades import AggregateTrade, PublicTrades

BTC, ETH = "BTCUSDT", "ETHUSDT"
HOUR = 3_600 * 10**9
EVER = 2**63


def trade(trade_id: int, price: int, lots: int, taker: int, aggressor: Side = Side.BUY) -> TradeExecuted:
    return TradeExecuted(trade_id, BTC, price, lots, aggressor, 100 + trade_id, taker, 1, 2)


def test_funding_is_charged_at_the_mark_the_command_left_before_it() -> None:
    """A command that moves the mark to 650,000 ticks and then settles funding charges at 650,000, not at
    the 649,000 of the command before; a symbol never marked shows 0."""
    history = FundingHistory()
    history.fold(MarkPriceChanged(BTC, 649_000), 0, 1)
    history.fold(MarkPriceChanged(BTC, 650_000), 0, 8 * HOUR)
    history.fold(FundingRateSettled(BTC, 10_000, 16 * HOUR), 0, 8 * HOUR)
    history.fold(FundingRateSettled(ETH, -2_500, 16 * HOUR), 0, 8 * HOUR)

    assert [(r.symbol, r.rate, r.mark_price, r.time) for r in history.page([BTC, ETH], 0, EVER, 10, oldest=True)] == [
        (BTC, 10_000, 650_000, 8 * HOUR),
        (ETH, -2_500, 0, 8 * HOUR),
    ]


def test_funding_pages_by_time_across_symbols_and_keeps_the_newest() -> None:
    """Three funding times of BTCUSDT and one of ETHUSDT between them: every symbol's merged by time; the
    first two from the start, or the newest two; [8 h, 16 h) holds only the 8 h ones. With room for 2 a
    symbol keeps its newest 2 once a third comes."""
    history = FundingHistory()
    for hours in (8, 16, 24):
        history.fold(FundingRateSettled(BTC, hours, 0), 0, hours * HOUR)
    history.fold(FundingRateSettled(ETH, 1, 0), 0, 12 * HOUR)
    kept = FundingHistory(retained=2)
    for hours in (8, 16, 24):
        kept.fold(FundingRateSettled(BTC, hours, 0), 0, hours * HOUR)

    def times(records: list[FundingRecord]) -> list[tuple[str, int]]:
        return [(record.symbol, record.time // HOUR) for record in records]

    assert times(history.page([BTC, ETH], 0, EVER, 10, oldest=True)) == [(BTC, 8), (ETH, 12), (BTC, 16), (BTC, 24)]
    assert times(history.page([BTC], 0, EVER, 2, oldest=True)) == [(BTC, 8), (BTC, 16)]
    assert times(history.page([BTC], 0, EVER, 2, oldest=False)) == [(BTC, 16), (BTC, 24)]
    assert times(history.page([BTC, ETH], 8 * HOUR, 16 * HOUR, 10, oldest=True)) == [(BTC, 8), (ETH, 12)]
    assert times(kept.page([BTC], 0, EVER, 10, oldest=True)) == [(BTC, 16), (BTC, 24)]


def test_aggregate_trades_join_one_taker_orders_fills_at_one_price() -> None:
    """Taker order 7 fills 2 lots at 100 and 3 at 100 (one aggregate of 5, trades 1-2), then 1 at 101 (a
    new price: a new aggregate); taker order 8 sells 4 at 101 (another order: another aggregate, the
    buyer the maker). From aggregate 3 on: the last two; the newest one alone with size 1."""
    tape = PublicTrades()
    for event, ts in (
        (trade(1, 100, 2, 7), 10),
        (trade(2, 100, 3, 7), 10),
        (trade(3, 101, 1, 7), 10),
        (trade(4, 101, 4, 8, Side.SELL), 20),
    ):
        tape.record(event, ts)

    assert tape.aggregates(BTC, None, 0, EVER, 10) == [
        AggregateTrade(1, 2, 100, 5, False, 10),
        AggregateTrade(3, 3, 101, 1, False, 10),
        AggregateTrade(4, 4, 101, 4, True, 20),
    ]
    assert [a.first_id for a in tape.aggregates(BTC, 3, 0, EVER, 10)] == [3, 4]
    assert [a.first_id for a in tape.aggregates(BTC, None, 0, EVER, 1)] == [4]
    assert [a.first_id for a in tape.aggregates(BTC, None, 0, 15, 10)] == [1, 3]
    assert [t.trade_id for t in tape.recent(BTC, 2, 2)] == [2, 3]
    assert [t.trade_id for t in tape.recent(BTC, None, 2)] == [3, 4]


def test_only_a_margin_move_the_engine_made_is_recorded() -> None:
    """Adding 10 USDT (1e9 units) to BTCUSDT is recorded; a refused removal (its one event a rejection)
    is not; a move on ETHUSDT is not BTCUSDT's; the filter keeps additions or removals."""
    moves = MarginAdjustments()
    add = AdjustIsolatedMargin(account_id=1, symbol=BTC, amount=10**9)
    moves.fold(add, [BalanceChanged(1, BalanceReason.ISOLATED_MARGIN_TRANSFER, -(10**9), 0, BTC, 10**9, 10**9)], 5)
    remove = AdjustIsolatedMargin(account_id=1, symbol=BTC, amount=-(10**12))
    moves.fold(remove, [OrderRejected("AdjustIsolatedMargin", 1, BTC, RejectReason.MARGIN_REMOVAL_TOO_LARGE)], 6)
    eth = AdjustIsolatedMargin(account_id=1, symbol=ETH, amount=-(10**8))
    moves.fold(eth, [BalanceChanged(1, BalanceReason.ISOLATED_MARGIN_TRANSFER, 10**8, 0, ETH, -(10**8), 0)], 7)

    assert [(m.symbol, m.amount, m.time) for m in moves.page(1, BTC, None, 0, EVER, 10)] == [(BTC, 10**9, 5)]
    assert moves.page(1, BTC, False, 0, EVER, 10) == []
    assert [m.amount for m in moves.page(1, ETH, False, 0, EVER, 10)] == [-(10**8)]
