"""Each account's wallets, folded from ``BalanceChanged`` events: the cross wallet (each USDT event
carries it), the isolated wallets together (the sum of the events' isolated changes) and the balances
of the other assets (each of their events carries its asset's).

What answers and user events show as the wallet balance after a change, taken from the events alone, so
it is the balance right after that event even when the engine has moved on since."""

from collections.abc import Callable, Mapping
from typing import Any

from paperex.engine.collateral import USDT
from paperex.engine.events import BalanceChanged
from paperex.engine.units import Amount


class Wallets:
    def __init__(self) -> None:
        self._cross: dict[int, Amount] = {}
        self._isolated: dict[int, Amount] = {}
        self._assets: dict[int, dict[str, Amount]] = {}

    def fold(self, e: BalanceChanged, sequence: int, ts: int) -> None:
        account_id = e.account_id
        if e.asset != USDT:
            assets = self._assets.setdefault(account_id, {})
            if e.wallet:
                assets[e.asset] = e.wallet
            else:
                assets.pop(e.asset, None)
            return
        self._cross[account_id] = e.wallet
        if e.isolated_delta:
            self._isolated[account_id] = self._isolated.get(account_id, 0) + e.isolated_delta

    def cross_total(self) -> Amount:
        """Every account's cross wallet together."""
        return sum(self._cross.values())

    def isolated(self, account_id: int) -> Amount:
        """The account's isolated wallets together."""
        return self._isolated.get(account_id, 0)

    def balances(self, account_id: int) -> tuple[Amount, Amount]:
        """(wallet balance, isolated wallets included; cross wallet); (0, 0) for an account never funded."""
        cross = self._cross.get(account_id, 0)
        return cross + self.isolated(account_id), cross

    def assets(self, account_id: int) -> Mapping[str, Amount]:
        """The account's balances of other assets than USDT (none at 0)."""
        return self._assets.get(account_id, {})

    def asset_totals(self) -> dict[str, Amount]:
        """Every account's balance of each asset besides USDT, summed per asset."""
        totals: dict[str, Amount] = {}
        for assets in self._assets.values():
            for asset, amount in assets.items():
                totals[asset] = totals.get(asset, 0) + amount
        return totals


FOLDERS: dict[type, Callable[[Wallets, Any, int, int], None]] = {BalanceChanged: Wallets.fold}
"""Event type -> the method folding it (event, command sequence, time); the results stage calls it."""
