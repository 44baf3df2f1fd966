"""User data stream keys (``listenKey``), as the venue hands them out: one per account, valid for 60
minutes from its creation or its last keep-alive; a POST while one is active returns it, extended.

Kept in memory only: a restart ends every stream, and a client then asks for a new key, as it does
when the venue's key expires.
"""

import asyncio
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

VALIDITY_MS = 60 * 60 * 1000
SHAPE = re.compile(r"[0-9a-f]{64}")


@dataclass(slots=True)
class ListenKey:
    key: str
    account_id: int
    expires_ms: int
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the key is closed (DELETE, or a new key after it expired): its streams end."""


class ListenKeys:
    """The active keys, by key and by account; ``clock_ms`` is the wall clock the validity runs on."""

    def __init__(self, clock_ms: Callable[[], int], validity_ms: int = VALIDITY_MS) -> None:
        self.clock_ms = clock_ms
        self.validity_ms = validity_ms
        self._by_key: dict[str, ListenKey] = {}
        self._by_account: dict[int, ListenKey] = {}

    def open(self, account_id: int) -> str:
        """The account's active key, extended; a new one when it has none (or it expired)."""
        active = self.active(account_id)
        if active is not None:
            active.expires_ms = self.clock_ms() + self.validity_ms
            return active.key
        key = ListenKey(secrets.token_hex(32), account_id, self.clock_ms() + self.validity_ms)
        self._by_key[key.key] = self._by_account[account_id] = key
        return key.key

    def keep_alive(self, account_id: int) -> ListenKey | None:
        """Extend the account's active key; None when it has none."""
        active = self.active(account_id)
        if active is not None:
            active.expires_ms = self.clock_ms() + self.validity_ms
        return active

    def close(self, account_id: int) -> None:
        """End the account's key and its streams (nothing to do without one)."""
        found = self._by_account.pop(account_id, None)
        if found is not None:
            del self._by_key[found.key]
            found.ended.set()

    def active(self, account_id: int) -> ListenKey | None:
        found = self._by_account.get(account_id)
        if found is not None and found.expires_ms <= self.clock_ms():
            self.close(account_id)
            return None
        return found

    def find(self, key: str) -> ListenKey | None:
        """The active key ``key``; None when unknown or expired."""
        found = self._by_key.get(key)
        return None if found is None else self.active(found.account_id)

    @staticmethod
    def shaped(name: str) -> bool:
        """Whether ``name`` looks like a key this server hands out."""
        return SHAPE.fullmatch(name) is not None

    def remaining_ms(self, key: ListenKey) -> int:
        return key.expires_ms - self.clock_ms()
