"""The liquidity provider as journals of version 1 replay it (server/market/liquidity_v1.py): re-quote
policy, minimal diffs, belief from events, refusals without loops, and the LP against a real Engine.
The ladders themselves are tested in test_liquidity.py.

BTCUSDT in engine units: tick 0.1, so 64,900.0 = 649_000 ticks; lot 0.001, so 1 BTC = 1_000 lots;
min notional 100 USDT. The default BTC config: half-spread 2 bps, 10 levels 2 bps apart, 0.1 BTC at
level 0 growing x1.25 per level, re-quote at a 2 bps index move or every 60 s.

At index 649_000 one basis point is 64.9 ticks, so level i sits 129.8 x (i + 1) ticks from the index
(bids rounded down, asks up), and level sizes are floor(100 x 1.25^i) lots:
  1.25^i = 1, 1.25, 1.5625, 1.953125, 2.44140625, 3.0517578125, 3.814697..., 4.768371...,
           5.960464..., 7.450580...  -> 100, 125, 156, 195, 244, 305, 381, 476, 596, 745 lots.
"""

import math
import random
from collections.abc import Iterable, Sequence
from typing import TypeVar

import pytest

from paperex.engine.commands import (
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetMarkPrice,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    DuplicatePlaceIgnored,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    TradeExecuted,
)
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce, TriggerBy
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.units import SCALE
from paperex.server.market.liquidity import DEFAULT_QUOTE_CONFIGS, NORMAL, STRESSED, QuoteConfig, ladder
from paperex.server.market.liquidity_v1 import LiquidityProviderV1 as LiquidityProvider

BTC, ETH = "BTCUSDT", "ETHUSDT"
BTC_SPEC, ETH_SPEC = DEFAULT_INSTRUMENTS[BTC], DEFAULT_INSTRUMENTS[ETH]
PX = 649_000
SEC = 10**9
LP, ALICE, BOB = 500, 1, 2
BUY, SELL = Side.BUY, Side.SELL
SIZES = [100, 125, 156, 195, 244, 305, 381, 476, 596, 745]
BIDS_AT_PX = [648870, 648740, 648610, 648480, 648351, 648221, 648091, 647961, 647831, 647702]
"""649,000 - 129.8 x (i + 1) rounded down: 648870.2, 648740.4, 648610.6, 648480.8, 648351.0, 648221.2,
648091.4, 647961.6, 647831.8, 647702.0."""
ASKS_AT_PX = [649130, 649260, 649390, 649520, 649649, 649779, 649909, 650039, 650169, 650298]
"""649,000 + 129.8 x (i + 1) rounded up: 649129.8, 649259.6, 649389.4, 649519.2, 649649.0, 649778.8,
649908.6, 650038.4, 650168.2, 650298.0."""

E = TypeVar("E")


def expected_ladder(bids: Sequence[int], asks: Sequence[int], sizes: Sequence[int]) -> list[tuple[Side, int, int]]:
    return [(BUY, p, q) for p, q in zip(bids, sizes, strict=True)] + [
        (SELL, p, q) for p, q in zip(asks, sizes, strict=True)
    ]


def belief(lp: LiquidityProvider, symbol: str = BTC) -> list[tuple[Side, int, int]]:
    return [(q.side, q.price, q.lots) for q in lp.resting(symbol)]


def of(items: Iterable[object], kind: type[E]) -> list[E]:
    return [item for item in items if isinstance(item, kind)]


# ---------------------------------------------------------------------------------------------- LP without an engine


def new_lp(config: QuoteConfig | None = None) -> LiquidityProvider:
    return LiquidityProvider(LP, DEFAULT_INSTRUMENTS, {BTC: config or DEFAULT_QUOTE_CONFIGS[BTC]})


def accepted(command: PlaceOrder, order_id: int) -> OrderAccepted:
    return OrderAccepted(
        order_id,
        command.account_id,
        command.symbol,
        command.side,
        command.order_type,
        command.quantity,
        command.price,
        command.time_in_force,
        0,
        TriggerBy.MARK,
        False,
        False,
        command.client_order_id,
        SelfTradePrevention.EXPIRE_TAKER,
        0,
        0,
        0,
    )


def accept_all(lp: LiquidityProvider, commands: Iterable[Command], first_id: int = 1) -> dict[str, int]:
    """Feed an OrderAccepted for every PlaceOrder (ids from ``first_id``); return client id -> order id."""
    ids: dict[str, int] = {}
    events: list[Event] = []
    for command in of(commands, PlaceOrder):
        ids[command.client_order_id] = first_id + len(ids)
        events.append(accepted(command, ids[command.client_order_id]))
    lp.observe(events)
    return ids


def confirm_amends(lp: LiquidityProvider, commands: Iterable[Command], skip: int = 0) -> None:
    """Feed the OrderAmended the engine would emit for each AmendOrder (except order ``skip``)."""
    by_id = {q.order_id: q for q in lp.resting(BTC)}
    events: list[Event] = []
    for command in of(commands, AmendOrder):
        if command.order_id != skip:
            q = by_id[command.order_id]
            events.append(OrderAmended(command.order_id, LP, BTC, q.filled + q.lots, q.price, False))
    lp.observe(events)


def quoted_lp(config: QuoteConfig | None = None) -> tuple[LiquidityProvider, dict[str, int]]:
    """An LP whose first ladder at 64,900.0 (t = 0) was accepted: bids are orders 1-10, asks 11-20."""
    lp = new_lp(config)
    ids = accept_all(lp, lp.quote(BTC, PX, 0))
    return lp, ids


def test_first_quote_clears_the_account_then_places_the_ladder_under_deterministic_ids() -> None:
    lp = new_lp()

    commands = lp.quote(BTC, PX, 0)

    assert commands[0] == CancelAllOrders(account_id=LP, symbol=BTC, ts=0)
    places = of(commands[1:], PlaceOrder)
    assert len(places) == len(commands) - 1
    assert [(c.side, c.price, c.quantity) for c in places] == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)
    assert [c.client_order_id for c in places][:2] == ["lp-BTC-b-0-1", "lp-BTC-b-1-2"]
    assert places[10].client_order_id == "lp-BTC-a-0-11"
    assert {(c.account_id, c.order_type, c.time_in_force, c.reduce_only) for c in places} == {
        (LP, OrderType.LIMIT, TimeInForce.GTC, False)
    }
    assert belief(lp) == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)
    assert new_lp().quote(BTC, PX, 0) == commands  # same calls, same commands


def test_no_requote_below_the_threshold_before_the_refresh_interval() -> None:
    lp, _ = quoted_lp()
    # 2 bps of 649,000 ticks is 129.8 ticks: a move of 129 ticks (1.988 bps) is not enough.
    assert lp.quote(BTC, PX + 129, 1 * SEC) == []
    assert lp.quote(BTC, PX - 129, 59 * SEC) == []
    # 130 ticks (2.003 bps) is.
    assert lp.quote(BTC, PX + 130, 59 * SEC) != []


def test_refresh_interval_requotes_only_the_levels_that_moved() -> None:
    lp, ids = quoted_lp()
    assert lp.quote(BTC, PX + 1, 60 * SEC - 1) == []  # 1 tick, 1 ns before the interval

    # At 60 s the 1-tick move is quoted. Bids: 649,001 - 129.8002 x (i+1) = 648871.1998, 648741.3996,
    # 648611.5994, 648481.7992, 648351.999 (still 648351), 648222.1988, 648092.3986, 647962.5984,
    # 647832.7982, 647702.998 (still 647702): levels 4 and 9 are unchanged, the other 8 move up a tick.
    # Asks: 649,001 + 129.8002 x (i+1) rounded up are all new (649131, ..., 649651, ..., 650300).
    commands = lp.quote(BTC, PX + 1, 60 * SEC)

    amends = of(commands, AmendOrder)
    assert len(amends) == len(commands) == 18
    assert all(c.quantity == 0 for c in amends)  # price only: sizes are per level, unchanged
    moved = {c.order_id for c in amends}
    assert ids["lp-BTC-b-4-5"] not in moved and ids["lp-BTC-b-9-10"] not in moved
    # the index went up: asks move away first (10 amends), then bids toward them (8)
    assert [c.order_id for c in amends[:10]] == list(range(11, 21))
    assert [c.price for c in amends[:3]] == [649_131, 649_261, 649_391]
    assert [c.price for c in amends[10:13]] == [648_871, 648_741, 648_611]
    confirm_amends(lp, commands)
    assert belief(lp) == ladder(BTC_SPEC, PX + 1, DEFAULT_QUOTE_CONFIGS[BTC])
    assert lp.quote(BTC, PX + 1, 120 * SEC) == []  # interval passed again, but nothing to change


def test_a_one_level_move_shifts_the_ladder_with_amends_only() -> None:
    lp, _ = quoted_lp()

    # 649,130 is 2.003 bps up. New bids: 649,130 - 129.826 x (i+1) = 649000.174, 648870.348, 648740.522,
    # 648610.696, 648480.87, 648351.044, 648221.218, 648091.392, 647961.566, 647831.74: new level i+1
    # lands on old level i's price, so 9 bids only change size (x1.25) and the old worst (647,702) jumps
    # to the new best (649,000). New asks: 649,130 + 129.826 x (i+1) rounded up = 649260, 649390, 649520,
    # 649650, 649780, 649909, 650039, 650169, 650299, 650429: six land on old prices (649260, 649390,
    # 649520, 649909, 650039, 650169; size-only), the other old asks (649130, 649649, 649779, 650298) move
    # best-to-best onto 649650, 649780, 650299, 650429.
    commands = lp.quote(BTC, PX + 130, 1 * SEC)

    amends = of(commands, AmendOrder)
    assert len(amends) == len(commands) == 20  # no level kept as is: sizes differ at every shared price
    assert sum(1 for c in amends if c.price == 0) == 9 + 6
    # the bid that crosses the old spread moves last, once every ask is out of its way
    assert (amends[-1].order_id, amends[-1].price, amends[-1].quantity) == (10, 649_000, 100)
    confirm_amends(lp, commands)
    assert belief(lp) == ladder(BTC_SPEC, PX + 130, DEFAULT_QUOTE_CONFIGS[BTC])


def test_fills_are_replenished_on_the_next_quote() -> None:
    lp, _ = quoted_lp()
    assert lp.quote(BTC, PX, 1 * SEC) == []

    # ask level 0 (order 11, 100 lots @ 649,130) filled; ask level 1 (order 12, 125 @ 649,260) 100 filled
    lp.observe(
        [
            OrderFilled(11, LP, BTC, SELL, 1, 649_130, 100, 100, 0, True, OrderStatus.FILLED, 0, 0),
            OrderFilled(12, LP, BTC, SELL, 2, 649_260, 100, 100, 25, True, OrderStatus.PARTIALLY_FILLED, 0, 0),
        ]
    )
    commands = lp.quote(BTC, PX, 1 * SEC)

    # level 1 back to 125 remaining: total quantity = 100 filled + 125; level 0 placed afresh
    assert commands == [
        AmendOrder(account_id=LP, symbol=BTC, order_id=12, quantity=225, ts=SEC),
        PlaceOrder(
            account_id=LP,
            symbol=BTC,
            side=SELL,
            order_type=OrderType.LIMIT,
            quantity=100,
            price=649_130,
            client_order_id="lp-BTC-a-0-21",
            ts=SEC,
        ),
    ]


def test_a_refused_place_waits_for_the_next_trigger() -> None:
    lp = new_lp()
    places = of(lp.quote(BTC, PX, 0), PlaceOrder)
    lp.observe([OrderRejected("PlaceOrder", LP, BTC, RejectReason.INSUFFICIENT_MARGIN, 0, "lp-BTC-b-0-1")])
    accept_all(lp, places[1:])

    assert lp.refusals(BTC) == 1
    assert len(lp.resting(BTC)) == 19
    assert lp.quote(BTC, PX, 1 * SEC) == []  # no loop: the refusal asks for nothing
    retry = lp.quote(BTC, PX, 60 * SEC)  # the refresh interval tries once more, under a new id
    assert [(c.price, c.client_order_id) for c in of(retry, PlaceOrder)] == [(648_870, "lp-BTC-b-0-21")]
    assert len(retry) == 1


def test_a_refused_amend_restores_the_quote_the_engine_still_has() -> None:
    lp, _ = quoted_lp()
    commands = lp.quote(BTC, PX + 1, 60 * SEC)  # 18 amends (see the refresh test): order 11 -> 649,131
    lp.observe([OrderRejected("AmendOrder", LP, BTC, RejectReason.PRICE_OUT_OF_BAND, 11)])
    confirm_amends(lp, commands, skip=11)

    assert lp.refusals(BTC) == 1
    assert (SELL, 649_130, 100) in belief(lp)  # where the engine left it
    assert lp.quote(BTC, PX + 1, 61 * SEC) == []
    retry = lp.quote(BTC, PX + 1, 120 * SEC)
    assert retry == [AmendOrder(account_id=LP, symbol=BTC, order_id=11, price=649_131, ts=120 * SEC)]


def test_an_amend_refused_for_an_unknown_order_forgets_it() -> None:
    lp, _ = quoted_lp()
    lp.quote(BTC, PX + 1, 60 * SEC)
    lp.observe([OrderRejected("AmendOrder", LP, BTC, RejectReason.UNKNOWN_ORDER, 11)])

    assert all(q.order_id != 11 for q in lp.resting(BTC))
    assert len(lp.resting(BTC)) == 19


def test_an_end_the_lp_did_not_ask_for_is_dropped_without_a_requote() -> None:
    lp, _ = quoted_lp()
    lp.observe(
        [
            OrderExpired(5, LP, BTC, 244, EndReason.SELF_TRADE_PREVENTION),
            OrderCanceled(999, LP, BTC, 1, EndReason.CANCELED_BY_USER),  # not an LP quote: ignored
            OrderCanceled(6, ALICE, BTC, 1, EndReason.CANCELED_BY_USER),  # another account: ignored
        ]
    )

    assert lp.refusals(BTC) == 1
    assert len(lp.resting(BTC)) == 19
    assert lp.quote(BTC, PX, 1 * SEC) == []
    retry = lp.quote(BTC, PX, 60 * SEC)
    assert [(c.price, c.quantity) for c in of(retry, PlaceOrder)] == [(648_351, 244)]
    assert len(retry) == 1


def test_own_cancels_are_not_refusals() -> None:
    lp, _ = quoted_lp()
    commands = lp.set_enabled(BTC, False, 5 * SEC)
    lp.observe([OrderCanceled(order_id, LP, BTC, 100, EndReason.CANCELED_BY_USER) for order_id in range(1, 21)])

    assert commands == [CancelAllOrders(account_id=LP, symbol=BTC, ts=5 * SEC)]
    assert lp.refusals(BTC) == 0


def test_switched_off_the_lp_pulls_its_quotes_and_stays_quiet_until_switched_on() -> None:
    lp, _ = quoted_lp()

    off = lp.set_enabled(BTC, False, 5 * SEC)

    assert off == [CancelAllOrders(account_id=LP, symbol=BTC, ts=5 * SEC)]
    assert lp.resting(BTC) == [] and not lp.enabled(BTC)
    assert lp.set_enabled(BTC, False) == []
    assert lp.quote(BTC, PX * 2, 600 * SEC) == []
    assert lp.set_enabled(BTC, True) == []
    back = lp.quote(BTC, PX, 601 * SEC)
    assert [type(c) for c in back] == [PlaceOrder] * 20  # no second CancelAllOrders: the run started already
    assert belief(lp) == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)


def test_a_regime_change_requotes_at_once() -> None:
    config = DEFAULT_QUOTE_CONFIGS[BTC]
    lp, _ = quoted_lp()

    commands = lp.quote(BTC, PX, 1 * SEC, config.stressed)

    # Every level moves out 5x and shrinks to a fifth: 20 amends. Stressed bids are 649,000 - 649 x (i+1),
    # so stressed levels 0 and 1 (648,351 and 647,702) land on normal levels 4 and 9, and likewise the
    # asks 649,649 and 650,298: those four keep their price and only shrink (244 -> 20, 745 -> 25 lots).
    amends = of(commands, AmendOrder)
    assert len(amends) == len(commands) == 20
    assert sorted((c.order_id, c.quantity) for c in amends if not c.price) == [(5, 20), (10, 25), (15, 20), (20, 25)]
    assert all(c.quantity for c in amends)
    confirm_amends(lp, commands)
    assert belief(lp) == ladder(BTC_SPEC, PX, config, STRESSED)
    assert lp.quote(BTC, PX, 2 * SEC, STRESSED) == []
    assert len(lp.quote(BTC, PX, 3 * SEC, NORMAL)) == 20


def test_an_order_answered_by_a_retry_of_an_earlier_run_is_swept() -> None:
    # After a restart the counter starts again; the engine may still remember "lp-BTC-b-0-1" from the
    # earlier run and answer an identical place with that (still open) order instead of a new one.
    lp = new_lp()
    places = of(lp.quote(BTC, PX, 0), PlaceOrder)
    lp.observe([DuplicatePlaceIgnored(LP, BTC, 77, "lp-BTC-b-0-1", OrderStatus.NEW)])
    accept_all(lp, places[1:])

    commands = lp.quote(BTC, PX, 0)

    assert commands[0] == CancelOrder(account_id=LP, symbol=BTC, order_id=77, ts=0)
    assert [c.client_order_id for c in of(commands, PlaceOrder)] == ["lp-BTC-b-0-21"]
    assert len(commands) == 2


def test_a_quote_before_the_events_arrive_does_not_repeat_itself() -> None:
    lp = new_lp()
    first = lp.quote(BTC, PX, 0)
    # no events observed yet (a host that quotes again before the sequencer answered)
    assert len(first) == 21
    assert lp.quote(BTC, PX, 60 * SEC) == []


def test_post_only_config_places_gtx() -> None:
    lp = new_lp(QuoteConfig(post_only=True, levels=1))

    commands = lp.quote(BTC, PX, 0)

    assert [c.time_in_force for c in of(commands, PlaceOrder)] == [TimeInForce.GTX] * 2


def test_unconfigured_symbols_are_not_quoted() -> None:
    lp = new_lp()
    assert lp.symbols == (BTC,)
    with pytest.raises(KeyError):
        lp.quote(ETH, 186_000, 0)
    lp.observe([OrderCanceled(1, LP, ETH, 1, EndReason.CANCELED_BY_USER)])  # ignored, no error


# ---------------------------------------------------------------------------------------------- against a real Engine

FUNDS = 100_000_000 * SCALE
"""The LP's deposit: 100M USDT, far beyond what its ladders and any test inventory need."""


def new_market(config: QuoteConfig | None = None) -> tuple[Engine, LiquidityProvider]:
    engine = Engine()
    for account_id in (LP, ALICE, BOB):
        engine.apply(CreateAccount(account_id=account_id))
        engine.apply(Deposit(account_id=account_id, amount=FUNDS if account_id == LP else 10_000_000 * SCALE))
    engine.apply(SetMarkPrice(symbol=BTC, price=PX))
    lp = LiquidityProvider(LP, DEFAULT_INSTRUMENTS, {BTC: config or DEFAULT_QUOTE_CONFIGS[BTC]})
    return engine, lp


def apply(engine: Engine, lp: LiquidityProvider, commands: Iterable[Command]) -> list[Event]:
    """Apply commands in order, checking invariants and feeding each one's events to the LP."""
    events: list[Event] = []
    for command in commands:
        out = engine.apply(command)
        engine.check_invariants()
        lp.observe(out)
        events += out
    return events


def lp_book(engine: Engine, symbol: str = BTC) -> list[tuple[Side, int, int]]:
    """The LP's open orders as (side, price, remaining), bids best first then asks best first."""
    rows = [(o.side, o.price, o.quantity - o.filled) for o in engine.open_orders(LP, symbol)]
    return sorted(rows, key=lambda r: (-r[0], -r[1] if r[0] is BUY else r[1]))


def limit(account: int, side: Side, price: int, lots: int) -> PlaceOrder:
    return PlaceOrder(account_id=account, symbol=BTC, side=side, order_type=OrderType.LIMIT, quantity=lots, price=price)


def market_order(account: int, side: Side, lots: int) -> PlaceOrder:
    return PlaceOrder(account_id=account, symbol=BTC, side=side, order_type=OrderType.MARKET, quantity=lots)


def fills_of(events: Iterable[Event], account: int) -> list[tuple[int, int]]:
    return [(f.price, f.quantity) for f in of(events, OrderFilled) if f.account_id == account]


def test_a_market_order_walks_the_ladder_then_the_lp_replenishes_and_follows_a_1pct_move() -> None:
    engine, lp = new_market()
    placed = apply(engine, lp, lp.quote(BTC, PX, 0, mark_ticks=PX))
    assert of(placed, OrderRejected) == []
    assert lp_book(engine) == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES) == belief(lp)

    # BOB buys 1 BTC at market: the asks hold 100, 125, 156, 195, 244 (cumulative 820) and 305 lots, so
    # he takes levels 0-4 whole and 180 of level 5.
    taken = apply(engine, lp, [market_order(BOB, BUY, 1_000)])

    fills = fills_of(taken, BOB)
    assert fills == [(649_130, 100), (649_260, 125), (649_390, 156), (649_520, 195), (649_649, 244), (649_779, 180)]
    # Cost in tick-lots: 100 x 649,130 = 64,913,000; 125 x 649,260 = 81,157,500; 156 x 649,390 =
    # 101,304,840; 195 x 649,520 = 126,656,400; 244 x 649,649 = 158,514,356; 180 x 649,779 = 116,960,220;
    # total 649,506,316 for 1,000 lots: average 649,506.316 ticks = 64,950.6316 USDT, i.e. 50.6316 USDT
    # (7.8 bps) above the index and 37.6316 above the touch (64,913.0).
    assert sum(p * q for p, q in fills) == 649_506_316
    assert engine.position(LP, BTC).size == -1_000

    # Replenish at the same index: level 5 back to 305 remaining (180 filled + 305 = 485 total) and
    # levels 0-4 placed afresh; the bids were not touched.
    refill = lp.quote(BTC, PX, 1 * SEC, mark_ticks=PX)
    assert [type(c) for c in refill] == [AmendOrder] + [PlaceOrder] * 5
    assert of(refill, AmendOrder)[0].quantity == 485
    events = apply(engine, lp, refill)
    assert of(events, OrderRejected) == [] and of(events, TradeExecuted) == []
    assert lp_book(engine) == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES) == belief(lp)

    # The index rises 1%: 649,000 x 1.01 = 655,490 (65,549.0). New touch: 655,490 x 0.9998 =
    # 655,358.902 -> 655,358 (65,535.8) and 655,490 x 1.0002 = 655,621.098 -> 655,622 (65,562.2); every
    # new bid is above every old ask, so the asks must get out of the way first.
    engine.apply(SetMarkPrice(symbol=BTC, price=655_490))
    moved = lp.quote(BTC, 655_490, 2 * SEC, mark_ticks=655_490)
    assert len(of(moved, AmendOrder)) == len(moved) == 20
    events = apply(engine, lp, moved)

    assert of(events, OrderRejected) == []
    assert of(events, TradeExecuted) == []  # the LP never met itself
    assert of(events, OrderExpired) == [] and of(events, OrderCanceled) == []
    assert lp_book(engine) == ladder(BTC_SPEC, 655_490, DEFAULT_QUOTE_CONFIGS[BTC]) == belief(lp)
    bids, asks = engine.depth(BTC, 1)
    assert (bids[0].price, asks[0].price) == (655_358, 655_622)


def test_a_stressed_book_fills_the_same_order_with_more_slippage() -> None:
    engine, lp = new_market()
    apply(engine, lp, lp.quote(BTC, PX, 0, STRESSED, mark_ticks=PX))

    taken = apply(engine, lp, [market_order(BOB, SELL, 100)])

    # Stressed bids: 649,000 - 649 x (i+1) holding 20, 25, 31, 39 lots (cumulative 20, 45, 76, 115):
    # 0.1 BTC takes 20 @ 648,351, 25 @ 647,702, 31 @ 647,053 and 24 @ 646,404.
    assert fills_of(taken, BOB) == [(648_351, 20), (647_702, 25), (647_053, 31), (646_404, 24)]
    assert of(taken, OrderRejected) == []


def test_the_lp_trades_with_a_user_order_inside_its_new_quote() -> None:
    engine, lp = new_market()
    apply(engine, lp, lp.quote(BTC, PX, 0, mark_ticks=PX))
    # ALICE rests 0.05 BTC for sale at 64,910.0, inside the LP's spread (64,887.0 / 64,913.0).
    apply(engine, lp, [limit(ALICE, SELL, 649_100, 50)])

    # The index rises to 64,950.0: the LP's new best bid is 649,500 - 129.9 = 649,370.1 -> 649,370,
    # above ALICE's ask, so the amended bid takes her 50 lots at her price, like a real market maker.
    engine.apply(SetMarkPrice(symbol=BTC, price=649_500))
    events = apply(engine, lp, lp.quote(BTC, 649_500, 1 * SEC, mark_ticks=649_500))

    trades = [(t.price, t.quantity, t.maker_account_id, t.taker_account_id) for t in of(events, TradeExecuted)]
    assert trades == [(649_100, 50, ALICE, LP)]
    assert of(events, OrderRejected) == []
    assert engine.position(LP, BTC).size == 50
    # The LP's best bid has 50 of its 100 lots left; the next quote tops it up (50 filled + 100 = 150).
    refill = lp.quote(BTC, 649_500, 1 * SEC, mark_ticks=649_500)
    assert [(c.quantity, c.price) for c in of(refill, AmendOrder)] == [(150, 0)]
    assert len(refill) == 1
    apply(engine, lp, refill)
    assert lp_book(engine) == ladder(BTC_SPEC, 649_500, DEFAULT_QUOTE_CONFIGS[BTC]) == belief(lp)


def test_a_post_only_lp_refused_for_would_take_does_not_loop() -> None:
    engine, lp = new_market(QuoteConfig(post_only=True))
    apply(engine, lp, lp.quote(BTC, PX, 0, mark_ticks=PX))
    resting = apply(engine, lp, [limit(ALICE, SELL, 649_100, 50)])
    alice_order = of(resting, OrderAccepted)[0].order_id
    engine.apply(SetMarkPrice(symbol=BTC, price=649_500))

    # New bids at 64,950.0: 649,370, 649,240 and 649,110 would all take ALICE's 649,100 ask, so the
    # engine cancels those three post-only amends (GTX amends that would take are cancelled, not refused).
    events = apply(engine, lp, lp.quote(BTC, 649_500, 1 * SEC, mark_ticks=649_500))

    assert [e.reason for e in of(events, OrderCanceled)] == [EndReason.POST_ONLY_WOULD_TAKE] * 3
    assert of(events, TradeExecuted) == []
    assert lp.refusals(BTC) == 3
    assert lp.quote(BTC, 649_500, 2 * SEC, mark_ticks=649_500) == []  # no loop
    # At the refresh interval it tries once: three GTX places, each refused; then quiet again.
    retry = lp.quote(BTC, 649_500, 61 * SEC, mark_ticks=649_500)
    assert [type(c) for c in retry] == [PlaceOrder] * 3
    events = apply(engine, lp, retry)
    assert [e.reason for e in of(events, OrderRejected)] == [RejectReason.POST_ONLY_WOULD_TAKE] * 3
    assert lp.refusals(BTC) == 6
    assert lp.quote(BTC, 649_500, 62 * SEC, mark_ticks=649_500) == []
    alice = engine.order(alice_order)
    assert alice is not None and alice.filled == 0  # ALICE's ask is untouched


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_walk_with_takers_keeps_a_two_sided_uncrossed_ladder(seed: int) -> None:
    """Seeded: 1,500 one-second steps of a walk at 400% annual volatility (8x a typical 50%, to move
    many levels), regime flips and random market orders; after every step the LP's open orders are
    exactly its belief, and after every re-quote exactly the target ladder, with no refusal."""
    rng = random.Random(seed)
    engine, lp = new_market()
    config = DEFAULT_QUOTE_CONFIGS[BTC]
    sigma = 4.0 / math.sqrt(365 * 86_400)
    log_price, regime = math.log(PX), NORMAL
    requotes = 0
    for step in range(1_500):
        now = step * SEC
        if rng.random() < 0.2:
            side = BUY if rng.random() < 0.5 else SELL
            taken = apply(engine, lp, [market_order(BOB, side, rng.randint(1, 2_000))])
            assert of(taken, OrderRejected) == [], step
            assert lp_book(engine) == belief(lp), step
        log_price += sigma * rng.gauss(0.0, 1.0)
        index = round(math.exp(log_price))
        if rng.random() < 0.01:
            regime = STRESSED if regime is NORMAL else NORMAL
        engine.apply(SetMarkPrice(symbol=BTC, price=index, ts=now))
        commands = lp.quote(BTC, index, now, regime, mark_ticks=index)
        events = apply(engine, lp, commands)
        assert of(events, OrderRejected) == [], step
        assert of(events, TradeExecuted) == [], step  # only market takers: nothing rests inside the LP
        assert lp_book(engine) == belief(lp), step
        if commands:
            requotes += 1
            assert lp_book(engine) == ladder(BTC_SPEC, index, config, regime, band_reference=index), step
            bids, asks = engine.depth(BTC, 1)
            assert bids and asks and bids[0].price < asks[0].price, step
    assert lp.refusals(BTC) == 0
    assert requotes > 300  # the walk really moved the ladder around
