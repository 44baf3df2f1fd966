"""ccxt's ``binanceusdm`` pointed at a paperex server: a bot written for the venue changes one line.

ccxt is an optional dependency (the ``ccxt`` extra), imported only when asked for.
"""

import importlib
from typing import Any
from urllib.parse import urlsplit

VERSIONED_URLS = {
    "fapiPublic": "v1",
    "fapiPublicV2": "v2",
    "fapiPublicV3": "v3",
    "fapiPrivate": "v1",
    "fapiPrivateV2": "v2",
    "fapiPrivateV3": "v3",
}
"""ccxt's names of the USDⓈ-M REST URLs, and the API version each one is."""
FLAVOURS = ("ccxt", "ccxt.async_support", "ccxt.pro")


def binance_base_url(target_or_base_url: str) -> str:
    """The REST API's base URL: given as one (``http://host:port``), or beside a gRPC ``host:port``
    target on the port after it, where ``paperex serve`` puts it by default.

    >>> binance_base_url("127.0.0.1:50051"), binance_base_url("http://10.0.0.5:9000/")
    ('http://127.0.0.1:50052', 'http://10.0.0.5:9000')
    """
    if "://" in target_or_base_url:
        return target_or_base_url.rstrip("/")
    parts = urlsplit(f"//{target_or_base_url}")
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"expected host:port or a base URL, got {target_or_base_url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"http://{host}:{parts.port + 1}"


def ccxt_exchange(target_or_base_url: str, api_key: str, secret: str, *, flavour: str = "ccxt", **options: Any) -> Any:
    """A ccxt ``binanceusdm`` trading on paperex: its sandbox URLs (REST and WebSocket) replaced by the
    server's, sandbox mode on, and the venue's USDⓈ-M error codes mapped for the server's host too (ccxt
    picks them by host name), so that -2019 is ``InsufficientFunds``, -2013 ``OrderNotFound`` and so on.

    ``flavour``: "ccxt" (blocking), "ccxt.async_support" or "ccxt.pro" (streams); ``options`` go into
    ccxt's configuration as given (``{"options": {...}}``, ``timeout``, ...).
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour is one of {', '.join(FLAVOURS)}, not {flavour!r}")
    base = binance_base_url(target_or_base_url)
    exchange = importlib.import_module(flavour).binanceusdm({**options, "apiKey": api_key, "secret": secret})
    urls = {**exchange.urls["test"]}
    urls |= {name: f"{base}/fapi/{version}" for name, version in VERSIONED_URLS.items()}
    urls["fapiData"] = f"{base}/futures/data"  # the statistics (openInterestHist); not in ccxt's sandbox URLs
    if "ws" in urls:
        urls["ws"] = {**urls["ws"], "linear": base.replace("http", "ws", 1) + "/ws"}
    exchange.urls["test"] = urls
    exchange.set_sandbox_mode(True)
    exchange.exceptions["exact"].update(exchange.exceptions["linear"]["exact"])
    return exchange
