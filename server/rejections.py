"""Business refusals (``OrderRejected`` events) as ``Refused`` errors with a message a person can act on."""

from paperex.engine.events import OrderRejected
from paperex.engine.reasons import RejectReason
from paperex.server.errors import Refused
from paperex.server.render import money

_MESSAGES: dict[RejectReason, str] = {
    RejectReason.UNKNOWN_SYMBOL: "no instrument {symbol}",
    RejectReason.UNKNOWN_ORDER: "no open order with that id on {symbol}",
    RejectReason.UNKNOWN_ACCOUNT: "no such account",
    RejectReason.MIN_NOTIONAL: "order notional is below the instrument's minimum",
    RejectReason.PRICE_OUT_OF_BAND: "price is outside the protective band around the mark price",
    RejectReason.WOULD_IMMEDIATELY_TRIGGER: "the trigger price is already reached",
    RejectReason.POST_ONLY_WOULD_TAKE: "a post-only order would take liquidity",
    RejectReason.FOK_NOT_FILLABLE: "a fill-or-kill order cannot fill completely now",
    RejectReason.REDUCE_ONLY_WOULD_INCREASE: "a reduce-only order would open or grow the position",
    RejectReason.DUPLICATE_CLIENT_ORDER_ID: "client_order_id is in use by another order",
    RejectReason.ORDER_NOT_AMENDABLE: "only a resting limit order can be amended",
    RejectReason.NOTHING_TO_AMEND: "the amendment changes nothing",
    RejectReason.TOO_MANY_OPEN_ORDERS: "the account already has the maximum of open orders on {symbol}",
    RejectReason.INSUFFICIENT_MARGIN: "order cost {required} exceeds the available balance {available}",
    RejectReason.INSUFFICIENT_BALANCE: "the amount exceeds what may leave the wallet or the available balance",
    RejectReason.LEVERAGE_TOO_HIGH: "leverage too high for the position and open orders",
    RejectReason.POSITION_LIMIT_EXCEEDED: "notional {required} would pass the leverage's cap {available}",
    RejectReason.MODE_CHANGE_WITH_OPEN_POSITION: "margin mode cannot change while a position is open",
    RejectReason.MODE_CHANGE_WITH_OPEN_ORDERS: "margin mode cannot change while orders are open",
    RejectReason.NO_ISOLATED_POSITION: "no isolated position on {symbol}",
    RejectReason.MARGIN_REMOVAL_TOO_LARGE: "removing that much would take the position below its initial margin",
    RejectReason.ACCOUNT_ALREADY_EXISTS: "an account with that name exists",
}


def refusal(event: OrderRejected) -> Refused:
    """The refusal a caller sees for an engine rejection, with the shortfall where there is one."""
    metadata = {"symbol": event.symbol} if event.symbol else {}
    if event.order_id:
        metadata["order_id"] = str(event.order_id)
    if event.client_order_id:
        metadata["client_order_id"] = event.client_order_id
    if event.required or event.available:
        metadata["required"] = money(event.required)
        metadata["available"] = money(event.available)
    template = _MESSAGES.get(event.reason, event.reason.value.lower().replace("_", " "))
    message = template.format(symbol=event.symbol, **{k: metadata.get(k, "") for k in ("required", "available")})
    return Refused(event.reason.value, f"{event.command}: {message}", metadata)
