"""Our refusals in the venue's words (``errors.venue_error``)."""

import pytest

from paperex.engine.reasons import RejectReason
from paperex.server.binance_api.errors import ASSET_MODE_ERRORS, CANCEL_ERRORS, VENUE_ERRORS, venue_error
from paperex.server.wire.errors import Refused


def test_every_engine_refusal_has_the_venues_wording() -> None:
    """None falls through to the venue's catch-all -1000, but for the one no call here can meet (accounts
    are opened by the admin, over gRPC)."""
    assert {reason.value for reason in RejectReason} - set(VENUE_ERRORS) == {"ACCOUNT_ALREADY_EXISTS"}


@pytest.mark.parametrize(
    ("reason", "metadata", "answer"),
    [
        ("INSUFFICIENT_MARGIN", {"required": "30300", "available": "10000"}, (400, -2019, "Margin is insufficient.")),
        ("UNKNOWN_SYMBOL", {}, (400, -1121, "Invalid symbol.")),
        ("UNKNOWN_ORDER", {}, (400, -2013, "Order does not exist.")),
        (
            "MIN_NOTIONAL",
            {"notional": "60", "min_notional": "100"},
            (400, -4164, "Order's notional must be no smaller than 100 (unless you choose reduce only)."),
        ),
        ("PRICE_OUT_OF_BOUNDS", {"price": "500", "min_price": "556.8"}, (400, -4013, "Price less than min price.")),
        (
            "PRICE_OUT_OF_BOUNDS",
            {"price": "5000000", "min_price": "556.8"},
            (400, -4002, "Price greater than max price."),
        ),
        (
            "PRICE_OUT_OF_BAND",
            {"price": "70000", "lowest_price": "61750.0", "highest_price": "68250.0"},
            (400, -4016, "Limit price can't be higher than 68250.0."),
        ),
        (
            "PRICE_OUT_OF_BAND",
            {"price": "60000", "lowest_price": "61750.0", "highest_price": "68250.0"},
            (400, -4024, "Limit price can't be lower than 61750.0."),
        ),
        ("INVALID_LEVERAGE", {"leverage": "200", "max_leverage": "125"}, (400, -4028, "Leverage 200 is not valid")),
        ("UNAUTHENTICATED", {}, (401, -2015, "Invalid API-key, IP, or permissions for action.")),
        (
            "RATE_LIMITED",
            {},
            (429, -1003, "Too many requests; please use the websocket for live updates to avoid polling the API."),
        ),
        ("CURSOR_EXPIRED", {}, (500, -1000, "An unknown error occured while processing the request.")),
    ],
)
def test_a_refusal_in_the_venues_words(reason: str, metadata: dict[str, str], answer: tuple[int, int, str]) -> None:
    error = venue_error(Refused(reason, "ours", metadata))
    assert (error.status, error.code, error.msg) == answer
    assert error.body()["paperex"] == {"reason": reason, "message": "ours", "metadata": metadata}


def test_a_missing_field_is_named() -> None:
    error = venue_error(Refused("MISSING_FIELD", "symbol is required", field="symbol"))
    assert (error.code, error.msg) == (
        -1102,
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    )


def test_a_cancel_of_an_unknown_order_is_the_venues_unknown_order_sent() -> None:
    error = venue_error(Refused("UNKNOWN_ORDER", "no open order"), CANCEL_ERRORS)
    assert (error.status, error.code, error.msg) == (400, -2011, "Unknown order sent.")


def test_the_asset_mode_switch_is_refused_in_its_own_codes() -> None:
    """The same reasons the margin-type switch words -4047, -4048 and -2018 are -4170, -4170 and -4172 when
    the asset mode is switched; other reasons keep their usual words."""
    answers = {
        reason: venue_error(Refused(reason, "refused"), ASSET_MODE_ERRORS).code
        for reason in ("MODE_CHANGE_WITH_OPEN_ORDERS", "MODE_CHANGE_WITH_OPEN_POSITION", "INSUFFICIENT_BALANCE")
    }
    assert answers == {
        "MODE_CHANGE_WITH_OPEN_ORDERS": -4170,
        "MODE_CHANGE_WITH_OPEN_POSITION": -4170,
        "INSUFFICIENT_BALANCE": -4172,
    }
    assert venue_error(Refused("MODE_CHANGE_WITH_OPEN_ORDERS", "refused")).code == -4047
    assert venue_error(Refused("UNKNOWN_ACCOUNT", "refused"), ASSET_MODE_ERRORS).code == -1109
