"""Where the exchange's money is, folded from events: each symbol's insurance fund
(``InsuranceFundChanged`` carries its balance; it starts at the instrument's configured balance), what
the operator put into the funds, USDT deposits less withdrawals and the USDT the auto-exchange paid
(``BalanceChanged``) and the trading fees collected (``OrderFilled``). With the wallets and positions of
``MarginAccounts`` these are the terms of the engine's money-conservation ledger
(``paperex.engine.audit.Ledger``)."""

from collections.abc import Callable, Mapping
from typing import Any

from paperex.engine.audit import Ledger
from paperex.engine.collateral import USDT
from paperex.engine.events import BalanceChanged, BalanceReason, FundReason, InsuranceFundChanged, OrderFilled
from paperex.engine.instruments import Instrument
from paperex.engine.units import Amount
from paperex.server.state.margin_accounts import MarginAccounts

_DEPOSITS = frozenset({BalanceReason.DEPOSIT, BalanceReason.WITHDRAWAL})


class Funds:
    def __init__(self, instruments: Mapping[str, Instrument]) -> None:
        self.insurance: dict[str, Amount] = {symbol: spec.insurance_fund for symbol, spec in instruments.items()}
        """Each symbol's insurance fund."""
        self.insurance_contributions: Amount = sum(self.insurance.values())
        """The funds' starting balances and the operator's top-ups."""
        self.net_deposits: Amount = 0
        """Deposits less withdrawals, ever."""
        self.fees_collected: Amount = 0
        """Trading fees paid by every fill."""
        self.exchanged: Amount = 0
        """The USDT the auto-exchange paid into wallets, negated (the ledger's ``exchanged``)."""

    def _filled(self, e: OrderFilled, sequence: int, ts: int) -> None:
        self.fees_collected += e.fee

    def _balance_changed(self, e: BalanceChanged, sequence: int, ts: int) -> None:
        if e.asset != USDT:
            return
        if e.reason in _DEPOSITS:
            self.net_deposits += e.delta
        elif e.reason is BalanceReason.AUTO_EXCHANGE:
            self.exchanged -= e.delta

    def _fund_changed(self, e: InsuranceFundChanged, sequence: int, ts: int) -> None:
        self.insurance[e.symbol] = e.balance
        if e.reason is FundReason.TOP_UP:
            self.insurance_contributions += e.delta

    def ledger(self, accounts: MarginAccounts) -> Ledger:
        """Where the money is: these terms with the accounts' wallets, isolated margin and positions."""
        wallets, isolated, positions = accounts.holdings()
        return Ledger(
            self.net_deposits,
            self.insurance_contributions,
            wallets,
            isolated,
            self.fees_collected,
            sum(self.insurance.values()),
            positions,
            self.exchanged,
        )


FOLDERS: dict[type, Callable[[Funds, Any, int, int], None]] = {
    OrderFilled: Funds._filled,
    BalanceChanged: Funds._balance_changed,
    InsuranceFundChanged: Funds._fund_changed,
}
"""Event type -> the method folding it (event, command sequence, time); the results stage calls it."""
