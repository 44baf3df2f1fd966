"""The collateral table a journal keeps: fixed at its first start, since what each asset counts as margin
decides every Multi-Assets account's margin, liquidations and auto-exchanges that a replay rebuilds."""

import json
from collections.abc import Mapping

from paperex.engine.collateral import DEFAULT_COLLATERAL, CollateralAsset
from paperex.server.core.history_retention import JournalMismatch
from paperex.server.persistence.journal import Journal

COLLATERAL_SETTING = "collateral_table"


def table_text(table: Mapping[str, CollateralAsset]) -> str:
    """The table as the journal records it: one JSON object, assets in name order, figures in 1e-8 units.

    >>> table_text({"USDC": CollateralAsset("USDC", 99_990_000, fixed_price=100_000_000)})
    '{"USDC": {"fixed_price": 100000000, "index_symbol": "", "rate": 99990000}}'
    """
    return json.dumps(
        {
            asset: {"fixed_price": spec.fixed_price, "index_symbol": spec.index_symbol, "rate": spec.rate}
            for asset, spec in sorted(table.items())
        },
        sort_keys=True,
    )


def check_collateral_table(journal: Journal, table: Mapping[str, CollateralAsset]) -> None:
    """Record ``table`` in a new journal; an existing one must be started with the table it recorded (one
    older than the setting ran on the built-in table, which it then records).

    Raises JournalMismatch when ``table`` differs from the recorded one.
    """
    wanted = table_text(table)
    recorded = journal.setting(COLLATERAL_SETTING)
    if recorded is None:
        recorded = wanted if journal.last_sequence() == 0 else table_text(DEFAULT_COLLATERAL)
        journal.set_setting(COLLATERAL_SETTING, recorded)
    if wanted != recorded:
        raise JournalMismatch(
            f"the journal {journal.path} was started with the collateral table {recorded}, not {wanted} "
            "(the [collateral.ASSET] tables of --config): it is fixed when a journal is created"
        )
