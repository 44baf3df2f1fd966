"""The market maker's decisions, pure: where the mid is, what to quote around it, and what to do with
the quotes already resting.

A maker quotes ``half_spread_bps`` either side of a reservation price, the mid shifted against its
inventory: long inventory moves both quotes down (its ask gets hit sooner, its bid later), so the
position mean-reverts. At ``max_inventory`` the shift is ``skew_bps``; in between it is proportional.
Sizes never let a fill push the position past ``max_inventory``, so the bid shrinks as a long grows.
Quotes are post-only: a bid is kept at least a tick below the best ask of others (and an ask above
their best bid) so that it rests instead of being refused.

>>> rules = QuoteRules(Decimal(10), Decimal("0.010"), Decimal("0.016"), Decimal(8), Decimal("0.1"),
...                    Decimal("0.001"), Decimal("0.001"), Decimal(100))
>>> [str(q.price) for q in quotes(Decimal(64900), Decimal(0), rules) if q]
['64835.1', '64964.9']
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from paperex.client.bots.grid import ceil_to, floor_to
from paperex.client.enums import Side

BPS = Decimal(10_000)
ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class QuoteRules:
    """The maker's settings in the instrument's terms (``tick_size`` ... ``min_notional`` come from
    ``instruments()``)."""

    half_spread_bps: Decimal
    size: Decimal
    max_inventory: Decimal
    skew_bps: Decimal
    tick_size: Decimal
    lot_size: Decimal
    min_quantity: Decimal
    min_notional: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    side: Side
    price: Decimal
    quantity: Decimal


class Action(Enum):
    """What to do with one side's resting quote to reach the target quote."""

    KEEP = "keep"
    PLACE = "place"
    AMEND = "amend"
    CANCEL = "cancel"


def external_best(levels: Iterable[tuple[Decimal, Decimal]], own: Mapping[Decimal, Decimal]) -> Decimal | None:
    """The best price of a book side once our own resting quantity is taken out of it.

    ``levels`` are (price, quantity) best first; ``own`` maps our prices to our resting quantities. A
    maker that took its own quotes for the market would chase itself: after skewing, its own bid would
    pull the mid down and skew it again.
    """
    for price, quantity in levels:
        if quantity > own.get(price, ZERO):
            return price
    return None


def reference_mid(best_bid: Decimal | None, best_ask: Decimal | None, fallback: Decimal | None) -> Decimal | None:
    """The book's mid when both sides have others' orders; otherwise ``fallback`` (the mark, else the
    index), since half a book says nothing about where the middle is."""
    if best_bid is not None and best_ask is not None and best_bid < best_ask:
        return (best_bid + best_ask) / 2
    return fallback


def moved_beyond(previous: Decimal, current: Decimal, threshold_bps: Decimal) -> bool:
    """True when ``current`` is more than ``threshold_bps`` away from ``previous``: small wiggles of the
    mid do not cost an amend (and a place in the queue)."""
    return abs(current - previous) * BPS > previous * threshold_bps


def quotes(
    mid: Decimal,
    position: Decimal,
    rules: QuoteRules,
    *,
    best_bid: Decimal | None = None,
    best_ask: Decimal | None = None,
) -> tuple[Quote | None, Quote | None]:
    """The (bid, ask) to rest around ``mid`` holding ``position`` (signed); None for a side that would
    breach the inventory limit or fall below the instrument's minimum size.

    ``best_bid``/``best_ask`` are others' best prices: the bid stays a tick under their ask and the ask
    a tick over their bid, so a post-only quote is not refused for crossing.
    """
    inventory = max(-ONE, min(ONE, position / rules.max_inventory))
    reservation = mid - mid * rules.skew_bps / BPS * inventory
    half_spread = mid * rules.half_spread_bps / BPS
    bid_price = floor_to(reservation - half_spread, rules.tick_size)
    ask_price = ceil_to(reservation + half_spread, rules.tick_size)
    if best_ask is not None and bid_price >= best_ask:
        bid_price = best_ask - rules.tick_size
    if best_bid is not None and ask_price <= best_bid:
        ask_price = best_bid + rules.tick_size
    bid_size = min(rules.size, rules.max_inventory - position)
    ask_size = min(rules.size, rules.max_inventory + position)
    return _quote(Side.BUY, bid_price, bid_size, rules), _quote(Side.SELL, ask_price, ask_size, rules)


def action(live: Quote | None, target: Quote | None, requote: bool) -> Action:
    """How to get from the resting quote to the target: amend rather than cancel and re-place (one
    message, the order keeps its ids), and leave a live quote alone unless it is time to requote."""
    if target is None:
        return Action.CANCEL if live is not None else Action.KEEP
    if live is None:
        return Action.PLACE
    if requote and (live.price, live.quantity) != (target.price, target.quantity):
        return Action.AMEND
    return Action.KEEP


def _quote(side: Side, price: Decimal, size: Decimal, rules: QuoteRules) -> Quote | None:
    quantity = floor_to(size, rules.lot_size)
    if price <= 0 or quantity < rules.min_quantity or quantity * price < rules.min_notional:
        return None
    return Quote(side, price, quantity)
