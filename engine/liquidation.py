"""Liquidation decisions as pure functions: when an account or isolated position is liquidated, how
much goes (partial by tier or all), at what worst price, who is auto-deleveraged first, and which
margin-call threshold a ratio has crossed (Binance USD-M's rules; see ``docs/margin.md``).

The engine carries them out (cancels, liquidation orders in the real book, insurance fund, ADL).
"""

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import TypeVar

from paperex.engine.accounts import CROSS, HEDGE, Account, MarginMode
from paperex.engine.collateral import collateral_value
from paperex.engine.instruments import Instrument, LiquidationFee
from paperex.engine.margin import adl_score, bracket_for, fee, unrealized_pnl
from paperex.engine.market import Market
from paperex.engine.orders import BOTH, LONG, SHORT, PositionSide
from paperex.engine.positions import Position
from paperex.engine.risk import valuation_price
from paperex.engine.units import SCALE, Amount, Lots, Rate, Ticks
from paperex.engine.views import AccountView, MarketView, PositionView

Ranked = TypeVar("Ranked", bound=AccountView)
"""An account in an ADL queue: the engine's live one (to deleverage) or a read model's (to show the lights)."""

MARGIN_CALL_THRESHOLDS_BPS: tuple[int, ...] = (7_000, 8_000, 9_000)
"""Margin ratios (maintenance / margin balance) whose upward crossing issues a margin call."""

MARGIN_CALL_REARM_THRESHOLDS_BPS: tuple[int, ...] = tuple(bps - 500 for bps in MARGIN_CALL_THRESHOLDS_BPS)
"""A threshold warns again only after the ratio fell 5 points below it: a ratio wobbling around 70%
with the mark is one warning, not one per tick."""

QUIET_BELOW_BPS = min(MARGIN_CALL_THRESHOLDS_BPS + MARGIN_CALL_REARM_THRESHOLDS_BPS)
"""Below this ratio no threshold of either kind is reached."""

ADL_LIGHTS = 5
"""Quantiles of the ADL indicator (Binance's five lights): 5 is the front fifth of the queue."""


def scaled_maintenance(instrument: Instrument, notional: Amount) -> int:
    """Maintenance margin exactly, in 1e-16 units (notional x mmr - cum x SCALE): lets the trigger
    compare without rounding, so liquidation happens exactly at the reported liquidation price."""
    bracket = bracket_for(instrument, notional)
    return notional * bracket.mmr - bracket.cum * SCALE


def _exposure(market: MarketView, position: PositionView) -> tuple[Amount, Amount]:
    """(unrealized PnL, exact scaled maintenance margin) of one position at its valuation price."""
    price = market.mark_price or market.last_price or valuation_price(market, position)  # no call if priced
    notional = abs(position.size) * price * market.notional_unit
    upnl = unrealized_pnl(position.size, position.entry_notional, price, market.notional_unit)
    return upnl, scaled_maintenance(market.instrument, notional)


def cross_state(account: Account, markets: Mapping[str, Market]) -> tuple[Amount, int, bool]:
    """``(margin balance, scaled maintenance, holds cross positions)`` of the cross account, in one
    pass with integers only (this runs for every account a command touches)."""
    balance, maintenance, held = account.wallet, 0, False
    if account.collateral is not None:
        balance += collateral_value(account.assets, account.collateral, markets)
    settings = account.settings
    for legs in (account.positions, account.short_legs):  # the SHORT legs of hedge mode (else empty)
        for symbol, position in legs.items():
            if position.size and settings[symbol].mode is CROSS:
                upnl, mm = _exposure(markets[symbol], position)
                balance += upnl
                maintenance += mm
                held = True
    return balance, maintenance, held


def cross_breach(account: Account, markets: Mapping[str, Market]) -> tuple[Amount, int] | None:
    """``(margin balance, scaled maintenance)`` of the cross account when margin balance <=
    maintenance margin (Binance's trigger), else None. An account without cross positions is safe."""
    balance, maintenance, held = cross_state(account, markets)
    return (balance, maintenance) if held and balance * SCALE <= maintenance else None


def isolated_state(
    account: Account, symbol: str, markets: Mapping[str, Market], leg: PositionSide = BOTH
) -> tuple[Amount, int]:
    """``(margin balance, scaled maintenance)`` of one isolated position (hedge leg): its wallet + uPnL
    against MM."""
    position = account.legs(leg)[symbol]
    upnl, mm = _exposure(markets[symbol], position)
    return position.isolated_wallet + upnl, mm


def isolated_breach(account: Account, symbol: str, markets: Mapping[str, Market], leg: PositionSide = BOTH) -> bool:
    """An isolated position (hedge leg) is liquidated when its wallet + uPnL <= its maintenance margin."""
    balance, maintenance = isolated_state(account, symbol, markets, leg)
    return balance * SCALE <= maintenance


def margin_call_level(balance: Amount, scaled_maintenance: int, thresholds_bps: tuple[int, ...]) -> int:
    """How many margin-ratio thresholds (basis points) maintenance / balance has reached; every one
    when the balance is gone."""
    if balance <= 0:
        return len(thresholds_bps)
    ratio, base = scaled_maintenance * 10_000, balance * SCALE
    level = 0
    for bps in thresholds_bps:
        if ratio >= bps * base:
            level += 1
    return level


def margin_call_levels(balance: Amount, scaled_maintenance: int) -> tuple[int, int]:
    """``(level, re-arm level)``: ``margin_call_level`` against the warning and the re-arm thresholds.
    A ratio under every threshold (an account's usual state) is answered with one comparison."""
    if balance > 0 and scaled_maintenance * 10_000 < QUIET_BELOW_BPS * balance * SCALE:
        return 0, 0
    return (
        margin_call_level(balance, scaled_maintenance, MARGIN_CALL_THRESHOLDS_BPS),
        margin_call_level(balance, scaled_maintenance, MARGIN_CALL_REARM_THRESHOLDS_BPS),
    )


def trading_fee_rate(instrument: Instrument) -> Rate:
    """The trading fee of a liquidation fill: the taker fee under ``LiquidationFee.TAKER``, else none."""
    return instrument.taker_fee if instrument.liquidation_fee is LiquidationFee.TAKER else 0


def liquidation_cost_rate(instrument: Instrument) -> Rate:
    """What a liquidation fill costs the liquidated account per unit of notional, under any model."""
    model = instrument.liquidation_fee
    if model is LiquidationFee.CLEARANCE:
        return instrument.liquidation_fee_rate
    return instrument.taker_fee if model is LiquidationFee.TAKER else 0


def partial_quantity(
    instrument: Instrument, position: Position, price: Ticks, margin_balance: Amount, other_maintenance: int
) -> Lots:
    """Lots to liquidate when stepping the position down one tier restores the account, else the
    whole position (reference 8.9: "reduce to the next lower tier and re-check").

    Target: the largest size whose notional fits under the current tier's floor; accepted when the
    account's margin balance (PnL at mark is unchanged by closing at mark) less the liquidation fee
    of the part sold ("margin compliant after ... liquidation fee deductions") then exceeds the
    smaller maintenance margin. Tier 1 positions always go whole.
    """
    size = abs(position.size)
    per_lot = price * instrument.notional_unit
    notional = size * per_lot
    bracket = bracket_for(instrument, notional)
    if bracket.floor == 0 or per_lot == 0:
        return size
    keep = bracket.floor // per_lot
    if keep <= 0 or keep >= size:
        return size
    cost = fee((size - keep) * per_lot, liquidation_cost_rate(instrument))
    if (margin_balance - cost) * SCALE > other_maintenance + scaled_maintenance(instrument, keep * per_lot):
        return size - keep
    return size


def worst_price(
    bankruptcy: Fraction, size: Lots, fund: Amount, notional_unit: Amount, tick_bounds: tuple[Ticks, Ticks]
) -> Ticks:
    """The limit of a liquidation order: the bankruptcy price moved by what the insurance fund can
    absorb over the whole quantity (a long may be sold that much lower, a short bought that much
    higher), rounded so the fund is never over-drawn and kept inside the price filter."""
    cushion = Fraction(max(0, fund), abs(size) * notional_unit)
    low, high = tick_bounds
    if size > 0:
        limit = bankruptcy - cushion
        ticks = -((-limit.numerator) // limit.denominator)
    else:
        limit = bankruptcy + cushion
        ticks = limit.numerator // limit.denominator
    return min(max(ticks, low), high)


def adl_ranking(candidates: Iterable[tuple[Ranked, MarketView, PositionView]]) -> list[Ranked]:
    """Opposing accounts (each with its opposing position: a hedge account's leg) in auto-deleverage
    order: highest Binance LeveragePnL first, ties by id. Losing positions score 0 (PnL% = max(0, uPnL)
    / wallet) and queue last: every opposing position is in the queue, so a bankrupt position can
    always be closed."""
    ranked: list[tuple[Fraction, int, Ranked]] = []
    for account, market, position in candidates:
        upnl, mm = _exposure(market, position)
        wallet = (
            position.isolated_wallet if account.settings[market.symbol].mode is MarginMode.ISOLATED else account.wallet
        )
        score = adl_score(upnl, wallet, -(-mm // SCALE), wallet + upnl)
        ranked.append((score, account.account_id, account))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [account for _, _, account in ranked]


def adl_light(rank: int, count: int) -> int:
    """The quantile shown for the 0-based place ``rank`` in an ADL queue of ``count`` positions:
    ``5 - floor(5 x rank / count)``, so rank / count in [0, 1/5) shows 5, ..., in [4/5, 1) shows 1.
    The front of every queue shows 5 (a lone position would be deleveraged first); the back shows 1
    only once the queue holds five positions or more.

    >>> adl_light(0, 1), [adl_light(r, 2) for r in range(2)], [adl_light(r, 3) for r in range(3)]
    (5, [5, 3], [5, 4, 2])
    >>> [adl_light(r, 10) for r in range(10)]
    [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    """
    return ADL_LIGHTS - rank * ADL_LIGHTS // count


def adl_quantiles(market: MarketView, holders: Iterable[AccountView]) -> dict[tuple[int, PositionSide], int]:
    """``(account_id, leg) -> 1..5``: where each trader's position on ``market`` (each hedge leg, LONG
    or SHORT; BOTH for a one-way position) stands in the ADL queue of its side, for display (Binance's
    five lights: quantile = rank / total users).

    Longs and shorts are queued apart, each in exactly the order ``adl_ranking`` gives a bankrupt
    opposite position: highest LeveragePnL first, equal scores by lower account id first, as they
    would be executed (so equal scores may show different lights). A losing position scores 0 and
    queues behind every profitable one. ``adl_light`` buckets the places. Flat positions are absent
    (0), and so are exchange-internal (non-liquidatable) accounts: they are the backstop after every
    trader, so they take no place in the traders' queue. A hedge account holding both legs is in both
    queues, each leg at its own place.

    Ranks every holder of the symbol (O(n log n)): for queries, never on the order or fill path.
    """
    symbol = market.symbol
    longs: list[tuple[AccountView, MarketView, PositionView]] = []
    shorts: list[tuple[AccountView, MarketView, PositionView]] = []
    for account in holders:
        if account.liquidatable:
            for position in (account.positions.get(symbol), account.short_legs.get(symbol)):
                if position and position.size:
                    (longs if position.size > 0 else shorts).append((account, market, position))
    quantiles: dict[tuple[int, PositionSide], int] = {}
    for side, hedge_leg in ((longs, LONG), (shorts, SHORT)):
        queue = adl_ranking(side)
        for rank, account in enumerate(queue):
            leg = hedge_leg if account.position_mode is HEDGE else BOTH
            quantiles[(account.account_id, leg)] = adl_light(rank, len(queue))
    return quantiles
