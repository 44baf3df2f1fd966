"""Prices and funding: the admin's mark override, index prices with the mark that follows them (and
the premium sampled for funding), and each instrument's funding settlement when its time comes. The
formulas are ``paperex.engine.mark``'s, ``funding``'s and ``margin``'s."""

from paperex.engine.accounts import HEDGE, ISOLATED
from paperex.engine.commands import SetIndexPrice, SetMarkPrice
from paperex.engine.events import (
    BalanceChanged,
    BalanceReason,
    FundingRateSettled,
    FundingSettled,
    FundReason,
    IndexPriceChanged,
    InsuranceFundChanged,
    MarkPriceChanged,
)
from paperex.engine.funding import IMPACT_MARGIN, impact_price, next_boundary
from paperex.engine.margin import funding_payment, funding_rate
from paperex.engine.mark import MarkMethod, venue_mark
from paperex.engine.market import Market
from paperex.engine.orders import BOTH, BUY, LONG, SELL, SHORT
from paperex.engine.reasons import RejectReason
from paperex.engine.state import EngineState
from paperex.engine.units import HOUR_NS, Ticks
from paperex.engine.validation import price_bounds


class Prices:
    """Moves marks and index prices and settles funding over ``EngineState``."""

    def __init__(self, state: EngineState) -> None:
        self.state = state

    def set_mark(self, cmd: SetMarkPrice) -> None:
        """The admin override: the mark as given, until the next index price recomputes it."""
        market = self.state.markets.get(cmd.symbol)
        if market is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        if refusal := price_bounds(market.instrument, cmd.price):
            return self.state.reject(cmd, refusal.reason, None, refusal.figures)
        self._move_mark(market, cmd.price)
        return None

    def _move_mark(self, market: Market, price: Ticks) -> None:
        """The one way the mark moves: MARK triggers re-run and every holder's margin is rechecked
        (liquidations included) by the engine once the command is handled."""
        state = self.state
        market.mark_price = price
        market.mark_moved = True
        state.prices_moved = True
        state.at_risk.update(market.holders)
        if state.multi_assets:  # their collateral may be priced by this symbol
            state.at_risk.update(state.multi_assets)
        state.events.append(MarkPriceChanged(market.symbol, price))

    def set_index(self, cmd: SetIndexPrice) -> None:
        """A new index price: the premium of the book's impact prices against it is sampled for funding,
        and the mark follows by the instrument's mark method."""
        market = self.state.markets.get(cmd.symbol)
        if market is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        if refusal := price_bounds(market.instrument, cmd.price):
            return self.state.reject(cmd, refusal.reason, None, refusal.figures)
        market.index_price = cmd.price
        impact = IMPACT_MARGIN * market.instrument.max_leverage
        book, unit = market.book, market.notional_unit
        market.premium.sample(impact_price(book.bids, impact, unit), impact_price(book.asks, impact, unit), cmd.price)
        self.state.events.append(IndexPriceChanged(cmd.symbol, cmd.price))
        self._move_mark(market, self._mark_from_index(market))
        return None

    def _mark_from_index(self, market: Market) -> Ticks:
        """The mark the new index implies: the index itself, or the venue's median (``paperex.engine.mark``)
        after this second's basis sample, kept inside the instrument's price filter."""
        instrument, index, now = market.instrument, market.index_price, self.state.now
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

    def settle_funding(self) -> None:
        """At each instrument's funding time: the interval's rate from the averaged premium, then
        every open position pays or receives size x mark x rate (payers round up; the sub-unit
        remainder goes to the insurance fund, so money is conserved)."""
        state = self.state
        now = state.now
        for market in state.market_list:
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
                state.events.append(FundingRateSettled(market.symbol, rate, market.next_funding))
                self._pay_funding(market, rate)
        state.next_funding = min(market.next_funding for market in state.market_list)

    def _pay_funding(self, market: Market, rate: int) -> None:
        price = market.mark_price or market.last_price
        if not price or not rate:
            return
        state = self.state
        symbol, unit, out = market.symbol, market.notional_unit, state.events
        remainder = 0
        for account_id in sorted(market.holders):
            account = state.accounts[account_id]
            if account.position_mode is HEDGE:
                pair = ((LONG, account.positions.get(symbol)), (SHORT, account.short_legs.get(symbol)))
                legs = [(leg, p) for leg, p in pair if p and p.size]
            else:
                legs = [(BOTH, account.positions[symbol])]
            for leg, position in legs:
                payment = funding_payment(position.size, price, unit, rate)
                remainder += payment
                out.append(FundingSettled(account_id, symbol, rate, price, position.size, -payment, leg))
                if account.settings[symbol].mode is ISOLATED:
                    position.isolated_wallet -= payment
                    state.moved[(account_id, symbol, leg)] = position
                    moved = BalanceChanged(
                        account_id,
                        BalanceReason.FUNDING,
                        0,
                        account.wallet,
                        symbol,
                        -payment,
                        position.isolated_wallet,
                        0,
                        leg,
                    )
                else:
                    account.wallet -= payment
                    moved = BalanceChanged(
                        account_id, BalanceReason.FUNDING, -payment, account.wallet, symbol, position_side=leg
                    )
                out.append(moved)
            state.at_risk[account_id] = None
        if remainder:
            market.insurance_fund += remainder
            out.append(InsuranceFundChanged(symbol, FundReason.FUNDING_REMAINDER, remainder, market.insurance_fund))
