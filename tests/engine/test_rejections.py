"""Orders of a bad shape are refused with a stable reason and change nothing; values just inside each
filter are accepted. BTCUSDT filters: price 556.8 .. 4,529,764 (5,568 .. 45,297,640 ticks), quantity
0.001 .. 1,000 BTC (1 .. 1,000,000 lots), market quantity up to 120 BTC, min notional 100 USDT."""

import pytest

from paperex.engine.commands import CancelOrder, Deposit, SetLeverage, SetMarkPrice
from paperex.engine.events import OrderAccepted
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.reasons import RejectReason
from paperex.engine.units import SCALE

from .scenario import BOB, PX, assert_rejected, limit, mark, market, new_engine, only, order, run

R = RejectReason
STOP = OrderType.STOP_MARKET


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (limit(BOB, Side.BUY, PX, 1_000, symbol="DOGEUSDT"), R.UNKNOWN_SYMBOL),
        # 2 lots x 499,999 ticks x 10,000 = 9,999,980,000 < 10,000,000,000 (100 USDT)
        (limit(BOB, Side.BUY, 499_999, 2), R.MIN_NOTIONAL),
        # market: notional at the mark, 1 lot x 649,000 x 10,000 = 6,490,000,000 (64.9 USDT)
        (market(BOB, Side.BUY, 1), R.MIN_NOTIONAL),
        (limit(BOB, Side.BUY, PX, 1_000_001), R.QUANTITY_OUT_OF_BOUNDS),
        (market(BOB, Side.BUY, 120_001), R.QUANTITY_OUT_OF_BOUNDS),
        (limit(BOB, Side.BUY, PX, 0), R.INVALID_QUANTITY),
        (market(BOB, Side.BUY, -1_000), R.INVALID_QUANTITY),
        (limit(BOB, Side.BUY, 0, 1_000), R.INVALID_PRICE),
        (limit(BOB, Side.BUY, 5_567, 2_000), R.PRICE_OUT_OF_BOUNDS),
        (limit(BOB, Side.SELL, 45_297_641, 1_000), R.PRICE_OUT_OF_BOUNDS),
        (limit(BOB, Side.BUY, -PX, 1_000), R.PRICE_OUT_OF_BOUNDS),
        (order(BOB, Side.SELL, STOP, quantity=1_000, stop_price=5_567), R.PRICE_OUT_OF_BOUNDS),
        (market(BOB, Side.BUY, 1_000, price=PX), R.INVALID_ORDER_PARAMETERS),
        (order(BOB, Side.SELL, STOP, quantity=1_000), R.INVALID_ORDER_PARAMETERS),  # no stop price
        (limit(BOB, Side.BUY, PX, 1_000, stop_price=640_000), R.INVALID_ORDER_PARAMETERS),
        (order(BOB, Side.SELL, STOP, quantity=1_000, stop_price=640_000, callback_bps=100), R.INVALID_ORDER_PARAMETERS),
        (limit(BOB, Side.BUY, PX, 1_000, activation_price=PX), R.INVALID_ORDER_PARAMETERS),
        (
            order(BOB, Side.SELL, OrderType.TRAILING_STOP_MARKET, quantity=1_000, callback_bps=100, stop_price=640_000),
            R.INVALID_ORDER_PARAMETERS,
        ),
        (limit(BOB, Side.SELL, PX, 0, close_position=True), R.INVALID_ORDER_PARAMETERS),
        (
            order(BOB, Side.SELL, STOP, quantity=1_000, stop_price=640_000, close_position=True),
            R.INVALID_ORDER_PARAMETERS,
        ),
        (
            order(BOB, Side.SELL, STOP, stop_price=640_000, close_position=True, reduce_only=True),
            R.INVALID_ORDER_PARAMETERS,
        ),
        (
            order(BOB, Side.SELL, OrderType.TRAILING_STOP_MARKET, callback_bps=100, close_position=True),
            R.INVALID_ORDER_PARAMETERS,
        ),
        (order(BOB, Side.BUY, "ICEBERG", quantity=1_000), R.INVALID_ORDER_PARAMETERS),
        (order(BOB, 0, OrderType.MARKET, quantity=1_000), R.INVALID_ORDER_PARAMETERS),
        (market(BOB, Side.BUY, 1_000, time_in_force=TimeInForce.FOK), R.INVALID_TIME_IN_FORCE),
        (market(BOB, Side.BUY, 1_000, time_in_force=TimeInForce.GTX), R.INVALID_TIME_IN_FORCE),
        (
            order(BOB, Side.SELL, STOP, quantity=1_000, stop_price=640_000, time_in_force=TimeInForce.GTX),
            R.INVALID_TIME_IN_FORCE,
        ),
        (limit(BOB, Side.BUY, PX, 1_000, time_in_force="GTF"), R.INVALID_TIME_IN_FORCE),
    ],
)
def test_bad_order_is_rejected_and_changes_nothing(command, reason):
    engine = new_engine(mark(PX))

    assert_rejected(engine, command, reason)


@pytest.mark.parametrize(
    "command",
    [
        # 2 lots x 500,000 ticks x 10,000 = 10,000,000,000: exactly 100 USDT
        limit(BOB, Side.BUY, 500_000, 2),
        market(BOB, Side.BUY, 2),  # 129.8 USDT at the mark
        limit(BOB, Side.BUY, 5_568, 2_000),  # min price; 2 BTC x 556.8 = 1,113.6 USDT
        limit(BOB, Side.SELL, PX, 1_000_000),  # max quantity
        market(BOB, Side.SELL, 120_000),  # max market quantity
        order(BOB, Side.SELL, STOP, stop_price=640_000, close_position=True),  # no quantity, no notional check
    ],
)
def test_values_at_the_filter_edges_are_accepted(command):
    """Filters only: BOB runs at 1x with 100M USDT more, so the 1,000 BTC (64.9M USDT) order also
    passes the margin check (the position limit at 20x is 10M USDT of notional)."""
    engine = new_engine(
        mark(PX),
        SetLeverage(account_id=BOB, symbol="BTCUSDT", leverage=1),
        Deposit(account_id=BOB, amount=100_000_000 * SCALE),
    )

    assert only(run(engine, command), OrderAccepted).quantity == command.quantity


def test_max_price_is_accepted_without_a_band_reference():
    engine = new_engine()

    assert only(run(engine, limit(BOB, Side.SELL, 45_297_640, 1)), OrderAccepted).price == 45_297_640


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (SetMarkPrice(symbol="DOGEUSDT", price=PX), R.UNKNOWN_SYMBOL),
        (mark(5_567), R.PRICE_OUT_OF_BOUNDS),
        (mark(0), R.PRICE_OUT_OF_BOUNDS),
    ],
)
def test_bad_mark_price_is_rejected(command, reason):
    engine = new_engine(mark(PX))

    assert_rejected(engine, command, reason)


def test_the_201st_open_order_in_a_symbol_is_refused_and_a_cancel_frees_a_slot() -> None:
    """Binance's MAX_NUM_ORDERS: 200 open orders per account and symbol."""
    engine = new_engine(mark(PX))
    # 200 bids of 0.002 BTC, one tick apart from 64,800.0 down to 64,780.1
    placed = [only(run(engine, limit(BOB, Side.BUY, PX - 1_000 - i, 2)), OrderAccepted) for i in range(200)]
    assert_rejected(engine, limit(BOB, Side.BUY, PX - 2_000, 2), R.TOO_MANY_OPEN_ORDERS)
    run(engine, CancelOrder(account_id=BOB, symbol="BTCUSDT", order_id=placed[0].order_id))
    only(run(engine, limit(BOB, Side.BUY, PX - 2_000, 2)), OrderAccepted)
