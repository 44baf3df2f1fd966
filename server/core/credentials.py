"""How an API key is stored: its SHA-256, which every adapter looks its caller up by.

Keys are random 256-bit tokens, so a plain SHA-256 is a sufficient one-way hash (a slow password hash
protects guessable secrets, which these are not).
"""

import functools
import hashlib


@functools.lru_cache(maxsize=4096)
def key_hash(key: str) -> str:
    """Cached: every call authenticates, and a bot sends the same key each time."""
    return hashlib.sha256(key.encode()).hexdigest()
