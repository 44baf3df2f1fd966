"""Refusals as ``Refused`` errors: the one place a reason and its figures become the message and the
metadata a caller sees, whether the engine refused (an ``OrderRejected`` event) or the edge did (a
price off the tick). Unary calls, OrderSession results and the user stream all carry what this
builds; ``docs/errors.md`` lists the metadata keys of each reason.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from paperex.engine.events import OrderRejected
from paperex.engine.instruments import Instrument
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import Figure, Unit, price, quantity, shortfall
from paperex.engine.risk import OrderPreview
from paperex.engine.units import ConversionError
from paperex.engine.validation import price_range, quantity_range
from paperex.server.wire.errors import Refused, WireError
from paperex.server.wire.render import duration, money, steps_text

_PLAIN: dict[RejectReason, str] = {
    RejectReason.UNKNOWN_SYMBOL: "no instrument {symbol}",
    RejectReason.UNKNOWN_ORDER: "no open order with that id on {symbol}",
    RejectReason.UNKNOWN_ACCOUNT: "no such account",
    RejectReason.WOULD_IMMEDIATELY_TRIGGER: "the trigger price is already reached",
    RejectReason.POST_ONLY_WOULD_TAKE: "a post-only order would take liquidity",
    RejectReason.FOK_NOT_FILLABLE: "a fill-or-kill order cannot fill completely now",
    RejectReason.REDUCE_ONLY_WOULD_INCREASE: "a reduce-only order would open or grow the position",
    RejectReason.DUPLICATE_CLIENT_ORDER_ID: "client_order_id is in use by another order",
    RejectReason.ORDER_NOT_AMENDABLE: "only a resting limit order can be amended",
    RejectReason.NOTHING_TO_AMEND: "the amendment changes nothing",
    RejectReason.MODE_CHANGE_WITH_OPEN_POSITION: "margin mode cannot change while a position is open",
    RejectReason.MODE_CHANGE_WITH_OPEN_ORDERS: "margin mode cannot change while orders are open",
    RejectReason.NO_ISOLATED_POSITION: "no isolated position on {symbol}",
    RejectReason.ACCOUNT_ALREADY_EXISTS: "an account with that name exists",
}
"""Messages of the reasons that carry no figures."""

_WITH_FIGURES: dict[RejectReason, str] = {
    RejectReason.INVALID_PRICE: "{field} {price!r} is not a positive decimal",
    RejectReason.INVALID_QUANTITY: "{field} {quantity!r} is not a positive decimal",
    RejectReason.INVALID_AMOUNT: "{field} {amount!r} is not a positive decimal",
    RejectReason.INVALID_TICK: (
        "{field} {price} is not a multiple of the tick size {tick_size}; the nearest valid prices are"
        " {price_below} and {price_above}"
    ),
    RejectReason.INVALID_LOT: (
        "{field} {quantity} is not a multiple of the lot size {lot_size}; the nearest valid quantities are"
        " {quantity_below} and {quantity_above}"
    ),
    RejectReason.PRICE_OUT_OF_BOUNDS: "price {price} is outside the instrument's range {min_price} to {max_price}",
    RejectReason.QUANTITY_OUT_OF_BOUNDS: "quantity {quantity} is outside the range {min_quantity} to {max_quantity}",
    RejectReason.MIN_NOTIONAL: "order notional {notional} is below the instrument's minimum {min_notional}",
    RejectReason.PRICE_OUT_OF_BAND: (
        "price {price} is outside the band {lowest_price} to {highest_price} around the reference price"
        " {reference_price}"
    ),
    RejectReason.TOO_MANY_OPEN_ORDERS: "the account already has the maximum of {limit} open orders on {symbol}",
    RejectReason.INSUFFICIENT_MARGIN: "margin required {required} exceeds the available balance {available}",
    RejectReason.INSUFFICIENT_BALANCE: "the amount {required} exceeds the available balance {available}",
    RejectReason.INVALID_LEVERAGE: "leverage {leverage} is outside 1 to {max_leverage}",
    RejectReason.LEVERAGE_TOO_HIGH: (
        "leverage {leverage} caps the notional at {max_notional}, below the position and open orders'"
        " {notional} (at most {max_leverage}x for that notional)"
    ),
    RejectReason.POSITION_LIMIT_EXCEEDED: "notional {notional} would pass the {max_notional} cap of {leverage}x",
    RejectReason.MARGIN_REMOVAL_TOO_LARGE: "removing {required} exceeds the {available} the position can release",
    RejectReason.CLOSE_EXCEEDS_POSITION: (
        "closing {quantity} exceeds the {closable} the leg holds beyond the closing orders already on it"
    ),
}
"""Messages that quote the figures; a refusal missing one of them gets the reason's plain words."""

_MAX_WITHDRAW = "; at most {max_withdraw} can be withdrawn now"

_GIVEN: dict[RejectReason, str] = {
    RejectReason.INVALID_PRICE: "price",
    RejectReason.INVALID_TICK: "price",
    RejectReason.PRICE_OUT_OF_BOUNDS: "price",
    RejectReason.INVALID_QUANTITY: "quantity",
    RejectReason.INVALID_LOT: "quantity",
    RejectReason.QUANTITY_OUT_OF_BOUNDS: "quantity",
    RejectReason.INVALID_AMOUNT: "amount",
}
"""The key that echoes a wire value refused at the edge."""
_ECHOED_CHARS = 40


def figure_text(figure: Figure, spec: Instrument | None) -> str:
    """A figure as the API shows the same quantity elsewhere: prices at the tick and quantities at the
    lot (as ListInstruments and GetAccount), money with up to 8 decimals, counts as integers."""
    unit = figure.unit
    if unit is Unit.AMOUNT:
        return money(figure.value)
    if unit is Unit.COUNT or spec is None:
        return str(figure.value)
    return steps_text(figure.value, spec.tick_size if unit is Unit.TICKS else spec.lot_size)


def refused(
    reason: RejectReason,
    named: Mapping[str, str],
    figures: Iterable[Figure] = (),
    spec: Instrument | None = None,
    *,
    command: str = "",
    field: str = "",
) -> Refused:
    """The refusal for ``reason``: what the request named (symbol, order ids, the value given) and
    the figures rendered for ``spec`` as metadata, and a message quoting them; a ``WireError`` when
    ``field`` names the malformed request field."""
    metadata = {**named, **{figure.name: figure_text(figure, spec) for figure in figures}}
    if field:
        metadata["field"] = field
        return WireError(reason.value, field, _message(reason, metadata), metadata)
    message = _message(reason, metadata)
    return Refused(reason.value, f"{command}: {message}" if command else message, metadata)


def _message(reason: RejectReason, metadata: Mapping[str, str]) -> str:
    template = _WITH_FIGURES.get(reason)
    if template is not None:
        try:
            message = template.format_map(metadata)
        except KeyError:
            pass
        else:
            return message + (_MAX_WITHDRAW.format_map(metadata) if "max_withdraw" in metadata else "")
    plain = _PLAIN.get(reason, reason.value.lower().replace("_", " "))
    return plain.format(symbol=metadata.get("symbol", ""))


def refusal(event: OrderRejected, spec: Instrument | None) -> Refused:
    """The refusal a caller sees for an engine rejection (``spec``: its symbol's instrument, None
    when the symbol is unknown)."""
    metadata = {"symbol": event.symbol} if event.symbol else {}
    if event.order_id:
        metadata["order_id"] = str(event.order_id)
    if event.client_order_id:
        metadata["client_order_id"] = event.client_order_id
    return refused(event.reason, metadata, event.figures, spec, command=event.command)


def too_many_steps(steps: int, max_steps: int, step_ns: int, asked_ns: int, field: str) -> Refused:
    """Simulated time asked to move more feed steps than one call may take."""
    limit, asked = duration(max_steps * step_ns), duration(asked_ns)
    return Refused(
        "INVALID_ARGUMENT",
        f"at most {max_steps:,} feed steps per call ({limit} at the {duration(step_ns)} step); "
        f"this asks for {steps:,} ({asked}): advance in several calls",
        {"max_steps": str(max_steps), "steps": str(steps), "max_duration": limit, "duration": asked},
        field=field,
    )


def preview_refusal(preview: OrderPreview) -> Refused | None:
    """What placing a previewed order would be refused for (None: it would be accepted)."""
    if preview.accepted:
        return None
    return refused(RejectReason.INSUFFICIENT_MARGIN, {}, shortfall(preview.cost, preview.available_before))


def conversion_refusal(error: ConversionError, spec: Instrument | None = None) -> Refused:
    """The refusal of a wire decimal: the value as given and, for a price or quantity ``spec`` does
    not accept, the filter it missed (the step and the nearest valid values, or the range)."""
    named = {"symbol": spec.symbol} if spec else {}
    given = _GIVEN.get(error.reason)
    if given is not None:
        named[given] = str(error.value)[:_ECHOED_CHARS]
    figures = _conversion_figures(error, spec) if spec else ()
    return refused(error.reason, named, figures, spec, field=error.field)


def _conversion_figures(error: ConversionError, spec: Instrument) -> tuple[Figure, ...]:
    reason = error.reason
    if reason is RejectReason.INVALID_TICK:
        below, above = spec.nearest_prices(Decimal(str(error.value)))
        return (price("tick_size", 1), price("price_below", below), price("price_above", above))
    if reason is RejectReason.INVALID_LOT:
        below, above = spec.nearest_quantities(Decimal(str(error.value)))
        return (quantity("lot_size", 1), quantity("quantity_below", below), quantity("quantity_above", above))
    if reason is RejectReason.PRICE_OUT_OF_BOUNDS:
        return price_range(spec)
    if reason is RejectReason.QUANTITY_OUT_OF_BOUNDS:
        return quantity_range(spec.min_qty, spec.max_qty)
    return ()
