"""The collateral table is configured beside the instruments (the ``[collateral.ASSET]`` tables of
``--config``) and fixed per journal, so a restart and a replay value every asset as the journal's first
start did."""

from pathlib import Path

import pytest

from paperex.engine.collateral import DEFAULT_COLLATERAL, CollateralAsset
from paperex.server.core.collateral_table import COLLATERAL_SETTING, check_collateral_table, table_text
from paperex.server.core.history_retention import JournalMismatch
from paperex.server.persistence.journal import Durability, Journal
from paperex.v1 import account_pb2, admin_pb2
from tests.server.conftest import config
from tests.server.test_recovery import open_trader, set_mark, start

HALF_BTC = '[collateral.BTC]\nrate = "0.5"\nindex_symbol = "BTCUSDT"\n'
"""BTC counted at 50% instead of the venue's 95%."""


async def test_a_configured_rate_values_the_collateral_and_holds_across_a_restart(tmp_path: Path) -> None:
    """--config with BTC at 50%: 1 BTC at the mark 60,000 gives 60,000 x 50% = 30,000 of margin (the
    venue's 95% would give 57,000), before and after a restart under the same file. A restart under the
    built-in table is refused with both tables named, and changes nothing."""
    (tmp_path / "venue.toml").write_text(HALF_BTC, encoding="utf-8")
    settings = config(tmp_path, instruments_toml=str(tmp_path / "venue.toml"))
    running = await start(settings)
    try:
        trader = await open_trader(running.admin, "alice", "")
        deposit = admin_pb2.DepositRequest(account_id=trader.account_id, amount="1", asset="BTC")
        await running.admin.admin.Deposit(deposit, metadata=running.admin.auth)
        client = running.client(trader)
        await client.account.SetAssetMode(account_pb2.SetAssetModeRequest(multi_assets_mode=True), metadata=client.auth)
        await set_mark(running.admin, "BTCUSDT", "60000")
        before = await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)
    finally:
        await running.stop()
    with pytest.raises(JournalMismatch, match='"rate": 50000000') as refused:
        await start(config(tmp_path))
    assert '"rate": 95000000' in str(refused.value)
    running = await start(settings)
    try:
        client = running.client(trader)
        after = await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)
    finally:
        await running.stop()

    for summary in (before, after):
        assert summary.account.collateral_value == "30000"
        assert [(a.asset, a.collateral_rate, a.margin_value) for a in summary.account.assets] == [
            ("BTC", "0.5", "30000")
        ]


def test_a_new_journal_records_the_table_it_starts_with(tmp_path: Path) -> None:
    table = {**DEFAULT_COLLATERAL, "BTC": CollateralAsset("BTC", 50_000_000, index_symbol="BTCUSDT")}
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        check_collateral_table(journal, table)
        assert journal.setting(COLLATERAL_SETTING) == table_text(table)
        check_collateral_table(journal, dict(table))
        with pytest.raises(JournalMismatch):
            check_collateral_table(journal, DEFAULT_COLLATERAL)
    finally:
        journal.close()


def test_a_journal_older_than_the_setting_ran_on_the_built_in_table(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    try:
        journal.append([(1, '["SetMarkPrice",{"symbol":"BTCUSDT","price":649000,"ts":1}]')])
        with pytest.raises(JournalMismatch):
            check_collateral_table(journal, {})
        assert journal.setting(COLLATERAL_SETTING) == table_text(DEFAULT_COLLATERAL)
        check_collateral_table(journal, DEFAULT_COLLATERAL)
    finally:
        journal.close()
