"""The engine: ``apply(command) -> events``, synchronous and deterministic.

One command runs a fixed pipeline: expire due GTD orders, admission checks, matching with per-fill
settlement, reduce-only trimming, conditional triggers (which may trade and fire more), and finally
one ``BookLevelChanged`` per price level the command touched. A rejected command emits exactly one
``OrderRejected`` and changes nothing.
"""

import heapq
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from fractions import Fraction
from typing import Any

from paperex.engine.accounts import CROSS, ISOLATED, NO_ORDERS, Account, MarginMode
from paperex.engine.audit import InvariantViolation, Ledger, check_invariants, ledger, state_hash
from paperex.engine.book import DepthLevel, Level
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AdvanceTime,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    FundInsurance,
    PlaceOrder,
    Resume,
    SetIndexPrice,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    Withdraw,
)
from paperex.engine.events import (
    AccountCreated,
    BalanceChanged,
    BalanceReason,
    BookLevelChanged,
    DuplicatePlaceIgnored,
    Event,
    FundingRateSettled,
    FundingSettled,
    FundReason,
    IndexPriceChanged,
    InsuranceFundChanged,
    LiquidationTriggered,
    MarginCallIssued,
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
    PositionLiquidated,
    SettingsChanged,
    TradeExecuted,
    TrailingStopMoved,
)
from paperex.engine.funding import IMPACT_MARGIN, impact_price, next_boundary
from paperex.engine.instruments import DEFAULT_INSTRUMENTS, Instrument, LiquidationFee
from paperex.engine.liquidation import (
    MARGIN_CALL_THRESHOLDS_BPS,
    adl_quantiles,
    adl_ranking,
    cross_state,
    isolated_state,
    margin_call_levels,
    partial_quantity,
    scaled_maintenance,
    trading_fee_rate,
    worst_price,
)
from paperex.engine.margin import (
    bankruptcy_price,
    display_ticks,
    fee,
    funding_payment,
    funding_rate,
    initial_margin,
    maintenance_margin,
    max_leverage_for,
    max_notional_for,
    unrealized_pnl,
)
from paperex.engine.mark import MarkMethod, venue_mark
from paperex.engine.market import Market
from paperex.engine.matching import WalkEnd, crosses, fillable, walk
from paperex.engine.orders import (
    BUY,
    CANCELED,
    CONDITIONAL_TYPES,
    EXPIRED,
    FILLED,
    FOK,
    GTX,
    LIMIT_PRICED_TYPES,
    PARTIALLY_FILLED,
    RESTING_TIME_IN_FORCE,
    SELL,
    TRAILING_STOP_MARKET,
    Order,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
    TriggerBy,
)
from paperex.engine.positions import Position
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.refusals import Figure, Refusal, count, money, shortfall
from paperex.engine.risk import (
    AccountSummary,
    OrderPreview,
    available_balance,
    check_order,
    preview,
    removable_margin,
    summarize,
    valuation_price,
)
from paperex.engine.triggers import would_fire_now
from paperex.engine.units import HOUR_NS, SCALE, Amount, Lots, Ticks, ceil_div
from paperex.engine.validation import band_limit, check_new_order, check_price_and_size, price_bounds

# Enum members bound once (see ``paperex.engine.orders.BUY``): attribute lookups on an Enum class are slow.
BOOK_EMPTY, PRICE_LIMIT, SELF_TRADE = WalkEnd.BOOK_EMPTY, WalkEnd.PRICE_LIMIT, WalkEnd.SELF_TRADE
CANCELED_BY_USER, IOC_REMAINDER = EndReason.CANCELED_BY_USER, EndReason.IOC_REMAINDER
REALIZED_PNL, FEE = BalanceReason.REALIZED_PNL, BalanceReason.FEE
ISOLATED_MARGIN = BalanceReason.ISOLATED_MARGIN_TRANSFER

MAX_CASCADE_ROUNDS = 1_000
"""Trigger/liquidation rounds one command may set off before the engine calls it a bug."""

RETRY_WINDOW_NS = 60 * 10**9
"""How long a finished order's client id still answers an identical retry (a timed-out request
retried later must not place twice); after that the id is free again, as on the venue. Time the
exchange was down does not count (``Resume``)."""


MAX_OPEN_ORDERS = 200
"""Open orders (resting or waiting for a trigger) per account and symbol: Binance's MAX_NUM_ORDERS."""


EXPIRIES_SWEPT_FROM = 1_024
"""The smallest expiry heap that is swept of ended orders' entries (then twice what stays in it)."""


class Engine:
    """All markets, orders and positions; mutate only through ``apply``."""

    _prices_moved = False
    """A market traded or had its mark moved since consequences were last settled: lets ``apply``
    skip asking every market after the many commands that move no price. Always False between
    commands, so it is a class default rather than state (snapshots of older engines load as they are)."""

    _expiries_limit = EXPIRIES_SWEPT_FROM
    """Entries the expiry heap may hold before the ones of orders already ended are swept out
    (``_sweep_expiries``); a class default, so snapshots of older engines load as they are."""

    def __init__(self, instruments: Mapping[str, Instrument] = DEFAULT_INSTRUMENTS) -> None:
        self.markets = {symbol: Market(spec) for symbol, spec in instruments.items()}
        self._market_list = tuple(self.markets.values())
        self.now = 0
        self._next_order_id = 1
        self._next_trade_id = 1
        self._open: dict[int, Order] = {}
        self._account_orders: dict[tuple[int, str], dict[int, Order]] = {}
        self._reduce_only: dict[tuple[int, str], dict[int, Order]] = {}
        self.accounts: dict[int, Account] = {}
        self.fees_collected = 0
        self.net_deposits = 0
        self.insurance_contributions = sum(market.insurance_fund for market in self._market_list)
        self._next_funding = 0
        self._at_risk: dict[int, None] = {}
        self._client_ids: dict[tuple[int, str], tuple[Order, PlaceOrder]] = {}
        self._recent_client_ids: OrderedDict[tuple[int, str], tuple[Order, PlaceOrder, int]] = OrderedDict()
        self._expiries: list[tuple[int, int]] = []
        self._touched: dict[tuple[int, str], None] = {}
        self._moved: dict[tuple[int, str], Position] = {}
        self._out: list[Event] = []
        self._handlers: dict[type, Callable[[Any], None]] = {
            PlaceOrder: self._place,
            AmendOrder: self._amend,
            CancelOrder: self._cancel,
            CancelAllOrders: self._cancel_all,
            SetMarkPrice: self._set_mark,
            SetIndexPrice: self._set_index,
            AdvanceTime: self._advance_time,
            Resume: self._advance_time,
            CreateAccount: self._create_account,
            Deposit: self._deposit,
            Withdraw: self._withdraw,
            SetLeverage: self._set_leverage,
            SetMarginMode: self._set_margin_mode,
            AdjustIsolatedMargin: self._adjust_isolated_margin,
            FundInsurance: self._fund_insurance,
        }

    # ------------------------------------------------------------------ the one entry point

    def apply(self, command: Command) -> list[Event]:
        """Apply one command and return its events in causal order."""
        out: list[Event] = []
        self._out = out
        if command.ts > self.now:
            if type(command) is Resume and self._recent_client_ids:
                self._discount_downtime(command.ts - self.now)
            self.now = command.ts
        if self._recent_client_ids:
            self._prune_recent_client_ids()
        expiries = self._expiries
        if expiries and expiries[0][0] <= self.now:
            self._expire_due()
        if self.now >= self._next_funding:
            self._settle_funding()
        self._handlers[type(command)](command)
        if self._at_risk or self._prices_moved:
            self._settle_consequences()
        if self._moved:
            self._flush_positions()
        for market in self._market_list:
            if market.dirty:
                self._flush_levels(market)
        return out

    def _advance_time(self, command: AdvanceTime | Resume) -> None:
        """Nothing beyond what ``apply`` does for every command: expire due orders, settle funding
        (and for ``Resume``, discount the downtime before anything else)."""

    # ------------------------------------------------------------------ queries (read-only)

    def next_deadline(self) -> int:
        """Engine time (ns) of the next GTD expiry or funding settlement: the host submits an
        ``AdvanceTime`` once its clock reaches it (the engine never reads a clock)."""
        expiries = self._expiries
        return min(expiries[0][0], self._next_funding) if expiries else self._next_funding

    def depth(self, symbol: str, limit: int) -> tuple[list[DepthLevel], list[DepthLevel]]:
        """L2: top ``limit`` aggregated levels as (bids, asks), best first."""
        book = self.markets[symbol].book
        return book.depth(Side.BUY, limit), book.depth(Side.SELL, limit)

    def l3(self, symbol: str, side: Side) -> list[list[Order]]:
        """L3: every resting order of one side, level by level in priority order."""
        return [list(level.orders()) for level in self.markets[symbol].book.side(side)]

    def order(self, order_id: int) -> Order | None:
        """An open order (resting or waiting for its trigger)."""
        return self._open.get(order_id)

    def open_orders(self, account_id: int, symbol: str) -> list[Order]:
        return list(self._account_orders.get((account_id, symbol), {}).values())

    def position(self, account_id: int, symbol: str) -> Position:
        account = self.accounts.get(account_id)
        position = account.positions.get(symbol) if account else None
        return position or Position()

    def preview(
        self, account_id: int, symbol: str, side: Side, lots: Lots, price: Ticks = 0
    ) -> tuple[OrderPreview, OrderPreview]:
        """An order's margin, fee and resulting position under the current and the other margin mode,
        changing nothing. ``price`` 0 previews a market order at the opposite touch."""
        market = self.markets[symbol]
        return preview(
            self.accounts[account_id], self.markets, symbol, side, lots, price or self._estimated_price(market, side)
        )

    def summary(self, account_id: int) -> AccountSummary:
        """Every margin figure of one account at the current marks (read-only)."""
        return summarize(self.accounts[account_id], self.markets)

    def adl_quantiles(self, symbol: str) -> dict[int, int]:
        """``account_id -> 1..5`` of every trader's position in ``symbol`` in its side's auto-deleverage
        queue (5: first to be deleveraged); flat and internal accounts are absent (0). Ranked afresh on
        each call, read-only: see ``paperex.engine.liquidation.adl_quantiles`` for the buckets."""
        return adl_quantiles(self.markets[symbol], self.accounts, self.markets)

    def state_hash(self) -> str:
        """A digest of everything that determines future behaviour; equal engines hash equal."""
        return state_hash(self)

    def check_invariants(self) -> None:
        """Raise InvariantViolation when internal structures disagree (tests call it after each step)."""
        check_invariants(self)

    @property
    def insurance_fund(self) -> Amount:
        """Every symbol's insurance fund together."""
        return sum(market.insurance_fund for market in self._market_list)

    def ledger(self) -> Ledger:
        """The terms of the money-conservation sum (read-only; see ``paperex.engine.audit.Ledger``)."""
        return ledger(self)

    # ------------------------------------------------------------------ place

    def _place(self, cmd: PlaceOrder) -> None:
        market = self.markets.get(cmd.symbol)
        if market is None:
            return self._reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        account = self.accounts.get(cmd.account_id)
        if account is None:
            return self._reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if cmd.client_order_id and self._is_retry(cmd, (cmd.account_id, cmd.client_order_id)):
            return None
        refusal = check_new_order(cmd, market.instrument, market.band_reference(), self.now)
        if refusal is not None:
            return self._reject(cmd, refusal.reason, None, refusal.figures)
        open_orders = self._account_orders.get((cmd.account_id, cmd.symbol))
        if open_orders is not None and len(open_orders) >= MAX_OPEN_ORDERS:
            return self._reject(cmd, RejectReason.TOO_MANY_OPEN_ORDERS, None, (count("limit", MAX_OPEN_ORDERS),))
        if cmd.order_type in CONDITIONAL_TYPES:
            return self._place_conditional(market, cmd)
        order = self._new_order(cmd)
        reason = self._precheck_active(market, order)
        if reason is not None:
            return self._reject(cmd, reason)
        refusal = self._margin_check(account, market, order.side, order.quantity, order.price, order.reduce_only)
        if refusal is not None:
            return self._reject(cmd, refusal.reason, None, refusal.figures)
        self._accept(order, cmd)
        self._execute(market, order)
        return None

    def _margin_check(
        self, account: Account, market: Market, side: Side, lots: Lots, price: Ticks, reduce_only: bool = False
    ) -> Refusal | None:
        """``paperex.engine.risk.check_order`` at the order's price (a market order, ``price`` 0, is costed at
        the opposite touch); orders that can only reduce need no margin."""
        if reduce_only:
            return None
        price = price or self._estimated_price(market, side)
        if not price:
            return None
        return check_order(account, market, self.markets, side, lots, price)

    def _estimated_price(self, market: Market, side: Side) -> Ticks:
        """The price a market order is costed at: the opposite touch, else the band reference."""
        return market.book.best_price(side.opposite) or market.band_reference()

    def _is_retry(self, cmd: PlaceOrder, client_key: tuple[int, str]) -> bool:
        """Handle a known client_order_id: an identical retry is answered with the original order,
        a different order under an open id is refused. Returns True when the command is handled."""
        known = self._client_ids.get(client_key) or self._recent_client_ids.get(client_key)
        if known is None:
            return False
        order, original = known[0], known[1]
        if replace(cmd, ts=original.ts) == original:
            self._out.append(
                DuplicatePlaceIgnored(cmd.account_id, cmd.symbol, order.order_id, cmd.client_order_id, order.status)
            )
            return True
        if client_key in self._client_ids:
            self._reject(cmd, RejectReason.DUPLICATE_CLIENT_ORDER_ID)
            return True
        return False

    def _place_conditional(self, market: Market, cmd: PlaceOrder) -> None:
        reference = market.trigger_price(cmd.trigger_by)
        order = self._new_order(cmd)
        if cmd.reduce_only and not self._closable(order):
            return self._reject(cmd, RejectReason.REDUCE_ONLY_WOULD_INCREASE)
        if reference and would_fire_now(order, reference):
            return self._reject(cmd, RejectReason.WOULD_IMMEDIATELY_TRIGGER)
        self._accept(order, cmd)
        market.triggers.add(order, reference)
        if order.stop_price and order.order_type is TRAILING_STOP_MARKET:
            self._out.append(TrailingStopMoved(order.order_id, order.account_id, order.symbol, order.stop_price))
        return None

    def _new_order(self, cmd: PlaceOrder) -> Order:
        return Order(
            self._next_order_id,
            cmd.account_id,
            cmd.symbol,
            cmd.side,
            cmd.order_type,
            cmd.quantity,
            cmd.price,
            cmd.time_in_force,
            cmd.stp,
            cmd.reduce_only or cmd.close_position,
            cmd.close_position,
            cmd.client_order_id,
            cmd.stop_price,
            cmd.trigger_by,
            cmd.callback_bps,
            cmd.activation_price,
            cmd.expire_at,
        )

    def _precheck_active(self, market: Market, order: Order) -> RejectReason | None:
        """Rules that depend on the book or the position, checked before anything changes:
        reduce-only direction, post-only, fill-or-kill."""
        if order.reduce_only and not self._closable(order):
            return RejectReason.REDUCE_ONLY_WOULD_INCREASE
        tif = order.time_in_force
        if tif is GTX and crosses(market.book, order.side, order.price):
            return RejectReason.POST_ONLY_WOULD_TAKE
        if tif is FOK:
            want = self._taker_want(order)
            if fillable(market.book, order, order.price, want, self._closable) < order.remaining:
                return RejectReason.FOK_NOT_FILLABLE
        return None

    def _accept(self, order: Order, cmd: PlaceOrder | None, auto_deleverage: bool = False) -> None:
        self._next_order_id += 1
        self._open[order.order_id] = order
        key = (order.account_id, order.symbol)
        orders = self._account_orders.get(key)
        if orders is None:
            orders = self._account_orders[key] = {}
        orders[order.order_id] = order
        if cmd is not None and order.client_order_id:
            self._client_ids[(order.account_id, order.client_order_id)] = (order, cmd)
        if order.expire_at:
            heapq.heappush(self._expiries, (order.expire_at, order.order_id))
            if len(self._expiries) > self._expiries_limit:
                self._sweep_expiries()
        self._out.append(
            OrderAccepted(
                order.order_id,
                order.account_id,
                order.symbol,
                order.side,
                order.order_type,
                order.quantity,
                order.price,
                order.time_in_force,
                order.stop_price,
                order.trigger_by,
                order.reduce_only,
                order.close_position,
                order.client_order_id,
                order.stp,
                order.callback_bps,
                order.activation_price,
                order.expire_at,
                order.liquidation,
                auto_deleverage,
            )
        )

    # ------------------------------------------------------------------ execution

    def _taker_want(self, order: Order) -> Lots:
        remaining = order.quantity - order.filled
        return min(remaining, self._closable(order)) if order.reduce_only else remaining

    def _expose(self, order: Order, lots: Lots) -> None:
        """Count ``lots`` more (or fewer, when negative) of a resting order in its account's exposure."""
        market = self.markets[order.symbol]
        self.accounts[order.account_id].exposure(order.symbol).change(
            order.side, lots, lots * order.price * market.notional_unit
        )

    def _execute(self, market: Market, order: Order) -> None:
        """Run an accepted, active order as a taker, then rest or end what is left."""
        self._finish(market, order, self._take(market, order))

    def _take(self, market: Market, order: Order) -> WalkEnd:
        """Walk the book with an accepted, active order as the taker; returns why the walk ended."""
        book = market.book
        priced = order.order_type in LIMIT_PRICED_TYPES
        if priced:
            limit = order.price
        else:
            reference = market.band_reference() or book.best_price(order.side.opposite) or 0
            limit = band_limit(market.instrument, order.side, reference) if reference else 0
        opposite = book.asks if order.side is BUY else book.bids
        best_key = opposite.best_key
        if best_key is None or not limit:
            end = BOOK_EMPTY
        elif best_key <= limit * opposite.key_sign:
            end = walk(book, order, limit, self._taker_want(order), self._settle, self._expire_maker, self._closable)
        else:
            end = PRICE_LIMIT
        if self._touched:
            self._trim_reduce_only()
        return end

    def _finish(self, market: Market, order: Order, end: WalkEnd) -> None:
        """Rest or end what a walk left of an order."""
        status = order.status
        if status is FILLED or status is EXPIRED:
            return
        if end is SELF_TRADE:
            self._end(order, EndReason.SELF_TRADE_PREVENTION, expired=True)
        elif order.reduce_only and not self._closable(order):
            self._end(order, EndReason.REDUCE_ONLY, expired=True)
        elif order.order_type not in LIMIT_PRICED_TYPES:
            band_hit = end is PRICE_LIMIT
            self._end(order, EndReason.MARKET_PRICE_BAND if band_hit else EndReason.NO_LIQUIDITY, expired=True)
        elif order.time_in_force in RESTING_TIME_IN_FORCE:
            self._rest(market, order)
        else:
            self._end(order, IOC_REMAINDER, expired=True)

    def _rest(self, market: Market, order: Order) -> None:
        level = market.book.add(order)
        market.dirty[level] = None
        if not order.reduce_only:
            remaining = order.quantity - order.filled
            self._expose(order, remaining)
        else:
            key = (order.account_id, order.symbol)
            resting = self._reduce_only.get(key)
            if resting is None:
                resting = self._reduce_only[key] = {}
            resting[order.order_id] = order
            self._touched[key] = None
            self._trim_reduce_only()

    def _settle(self, level: Level, maker: Order, taker: Order, quantity: Lots) -> None:
        """Book, orders, positions and events for one fill at ``level``'s price."""
        market = self.markets[maker.symbol]
        price = level.price
        level.quantity -= quantity
        market.dirty[level] = None
        maker_filled = maker.filled = maker.filled + quantity
        taker_filled = taker.filled = taker.filled + quantity
        maker_left = maker.quantity - maker_filled
        taker_left = taker.quantity - taker_filled
        maker_status = maker.status = FILLED if maker_left == 0 else PARTIALLY_FILLED
        taker_status = taker.status = FILLED if taker_left == 0 else PARTIALLY_FILLED
        trade_id = self._next_trade_id
        self._next_trade_id = trade_id + 1
        symbol = market.symbol
        instrument = market.instrument
        maker_account = self.accounts[maker.account_id]
        taker_account = self.accounts[taker.account_id]
        if not maker.reduce_only:  # resting, so its exposure exists
            maker_account.exposures[symbol].change(maker.side, -quantity, -quantity * price * market.notional_unit)
        maker_fee, maker_pnl, maker_released = maker_account.settle_fill(
            instrument, maker.side, quantity, price, instrument.maker_fee
        )
        liquidating = taker.liquidation
        taker_fee, taker_pnl, taker_released = taker_account.settle_fill(
            instrument,
            taker.side,
            quantity,
            price,
            trading_fee_rate(instrument) if liquidating else instrument.taker_fee,
            liquidating,
        )
        self.fees_collected += maker_fee + taker_fee
        out = self._out
        out += (
            TradeExecuted(
                trade_id,
                symbol,
                price,
                quantity,
                taker.side,
                maker.order_id,
                taker.order_id,
                maker.account_id,
                taker.account_id,
            ),
            OrderFilled(
                maker.order_id,
                maker.account_id,
                symbol,
                maker.side,
                trade_id,
                price,
                quantity,
                maker_filled,
                maker_left,
                True,
                maker_status,
                maker_fee,
                maker_pnl,
            ),
            OrderFilled(
                taker.order_id,
                taker.account_id,
                symbol,
                taker.side,
                trade_id,
                price,
                quantity,
                taker_filled,
                taker_left,
                False,
                taker_status,
                taker_fee,
                taker_pnl,
            ),
        )
        if maker_fee or maker_pnl or maker_released:
            self._fill_moved(maker_account, symbol, trade_id, maker_fee, maker_pnl, maker_released, REALIZED_PNL)
        if taker_fee or taker_pnl or taker_released:
            self._fill_moved(taker_account, symbol, trade_id, taker_fee, taker_pnl, taker_released, REALIZED_PNL)
        if liquidating and instrument.liquidation_fee is LiquidationFee.CLEARANCE and instrument.liquidation_fee_rate:
            self._charge_clearance(taker_account, market, trade_id, quantity * price * market.notional_unit)
        self._position_moved(maker_account, symbol)
        self._position_moved(taker_account, symbol)
        if maker_left == 0:
            market.book.remove(maker)
            self._forget(maker)
        if taker_left == 0:
            self._forget(taker)
        market.last_price = price
        self._prices_moved = True
        if market.trade_low == 0 or price < market.trade_low:
            market.trade_low = price
        if price > market.trade_high:
            market.trade_high = price

    def _fill_moved(
        self,
        account: Account,
        symbol: str,
        trade_id: int,
        charged: Amount,
        realized: Amount,
        released: Amount,
        pnl_reason: BalanceReason,
    ) -> None:
        """The BalanceChanged events of one fill, in the order its money moved: realized PnL, then the
        fee (both in the position's wallet), then for an isolated position the margin that left it
        for the cross wallet or entered it (``released`` as ``Account.settle_fill`` returns it)."""
        out, account_id, wallet = self._out, account.account_id, account.wallet
        if account.settings[symbol].mode is CROSS:
            if realized:
                out.append(BalanceChanged(account_id, pnl_reason, realized, wallet + charged, symbol, 0, 0, trade_id))
            if charged:
                out.append(BalanceChanged(account_id, FEE, -charged, wallet, symbol, 0, 0, trade_id))
            return
        isolated = account.positions[symbol].isolated_wallet
        before_transfer, wallet_before = isolated + released, wallet - released
        if realized:
            out.append(
                BalanceChanged(
                    account_id, pnl_reason, 0, wallet_before, symbol, realized, before_transfer + charged, trade_id
                )
            )
        if charged:
            out.append(BalanceChanged(account_id, FEE, 0, wallet_before, symbol, -charged, before_transfer, trade_id))
        if released:
            out.append(
                BalanceChanged(account_id, ISOLATED_MARGIN, released, wallet, symbol, -released, isolated, trade_id)
            )

    def _charge_clearance(self, account: Account, market: Market, trade_id: int, notional: Amount) -> None:
        """The clearance fee of one liquidation fill, from the wallet backing the position to the
        symbol's insurance fund (Binance's model, ``LiquidationFee.CLEARANCE``)."""
        symbol = market.symbol
        charged = fee(notional, market.instrument.liquidation_fee_rate)
        if not charged:
            return
        market.insurance_fund += charged
        if account.settings[symbol].mode is ISOLATED:
            position = account.positions[symbol]
            position.isolated_wallet -= charged
            moved = BalanceChanged(
                account.account_id,
                BalanceReason.LIQUIDATION_FEE,
                0,
                account.wallet,
                symbol,
                -charged,
                position.isolated_wallet,
                trade_id,
            )
        else:
            account.wallet -= charged
            moved = BalanceChanged(
                account.account_id, BalanceReason.LIQUIDATION_FEE, -charged, account.wallet, symbol, 0, 0, trade_id
            )
        self._out += (
            moved,
            InsuranceFundChanged(symbol, FundReason.CLEARANCE_FEE, charged, market.insurance_fund, account.account_id),
        )

    def _position_moved(self, account: Account, symbol: str) -> None:
        account_id = account.account_id
        key = (account_id, symbol)
        if self._reduce_only and key in self._reduce_only:
            self._touched[key] = None
        position = account.positions[symbol]
        self._moved[key] = position
        self._at_risk[account_id] = None
        holders = self.markets[symbol].holders
        if position.size:
            holders[account_id] = None
        else:
            holders.pop(account_id, None)

    def _closable(self, order: Order) -> Lots:
        return self.position(order.account_id, order.symbol).closable_by(order.side)

    def _expire_maker(self, maker: Order, reason: EndReason) -> None:
        """A resting order taken off mid-walk (self-trade prevention or a spent reduce-only order)."""
        self._unrest(maker)
        self._end(maker, reason, expired=True)

    def _trim_reduce_only(self) -> None:
        """After positions move, shrink resting reduce-only orders (newest first) so that together
        they never exceed what they can close; orders on the wrong side expire."""
        touched, self._touched = self._touched, {}
        for key in touched:
            resting = self._reduce_only.get(key)
            if not resting:
                continue
            position = self.position(*key)
            allowance = {Side.BUY: position.closable_by(Side.BUY), Side.SELL: position.closable_by(Side.SELL)}
            for order in sorted(resting.values(), key=lambda o: o.order_id):
                keep = min(order.remaining, allowance[order.side])
                allowance[order.side] -= keep
                if keep == order.remaining:
                    continue
                if keep == 0:
                    self._unrest(order)
                    self._end(order, EndReason.REDUCE_ONLY, expired=True)
                    continue
                self._resize(order, order.filled + keep, priority_kept=True)

    def _resize(self, order: Order, quantity: Lots, priority_kept: bool) -> None:
        """Shrink a resting order in place (keeps its queue position)."""
        market = self.markets[order.symbol]
        market.dirty[market.book.shrink(order, order.quantity - quantity)] = None
        if not order.reduce_only:
            self._expose(order, quantity - order.quantity)
        order.quantity = quantity
        self._out.append(
            OrderAmended(order.order_id, order.account_id, order.symbol, quantity, order.price, priority_kept)
        )

    # ------------------------------------------------------------------ leaving the book

    def _unrest(self, order: Order) -> None:
        """Take an open order off the book or the trigger list (not yet marked finished)."""
        market = self.markets[order.symbol]
        if not order.triggered:
            market.triggers.remove(order)
            return
        market.dirty[market.book.remove(order)] = None
        if order.reduce_only:
            self._drop_reduce_only(order)
        else:
            self._expose(order, order.filled - order.quantity)

    def _end(self, order: Order, reason: EndReason, expired: bool) -> None:
        """Finish an open order that is no longer resting or waiting."""
        remaining = order.quantity - order.filled
        if expired:
            order.status = EXPIRED
            self._out.append(OrderExpired(order.order_id, order.account_id, order.symbol, remaining, reason))
        else:
            order.status = CANCELED
            self._out.append(OrderCanceled(order.order_id, order.account_id, order.symbol, remaining, reason))
        self._forget(order)

    def _forget(self, order: Order) -> None:
        """Drop a finished order from every index; remember its client id for late retries."""
        order_id = order.order_id
        if self._open.pop(order_id, None) is None:
            return
        key = (order.account_id, order.symbol)
        orders = self._account_orders[key]
        del orders[order_id]
        if not orders:
            del self._account_orders[key]
        if order.reduce_only:
            self._drop_reduce_only(order)
        if order.client_order_id:
            client_key = (order.account_id, order.client_order_id)
            order_, request = self._client_ids.pop(client_key)
            self._recent_client_ids.pop(client_key, None)  # re-inserted at the back: newest last
            self._recent_client_ids[client_key] = (order_, request, self.now)

    def _drop_reduce_only(self, order: Order) -> None:
        key = (order.account_id, order.symbol)
        resting = self._reduce_only.get(key)
        if resting is not None and resting.pop(order.order_id, None) is not None and not resting:
            del self._reduce_only[key]

    def _discount_downtime(self, downtime: int) -> None:
        """Shift every finished order's retry window by ``downtime``, as if it had finished that much later."""
        self._recent_client_ids = OrderedDict(
            (key, (order, request, finished + downtime))
            for key, (order, request, finished) in self._recent_client_ids.items()
        )

    def _prune_recent_client_ids(self) -> None:
        recent, horizon = self._recent_client_ids, self.now - RETRY_WINDOW_NS
        while recent and next(iter(recent.values()))[2] < horizon:
            recent.popitem(last=False)

    def _expire_due(self) -> None:
        expiries, now = self._expiries, self.now
        while expiries and expiries[0][0] <= now:
            expire_at, order_id = heapq.heappop(expiries)
            order = self._open.get(order_id)
            if order is not None and order.expire_at == expire_at:
                self._unrest(order)
                self._end(order, EndReason.GTD_EXPIRED, expired=True)

    def _sweep_expiries(self) -> None:
        """Keep only the entries of orders still open with that expiry. A cancelled or filled GTD
        order's entry would otherwise stay until its time comes, however far ahead that is."""
        live = [
            (expire_at, order_id)
            for expire_at, order_id in self._expiries
            if (order := self._open.get(order_id)) is not None and order.expire_at == expire_at
        ]
        heapq.heapify(live)
        self._expiries = live
        self._expiries_limit = max(EXPIRIES_SWEPT_FROM, 2 * len(live))

    # ------------------------------------------------------------------ amend and cancel

    def _locate(self, cmd: AmendOrder | CancelOrder) -> Order | None:
        if cmd.order_id:
            order = self._open.get(cmd.order_id)
        else:
            entry = self._client_ids.get((cmd.account_id, cmd.client_order_id))
            order = entry[0] if entry else None
        if order is None or order.account_id != cmd.account_id or order.symbol != cmd.symbol:
            return None
        return order

    def _amend(self, cmd: AmendOrder) -> None:
        market = self.markets.get(cmd.symbol)
        if market is None:
            return self._reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        order = self._locate(cmd)
        if order is None:
            return self._reject(cmd, RejectReason.UNKNOWN_ORDER)
        if not order.triggered or order.order_type not in LIMIT_PRICED_TYPES:
            return self._reject(cmd, RejectReason.ORDER_NOT_AMENDABLE, order)
        quantity = cmd.quantity or order.quantity
        price = cmd.price or order.price
        if quantity == order.quantity and price == order.price:
            return self._reject(cmd, RejectReason.NOTHING_TO_AMEND, order)
        if cmd.quantity < 0 or cmd.price < 0:
            return self._reject(cmd, RejectReason.INVALID_QUANTITY if cmd.quantity < 0 else RejectReason.INVALID_PRICE)
        refusal = check_price_and_size(
            market.instrument, order.side, price, quantity, market.band_reference(), order.reduce_only
        )
        if refusal is not None:
            return self._reject(cmd, refusal.reason, order, refusal.figures)
        # Binance's modify cancels (rather than refuses) in exactly these two cases.
        if quantity <= order.filled:
            self._unrest(order)
            return self._end(order, EndReason.AMENDED_TO_FILLED, expired=False)
        if order.time_in_force is TimeInForce.GTX and crosses(market.book, order.side, price):
            self._unrest(order)
            return self._end(order, EndReason.POST_ONLY_WOULD_TAKE, expired=False)
        if price == order.price and quantity < order.quantity:
            self._resize(order, quantity, priority_kept=True)
            return None
        margin_refusal = self._amend_margin_check(market, order, quantity, price)
        if margin_refusal is not None:
            return self._reject(cmd, margin_refusal.reason, order, margin_refusal.figures)
        self._unrest(order)
        order.quantity, order.price = quantity, price
        self._out.append(OrderAmended(order.order_id, order.account_id, order.symbol, quantity, price, False))
        self._execute(market, order)
        return None

    def _amend_margin_check(self, market: Market, order: Order, quantity: Lots, price: Ticks) -> Refusal | None:
        """Check the amended order as if it replaced the current one (whose reservation is set aside)."""
        if order.reduce_only:
            return None
        remaining = order.quantity - order.filled
        self._expose(order, -remaining)
        try:
            return self._margin_check(
                self.accounts[order.account_id], market, order.side, quantity - order.filled, price
            )
        finally:
            self._expose(order, remaining)

    def _cancel(self, cmd: CancelOrder) -> None:
        if cmd.symbol not in self.markets:
            return self._reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        order = self._locate(cmd)
        if order is None:
            return self._reject(cmd, RejectReason.UNKNOWN_ORDER)
        self._unrest(order)
        self._end(order, CANCELED_BY_USER, expired=False)
        return None

    def _cancel_all(self, cmd: CancelAllOrders) -> None:
        if cmd.symbol not in self.markets:
            return self._reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        self._cancel_orders(cmd.account_id, cmd.symbol, EndReason.CANCELED_BY_USER)
        return None

    def _cancel_orders(self, account_id: int, symbol: str, reason: EndReason) -> None:
        """Cancel every open order (resting or waiting) of one account in one symbol, oldest first."""
        for order in list(self._account_orders.get((account_id, symbol), {}).values()):
            self._unrest(order)
            self._end(order, reason, expired=False)

    # ------------------------------------------------------------------ accounts

    def _create_account(self, cmd: CreateAccount) -> None:
        if cmd.account_id in self.accounts or cmd.account_id <= 0:
            return self._reject(cmd, RejectReason.ACCOUNT_ALREADY_EXISTS)
        self.accounts[cmd.account_id] = Account(cmd.account_id, cmd.liquidatable)
        self._out.append(AccountCreated(cmd.account_id, cmd.liquidatable))
        return None

    def _deposit(self, cmd: Deposit) -> None:
        account = self.accounts.get(cmd.account_id)
        if account is None:
            return self._reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if cmd.amount <= 0:
            return self._reject(cmd, RejectReason.INVALID_AMOUNT)
        self._move_wallet(account, cmd.amount, BalanceReason.DEPOSIT)
        self.net_deposits += cmd.amount
        return None

    def _withdraw(self, cmd: Withdraw) -> None:
        account = self.accounts.get(cmd.account_id)
        if account is None:
            return self._reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if cmd.amount <= 0:
            return self._reject(cmd, RejectReason.INVALID_AMOUNT)
        summary = summarize(account, self.markets)
        if cmd.amount > summary.max_withdraw:
            figures = (*shortfall(cmd.amount, summary.available_balance), money("max_withdraw", summary.max_withdraw))
            return self._reject(cmd, RejectReason.INSUFFICIENT_BALANCE, None, figures)
        self._move_wallet(account, -cmd.amount, BalanceReason.WITHDRAWAL)
        self.net_deposits -= cmd.amount
        return None

    def _move_wallet(self, account: Account, delta: int, reason: BalanceReason) -> None:
        account.wallet += delta
        self._out.append(BalanceChanged(account.account_id, reason, delta, account.wallet))

    def _settings_target(
        self, cmd: SetLeverage | SetMarginMode | AdjustIsolatedMargin
    ) -> tuple[Account, Market] | None:
        """The account and market a settings command names, or None after rejecting it."""
        account = self.accounts.get(cmd.account_id)
        market = self.markets.get(cmd.symbol)
        if account is None or market is None:
            self._reject(cmd, RejectReason.UNKNOWN_ACCOUNT if account is None else RejectReason.UNKNOWN_SYMBOL)
            return None
        return account, market

    def _set_leverage(self, cmd: SetLeverage) -> None:
        """Leverage within the instrument's range; refused when the position and orders would pass the
        new notional cap, or (lowering it) when the margin it then needs is not there."""
        target = self._settings_target(cmd)
        if target is None:
            return None
        account, market = target
        instrument = market.instrument
        leverage = count("leverage", cmd.leverage)
        if not 1 <= cmd.leverage <= instrument.max_leverage:
            limit = count("max_leverage", instrument.max_leverage)
            return self._reject(cmd, RejectReason.INVALID_LEVERAGE, None, (leverage, limit))
        position = self.position(cmd.account_id, cmd.symbol)
        exposure = account.exposures.get(cmd.symbol) or NO_ORDERS
        price = market.mark_price or market.last_price
        held = abs(position.size) * price * market.notional_unit
        notional = held + max(exposure.buy_notional, exposure.sell_notional)
        cap = max_notional_for(instrument, cmd.leverage)
        if notional > cap:
            figures: tuple[Figure, ...] = (
                leverage,
                count("max_leverage", max_leverage_for(instrument, notional)),
                money("notional", notional),
                money("max_notional", cap),
            )
            return self._reject(cmd, RejectReason.LEVERAGE_TOO_HIGH, None, figures)
        existed = cmd.symbol in account.settings
        settings = account.setting(cmd.symbol)
        previous = settings.leverage
        settings.leverage = cmd.leverage
        available = available_balance(account, self.markets)
        isolated = initial_margin(held, cmd.leverage) if settings.mode is MarginMode.ISOLATED and position.size else 0
        if (available < 0 or position.isolated_wallet < isolated) and cmd.leverage < previous:
            settings.leverage = previous
            if not existed:
                del account.settings[cmd.symbol]
            if position.isolated_wallet < isolated:
                figures = shortfall(isolated, position.isolated_wallet)
            else:
                before = available_balance(account, self.markets)
                figures = shortfall(before - available, max(0, before))
            return self._reject(cmd, RejectReason.INSUFFICIENT_MARGIN, None, figures)
        self._out.append(SettingsChanged(cmd.account_id, cmd.symbol, settings.mode, settings.leverage))
        return None

    def _set_margin_mode(self, cmd: SetMarginMode) -> None:
        target = self._settings_target(cmd)
        if target is None:
            return None
        account, _ = target
        if self.position(cmd.account_id, cmd.symbol).size:
            return self._reject(cmd, RejectReason.MODE_CHANGE_WITH_OPEN_POSITION)
        if (cmd.account_id, cmd.symbol) in self._account_orders:
            return self._reject(cmd, RejectReason.MODE_CHANGE_WITH_OPEN_ORDERS)
        settings = account.setting(cmd.symbol)
        settings.mode = cmd.mode
        self._out.append(SettingsChanged(cmd.account_id, cmd.symbol, settings.mode, settings.leverage))
        return None

    def _adjust_isolated_margin(self, cmd: AdjustIsolatedMargin) -> None:
        """Add from the available balance, or remove what the venue allows:
        min(isolated wallet - MM, isolated wallet + uPnL - IM at mark) (reference 1.5)."""
        target = self._settings_target(cmd)
        if target is None:
            return None
        account, market = target
        position = self.position(cmd.account_id, cmd.symbol)
        settings = account.peek_setting(cmd.symbol)
        if settings.mode is not MarginMode.ISOLATED or not position.size:
            return self._reject(cmd, RejectReason.NO_ISOLATED_POSITION)
        if cmd.amount == 0:
            return self._reject(cmd, RejectReason.INVALID_AMOUNT)
        if cmd.amount > 0 and cmd.amount > (available := available_balance(account, self.markets)):
            return self._reject(cmd, RejectReason.INSUFFICIENT_BALANCE, None, shortfall(cmd.amount, max(0, available)))
        if cmd.amount < 0:
            price = market.mark_price or market.last_price
            notional = abs(position.size) * price * market.notional_unit
            upnl = unrealized_pnl(position.size, position.entry_notional, price, market.notional_unit)
            removable = removable_margin(
                position.isolated_wallet,
                maintenance_margin(market.instrument, notional),
                upnl,
                initial_margin(notional, settings.leverage),
            )
            if -cmd.amount > removable:
                figures = shortfall(-cmd.amount, removable)
                return self._reject(cmd, RejectReason.MARGIN_REMOVAL_TOO_LARGE, None, figures)
        position.isolated_wallet += cmd.amount
        account.wallet -= cmd.amount
        self._out.append(
            BalanceChanged(
                account.account_id,
                ISOLATED_MARGIN,
                -cmd.amount,
                account.wallet,
                cmd.symbol,
                cmd.amount,
                position.isolated_wallet,
            )
        )
        self._moved[(cmd.account_id, cmd.symbol)] = position
        return None

    def _fund_insurance(self, cmd: FundInsurance) -> None:
        """The operator's contribution to a symbol's insurance fund (money from outside, as a deposit)."""
        market = self.markets.get(cmd.symbol)
        if market is None:
            return self._reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        if cmd.amount <= 0:
            return self._reject(cmd, RejectReason.INVALID_AMOUNT)
        market.insurance_fund += cmd.amount
        self.insurance_contributions += cmd.amount
        self._out.append(InsuranceFundChanged(cmd.symbol, FundReason.TOP_UP, cmd.amount, market.insurance_fund))
        return None

    # ------------------------------------------------------------------ margin calls, liquidation, ADL

    def _settle_consequences(self) -> None:
        """Run what a command set off until it stops: triggers fired by price moves, then margin
        checks of every account whose positions or marks moved (a liquidation trades, which can fire
        triggers and put counterparties at risk in turn)."""
        for _ in range(MAX_CASCADE_ROUNDS):
            for market in self._market_list:
                if market.trade_low or market.mark_moved:
                    self._run_triggers(market)
            if not self._at_risk:
                self._prices_moved = False
                return
            at_risk, self._at_risk = self._at_risk, {}
            for account_id in sorted(at_risk):
                self._check_account(self.accounts[account_id])
        raise InvariantViolation("liquidation cascade did not settle")

    def _check_account(self, account: Account) -> None:
        """Liquidate what is at or below maintenance, then issue a margin call where a margin ratio
        (the cross account's, each isolated position's) reaches a new threshold; a level falls back
        as its ratio recovers. Exchange-internal (non-liquidatable) accounts are passed by."""
        if not account.liquidatable:
            return
        balance, maintenance, held = cross_state(account, self.markets)
        if held and balance * SCALE <= maintenance:
            symbols = [s for s, p in sorted(account.positions.items()) if p.size and account.settings[s].mode is CROSS]
            self._liquidate(account, symbols, (balance, maintenance), cross=True)
            balance, maintenance, held = cross_state(account, self.markets)
        account.margin_call_level = self._margin_call(
            account, "", balance, maintenance, held, account.margin_call_level
        )
        settings, levels = account.settings, account.isolated_call_levels
        isolated = sorted(s for s, p in account.positions.items() if p.size and settings[s].mode is ISOLATED)
        # In symbol order; liquidating one isolated position leaves the others as they are.
        for symbol in isolated:
            isolated_balance, isolated_mm = isolated_state(account, symbol, self.markets)
            if isolated_balance * SCALE <= isolated_mm:
                self._liquidate(account, [symbol], (isolated_balance, isolated_mm), cross=False)
                if not account.positions[symbol].size:
                    continue
                isolated_balance, isolated_mm = isolated_state(account, symbol, self.markets)
            level = self._margin_call(account, symbol, isolated_balance, isolated_mm, True, levels.get(symbol, 0))
            if level:
                levels[symbol] = level
            else:
                levels.pop(symbol, None)
        if levels:  # forget the levels of positions closed since
            for symbol in [s for s in levels if not account.positions[s].size]:
                del levels[symbol]

    def _margin_call(
        self, account: Account, symbol: str, balance: Amount, maintenance: int, held: bool, level_before: int
    ) -> int:
        """Issue a ``MarginCallIssued`` when the ratio of the cross account (``symbol`` empty) or of an
        isolated position reached a threshold above ``level_before``; returns the new level. The event
        carries the figures ``GetAccount`` shows, so its ratio reads the same."""
        level, armed_below = margin_call_levels(balance, maintenance) if held else (0, 0)
        if level > level_before:
            summary = summarize(account, self.markets)
            if symbol:
                figures = next(p for p in summary.positions if p.symbol == symbol)
                shown = (figures.isolated_wallet + figures.unrealized_pnl, figures.maintenance_margin)
            else:
                shown = (summary.margin_balance, summary.maintenance_margin)
            mode = ISOLATED if symbol else CROSS
            threshold = MARGIN_CALL_THRESHOLDS_BPS[level - 1]
            self._out.append(MarginCallIssued(account.account_id, symbol, mode, threshold, *shown))
        return max(level, min(level_before, armed_below))

    def _liquidate(self, account: Account, symbols: list[str], state: tuple[Amount, int], cross: bool) -> None:
        """Cancel the account's orders on ``symbols``, then close positions with IOC liquidation orders
        in the book, partially when one tier down restores it; what the book cannot take is
        auto-deleveraged. A full liquidation leaves the remaining margin to the insurance fund (or
        draws the deficit from it). ``state`` is the (margin balance, scaled maintenance) that breached."""
        account_id = account.account_id
        balance, maintenance = state
        mode = CROSS if cross else ISOLATED
        self._out.append(
            LiquidationTriggered(account_id, "" if cross else symbols[0], mode, balance, ceil_div(maintenance, SCALE))
        )
        for symbol in symbols:
            self._cancel_orders(account_id, symbol, EndReason.LIQUIDATION)
        # A cross account's remainder is settled with the fund of its largest position, reported last.
        largest = max(symbols, key=lambda s: account.positions[s].entry_notional)
        steps = [self._liquidate_position(account, self.markets[s], mode) for s in symbols if s != largest]
        steps.append(self._liquidate_position(account, self.markets[largest], mode))
        if all(not step.partial for step in steps):
            steps[-1].insurance_fund_change += self._clear_to_fund(account, self.markets[largest], cross)
        self._out += steps

    def _clear_to_fund(self, account: Account, market: Market, cross: bool) -> Amount:
        """After a full liquidation the margin that backed it (the cross wallet, or the isolated
        position's wallet) goes to the symbol's insurance fund, or the fund covers its deficit: the
        wallet ends at zero. Returns what the fund received."""
        symbol, account_id = market.symbol, account.account_id
        if cross:
            leftover = account.wallet
            account.wallet = 0
        else:
            position = account.positions[symbol]
            leftover = position.isolated_wallet
            position.isolated_wallet = 0
            self._moved[(account_id, symbol)] = position
        if leftover:
            reason = BalanceReason.INSURANCE_CLEAR if leftover > 0 else BalanceReason.INSURANCE_FUND_COVER
            if cross:
                cleared = BalanceChanged(account_id, reason, -leftover, 0, symbol)
            else:
                cleared = BalanceChanged(account_id, reason, 0, account.wallet, symbol, -leftover, 0)
            market.insurance_fund += leftover
            fund_moved = InsuranceFundChanged(
                symbol, FundReason.LIQUIDATION, leftover, market.insurance_fund, account_id
            )
            self._out += (cleared, fund_moved)
        return leftover

    def _liquidate_position(self, account: Account, market: Market, mode: MarginMode) -> PositionLiquidated:
        """One position's liquidation order, filled in the book and by ADL for what the book cannot
        take; returns the step's outcome for the caller to report."""
        position = account.positions[market.symbol]
        instrument = market.instrument
        price = valuation_price(market, position)
        if mode is CROSS:
            others = [
                (self.markets[s], p)
                for s, p in account.positions.items()
                if p.size and s != market.symbol and account.settings[s].mode is CROSS
            ]
            other_upnl = sum(
                unrealized_pnl(p.size, p.entry_notional, valuation_price(m, p), m.notional_unit) for m, p in others
            )
            other_mm = sum(
                scaled_maintenance(m.instrument, abs(p.size) * valuation_price(m, p) * m.notional_unit)
                for m, p in others
            )
            backing = account.wallet
        else:
            other_upnl = other_mm = 0
            backing = position.isolated_wallet
        balance = (
            backing + other_upnl + unrealized_pnl(position.size, position.entry_notional, price, market.notional_unit)
        )
        quantity = partial_quantity(instrument, position, price, balance, other_mm)
        size = position.size
        bankruptcy = bankruptcy_price(size, position.entry_notional, backing + other_upnl, market.notional_unit)
        # A position that is not itself bankrupt (its bankruptcy price lies beyond the band, or is
        # negative) is still never dumped outside the protective price band around the mark.
        bounds = (band_limit(instrument, SELL, price), band_limit(instrument, BUY, price))
        if bankruptcy is None:
            bankruptcy = Fraction(bounds[0] if size > 0 else bounds[1])
        limit = worst_price(bankruptcy, size, market.insurance_fund, market.notional_unit, bounds)
        order = Order(
            self._next_order_id,
            account.account_id,
            market.symbol,
            SELL if size > 0 else BUY,
            OrderType.LIMIT,
            quantity,
            limit,
            TimeInForce.IOC,
            SelfTradePrevention.EXPIRE_TAKER,
            reduce_only=True,
            liquidation=True,
        )
        start = len(self._out)
        self._accept(order, None)
        end = self._take(market, order)
        unfilled = quantity - order.filled
        shown_bankruptcy = display_ticks(bankruptcy, size)
        if unfilled:
            self._deleverage(market, order, unfilled, min(max(shown_bankruptcy, bounds[0]), bounds[1]))
        self._finish(market, order, end)
        realized, fund_change = self._liquidation_result(account.account_id, order.order_id, start)
        return PositionLiquidated(
            account.account_id,
            market.symbol,
            mode,
            order.order_id,
            quantity,
            unfilled,
            quantity < abs(size),
            shown_bankruptcy,
            realized,
            fund_change,
        )

    def _liquidation_result(self, account_id: int, order_id: int, start: int) -> tuple[Amount, Amount]:
        """``(realized, to the fund)`` of a liquidation step (its events since ``start``): its order's
        fills (PnL less trading fee) less clearance fees, and the clearance fees the fund received."""
        realized = fund = 0
        for event in self._out[start:]:
            if type(event) is OrderFilled and event.order_id == order_id:
                realized += event.realized_pnl - event.fee
            elif (
                type(event) is InsuranceFundChanged
                and event.account_id == account_id
                and event.reason is FundReason.CLEARANCE_FEE
            ):
                fund += event.delta
        return realized - fund, fund

    def _deleverage(self, market: Market, order: Order, lots: Lots, price: Ticks) -> None:
        """Fill the last ``lots`` of a liquidation order by auto-deleverage: at the bankruptcy
        ``price``, without fee, against the most profitable, most leveraged opposing positions, each
        closed by an order the exchange places for it (its orders on the symbol are canceled first).

        Exchange-internal (non-liquidatable) accounts are not in the ranking. Only when no trader's
        opposing position is left do they take the rest, as the venue's backstop: positions net to
        zero, so the bankrupt position can always be closed."""
        symbol, bankrupt_id, closing_side = market.symbol, order.account_id, order.side.opposite
        candidates = [
            (self.accounts[a], market)
            for a in market.holders
            if a != bankrupt_id and self.accounts[a].positions[symbol].size * closing_side < 0
        ]
        traders = [(a, m) for a, m in candidates if a.liquidatable]
        backstop = [(a, m) for a, m in candidates if not a.liquidatable]
        for counter in adl_ranking(traders, self.markets) + adl_ranking(backstop, self.markets):
            if not lots:
                break
            take = min(lots, abs(counter.positions[symbol].size))
            self._cancel_orders(counter.account_id, symbol, EndReason.LIQUIDATION)
            closing = Order(
                self._next_order_id,
                counter.account_id,
                symbol,
                closing_side,
                OrderType.LIMIT,
                take,
                price,
                TimeInForce.IOC,
                SelfTradePrevention.EXPIRE_TAKER,
                reduce_only=True,
            )
            self._accept(closing, None, auto_deleverage=True)
            self._settle_deleverage(market, order, closing, take)
            lots -= take
        if lots:
            raise InvariantViolation("no opposing position left to deleverage against")
        if self._touched:
            self._trim_reduce_only()

    def _settle_deleverage(self, market: Market, order: Order, closing: Order, lots: Lots) -> None:
        """One auto-deleverage fill between a liquidation order and the order closing a profitable
        position, at the closing order's price: both sides' fills (no fee, no public trade, the last
        price stays), their balance changes, and the deleveraged side's ``PositionDeleveraged``."""
        symbol, instrument, price = market.symbol, market.instrument, closing.price
        trade_id = self._next_trade_id
        self._next_trade_id = trade_id + 1
        bankrupt, counter = self.accounts[order.account_id], self.accounts[closing.account_id]
        _, realized, released = bankrupt.settle_fill(instrument, order.side, lots, price, 0, liquidating=True)
        _, counter_realized, counter_released = counter.settle_fill(instrument, closing.side, lots, price, 0)
        order.filled += lots
        closing.filled = lots
        order.status = FILLED if order.filled == order.quantity else PARTIALLY_FILLED
        closing.status = FILLED
        self._out += (
            OrderFilled(
                closing.order_id, counter.account_id, symbol, closing.side, trade_id, price, lots, lots, 0, True,
                FILLED, 0, counter_realized, True,
            ),
            OrderFilled(
                order.order_id, bankrupt.account_id, symbol, order.side, trade_id, price, lots, order.filled,
                order.quantity - order.filled, False, order.status, 0, realized, True,
            ),
        )  # fmt: skip
        if counter_realized or counter_released:
            self._fill_moved(counter, symbol, trade_id, 0, counter_realized, counter_released, BalanceReason.ADL)
        if realized or released:
            self._fill_moved(bankrupt, symbol, trade_id, 0, realized, released, BalanceReason.ADL)
        self._out.append(
            PositionDeleveraged(
                counter.account_id, symbol, closing.order_id, closing.side, lots, price, bankrupt.account_id,
                counter_realized,
            )
        )  # fmt: skip
        self._position_moved(bankrupt, symbol)
        self._position_moved(counter, symbol)
        self._forget(closing)
        if order.status is FILLED:
            self._forget(order)

    # ------------------------------------------------------------------ prices and triggers

    def _set_mark(self, cmd: SetMarkPrice) -> None:
        """The admin override: the mark as given, until the next index price recomputes it."""
        market = self.markets.get(cmd.symbol)
        if market is None:
            return self._reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        if refusal := price_bounds(market.instrument, cmd.price):
            return self._reject(cmd, refusal.reason, None, refusal.figures)
        self._move_mark(market, cmd.price)
        return None

    def _move_mark(self, market: Market, price: Ticks) -> None:
        """The one way the mark moves: MARK triggers re-run and every holder's margin is rechecked
        (liquidations included) in ``_settle_consequences``."""
        market.mark_price = price
        market.mark_moved = True
        self._prices_moved = True
        self._at_risk.update(market.holders)
        self._out.append(MarkPriceChanged(market.symbol, price))

    def _set_index(self, cmd: SetIndexPrice) -> None:
        """A new index price: the premium of the book's impact prices against it is sampled for funding,
        and the mark follows by the instrument's mark method."""
        market = self.markets.get(cmd.symbol)
        if market is None:
            return self._reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        if refusal := price_bounds(market.instrument, cmd.price):
            return self._reject(cmd, refusal.reason, None, refusal.figures)
        market.index_price = cmd.price
        impact = IMPACT_MARGIN * market.instrument.max_leverage
        book, unit = market.book, market.notional_unit
        market.premium.sample(impact_price(book.bids, impact, unit), impact_price(book.asks, impact, unit), cmd.price)
        self._out.append(IndexPriceChanged(cmd.symbol, cmd.price))
        self._move_mark(market, self._mark_from_index(market))
        return None

    def _mark_from_index(self, market: Market) -> Ticks:
        """The mark the new index implies: the index itself, or the venue's median (``paperex.engine.mark``)
        after this second's basis sample, kept inside the instrument's price filter."""
        instrument, index, now = market.instrument, market.index_price, self.now
        if instrument.mark_method is MarkMethod.INDEX:
            return index
        book = market.book
        market.basis.sample(now, book.best_price(BUY), book.best_price(SELL), index)
        mark = venue_mark(
            index,
            market.funding_rate,
            market.next_funding - now,
            instrument.funding_interval_hours * HOUR_NS,
            market.basis.average(now),
            market.last_price,
        )
        return min(max(mark, instrument.min_price), instrument.max_price)

    def _settle_funding(self) -> None:
        """At each instrument's funding time: the interval's rate from the averaged premium, then
        every open position pays or receives size x mark x rate (payers round up; the sub-unit
        remainder goes to the insurance fund, so money is conserved)."""
        now = self.now
        for market in self._market_list:
            hours = market.instrument.funding_interval_hours
            if not market.next_funding:
                market.next_funding = next_boundary(now, hours)
            elif now >= market.next_funding:
                instrument = market.instrument
                rate = funding_rate(
                    market.premium.average_and_reset(),
                    instrument.interest_rate,
                    instrument.funding_cap,
                    instrument.funding_floor,
                    hours,
                )
                market.funding_rate = rate
                market.next_funding = next_boundary(now, hours)
                self._out.append(FundingRateSettled(market.symbol, rate, market.next_funding))
                self._pay_funding(market, rate)
        self._next_funding = min(market.next_funding for market in self._market_list)

    def _pay_funding(self, market: Market, rate: int) -> None:
        price = market.mark_price or market.last_price
        if not price or not rate:
            return
        symbol, unit, out = market.symbol, market.notional_unit, self._out
        remainder = 0
        for account_id in sorted(market.holders):
            account = self.accounts[account_id]
            position = account.positions[symbol]
            payment = funding_payment(position.size, price, unit, rate)
            remainder += payment
            out.append(FundingSettled(account_id, symbol, rate, price, position.size, -payment))
            if account.settings[symbol].mode is ISOLATED:
                position.isolated_wallet -= payment
                self._moved[(account_id, symbol)] = position
                moved = BalanceChanged(
                    account_id, BalanceReason.FUNDING, 0, account.wallet, symbol, -payment, position.isolated_wallet
                )
            else:
                account.wallet -= payment
                moved = BalanceChanged(account_id, BalanceReason.FUNDING, -payment, account.wallet, symbol)
            out.append(moved)
            self._at_risk[account_id] = None
        if remainder:
            market.insurance_fund += remainder
            out.append(InsuranceFundChanged(symbol, FundReason.FUNDING_REMAINDER, remainder, market.insurance_fund))

    def _run_triggers(self, market: Market) -> None:
        """Fire conditional orders until prices stop moving them (a fired order may trade and move LAST).

        The trades of a walk are summarised by their lowest and highest price: a stop between the two
        was crossed even if the walk ended beyond it."""
        triggers = market.triggers
        if not triggers.orders:
            market.trade_low = market.trade_high = 0
            market.mark_moved = False
            return
        while market.trade_low or market.mark_moved:
            fired: list[tuple[Order, Ticks]] = []
            moved: list[Order] = []
            if market.mark_moved:
                market.mark_moved = False
                mark = market.mark_price
                fired += [(o, mark) for o in triggers.fire(TriggerBy.MARK, mark, mark, mark, moved)]
            if market.trade_low:
                low, high, last = market.trade_low, market.trade_high, market.last_price
                market.trade_low = market.trade_high = 0
                fired += [(o, last) for o in triggers.fire(TriggerBy.LAST, low, high, last, moved)]
            for order in moved:
                self._out.append(TrailingStopMoved(order.order_id, order.account_id, order.symbol, order.stop_price))
            fired.sort(key=lambda pair: pair[0].order_id)
            for order, price in fired:
                if order.order_id in self._open:
                    self._activate(market, order, price)

    def _activate(self, market: Market, order: Order, trigger_price: Ticks) -> None:
        """A fired conditional order becomes a live market or limit order."""
        order.triggered = True
        if order.close_position:
            order.quantity = self._closable(order)
        self._out.append(OrderTriggered(order.order_id, order.account_id, order.symbol, trigger_price, order.quantity))
        if order.reduce_only and not self._closable(order):
            return self._end(order, EndReason.REDUCE_ONLY, expired=True)
        reason = self._precheck_active(market, order)
        if reason is RejectReason.POST_ONLY_WOULD_TAKE:
            return self._end(order, EndReason.POST_ONLY_WOULD_TAKE, expired=True)
        if reason is RejectReason.FOK_NOT_FILLABLE:
            return self._end(order, EndReason.FOK_NOT_FILLABLE, expired=True)
        account = self.accounts[order.account_id]
        price = order.price if order.order_type in LIMIT_PRICED_TYPES else 0
        if self._margin_check(account, market, order.side, order.quantity, price, order.reduce_only):
            return self._end(order, EndReason.INSUFFICIENT_MARGIN, expired=True)
        self._execute(market, order)
        return None

    # ------------------------------------------------------------------ output helpers

    def _reject(
        self,
        cmd: Command,
        reason: RejectReason,
        order: Order | None = None,
        figures: tuple[Figure, ...] = (),
    ) -> None:
        self._out.append(
            OrderRejected(
                type(cmd).__name__,
                getattr(cmd, "account_id", 0),
                getattr(cmd, "symbol", ""),
                reason,
                order.order_id if order else getattr(cmd, "order_id", 0),
                getattr(cmd, "client_order_id", ""),
                figures,
            )
        )

    def _flush_positions(self) -> None:
        """One PositionChanged per position the command moved, in first-moved order."""
        out = self._out
        for (account_id, symbol), position in self._moved.items():
            out.append(
                PositionChanged(account_id, symbol, position.size, position.entry_notional, position.isolated_wallet)
            )
        self._moved = {}

    def _flush_levels(self, market: Market) -> None:
        """One BookLevelChanged per level the command touched; an emptied level reads 0 and 0."""
        symbol, out = market.symbol, self._out
        for level in market.dirty:
            out.append(BookLevelChanged(symbol, level.side, level.price, level.quantity, level.count))
        market.dirty = {}
