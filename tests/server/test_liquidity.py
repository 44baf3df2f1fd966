"""The built-in liquidity provider (server/market/liquidity.py): ladders by hand, then the provider
against a real in-process Engine, deciding from its open orders there: a full re-quote when the index
moves past the threshold or the regime changes, only the filled levels replenished in between, refusals
without loops, the journal's versions, and a replay of a run with takers.

BTCUSDT in engine units: tick 0.1, so 64,900.0 = 649_000 ticks; lot 0.001, so 1 BTC = 1_000 lots;
min notional 100 USDT. The default BTC config: half-spread 2 bps, 10 levels 2 bps apart, 0.1 BTC at
level 0 growing x1.25 per level, re-quote at a 2 bps index move or every 60 s.

At index 649_000 one basis point is 64.9 ticks, so level i sits 129.8 x (i + 1) ticks from the index
(bids rounded down, asks up), and level sizes are floor(100 x 1.25^i) lots:
  1.25^i = 1, 1.25, 1.5625, 1.953125, 2.44140625, 3.0517578125, 3.814697..., 4.768371...,
           5.960464..., 7.450580...  -> 100, 125, 156, 195, 244, 305, 381, 476, 596, 745 lots.
"""

import contextlib
import math
import random
import sqlite3
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from google.protobuf import duration_pb2

from paperex.engine.commands import (
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetIndexPrice,
)
from paperex.engine.engine import Engine
from paperex.engine.events import Event, OrderAccepted, OrderCanceled, OrderFilled, OrderRejected, TradeExecuted
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.reasons import EndReason
from paperex.engine.units import SCALE
from paperex.server.core.exchange import Exchange
from paperex.server.core.exchange_commands import SetLiquidityProvider
from paperex.server.core.tape import decode, encode
from paperex.server.market.liquidity import (
    DEFAULT_QUOTE_CONFIGS,
    NORMAL,
    STRESSED,
    LadderLevel,
    LiquidityProvider,
    QuoteConfig,
    Regime,
    ladder,
)
from paperex.server.market.liquidity_v1 import LiquidityProviderV1
from paperex.v1 import admin_pb2
from tests.server.conftest import config
from tests.server.test_recovery import start
from tests.server.test_state_hash import replayed_elsewhere

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
STRESSED_BIDS = [PX - 649 * (i + 1) for i in range(10)]
STRESSED_ASKS = [PX + 649 * (i + 1) for i in range(10)]
STRESSED_SIZES = [20, 25, 31, 39, 48, 61, 76, 95, 119, 149]
"""Stressed: distances x5, 10 + 10i bps = 649 x (i + 1) ticks exactly; sizes floor(100 x 0.2 x 1.25^i) =
floor(20, 25, 31.25, 39.06, 48.83, 61.04, 76.29, 95.37, 119.21, 149.01)."""

E = TypeVar("E")


def expected_ladder(bids: Sequence[int], asks: Sequence[int], sizes: Sequence[int]) -> list[tuple[Side, int, int]]:
    return [(BUY, p, q) for p, q in zip(bids, sizes, strict=True)] + [
        (SELL, p, q) for p, q in zip(asks, sizes, strict=True)
    ]


def of(items: Iterable[object], kind: type[E]) -> list[E]:
    return [item for item in items if isinstance(item, kind)]


# ---------------------------------------------------------------------------------------------- ladders


def test_btc_ladder_at_64900_hand_computed() -> None:
    # best bid 64,900 x (1 - 0.0002) = 64,887.02 -> 64,887.0 (down); best ask 64,912.98 -> 64,913.0 (up)
    got = ladder(BTC_SPEC, PX, DEFAULT_QUOTE_CONFIGS[BTC])

    assert got == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)
    assert BTC_SPEC.ticks_to_price(got[0].price) == "64887.0"
    assert BTC_SPEC.ticks_to_price(got[10].price) == "64913.0"


def test_eth_ladder_rounds_to_its_own_tick() -> None:
    # 1,860.00 = 186_000 ticks of 0.01; 1 bp = 18.6 ticks. Level 0: 186_000 -/+ 37.2 -> 185_962 / 186_038;
    # level 1: -/+ 74.4 -> 185_925 / 186_075. Sizes 3 ETH = 3_000 lots, then 3_000 x 1.25 = 3_750.
    config = QuoteConfig(base_qty=Decimal(3), levels=2)

    got = ladder(ETH_SPEC, 186_000, config)

    assert got == expected_ladder([185_962, 185_925], [186_038, 186_075], [3_000, 3_750])


def test_stressed_regime_widens_five_times_and_thins_to_a_fifth() -> None:
    got = ladder(BTC_SPEC, PX, DEFAULT_QUOTE_CONFIGS[BTC], STRESSED)

    assert got == expected_ladder(STRESSED_BIDS, STRESSED_ASKS, STRESSED_SIZES)
    assert STRESSED_BIDS[0] == 648_351 and STRESSED_ASKS[-1] == 655_490  # 64,835.1 and 65,549.0: 10 and 100 bps out


def test_sizes_below_min_notional_are_raised_to_it() -> None:
    # 0.001 BTC at 64,887.0 is 64.887 USDT < 100: need ceil(100 / 64.887) = ceil(1.541) = 2 lots;
    # at 64,913.0: ceil(100 / 64.913) = ceil(1.5405) = 2 lots.
    config = QuoteConfig(base_qty=Decimal("0.001"), levels=1)

    assert ladder(BTC_SPEC, PX, config) == [(BUY, 648_870, 2), (SELL, 649_130, 2)]


def test_levels_that_round_together_are_pushed_one_tick_apart() -> None:
    # ETH 1 bp from 186_000 = 18.6 ticks -> 185_981.4 / 186_018.6; with no spacing every level would
    # land there, so each further level steps one tick out.
    config = QuoteConfig(half_spread_bps=Decimal(1), level_spacing_bps=Decimal(0), levels=3, size_growth=Decimal(1))

    got = ladder(ETH_SPEC, 186_000, config)

    assert [(level.side, level.price) for level in got] == [
        (BUY, 185_981),
        (BUY, 185_980),
        (BUY, 185_979),
        (SELL, 186_019),
        (SELL, 186_020),
        (SELL, 186_021),
    ]


def test_levels_outside_the_band_around_the_mark_are_left_out() -> None:
    config = DEFAULT_QUOTE_CONFIGS[BTC]
    # mark 60,000.0: bids may not exceed 60,000 x 1.05 = 63,000.0 -> every bid (>= 64,770.2) goes
    mark_low = ladder(BTC_SPEC, PX, config, band_reference=600_000)
    # mark 70,000.0: asks may not be below 70,000 x 0.95 = 66,500.0 -> every ask (<= 65,029.8) goes
    mark_high = ladder(BTC_SPEC, PX, config, band_reference=700_000)
    # mark 67,000.0: asks must be >= 63,650.0 (all are) and bids <= 70,350.0 (all are)
    mark_near = ladder(BTC_SPEC, PX, config, band_reference=670_000)

    assert mark_low == [(SELL, p, q) for p, q in zip(ASKS_AT_PX, SIZES, strict=True)]
    assert mark_high == [(BUY, p, q) for p, q in zip(BIDS_AT_PX, SIZES, strict=True)]
    assert mark_near == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)


@pytest.mark.parametrize(
    "fields",
    [
        {"half_spread_bps": Decimal(0)},
        {"levels": 0},
        {"levels": 101},
        {"level_spacing_bps": Decimal(-1)},
        {"base_qty": Decimal(0)},
        {"size_growth": Decimal(0)},
        {"refresh_ns": -1},
    ],
)
def test_config_refuses_values_that_cannot_make_a_book(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        QuoteConfig(**fields)  # type: ignore[arg-type]


def test_regime_refuses_non_positive_multipliers() -> None:
    with pytest.raises(ValueError):
        Regime(spread=Decimal(0))
    with pytest.raises(ValueError):
        Regime(depth=Decimal(-1))


# ---------------------------------------------------------------------------------------------- against a real Engine

FUNDS = 100_000_000 * SCALE
"""The LP's deposit: 100M USDT, far beyond what its ladders and any test inventory need."""


def new_market(config: QuoteConfig | None = None) -> tuple[Engine, LiquidityProvider]:
    """An engine with the LP's account, ALICE and BOB, and the BTC index at 64,900.0."""
    engine = Engine()
    for account_id in (LP, ALICE, BOB):
        engine.apply(CreateAccount(account_id=account_id))
        engine.apply(Deposit(account_id=account_id, amount=FUNDS if account_id == LP else 10_000_000 * SCALE))
    engine.apply(SetIndexPrice(symbol=BTC, price=PX))
    lp = LiquidityProvider(LP, DEFAULT_INSTRUMENTS, {BTC: config or DEFAULT_QUOTE_CONFIGS[BTC]})
    return engine, lp


def apply(engine: Engine, commands: Iterable[Command]) -> list[Event]:
    """Apply commands in order, checking the engine's invariants after each."""
    events: list[Event] = []
    for command in commands:
        events += engine.apply(command)
        engine.check_invariants()
    return events


def step(engine: Engine, lp: LiquidityProvider, now: int, regime: Regime = NORMAL) -> tuple[list[Command], list[Event]]:
    """One feed step's quoting: the provider's commands at ``now`` and their events."""
    commands = lp.quote(engine, BTC, now, regime)
    return commands, apply(engine, commands)


def lp_book(engine: Engine, symbol: str = BTC) -> list[tuple[Side, int, int]]:
    """The LP's resting quantity per level as (side, price, remaining), bids best first then asks."""
    levels: dict[tuple[Side, int], int] = {}
    for order in engine.open_orders(LP, symbol):
        levels[order.side, order.price] = levels.get((order.side, order.price), 0) + order.quantity - order.filled
    rows = [(side, price, lots) for (side, price), lots in levels.items()]
    return sorted(rows, key=lambda r: (-r[0], -r[1] if r[0] is BUY else r[1]))


def open_ids(engine: Engine) -> dict[int, tuple[Side, int, int, int]]:
    """The LP's open orders: id -> (side, price, quantity, filled)."""
    return {o.order_id: (o.side, o.price, o.quantity, o.filled) for o in engine.open_orders(LP, BTC)}


def limit(account: int, side: Side, price: int, lots: int) -> PlaceOrder:
    return PlaceOrder(account_id=account, symbol=BTC, side=side, order_type=OrderType.LIMIT, quantity=lots, price=price)


def market_order(account: int, side: Side, lots: int) -> PlaceOrder:
    return PlaceOrder(account_id=account, symbol=BTC, side=side, order_type=OrderType.MARKET, quantity=lots)


def lp_fills(events: Iterable[Event]) -> list[tuple[int, int, int]]:
    """The LP's fills as (order id, price, quantity)."""
    return [(f.order_id, f.price, f.quantity) for f in of(events, OrderFilled) if f.account_id == LP]


def quoted_market(config: QuoteConfig | None = None) -> tuple[Engine, LiquidityProvider]:
    engine, lp = new_market(config)
    step(engine, lp, 0)
    return engine, lp


def test_the_first_step_places_the_whole_ladder_under_deterministic_ids() -> None:
    engine, lp = new_market()

    commands, events = step(engine, lp, 0)

    assert [(c.side, c.price, c.quantity) for c in of(commands, PlaceOrder)] == expected_ladder(
        BIDS_AT_PX, ASKS_AT_PX, SIZES
    )
    assert len(commands) == 20 and of(events, OrderRejected) == []
    assert [c.client_order_id for c in commands][:2] == ["lp-BTC-b-0-1", "lp-BTC-b-1-2"]
    assert commands[10].client_order_id == "lp-BTC-a-0-11"
    assert {(c.account_id, c.order_type, c.time_in_force) for c in of(commands, PlaceOrder)} == {
        (LP, OrderType.LIMIT, TimeInForce.GTC)
    }
    assert lp_book(engine) == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)
    assert lp.quote(engine, BTC, 1 * SEC) == []  # nothing filled, nothing due


def test_a_fill_of_the_best_level_is_replenished_at_that_level_only() -> None:
    engine, lp = quoted_market()
    before = open_ids(engine)
    [best_ask] = [order_id for order_id, (side, price, _, _) in before.items() if (side, price) == (SELL, 649_130)]

    # BOB buys 0.1 BTC at market: exactly the best ask (100 lots @ 64,913.0).
    taken = apply(engine, [market_order(BOB, BUY, 100)])
    assert lp_fills(taken) == [(best_ask, 649_130, 100)]

    refill, _ = step(engine, lp, 1 * SEC)

    assert refill == [
        PlaceOrder(
            account_id=LP,
            symbol=BTC,
            side=SELL,
            order_type=OrderType.LIMIT,
            quantity=100,
            price=649_130,
            client_order_id="lp-BTC-a-0-21",
            ts=SEC,
        )
    ]
    after = open_ids(engine)
    del before[best_ask]
    assert {order_id: after[order_id] for order_id in before} == before  # the 19 others untouched
    assert len(after) == 20
    assert lp_book(engine) == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)
    assert lp.quote(engine, BTC, 2 * SEC) == []


def test_a_partly_filled_level_keeps_its_order_and_its_place_in_the_queue() -> None:
    engine, lp = quoted_market()
    level_1 = next(o.order_id for o in engine.open_orders(LP, BTC) if (o.side, o.price) == (SELL, 649_260))

    # BOB buys 0.15 BTC: the 100 lots of level 0 and 50 of level 1's 125 (75 left).
    apply(engine, [market_order(BOB, BUY, 150)])
    refill, events = step(engine, lp, 1 * SEC)

    # Level 0 gets 100 afresh, level 1 only its missing 50, behind the 75 still resting: no amend.
    assert [(type(c), c.price, c.quantity) for c in of(refill, PlaceOrder)] == [
        (PlaceOrder, 649_130, 100),
        (PlaceOrder, 649_260, 50),
    ]
    assert len(refill) == 2
    new_0, new_1 = (e.order_id for e in of(events, OrderAccepted))
    assert open_ids(engine)[level_1] == (SELL, 649_260, 125, 50)
    # BOB buys 0.175 BTC more: level 0's 100, then 75 at 64,926.0 from the order first in the queue, the
    # original one, not the 50 placed after it.
    taken = apply(engine, [market_order(BOB, BUY, 175)])
    assert lp_fills(taken) == [(new_0, 649_130, 100), (level_1, 649_260, 75)]
    assert open_ids(engine)[new_1] == (SELL, 649_260, 50, 0)


def test_an_index_move_below_the_threshold_replenishes_at_the_last_ladder_and_past_it_requotes() -> None:
    engine, lp = quoted_market()
    apply(engine, [market_order(BOB, BUY, 100)])  # the best ask, 100 @ 649,130

    # 2 bps of 649,000 ticks is 129.8 ticks: a move of 129 (1.988 bps) replenishes at the old price.
    engine.apply(SetIndexPrice(symbol=BTC, price=PX + 129))
    refill, _ = step(engine, lp, 1 * SEC)
    assert [(c.side, c.price, c.quantity) for c in refill] == [(SELL, 649_130, 100)]

    # 130 ticks (2.003 bps) re-quotes the whole ladder. New bids: 649,130 - 129.826 x (i+1) = 649000.174,
    # 648870.348, ... so the best bid is 649,000 (64,900.0); new asks 649,130 + 129.826 x (i+1) rounded
    # up = 649260, 649390, ...: the best ask 649,260 (64,926.0). Every order is moved by an amend (same
    # price: size only, else best to best), none placed or cancelled.
    engine.apply(SetIndexPrice(symbol=BTC, price=PX + 130))
    moved, events = step(engine, lp, 2 * SEC)

    assert len(of(moved, AmendOrder)) == len(moved) == 20
    assert of(events, OrderRejected) == [] and of(events, TradeExecuted) == []
    bids, asks = engine.depth(BTC, 1)
    assert (bids[0].price, bids[0].quantity, asks[0].price, asks[0].quantity) == (649_000, 100, 649_260, 100)
    assert len(lp_book(engine)) == 20


def test_a_1pct_index_move_moves_the_ladder_without_meeting_itself() -> None:
    engine, lp = quoted_market()

    # 649,000 x 1.01 = 655,490 (65,549.0). New touch: 655,490 x 0.9998 = 655,358.902 -> 655,358 and
    # 655,490 x 1.0002 = 655,621.098 -> 655,622; every new bid is above every old ask, so the asks
    # must get out of the way first.
    engine.apply(SetIndexPrice(symbol=BTC, price=655_490))
    moved, events = step(engine, lp, 1 * SEC)

    assert len(of(moved, AmendOrder)) == len(moved) == 20
    assert of(events, TradeExecuted) == [] and of(events, OrderRejected) == [] and of(events, OrderCanceled) == []
    bids, asks = engine.depth(BTC, 1)
    assert (bids[0].price, asks[0].price) == (655_358, 655_622)


def test_a_regime_change_requotes_at_once() -> None:
    engine, lp = quoted_market()

    moved, _ = step(engine, lp, 1 * SEC, STRESSED)

    assert len(of(moved, AmendOrder)) == len(moved) == 20
    assert lp_book(engine) == expected_ladder(STRESSED_BIDS, STRESSED_ASKS, STRESSED_SIZES)
    assert lp.quote(engine, BTC, 2 * SEC, STRESSED) == []
    assert len(lp.quote(engine, BTC, 3 * SEC, NORMAL)) == 20


def test_a_shortfall_below_the_minimum_order_waits_for_the_refresh() -> None:
    engine, lp = quoted_market()
    # BOB sells 0.101 BTC: the best bid's 100 lots and 1 of level 1's 125 @ 648,740. One lot there is
    # 64.874 USDT, below the 100 USDT minimum notional: only level 0 is replenished.
    apply(engine, [market_order(BOB, SELL, 101)])
    refill, _ = step(engine, lp, 1 * SEC)
    assert [(c.side, c.price, c.quantity) for c in refill] == [(BUY, 648_870, 100)]
    assert lp.quote(engine, BTC, 2 * SEC) == []

    # At 60 s the whole ladder is re-quoted: level 1's order is amended back to 125 remaining (total
    # 1 filled + 125 = 126); everything else already matches.
    refresh = lp.quote(engine, BTC, 60 * SEC)
    assert [(c.quantity, c.price) for c in of(refresh, AmendOrder)] == [(126, 0)]
    assert len(refresh) == 1


def test_a_post_only_lp_does_not_retry_a_level_that_would_take() -> None:
    engine, lp = quoted_market(QuoteConfig(post_only=True))
    alice_ask = of(apply(engine, [limit(ALICE, SELL, 649_100, 50)]), OrderAccepted)[0].order_id
    engine.apply(SetIndexPrice(symbol=BTC, price=649_500))

    # New bids at 64,950.0: 649,500 - 129.9 x (i+1) = 649370.1, 649240.2, 649110.3 would all take ALICE's
    # 649,100 ask, so the engine cancels those three GTX amends; 648,980 (level 3) rests.
    _, events = step(engine, lp, 1 * SEC)
    assert [e.reason for e in of(events, OrderCanceled)] == [EndReason.POST_ONLY_WOULD_TAKE] * 3
    assert of(events, TradeExecuted) == []

    assert lp.quote(engine, BTC, 2 * SEC) == []  # no loop while they would still take
    apply(engine, [CancelOrder(account_id=ALICE, symbol=BTC, order_id=alice_ask)])
    refill, events = step(engine, lp, 3 * SEC)
    assert [(c.price, c.quantity, c.time_in_force) for c in of(refill, PlaceOrder)] == [
        (649_370, 100, TimeInForce.GTX),
        (649_240, 125, TimeInForce.GTX),
        (649_110, 156, TimeInForce.GTX),
    ]
    assert len(refill) == 3 and of(events, OrderRejected) == []


def test_switched_off_the_lp_pulls_its_quotes_and_requotes_when_switched_on() -> None:
    engine, lp = quoted_market()

    off = lp.set_enabled(BTC, False, 5 * SEC)
    apply(engine, off)

    assert off == [CancelAllOrders(account_id=LP, symbol=BTC, ts=5 * SEC)]
    assert engine.open_orders(LP, BTC) == [] and not lp.enabled(BTC)
    assert lp.quote(engine, BTC, 600 * SEC) == []
    assert lp.set_enabled(BTC, True) == []
    back, _ = step(engine, lp, 601 * SEC)
    assert [type(c) for c in back] == [PlaceOrder] * 20
    assert lp_book(engine) == expected_ladder(BIDS_AT_PX, ASKS_AT_PX, SIZES)


def test_orders_left_by_an_earlier_provider_are_taken_over_not_doubled() -> None:
    engine, _ = quoted_market()
    successor = LiquidityProvider(LP, DEFAULT_INSTRUMENTS, {BTC: DEFAULT_QUOTE_CONFIGS[BTC]})

    assert successor.quote(engine, BTC, 1 * SEC) == []  # the 20 open orders already are its ladder
    assert len(engine.open_orders(LP, BTC)) == 20


def test_unconfigured_symbols_are_not_quoted() -> None:
    engine, lp = new_market()
    assert lp.symbols == (BTC,)
    with pytest.raises(KeyError):
        lp.quote(engine, ETH, 0)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_walk_with_takers_keeps_the_ladder_with_replenishments_between_requotes(seed: int) -> None:
    """Seeded: 1,500 one-second steps of a walk at 400% annual volatility (8x a typical 50%, to move
    many levels), regime flips and random market orders. After every step the LP's resting quantity per
    level is its last ladder's, short by at most one lot (a shortfall below the 100 USDT minimum waits
    for the next re-quote), with no refusal and no trade of its own; steps between re-quotes only place."""
    rng = random.Random(seed)
    engine, lp = new_market()
    config = DEFAULT_QUOTE_CONFIGS[BTC]
    sigma = 4.0 / math.sqrt(365 * 86_400)
    log_price, regime = math.log(PX), NORMAL
    target: list[LadderLevel] = []
    last_index, last_ns, last_regime = 0, 0, NORMAL
    requotes = replenishments = 0
    for second in range(1_500):
        now = second * SEC
        if rng.random() < 0.2:
            side = BUY if rng.random() < 0.5 else SELL
            taken = apply(engine, [market_order(BOB, side, rng.randint(1, 2_000))])
            assert of(taken, OrderRejected) == [], second
        log_price += sigma * rng.gauss(0.0, 1.0)
        if rng.random() < 0.01:
            regime = STRESSED if regime is NORMAL else NORMAL
        index = round(math.exp(log_price))
        engine.apply(SetIndexPrice(symbol=BTC, price=index, ts=now))
        commands, events = step(engine, lp, now, regime)
        assert of(events, OrderRejected) == [] and of(events, TradeExecuted) == [], second
        # due: the first step, a regime flip, 60 s since the last re-quote, or a move of 2 bps from it
        moved = abs(index - last_index) * 10_000 >= 2 * last_index
        if not last_index or regime != last_regime or now - last_ns >= 60 * SEC or moved:
            target = ladder(BTC_SPEC, index, config, regime, band_reference=engine.markets[BTC].mark_price)
            last_index, last_ns, last_regime = index, now, regime
            requotes += 1
        else:
            assert [type(c) for c in commands] == [PlaceOrder] * len(commands), second
            replenishments += bool(commands)
        resting = {(side, price): lots for side, price, lots in lp_book(engine)}
        shortfalls = [level.lots - resting.get((level.side, level.price), 0) for level in target]
        assert all(0 <= short <= 1 for short in shortfalls), second
        assert len(resting) == len(target), second
        bids, asks = engine.depth(BTC, 1)
        assert bids and asks and bids[0].price < asks[0].price, second
    assert requotes > 300 and replenishments > 50  # the walk moved the ladder, the takers ate into it


# ---------------------------------------------------------------------------------------------- versions and replay


def test_a_journal_line_from_before_the_version_field_replays_the_first_provider() -> None:
    old_line = '["SetLiquidityProvider",{"enabled":true,"config":"","ts":5}]'

    assert decode(old_line) == SetLiquidityProvider(enabled=True, version=1, ts=5)
    assert SetLiquidityProvider(enabled=True).version == 2
    assert encode(SetLiquidityProvider(enabled=True, ts=5)) == (
        '["SetLiquidityProvider",{"enabled":true,"config":"","version":2,"ts":5}]'
    )


def test_each_version_runs_its_provider_and_a_new_command_takes_over_the_old_ones_orders() -> None:
    exchange = Exchange(DEFAULT_INSTRUMENTS)
    exchange.apply(SetIndexPrice(symbol=BTC, price=PX, ts=SEC))
    exchange.apply(SetLiquidityProvider(enabled=True, version=1, ts=SEC))
    provider = exchange.market.provider
    assert isinstance(provider, LiquidityProviderV1)
    orders = {o.order_id for o in exchange.engine.open_orders(provider.account_id, BTC)}
    assert len(orders) == 20

    exchange.apply(SetLiquidityProvider(enabled=True, ts=2 * SEC))

    upgraded = exchange.market.provider
    assert isinstance(upgraded, LiquidityProvider) and upgraded.account_id == provider.account_id
    assert {o.order_id for o in exchange.engine.open_orders(provider.account_id, BTC)} == orders


def test_an_unknown_provider_version_is_refused_with_the_known_ones() -> None:
    exchange = Exchange(DEFAULT_INSTRUMENTS)

    applied = exchange.apply(SetLiquidityProvider(enabled=True, version=3))

    assert applied.refusal is not None and applied.refusal.reason == "INVALID_ARGUMENT"
    assert applied.refusal.metadata == {"version": "3", "known": "1, 2"}
    assert exchange.market.provider is None


async def test_a_journal_of_a_provider_run_with_takers_replays_to_the_same_state(tmp_path: Path) -> None:
    """Two simulated hours of the calm scenario (its takers trade about every 10 s per instrument)
    against the provider, then the journal replayed from its first command in another process: the
    same sequence and state hash, and the provider's quotes were really filled (it holds a position)."""
    running = await start(config(tmp_path, clock="simulated", scenario="calm", liquidity=True))
    try:
        two_hours = admin_pb2.AdvanceTimeRequest(duration=duration_pb2.Duration(seconds=2 * 3600))
        await running.admin.admin.AdvanceTime(two_hours, metadata=running.admin.auth)
        live = (running.sequence, running.state_hash)
        assert running.server.sequencer is not None
        state = running.server.sequencer.exchange
        provider = state.market.provider
        assert isinstance(provider, LiquidityProvider)
        assert state.engine.position(provider.account_id, BTC).size != 0
    finally:
        await running.stop()
    with contextlib.closing(sqlite3.connect(tmp_path / "journal.db")) as db, db:
        db.execute("DELETE FROM snapshots")  # the replay starts from the first command

    assert replayed_elsewhere(tmp_path / "journal.db", "7") == live
