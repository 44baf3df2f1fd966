"""History retention: per-account orders and fills are trimmed to it, open orders stay, and the value
is fixed per journal so that every exchange built for it (restart, snapshot helper, reset) trims alike."""

from pathlib import Path
from typing import Any

import pytest

from paperex.engine.commands import PlaceOrder, SetMarkPrice
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side
from paperex.server.__main__ import config_from, parser
from paperex.server.core.exchange import Exchange
from paperex.server.core.exchange_commands import OpenAccount
from paperex.server.core.history_retention import HISTORY_RETENTION_SETTING, JournalMismatch, history_retention
from paperex.server.core.snapshot_schema import decode_exchange
from paperex.server.persistence.journal import Durability, Journal
from paperex.server.state.history import MIN_RETAINED, RETAINED_PER_ACCOUNT, History
from paperex.v1 import admin_pb2
from tests.server.conftest import config
from tests.server.test_recovery import open_trader, start

RETAINED = MIN_RETAINED


def _traded(retention: int, buys: int) -> tuple[Exchange, int]:
    """A maker (account 1) resting one big sell and a taker (account 2) with one resting buy far
    below, then ``buys`` market buys of the taker, each filled by the maker's sell; the taker's
    resting buy's id is returned."""
    exchange = Exchange(DEFAULT_INSTRUMENTS, history_retention=retention)
    ts = 1_700_000_000_000_000_000
    setup: list[Any] = [
        SetMarkPrice(symbol="BTCUSDT", price=649_000),
        OpenAccount(name="maker", key_hash="m", deposit=10**16),
        OpenAccount(name="taker", key_hash="t", deposit=10**16),
        PlaceOrder(account_id=1, symbol="BTCUSDT", side=Side.SELL, order_type=OrderType.LIMIT,
                   quantity=10 * buys, price=649_010),
        PlaceOrder(account_id=2, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT, quantity=2,
                   price=640_000),
    ]  # fmt: skip
    market = [
        PlaceOrder(account_id=2, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.MARKET, quantity=2)
        for _ in range(buys)
    ]
    for command in setup + market:
        ts += 1_000
        command.ts = ts
        exchange.apply(command)
    return exchange, exchange.history.orders_page(2, "", 0, 2**62, 0, buys + 1)[-1].order_id


def test_orders_and_fills_are_trimmed_to_the_retention_and_open_orders_stay() -> None:
    buys = RETAINED * 11 // 10 + 50
    exchange, resting_buy = _traded(RETAINED, buys)
    history = exchange.history
    taker_orders = history.orders_page(2, "", 0, 2**62, 0, 10 * buys)
    taker_fills = history.fills_page(2, "", 0, 0, 2**62, 0, 10 * buys)
    maker_fills = history.fills_page(1, "", 0, 0, 2**62, 0, 10 * buys)
    assert RETAINED <= len(taker_orders) <= RETAINED * 11 // 10
    assert RETAINED <= len(taker_fills) == len(maker_fills) <= RETAINED * 11 // 10
    assert taker_orders[-1].order_id == resting_buy, "the open order, the oldest, is kept"
    assert history.order(2, resting_buy) is not None
    assert history.order(2, resting_buy + 1) is None, "the oldest filled market order is forgotten"
    assert history.order(1, 1) is not None, "the maker's sell is still open"
    newest = max(history.orders)
    assert taker_orders[0].order_id == newest and taker_fills[0].order_id == newest


def test_the_same_flow_keeps_everything_under_the_default_retention() -> None:
    exchange, _ = _traded(RETAINED_PER_ACCOUNT, RETAINED * 11 // 10 + 50)
    assert len(exchange.history.orders) == RETAINED * 11 // 10 + 50 + 2


def test_a_retention_under_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1,000"):
        History(MIN_RETAINED - 1)


def test_the_serve_option_is_checked_and_passed_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_from(parser().parse_args(["serve", "--history-retention", "1500"])).history_retention == 1500
    assert config_from(parser().parse_args(["serve"])).history_retention is None  # the journal's
    with pytest.raises(SystemExit):
        parser().parse_args(["serve", "--history-retention", "999"])
    assert "--history-retention: the history retention is at least 1,000" in capsys.readouterr().err


def test_the_journal_records_its_retention_at_creation_and_refuses_another(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        with pytest.raises(ValueError, match="at least 1,000"):
            history_retention(journal, 999)
        assert journal.setting(HISTORY_RETENTION_SETTING) is None  # nothing recorded
        assert history_retention(journal, 1500) == 1500
        assert journal.setting(HISTORY_RETENTION_SETTING) == "1500"
        assert history_retention(journal, None) == 1500
        assert history_retention(journal, 1500) == 1500
        with pytest.raises(JournalMismatch, match="keeps 1,500 orders and fills per account, not 2,000"):
            history_retention(journal, 2000)
    finally:
        journal.close()


def test_a_journal_older_than_the_setting_keeps_the_default(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        journal.append([(1, '["SetMarkPrice",{"symbol":"BTCUSDT","price":649000,"ts":1}]')])
        with pytest.raises(JournalMismatch):
            history_retention(journal, 1500)
        assert journal.setting(HISTORY_RETENTION_SETTING) == str(RETAINED_PER_ACCOUNT)
    finally:
        journal.close()


async def test_restart_snapshot_helper_and_reset_use_the_journals_retention(tmp_path: Path) -> None:
    running = await start(config(tmp_path, history_retention=1500, snapshot_every=2))
    try:
        trader = await open_trader(running.admin, "alice", "1000")
        deposit = admin_pb2.DepositRequest(account_id=trader.account_id, amount="1")
        await running.admin.admin.Deposit(deposit, metadata=running.admin.auth)
        assert running.server.checkpointer is not None
        await running.server.checkpointer.wait()  # the helper replayed from an empty exchange
        await running.admin.admin.Deposit(deposit, metadata=running.admin.auth)  # the stop's snapshot: at 3
    finally:
        await running.stop()
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        helpers = journal.latest_snapshot(at_most=2)
    finally:
        journal.close()
    assert helpers is not None and decode_exchange(helpers.state).history.retained == 1500

    running = await start(config(tmp_path))  # no option: the journal's value
    try:
        assert running.server.sequencer is not None
        assert running.server.sequencer.exchange.history.retained == 1500
        await running.admin.admin.Reset(admin_pb2.ResetRequest(), metadata=running.admin.auth)
        assert running.server.sequencer.exchange.history.retained == 1500
    finally:
        await running.stop()
    with pytest.raises(JournalMismatch):
        await start(config(tmp_path, history_retention=RETAINED_PER_ACCOUNT))
