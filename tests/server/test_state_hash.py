"""The recorded state hash covers what a restart restores, the host's projections included.

Two processes with different string hashing (PYTHONHASHSEED) reach the same hash from the same journal;
each projection a snapshot restores moves the hash when it changes; and a snapshot whose projections were
damaged (its bytes re-digested, so only the state hash can tell) is passed over like a damaged engine.
"""

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import duration_pb2

from paperex.engine.commands import PlaceOrder, SetMarkPrice
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side, TriggerBy
from paperex.server.core.exchange import Exchange
from paperex.server.core.exchange_commands import CreatePriceAlert, OpenAccount
from paperex.server.core.snapshot_schema import decode_exchange, encode_exchange
from paperex.server.persistence.journal import digest
from paperex.server.state.alerts import Direction
from paperex.v1 import account_pb2, admin_pb2, common_pb2, trading_pb2
from tests.server.conftest import config
from tests.server.test_recovery import REPO, open_trader, run_flow, server_env, start

REPLAY = """
import sys
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.server.core.history_retention import HISTORY_RETENTION_SETTING
from paperex.server.core.exchange import Exchange
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.core.sequencer import recover

journal = Journal(sys.argv[1], Durability.OFF)
retention = int(journal.setting(HISTORY_RETENTION_SETTING))
exchange = recover(journal, lambda: Exchange(DEFAULT_INSTRUMENTS, retention))
print(exchange.sequence, exchange.state_hash())
"""
"""Replays a journal from its first command in a fresh interpreter and prints the sequence and hash."""


def replayed_elsewhere(db: Path, hash_seed: str) -> tuple[int, str]:
    """(sequence, state hash) of ``db`` replayed in another process with PYTHONHASHSEED=``hash_seed``."""
    env = {**server_env(), "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(  # noqa: PLW1510 (the return code is asserted with the output)
        [sys.executable, "-c", REPLAY, str(db)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    sequence, state_hash = done.stdout.split()
    return int(sequence), state_hash


async def test_a_replay_in_another_process_reaches_the_live_state_hash(tmp_path: Path) -> None:
    """A seeded flow of orders, fills, amends, cancels, margin moves and a liquidation, then two price
    alerts (the mark moves 60,124.8 -> 62,124.8: the one at 61,000 fires, the one below 50,000 stays) and
    eight simulated hours (a funding settlement on both symbols): the live server's hash equals the hash
    of a journal-only replay in fresh interpreters under two other string-hash seeds."""
    running = await start(config(tmp_path, clock="simulated"))
    try:
        flow = await run_flow(running, seed=5, steps=60, mid_flow=None)
        t1 = flow.client("t1")
        for price, direction in (
            ("61000.0", account_pb2.ALERT_DIRECTION_CROSSES_ABOVE),
            ("50000.0", account_pb2.ALERT_DIRECTION_CROSSES_BELOW),
        ):
            alert = account_pb2.CreatePriceAlertRequest(
                symbol="BTCUSDT", price_source=common_pb2.TRIGGER_BY_MARK, direction=direction, price=price
            )
            await t1.account.CreatePriceAlert(alert, metadata=t1.auth)
        await flow.mark("BTCUSDT", flow.marks["BTCUSDT"] + 2000)  # the flow's last 60,124.8 -> 62,124.8
        eight_hours = admin_pb2.AdvanceTimeRequest(duration=duration_pb2.Duration(seconds=8 * 3600))
        await running.admin.admin.AdvanceTime(eight_hours, metadata=running.admin.auth)
        alerts = await t1.account.ListPriceAlerts(account_pb2.ListPriceAlertsRequest(), metadata=t1.auth)
        funding = account_pb2.ListIncomeRequest(income_type=account_pb2.INCOME_TYPE_FUNDING_FEE)
        mm = flow.client("mm")
        fees = await mm.account.ListIncome(funding, metadata=mm.auth)
        live = (running.sequence, running.state_hash)
    finally:
        await running.stop()
    assert [alert.price for alert in alerts.alerts] == ["50000.0"]  # 61,000 was crossed: one-shot, gone
    assert {fee.symbol for fee in fees.incomes} == {"BTCUSDT", "ETHUSDT"}  # settled at the 8h mark
    tape = tmp_path / "tape.db"
    with (
        contextlib.closing(sqlite3.connect(tmp_path / "journal.db")) as source,
        contextlib.closing(sqlite3.connect(tape)) as target,
    ):
        source.backup(target)
    with contextlib.closing(sqlite3.connect(tape)) as db, db:
        db.execute("DELETE FROM snapshots")  # the replay starts from the first command
    assert replayed_elsewhere(tape, "1") == live
    assert replayed_elsewhere(tape, "2024") == live


# ---------------------------------------------------------------------------------------------- coverage

NS = 10**9


def small_exchange() -> Exchange:
    """Two accounts, a fill at 64,900 (0.01 BTC), a resting bid, and an alert that fires at 65,000."""
    exchange = Exchange(DEFAULT_INSTRUMENTS)
    commands: list[Any] = [
        SetMarkPrice(symbol="BTCUSDT", price=649_000),
        OpenAccount(name="maker", key_hash="m", deposit=10**4 * 10**8),
        OpenAccount(name="taker", key_hash="t", deposit=10**4 * 10**8),
        CreatePriceAlert(
            account_id=1, symbol="BTCUSDT", source=TriggerBy.LAST, direction=Direction.CROSSES_ABOVE, price=650_000
        ),
        PlaceOrder(
            account_id=1, symbol="BTCUSDT", side=Side.SELL, order_type=OrderType.LIMIT, quantity=10, price=649_000
        ),
        PlaceOrder(account_id=2, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.MARKET, quantity=10),
        PlaceOrder(
            account_id=2, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT, quantity=5, price=640_000
        ),
        CreatePriceAlert(
            account_id=2, symbol="BTCUSDT", source=TriggerBy.MARK, direction=Direction.CROSSES_BELOW, price=600_000
        ),
    ]
    for second, command in enumerate(commands, start=1):
        command.ts = second * NS
        exchange.apply(command)
    return exchange


DAMAGE: dict[str, Callable[[Exchange], None]] = {
    "a fill dropped from the history": lambda x: x.history._accounts[2].fills.pop(),
    "an order record's status": lambda x: setattr(x.history.orders[1], "filled", 5),
    "an income record dropped": lambda x: x.income._accounts[2].pop(),
    "a user event dropped": lambda x: x.user_events[2].pop(),
    "an alert's level": lambda x: setattr(x.alerts.alerts[2], "price", 600_001),
    "a candle's volume": lambda x: setattr(
        x.candles._series["BTCUSDT"][next(iter(x.candles._series["BTCUSDT"]))]._candles[-1], "volume", 11
    ),
    "the 24h ticker's trade count": lambda x: setattr(x.ticker_stats._windows["BTCUSDT"], "_trade_count", 2),
    "an account's key": lambda x: x.account_by_key.pop("t"),
    "a book sequence": lambda x: x.books.sequence.update(BTCUSDT=0),
    "a book level": lambda x: x.books._sides[("BTCUSDT", Side.BUY)].levels.clear(),
    "the last price an alert compares with": lambda x: x.results.prices._seen.clear(),
    "an index price": lambda x: x.results.prices.index.update(BTCUSDT=1),
    "an account's wallet": lambda x: x.results.wallets._cross.clear(),
    "an account's settings on a symbol": lambda x: x.margin_accounts._settings.clear(),
    "a position's size": lambda x: x.margin_accounts._positions.clear(),
    "an insurance fund": lambda x: x.results.funds.insurance.update(BTCUSDT=1),
    "the fees collected": lambda x: setattr(x.results.funds, "fees_collected", 1),
    "the time the read models are true at": lambda x: setattr(x.results, "now", 1),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_each_projection_a_snapshot_restores_moves_the_hash(damage: str) -> None:
    """A copy (through the snapshot format) hashes alike; the same copy with one projection changed
    does not, while the engine's own hash still matches."""
    exchange = small_exchange()
    copy = decode_exchange(encode_exchange(exchange))
    assert copy.state_hash() == exchange.state_hash()
    DAMAGE[damage](copy)
    assert copy.engine.state_hash() == exchange.engine.state_hash()
    assert copy.state_hash() != exchange.state_hash()


def test_a_user_event_counts_as_its_message_whether_or_not_a_resume_rendered_it() -> None:
    """Reading the log renders its captured events in place: the state it stands for, and so the hash,
    does not change."""
    exchange = small_exchange()
    before = exchange.state_hash()
    assert len(exchange.events_after(2, 0, 0) or []) > 0
    assert exchange.state_hash() == before


# ---------------------------------------------------------------------------------------------- recovery


async def test_a_snapshot_with_a_damaged_projection_is_passed_over(tmp_path: Path) -> None:
    """The stop's snapshot loses the taker's fill from its order history (bytes re-digested, engine
    untouched): recovery takes the earlier Admin.Snapshot and replays the rest, and the fill is listed."""
    running = await start(config(tmp_path))
    try:
        maker = await open_trader(running.admin, "maker", "10000")
        taker = await open_trader(running.admin, "taker", "10000")
        await running.admin.admin.SetMarkPrice(
            admin_pb2.SetMarkPriceRequest(symbol="BTCUSDT", price="64900"), metadata=running.admin.auth
        )
        await running.admin.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=running.admin.auth)
        m, t = running.client(maker), running.client(taker)
        sell = trading_pb2.PlaceOrderRequest(
            symbol="BTCUSDT",
            side=common_pb2.SIDE_SELL,
            order_type=common_pb2.ORDER_TYPE_LIMIT,
            quantity="0.010",
            price="64900",
        )
        await m.trading.PlaceOrder(sell, metadata=m.auth)
        buy = trading_pb2.PlaceOrderRequest(
            symbol="BTCUSDT", side=common_pb2.SIDE_BUY, order_type=common_pb2.ORDER_TYPE_MARKET, quantity="0.010"
        )
        await t.trading.PlaceOrder(buy, metadata=t.auth)
        expected = (running.sequence, running.state_hash)
    finally:
        await running.stop()
    with contextlib.closing(sqlite3.connect(tmp_path / "journal.db")) as db, db:
        sequence, state = db.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        assert sequence == expected[0]
        exchange = decode_exchange(state)
        exchange.history._accounts[taker.account_id].fills.clear()
        damaged = encode_exchange(exchange)
        db.execute("UPDATE snapshots SET state = ?, digest = ? WHERE seq = ?", (damaged, digest(damaged), sequence))
    restarted = await start(config(tmp_path))
    try:
        assert (restarted.sequence, restarted.state_hash) == expected
        t = restarted.client(taker)
        fills = await t.trading.ListTrades(trading_pb2.ListTradesRequest(symbol="BTCUSDT"), metadata=t.auth)
        assert [(fill.price, fill.quantity) for fill in fills.fills] == [("64900.0", "0.010")]
    finally:
        await restarted.stop()
