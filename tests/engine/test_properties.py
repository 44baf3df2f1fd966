"""Property-based tests of the matching engine over random command sequences.

``EngineMachine`` (a hypothesis ``RuleBasedStateMachine``) drives one Engine with limit orders of
every time in force, market orders, stops / take-profits / trailing stops fired by MARK
(``SetMarkPrice``) and LAST, reduce-only and close-position orders, amends, cancels (by id and by
client id), cancel-all, client-id retries, ``AdvanceTime``, mixed self-trade-prevention modes and
account commands (leverage, margin mode, deposits, withdrawals, isolated margin), for three funded
accounts (a whale, a trader and a tiny 125x account that mark jumps of 1-4 % liquidate, with ADL)
on a small price grid near 64,900 (BTCUSDT, ticks of 0.1) and 1,860 (ETHUSDT). After every command
it calls ``engine.check_invariants()`` and checks, from the events alone (``Ledger``) and against the
engine's queries (``depth``, ``l3``, ``order``, ``position``):

1. the book is never crossed at rest (best bid < best ask);
2. quantity conservation per order: quantity (as accepted, amended or set by a trigger) = filled +
   resting remaining, or filled + the remaining reported by its final OrderCanceled/OrderExpired;
   a finished order is never resting and never appears in a later event;
3. FIFO within a level: ``test_fifo_matches_reference_book`` replays flows of plain GTC/IOC limit
   orders, market orders, amends and cancels from distinct accounts on ``ReferenceBook`` (a naive
   list per price) and demands the same trades (maker, taker, price, qty) and the same L3 queues;
4. every trade respects both orders' limits: the price is the maker's resting price, a buy taker
   never pays above its limit, a sell taker never gets less, market takers stay inside the band
   (and ``test_taker_fills_exactly_within_its_limit`` pins the amount filled);
5. positions: sizes sum to zero per symbol and each account's size is the signed sum of its fills
   (an auto-deleverage close is a pair of fills outside the book, without fee or public trade);
   balances: every cross and isolated wallet equals the fold of its ``BalanceChanged`` events
   (each event's balance after = the one before + its delta), as a bot keeps them from its stream;
6. determinism: replaying the machine's command tape on a fresh Engine gives byte-identical
   serialized events and the same ``state_hash()`` after every command (also for blind tapes);
7. a rejected command changes nothing: ``state_hash()`` is unchanged and its only event is the
   OrderRejected (when the command's ``ts`` moves the clock, the engine must equal a copy that only
   got ``AdvanceTime`` to that ts); ``test_rejected_commands_change_nothing`` adds targeted probes.

The machine also checks what follows from the venue rules: no self-trade, post-only never takes,
IOC/FOK/market orders never outlive their command, an accepted FOK fills completely, nothing rests
past its GTD expiry, the L2 stream (``BookLevelChanged``) rebuilds ``depth()``, and a PlaceOrder
with a client id is answered with the original order exactly when it repeats one that is open or
finished within the engine's retry window (and refused when it differs from an open one).

Regression tests at the end pin engine bugs these properties found (fixed; kept as plain tests).
Profiles come from ``tests/conftest.py``; ``HYPOTHESIS_PROFILE=deep`` searches much longer.
"""

import copy
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AdvanceTime,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    Withdraw,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    BalanceChanged,
    BookLevelChanged,
    DuplicatePlaceIgnored,
    Event,
    MarkPriceChanged,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
    PositionChanged,
    PositionDeleveraged,
    TradeExecuted,
    serialize,
)
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.open_orders import RETRY_WINDOW_NS
from paperex.engine.orders import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce, TriggerBy
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.units import SCALE
from tests.engine.reference_book import ReferenceBook

# ---------------------------------------------------------------------------------------------------
# The market: a small grid of prices near BTC 64,900 and ETH 1,860, quantities above min notional
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    center: int
    min_lots: int


BTC, ETH = "BTCUSDT", "ETHUSDT"
GRIDS = {
    BTC: Grid(649_000, 2),  # 0.002 BTC x 64,900 = 129.8 USDT >= 100
    ETH: Grid(186_000, 11),  # 0.011 ETH x 1,860 = 20.46 USDT >= 20
}
ACCOUNTS = (1, 2, 3)
SECOND = 10**9  # command ts and expire_at are nanoseconds
USDT = SCALE  # money is in 1e-8 units
START = 1_000 * SECOND
LIMIT_PRICED = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
RESTING_TIF = frozenset({TimeInForce.GTC, TimeInForce.GTX, TimeInForce.GTD})
CONDITIONAL = (
    OrderType.STOP_MARKET,
    OrderType.STOP_LIMIT,
    OrderType.TAKE_PROFIT_MARKET,
    OrderType.TAKE_PROFIT_LIMIT,
    OrderType.TRAILING_STOP_MARKET,
)
DEPTH_ALL = 1_000_000

symbols = st.sampled_from([BTC, BTC, BTC, ETH])
accounts = st.sampled_from(ACCOUNTS)
sides = st.sampled_from([Side.BUY, Side.SELL])
stps = st.sampled_from(list(SelfTradePrevention))
# Mostly a dense band of +-6 ticks (queues, crossing); sometimes a jump of 0.1-0.2 % so trailing
# stops (callback >= 0.1 %) can arm and fire. Everything stays far inside the 5 % price band.
offsets = st.one_of(
    st.integers(-6, 6), st.integers(-6, 6), st.integers(-6, 6), st.sampled_from([-1400, -700, 700, 1400])
)
extra_lots = st.integers(0, 48)
# A whale that never feels margin, a trader, and a tiny account that runs into margin checks and, at
# 125x, is liquidated by a 1 % mark move (0.03 BTC at 125x needs ~16 USDT; 1 % of it is ~19 USDT)
deposits = st.sampled_from([10_000_000, 50_000, 25]).map(lambda usdt: usdt * USDT)
# Marks mostly on the grid, sometimes a jump of 1-4 % (stops fire in bulk, tiny accounts get liquidated)
mark_jumps = st.sampled_from([-4, -2, -1, 1, 2, 4])
reduce_flags = st.sampled_from([False, False, False, True])
client_ids = st.sampled_from(["", "", "", "", "", "a", "b"])
lags = st.sampled_from([0, 0, 0, 2 * SECOND])
# GTD expiry relative to the command's ts; 0 is refused (it must lie in the future)
expiry_offsets = st.integers(0, 6).map(lambda n: n * SECOND)
# Clock steps up to past the engine's client-id retry window (60 s)
clock_steps = st.sampled_from([0, 1, 2, 3, 5, 20, 61]).map(lambda n: n * SECOND)


def stamp(cmd: Command, ts: int) -> Command:
    """Give a generated command its time; a GTD order's ``expire_at`` is generated relative to it."""
    if isinstance(cmd, PlaceOrder) and cmd.time_in_force is TimeInForce.GTD:
        return replace(cmd, ts=ts, expire_at=ts + cmd.expire_at)
    return replace(cmd, ts=ts)


@st.composite
def limit_orders(draw: st.DrawFn) -> PlaceOrder:
    symbol = draw(symbols)
    grid = GRIDS[symbol]
    tif = draw(st.sampled_from(list(TimeInForce)))
    return PlaceOrder(
        account_id=draw(accounts),
        symbol=symbol,
        side=draw(sides),
        order_type=OrderType.LIMIT,
        quantity=grid.min_lots + draw(extra_lots),
        price=grid.center + draw(offsets),
        time_in_force=tif,
        expire_at=draw(expiry_offsets) if tif is TimeInForce.GTD else 0,
        reduce_only=draw(reduce_flags),
        stp=draw(stps),
        client_order_id=draw(client_ids),
    )


@st.composite
def market_orders(draw: st.DrawFn) -> PlaceOrder:
    symbol = draw(symbols)
    return PlaceOrder(
        account_id=draw(accounts),
        symbol=symbol,
        side=draw(sides),
        order_type=OrderType.MARKET,
        quantity=GRIDS[symbol].min_lots + draw(extra_lots),
        time_in_force=draw(st.sampled_from([TimeInForce.GTC, TimeInForce.IOC])),
        reduce_only=draw(reduce_flags),
        stp=draw(stps),
        client_order_id=draw(client_ids),
    )


@st.composite
def conditional_orders(draw: st.DrawFn) -> PlaceOrder:
    symbol = draw(symbols)
    grid = GRIDS[symbol]
    kind = draw(st.sampled_from(CONDITIONAL))
    priced = kind in LIMIT_PRICED
    trailing = kind is OrderType.TRAILING_STOP_MARKET
    tif_choices = list(TimeInForce) if priced else [TimeInForce.GTC, TimeInForce.IOC, TimeInForce.GTD]
    tif = draw(st.sampled_from(tif_choices))
    close = kind in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET) and draw(reduce_flags)
    return PlaceOrder(
        account_id=draw(accounts),
        symbol=symbol,
        side=draw(sides),
        order_type=kind,
        quantity=0 if close else grid.min_lots + draw(extra_lots),
        price=grid.center + draw(offsets) if priced else 0,
        time_in_force=tif,
        expire_at=draw(expiry_offsets) if tif is TimeInForce.GTD else 0,
        stop_price=0 if trailing else grid.center + draw(offsets),
        trigger_by=draw(st.sampled_from(list(TriggerBy))),
        reduce_only=False if close else draw(reduce_flags),
        close_position=close,
        stp=draw(stps),
        client_order_id=draw(client_ids),
        callback_bps=draw(st.sampled_from([10, 20, 50])) if trailing else 0,
        activation_price=draw(st.one_of(st.just(0), offsets.map(lambda o: grid.center + o))) if trailing else 0,
    )


@st.composite
def mark_prices(draw: st.DrawFn) -> SetMarkPrice:
    symbol = draw(symbols)
    center = GRIDS[symbol].center
    offset = draw(st.one_of(offsets, offsets, mark_jumps.map(lambda percent: center * percent // 100)))
    return SetMarkPrice(symbol=symbol, price=center + offset)


orders = st.one_of(limit_orders(), limit_orders(), limit_orders(), market_orders(), conditional_orders())


@st.composite
def blind_commands(draw: st.DrawFn, max_size: int = 40) -> list[Command]:
    """A command tape generated without looking at the engine (ids are guesses), stamped in time."""
    amend = st.builds(
        AmendOrder,
        account_id=accounts,
        symbol=symbols,
        order_id=st.integers(1, 30),
        quantity=st.one_of(st.just(0), st.integers(2, 50)),
        price=st.one_of(st.just(0), offsets.map(lambda o: GRIDS[BTC].center + o)),
    )
    cancel = st.builds(CancelOrder, account_id=accounts, symbol=symbols, order_id=st.integers(1, 30))
    one = st.one_of(
        limit_orders(),
        limit_orders(),
        limit_orders(),
        market_orders(),
        conditional_orders(),
        mark_prices(),
        amend,
        cancel,
        st.builds(CancelAllOrders, account_id=accounts, symbol=symbols),
        st.builds(AdvanceTime, ts=st.just(0)),
        st.builds(SetLeverage, account_id=accounts, symbol=symbols, leverage=st.sampled_from([125, 20, 5])),
        st.builds(SetMarginMode, account_id=accounts, symbol=symbols, mode=st.sampled_from(list(MarginMode))),
        st.builds(Withdraw, account_id=accounts, amount=st.sampled_from([100 * USDT, 5_000 * USDT])),
    )
    raw = draw(st.lists(st.tuples(one, st.one_of(lags, lags, clock_steps)), max_size=max_size))
    now, tape = START, []
    for account_id in ACCOUNTS:
        tape += [
            CreateAccount(account_id=account_id, ts=now),
            Deposit(account_id=account_id, amount=draw(deposits), ts=now),
        ]
    for cmd, lag in raw:
        now += lag
        tape.append(stamp(cmd, now))
    return tape


# ---------------------------------------------------------------------------------------------------
# The ledger: rebuilds every order, position and level from events alone and checks them
# ---------------------------------------------------------------------------------------------------


@dataclass
class Tracked:
    """One accepted order as its events describe it."""

    order_id: int
    account_id: int
    symbol: str
    side: Side
    order_type: OrderType
    tif: TimeInForce
    quantity: int
    price: int
    expire_at: int
    client_order_id: str
    triggered: bool
    liquidation: bool = False
    auto_deleverage: bool = False
    filled: int = 0
    final_remaining: int | None = None
    final_event: str = ""
    finished_at: int = 0

    @property
    def finished(self) -> bool:
        return self.final_remaining is not None


class PropertyViolation(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise PropertyViolation(message)


def band(symbol: str, side: Side, reference: int) -> int:
    """The worst price a market order may reach (market order price protection): reference x (1 +/- band)."""
    rate = DEFAULT_INSTRUMENTS[symbol].price_band
    if side is Side.BUY:
        return reference * (SCALE + rate) // SCALE
    return -(-reference * (SCALE - rate) // SCALE)


@dataclass
class Ledger:
    orders: dict[int, Tracked] = field(default_factory=dict)
    positions: defaultdict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    levels: dict[tuple[str, Side, int], tuple[int, int]] = field(default_factory=dict)
    mark: dict[str, int] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)
    market_reference: dict[int, int] = field(default_factory=dict)
    wallets: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    isolated: defaultdict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    last_order_id: int = 0
    last_trade_id: int = 0
    now: int = 0

    def open_orders(self) -> list[Tracked]:
        return [o for o in self.orders.values() if not o.finished]

    def _live(self, order_id: int, what: str) -> Tracked:
        order = self.orders.get(order_id)
        check(order is not None, f"{what} for unknown order #{order_id}")
        assert order is not None
        check(not order.finished, f"{what} for order #{order_id} already finished by {order.final_event}")
        return order

    def _finish(self, order: Tracked, remaining: int, how: str) -> None:
        check(
            order.quantity == order.filled + remaining,
            f"#{order.order_id} {how}: quantity {order.quantity} != filled {order.filled} + remaining {remaining}",
        )
        order.final_remaining, order.final_event, order.finished_at = remaining, how, self.now

    def feed(self, events: Sequence[Event], now: int) -> None:
        """Check one command's events in order and fold them into the ledger."""
        self.now = now
        activated: list[tuple[Tracked, bool]] = []  # (order, placed now rather than triggered)
        open_trade: TradeExecuted | None = None
        trade_fills: list[OrderFilled] = []
        adl_fill: OrderFilled | None = None
        moved: set[tuple[int, str]] = set()
        reported: set[tuple[int, str]] = set()

        def close_trade() -> None:
            if open_trade is None:
                return
            sides = sorted((f.order_id, f.is_maker) for f in trade_fills)
            expected = sorted([(open_trade.maker_order_id, True), (open_trade.taker_order_id, False)])
            check(sides == expected, f"trade {open_trade.trade_id} has fills {sides}, expected {expected}")

        for ev in events:
            if isinstance(ev, OrderAccepted):
                check(ev.order_id == self.last_order_id + 1, f"order id {ev.order_id} after {self.last_order_id}")
                self.last_order_id = ev.order_id
                order = Tracked(
                    ev.order_id,
                    ev.account_id,
                    ev.symbol,
                    ev.side,
                    ev.order_type,
                    ev.time_in_force,
                    ev.quantity,
                    ev.price,
                    ev.expire_at,
                    ev.client_order_id,
                    triggered=ev.order_type not in CONDITIONAL,
                    liquidation=ev.liquidation,
                    auto_deleverage=ev.auto_deleverage,
                )
                self.orders[ev.order_id] = order
                if order.triggered:
                    activated.append((order, True))
            elif isinstance(ev, OrderTriggered):
                order = self._live(ev.order_id, "OrderTriggered")
                check(not order.triggered, f"#{ev.order_id} triggered twice")
                check(order.filled == 0, f"#{ev.order_id} filled before its trigger")
                order.triggered = True
                order.quantity = ev.quantity
                activated.append((order, False))
            elif isinstance(ev, OrderAmended):
                order = self._live(ev.order_id, "OrderAmended")
                check(
                    order.triggered and order.order_type in LIMIT_PRICED,
                    f"#{ev.order_id} amended while not a live limit",
                )
                check(ev.quantity > order.filled, f"#{ev.order_id} amended to {ev.quantity} <= filled {order.filled}")
                if ev.priority_kept:
                    check(ev.price == order.price and ev.quantity < order.quantity, f"#{ev.order_id} kept priority")
                order.quantity, order.price = ev.quantity, ev.price
            elif isinstance(ev, TradeExecuted):
                close_trade()
                open_trade, trade_fills = ev, []
                self._check_trade(ev)
            elif isinstance(ev, OrderFilled) and open_trade is not None and ev.trade_id == open_trade.trade_id:
                check(ev.price == open_trade.price and ev.quantity == open_trade.quantity, "fill differs from trade")
                trade_fills.append(ev)
                self._fill(ev, moved)
            elif isinstance(ev, OrderFilled):
                # Auto-deleverage: the order placed for the profitable side, then the liquidation
                # order, fill each other outside the book (no TradeExecuted), without fee.
                close_trade()
                open_trade = None
                order = self._live(ev.order_id, "OrderFilled")
                check(ev.fee == 0, f"auto-deleverage fill of #{ev.order_id} charged {ev.fee}")
                if ev.trade_id != self.last_trade_id:
                    check(ev.trade_id == self.last_trade_id + 1, f"trade id {ev.trade_id} after {self.last_trade_id}")
                    check(order.auto_deleverage and ev.is_maker, f"fill of #{ev.order_id} off trade")
                    self.last_trade_id = ev.trade_id
                    adl_fill = ev
                else:
                    check(order.liquidation and not ev.is_maker, f"fill of #{ev.order_id} off trade")
                    assert adl_fill is not None
                    check(
                        ev.price == adl_fill.price
                        and ev.quantity == adl_fill.quantity
                        and ev.side is not adl_fill.side,
                        f"auto-deleverage fills of trade {ev.trade_id} disagree",
                    )
                self._fill(ev, moved)
            elif isinstance(ev, OrderCanceled | OrderExpired):
                order = self._live(ev.order_id, type(ev).__name__)
                self._finish(order, ev.remaining, f"{type(ev).__name__}({ev.reason})")
                if ev.reason is EndReason.GTD_EXPIRED:
                    check(0 < order.expire_at <= now, f"#{ev.order_id} GTD-expired at {now}, expiry {order.expire_at}")
            elif isinstance(ev, PositionDeleveraged):
                order = self.orders[ev.order_id]
                check(
                    order.auto_deleverage and order.account_id == ev.account_id and order.filled == ev.quantity,
                    f"PositionDeleveraged for #{ev.order_id} differs from its fill",
                )
            elif isinstance(ev, BalanceChanged):
                wallet = self.wallets[ev.account_id] + ev.delta
                check(ev.wallet == wallet, f"{ev} after a wallet of {self.wallets[ev.account_id]}")
                self.wallets[ev.account_id] = wallet
                if ev.isolated_delta:
                    key = (ev.account_id, ev.symbol)
                    isolated = self.isolated[key] + ev.isolated_delta
                    check(ev.isolated_wallet == isolated, f"{ev} after an isolated wallet of {self.isolated[key]}")
                    self.isolated[key] = isolated
            elif isinstance(ev, PositionChanged):
                key = (ev.account_id, ev.symbol)
                check(ev.size == self.positions[key], f"PositionChanged {key} {ev.size} != fills {self.positions[key]}")
                reported.add(key)
            elif isinstance(ev, BookLevelChanged):
                level_key = (ev.symbol, ev.side, ev.price)
                if ev.quantity == 0:
                    check(ev.orders == 0, f"empty level with {ev.orders} orders")
                    self.levels.pop(level_key, None)
                else:
                    check(ev.orders > 0, "level with quantity and no orders")
                    self.levels[level_key] = (ev.quantity, ev.orders)
            elif isinstance(ev, MarkPriceChanged):
                self.mark[ev.symbol] = ev.price
        close_trade()
        check(moved <= reported, f"positions moved without PositionChanged: {moved - reported}")
        for order, placed in activated:
            if order.tif in (TimeInForce.IOC, TimeInForce.FOK) or order.order_type not in LIMIT_PRICED:
                check(order.finished, f"#{order.order_id} ({order.tif} {order.order_type}) outlived its command")
            if order.tif is TimeInForce.FOK:
                allowed = {order.quantity} if placed else {0, order.quantity}
                check(order.filled in allowed, f"FOK #{order.order_id} filled {order.filled} of {order.quantity}")

    def _fill(self, ev: OrderFilled, moved: set[tuple[int, str]]) -> None:
        order = self._live(ev.order_id, "OrderFilled")
        check(ev.side is order.side and ev.account_id == order.account_id, f"fill of #{ev.order_id} side/owner")
        order.filled += ev.quantity
        check(ev.filled == order.filled, f"#{ev.order_id} reports filled {ev.filled}, fills sum {order.filled}")
        check(ev.remaining == order.quantity - order.filled >= 0, f"#{ev.order_id} remaining {ev.remaining}")
        check((ev.status is OrderStatus.FILLED) == (ev.remaining == 0), f"#{ev.order_id} status {ev.status}")
        if ev.remaining == 0:
            self._finish(order, 0, "FILLED")
        key = (order.account_id, order.symbol)
        self.positions[key] += ev.quantity * order.side
        moved.add(key)

    def _check_trade(self, ev: TradeExecuted) -> None:
        check(ev.trade_id == self.last_trade_id + 1, f"trade id {ev.trade_id} after {self.last_trade_id}")
        self.last_trade_id = ev.trade_id
        maker = self._live(ev.maker_order_id, "trade (maker)")
        taker = self._live(ev.taker_order_id, "trade (taker)")
        what = f"trade {ev.trade_id} maker #{maker.order_id} taker #{taker.order_id} @ {ev.price}"
        check(ev.quantity > 0, f"{what}: quantity {ev.quantity}")
        check(ev.quantity <= maker.quantity - maker.filled, f"{what}: overfills maker")
        check(ev.quantity <= taker.quantity - taker.filled, f"{what}: overfills taker")
        check(maker.symbol == taker.symbol == ev.symbol, f"{what}: symbols")
        check(maker.account_id != taker.account_id, f"{what}: self-trade of account {maker.account_id}")
        check(ev.maker_account_id == maker.account_id and ev.taker_account_id == taker.account_id, f"{what}: owners")
        check(ev.aggressor is taker.side and maker.side is taker.side.opposite, f"{what}: sides")
        check(maker.triggered and maker.order_type in LIMIT_PRICED and maker.tif in RESTING_TIF, f"{what}: maker kind")
        check(ev.price == maker.price, f"{what}: maker rests at {maker.price}")
        check(taker.triggered and taker.tif is not TimeInForce.GTX, f"{what}: taker is post-only or untriggered")
        if taker.order_type in LIMIT_PRICED:
            limit = taker.price
        else:
            reference = self.mark.get(ev.symbol) or self.last.get(ev.symbol) or ev.price
            limit = band(ev.symbol, taker.side, self.market_reference.setdefault(taker.order_id, reference))
        within = ev.price <= limit if taker.side is Side.BUY else ev.price >= limit
        check(within, f"{what}: beyond taker limit {limit} ({taker.side.name} {taker.order_type})")
        self.last[ev.symbol] = ev.price

    def check_engine(self, engine: Engine) -> None:
        """Compare the ledger with the engine's queries after a command."""
        resting: set[int] = set()
        for symbol in GRIDS:
            bids, asks = engine.depth(symbol, DEPTH_ALL)
            if bids and asks:
                check(bids[0].price < asks[0].price, f"{symbol} crossed at rest: bid {bids[0]} ask {asks[0]}")
            for side, depth in ((Side.BUY, bids), (Side.SELL, asks)):
                mirrored = {p: v for (s, sd, p), v in self.levels.items() if s == symbol and sd is side}
                check(mirrored == {d.price: (d.quantity, d.orders) for d in depth}, f"{symbol} {side.name} L2 stream")
                levels = engine.l3(symbol, side)
                check([lv[0].price for lv in levels] == [d.price for d in depth], "l3 and depth levels differ")
                for level, d in zip(levels, depth, strict=True):
                    total = 0
                    for order in level:
                        tracked = self.orders.get(order.order_id)
                        check(tracked is not None, f"resting #{order.order_id} was never accepted")
                        assert tracked is not None
                        check(not tracked.finished, f"#{order.order_id} rests after {tracked.final_event}")
                        check(tracked.triggered, f"#{order.order_id} rests before its trigger")
                        check(
                            tracked.tif in RESTING_TIF and tracked.order_type in LIMIT_PRICED, "non-resting kind rests"
                        )
                        check(tracked.side is side and tracked.price == d.price, f"#{order.order_id} misplaced")
                        remaining = order.quantity - order.filled
                        check(remaining > 0, f"#{order.order_id} rests with nothing left")
                        check(
                            tracked.quantity == tracked.filled + remaining,
                            f"#{order.order_id}: quantity {tracked.quantity} != filled {tracked.filled} + resting "
                            f"{remaining}",
                        )
                        check(order.filled == tracked.filled, f"#{order.order_id} filled {order.filled}")
                        check(not tracked.expire_at or tracked.expire_at > engine.now, f"#{order.order_id} past GTD")
                        check(order.order_id not in resting, f"#{order.order_id} rests twice")
                        resting.add(order.order_id)
                        total += remaining
                    check(total == d.quantity, f"{symbol} level {d.price} holds {total}, depth says {d.quantity}")
        for order in self.orders.values():
            live = engine.order(order.order_id)
            if order.finished:
                check(live is None and order.order_id not in resting, f"#{order.order_id} open after finishing")
            else:
                check(live is not None, f"#{order.order_id} vanished without a final event")
                check(order.triggered == (order.order_id in resting), f"#{order.order_id} neither resting nor waiting")
        for account_id, account in engine.accounts.items():
            check(account.wallet == self.wallets[account_id], f"account {account_id} wallet differs from its events")
            for symbol, position in account.positions.items():
                held = self.isolated[(account_id, symbol)]
                check(position.isolated_wallet == held, f"account {account_id} {symbol} isolated wallet {held}")
        for symbol in GRIDS:
            sizes = [engine.position(a, symbol).size for a in ACCOUNTS]
            check(sum(sizes) == 0, f"{symbol} positions {sizes} do not net to zero")
            for account, size in zip(ACCOUNTS, sizes, strict=True):
                fills = self.positions[(account, symbol)]
                check(size == fills, f"account {account} {symbol} size {size} != signed fills {fills}")


# ---------------------------------------------------------------------------------------------------
# A driver shared by the state machine and the @given tests
# ---------------------------------------------------------------------------------------------------


class Driver:
    """Applies commands to an engine, checking properties 1, 2, 4, 5 and 7 after each."""

    def __init__(self) -> None:
        self.engine = Engine()
        self.ledger = Ledger()
        self.tape: list[Command] = []
        self.outputs: list[list[str]] = []
        self.hashes: list[str] = []
        self.client_orders: dict[tuple[int, str], tuple[int, PlaceOrder]] = {}

    def open_accounts(self, amounts: Sequence[int], ts: int = 0) -> None:
        """Create accounts 1, 2, ... with these deposits."""
        for account_id, amount in enumerate(amounts, start=1):
            self.apply(CreateAccount(account_id=account_id, ts=ts))
            self.apply(Deposit(account_id=account_id, amount=amount, ts=ts))

    def expected_client_outcome(self, cmd: PlaceOrder, now: int) -> tuple[str, int]:
        """What a PlaceOrder with a client id must do (an idempotent retry returns
        the original order; the id is unique among open orders; the engine remembers a finished
        order's id for ``RETRY_WINDOW_NS``): "duplicate" (answered with that order), "clash"
        (refused) or "new" (handled as any new order)."""
        entry = self.client_orders.get((cmd.account_id, cmd.client_order_id))
        if entry is None:
            return "new", 0
        order_id, original = entry
        tracked = self.ledger.orders[order_id]
        still_open = not tracked.finished and not 0 < tracked.expire_at <= now
        finished_at = tracked.finished_at if tracked.finished else now
        if not still_open and now - finished_at > RETRY_WINDOW_NS:
            return "new", 0
        if replace(cmd, ts=original.ts) == original:
            return "duplicate", order_id
        return ("clash", order_id) if still_open else ("new", 0)

    def apply(self, cmd: Command) -> list[Event]:
        engine = self.engine
        before = self.hashes[-1] if self.hashes else engine.state_hash()
        client = isinstance(cmd, PlaceOrder) and bool(cmd.client_order_id)
        if client:
            assert isinstance(cmd, PlaceOrder)
            expected, original_id = self.expected_client_outcome(cmd, max(engine.now, cmd.ts))
        moves_clock = cmd.ts > engine.now
        if currently_in_test_context():
            note(f"apply {cmd!r}")
        events = engine.apply(cmd)
        self.tape.append(cmd)
        self.outputs.append([serialize(e) for e in events])
        after = engine.state_hash()
        self.hashes.append(after)
        engine.check_invariants()
        self.ledger.feed(events, engine.now)
        self.ledger.check_engine(engine)
        if client:
            assert isinstance(cmd, PlaceOrder)
            self._check_client_outcome(cmd, events, expected, original_id)
        nothing_new = [e for e in events if isinstance(e, OrderRejected | DuplicatePlaceIgnored)]
        if nothing_new:
            check(len(nothing_new) == 1, f"one command, several refusals: {nothing_new}")
            if not moves_clock:
                check(events == nothing_new, f"refused command emitted more: {events}")
                check(after == before, f"refused command changed state: {nothing_new[0]}")
            else:
                # The command's ts still moves the clock (and expires what is due); nothing else. The
                # baseline is the engine as it was (rebuilt from the tape) given only AdvanceTime(ts).
                twin = Engine()
                for earlier in self.tape[:-1]:
                    twin.apply(earlier)
                baseline = [serialize(e) for e in twin.apply(AdvanceTime(ts=cmd.ts))]
                rest = [serialize(e) for e in events if e is not nothing_new[0]]
                check(rest == baseline, f"refused command did more than AdvanceTime: {rest} vs {baseline}")
                check(after == twin.state_hash(), f"refused command changed state: {nothing_new[0]}")
        return events

    def _check_client_outcome(self, cmd: PlaceOrder, events: list[Event], expected: str, original_id: int) -> None:
        duplicates = [e.order_id for e in events if isinstance(e, DuplicatePlaceIgnored)]
        clashes = [
            e for e in events if isinstance(e, OrderRejected) and e.reason is RejectReason.DUPLICATE_CLIENT_ORDER_ID
        ]
        what = f"client id {cmd.client_order_id!r} of account {cmd.account_id}, expected {expected} #{original_id}"
        if expected == "duplicate":
            check(duplicates == [original_id] and not clashes, f"{what}: {events}")
        elif expected == "clash":
            check(len(clashes) == 1 and not duplicates, f"{what}: {events}")
        else:
            check(not duplicates and not clashes, f"{what}: {events}")
        for e in events:
            if (
                isinstance(e, OrderAccepted)
                and e.account_id == cmd.account_id
                and e.client_order_id == cmd.client_order_id
            ):
                self.client_orders[(e.account_id, e.client_order_id)] = (e.order_id, cmd)

    def check_replay(self) -> None:
        """Property 6: the same tape on a fresh engine gives the same bytes and hashes."""
        fresh = Engine()
        for index, cmd in enumerate(copy.deepcopy(self.tape)):
            out = [serialize(e) for e in fresh.apply(cmd)]
            check(out == self.outputs[index], f"replay diverged at command {index} {cmd!r}")
            check(fresh.state_hash() == self.hashes[index], f"replay hash diverged at command {index}")


# ---------------------------------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------------------------------


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.driver = Driver()
        self.now = START
        self.healthy = True

    def _apply(self, cmd: Command, lag: int = 0) -> None:
        self.now += lag
        self.healthy = False
        self.driver.apply(stamp(cmd, self.now))
        self.healthy = True

    @initialize(funds=st.tuples(deposits, deposits, deposits), seeded=st.sampled_from([True, True, True, False]))
    def open_market(self, funds: tuple[int, int, int], seeded: bool) -> None:
        """Fund the three accounts; usually also start from a two-sided book, open positions for all
        three and a mark, so that short runs already trade, trigger and reduce."""
        self.driver.open_accounts(funds, self.now)
        for account, amount in zip(ACCOUNTS, funds, strict=True):
            if amount < 1_000 * USDT:  # a tiny account trades at the highest leverage
                for symbol in GRIDS:
                    self._apply(SetLeverage(account_id=account, symbol=symbol, leverage=125))
        if not seeded:
            return
        for symbol, grid in GRIDS.items():
            lots = grid.min_lots * 5
            for n in range(1, 4):
                for account, side in ((1, Side.BUY), (2, Side.SELL)):
                    price = grid.center - n * side
                    self._apply(
                        PlaceOrder(
                            account_id=account,
                            symbol=symbol,
                            side=side,
                            order_type=OrderType.LIMIT,
                            quantity=lots,
                            price=price,
                        )
                    )
            self._apply(
                PlaceOrder(account_id=1, symbol=symbol, side=Side.BUY, order_type=OrderType.MARKET, quantity=lots + 2)
            )
            self._apply(
                PlaceOrder(account_id=3, symbol=symbol, side=Side.SELL, order_type=OrderType.MARKET, quantity=lots)
            )
            self._apply(SetMarkPrice(symbol=symbol, price=grid.center))

    @rule(cmd=orders, lag=lags)
    def place(self, cmd: PlaceOrder, lag: int) -> None:
        self._apply(cmd, lag)

    @rule(cmd=orders, lag=lags)
    def place_more(self, cmd: PlaceOrder, lag: int) -> None:
        self._apply(cmd, lag)

    @precondition(lambda self: self.driver.ledger.orders)
    @rule(data=st.data(), action=st.sampled_from(["amend", "amend", "cancel", "cancel", "cancel_all", "retry"]))
    def manage(self, data: st.DataObject, action: str) -> None:
        """Amend or cancel (by id or client id, sometimes a finished order or another account's), cancel
        everything, or resend an earlier PlaceOrder (an idempotent retry, or a client-id clash)."""
        lag = data.draw(lags, label="lag")
        ledger = self.driver.ledger
        pool = sorted(ledger.orders.values() if action == "cancel" else ledger.open_orders(), key=lambda o: o.order_id)
        sent = [c for c in self.driver.tape if isinstance(c, PlaceOrder) and c.client_order_id]
        if action == "retry" and sent:
            self.now += lag
            self.healthy = False
            self.driver.apply(replace(data.draw(st.sampled_from(sent), label="retry of"), ts=self.now))
            self.healthy = True
            return
        if action == "cancel_all" or not pool:
            cmd: Command = CancelAllOrders(account_id=data.draw(accounts), symbol=data.draw(symbols))
            self._apply(cmd, lag)
            return
        order = data.draw(st.sampled_from(pool), label="order")
        by_client = bool(order.client_order_id) and data.draw(st.booleans(), label="by client id")
        order_id = 0 if by_client else order.order_id
        client_id = order.client_order_id if by_client else ""
        if action == "cancel":
            account = data.draw(st.sampled_from([order.account_id] * 4 + list(ACCOUNTS)), label="account")
            cmd = CancelOrder(account_id=account, symbol=order.symbol, order_id=order_id, client_order_id=client_id)
        else:
            grid = GRIDS[order.symbol]
            cmd = AmendOrder(
                account_id=order.account_id,
                symbol=order.symbol,
                order_id=order_id,
                client_order_id=client_id,
                quantity=data.draw(st.one_of(st.just(0), st.integers(1, grid.min_lots + 48)), label="quantity"),
                price=data.draw(st.one_of(st.just(0), offsets.map(lambda o: grid.center + o)), label="price"),
            )
        self._apply(cmd, lag)

    @rule(
        data=st.data(),
        action=st.sampled_from(["leverage", "leverage", "mode", "deposit", "withdraw", "isolated"]),
        account=accounts,
        symbol=symbols,
    )
    def account_settings(self, data: st.DataObject, action: str, account: int, symbol: str) -> None:
        """Leverage (125x makes the small account liquidatable), margin mode, money in and out."""
        amount = data.draw(st.sampled_from([100, 5_000]).map(lambda usdt: usdt * USDT), label="amount")
        cmd: Command
        if action == "leverage":
            leverage = data.draw(st.sampled_from([125, 125, 20, 5, 1, 200]), label="leverage")
            cmd = SetLeverage(account_id=account, symbol=symbol, leverage=leverage)
        elif action == "mode":
            mode = data.draw(st.sampled_from(list(MarginMode)), label="mode")
            cmd = SetMarginMode(account_id=account, symbol=symbol, mode=mode)
        elif action == "deposit":
            cmd = Deposit(account_id=account, amount=amount)
        elif action == "withdraw":
            cmd = Withdraw(account_id=account, amount=amount)
        else:
            sign = data.draw(st.sampled_from([1, -1]), label="sign")
            cmd = AdjustIsolatedMargin(account_id=account, symbol=symbol, amount=sign * amount)
        self._apply(cmd)

    @rule(cmd=st.one_of(mark_prices(), mark_prices(), st.builds(AdvanceTime, ts=st.just(0))), lag=clock_steps)
    def move_prices_or_time(self, cmd: SetMarkPrice | AdvanceTime, lag: int) -> None:
        self._apply(cmd, lag)

    def teardown(self) -> None:
        if self.healthy:
            self.driver.check_replay()


EngineMachine.TestCase.settings = settings(stateful_step_count=80)
TestEngineMachine = EngineMachine.TestCase


def funded_engine(accounts: Iterable[int] = ACCOUNTS, amount: int = 10_000_000 * USDT) -> Engine:
    engine = Engine()
    for account_id in accounts:
        engine.apply(CreateAccount(account_id=account_id))
        engine.apply(Deposit(account_id=account_id, amount=amount))
    return engine


# ---------------------------------------------------------------------------------------------------
# Property 3: FIFO against the naive reference book
# ---------------------------------------------------------------------------------------------------

targets = st.tuples(st.integers(0, 60), st.sampled_from([True, True, True, False]))  # (pick, among resting)
fifo_ops = st.one_of(
    st.tuples(st.just("limit"), sides, st.integers(-3, 3), st.integers(2, 50), st.sampled_from(["GTC", "GTC", "IOC"])),
    st.tuples(st.just("limit"), sides, st.integers(-3, 3), st.integers(2, 50), st.just("GTC")),
    st.tuples(st.just("limit"), sides, st.integers(-3, 3), st.integers(2, 50), st.just("GTC")),
    st.tuples(st.just("market"), sides, st.integers(2, 80)),
    st.tuples(st.just("cancel"), targets),
    st.tuples(
        st.just("amend"),
        targets,
        st.sampled_from([0, 0, 2, 5, 10, 30, 60]),
        st.one_of(st.just(0), st.just(0), st.integers(-4, 4)),
    ),
)


def engine_outcome(events: Iterable[Event], taker: int | None) -> tuple[bool, int, tuple[Any, ...], int]:
    """(rejected, accepted order id, trades as (maker, taker, price, qty), what the taker or the
    canceled order gave up)."""
    events = list(events)
    accepted = [e.order_id for e in events if isinstance(e, OrderAccepted)]
    trades = tuple(
        (e.maker_order_id, e.taker_order_id, e.price, e.quantity) for e in events if isinstance(e, TradeExecuted)
    )
    ended = (OrderExpired, OrderCanceled)
    expired = sum(e.remaining for e in events if isinstance(e, ended) and e.order_id in (taker, *accepted))
    rejected = any(isinstance(e, OrderRejected) for e in events)
    return rejected, accepted[0] if accepted else 0, trades, expired


@given(ops=st.lists(fifo_ops, min_size=20, max_size=80))
def test_fifo_matches_reference_book(ops: list[tuple[Any, ...]]) -> None:
    """Property 3: same trades (maker, taker, price, qty), same L3 queues as a list-per-price book."""
    engine, ref = Engine(), ReferenceBook(band_bps=DEFAULT_INSTRUMENTS[BTC].price_band * 10_000 // SCALE)
    center = GRIDS[BTC].center
    for step, op in enumerate(ops, start=1):
        account = 100 + step  # a fresh account per order: no self-trade prevention in play
        engine.apply(CreateAccount(account_id=account, ts=step))
        engine.apply(Deposit(account_id=account, amount=10_000_000 * USDT, ts=step))
        kind = op[0]
        if kind == "limit":
            _, side, offset, qty, tif = op
            price = center + offset
            cmd: Command = PlaceOrder(
                account_id=account,
                symbol=BTC,
                side=side,
                order_type=OrderType.LIMIT,
                quantity=qty,
                price=price,
                time_in_force=TimeInForce(tif),
                ts=step,
            )
            expected = ref.place_limit(account, int(side), price, qty, tif)
            taker = expected.order_id
        elif kind == "market":
            _, side, qty = op
            cmd = PlaceOrder(
                account_id=account, symbol=BTC, side=side, order_type=OrderType.MARKET, quantity=qty, ts=step
            )
            expected = ref.place_market(account, int(side), qty)
            taker = expected.order_id
        else:
            pick, among_resting = op[1]
            resting = [oid for side in (1, -1) for level in ref.l3(side) for oid, _ in level]
            # mostly a resting order; else any id ever assigned, finished ones included (then refused)
            target = resting[pick % len(resting)] if among_resting and resting else pick % ref.next_id or 1
            owner = ref.owner.get(target, 1)
            if kind == "cancel":
                cmd = CancelOrder(account_id=owner, symbol=BTC, order_id=target, ts=step)
                expected = ref.cancel(target)
            else:
                _, _, qty, offset = op
                price = center + offset if offset else 0
                cmd = AmendOrder(account_id=owner, symbol=BTC, order_id=target, quantity=qty, price=price, ts=step)
                expected = ref.amend(target, qty, price)
            taker = target
        note(f"{step}: {cmd!r} -> expected {expected}")
        events = engine.apply(cmd)
        engine.check_invariants()
        rejected, accepted_id, trades, expired = engine_outcome(events, taker)
        assert rejected == expected.rejected, f"step {step}: engine rejected={rejected} for {cmd!r}"
        if kind in ("limit", "market"):
            assert accepted_id == expected.order_id
        assert trades == tuple((t.maker_id, t.taker_id, t.price, t.quantity) for t in expected.trades)
        assert expired == expected.expired
        for side in Side:
            got = [[(o.order_id, o.quantity - o.filled) for o in level] for level in engine.l3(BTC, side)]
            assert got == ref.l3(int(side)), f"step {step}: {side.name} queues differ"


# ---------------------------------------------------------------------------------------------------
# Property 4, targeted: a taker against a random book fills exactly what its limit (or band) allows
# ---------------------------------------------------------------------------------------------------


@given(
    asks=st.lists(st.tuples(st.integers(-80, 80), st.integers(2, 30)), min_size=1, max_size=12),
    taker_side=sides,
    taker_kind=st.sampled_from(["limit", "market"]),
    limit_offset=st.integers(-80, 80),
    quantity=st.integers(2, 200),
    mark_set=st.booleans(),
)
def test_taker_fills_exactly_within_its_limit(
    asks: list[tuple[int, int]], taker_side: Side, taker_kind: str, limit_offset: int, quantity: int, mark_set: bool
) -> None:
    """Resting orders sit from -8 % to +8 % of the mark (in 0.1 % steps) on the side the taker hits.
    A limit taker must take every lot priced at or better than its limit (best price first, each at
    the maker's price) and no other; a market taker does the same with the 5 % band as its limit,
    around the mark (else around the best opposite price, as there is no last trade yet)."""
    mark = GRIDS[BTC].center
    step = mark // 1000
    maker_side = taker_side.opposite
    driver = Driver()
    driver.open_accounts([10_000_000 * USDT] * 3, ts=1)
    if mark_set:
        driver.apply(SetMarkPrice(symbol=BTC, price=mark, ts=1))
    resting: list[tuple[int, int]] = []  # (price, qty) of makers that rested, in placement order
    for n, (offset, lots) in enumerate(asks):
        price = mark + offset * step
        cmd = PlaceOrder(
            account_id=1 + n % 2,
            symbol=BTC,
            side=maker_side,
            order_type=OrderType.LIMIT,
            quantity=lots,
            price=price,
            ts=1,
        )
        if not any(isinstance(e, OrderRejected) for e in driver.apply(cmd)):
            resting.append((price, lots))
    if taker_kind == "limit":
        limit = mark + limit_offset * step
        cmd = PlaceOrder(
            account_id=3,
            symbol=BTC,
            side=taker_side,
            order_type=OrderType.LIMIT,
            quantity=quantity,
            price=limit,
            time_in_force=TimeInForce.IOC,
            ts=1,
        )
    else:
        prices = [p for p, _ in resting]
        best = (min(prices) if maker_side is Side.SELL else max(prices)) if prices else 0
        limit = band(BTC, taker_side, mark if mark_set else best)  # no reference at all: nothing to take
        cmd = PlaceOrder(
            account_id=3, symbol=BTC, side=taker_side, order_type=OrderType.MARKET, quantity=quantity, ts=1
        )
    events = driver.apply(cmd)
    if any(isinstance(e, OrderRejected) for e in events):
        return  # out of band at admission; the driver already checked the rejection changed nothing
    fills = [(e.price, e.quantity) for e in events if isinstance(e, TradeExecuted)]
    better = [(p, q) for p, q in resting if (p <= limit if taker_side is Side.BUY else p >= limit)]
    available = sum(q for _, q in better)
    assert sum(q for _, q in fills) == min(quantity, available)
    prices = [p for p, _ in fills]
    assert prices == sorted(prices, reverse=taker_side is Side.SELL), "levels not taken best first"
    assert {p for p, _ in fills} <= {p for p, _ in better}
    ends = [e for e in events if isinstance(e, OrderExpired)]
    if quantity > available:
        assert [e.remaining for e in ends] == [quantity - available]
        if taker_kind == "market" and len(better) < len(resting):
            assert ends[0].reason is EndReason.MARKET_PRICE_BAND
    else:
        assert ends == []


# ---------------------------------------------------------------------------------------------------
# Property 6 on blind tapes, property 7 with targeted rejection probes
# ---------------------------------------------------------------------------------------------------


@given(tape=blind_commands())
def test_same_tape_same_bytes_and_hash(tape: list[Command]) -> None:
    """Two fresh engines fed the same tape emit the same serialized events and hashes at every step."""
    first, second = Engine(), Engine()
    for cmd in tape:
        a = [serialize(e) for e in first.apply(copy.deepcopy(cmd))]
        b = [serialize(e) for e in second.apply(copy.deepcopy(cmd))]
        assert a == b
        assert first.state_hash() == second.state_hash()


def always_refused(ts: int) -> list[Command]:
    """Commands the engine must refuse in any state of these tests."""

    def buy(**kwargs: Any) -> PlaceOrder:
        return PlaceOrder(symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, ts=ts, **kwargs)

    return [
        CancelOrder(account_id=1, symbol=BTC, order_id=10**6, ts=ts),  # UNKNOWN_ORDER
        AmendOrder(account_id=1, symbol=BTC, order_id=10**6, quantity=5, ts=ts),  # UNKNOWN_ORDER
        CancelAllOrders(account_id=1, symbol="DOGEUSDT", ts=ts),  # UNKNOWN_SYMBOL
        SetMarkPrice(symbol=BTC, price=1, ts=ts),  # PRICE_OUT_OF_BOUNDS
        buy(account_id=1, quantity=1, price=649_000),  # MIN_NOTIONAL: 64.9 USDT
        buy(account_id=2, quantity=5, price=649_000, time_in_force=TimeInForce.GTD, expire_at=ts),  # expiry past
        buy(account_id=2, quantity=10**5, price=600_000, time_in_force=TimeInForce.FOK),  # FOK_NOT_FILLABLE
        buy(account_id=99, quantity=5, price=649_000),  # UNKNOWN_ACCOUNT
        CreateAccount(account_id=1, ts=ts),  # ACCOUNT_ALREADY_EXISTS
        Deposit(account_id=99, amount=USDT, ts=ts),  # UNKNOWN_ACCOUNT
        Deposit(account_id=1, amount=0, ts=ts),  # INVALID_AMOUNT
        Withdraw(account_id=1, amount=10**9 * USDT, ts=ts),  # INSUFFICIENT_BALANCE
        SetLeverage(account_id=1, symbol=BTC, leverage=0, ts=ts),  # INVALID_LEVERAGE
    ]


def rejection_probes(engine: Engine, ts: int) -> list[Command]:
    """Commands the engine should refuse in this state (most of them), built from what it holds."""
    probes: list[Command] = [
        PlaceOrder(
            account_id=1, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=5, price=720_000, ts=ts
        ),  # PRICE_OUT_OF_BAND once there is a mark or a last price
    ]
    for side in Side:
        best = engine.depth(BTC, 1)[1 if side is Side.BUY else 0]
        if best:
            crossing = PlaceOrder(
                account_id=3,
                symbol=BTC,
                side=side,
                order_type=OrderType.LIMIT,
                quantity=5,
                price=best[0].price,
                time_in_force=TimeInForce.GTX,
                ts=ts,
            )
            probes.append(crossing)
        for account in ACCOUNTS:
            size = engine.position(account, BTC).size
            increasing = Side.BUY if size >= 0 else Side.SELL
            probes.append(
                PlaceOrder(
                    account_id=account,
                    symbol=BTC,
                    side=increasing,
                    order_type=OrderType.MARKET,
                    quantity=3,
                    reduce_only=True,
                    ts=ts,
                )
            )
    for account in ACCOUNTS:
        for order in engine.open_orders(account, BTC):
            probes.append(AmendOrder(account_id=account, symbol=BTC, order_id=order.order_id, ts=ts))
            probes.append(CancelOrder(account_id=account % 3 + 1, symbol=BTC, order_id=order.order_id, ts=ts))
            if not order.reduce_only and order.filled < 1 < order.quantity:  # 1 lot is below min notional
                probes.append(AmendOrder(account_id=account, symbol=BTC, order_id=order.order_id, quantity=1, ts=ts))
            if order.client_order_id:
                clash = PlaceOrder(
                    account_id=account,
                    symbol=BTC,
                    side=Side.BUY,
                    order_type=OrderType.LIMIT,
                    quantity=7,
                    price=640_000,
                    client_order_id=order.client_order_id,
                    ts=ts,
                )
                probes.append(clash)
    mark = engine.markets[BTC].mark_price
    if mark:
        probes.append(
            PlaceOrder(
                account_id=1,
                symbol=BTC,
                side=Side.SELL,
                order_type=OrderType.STOP_MARKET,
                quantity=5,
                stop_price=mark + 1,
                ts=ts,
            )
        )
    return probes


@given(tape=blind_commands(max_size=25))
def test_rejected_commands_change_nothing(tape: list[Command]) -> None:
    """Property 7: after a random prefix (itself checked by the Driver), every refused probe leaves
    ``state_hash()`` as it was and emits only its OrderRejected; each probe runs on a copy."""
    driver = Driver()
    for cmd in tape:
        driver.apply(cmd)
    now = driver.engine.now
    always = always_refused(now)
    for probe in always + rejection_probes(driver.engine, now):
        engine = copy.deepcopy(driver.engine)
        before = engine.state_hash()
        events = engine.apply(probe)
        refused = any(isinstance(e, OrderRejected) for e in events)
        assert refused or probe not in always, f"{probe!r} was not refused: {events}"
        if refused:
            assert len(events) == 1, f"{probe!r} -> {events}"
            assert engine.state_hash() == before, f"{probe!r} changed state"
            engine.check_invariants()


place_op = st.tuples(st.sampled_from(["place", "cycle"]), st.sampled_from("ab"), st.integers(1, 3))
cancel_op = st.tuples(st.just("cancel"), st.sampled_from("ab"))
retry_op = st.one_of(
    st.tuples(st.just("retry"), st.sampled_from("ab")), st.tuples(st.just("retry"), st.integers(0, 30))
)
wait_op = st.tuples(st.just("wait"), st.sampled_from([30, 59, 60, 61]))  # around the 60 s retry window
retry_ops = st.one_of(place_op, retry_op, wait_op, cancel_op, place_op, retry_op, wait_op)


@given(ops=st.lists(retry_ops, min_size=30, max_size=60))
def test_client_id_retries_follow_the_window(ops: list[tuple[Any, ...]]) -> None:
    """Client-id bookkeeping alone: resting bids of one account under two client ids, canceled by
    client id (at once, for a "cycle"), resent verbatim, with the clock stepping around the engine's
    retry window. The Driver
    checks each PlaceOrder against ``expected_client_outcome`` (and refusals against property 7)."""
    driver = Driver()
    now = START
    driver.open_accounts([10_000_000 * USDT], now)
    sent: list[PlaceOrder] = []
    for op in ops:
        if op[0] in ("place", "cycle"):  # a cycle places and at once cancels
            sent.append(limit(1, 5, GRIDS[BTC].center - 10 * op[2], op[1], now))
            driver.apply(sent[-1])
            if op[0] == "cycle":
                driver.apply(CancelOrder(account_id=1, symbol=BTC, client_order_id=op[1], ts=now))
        elif op[0] == "cancel":
            driver.apply(CancelOrder(account_id=1, symbol=BTC, client_order_id=op[1], ts=now))
        elif op[0] == "retry" and sent:
            if isinstance(op[1], str):  # the latest request under that client id (what a client retries)
                mine = [c for c in sent if c.client_order_id == op[1]]
                target = mine[-1] if mine else None
            else:  # any earlier request
                target = sent[op[1] % len(sent)]
            if target is not None:
                driver.apply(replace(target, ts=now))
        elif op[0] == "wait":
            now += op[1] * SECOND
            driver.apply(AdvanceTime(ts=now))
    driver.check_replay()


def limit(account: int, quantity: int, price: int, client_id: str, ts: int) -> PlaceOrder:
    """A GTC buy limit on BTCUSDT."""
    return PlaceOrder(
        account_id=account,
        symbol=BTC,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=quantity,
        price=price,
        client_order_id=client_id,
        ts=ts,
    )


# ---------------------------------------------------------------------------------------------------
# Regressions: minimal reproductions of engine bugs these properties found (now fixed)
# ---------------------------------------------------------------------------------------------------


def test_rejected_place_with_client_id_changes_nothing() -> None:
    """Property 7. Order #1 (client id "a") is canceled at t=1 s; 61 s later its id is past the retry
    window. A PlaceOrder with client id "b" for 1 lot (64.9 USDT < 100 min notional) is refused:
    nothing may change, yet the refusal drops "a" from the retry memory and the hash moves."""
    engine = funded_engine([1])
    engine.apply(limit(1, 5, 649_000, "a", SECOND))
    engine.apply(CancelOrder(account_id=1, symbol=BTC, order_id=1, ts=SECOND))
    engine.apply(AdvanceTime(ts=62 * SECOND))
    before = engine.state_hash()
    events = engine.apply(limit(1, 1, 649_000, "b", 62 * SECOND))
    assert [type(e) for e in events] == [OrderRejected]
    assert engine.state_hash() == before


def test_client_id_is_free_after_the_retry_window() -> None:
    """Client id "a" is used, canceled (t=0), reused and canceled again (t=3 s); "b" is canceled at
    t=1 s. At t=62 s "b" finished 61 s ago, past the 60 s window, so resending b's order is a new
    order; the engine still answers it as a duplicate because "a" (t=3 s) sits in front of "b"."""
    engine = funded_engine([1])
    b = limit(1, 5, 649_001, "b", SECOND)
    for cmd in (
        limit(1, 5, 649_000, "a", 0),
        CancelOrder(account_id=1, symbol=BTC, order_id=1, ts=0),
        b,
        CancelOrder(account_id=1, symbol=BTC, order_id=2, ts=SECOND),
        limit(1, 6, 649_000, "a", 2 * SECOND),
        CancelOrder(account_id=1, symbol=BTC, order_id=3, ts=3 * SECOND),
    ):
        engine.apply(cmd)
    events = engine.apply(replace(b, ts=62 * SECOND))
    assert not any(isinstance(e, DuplicatePlaceIgnored) for e in events)
    assert [e.order_id for e in events if isinstance(e, OrderAccepted)] == [4]
