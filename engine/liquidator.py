"""Margin calls, liquidation and auto-deleveraging of an account whose margin was rechecked: the
cross account and each isolated position against its maintenance margin, liquidation orders that take
real liquidity, the insurance fund's share, and auto-deleverage for what the book cannot take. The
formulas (margin states, partial quantities, ADL ranking) are ``paperex.engine.liquidation``'s."""

from collections.abc import Mapping
from fractions import Fraction

from paperex.engine.accounts import CROSS, HEDGE, ISOLATED, Account, MarginMode
from paperex.engine.audit import InvariantViolation
from paperex.engine.collateral import AUTO_EXCHANGE_THRESHOLD, USDT, CollateralAsset, collateral_value, exchange_plan
from paperex.engine.events import (
    BalanceChanged,
    BalanceReason,
    FundReason,
    InsuranceFundChanged,
    LiquidationTriggered,
    MarginCallIssued,
    OrderFilled,
    PositionLiquidated,
)
from paperex.engine.execution import Execution
from paperex.engine.liquidation import (
    MARGIN_CALL_THRESHOLDS_BPS,
    adl_ranking,
    cross_state,
    isolated_state,
    margin_call_levels,
    partial_quantity,
    scaled_maintenance,
    worst_price,
)
from paperex.engine.margin import bankruptcy_price, display_ticks, unrealized_pnl
from paperex.engine.market import Market
from paperex.engine.open_orders import OpenOrders
from paperex.engine.orders import (
    BOTH,
    BUY,
    LONG,
    SELL,
    SHORT,
    Order,
    OrderType,
    PositionSide,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from paperex.engine.reasons import EndReason
from paperex.engine.risk import cross_backing, summarize, valuation_price
from paperex.engine.settlement import Settlement
from paperex.engine.state import EngineState
from paperex.engine.units import SCALE, Amount, Lots, Ticks, ceil_div
from paperex.engine.validation import band_limit
from paperex.engine.views import legs_of


class Liquidator:
    """Checks accounts at risk over ``EngineState``: margin calls, liquidation orders, ADL."""

    def __init__(
        self, state: EngineState, open_orders: OpenOrders, execution: Execution, settlement: Settlement
    ) -> None:
        self.state = state
        self._open_orders = open_orders
        self._execution = execution
        self._settlement = settlement

    def check_account(self, account: Account) -> None:
        """Liquidate what is at or below maintenance, then issue a margin call where a margin ratio
        (the cross account's, each isolated position's) reaches a new threshold; a level falls back
        as its ratio recovers. Exchange-internal (non-liquidatable) accounts are passed by."""
        if not account.liquidatable:
            return
        if account.collateral is not None and account.wallet < 0 and self._exchange_due(account, account.collateral):
            self._auto_exchange(account, account.collateral)
        markets = self.state.markets
        balance, maintenance, held = cross_state(account, markets)
        settings = account.settings
        if held and balance * SCALE <= maintenance:
            targets = sorted((s, leg) for s, leg, p in legs_of(account) if p.size and settings[s].mode is CROSS)
            self._liquidate(account, targets, (balance, maintenance), cross=True)
            balance, maintenance, held = cross_state(account, markets)
        account.margin_call_level = self._margin_call(
            account, "", BOTH, balance, maintenance, held, account.margin_call_level
        )
        levels, leg_levels = account.isolated_call_levels, account.leg_call_levels
        first = LONG if account.position_mode is HEDGE else BOTH  # no generator: this runs for every account moved
        isolated = [(s, first) for s, p in account.positions.items() if p.size and settings[s].mode is ISOLATED]
        if account.short_legs:
            isolated += [(s, SHORT) for s, p in account.short_legs.items() if p.size and settings[s].mode is ISOLATED]
        isolated.sort()
        # In symbol (and leg) order; liquidating one isolated position leaves the others as they are.
        for symbol, leg in isolated:
            isolated_balance, isolated_mm = isolated_state(account, symbol, markets, leg)
            if isolated_balance * SCALE <= isolated_mm:
                self._liquidate(account, [(symbol, leg)], (isolated_balance, isolated_mm), cross=False)
                if not account.legs(leg)[symbol].size:
                    continue
                isolated_balance, isolated_mm = isolated_state(account, symbol, markets, leg)
            before = levels.get(symbol, 0) if leg is BOTH else leg_levels.get((symbol, leg), 0)
            level = self._margin_call(account, symbol, leg, isolated_balance, isolated_mm, True, before)
            if leg is not BOTH:
                if level:
                    leg_levels[(symbol, leg)] = level
                else:
                    leg_levels.pop((symbol, leg), None)
            elif level:
                levels[symbol] = level
            else:
                levels.pop(symbol, None)
        if levels:  # forget the levels of positions closed since
            for symbol in [s for s in levels if not account.positions[s].size]:
                del levels[symbol]
        if leg_levels:
            for symbol, leg in [key for key in leg_levels if not account.legs(key[1])[key[0]].size]:
                del leg_levels[(symbol, leg)]

    def _margin_call(
        self,
        account: Account,
        symbol: str,
        leg: PositionSide,
        balance: Amount,
        maintenance: int,
        held: bool,
        level_before: int,
    ) -> int:
        """Issue a ``MarginCallIssued`` when the ratio of the cross account (``symbol`` empty) or of an
        isolated position reached a threshold above ``level_before``; returns the new level. The event
        carries the figures ``GetAccount`` shows, so its ratio reads the same."""
        level, armed_below = margin_call_levels(balance, maintenance) if held else (0, 0)
        if level > level_before:
            summary = summarize(account, self.state.markets)
            if symbol:
                figures = next(p for p in summary.positions if p.symbol == symbol and p.position_side is leg)
                shown = (figures.isolated_wallet + figures.unrealized_pnl, figures.maintenance_margin)
            else:
                shown = (summary.margin_balance, summary.maintenance_margin)
            mode = ISOLATED if symbol else CROSS
            threshold = MARGIN_CALL_THRESHOLDS_BPS[level - 1]
            self.state.events.append(MarginCallIssued(account.account_id, symbol, mode, threshold, *shown, leg))
        return max(level, min(level_before, armed_below))

    def _liquidate(
        self, account: Account, targets: list[tuple[str, PositionSide]], breach: tuple[Amount, int], cross: bool
    ) -> None:
        """Cancel the account's orders on the symbols of ``targets`` (symbol, leg), then close those
        positions with IOC liquidation orders in the book, partially when one tier down restores it;
        what the book cannot take is auto-deleveraged. A full liquidation leaves the remaining margin to
        the insurance fund (or draws the deficit from it). ``breach`` is the (margin balance, scaled
        maintenance) that breached."""
        state = self.state
        account_id, markets = account.account_id, state.markets
        balance, maintenance = breach
        mode = CROSS if cross else ISOLATED
        scope, leg = ("", BOTH) if cross else targets[0]  # the cross account, or one isolated position (leg)
        state.events.append(LiquidationTriggered(account_id, scope, mode, balance, ceil_div(maintenance, SCALE), leg))
        for symbol in dict.fromkeys(symbol for symbol, _ in targets):
            self._open_orders.cancel_all(account_id, symbol, EndReason.LIQUIDATION)
        # A cross account's remainder is settled with the fund of its largest position, reported last.
        sizes = {target: account.legs(target[1])[target[0]].size for target in targets}
        largest = max(targets, key=lambda t: account.legs(t[1])[t[0]].entry_notional)
        steps = [
            self._liquidate_position(account, markets[symbol], leg, mode)
            for symbol, leg in sorted(targets, key=lambda target: target == largest)  # the largest last
            if account.legs(leg)[symbol].size  # else auto-deleveraged already, against its own opposite leg
        ]
        if all(not step.partial for step in steps):
            # The largest leg's step settles, or, when that leg went so, its opposite leg's (one symbol).
            settling = max(number for number, step in enumerate(steps) if step.symbol == largest[0])
            steps.append(steps.pop(settling))
            symbol, leg = steps[-1].symbol, steps[-1].position_side
            closed_by = SELL if sizes[symbol, leg] > 0 else BUY
            steps[-1].insurance_fund_change += self._clear_to_fund(account, markets[symbol], leg, cross, closed_by)
        state.events += steps

    def _clear_to_fund(
        self, account: Account, market: Market, leg: PositionSide, cross: bool, closed_by: Side
    ) -> Amount:
        """After a full liquidation (by orders on ``closed_by``) the margin that backed it (the cross
        wallet, or the isolated position's wallet) goes to the symbol's insurance fund, or the fund
        covers its deficit as far as it can (``Settlement.fund_leftover``): the wallet ends at zero.
        Returns what the fund received."""
        if not cross:
            return self._settlement.clear_isolated(account, market, leg, closed_by)
        symbol, account_id = market.symbol, account.account_id
        if account.collateral is not None and account.wallet < 0:
            self._auto_exchange(account, account.collateral)
        leftover = account.wallet
        account.wallet = 0
        if not leftover:
            return 0
        reason = BalanceReason.INSURANCE_CLEAR if leftover > 0 else BalanceReason.INSURANCE_FUND_COVER
        self.state.events.append(BalanceChanged(account_id, reason, -leftover, 0, symbol))
        return self._settlement.fund_leftover(market, account_id, leftover, closed_by)

    def _exchange_due(self, account: Account, table: Mapping[str, CollateralAsset]) -> bool:
        """The venue's auto-exchange of a USDT debt outside a liquidation: when USDT is below the fixed
        threshold, or when nothing is open (no position, no order) and the debt is at least the margin value
        of the other assets (LTV = debt / that value >= 1)."""
        if account.wallet < -AUTO_EXCHANGE_THRESHOLD:
            return True
        state, account_id = self.state, account.account_id
        if any(account.holds(symbol) for symbol in state.markets):
            return False
        if any((account_id, symbol) in state.account_orders for symbol in state.markets):
            return False
        return -account.wallet >= collateral_value(account.assets, table, state.markets)

    def _auto_exchange(self, account: Account, table: Mapping[str, CollateralAsset]) -> None:
        """The venue's auto-exchange in Multi-Assets mode: the account's other assets pay its USDT debt
        (``paperex.engine.collateral.exchange_plan``), each sale and the USDT it brought one
        ``BalanceChanged`` (AUTO_EXCHANGE); the venue keeps what it took, in ``EngineState.exchanged``."""
        state = self.state
        exchanged, assets, account_id = state.exchanged, account.assets, account.account_id
        for asset, sold, credit in exchange_plan(-account.wallet, assets, table, state.markets):
            balance = assets[asset] - sold
            if balance:
                assets[asset] = balance
            else:
                del assets[asset]
            account.wallet += credit
            exchanged[asset] = exchanged.get(asset, 0) + sold
            exchanged[USDT] = exchanged.get(USDT, 0) - credit
            state.events += (
                BalanceChanged(account_id, BalanceReason.AUTO_EXCHANGE, -sold, balance, asset=asset),
                BalanceChanged(account_id, BalanceReason.AUTO_EXCHANGE, credit, account.wallet),
            )

    def _liquidate_position(
        self, account: Account, market: Market, leg: PositionSide, mode: MarginMode
    ) -> PositionLiquidated:
        """One position's (hedge leg's) liquidation order, filled in the book and by ADL for what the book cannot
        take; returns the step's outcome for the caller to report."""
        state = self.state
        position = account.legs(leg)[market.symbol]
        instrument = market.instrument
        price = valuation_price(market, position)
        if mode is CROSS:
            others = [
                (state.markets[s], p)
                for s, _, p in legs_of(account)
                if p.size and p is not position and account.settings[s].mode is CROSS
            ]
            other_upnl = sum(
                unrealized_pnl(p.size, p.entry_notional, valuation_price(m, p), m.notional_unit) for m, p in others
            )
            other_mm = sum(
                scaled_maintenance(m.instrument, abs(p.size) * valuation_price(m, p) * m.notional_unit)
                for m, p in others
            )
            backing = cross_backing(account, state.markets)  # the collateral too, in Multi-Assets mode
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
            state.next_order_id,
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
            position_side=leg,
        )
        start = len(state.events)
        self._open_orders.accept(order, None)
        end = self._execution.take(market, order)
        unfilled = quantity - order.filled
        shown_bankruptcy = display_ticks(bankruptcy, size)
        if unfilled:
            # At the bankruptcy price, kept inside the band only as far as the fund can pay for it.
            if size > 0:
                adl_price = max(min(shown_bankruptcy, bounds[1]), limit)
            else:
                adl_price = min(max(shown_bankruptcy, bounds[0]), limit)
            self._deleverage(market, order, unfilled, adl_price)
        self._execution.finish(market, order, end)
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
            leg,
        )

    def _liquidation_result(self, account_id: int, order_id: int, start: int) -> tuple[Amount, Amount]:
        """``(realized, to the fund)`` of a liquidation step (its events since ``start``): its order's
        fills (PnL less trading fee) less clearance fees, and the clearance fees the fund received."""
        realized = fund = 0
        for event in self.state.events[start:]:
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
        zero, so the bankrupt position can always be closed (a hedged account's own opposite leg being
        the last counterparty)."""
        state = self.state
        accounts = state.accounts
        symbol, bankrupt_id, closing_side = market.symbol, order.account_id, order.side.opposite
        candidates = []
        for account_id in market.holders:
            found = accounts[account_id].closing_leg(symbol, closing_side) if account_id != bankrupt_id else None
            if found:
                candidates.append((accounts[account_id], market, found[1]))
        traders = [c for c in candidates if c[0].liquidatable]
        backstop = [c for c in candidates if not c[0].liquidatable]
        # Last of all, a hedged account's own opposite leg: the legs then net out against each other.
        own = accounts[bankrupt_id].closing_leg(symbol, closing_side) if order.position_side is not BOTH else None
        hedged = [accounts[bankrupt_id]] if own else []
        for counter in adl_ranking(traders) + adl_ranking(backstop) + hedged:
            if not lots:
                break
            found = counter.closing_leg(symbol, closing_side)
            if found is None:
                raise InvariantViolation("a ranked position is not open")
            leg, position = found
            take = min(lots, abs(position.size))
            if counter.account_id != bankrupt_id:  # the bankrupt's were canceled as its liquidation began
                self._open_orders.cancel_all(counter.account_id, symbol, EndReason.LIQUIDATION)
            closing = Order(
                state.next_order_id,
                counter.account_id,
                symbol,
                closing_side,
                OrderType.LIMIT,
                take,
                price,
                TimeInForce.IOC,
                SelfTradePrevention.EXPIRE_TAKER,
                reduce_only=True,
                position_side=leg,
            )
            self._open_orders.accept(closing, None, auto_deleverage=True)
            self._settlement.settle_deleverage(market, order, closing, take)
            lots -= take
        if lots:
            raise InvariantViolation("no opposing position left to deleverage against")
        if state.touched:
            self._execution.trim_reduce_only()
