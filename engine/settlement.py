"""Settlement of fills: each fill's book quantity, order progress, positions, fees and balance changes,
with its events (``TradeExecuted``, ``OrderFilled``, ``BalanceChanged``), for trades in the book and
for auto-deleverage fills alike; and which positions a fill moved, for the steps that follow."""

from paperex.engine.accounts import CROSS, ISOLATED, Account
from paperex.engine.book import Level
from paperex.engine.events import (
    BalanceChanged,
    BalanceReason,
    FundReason,
    InsuranceFundChanged,
    OrderFilled,
    PositionDeleveraged,
    TradeExecuted,
)
from paperex.engine.instruments import LiquidationFee
from paperex.engine.liquidation import trading_fee_rate
from paperex.engine.margin import fee
from paperex.engine.market import Market
from paperex.engine.open_orders import OpenOrders
from paperex.engine.orders import BOTH, FILLED, PARTIALLY_FILLED, SHORT, Order, PositionSide
from paperex.engine.state import EngineState
from paperex.engine.units import Amount, Lots

# Enum members bound once (see ``paperex.engine.orders.BUY``): attribute lookups on an Enum class are slow.
REALIZED_PNL, FEE = BalanceReason.REALIZED_PNL, BalanceReason.FEE
ISOLATED_MARGIN = BalanceReason.ISOLATED_MARGIN_TRANSFER


class Settlement:
    """Settles fills over ``EngineState``; a finished order is handed to ``OpenOrders.forget``."""

    def __init__(self, state: EngineState, open_orders: OpenOrders) -> None:
        self.state = state
        self._open_orders = open_orders

    def settle(self, level: Level, maker: Order, taker: Order, quantity: Lots) -> None:
        """Book, orders, positions and events for one fill at ``level``'s price."""
        state = self.state
        market = state.markets[maker.symbol]
        price = level.price
        level.quantity -= quantity
        market.dirty[level] = None
        maker_filled = maker.filled = maker.filled + quantity
        taker_filled = taker.filled = taker.filled + quantity
        maker_left = maker.quantity - maker_filled
        taker_left = taker.quantity - taker_filled
        maker_status = maker.status = FILLED if maker_left == 0 else PARTIALLY_FILLED
        taker_status = taker.status = FILLED if taker_left == 0 else PARTIALLY_FILLED
        trade_id = state.next_trade_id
        state.next_trade_id = trade_id + 1
        symbol = market.symbol
        instrument = market.instrument
        accounts = state.accounts
        maker_account = accounts[maker.account_id]
        taker_account = accounts[taker.account_id]
        if not maker.reduce_only:  # resting, so its exposure exists
            maker_account.exposures[symbol].change(maker.side, -quantity, -quantity * price * market.notional_unit)
        maker_leg, taker_leg = maker.position_side, taker.position_side
        maker_fee, maker_pnl, maker_released = maker_account.settle_fill(
            instrument, maker.side, quantity, price, instrument.maker_fee, False, maker_leg
        )
        liquidating = taker.liquidation
        taker_fee, taker_pnl, taker_released = taker_account.settle_fill(
            instrument,
            taker.side,
            quantity,
            price,
            trading_fee_rate(instrument) if liquidating else instrument.taker_fee,
            liquidating,
            taker_leg,
        )
        state.fees_collected += maker_fee + taker_fee
        state.events += (
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
            self._fill_moved(
                maker_account, symbol, maker_leg, trade_id, maker_fee, maker_pnl, maker_released, REALIZED_PNL
            )
        if taker_fee or taker_pnl or taker_released:
            self._fill_moved(
                taker_account, symbol, taker_leg, trade_id, taker_fee, taker_pnl, taker_released, REALIZED_PNL
            )
        if maker_pnl < 0:
            self._cover_deficit(maker_account, market, maker_leg)
        if taker_pnl < 0 and not liquidating:
            self._cover_deficit(taker_account, market, taker_leg)
        if liquidating and instrument.liquidation_fee is LiquidationFee.CLEARANCE and instrument.liquidation_fee_rate:
            self._charge_clearance(taker_account, market, taker_leg, trade_id, quantity * price * market.notional_unit)
        self._position_moved(maker_account, symbol, maker_leg)
        self._position_moved(taker_account, symbol, taker_leg)
        if maker_left == 0:
            market.book.remove(maker)
            self._open_orders.forget(maker)
        if taker_left == 0:
            self._open_orders.forget(taker)
        market.last_price = price
        state.prices_moved = True
        if market.trade_low == 0 or price < market.trade_low:
            market.trade_low = price
        if price > market.trade_high:
            market.trade_high = price

    def settle_deleverage(self, market: Market, order: Order, closing: Order, lots: Lots) -> None:
        """One auto-deleverage fill between a liquidation order and the order closing a profitable
        position, at the closing order's price: both sides' fills (no fee, no public trade, the last
        price stays), their balance changes, and the deleveraged side's ``PositionDeleveraged``."""
        state = self.state
        symbol, instrument, price = market.symbol, market.instrument, closing.price
        trade_id = state.next_trade_id
        state.next_trade_id = trade_id + 1
        bankrupt, counter = state.accounts[order.account_id], state.accounts[closing.account_id]
        leg, counter_leg = order.position_side, closing.position_side
        _, realized, released = bankrupt.settle_fill(instrument, order.side, lots, price, 0, True, leg)
        _, counter_realized, counter_released = counter.settle_fill(
            instrument, closing.side, lots, price, 0, False, counter_leg
        )
        order.filled += lots
        closing.filled = lots
        order.status = FILLED if order.filled == order.quantity else PARTIALLY_FILLED
        closing.status = FILLED
        state.events += (
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
            self._fill_moved(
                counter, symbol, counter_leg, trade_id, 0, counter_realized, counter_released, BalanceReason.ADL
            )
        if counter_realized < 0:
            self._cover_deficit(counter, market, counter_leg)
        if realized or released:
            self._fill_moved(bankrupt, symbol, leg, trade_id, 0, realized, released, BalanceReason.ADL)
        state.events.append(
            PositionDeleveraged(
                counter.account_id, symbol, closing.order_id, closing.side, lots, price, bankrupt.account_id,
                counter_realized, counter_leg,
            )
        )  # fmt: skip
        self._position_moved(bankrupt, symbol, leg)
        self._position_moved(counter, symbol, counter_leg)
        self._open_orders.forget(closing)
        if order.status is FILLED:
            self._open_orders.forget(order)

    def _fill_moved(
        self,
        account: Account,
        symbol: str,
        leg: PositionSide,
        trade_id: int,
        charged: Amount,
        realized: Amount,
        released: Amount,
        pnl_reason: BalanceReason,
    ) -> None:
        """The BalanceChanged events of one fill, in the order its money moved: realized PnL, then the
        fee (both in the position's wallet), then for an isolated position the margin that left it
        for the cross wallet or entered it (``released`` as ``Account.settle_fill`` returns it)."""
        out, account_id, wallet = self.state.events, account.account_id, account.wallet
        if account.settings[symbol].mode is CROSS:
            if realized:
                out.append(
                    BalanceChanged(account_id, pnl_reason, realized, wallet + charged, symbol, 0, 0, trade_id, leg)
                )
            if charged:
                out.append(BalanceChanged(account_id, FEE, -charged, wallet, symbol, 0, 0, trade_id, leg))
            return
        isolated = account.legs(leg)[symbol].isolated_wallet
        before_transfer, wallet_before = isolated + released, wallet - released
        if realized:
            out.append(
                BalanceChanged(
                    account_id, pnl_reason, 0, wallet_before, symbol, realized, before_transfer + charged, trade_id, leg
                )
            )
        if charged:
            out.append(
                BalanceChanged(account_id, FEE, 0, wallet_before, symbol, -charged, before_transfer, trade_id, leg)
            )
        if released:
            out.append(
                BalanceChanged(
                    account_id, ISOLATED_MARGIN, released, wallet, symbol, -released, isolated, trade_id, leg
                )
            )

    def clear_isolated(self, account: Account, market: Market, leg: PositionSide = BOTH) -> Amount:
        """Hand an isolated position's (hedge leg's) whole wallet to the symbol's insurance fund
        (``INSURANCE_CLEAR``), or have the fund cover its deficit (``INSURANCE_FUND_COVER``): the wallet
        ends at zero. Returns what the fund received."""
        symbol, account_id = market.symbol, account.account_id
        position = account.legs(leg)[symbol]
        leftover = position.isolated_wallet
        position.isolated_wallet = 0
        self.state.moved[(account_id, symbol, leg)] = position
        if leftover:
            reason = BalanceReason.INSURANCE_CLEAR if leftover > 0 else BalanceReason.INSURANCE_FUND_COVER
            market.insurance_fund += leftover
            self.state.events += (
                BalanceChanged(account_id, reason, 0, account.wallet, symbol, -leftover, 0, 0, leg),
                InsuranceFundChanged(symbol, FundReason.LIQUIDATION, leftover, market.insurance_fund, account_id),
            )
        return leftover

    def _cover_deficit(self, account: Account, market: Market, leg: PositionSide) -> None:
        """An isolated position a losing fill closed past its bankruptcy price keeps the deficit in its
        wallet (``Account.settle_fill`` releases none of it): the fund covers it, as it would have
        in a liquidation, so the loss never reaches the cross wallet."""
        position = account.legs(leg)[market.symbol]
        if not position.size and position.isolated_wallet < 0:
            self.clear_isolated(account, market, leg)

    def _charge_clearance(
        self, account: Account, market: Market, leg: PositionSide, trade_id: int, notional: Amount
    ) -> None:
        """The clearance fee of one liquidation fill, from the wallet backing the position to the
        symbol's insurance fund (Binance's model, ``LiquidationFee.CLEARANCE``)."""
        symbol = market.symbol
        charged = fee(notional, market.instrument.liquidation_fee_rate)
        if not charged:
            return
        market.insurance_fund += charged
        if account.settings[symbol].mode is ISOLATED:
            position = account.legs(leg)[symbol]
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
                leg,
            )
        else:
            account.wallet -= charged
            moved = BalanceChanged(
                account.account_id, BalanceReason.LIQUIDATION_FEE, -charged, account.wallet, symbol, 0, 0, trade_id, leg
            )
        self.state.events += (
            moved,
            InsuranceFundChanged(symbol, FundReason.CLEARANCE_FEE, charged, market.insurance_fund, account.account_id),
        )

    def _position_moved(self, account: Account, symbol: str, leg: PositionSide) -> None:
        """Note a position (hedge leg) a fill moved: to publish, to recheck the account's margin and its
        resting reduce-only orders, and in or out of the symbol's holders."""
        state = self.state
        account_id = account.account_id
        key = (account_id, symbol)
        if state.reduce_only and key in state.reduce_only:
            state.touched[key] = None
        position = (account.short_legs if leg is SHORT else account.positions)[symbol]
        state.moved[(account_id, symbol, leg)] = position
        state.at_risk[account_id] = None
        holders = state.markets[symbol].holders
        if position.size or (leg is not BOTH and account.holds(symbol)):
            holders[account_id] = None
        else:
            holders.pop(account_id, None)
