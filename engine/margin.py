"""Margin, liquidation, funding and fee formulas of Binance USD-M futures, as pure functions.

Every function here is a formula Binance publishes for USD-M futures, or one that follows from such a
formula where the docstring says "derived"; ``docs/margin.md`` describes the model they make up and what
paperex adds to it. Nothing here holds state or reads a clock:
the margin engine passes the figures in and decides what to do with the answers.

Units are the engine's (``paperex.engine.units``): prices in ticks, quantities in lots (a position's ``size``
is signed, long > 0), money as ``Amount`` (1e-8 USDT) and rates as ``Rate`` (1e-8). A position's cost
is its ``entry_notional`` (Amount, >= 0), so its entry price in ticks is
``entry_notional / (|size| x notional_unit)`` and nothing is rounded at entry.

Rounding. Money that is not a whole number of 1e-8 units is rounded *against the account*:
requirements, fees and payments round up (toward the venue), and the docstring says so. Prices that
are naturally fractional (liquidation, bankruptcy, entry) are returned exactly as ``Fraction`` ticks,
so the engine compares them with an integer mark without error; ``display_ticks``
rounds one to the tick only for showing it.
"""

import math
from fractions import Fraction
from typing import overload

from paperex.engine.instruments import Bracket, Instrument
from paperex.engine.units import SCALE, Amount, Lots, Rate, Ticks, ceil_div

ExactPrice = Ticks | Fraction
"""A price in ticks: whole for book prices and marks, a Fraction for derived prices."""

PREMIUM_CLAMP: Rate = 50_000
"""The +/-0.05% band around interest - premium in the funding formula."""

ONE_USDT: Amount = SCALE
"""The 1-USDT floor of the ADL ranking's wallet denominator."""


def _side(size: int) -> int:
    """+1 for a long (or a buy), -1 for a short (or a sell), 0 for nothing."""
    return (size > 0) - (size < 0)


# --- brackets and maintenance margin ---------------------------------------------------------------


def bracket_for(instrument: Instrument, notional: Amount | Fraction) -> Bracket:
    """The tier that holds ``notional``: the first whose ``(floor, cap]`` contains it.

    A notional of 0 is in tier 1. A notional above the last cap stays in the last tier (its rate
    applies to any larger notional; the position limit is ``max_notional_for``'s business).

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = DEFAULT_INSTRUMENTS["BTCUSDT"]
    >>> [bracket_for(btc, n * SCALE).max_leverage for n in (0, 50_000, 50_001, 250_000)]
    [125, 125, 100, 100]
    """
    for bracket in instrument.brackets:
        if notional <= bracket.cap:
            return bracket
    return instrument.brackets[-1]


def tier_maintenance(bracket: Bracket, notional: Amount | Fraction) -> Fraction:
    """Exact maintenance margin of ``notional`` on one tier's line: notional x mmr - cum.

    Used directly to check continuity (both tiers agree at a boundary because cum follows Binance's
    rule) and by the liquidation price, which tries each tier's line in turn.
    """
    return Fraction(notional) * bracket.mmr / SCALE - bracket.cum


def maintenance_margin_exact(instrument: Instrument, notional: Amount | Fraction) -> Fraction:
    """Exact maintenance margin, notional x MMR(tier) - cum(tier), with the tier of ``notional``.
    Takes a Fraction notional so the margin at a fractional liquidation price
    can be checked exactly; the engine's requirement is ``maintenance_margin``.
    """
    return tier_maintenance(bracket_for(instrument, notional), notional)


def maintenance_margin(instrument: Instrument, notional: Amount) -> Amount:
    """Maintenance margin in money units; rounded up, against the account.

    ``notional`` is |size| x mark in money units (the engine passes the position notional at mark).

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> maintenance_margin(DEFAULT_INSTRUMENTS["BTCUSDT"], 300_000 * SCALE) // SCALE  # 300,000 x 1% - 1,300
    1700
    """
    bracket = bracket_for(instrument, notional)
    return -((bracket.cum * SCALE - notional * bracket.mmr) // SCALE)  # the ceiling, in integers


# --- initial margin and leverage limits -------------------------------------------------------------


def initial_margin(notional: Amount, leverage: int) -> Amount:
    """Initial margin = notional / leverage; rounded up, against the account.

    Binance's FAQ shows 9,253.30 / 20 = 462.665 as 462.66 (display truncation); the stored figure here
    is the exact 462.665, and display is the edge's business.

    >>> initial_margin(925_330_000_000, 20)
    46266500000
    """
    if leverage < 1:
        raise ValueError(f"leverage must be at least 1, got {leverage}")
    return ceil_div(notional, leverage)


def max_leverage_for(instrument: Instrument, notional: Amount) -> int:
    """Highest leverage allowed for a position (plus open orders) of ``notional``:
    the ``max_leverage`` of the tier holding it.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> max_leverage_for(DEFAULT_INSTRUMENTS["BTCUSDT"], 1_000_001 * SCALE)
    20
    """
    return bracket_for(instrument, notional).max_leverage


def max_notional_for(instrument: Instrument, leverage: int) -> Amount:
    """Position limit at a chosen leverage (Binance's "maxNotionalValue"): the largest
    cap among tiers whose ``max_leverage`` >= ``leverage``; 0 when the leverage exceeds every tier.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> max_notional_for(DEFAULT_INSTRUMENTS["BTCUSDT"], 20) // SCALE
    10000000
    """
    if leverage < 1:
        raise ValueError(f"leverage must be at least 1, got {leverage}")
    return max((b.cap for b in instrument.brackets if b.max_leverage >= leverage), default=0)


# --- PnL, fees and order cost -----------------------------------------------------------------------


def entry_price(size: Lots, entry_notional: Amount, notional_unit: Amount) -> Fraction:
    """Exact average entry price in ticks: entry_notional / (|size| x notional_unit)."""
    if size == 0:
        raise ValueError("a flat position has no entry price")
    return Fraction(entry_notional, abs(size) * notional_unit)


@overload
def unrealized_pnl(size: Lots, entry_notional: Amount, mark_ticks: Ticks, notional_unit: Amount) -> Amount: ...
@overload
def unrealized_pnl(size: Lots, entry_notional: Amount, mark_ticks: Fraction, notional_unit: Amount) -> Fraction: ...
def unrealized_pnl(
    size: Lots, entry_notional: Amount, mark_ticks: ExactPrice, notional_unit: Amount
) -> Amount | Fraction:
    """Unrealized PnL = size x (mark - entry), i.e. the signed notional at mark minus
    the signed cost. Exact: an integer for an integer mark, a Fraction for a fractional price (used to
    check liquidation and bankruptcy prices).

    >>> unrealized_pnl(-2, 300, 140, 1), unrealized_pnl(2, 300, 140, 1)
    (20, -20)
    """
    signed_cost = entry_notional if size > 0 else -entry_notional if size else 0  # _side(size) x cost, no call
    return size * mark_ticks * notional_unit - signed_cost


def fee(notional: Amount, rate: Rate) -> Amount:
    """Commission = notional x fee rate; rounded up, against the payer.

    >>> fee(10_104 * SCALE, 50_000)  # taker 0.05% on 10,104 USDT = 5.052
    505200000
    """
    return ceil_div(notional * rate, SCALE)


def open_loss(side_sign: int, lots: Lots, order_price_ticks: Ticks, mark_ticks: Ticks, notional_unit: Amount) -> Amount:
    """Open loss = qty x |min(0, direction x (mark - order price))|: a buy above the mark
    or a sell below it carries the gap as an immediate loss. Exact, no rounding needed.

    >>> open_loss(-1, 1000, 925_330, 925_984, 1000)  # sell 1 @ 9,253.30 with mark 9,259.84: 6.54
    654000000
    """
    if side_sign not in (1, -1):
        raise ValueError(f"side_sign must be +1 or -1, got {side_sign}")
    return lots * notional_unit * max(0, side_sign * (order_price_ticks - mark_ticks))


def order_cost(
    instrument: Instrument,
    side_sign: int,
    lots: Lots,
    order_price_ticks: Ticks,
    mark_ticks: Ticks,
    leverage: int,
    *,
    include_taker_fee: bool = False,
) -> Amount:
    """Pre-trade cost of an opening order: initial margin at the order price
    plus open loss, plus the taker fee on the order notional when ``include_taker_fee`` (paperex's
    check; Binance's own cost excludes fees). Rounded up, against the account (IM and fee round up).

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = DEFAULT_INSTRUMENTS["BTCUSDT"]  # buy 1 BTC @ 10,000 at 10x, mark 9,990: IM 1,000 + loss 10
    >>> order_cost(btc, 1, 1000, 100_000, 99_900, 10) / SCALE
    1010.0
    """
    notional = instrument.notional(order_price_ticks, lots)
    cost = initial_margin(notional, leverage)
    cost += open_loss(side_sign, lots, order_price_ticks, mark_ticks, instrument.notional_unit)
    if include_taker_fee:
        cost += fee(notional, instrument.taker_fee)
    return cost


# --- liquidation and bankruptcy prices -----------------------------------------------------------------


def liquidation_price(
    instrument: Instrument,
    size: Lots,
    entry_notional: Amount,
    wallet: Amount,
    other_maintenance: Amount = 0,
    other_upnl: Amount = 0,
    collateral_per_tick: Fraction = Fraction(0),
) -> Fraction | None:
    """Binance one-way liquidation price in exact ticks, the price where margin balance
    equals maintenance margin; None when there is no positive one (shown as "--").

    LP = (WB - TMM + UPNL + cum - side x Q x EP) / (Q x MMR - side x Q). In engine units Q x EP is
    ``entry_notional`` and a price P (ticks) has notional Q x P x notional_unit, so
    P = SCALE x (WB - TMM + UPNL + cum - side x entry_notional) / (Q x unit x (mmr - side x SCALE)).
    Cross: ``wallet`` is the cross wallet, ``other_*`` the other positions' MM and uPnL at their
    marks. Isolated: ``wallet`` is the isolated wallet and the other terms are 0. In Multi-Assets mode
    collateral priced by this symbol moves with it: its margin value is ``collateral_per_tick`` x P
    (money units per tick, left out of ``wallet``), which joins the denominator:
    P = SCALE x (free + cum) / (Q x unit x (mmr - side x SCALE) - SCALE x c).

    It is ``hedged_liquidation_price`` with one leg: the tier is re-selected at the liquidation price,
    tiers tried from 1 up, the first whose [floor, cap] holds Q x LP (with LP > 0) accepted; the last
    tier extends without a cap. Because MM is continuous and margin balance - MM is strictly monotone in
    price (mmr < 1), that root is unique, so the first match is the answer.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = DEFAULT_INSTRUMENTS["BTCUSDT"]  # long 1 BTC @ 10,000, isolated wallet 200, tier 1 0.4%
    >>> lp = liquidation_price(btc, 1000, 10_000 * SCALE, 200 * SCALE)
    >>> float(lp / 10)  # (200 - 10,000) / (0.004 - 1) = 9,839.357...
    9839.357429718875
    """
    if size == 0:
        return None
    legs = (size, entry_notional, 0, 0) if size > 0 else (0, 0, size, entry_notional)
    return hedged_liquidation_price(instrument, *legs, wallet, other_maintenance, other_upnl, collateral_per_tick)


def hedged_liquidation_price(
    instrument: Instrument,
    long_size: Lots,
    long_entry: Amount,
    short_size: Lots,
    short_entry: Amount,
    wallet: Amount,
    other_maintenance: Amount = 0,
    other_upnl: Amount = 0,
    collateral_per_tick: Fraction = Fraction(0),
) -> Fraction | None:
    """The one liquidation price two cross hedge legs of a symbol share (reference 1.7 with both legs;
    ``short_size`` is negative), exact ticks; None when there is no positive one. In Multi-Assets mode
    ``collateral_per_tick`` joins the denominator as in ``liquidation_price``.

    LP = (WB - TMM + UPNL + cumL + cumS - QL x EPL + QS x EPS) / (QL x MMRL + QS x MMRS - QL + QS), so
    P = SCALE x (WB - TMM + UPNL + cumL + cumS - long_entry + short_entry) /
        (unit x (QL x (mmrL - SCALE) + QS x (mmrS + SCALE))).
    Each leg's tier is the one its own notional at the price falls in: every pair of tiers is tried
    and the one whose price both legs' notionals agree with is the answer.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = DEFAULT_INSTRUMENTS["BTCUSDT"]  # long 1 @ 10,000 and short 0.5 @ 10,000, wallet 600, 0.4%
    >>> lp = hedged_liquidation_price(btc, 1000, 10_000 * SCALE, -500, 5_000 * SCALE, 600 * SCALE)
    >>> float(lp / 10)  # (600 - 10,000 + 5,000) / (1 x 0.004 + 0.5 x 0.004 - 1 + 0.5) = 8,906.882...
    8906.882591093117
    """
    unit, long_q, short_q = instrument.notional_unit, long_size, -short_size
    free = wallet - other_maintenance + other_upnl - long_entry + short_entry
    brackets, last = instrument.brackets, len(instrument.brackets) - 1
    for i, long_bracket in enumerate(brackets if long_q else brackets[:1]):
        for j, short_bracket in enumerate(brackets if short_q else brackets[:1]):
            cum = (long_bracket.cum if long_q else 0) + (short_bracket.cum if short_q else 0)
            top = SCALE * (free + cum)
            bottom = (
                unit * (long_q * (long_bracket.mmr - SCALE) + short_q * (short_bracket.mmr + SCALE))
                - SCALE * collateral_per_tick
            )
            if bottom < 0:
                top, bottom = -top, -bottom
            if top <= 0 or bottom == 0:
                continue
            fits = all(
                bracket.floor * bottom <= q * unit * top and (q * unit * top <= bracket.cap * bottom or index == last)
                for q, bracket, index in ((long_q, long_bracket, i), (short_q, short_bracket, j))
                if q
            )
            if fits:
                return top / Fraction(bottom)
    return None


def bankruptcy_price(
    size: Lots,
    entry_notional: Amount,
    wallet_plus_other_upnl: Amount,
    notional_unit: Amount,
    collateral_per_tick: Fraction = Fraction(0),
) -> Fraction | None:
    """Price (exact ticks) where the margin balance is zero (derived):
    BP = EP - side x (WB + UPNL_other) / Q. Isolated: pass the isolated wallet. Cross: the cross
    wallet plus the other positions' uPnL (held at their marks). None when it is not positive (a long
    fully paid for cannot go bankrupt). Collateral moving with the price (``liquidation_price``) makes it
    (side x entry - WB - UPNL_other) / (side x Q x unit + c).

    >>> bankruptcy_price(1000, 10_000 * SCALE, 200 * SCALE, 10_000)  # Bybit: 10,000 x (1 - 1/50)
    Fraction(98000, 1)
    """
    if size == 0:
        return None
    side = _side(size)
    slope = side * abs(size) * notional_unit + collateral_per_tick
    if not slope:
        return None
    price = (side * entry_notional - wallet_plus_other_upnl) / Fraction(slope)
    return price if price > 0 else None


def display_ticks(price: Fraction, size: Lots) -> Ticks:
    """A liquidation or bankruptcy price rounded to the tick for display: a long's
    rounds up, a short's down (Bybit's published examples), i.e. toward the entry: the shown price is
    reached no later than the exact one. Comparisons with the mark use the exact Fraction.

    >>> display_ticks(Fraction(19699, 2), 1), display_ticks(Fraction(19699, 2), -1)  # 9,849.5 ticks
    (9850, 9849)
    """
    if size == 0:
        raise ValueError("a flat position has no price to display")
    return math.ceil(price) if size > 0 else math.floor(price)


# --- funding ------------------------------------------------------------------------------------------


def premium_index(impact_bid: ExactPrice, impact_ask: ExactPrice, index: ExactPrice) -> Fraction:
    """Premium P = [max(0, impact bid - index) - max(0, index - impact ask)] / index,
    as an exact unscaled fraction (the time-weighted average is the caller's).

    >>> premium_index(10_005, 10_006, 10_000)
    Fraction(1, 2000)
    """
    if index <= 0:
        raise ValueError(f"index must be positive, got {index}")
    return (max(Fraction(0), Fraction(impact_bid) - index) - max(Fraction(0), index - Fraction(impact_ask))) / index


def funding_rate(
    premium: Fraction,
    interest: Rate,
    cap: Rate,
    floor: Rate,
    interval_hours: int = 8,
    *,
    clamp: Rate = PREMIUM_CLAMP,
) -> Rate:
    """Funding rate for one interval: F = P + clamp(I - P, -0.05%, +0.05%),
    clamped to the instrument's [floor, cap], then scaled by N/8 for an N-hour interval.

    ``premium`` is unscaled (a Fraction such as 1/2000); ``interest`` is per 8 hours. The rate is not
    money and applies to both sides, so it is rounded to the nearest 1e-8 (ties to even), the
    precision venues publish; money rounding happens in ``funding_payment``.

    >>> funding_rate(Fraction(3, 10_000), 10_000, 300_000, -300_000)  # 0.03% premium -> 0.01%
    10000
    """
    if interval_hours < 1:
        raise ValueError(f"interval_hours must be at least 1, got {interval_hours}")
    scaled = premium * SCALE
    spread: Fraction = min(max(interest - scaled, Fraction(-clamp)), Fraction(clamp))
    eight_hour: Fraction = min(max(scaled + spread, Fraction(floor)), Fraction(cap))
    return round(eight_hour * interval_hours / 8)


def funding_payment(size: Lots, mark_ticks: Ticks, notional_unit: Amount, rate: Rate) -> Amount:
    """Funding = size x mark x rate, positive when the position pays (a long when the
    rate is positive). Rounded up, against the account: a payer pays the rounded-up amount, a
    receiver gets the rounded-down one, so the sub-unit remainder stays with the venue.

    >>> funding_payment(1000, 100_000, 10_000, 10_000), funding_payment(-1000, 100_000, 10_000, 10_000)
    (100000000, -100000000)
    """
    return ceil_div(size * mark_ticks * notional_unit * rate, SCALE)


# --- ranking and ratios -------------------------------------------------------------------------------


def margin_ratio(maintenance: Amount, margin_balance: Amount) -> Fraction | None:
    """Margin ratio = maintenance margin / margin balance; liquidation at >= 1.
    None when the margin balance is not positive (the ratio is unbounded: liquidate).

    >>> margin_ratio(50, 200)
    Fraction(1, 4)
    """
    if margin_balance <= 0:
        return None
    return Fraction(maintenance, margin_balance)


def adl_score(upnl: Amount, wallet: Amount, maintenance: Amount, margin_balance: Amount) -> Fraction:
    """Binance ADL ranking "LeveragePnL", exact:
    PnL% = max(0, uPnL) / max(1 USDT, wallet); marginRatio = MM / margin balance (0 when the balance
    is not positive); score = PnL% x marginRatio. Higher ranks first.

    >>> adl_score(500 * SCALE, 1000 * SCALE, 30 * SCALE, 1500 * SCALE)  # 0.5 x 0.02
    Fraction(1, 100)
    """
    pnl_share = Fraction(max(0, upnl), max(ONE_USDT, wallet))
    ratio = Fraction(maintenance, margin_balance) if margin_balance > 0 else Fraction(0)
    return pnl_share * ratio
