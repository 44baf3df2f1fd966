"""API keys and the admin token: who is calling, from gRPC metadata.

Keys are stored as their hash (``paperex.server.core.credentials``); comparisons are constant-time.
"""

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeAlias

import grpc

from paperex.server.core.credentials import key_hash
from paperex.server.wire.errors import Refused

KEY_PREFIX = "pk_"
ADMIN_PREFIX = "admin_"

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_api_secret() -> str:
    """The signing secret of the Binance-compatible API (HMAC-SHA256 key), shown once with the key."""
    return secrets.token_hex(32)


def new_admin_token() -> str:
    return ADMIN_PREFIX + secrets.token_urlsafe(32)


def presented_key(context: Context) -> str:
    """The credential in ``authorization: Bearer <key>`` or ``x-api-key``; empty when absent."""
    for name, value in context.invocation_metadata() or ():
        if name == "authorization" and isinstance(value, str) and value.lower().startswith("bearer "):
            return value[7:].strip()
        if name == "x-api-key" and isinstance(value, str):
            return value.strip()
    return ""


class Authenticator:
    """Resolves credentials against the current account table and the admin token."""

    def __init__(self, admin_token_hash: str, account_by_key: Callable[[str], int | None]) -> None:
        """``account_by_key``: the account a key's hash opens now (None: none)."""
        self._admin_hash = admin_token_hash
        self._account_by_key = account_by_key

    def account(self, context: Context) -> int:
        """The calling account's id; UNAUTHENTICATED without a valid account key."""
        key = presented_key(context)
        if not key:
            raise Refused("UNAUTHENTICATED", "missing API key: send 'authorization: Bearer <key>' or 'x-api-key'")
        account_id = self.account_of(key)
        if account_id is None:
            raise Refused("UNAUTHENTICATED", "unknown API key")
        return account_id

    def account_of(self, key: str) -> int | None:
        """The account a key belongs to; None for no key, an unknown one or the admin token."""
        return self._account_by_key(key_hash(key)) if key else None

    def is_admin(self, key: str) -> bool:
        return bool(key) and hmac.compare_digest(key_hash(key), self._admin_hash)

    def admin(self, context: Context) -> None:
        """Pass only with the admin token; an account key is PERMISSION_DENIED, anything else UNAUTHENTICATED."""
        key = presented_key(context)
        if not key:
            raise Refused("UNAUTHENTICATED", "missing admin token")
        if self.is_admin(key):
            return
        if self._account_by_key(key_hash(key)) is not None:
            raise Refused("PERMISSION_DENIED", "admin calls need the admin token, not an account key")
        raise Refused("UNAUTHENTICATED", "invalid admin token")
