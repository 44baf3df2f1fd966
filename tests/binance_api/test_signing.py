"""Request signing as the venue specifies it, on its documented example.

The venue's example secret is ``NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j``. All
parameters in the query string ``symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1
&recvWindow=5000&timestamp=1499827319559`` sign as ``hmac.new(secret, query, hashlib.sha256).hexdigest()``
= c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71. Split between the query (up to
``timeInForce=GTC``) and the body (from ``quantity=1``), the two are concatenated without a separator,
``...timeInForce=GTCquantity=1...``, which signs as
0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77 (the same call on that text).
"""

import pytest

from paperex.server.binance_api.errors import BinanceError
from paperex.server.binance_api.signing import check_signature, check_timestamp, signature, signed_payload

SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
QUERY = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
BODY = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
ALL_IN_QUERY = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
SPLIT = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"


def test_the_venues_example_signs_as_documented() -> None:
    assert signature(SECRET, f"{QUERY}&{BODY}") == ALL_IN_QUERY
    assert signature(SECRET, QUERY + BODY) == SPLIT


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (f"{QUERY}&{BODY}&signature={ALL_IN_QUERY}", ""),  # GET: everything in the query
        ("", f"{QUERY}&{BODY}&signature={ALL_IN_QUERY}"),  # POST as a form
        (QUERY, f"{BODY}&signature={SPLIT}"),  # the venue's mixed example
        (f"{QUERY}&signature={SPLIT}", BODY),  # the signature may close either part
        (f"{QUERY}&{BODY}&signature={ALL_IN_QUERY.upper()}", ""),  # hex in either case
    ],
)
def test_a_signature_over_the_raw_parameters_passes(query: str, body: str) -> None:
    check_signature(SECRET, query, body)


@pytest.mark.parametrize(
    ("query", "body", "code"),
    [
        (f"{QUERY}&{BODY}", "", -1102),  # unsigned
        (f"{QUERY}&{BODY}&signature={SPLIT}", "", -1022),  # signed over other bytes
        (f"{BODY}&{QUERY}&signature={ALL_IN_QUERY}", "", -1022),  # the same parameters reordered
        (f"{QUERY}&{BODY}&signature={ALL_IN_QUERY}", "extra=1", -1022),  # a parameter added unsigned
    ],
)
def test_anything_else_is_refused(query: str, body: str, code: int) -> None:
    with pytest.raises(BinanceError) as refused:
        check_signature(SECRET, query, body)
    assert refused.value.code == code


def test_the_signature_parameter_is_left_out_of_what_is_signed() -> None:
    assert signed_payload(QUERY, f"{BODY}&signature=ab") == (QUERY + BODY, "ab")


@pytest.mark.parametrize(
    ("timestamp", "window", "now", "code"),
    [
        ("1000000", None, 1_005_000, None),  # 5,000 ms old: the default window's edge
        ("1000000", None, 1_005_001, -1021),  # 5,001 ms old
        ("1000000", "60000", 1_060_000, None),  # the largest window
        ("1000000", "60001", 1_000_000, -1130),  # above it
        ("1000999", None, 1_000_000, None),  # 999 ms ahead of the server
        ("1001000", None, 1_000_000, -1021),  # 1,000 ms ahead
        (None, None, 1_000_000, -1102),
        ("12a", None, 1_000_000, -1130),
    ],
)
def test_the_timestamp_must_fall_in_the_window(
    timestamp: str | None, window: str | None, now: int, code: int | None
) -> None:
    if code is None:
        check_timestamp(timestamp, window, now)
        return
    with pytest.raises(BinanceError) as refused:
        check_timestamp(timestamp, window, now)
    assert refused.value.code == code
