"""Every read model is built from the journaled commands alone: a replay of the journal into a fresh
exchange rebuilds each one exactly as the live exchange holds it (compared one by one, so a failure names
the read model that a replay does not rebuild)."""

from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest

from paperex.engine.commands import AdvanceTime, AmendOrder, CancelOrder, PlaceOrder, SetLeverage, SetMarkPrice
from paperex.engine.events import OrderAccepted
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side, TriggerBy
from paperex.server.core.exchange import Exchange
from paperex.server.core.exchange_commands import CreatePriceAlert, OpenAccount
from paperex.server.core.sequencer import recover
from paperex.server.core.state_hash import part_hash
from paperex.server.core.tape import encode
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.state.alerts import Direction
from paperex.server.state.candles import Interval

BTC = "BTCUSDT"
START_NS = 1_700_000_000 * 10**9
HOUR_NS = 3_600 * 10**9
USDT = 10**8
READ_MODELS = (
    "history",
    "income",
    "liquidations",
    "user_events",
    "candles",
    "ticker_stats",
    "alerts",
    "books",
    "results.prices",
    "results.wallets",
    "margin_accounts",
    "results.funds",
    "results.funding",
    "results.public_trades",
    "accounts",
    "results",
)
"""The exchange's attributes that are read models (folded from events), by name; ``results`` holds them
all (the user-event renderer's own state too)."""


def limit(account_id: int, side: Side, lots: int, ticks: int) -> PlaceOrder:
    return PlaceOrder(
        account_id=account_id, symbol=BTC, side=side, order_type=OrderType.LIMIT, quantity=lots, price=ticks
    )


def flow() -> list[tuple[int, Any]]:
    """(nanoseconds after the start, command): a maker and two traders at 64,900.0; fills, an amend, a
    cancel; a price alert at 63,000.0 that the fall fires; the mark falls to 54,000.0 and the 100x long of the
    third account (1,000 USDT behind 0.1 BTC, 6,490 USDT of notional) is liquidated into the maker's
    bids; funding falls due eight hours in."""
    return [
        (0, SetMarkPrice(symbol=BTC, price=649_000)),
        (1, OpenAccount(name="maker", key_hash="m", deposit=10_000_000 * USDT)),
        (2, OpenAccount(name="steady", key_hash="s", deposit=100_000 * USDT)),
        (3, OpenAccount(name="bold", key_hash="b", deposit=1_000 * USDT)),
        (4, SetLeverage(account_id=3, symbol=BTC, leverage=100)),
        (5, limit(1, Side.SELL, 500, 649_010)),
        (6, limit(1, Side.BUY, 500, 648_990)),
        (7, limit(1, Side.BUY, 5_000, 580_000)),
        (8, limit(2, Side.BUY, 20, 649_010)),
        (9, limit(3, Side.BUY, 100, 649_010)),
        (10, limit(2, Side.SELL, 10, 700_000)),
        (11, AmendOrder(account_id=2, symbol=BTC, order_id=6, quantity=5, price=700_000)),
        (12, CancelOrder(account_id=2, symbol=BTC, order_id=6)),
        (13, limit(2, Side.SELL, 10, 648_990)),
        (
            14,
            CreatePriceAlert(
                account_id=2, symbol=BTC, source=TriggerBy.MARK, direction=Direction.CROSSES_BELOW, price=630_000
            ),
        ),
        (HOUR_NS, SetMarkPrice(symbol=BTC, price=540_000)),
        (8 * HOUR_NS, AdvanceTime(ts=0)),
    ]


def live_and_replayed(tmp_path: Path) -> tuple[Exchange, Exchange]:
    live = Exchange(DEFAULT_INSTRUMENTS)
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    for after, command in flow():
        command.ts = START_NS + after
        applied = live.apply(command)
        journal.append([(applied.sequence, encode(command))])
    return live, recover(journal, lambda: Exchange(DEFAULT_INSTRUMENTS))


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> tuple[Exchange, Exchange]:
    return live_and_replayed(tmp_path_factory.mktemp("replay"))


def test_the_flow_reaches_every_read_model(exchanges: tuple[Exchange, Exchange]) -> None:
    """What the comparisons below stand on: the flow filled orders, fired the alert, liquidated the
    bold account and settled funding, so no read model is compared empty."""
    live, _ = exchanges
    assert live.history.fills_page(3, BTC, 0, 0, 2**62, 0, 100), "the bold account traded"
    assert live.liquidations.page(3, BTC, 0, 10)[0], "and was liquidated"
    assert live.alerts.of(2, BTC) == [], "the one-shot alert fired and is gone"
    assert live.candles.history(BTC, Interval.M1), "trades made candles"
    assert live.ticker_stats.snapshot(BTC, START_NS + HOUR_NS) is not None, "and ticker statistics"
    assert live.results.public_trades.recent(BTC, None, 10), "and the public tape"
    funding = live.results.funding.page([BTC], 0, 2**63, 10, oldest=True)
    assert [record.mark_price for record in funding] == [540_000], "funding settled at the last mark"


@pytest.mark.parametrize("read_model", READ_MODELS)
def test_a_replay_rebuilds_the_read_model(exchanges: tuple[Exchange, Exchange], read_model: str) -> None:
    live, replayed = exchanges
    assert replayed.sequence == live.sequence == len(flow())
    part = attrgetter(read_model)
    assert part_hash(replayed, part(replayed)) == part_hash(live, part(live))


def test_the_wallets_and_prices_folded_from_events_are_the_engine_s(exchanges: tuple[Exchange, Exchange]) -> None:
    """Every wallet move and price set is an event: the read models folded from them agree with the engine
    at the end of the flow (the liquidated account's wallet included)."""
    live, _ = exchanges
    for account_id, account in live.engine.accounts.items():
        isolated = sum(position.isolated_wallet for position in account.positions.values())
        assert live.results.wallets.balances(account_id) == (account.wallet + isolated, account.wallet)
    for symbol, market in live.engine.markets.items():
        assert live.results.prices.index_and_mark(symbol) == (market.index_price, market.mark_price)


def test_the_comparison_sees_a_difference(exchanges: tuple[Exchange, Exchange], tmp_path: Path) -> None:
    """One more order (0.005 sold at market into the maker's bids) changes the history's hash."""
    live, _ = exchanges
    before = part_hash(live, live.history)
    other, _ = live_and_replayed(tmp_path)
    sell = PlaceOrder(account_id=2, symbol=BTC, side=Side.SELL, order_type=OrderType.MARKET, quantity=5)
    sell.ts = START_NS + 9 * HOUR_NS
    assert isinstance(other.apply(sell).events[0], OrderAccepted)
    assert part_hash(other, other.history) != before
