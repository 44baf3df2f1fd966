"""Income history per account (ListIncome, like Binance's ``GET /fapi/v1/income``), from events.

Every wallet move is a ``BalanceChanged`` with its reason; the income history keeps the moves that
bring money into the account or take it out, typed as the venue types them (a move between the cross
wallet and an isolated position is neither). Trading frameworks read their funding fees and
commissions from it. Rebuilt exactly by replaying the journal, so it is part of the snapshot.
"""

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from paperex.engine.collateral import USDT
from paperex.engine.events import BalanceChanged, BalanceReason
from paperex.engine.units import Amount


class IncomeType(StrEnum):
    TRANSFER = "TRANSFER"
    REALIZED_PNL = "REALIZED_PNL"
    COMMISSION = "COMMISSION"
    FUNDING_FEE = "FUNDING_FEE"
    INSURANCE_CLEAR = "INSURANCE_CLEAR"
    AUTO_DELEVERAGE = "AUTO_DELEVERAGE"
    AUTO_EXCHANGE = "AUTO_EXCHANGE"


INCOME_TYPES: dict[BalanceReason, IncomeType] = {
    BalanceReason.DEPOSIT: IncomeType.TRANSFER,
    BalanceReason.WITHDRAWAL: IncomeType.TRANSFER,
    BalanceReason.REALIZED_PNL: IncomeType.REALIZED_PNL,
    BalanceReason.FEE: IncomeType.COMMISSION,
    BalanceReason.FUNDING: IncomeType.FUNDING_FEE,
    BalanceReason.LIQUIDATION_FEE: IncomeType.INSURANCE_CLEAR,
    BalanceReason.INSURANCE_CLEAR: IncomeType.INSURANCE_CLEAR,
    BalanceReason.INSURANCE_FUND_COVER: IncomeType.INSURANCE_CLEAR,
    BalanceReason.ADL: IncomeType.AUTO_DELEVERAGE,
    BalanceReason.AUTO_EXCHANGE: IncomeType.AUTO_EXCHANGE,
}
"""The income type of each wallet move; ISOLATED_MARGIN_TRANSFER is missing: it is not income."""


@dataclass(slots=True, frozen=True)
class IncomeRecord:
    """One money move: ``amount`` is the account's wallet balance change (cross plus isolated), in USDT."""

    income_id: int
    income_type: IncomeType
    amount: Amount
    symbol: str
    trade_id: int
    time: int

    @property
    def asset(self) -> str:
        return USDT


@dataclass(slots=True, frozen=True)
class OtherAssetIncome(IncomeRecord):
    """A move of another asset than USDT (a transfer, an auto-exchange's sale), ``amount`` in that asset.
    A kind of its own so that USDT's records keep their shape, and the journals that hold only those
    their state hash."""

    other_asset: str

    @property
    def asset(self) -> str:
        return self.other_asset


class IncomeHistory:
    """Every account's income, oldest first, ids increasing per account."""

    def __init__(self, retained: int) -> None:
        """``retained``: incomes kept per account (the order history's retention); the oldest go first."""
        self.retained = retained
        self._accounts: dict[int, list[IncomeRecord]] = {}
        self._last_id: dict[int, int] = {}

    def fold(self, event: BalanceChanged, sequence: int, ts: int) -> None:
        """Fold a wallet move in (moves that are no income are ignored)."""
        income_type = INCOME_TYPES.get(event.reason)
        if income_type is None:
            return
        account_id = event.account_id
        income_id = self._last_id[account_id] = self._last_id.get(account_id, 0) + 1
        amount = event.delta + event.isolated_delta
        record = (
            IncomeRecord(income_id, income_type, amount, event.symbol, event.trade_id, ts)
            if event.asset == USDT
            else OtherAssetIncome(income_id, income_type, amount, event.symbol, event.trade_id, ts, event.asset)
        )
        records = self._accounts.get(account_id)
        if records is None:
            records = self._accounts[account_id] = []
        records.append(record)
        if len(records) > self.retained * 11 // 10:
            del records[: len(records) - self.retained]

    def page(
        self,
        account_id: int,
        symbol: str,
        income_type: IncomeType | None,
        start: int,
        end: int,
        after_id: int,
        size: int,
    ) -> tuple[list[IncomeRecord], int]:
        """Oldest first: up to ``size`` incomes with id > ``after_id`` and time in [start, end)
        (``symbol`` and ``income_type`` filter when given), and the id to continue after (0 when no
        further income matches)."""
        records = self._accounts.get(account_id, [])
        first = bisect_right(records, after_id, key=lambda record: record.income_id) if after_id else 0
        page: list[IncomeRecord] = []
        for record in records[first:]:
            if (
                start <= record.time < end
                and (not symbol or record.symbol == symbol)
                and (income_type is None or record.income_type is income_type)
            ):
                if len(page) == size:
                    return page, page[-1].income_id
                page.append(record)
        return page, 0


FOLDERS: dict[type, Callable[[IncomeHistory, Any, int, int], None]] = {BalanceChanged: IncomeHistory.fold}
"""Event type -> the method folding it (event, command sequence, time); the results stage calls it."""
