"""Our refusals in the venue's words: ``{"code": -2019, "msg": "Margin is insufficient."}`` with the HTTP
status the venue answers, so a bot's error handling (and ccxt's exception classes) work unchanged.

The body also carries ``paperex``: our reason, message and figures (``docs/errors.md``), which venue
clients ignore and a person debugging reads.
"""

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from paperex.server.wire.errors import Refused

BAD_REQUEST, UNAUTHORIZED, IP_BANNED, TOO_MANY_REQUESTS, INTERNAL, UNAVAILABLE = 400, 401, 418, 429, 500, 503


class Answer(NamedTuple):
    """One of the venue's error answers: HTTP status, code, exact message."""

    status: int
    code: int
    msg: str

    def error(self, refused: Refused | None = None) -> "BinanceError":
        return BinanceError(self.status, self.code, self.msg, refused)


class BinanceError(Exception):
    """An answer in the venue's error form: HTTP ``status``, its ``code`` and exact ``msg``."""

    def __init__(self, status: int, code: int, msg: str, refused: Refused | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.refused = refused

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.refused is not None:
            refused = self.refused
            body["paperex"] = {"reason": refused.reason, "message": refused.message, "metadata": refused.metadata}
        return body


def mandatory(name: str) -> BinanceError:
    return BinanceError(BAD_REQUEST, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def not_valid(name: str) -> BinanceError:
    return BinanceError(BAD_REQUEST, -1130, f"Data sent for parameter '{name}' is not valid.")


def not_required(name: str) -> BinanceError:
    return BinanceError(BAD_REQUEST, -1106, f"Parameter '{name}' sent when not required.")


def illegal_characters(name: str, legal: str) -> BinanceError:
    return BinanceError(
        BAD_REQUEST, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


UNKNOWN_ORDER_SENT = Answer(BAD_REQUEST, -2011, "Unknown order sent.")
"""The venue's answer to a cancel of an order it does not know (a query gets -2013)."""
ALGO_ORDER_TYPE = Answer(
    BAD_REQUEST, -4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
)
INVALID_ORDER_TYPE = Answer(BAD_REQUEST, -1116, "Invalid orderType.")
INVALID_SIDE = Answer(BAD_REQUEST, -1117, "Invalid side.")
INVALID_TIME_IN_FORCE = Answer(BAD_REQUEST, -1115, "Invalid timeInForce.")
POSITION_SIDE_MISMATCH = Answer(BAD_REQUEST, -4061, "Order's position side does not match user's setting.")
INVALID_CLIENT_ORDER_ID = Answer(BAD_REQUEST, -4015, "Client order id is not valid.")
INVALID_STP_MODE = Answer(BAD_REQUEST, -5039, "Invalid self trade prevention mode")
NO_NEED_TO_CHANGE_MARGIN_TYPE = Answer(BAD_REQUEST, -4046, "No need to change margin type.")
NO_NEED_TO_CHANGE_ASSET_MODE = Answer(
    BAD_REQUEST, -4171, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly."
)
UNSUPPORTED_OPERATION = Answer(BAD_REQUEST, -1020, "This operation is not supported.")
INVALID_SIGNATURE = Answer(BAD_REQUEST, -1022, "Signature for this request is not valid.")
INVALID_API_KEY = Answer(UNAUTHORIZED, -2015, "Invalid API-key, IP, or permissions for action.")
API_KEY_FORMAT = Answer(UNAUTHORIZED, -2014, "API-key format invalid.")
OUTSIDE_RECV_WINDOW = Answer(BAD_REQUEST, -1021, "Timestamp for this request is outside of the recvWindow.")
AHEAD_OF_SERVER = Answer(BAD_REQUEST, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
UNKNOWN = Answer(INTERNAL, -1000, "An unknown error occured while processing the request.")
LISTEN_KEY_NOT_FOUND = Answer(BAD_REQUEST, -1125, "This listenKey does not exist.")
NOT_FOUND = Answer(404, -5000, "Path not found")
BATCH_SIZE = Answer(BAD_REQUEST, -4082, "Invalid number of batch place orders.")


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return Decimal(0)


def _bound(
    low: tuple[int, str], high: tuple[int, str], value: str, minimum: str
) -> Callable[[Refused], tuple[int, int, str]]:
    """Below the minimum is one code, above the maximum another."""

    def pick(refused: Refused) -> tuple[int, int, str]:
        code, msg = (
            low if _decimal(refused.metadata.get(value, "")) < _decimal(refused.metadata.get(minimum, "")) else high
        )
        return BAD_REQUEST, code, msg

    return pick


def _band(refused: Refused) -> tuple[int, int, str]:
    metadata = refused.metadata
    if _decimal(metadata.get("price", "")) > _decimal(metadata.get("highest_price", "")):
        return BAD_REQUEST, -4016, f"Limit price can't be higher than {metadata.get('highest_price', '')}."
    return BAD_REQUEST, -4024, f"Limit price can't be lower than {metadata.get('lowest_price', '')}."


def _figure(code: int, template: str) -> Callable[[Refused], tuple[int, int, str]]:
    """A message with the refusal's figures in it (``{min_notional}``)."""

    def word(refused: Refused) -> tuple[int, int, str]:
        return BAD_REQUEST, code, template.format_map(_Blank(refused.metadata))

    return word


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


INTERVALS = {"10s": "TEN_SECONDS", "1m": "MINUTE"}
"""Our order windows by the venue's names for them, as its -1015 message words them."""


def _rate_limited(refused: Refused) -> tuple[int, int, str]:
    """Too many new orders is -1015; too much request weight (or any other rate) -1003, with the limit
    when the venue limits set it."""
    metadata = refused.metadata
    limit = metadata.get("limit", "")
    if metadata.get("budget") == "orders":
        if not limit:
            return TOO_MANY_REQUESTS, -1015, "Too many new orders."
        interval = INTERVALS.get(metadata.get("window", ""), "")
        return TOO_MANY_REQUESTS, -1015, f"Too many new orders; current limit is {limit} orders per {interval}."
    if metadata.get("budget") == "request_weight":
        return (
            TOO_MANY_REQUESTS,
            -1003,
            f"Too many requests; current limit is {limit} requests per minute. Please use the websocket for live"
            " updates to avoid polling the API.",
        )
    return (
        TOO_MANY_REQUESTS,
        -1003,
        "Too many requests; please use the websocket for live updates to avoid polling the API.",
    )


def _banned(refused: Refused) -> tuple[int, int, str]:
    until_ms = refused.metadata.get("until_ms", "")
    return (
        IP_BANNED,
        -1003,
        f"Way too many requests; IP banned until {until_ms}. Please use the websocket for live updates to avoid bans.",
    )


def _field_missing(refused: Refused) -> tuple[int, int, str]:
    error = mandatory(refused.field or "parameter")
    return error.status, error.code, error.msg


def _field_invalid(refused: Refused) -> tuple[int, int, str]:
    error = not_valid(refused.field or "parameter")
    return error.status, error.code, error.msg


Wording = tuple[int, int, str] | Callable[[Refused], tuple[int, int, str]]
Wordings = Mapping[str, Wording]

VENUE_ERRORS: Mapping[str, Wording] = {
    "UNKNOWN_SYMBOL": (BAD_REQUEST, -1121, "Invalid symbol."),
    "UNKNOWN_ORDER": (BAD_REQUEST, -2013, "Order does not exist."),
    "UNKNOWN_ACCOUNT": (BAD_REQUEST, -1109, "Invalid account."),
    "INVALID_PRICE": (BAD_REQUEST, -4001, "Price less than 0."),
    "INVALID_QUANTITY": (BAD_REQUEST, -4003, "Quantity less than or equal to zero."),
    "INVALID_TICK": (BAD_REQUEST, -4014, "Price not increased by tick size."),
    "INVALID_LOT": (BAD_REQUEST, -1111, "Precision is over the maximum defined for this asset."),
    "PRICE_OUT_OF_BOUNDS": _bound(
        (-4013, "Price less than min price."), (-4002, "Price greater than max price."), "price", "min_price"
    ),
    "QUANTITY_OUT_OF_BOUNDS": _bound(
        (-4004, "Quantity less than min quantity."),
        (-4005, "Quantity greater than max quantity."),
        "quantity",
        "min_quantity",
    ),
    "MIN_NOTIONAL": _figure(
        -4164, "Order's notional must be no smaller than {min_notional} (unless you choose reduce only)."
    ),
    "PRICE_OUT_OF_BAND": _band,
    "INVALID_ORDER_PARAMETERS": (BAD_REQUEST, -1128, "Combination of optional parameters invalid."),
    "INVALID_TIME_IN_FORCE": (BAD_REQUEST, -1115, "Invalid timeInForce."),
    "INVALID_EXPIRE_TIME": (
        BAD_REQUEST,
        -5040,
        "The goodTillDate timestamp must be greater than the current time plus 600 seconds and smaller than"
        " 253402300799000",
    ),
    "INVALID_CALLBACK_RATE": (BAD_REQUEST, -1130, "Data sent for parameter 'callbackRate' is not valid."),
    "WOULD_IMMEDIATELY_TRIGGER": (BAD_REQUEST, -2021, "Order would immediately trigger."),
    "POST_ONLY_WOULD_TAKE": (
        BAD_REQUEST,
        -5022,
        "Due to the order could not be executed as maker, the Post Only order will be rejected. The order will"
        " not be recorded in the order history",
    ),
    "FOK_NOT_FILLABLE": (
        BAD_REQUEST,
        -5021,
        "Due to the order could not be filled immediately, the FOK order has been rejected. The order will not"
        " be recorded in the order history",
    ),
    "REDUCE_ONLY_WOULD_INCREASE": (BAD_REQUEST, -2022, "ReduceOnly Order is rejected."),
    "DUPLICATE_CLIENT_ORDER_ID": (BAD_REQUEST, -4116, "ClientOrderId is duplicated."),
    "ORDER_NOT_AMENDABLE": (BAD_REQUEST, -5025, "Only limit order is supported."),
    "NOTHING_TO_AMEND": (BAD_REQUEST, -5027, "No need to modify the order."),
    "TOO_MANY_OPEN_ORDERS": (BAD_REQUEST, -2025, "Reach max open order limit."),
    "INSUFFICIENT_MARGIN": (BAD_REQUEST, -2019, "Margin is insufficient."),
    "INSUFFICIENT_BALANCE": (BAD_REQUEST, -2018, "Balance is insufficient"),
    "LEVERAGE_TOO_HIGH": (BAD_REQUEST, -2027, "Exceeded the maximum allowable position at current leverage."),
    "POSITION_LIMIT_EXCEEDED": (BAD_REQUEST, -2027, "Exceeded the maximum allowable position at current leverage."),
    "INVALID_LEVERAGE": _figure(-4028, "Leverage {leverage} is not valid"),
    "MODE_CHANGE_WITH_OPEN_POSITION": (BAD_REQUEST, -4048, "Margin type cannot be changed if there exists position."),
    "MODE_CHANGE_WITH_OPEN_ORDERS": (BAD_REQUEST, -4047, "Margin type cannot be changed if there exists open orders."),
    "NO_ISOLATED_POSITION": (BAD_REQUEST, -2024, "Position is not sufficient."),
    "MARGIN_REMOVAL_TOO_LARGE": (BAD_REQUEST, -4051, "Isolated balance insufficient."),
    "UNKNOWN_ASSET": (BAD_REQUEST, -4003, "Asset is not supported."),
    "ISOLATED_IN_MULTI_ASSETS_MODE": (
        BAD_REQUEST,
        -4168,
        "Unable to adjust to isolated-margin mode under the Multi-Assets mode.",
    ),
    "POSITION_SIDE_MISMATCH": (BAD_REQUEST, -4061, "Order's position side does not match user's setting."),
    "REDUCE_ONLY_IN_HEDGE_MODE": (BAD_REQUEST, -1106, "Parameter 'reduceonly' sent when not required."),
    "CLOSE_EXCEEDS_POSITION": (BAD_REQUEST, -2022, "ReduceOnly Order is rejected."),
    "POSITION_MODE_UNCHANGED": (BAD_REQUEST, -4059, "No need to change position side."),
    "POSITION_MODE_CHANGE_WITH_OPEN_POSITION": (
        BAD_REQUEST,
        -4068,
        "Position side cannot be changed if there exists position.",
    ),
    "POSITION_MODE_CHANGE_WITH_OPEN_ORDERS": (
        BAD_REQUEST,
        -4067,
        "Position side cannot be changed if there exists open orders.",
    ),
    "INVALID_AMOUNT": (BAD_REQUEST, -1130, "Data sent for parameter 'amount' is not valid."),
    "UNAUTHENTICATED": (UNAUTHORIZED, -2015, "Invalid API-key, IP, or permissions for action."),
    "PERMISSION_DENIED": (UNAUTHORIZED, -2015, "Invalid API-key, IP, or permissions for action."),
    "RATE_LIMITED": _rate_limited,
    "BANNED": _banned,
    "SERVER_BUSY": (
        UNAVAILABLE,
        -1008,
        "Server is currently overloaded with other requests. Please try again in a few minutes.",
    ),
    "MISSING_FIELD": _field_missing,
    "INVALID_ENUM_VALUE": _field_invalid,
    "INVALID_ARGUMENT": _field_invalid,
    "SHUTTING_DOWN": (UNAVAILABLE, -1001, "Internal error; unable to process your request. Please try again."),
    "JOURNAL_FAILED": (
        UNAVAILABLE,
        -1006,
        "An unexpected response was received from the message bus. Execution status unknown.",
    ),
}
"""Every reason a call on this API can meet, in the venue's words; anything else is -1000 (the proto's
never-sent ACCOUNT_IN_LIQUIDATION has no entry: a liquidation runs whole inside one command)."""


ASSET_MODE_ERRORS: Wordings = {
    "ISOLATED_IN_MULTI_ASSETS_MODE": (
        BAD_REQUEST,
        -4167,
        "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode.",
    ),
    "MODE_CHANGE_WITH_OPEN_ORDERS": (
        BAD_REQUEST,
        -4170,
        "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures",
    ),
    "MODE_CHANGE_WITH_OPEN_POSITION": (
        BAD_REQUEST,
        -4170,
        "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures",
    ),
    "INSUFFICIENT_BALANCE": (
        BAD_REQUEST,
        -4172,
        "Unable to adjust Multi-Assets Mode with a negative wallet balance of margin available asset in USDⓈ-M"
        " Futures account.",
    ),
}
"""The asset-mode switch's refusals, which the venue words apart from the margin-type switch's (-4168,
-4047, -4048). Its error list has no code for an open position; it refuses one with the open orders'
-4170 (its FAQ: no switch "if there are open positions or open orders")."""
CANCEL_ERRORS: Wordings = {"UNKNOWN_ORDER": UNKNOWN_ORDER_SENT}
"""A cancel of an order the venue does not know is -2011 (a query's is -2013)."""


def venue_error(refused: Refused, words: Wordings | None = None) -> BinanceError:
    """``refused`` as the venue answers it; ``words`` (e.g. ``ASSET_MODE_ERRORS``) word the reasons that one
    endpoint answers with other codes than ``VENUE_ERRORS``."""
    wording = (words or {}).get(refused.reason) or VENUE_ERRORS.get(refused.reason)
    if wording is None:
        return UNKNOWN.error(refused)
    status, code, msg = wording(refused) if callable(wording) else wording
    return BinanceError(status, code, msg, refused)
