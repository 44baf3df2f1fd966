"""Commands the exchange host applies around the engine (accounts with names and API keys)."""

from dataclasses import dataclass

from engine.units import Amount


@dataclass(slots=True, kw_only=True)
class OpenAccount:
    """Register a named account under a hashed API key, open it in the engine and fund it. The id is
    the next free one, assigned when the command is applied (so replay assigns the same)."""

    name: str
    key_hash: str
    deposit: Amount = 0
    ts: int = 0
