"""What a REST request weighs on its caller's address under venue limits, as the venue publishes it
per route: a number, or a function of the request's parameters (the order book and klines by
``limit``, the all-symbol answers heavier than one symbol's).

A weight never refuses: a malformed ``limit`` weighs what the default does, and the route itself
refuses it after.

    >>> depth({"limit": "5"}), depth({"limit": "100"}), depth({}), depth({"limit": "1000"})
    (2, 5, 10, 20)
    >>> klines({"limit": "99"}), klines({"limit": "100"}), klines({}), klines({"limit": "1500"})
    (1, 2, 5, 10)
    >>> tickers = by_symbol(1, 40)
    >>> weigh(tickers, {"symbol": "BTCUSDT"}), weigh(tickers, {}), weigh(5, {})
    (1, 40, 5)
"""

from collections.abc import Callable

from paperex.server.binance_api.params import DEFAULT_DEPTH, DEFAULT_KLINES, Params

Weight = int | Callable[[Params], int]
"""A route's weight: fixed, or worked out from the request's parameters."""
_MAX_DIGITS = 9


def _limit(params: Params, default: int) -> int:
    text = params.get("limit", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS else default


def depth(params: Params) -> int:
    """GET /fapi/v1/depth: 2 up to 50 levels, 5 for 100, 10 for 500, 20 for 1000."""
    limit = _limit(params, DEFAULT_DEPTH)
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


def klines(params: Params) -> int:
    """GET /fapi/v1/klines (and the mark and index price klines): 1 below 100 bars, 2 below 500, 5 up
    to 1000, 10 above."""
    limit = _limit(params, DEFAULT_KLINES)
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def by_symbol(one: int, every: int) -> Callable[[Params], int]:
    """``one`` with a ``symbol``, ``every`` for the answer on every symbol."""

    def weight(params: Params) -> int:
        return one if params.get("symbol") else every

    return weight


def weigh(weight: Weight, params: Params) -> int:
    """What a request with ``params`` weighs on a route of ``weight``."""
    return weight if isinstance(weight, int) else weight(params)
