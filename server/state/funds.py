"""Where the exchange's money is, folded from events: each symbol's insurance fund
(``InsuranceFundChanged`` carries its balance; it starts at the instrument's configured balance), what
the operator put into the funds, deposits less withdrawals (``BalanceChanged``) and the trading fees
collected (``OrderFilled``). With the wallets and positions of ``MarginAccounts`` these are the terms of
the engine's money-conservation ledger (``paperex.engine.audit.Ledger``)."""

from collections.abc import Mapping

from paperex.engine.audit import Ledger
from paperex.engine.events import BalanceChanged, BalanceReason, Event, FundReason, InsuranceFundChanged, OrderFilled
from paperex.engine.instruments import Instrument
from paperex.engine.units import Amount
from paperex.server.state.margin_accounts import MarginAccounts


class Funds:
    def __init__(self, instruments: Mapping[str, Instrument]) -> None:
        self.insurance: dict[str, Amount] = {symbol: spec.insurance_fund for symbol, spec in instruments.items()}
        """Each symbol's insurance fund."""
        self._contributions: Amount = sum(self.insurance.values())
        self._net_deposits: Amount = 0
        self._fees: Amount = 0

    def fold(self, event: Event) -> None:
        if isinstance(event, OrderFilled):
            self._fees += event.fee
        elif isinstance(event, BalanceChanged):
            if event.reason is BalanceReason.DEPOSIT or event.reason is BalanceReason.WITHDRAWAL:
                self._net_deposits += event.delta
        elif isinstance(event, InsuranceFundChanged):
            self.insurance[event.symbol] = event.balance
            if event.reason is FundReason.TOP_UP:
                self._contributions += event.delta

    def ledger(self, accounts: MarginAccounts) -> Ledger:
        wallets, isolated, positions = accounts.holdings()
        return Ledger(
            self._net_deposits,
            self._contributions,
            wallets,
            isolated,
            self._fees,
            sum(self.insurance.values()),
            positions,
        )
