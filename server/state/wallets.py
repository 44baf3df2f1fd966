"""Each account's wallets, folded from ``BalanceChanged`` events: the cross wallet (each event carries
it) and the isolated wallets together (the sum of the events' isolated changes).

What answers and user events show as the wallet balance after a change, taken from the events alone, so
it is the balance right after that event even when the engine has moved on since."""

from paperex.engine.events import BalanceChanged
from paperex.engine.units import Amount


class Wallets:
    def __init__(self) -> None:
        self._cross: dict[int, Amount] = {}
        self._isolated: dict[int, Amount] = {}

    def fold(self, e: BalanceChanged) -> None:
        account_id = e.account_id
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
