"""Amend (price/quantity; only a pure quantity decrease keeps time priority), cancel, cancel-all."""

import pytest

from paperex.engine.commands import AmendOrder, CancelAllOrders, CancelOrder
from paperex.engine.events import OrderAmended, OrderCanceled, OrderFilled, OrderTriggered
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.reasons import EndReason, RejectReason

from .scenario import (
    ALICE,
    BOB,
    BTC,
    CAROL,
    ETH,
    PX,
    assert_rejected,
    book,
    levels,
    limit,
    mark,
    new_engine,
    of,
    only,
    order,
    queue,
    run,
    trades,
)


def amend(order_id, account=ALICE, symbol=BTC, **fields):
    return AmendOrder(account_id=account, symbol=symbol, order_id=order_id, **fields)


def cancel(order_id, account=ALICE, symbol=BTC, **fields):
    return CancelOrder(account_id=account, symbol=symbol, order_id=order_id, **fields)


def _two_asks():
    """ALICE's ask #1 and CAROL's ask #2, 1.0 each @ P, in that time order."""
    return new_engine(limit(ALICE, Side.SELL, PX, 1_000), limit(CAROL, Side.SELL, PX, 1_000))


def test_pure_quantity_decrease_keeps_priority():
    engine = _two_asks()

    events = run(engine, amend(1, quantity=600))

    assert (only(events, OrderAmended).quantity, only(events, OrderAmended).priority_kept) == (600, True)
    assert levels(events) == {(Side.SELL, PX, 1_600, 2)}
    assert queue(engine, Side.SELL) == [[1, 2]]
    assert trades(run(engine, limit(BOB, Side.BUY, PX, 600))) == [(1, 3, PX, 600)]


@pytest.mark.parametrize(
    "amends",
    [
        [{"quantity": 1_500}],  # a quantity increase
        [{"price": PX + 1}, {"price": PX}],  # a price change (away and back)
        [{"price": PX + 1, "quantity": 500}, {"price": PX}],  # a decrease with a price change
    ],
    ids=["increase", "price-away-and-back", "decrease-with-price"],
)
def test_other_amends_send_the_order_to_the_back(amends):
    """After the amend(s) #1 sits behind #2 at P: a 1.0 buy fills CAROL's #2, not ALICE's #1."""
    engine = _two_asks()

    events = run(engine, *(amend(1, **fields) for fields in amends))

    assert [e.priority_kept for e in of(events, OrderAmended)] == [False] * len(amends)
    assert queue(engine, Side.SELL) == [[2, 1]]
    assert trades(run(engine, limit(BOB, Side.BUY, PX, 1_000))) == [(2, 3, PX, 1_000)]


def test_amend_that_crosses_trades_as_taker_and_rests_the_rest():
    """ALICE bids 1.0 @ 64,899.0; CAROL offers 0.4 @ 64,900.0. Raising the bid to 64,900.0 buys 0.4 at
    64,900.0 with ALICE as taker, and 0.6 rests @ 64,900.0."""
    engine = new_engine(limit(ALICE, Side.BUY, PX - 10, 1_000), limit(CAROL, Side.SELL, PX, 400))

    events = run(engine, amend(1, price=PX))

    assert only(events, OrderAmended).priority_kept is False
    assert trades(events) == [(2, 1, PX, 400)]
    assert [f.is_maker for f in of(events, OrderFilled) if f.order_id == 1] == [False]
    assert levels(events) == {(Side.BUY, PX - 10, 0, 0), (Side.BUY, PX, 600, 1), (Side.SELL, PX, 0, 0)}
    assert book(engine) == ([(PX, 600, 1)], [])


def test_amend_by_client_order_id():
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000, client_order_id="ask-1"))

    events = run(engine, AmendOrder(account_id=ALICE, symbol=BTC, client_order_id="ask-1", quantity=500))

    assert only(events, OrderAmended).order_id == 1
    assert book(engine) == ([], [(PX, 500, 1)])


@pytest.mark.parametrize("fields", [{}, {"quantity": 1_000, "price": PX}], ids=["zeros", "same-values"])
def test_amend_that_changes_nothing_is_rejected(fields):
    engine = _two_asks()

    assert_rejected(engine, amend(1, **fields), RejectReason.NOTHING_TO_AMEND)


@pytest.mark.parametrize(
    ("order_type", "fields"),
    [
        (OrderType.STOP_LIMIT, {"price": 640_000, "stop_price": 640_000}),
        (OrderType.STOP_MARKET, {"stop_price": 640_000}),
        (OrderType.TRAILING_STOP_MARKET, {"callback_bps": 100}),
    ],
)
def test_untriggered_conditional_orders_are_not_amendable(order_type, fields):
    engine = new_engine(mark(PX), order(ALICE, Side.SELL, order_type, quantity=1_000, **fields))

    assert_rejected(engine, amend(1, quantity=500), RejectReason.ORDER_NOT_AMENDABLE)


def test_triggered_stop_limit_resting_on_the_book_is_amendable():
    """A sell stop-limit (stop 64,800.0, limit 65,000.0) fires at mark 64,800.0 and rests; it is then a
    limit order like any other."""
    engine = new_engine(
        mark(PX), order(ALICE, Side.SELL, OrderType.STOP_LIMIT, quantity=1_000, price=650_000, stop_price=648_000)
    )
    assert only(run(engine, mark(648_000)), OrderTriggered).order_id == 1

    assert only(run(engine, amend(1, quantity=500)), OrderAmended).priority_kept is True


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (amend(3, quantity=1), RejectReason.MIN_NOTIONAL),  # 0.001 x 64,899.0 = 64.899 USDT < 100
        (amend(1, quantity=1_000_001), RejectReason.QUANTITY_OUT_OF_BOUNDS),  # max 1,000 BTC
        (amend(1, price=616_549), RejectReason.PRICE_OUT_OF_BAND),  # a sell below 649,000 x 0.95
        (amend(1, price=5_567), RejectReason.PRICE_OUT_OF_BOUNDS),  # min price 556.8
        (amend(1, price=-1), RejectReason.INVALID_PRICE),
        (amend(1, quantity=-1), RejectReason.INVALID_QUANTITY),
        (amend(99, quantity=500), RejectReason.UNKNOWN_ORDER),
        (amend(1, account=CAROL, quantity=500), RejectReason.UNKNOWN_ORDER),  # someone else's order
        (amend(1, symbol=ETH, quantity=500), RejectReason.UNKNOWN_ORDER),
        (amend(1, symbol="DOGEUSDT", quantity=500), RejectReason.UNKNOWN_SYMBOL),
    ],
)
def test_invalid_amend_is_rejected_and_changes_nothing(command, reason):
    """ALICE's ask #1 1.0 @ 64,900.0 (mark 64,900.0) with 0.4 filled by BOB's #2, and her bid #3 0.002 @
    64,899.0 (129.798 USDT)."""
    engine = new_engine(
        mark(PX),
        limit(ALICE, Side.SELL, PX, 1_000),
        limit(BOB, Side.BUY, PX, 400),
        limit(ALICE, Side.BUY, PX - 10, 2),
    )

    assert_rejected(engine, command, reason)


@pytest.mark.parametrize(
    ("setup", "command"),
    [
        (
            [limit(ALICE, Side.BUY, PX - 10, 1_000, time_in_force=TimeInForce.GTX), limit(CAROL, Side.SELL, PX, 1_000)],
            amend(1, price=PX),
        ),
        ([limit(ALICE, Side.SELL, PX, 1_000), limit(BOB, Side.BUY, PX, 400)], amend(1, quantity=400)),
    ],
    ids=["gtx-would-take", "quantity-not-above-filled"],
)
def test_amend_cancels_the_order_as_binance_does(setup, command):
    engine = new_engine(*setup)

    events = run(engine, command)

    assert only(events, OrderCanceled).order_id == 1
    assert engine.order(1) is None


def test_cancel_resting_order():
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000), limit(BOB, Side.BUY, PX, 400))

    events = run(engine, cancel(1))

    canceled = only(events, OrderCanceled)
    assert (canceled.order_id, canceled.remaining, canceled.reason) == (1, 600, EndReason.CANCELED_BY_USER)
    assert levels(events) == {(Side.SELL, PX, 0, 0)}
    assert engine.order(1) is None
    assert_rejected(engine, cancel(1), RejectReason.UNKNOWN_ORDER)


def test_cancel_untriggered_stop_means_it_never_fires():
    engine = new_engine(
        mark(PX),
        limit(CAROL, Side.BUY, 640_000, 1_000),
        order(ALICE, Side.SELL, OrderType.STOP_MARKET, quantity=1_000, stop_price=648_000),
    )

    events = run(engine, cancel(2))

    assert (only(events, OrderCanceled).order_id, levels(events)) == (2, set())
    assert of(run(engine, mark(648_000)), OrderTriggered) == []
    assert book(engine) == ([(640_000, 1_000, 1)], [])


def test_cancel_by_client_order_id():
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000, client_order_id="ask-1"))

    events = run(engine, CancelOrder(account_id=ALICE, symbol=BTC, client_order_id="ask-1"))

    assert only(events, OrderCanceled).order_id == 1
    assert book(engine) == ([], [])


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (cancel(1, account=CAROL), RejectReason.UNKNOWN_ORDER),  # not hers
        (cancel(1, symbol=ETH), RejectReason.UNKNOWN_ORDER),  # wrong instrument
        (cancel(42), RejectReason.UNKNOWN_ORDER),
        (CancelOrder(account_id=ALICE, symbol=BTC, client_order_id="nope"), RejectReason.UNKNOWN_ORDER),
        (cancel(1, symbol="DOGEUSDT"), RejectReason.UNKNOWN_SYMBOL),
    ],
)
def test_invalid_cancel_is_rejected_and_changes_nothing(command, reason):
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000, client_order_id="ask-1"))

    assert_rejected(engine, command, reason)


def test_cancel_all_cancels_one_accounts_orders_in_one_instrument_only():
    """ALICE: BTC bid #1, BTC ask #2, BTC stop #3, ETH bid #4 (1.0 ETH @ 1,860.00 = 186,000 ticks of
    0.01). CAROL: BTC bid #5. Cancel-all for ALICE on BTC cancels #1-#3 only."""
    engine = new_engine(
        mark(PX),
        limit(ALICE, Side.BUY, PX - 10, 1_000),
        limit(ALICE, Side.SELL, PX + 10, 1_000),
        order(ALICE, Side.SELL, OrderType.STOP_MARKET, quantity=1_000, stop_price=640_000),
        limit(ALICE, Side.BUY, 186_000, 1_000, symbol=ETH),
        limit(CAROL, Side.BUY, PX - 10, 500),
    )

    events = run(engine, CancelAllOrders(account_id=ALICE, symbol=BTC))

    assert sorted(e.order_id for e in of(events, OrderCanceled)) == [1, 2, 3]
    assert {e.reason for e in of(events, OrderCanceled)} == {EndReason.CANCELED_BY_USER}
    assert levels(events) == {(Side.BUY, PX - 10, 500, 1), (Side.SELL, PX + 10, 0, 0)}
    assert engine.open_orders(ALICE, BTC) == []
    assert [o.order_id for o in engine.open_orders(ALICE, ETH)] == [4]
    assert [o.order_id for o in engine.open_orders(CAROL, BTC)] == [5]


def test_cancel_all_for_an_unknown_symbol_is_rejected():
    engine = new_engine(limit(ALICE, Side.SELL, PX, 1_000))

    assert_rejected(engine, CancelAllOrders(account_id=ALICE, symbol="DOGEUSDT"), RejectReason.UNKNOWN_SYMBOL)
