"""The venue's request signing: HMAC-SHA256 of the secret over ``totalParams``, the raw query string
followed by the raw request body (no separator), without the ``signature`` parameter itself; the
signature is sent as the last parameter of either. Each client orders its parameters its own way and
may split them between query and body, so nothing is re-encoded: the bytes the client signed are the
bytes checked.

``timestamp`` (ms) must lie within ``recvWindow`` (default 5000, at most 60000) before the server's
wall clock and at most 1000 ms after it: the wall clock, also when the exchange runs on a simulated
clock, because the client signs with its own.
"""

import hashlib
import hmac

from paperex.server.binance_api.errors import (
    AHEAD_OF_SERVER,
    INVALID_SIGNATURE,
    OUTSIDE_RECV_WINDOW,
    mandatory,
    not_valid,
)

DEFAULT_RECV_WINDOW_MS = 5_000
MAX_RECV_WINDOW_MS = 60_000
AHEAD_TOLERANCE_MS = 1_000


def _without_signature(raw: str) -> tuple[str, str]:
    """``raw`` without its ``signature=`` parameter, and that parameter's value ("" when absent).

    >>> _without_signature("symbol=BTCUSDT&timestamp=1&signature=ab12")
    ('symbol=BTCUSDT&timestamp=1', 'ab12')
    >>> _without_signature("signature=ab12")
    ('', 'ab12')
    """
    kept, signature = [], ""
    for part in raw.split("&") if raw else ():
        if part.startswith("signature="):
            signature = part.removeprefix("signature=")
        else:
            kept.append(part)
    return "&".join(kept), signature


def signed_payload(query: str, body: str) -> tuple[str, str]:
    """(``totalParams`` as the client signed it, the signature it sent)."""
    query_part, in_query = _without_signature(query)
    body_part, in_body = _without_signature(body)
    return query_part + body_part, in_query or in_body


def signature(secret: str, payload: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``payload`` under ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def check_signature(secret: str, query: str, body: str) -> None:
    """Raise the venue's -1022 unless the request is signed with ``secret`` (-1102 when unsigned)."""
    payload, sent = signed_payload(query, body)
    if not sent:
        raise mandatory("signature")
    if not secret or not hmac.compare_digest(signature(secret, payload), sent.lower()):
        raise INVALID_SIGNATURE.error()


def _milliseconds(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise not_valid(name)
    return int(text)


def check_timestamp(timestamp: str | None, recv_window: str | None, now_ms: int) -> None:
    """Raise -1021 unless ``timestamp`` is within the window of ``now_ms`` (the wall clock)."""
    stamp = _milliseconds(timestamp, "timestamp")
    if stamp is None:
        raise mandatory("timestamp")
    window = _milliseconds(recv_window, "recvWindow")
    if window is None:
        window = DEFAULT_RECV_WINDOW_MS
    if window > MAX_RECV_WINDOW_MS:
        raise not_valid("recvWindow")
    if stamp >= now_ms + AHEAD_TOLERANCE_MS:
        raise AHEAD_OF_SERVER.error()
    if now_ms - stamp > window:
        raise OUTSIDE_RECV_WINDOW.error()
