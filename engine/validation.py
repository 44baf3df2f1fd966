"""Static admission rules for a new order: shape, filters and price band, as a venue checks them
before any state is touched. Position-dependent rules (reduce-only, FOK, post-only) live with matching.
"""

from paperex.engine.accounts import HEDGE, PositionMode
from paperex.engine.commands import PlaceOrder
from paperex.engine.instruments import Instrument
from paperex.engine.orders import (
    BOTH,
    BUY,
    CONDITIONAL_TYPES,
    FOK,
    GTD,
    GTX,
    LIMIT,
    LIMIT_PRICED_TYPES,
    SELL,
    TRAILING_STOP_MARKET,
    OrderType,
    Side,
    TimeInForce,
)
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import Figure, Refusal, money, price, quantity
from paperex.engine.units import SCALE, Amount, Lots, Ticks

MIN_CALLBACK_BPS = 10
MAX_CALLBACK_BPS = 1000
CLOSE_POSITION_TYPES = frozenset({OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET})


def band_limit(instrument: Instrument, side: Side, reference: Ticks) -> Ticks:
    """The worst price an aggressive order may reach: ``reference`` x (1 +/- band), rounded inward.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = DEFAULT_INSTRUMENTS["BTCUSDT"]
    >>> band_limit(btc, Side.BUY, 1000001), band_limit(btc, Side.SELL, 1000001)
    (1050001, 950001)
    """
    if side is BUY:
        return reference * (SCALE + instrument.price_band) // SCALE
    return -(-reference * (SCALE - instrument.price_band) // SCALE)


def price_range(instrument: Instrument) -> tuple[Figure, Figure]:
    """The price filter's limits, as a PRICE_OUT_OF_BOUNDS refusal shows them."""
    return price("min_price", instrument.min_price), price("max_price", instrument.max_price)


def quantity_range(min_qty: Lots, max_qty: Lots) -> tuple[Figure, Figure]:
    """A quantity filter's limits (the market one has its own maximum), as QUANTITY_OUT_OF_BOUNDS shows them."""
    return quantity("min_quantity", min_qty), quantity("max_quantity", max_qty)


def price_bounds(instrument: Instrument, ticks: Ticks) -> Refusal | None:
    """The instrument's price filter: PRICE_OUT_OF_BOUNDS with the price and the limits, or None."""
    if instrument.min_price <= ticks <= instrument.max_price:
        return None
    return Refusal(RejectReason.PRICE_OUT_OF_BOUNDS, (price("price", ticks), *price_range(instrument)))


def quantity_bounds(lots: Lots, min_qty: Lots, max_qty: Lots) -> Refusal | None:
    """A quantity filter: QUANTITY_OUT_OF_BOUNDS with the quantity and the limits, or None."""
    if min_qty <= lots <= max_qty:
        return None
    return Refusal(RejectReason.QUANTITY_OUT_OF_BOUNDS, (quantity("quantity", lots), *quantity_range(min_qty, max_qty)))


def _below_min_notional(instrument: Instrument, notional: Amount) -> Refusal:
    figures = (money("notional", notional), money("min_notional", instrument.min_notional))
    return Refusal(RejectReason.MIN_NOTIONAL, figures)


def _out_of_band(instrument: Instrument, ticks: Ticks, reference: Ticks) -> Refusal:
    figures = (
        price("price", ticks),
        price("lowest_price", band_limit(instrument, SELL, reference)),
        price("highest_price", band_limit(instrument, BUY, reference)),
        price("reference_price", reference),
    )
    return Refusal(RejectReason.PRICE_OUT_OF_BAND, figures)


def check_price_and_size(
    instrument: Instrument, side: Side, ticks: Ticks, lots: int, reference: Ticks, exempt: bool
) -> Refusal | None:
    """Filters a priced order must pass (also on amend): bounds, min notional, band vs the reference.
    Runs on every limit order, so the accepted path compares in line; figures are made only to refuse."""
    if not instrument.min_price <= ticks <= instrument.max_price:
        return price_bounds(instrument, ticks)
    if not instrument.min_qty <= lots <= instrument.max_qty:
        return quantity_bounds(lots, instrument.min_qty, instrument.max_qty)
    if not exempt and ticks * lots * instrument.notional_unit < instrument.min_notional:
        return _below_min_notional(instrument, ticks * lots * instrument.notional_unit)
    if reference and (
        ticks > band_limit(instrument, BUY, reference)
        if side is BUY
        else ticks < band_limit(instrument, SELL, reference)
    ):
        return _out_of_band(instrument, ticks, reference)
    return None


def check_position_side(cmd: PlaceOrder, mode: PositionMode) -> Refusal | None:
    """The position-mode rules of a new order: in one-way mode it names no leg (BOTH); in hedge mode
    it names LONG or SHORT and may not be reduce-only (its side and leg say whether it closes)."""
    if mode is HEDGE:
        if cmd.position_side is BOTH:
            return Refusal(RejectReason.POSITION_SIDE_MISMATCH)
        if cmd.reduce_only:
            return Refusal(RejectReason.REDUCE_ONLY_IN_HEDGE_MODE)
    elif cmd.position_side is not BOTH:
        return Refusal(RejectReason.POSITION_SIDE_MISMATCH)
    return None


def check_new_order(cmd: PlaceOrder, instrument: Instrument, reference: Ticks, now: int) -> Refusal | None:
    """The first reason ``cmd`` is unacceptable regardless of positions, or None.

    ``reference`` is the price band's anchor (mark, else last; 0 when the market has no price yet).
    """
    # Checked before a local takes the field: compiled, a typed local would raise TypeError instead.
    if not isinstance(cmd.order_type, OrderType) or not isinstance(cmd.side, Side):
        return Refusal(RejectReason.INVALID_ORDER_PARAMETERS)
    order_type = cmd.order_type
    if not isinstance(cmd.time_in_force, TimeInForce):
        return Refusal(RejectReason.INVALID_TIME_IN_FORCE)
    if (cmd.time_in_force is GTD) != (cmd.expire_at != 0):
        return Refusal(RejectReason.INVALID_EXPIRE_TIME)
    if cmd.expire_at and cmd.expire_at <= now:
        return Refusal(RejectReason.INVALID_EXPIRE_TIME)
    priced = order_type in LIMIT_PRICED_TYPES
    if not priced and cmd.time_in_force in (FOK, GTX):
        return Refusal(RejectReason.INVALID_TIME_IN_FORCE)
    if priced != (cmd.price != 0):
        return Refusal(RejectReason.INVALID_PRICE if priced else RejectReason.INVALID_ORDER_PARAMETERS)
    conditional = order_type in CONDITIONAL_TYPES
    trailing = order_type is TRAILING_STOP_MARKET
    if (conditional and not trailing) != (cmd.stop_price != 0):
        return Refusal(RejectReason.INVALID_ORDER_PARAMETERS)
    if cmd.stop_price and (refusal := price_bounds(instrument, cmd.stop_price)):
        return refusal
    if trailing:
        if not MIN_CALLBACK_BPS <= cmd.callback_bps <= MAX_CALLBACK_BPS:
            return Refusal(RejectReason.INVALID_CALLBACK_RATE)
        if cmd.activation_price and (refusal := price_bounds(instrument, cmd.activation_price)):
            return refusal
    elif cmd.callback_bps or cmd.activation_price:
        return Refusal(RejectReason.INVALID_ORDER_PARAMETERS)
    if cmd.close_position:
        if order_type not in CLOSE_POSITION_TYPES or cmd.quantity or cmd.reduce_only:
            return Refusal(RejectReason.INVALID_ORDER_PARAMETERS)
        return None
    if cmd.quantity <= 0:
        return Refusal(RejectReason.INVALID_QUANTITY)
    exempt = cmd.reduce_only
    if priced:
        band_reference = reference if order_type is LIMIT else 0
        return check_price_and_size(instrument, cmd.side, cmd.price, cmd.quantity, band_reference, exempt)
    if refusal := quantity_bounds(cmd.quantity, instrument.min_qty, instrument.max_market_qty):
        return refusal
    notional_price = cmd.stop_price or reference
    if not exempt and notional_price:
        notional = instrument.notional(notional_price, cmd.quantity)
        if notional < instrument.min_notional:
            return _below_min_notional(instrument, notional)
    return None
