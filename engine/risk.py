"""Every margin figure a venue shows for an account, and the pre-trade check built on them.

Figures follow Binance USD-M (see ``docs/margin.md``): unrealized PnL and
position margins at the mark price (last price until a mark exists), order margin at order prices,
available balance = cross wallet + cross uPnL - cross position IM - all order margin. In Multi-Assets
mode the other assets' margin value (``paperex.engine.collateral``) joins the cross wallet.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from paperex.engine.accounts import CROSS, DEFAULT_SETTINGS, HEDGE, NO_ORDERS, Account, MarginMode
from paperex.engine.collateral import collateral_value, priced_by
from paperex.engine.instruments import Instrument
from paperex.engine.margin import (
    bankruptcy_price,
    entry_price,
    fee,
    hedged_liquidation_price,
    initial_margin,
    liquidation_price,
    maintenance_margin,
    margin_ratio,
    open_loss,
    unrealized_pnl,
)
from paperex.engine.market import Market
from paperex.engine.orders import BOTH, BUY, LONG, SHORT, PositionSide, Side
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import Refusal, count, money, shortfall
from paperex.engine.units import SCALE, Amount, Lots, Ticks
from paperex.engine.views import AccountView, MarketView, PositionView, band_reference


def valuation_price(market: MarketView, position: PositionView) -> Ticks:
    """Mark, else last, else the entry price (a position with no market price shows no PnL)."""
    price = market.mark_price or market.last_price
    if price or not position.size:
        return price
    return position.entry_notional // (abs(position.size) * market.notional_unit)


@dataclass(frozen=True, slots=True)
class PositionFigures:
    symbol: str
    mode: MarginMode
    leverage: int
    size: Lots
    entry_price: Fraction
    mark_price: Ticks
    notional: Amount
    unrealized_pnl: Amount
    initial_margin: Amount
    maintenance_margin: Amount
    isolated_wallet: Amount
    liquidation_price: Fraction | None
    bankruptcy_price: Fraction | None
    max_removable: Amount
    position_side: PositionSide = BOTH


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """``margin_balance``, ``maintenance_margin`` and ``margin_ratio`` are the cross account's (where
    cross liquidation is decided); ``equity`` counts everything, isolated margin included."""

    account_id: int
    wallet: Amount
    isolated_margin: Amount
    unrealized_pnl: Amount
    cross_unrealized_pnl: Amount
    margin_balance: Amount
    maintenance_margin: Amount
    margin_ratio: Fraction | None
    position_initial_margin: Amount
    order_margin: Amount
    available_balance: Amount
    max_withdraw: Amount
    equity: Amount
    total_notional: Amount
    effective_leverage: Fraction | None
    positions: tuple[PositionFigures, ...]
    collateral: Amount = 0
    """In Multi-Assets mode, the margin value of the assets besides USDT (in ``margin_balance``)."""


@dataclass(slots=True)
class _Held:
    """One open position valued at its price (the raw material of the figures)."""

    market: MarketView
    position: PositionView
    leg: PositionSide
    mode: MarginMode
    leverage: int
    price: Ticks
    notional: Amount
    upnl: Amount
    im: Amount
    mm: Amount


def _held(account: AccountView, markets: Mapping[str, MarketView]) -> list[_Held]:
    held = []
    first = LONG if account.position_mode is HEDGE else BOTH
    positions: Iterable[tuple[str, PositionView]] = account.positions.items()
    if account.short_legs:  # hedge mode's SHORT legs after the LONG ones
        positions = [*positions, *account.short_legs.items()]
    for symbol, position in positions:
        if not position.size:
            continue
        leg = SHORT if position.size < 0 and first is LONG else first  # a hedge leg keeps its direction
        market = markets[symbol]
        settings = account.peek_setting(symbol)
        price, notional, upnl, mm = _valued(market, position)
        held.append(
            _Held(
                market,
                position,
                leg,
                settings.mode,
                settings.leverage,
                price,
                notional,
                upnl,
                initial_margin(notional, settings.leverage),
                mm,
            )
        )
    return held


def _valued(market: MarketView, position: PositionView) -> tuple[Ticks, Amount, Amount, Amount]:
    """An open position at its valuation price: (price, notional, unrealized PnL, maintenance margin)."""
    price = valuation_price(market, position)
    notional = abs(position.size) * price * market.notional_unit
    upnl = unrealized_pnl(position.size, position.entry_notional, price, market.notional_unit)
    return price, notional, upnl, maintenance_margin(market.instrument, notional)


def order_margin(account: AccountView, symbol: str) -> Amount:
    """Initial margin the account's open orders in ``symbol`` reserve."""
    exposure = account.exposures.get(symbol)
    if exposure is None:
        return 0
    leverage = account.peek_setting(symbol).leverage
    if account.position_mode is HEDGE:
        return exposure.hedged_margin(leverage)
    position = account.positions.get(symbol)
    return exposure.margin(position.size if position else 0, leverage)


def available_balance(account: AccountView, markets: Mapping[str, MarketView], skip: str = "") -> Amount:
    """Binance's "available for order": what a new order's cost is checked against (may be < 0
    internally; shown floored at 0). ``skip`` leaves out one symbol's order margin (the pre-trade
    check counts it with the new order instead). Lean on purpose: it runs on every new order."""
    total = account.wallet
    if account.collateral is not None:
        total += collateral_value(account.assets, account.collateral, markets)
    settings, positions = account.settings, account.positions
    for symbol, position in positions.items():
        size = position.size
        if size:
            setting = settings[symbol]
            if setting.mode is CROSS:
                market = markets[symbol]
                unit = market.notional_unit
                price = market.mark_price or market.last_price or valuation_price(market, position)  # no call if priced
                total += unrealized_pnl(size, position.entry_notional, price, unit)
                total -= initial_margin(abs(size) * price * unit, setting.leverage)
    if account.position_mode is HEDGE:
        return _hedged_available(account, markets, skip, total)
    for symbol, exposure in account.exposures.items():
        if symbol != skip:
            held = positions.get(symbol)
            total -= exposure.margin(held.size if held else 0, (settings.get(symbol) or DEFAULT_SETTINGS).leverage)
    return total


def _hedged_available(account: AccountView, markets: Mapping[str, MarketView], skip: str, total: Amount) -> Amount:
    """``available_balance`` of a hedge-mode account from ``total`` (the cross wallet with the LONG legs
    counted): less the SHORT legs' cross IM with their PnL, less each leg's own order margin."""
    settings = account.settings
    for symbol, position in account.short_legs.items():
        if position.size and settings[symbol].mode is CROSS:
            market = markets[symbol]
            price = valuation_price(market, position)
            total += unrealized_pnl(position.size, position.entry_notional, price, market.notional_unit)
            total -= initial_margin(abs(position.size) * price * market.notional_unit, settings[symbol].leverage)
    for symbol, exposure in account.exposures.items():
        if symbol != skip:
            total -= exposure.hedged_margin((settings.get(symbol) or DEFAULT_SETTINGS).leverage)
    return total


def cross_backing(account: AccountView, markets: Mapping[str, MarketView]) -> Amount:
    """What backs the cross positions besides their PnL: the cross wallet, with the other assets' margin
    value in Multi-Assets mode."""
    if account.collateral is None:
        return account.wallet
    return account.wallet + collateral_value(account.assets, account.collateral, markets)


def summarize(account: AccountView, markets: Mapping[str, MarketView]) -> AccountSummary:
    held = _held(account, markets)
    cross = [h for h in held if h.mode is MarginMode.CROSS]
    cross_upnl = sum(h.upnl for h in cross)
    cross_mm = sum(h.mm for h in cross)
    backing = cross_backing(account, markets)
    margin_balance = backing + cross_upnl
    reserved = sum(order_margin(account, symbol) for symbol in account.exposures)
    cross_im = sum(h.im for h in cross)
    available = margin_balance - cross_im - reserved
    isolated_margin = sum(h.position.isolated_wallet for h in held if h.mode is MarginMode.ISOLATED)
    upnl = sum(h.upnl for h in held)
    equity = backing + isolated_margin + upnl
    total_notional = sum(h.notional for h in held)
    figures = tuple(_figures(h, backing, cross, _moving(account, markets, h.market.symbol)) for h in held)
    # In Multi-Assets mode the other assets back the margin, so USDT may leave up to its balance.
    withdrawable = account.wallet if account.collateral is not None else account.wallet - reserved - cross_im
    return AccountSummary(
        account_id=account.account_id,
        wallet=account.wallet,
        isolated_margin=isolated_margin,
        unrealized_pnl=upnl,
        cross_unrealized_pnl=cross_upnl,
        margin_balance=margin_balance,
        maintenance_margin=cross_mm,
        margin_ratio=margin_ratio(cross_mm, margin_balance) if cross else None,
        position_initial_margin=sum(h.im for h in held),
        order_margin=reserved,
        available_balance=max(0, available),
        max_withdraw=max(0, min(available, withdrawable)),
        equity=equity,
        total_notional=total_notional,
        effective_leverage=Fraction(total_notional, equity) if equity > 0 and held else None,
        positions=figures,
        collateral=backing - account.wallet,
    )


class FigureBasis(NamedTuple):
    """A position's valuation as one moment left it, from which ``figures`` works out every figure a
    reader shows: the price it is valued at, its notional, unrealized PnL, initial and maintenance margin
    there, the margin behind it (its isolated wallet, or the cross wallet) and the other cross positions'
    maintenance margin and unrealized PnL (0 for an isolated position). Plain integers, cheap to take on
    every position change; the fractional figures are worked out only when someone reads them."""

    price: Ticks
    notional: Amount
    upnl: Amount
    im: Amount
    mm: Amount
    backing: Amount
    others_mm: Amount
    others_upnl: Amount
    collateral_weight: int = 0
    """Multi-Assets mode: the collateral this symbol's price values (``paperex.engine.collateral.priced_by``),
    left out of ``backing`` because it moves with the price the figures solve for."""
    sibling_size: Lots = 0
    """A cross hedge leg's other leg on the same symbol (its size and entry notional; 0 when there is
    none): the two share one liquidation price, and ``others_*`` leave it out."""
    sibling_entry: Amount = 0


def figure_basis(
    account: Account, markets: Mapping[str, Market], symbol: str, leg: PositionSide = BOTH
) -> FigureBasis | None:
    """``symbol``'s (``leg``'s) ``FigureBasis`` now (None when flat): what a ``PositionChanged`` carries.
    It is taken for every position a command moves, so a one-way account's is worked out from its own
    positions directly, without valuing them all into ``_Held`` records first."""
    if account.position_mode is not HEDGE and not account.short_legs:
        return _one_way_basis(account, markets, symbol) if leg is BOTH else None
    held = _held(account, markets)
    for h in held:
        if h.market.symbol == symbol and h.leg is leg:
            cross = [o for o in held if o.mode is MarginMode.CROSS]
            return _basis(h, cross_backing(account, markets), cross, _moving(account, markets, symbol))
    return None


def _one_way_basis(account: Account, markets: Mapping[str, Market], symbol: str) -> FigureBasis | None:
    """``figure_basis`` of a one-way position: the same figures as ``_basis`` over ``_held``."""
    position = account.positions.get(symbol)
    if position is None or not position.size:
        return None
    market, settings = markets[symbol], account.peek_setting(symbol)
    price, notional, upnl, mm = _valued(market, position)
    im = initial_margin(notional, settings.leverage)
    if settings.mode is not CROSS:
        return FigureBasis(price, notional, upnl, im, mm, position.isolated_wallet, 0, 0)
    others_mm = others_upnl = 0
    for other_symbol, other in account.positions.items():
        if other.size and other_symbol != symbol and account.peek_setting(other_symbol).mode is CROSS:
            _, _, other_upnl, other_mm = _valued(markets[other_symbol], other)
            others_mm += other_mm
            others_upnl += other_upnl
    if account.collateral is None:  # single-asset: the cross wallet alone backs it, nothing moves with the price
        return FigureBasis(price, notional, upnl, im, mm, account.wallet, others_mm, others_upnl)
    value, weight = _moving(account, markets, symbol)
    backing = cross_backing(account, markets) - value
    return FigureBasis(price, notional, upnl, im, mm, backing, others_mm, others_upnl, weight)


def _moving(account: AccountView, markets: Mapping[str, MarketView], symbol: str) -> tuple[Amount, int]:
    """The collateral that moves with ``symbol``'s price (none in single-asset mode)."""
    if account.collateral is None:
        return 0, 0
    return priced_by(symbol, account.assets, account.collateral, markets)


def _basis(h: _Held, backing: Amount, cross: list[_Held], moving: tuple[Amount, int] = (0, 0)) -> FigureBasis:
    """A cross position's liquidation price depends on the others' MM and PnL, and on the collateral its
    own price values (``moving``: its margin value now, and its weight)."""
    if h.mode is MarginMode.ISOLATED:
        return FigureBasis(h.price, h.notional, h.upnl, h.im, h.mm, h.position.isolated_wallet, 0, 0)
    others_mm = sum(o.mm for o in cross if o is not h)
    others_upnl = sum(o.upnl for o in cross if o is not h)
    value, weight = moving
    backing -= value
    sibling = next((o for o in cross if o is not h and o.market is h.market), None) if h.leg is not BOTH else None
    if sibling is None:
        return FigureBasis(h.price, h.notional, h.upnl, h.im, h.mm, backing, others_mm, others_upnl, weight)
    position = sibling.position
    others_mm, others_upnl = others_mm - sibling.mm, others_upnl - sibling.upnl
    return FigureBasis(
        h.price,
        h.notional,
        h.upnl,
        h.im,
        h.mm,
        backing,
        others_mm,
        others_upnl,
        weight,
        position.size,
        position.entry_notional,
    )


def figures(
    instrument: Instrument,
    mode: MarginMode,
    leverage: int,
    size: Lots,
    entry_notional: Amount,
    isolated_wallet: Amount,
    basis: FigureBasis,
    position_side: PositionSide = BOTH,
) -> PositionFigures:
    """One open position's figures from its state and its ``FigureBasis`` (pure: the same at any later time)."""
    unit = instrument.notional_unit
    per_tick = basis.collateral_weight * Fraction(instrument.tick_size) / SCALE
    sibling_upnl = 0
    if basis.sibling_size:  # a cross hedge leg: both legs share one liquidation price
        sibling_upnl = unrealized_pnl(basis.sibling_size, basis.sibling_entry, basis.price, unit)
        legs = sorted(((size, entry_notional), (basis.sibling_size, basis.sibling_entry)), reverse=True)
        (long_size, long_entry), (short_size, short_entry) = legs
        liquidation = hedged_liquidation_price(
            instrument,
            long_size,
            long_entry,
            short_size,
            short_entry,
            basis.backing,
            basis.others_mm,
            basis.others_upnl,
            per_tick,
        )
    else:
        liquidation = liquidation_price(
            instrument, size, entry_notional, basis.backing, basis.others_mm, basis.others_upnl, per_tick
        )
    return PositionFigures(
        symbol=instrument.symbol,
        mode=mode,
        leverage=leverage,
        size=size,
        entry_price=entry_price(size, entry_notional, unit),
        mark_price=basis.price,
        notional=basis.notional,
        unrealized_pnl=basis.upnl,
        initial_margin=basis.im,
        maintenance_margin=basis.mm,
        isolated_wallet=isolated_wallet,
        liquidation_price=liquidation,
        bankruptcy_price=bankruptcy_price(
            size, entry_notional, basis.backing + basis.others_upnl + sibling_upnl, unit, per_tick
        ),
        max_removable=(
            removable_margin(isolated_wallet, basis.mm, basis.upnl, basis.im) if mode is MarginMode.ISOLATED else 0
        ),
        position_side=position_side,
    )


def _figures(h: _Held, backing: Amount, cross: list[_Held], moving: tuple[Amount, int]) -> PositionFigures:
    position = h.position
    basis = _basis(h, backing, cross, moving)
    return figures(
        h.market.instrument,
        h.mode,
        h.leverage,
        position.size,
        position.entry_notional,
        position.isolated_wallet,
        basis,
        h.leg,
    )


def removable_margin(isolated_wallet: Amount, maintenance: Amount, upnl: Amount, initial: Amount) -> Amount:
    """What may leave an isolated position: min(wallet - MM, wallet + uPnL - IM) (reference 1.5), >= 0."""
    return max(0, min(isolated_wallet - maintenance, isolated_wallet + upnl - initial))


@dataclass(frozen=True, slots=True)
class OrderPreview:
    """What an order would do if it filled whole at ``price`` under ``mode`` (nothing is changed)."""

    mode: MarginMode
    leverage: int
    price: Ticks
    cost: Amount
    initial_margin: Amount
    open_loss: Amount
    fee: Amount
    available_before: Amount
    available_after: Amount
    accepted: bool
    position: PositionFigures | None
    margin_ratio: Fraction | None
    effective_leverage: Fraction | None


def preview(
    account: AccountView,
    markets: Mapping[str, MarketView],
    symbol: str,
    side: Side,
    lots: Lots,
    price: Ticks,
    leg: PositionSide = BOTH,
) -> tuple[OrderPreview, OrderPreview]:
    """The order under the account's margin mode for ``symbol`` and under the other one, so a bot can
    compare cross with isolated before acting. ``price`` is the expected fill price; ``leg`` the hedge
    leg the order trades (BOTH: the one-way position)."""
    market = markets[symbol]
    current = account.peek_setting(symbol).mode
    other = MarginMode.ISOLATED if current is MarginMode.CROSS else MarginMode.CROSS
    return (
        _preview_under(account, markets, market, current, side, lots, price, leg),
        _preview_under(account, markets, market, other, side, lots, price, leg),
    )


def _preview_under(
    account: AccountView,
    markets: Mapping[str, MarketView],
    market: MarketView,
    mode: MarginMode,
    side: Side,
    lots: Lots,
    price: Ticks,
    leg: PositionSide,
) -> OrderPreview:
    """A hedge order that closes its leg (SELL/LONG, BUY/SHORT) is reduce-only by nature: it costs
    nothing, as the engine checks no margin for it, and closes at most what the leg holds; its fee is
    still shown."""
    twin = Account.copy_of(account)
    twin.setting(market.symbol).mode = mode
    available = available_balance(twin, markets)
    if leg is not BOTH and (leg is LONG) == (side is not BUY):
        held = twin.legs(leg).get(market.symbol)
        lots = min(lots, abs(held.size) if held else 0)
        margin = loss = cost = 0
    else:
        margin, loss, taker_fee = order_cost_parts(twin, market, side, lots, price)
        cost = margin + loss + taker_fee
    fee_paid, _, _ = twin.settle_fill(market.instrument, side, lots, price, market.instrument.taker_fee, leg=leg)
    after = summarize(twin, markets)
    figures = next((p for p in after.positions if p.symbol == market.symbol and p.position_side is leg), None)
    return OrderPreview(
        mode=mode,
        leverage=twin.peek_setting(market.symbol).leverage,
        price=price,
        cost=cost,
        initial_margin=margin,
        open_loss=loss,
        fee=fee_paid,
        available_before=max(0, available),
        available_after=after.available_balance,
        accepted=cost <= available,
        position=figures,
        margin_ratio=after.margin_ratio,
        effective_leverage=after.effective_leverage,
    )


def estimated_price(market: MarketView, opposite_touch: Ticks | None) -> Ticks:
    """The price a market order is costed at: the opposite touch, else the band reference."""
    return opposite_touch or band_reference(market)


def margin_check(
    account: Account,
    market: Market,
    markets: Mapping[str, Market],
    side: Side,
    lots: Lots,
    price: Ticks,
    reduce_only: bool = False,
) -> Refusal | None:
    """``check_order`` at the order's price (a market order, ``price`` 0, is costed at the opposite
    touch); orders that can only reduce need no margin."""
    if reduce_only:
        return None
    price = price or estimated_price(market, market.book.best_price(side.opposite))
    if not price:
        return None
    return check_order(account, market, markets, side, lots, price)


def check_order(
    account: Account, market: Market, markets: Mapping[str, Market], side: Side, lots: Lots, price: Ticks
) -> Refusal | None:
    """The pre-trade check of an order that may open at ``price``: the position plus same-side orders
    must stay within the notional cap of the chosen leverage, then the order cost must fit into the
    available balance. A refusal carries what was required and what was available (for the position
    limit: the notional, the leverage and its cap).

    Runs on every new order, so it is arranged to value the symbol's orders once: cost <= available
    is the same test as (order margin with the order) + open loss + fee <= (available balance without
    this symbol's order margin), since the current order margin is on both sides; the two figures
    a refusal reports are only worked out when it refuses."""
    symbol = market.symbol
    hedged = account.position_mode is HEDGE
    position = (account.short_legs if hedged and side is not BUY else account.positions).get(symbol)
    size = position.size if position else 0
    exposure = account.exposures.get(symbol) or NO_ORDERS
    leverage = (account.settings.get(symbol) or DEFAULT_SETTINGS).leverage  # peek_setting, no call
    growth = size * side + (exposure.buy_lots if side is BUY else exposure.sell_lots) + lots
    if growth > 0:
        cap = market.position_cap(leverage)
        notional = growth * price * market.notional_unit
        if notional > cap:
            figures = (money("notional", notional), money("max_notional", cap), count("leverage", leverage))
            return Refusal(RejectReason.POSITION_LIMIT_EXCEEDED, figures)
    unit = market.notional_unit
    notional = lots * price * unit
    if hedged:
        reserved = exposure.hedged_margin(leverage, side, lots, notional)
    else:
        reserved = exposure.margin(size, leverage, side, lots, notional)
    mark = market.mark_price or market.last_price
    loss = open_loss(side, lots, price, mark, unit) if mark else 0
    charges = reserved + loss + fee(notional, market.instrument.taker_fee)
    free = available_balance(account, markets, skip=symbol)
    if charges <= free:
        return None
    current = exposure.hedged_margin(leverage) if hedged else exposure.margin(size, leverage)
    return Refusal(RejectReason.INSUFFICIENT_MARGIN, shortfall(charges - current, max(0, free - current)))


def order_cost_parts(
    account: AccountView, market: MarketView, side: Side, lots: Lots, price: Ticks
) -> tuple[Amount, Amount, Amount]:
    """An order's cost in three terms: the growth of the symbol's reserved order margin, the open loss
    of a price worse than mark (Binance's order cost) and the taker fee (paperex adds it)."""
    symbol = market.symbol
    exposure = account.exposures.get(symbol) or NO_ORDERS
    leverage = account.peek_setting(symbol).leverage
    unit = market.notional_unit
    notional = lots * price * unit
    if account.position_mode is HEDGE:
        growth = exposure.hedged_margin(leverage, side, lots, notional) - exposure.hedged_margin(leverage)
    else:
        position = account.positions.get(symbol)
        size = position.size if position else 0
        growth = exposure.margin(size, leverage, side, lots, notional) - exposure.margin(size, leverage)
    mark = market.mark_price or market.last_price
    loss = open_loss(side, lots, price, mark, unit) if mark else 0
    return growth, loss, fee(notional, market.instrument.taker_fee)
