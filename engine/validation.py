"""Static admission rules for a new order: shape, filters and price band, as a venue checks them
before any state is touched. Position-dependent rules (reduce-only, FOK, post-only) live with matching.
"""

from paperex.engine.commands import PlaceOrder
from paperex.engine.instruments import Instrument
from paperex.engine.orders import (
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
from paperex.engine.units import SCALE, Ticks

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


def _in_bounds(instrument: Instrument, price: Ticks) -> bool:
    return instrument.min_price <= price <= instrument.max_price


def check_price_and_size(
    instrument: Instrument, side: Side, price: Ticks, quantity: int, reference: Ticks, exempt: bool
) -> RejectReason | None:
    """Filters a priced order must pass (also on amend): bounds, min notional, band vs the reference.
    Runs on every limit order, so the bounds and the notional are compared in line."""
    if not instrument.min_price <= price <= instrument.max_price:
        return RejectReason.PRICE_OUT_OF_BOUNDS
    if not instrument.min_qty <= quantity <= instrument.max_qty:
        return RejectReason.QUANTITY_OUT_OF_BOUNDS
    if not exempt and price * quantity * instrument.notional_unit < instrument.min_notional:
        return RejectReason.MIN_NOTIONAL
    if reference and (
        price > band_limit(instrument, BUY, reference)
        if side is BUY
        else price < band_limit(instrument, SELL, reference)
    ):
        return RejectReason.PRICE_OUT_OF_BAND
    return None


def check_new_order(cmd: PlaceOrder, instrument: Instrument, reference: Ticks, now: int) -> RejectReason | None:
    """The first reason ``cmd`` is unacceptable regardless of positions, or None.

    ``reference`` is the price band's anchor (mark, else last; 0 when the market has no price yet).
    """
    order_type = cmd.order_type
    if not isinstance(order_type, OrderType) or not isinstance(cmd.side, Side):
        return RejectReason.INVALID_ORDER_PARAMETERS
    if not isinstance(cmd.time_in_force, TimeInForce):
        return RejectReason.INVALID_TIME_IN_FORCE
    if (cmd.time_in_force is GTD) != (cmd.expire_at != 0):
        return RejectReason.INVALID_EXPIRE_TIME
    if cmd.expire_at and cmd.expire_at <= now:
        return RejectReason.INVALID_EXPIRE_TIME
    priced = order_type in LIMIT_PRICED_TYPES
    if not priced and cmd.time_in_force in (FOK, GTX):
        return RejectReason.INVALID_TIME_IN_FORCE
    if priced != (cmd.price != 0):
        return RejectReason.INVALID_PRICE if priced else RejectReason.INVALID_ORDER_PARAMETERS
    conditional = order_type in CONDITIONAL_TYPES
    trailing = order_type is TRAILING_STOP_MARKET
    if (conditional and not trailing) != (cmd.stop_price != 0):
        return RejectReason.INVALID_ORDER_PARAMETERS
    if cmd.stop_price and not _in_bounds(instrument, cmd.stop_price):
        return RejectReason.PRICE_OUT_OF_BOUNDS
    if trailing:
        if not MIN_CALLBACK_BPS <= cmd.callback_bps <= MAX_CALLBACK_BPS:
            return RejectReason.INVALID_CALLBACK_RATE
        if cmd.activation_price and not _in_bounds(instrument, cmd.activation_price):
            return RejectReason.PRICE_OUT_OF_BOUNDS
    elif cmd.callback_bps or cmd.activation_price:
        return RejectReason.INVALID_ORDER_PARAMETERS
    if cmd.close_position:
        if order_type not in CLOSE_POSITION_TYPES or cmd.quantity or cmd.reduce_only:
            return RejectReason.INVALID_ORDER_PARAMETERS
        return None
    if cmd.quantity <= 0:
        return RejectReason.INVALID_QUANTITY
    exempt = cmd.reduce_only
    if priced:
        band_reference = reference if order_type is LIMIT else 0
        return check_price_and_size(instrument, cmd.side, cmd.price, cmd.quantity, band_reference, exempt)
    if not instrument.min_qty <= cmd.quantity <= instrument.max_market_qty:
        return RejectReason.QUANTITY_OUT_OF_BOUNDS
    notional_price = cmd.stop_price or reference
    if not exempt and notional_price and instrument.notional(notional_price, cmd.quantity) < instrument.min_notional:
        return RejectReason.MIN_NOTIONAL
    return None
