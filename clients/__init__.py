"""paperex.client: the SDK, CLI, sample bots and pytest plugin; they use only the generated API.

The SDK's everyday names are importable from ``paperex`` itself (``from paperex import AsyncClient``)."""

from paperex.client.ccxt_binance import ccxt_exchange

__all__ = ["ccxt_exchange"]
