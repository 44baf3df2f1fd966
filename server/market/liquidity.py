"""The built-in liquidity provider's decisions: what to quote and which commands
get the book there. Pure: no asyncio, no I/O, no clock (the host passes ``now_ns``), no randomness, so
the same calls give the same commands and a journal replay rebuilds the same book.

The host owns the plumbing: it creates the LP's account (a big deposit, kept out of user listings and
out of liquidation by the host and the engine), sequences the commands ``quote`` returns like any
other, and feeds ``observe`` the events of *every* applied command, since the LP's quotes are filled by
other accounts' orders. Driven synchronously (observe each command's events before the next
``quote``), the LP's belief is exact; late or reordered delivery is tolerated (see ``observe``).

Why plain GTC limits, not post-only: a market maker re-centering on a moved index trades with any user
order already inside its new quote, as a real one would (it takes that liquidity and pays the taker
fee), and the book stays two-sided. ``QuoteConfig.post_only`` switches to GTX for a venue that wants the
LP never to take; the engine then refuses or cancels a crossing quote and the LP waits (see below).

Refusals never loop: a command the engine refuses, or a quote it ends without a fill the LP did not ask
for (post-only cancel, self-trade expiry, ...), is dropped from the belief *without* asking for a new
quote. The LP tries again only on its regular triggers (index move past the threshold, refresh interval,
regime change, or a fill of one of its quotes), so a persistent refusal costs at most one attempt per
trigger, never a tight loop. ``refusals(symbol)`` counts them for the host to report.
"""

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from paperex.engine.commands import AmendOrder, CancelAllOrders, CancelOrder, Command, PlaceOrder
from paperex.engine.events import (
    DuplicatePlaceIgnored,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from paperex.engine.instruments import Instrument
from paperex.engine.orders import OrderStatus, OrderType, Side, TimeInForce
from paperex.engine.reasons import RejectReason
from paperex.engine.units import Lots, Ticks, ceil_div
from paperex.engine.validation import band_limit

BPS = 10_000
NS_PER_SECOND = 1_000_000_000
MAX_LEVELS = 100
"""Levels per side; two sides stay within the engine's 200 open orders per account and symbol."""

BUY, SELL = Side.BUY, Side.SELL
_OPEN_STATUSES = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED})
_OWN_EVENTS = (
    OrderFilled,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderRejected,
    DuplicatePlaceIgnored,
)
"""The events that can concern the LP's own orders; everything else passes by."""


@dataclass(frozen=True, slots=True)
class Regime:
    """Multipliers a scenario applies to the normal ladder. ``spread`` stretches the half-spread and
    the level spacing (the whole book widens, not just the touch); ``depth`` scales every level's size."""

    spread: Decimal = Decimal(1)
    depth: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if not (self.spread > 0 and self.depth > 0):
            raise ValueError(f"regime multipliers must be positive: {self}")


NORMAL = Regime()
STRESSED = Regime(spread=Decimal(5), depth=Decimal("0.2"))
"""A crash or a drought: spread x5, depth x0.2."""


@dataclass(frozen=True, slots=True)
class QuoteConfig:
    """One instrument's ladder and re-quote policy.

    Level ``i`` (0 = best) sits ``(half_spread_bps + i x level_spacing_bps) x regime.spread`` basis
    points from the index, bids rounded down and asks up to the tick, and holds
    ``base_qty x size_growth**i x regime.depth`` (base-asset units, rounded down to the lot and raised
    to the instrument's minimum quantity and notional). Sizes are in base units rather than notional so
    an index move does not resize unchanged levels: what did not move is not touched.

    ``quote`` does nothing while the index stays within ``requote_bps`` of the last quoted index and
    ``refresh_ns`` has not passed since the last quote (unless a quote was filled or the regime
    changed). ``stressed`` is the regime a scenario applies in a crash or a drought.
    """

    half_spread_bps: Decimal = Decimal(2)
    levels: int = 10
    level_spacing_bps: Decimal = Decimal(2)
    base_qty: Decimal = Decimal("0.1")
    size_growth: Decimal = Decimal("1.25")
    requote_bps: Decimal = Decimal(2)
    refresh_ns: int = 60 * NS_PER_SECOND
    stressed: Regime = STRESSED
    post_only: bool = False

    def __post_init__(self) -> None:
        if not self.half_spread_bps > 0:
            raise ValueError("half_spread_bps must be positive, or the best bid and ask could touch")
        if not 1 <= self.levels <= MAX_LEVELS:
            raise ValueError(f"levels must be between 1 and {MAX_LEVELS}")
        if self.level_spacing_bps < 0 or self.requote_bps < 0 or self.refresh_ns < 0:
            raise ValueError("level_spacing_bps, requote_bps and refresh_ns cannot be negative")
        if not (self.base_qty > 0 and self.size_growth > 0):
            raise ValueError("base_qty and size_growth must be positive")


DEFAULT_QUOTE_CONFIGS: Mapping[str, QuoteConfig] = MappingProxyType(
    {
        # ~6,490 USDT at the touch, 3.323 BTC (~216k USDT) per side over 2..20 bps.
        "BTCUSDT": QuoteConfig(base_qty=Decimal("0.1")),
        # ~5,580 USDT at the touch, 99.69 ETH (~185k USDT) per side over 2..20 bps.
        "ETHUSDT": QuoteConfig(base_qty=Decimal(3)),
    }
)


class LadderLevel(NamedTuple):
    side: Side
    price: Ticks
    lots: Lots


@lru_cache(maxsize=256)
def _terms(config: QuoteConfig, regime: Regime, lot_size: Decimal) -> tuple[tuple[int, int, Fraction], ...]:
    """Per level: distance from the index as numerator/denominator of a fraction of it, and the exact
    size in lots before rounding (cached: the same config and regime are used for every re-quote)."""
    base = Fraction(config.base_qty) / Fraction(lot_size) * Fraction(regime.depth)
    growth = Fraction(config.size_growth)
    terms = []
    for level in range(config.levels):
        bps = (Fraction(config.half_spread_bps) + level * Fraction(config.level_spacing_bps)) * Fraction(regime.spread)
        distance = bps / BPS
        terms.append((distance.numerator, distance.denominator, base * growth**level))
    return tuple(terms)


def _lots(instrument: Instrument, price: Ticks, size: Fraction) -> Lots:
    """The size rounded down to the lot, raised to what the engine's filters accept at ``price``."""
    lots = size.numerator // size.denominator
    need = ceil_div(instrument.min_notional, price * instrument.notional_unit)
    lots = max(lots, instrument.min_qty, need)
    return min(lots, instrument.max_qty)


def ladder(
    instrument: Instrument,
    index_ticks: Ticks,
    config: QuoteConfig,
    regime: Regime = NORMAL,
    *,
    band_reference: Ticks = 0,
) -> list[LadderLevel]:
    """The target ladder around ``index_ticks``: bids best first, then asks best first.

    Prices are strictly monotone per side (a level that would round onto its neighbour moves one tick
    further out), so bids < index < asks. Levels the engine would refuse are left out: outside the
    instrument's price bounds, or beyond the price band around ``band_reference`` (the mark; the index
    when 0), i.e. bids above reference x 1.05 and asks below reference x 0.95.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> ladder(DEFAULT_INSTRUMENTS["BTCUSDT"], 649_000, QuoteConfig(levels=1))
    [LadderLevel(side=<Side.BUY: 1>, price=648870, lots=100), LadderLevel(side=<Side.SELL: -1>, price=649130, lots=100)]
    """
    if index_ticks <= 0:
        raise ValueError(f"index must be a positive number of ticks: {index_ticks}")
    reference = band_reference or index_ticks
    bid_cap = min(band_limit(instrument, BUY, reference), instrument.max_price)
    ask_floor = max(band_limit(instrument, SELL, reference), instrument.min_price)
    min_price, max_price = instrument.min_price, instrument.max_price
    bids: list[LadderLevel] = []
    asks: list[LadderLevel] = []
    previous_bid = previous_ask = index_ticks
    for numerator, denominator, size in _terms(config, regime, instrument.lot_size):
        bid = min(index_ticks * (denominator - numerator) // denominator, previous_bid - 1)
        ask = max(ceil_div(index_ticks * (denominator + numerator), denominator), previous_ask + 1)
        previous_bid, previous_ask = bid, ask
        if min_price <= bid <= bid_cap:
            bids.append(LadderLevel(BUY, bid, _lots(instrument, bid, size)))
        if ask_floor <= ask <= max_price:
            asks.append(LadderLevel(SELL, ask, _lots(instrument, ask, size)))
    return bids + asks


@dataclass(slots=True)
class Quote:
    """One order the LP believes rests in the book: ``lots`` is its remaining quantity, ``filled`` what
    traded so far (an amend sends the *total* quantity, filled + wanted remaining). ``confirmed_*`` is
    the last state the engine reported, restored when an amend is refused."""

    side: Side
    price: Ticks
    lots: Lots
    client_order_id: str
    order_id: int = 0
    filled: Lots = 0
    confirmed_price: Ticks = 0
    confirmed_lots: Lots = 0


@dataclass(slots=True)
class _Market:
    """The LP's state for one instrument."""

    instrument: Instrument
    config: QuoteConfig
    enabled: bool
    quotes: dict[str, Quote] = field(default_factory=dict)
    by_order_id: dict[int, str] = field(default_factory=dict)
    orphans: dict[int, None] = field(default_factory=dict)
    serial: int = 0
    started: bool = False
    last_index: Ticks = 0
    last_ns: int = 0
    last_regime: Regime | None = None
    dirty: bool = False
    refusals: int = 0
    threshold: Fraction = Fraction(0)


def _best_first(side: Side, price: Ticks) -> int:
    return -price if side is BUY else price


class LiquidityProvider:
    """An internal market maker quoting every configured instrument from one account."""

    def __init__(
        self,
        account_id: int,
        instruments: Mapping[str, Instrument],
        configs: Mapping[str, QuoteConfig] = DEFAULT_QUOTE_CONFIGS,
        *,
        enabled: bool = True,
    ) -> None:
        self.account_id = account_id
        self._markets: dict[str, _Market] = {}
        for symbol, config in configs.items():
            if symbol in instruments:
                market = _Market(instruments[symbol], config, enabled)
                market.threshold = Fraction(config.requote_bps) / BPS
                self._markets[symbol] = market

    # ------------------------------------------------------------------ queries

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._markets)

    def config(self, symbol: str) -> QuoteConfig:
        return self._markets[symbol].config

    def enabled(self, symbol: str) -> bool:
        return self._markets[symbol].enabled

    def resting(self, symbol: str) -> list[Quote]:
        """Copies of the quotes the LP believes rest in ``symbol``: bids best first, then asks."""
        quotes = sorted(self._markets[symbol].quotes.values(), key=lambda q: (-q.side, _best_first(q.side, q.price)))
        return [replace(q) for q in quotes]

    def refusals(self, symbol: str) -> int:
        """Commands refused and quotes ended by the engine without the LP asking (see the module doc)."""
        return self._markets[symbol].refusals

    # ------------------------------------------------------------------ control

    def set_enabled(self, symbol: str, enabled: bool, now_ns: int = 0) -> list[Command]:
        """Switch one instrument on or off; off pulls every quote at once (one CancelAllOrders)."""
        market = self._markets[symbol]
        if enabled == market.enabled:
            return []
        market.enabled = enabled
        market.last_index = 0
        if enabled:
            return []
        market.quotes.clear()
        market.by_order_id.clear()
        market.orphans.clear()
        return [CancelAllOrders(account_id=self.account_id, symbol=symbol, ts=now_ns)]

    def configure(self, symbol: str, config: QuoteConfig) -> None:
        """Replace one instrument's config; the next ``quote`` re-quotes to it."""
        market = self._markets[symbol]
        market.config = config
        market.threshold = Fraction(config.requote_bps) / BPS
        market.last_index = 0

    # ------------------------------------------------------------------ quoting

    def quote(
        self, symbol: str, index_ticks: Ticks, now_ns: int, regime: Regime = NORMAL, *, mark_ticks: Ticks = 0
    ) -> list[Command]:
        """Commands that bring the LP's book in ``symbol`` to the ladder around ``index_ticks``, or []
        when nothing is due: the index moved less than ``requote_bps`` since the last quote, the refresh
        interval has not passed, no quote was filled and the regime is the same. ``mark_ticks`` anchors
        the price band (the engine's reference); 0 uses the index.

        The first quote of a run starts with CancelAllOrders, clearing whatever an earlier run left.
        The diff is minimal in commands: identical levels are kept, every other resting quote is
        amended onto a remaining target (same price first, then best to best), and only the surplus is
        cancelled or placed. Order matters so the LP never meets itself: cancels, then amends moving
        away from the other side (and quantity-only ones), then amends moving toward it and placements.
        """
        market = self._markets[symbol]
        if not market.enabled or not self._due(market, index_ticks, now_ns, regime):
            return []
        target = ladder(market.instrument, index_ticks, market.config, regime, band_reference=mark_ticks)
        commands: list[Command] = []
        if not market.started:
            market.started = True
            commands.append(CancelAllOrders(account_id=self.account_id, symbol=symbol, ts=now_ns))
        for order_id in market.orphans:
            commands.append(CancelOrder(account_id=self.account_id, symbol=symbol, order_id=order_id, ts=now_ns))
        market.orphans.clear()
        commands += self._reconcile(market, target, now_ns)
        market.last_index, market.last_ns, market.last_regime, market.dirty = index_ticks, now_ns, regime, False
        return commands

    def _due(self, market: _Market, index: Ticks, now_ns: int, regime: Regime) -> bool:
        last = market.last_index
        if not last or market.dirty or market.orphans or regime != market.last_regime:
            return True
        if now_ns - market.last_ns >= market.config.refresh_ns:
            return True
        threshold = market.threshold
        return abs(index - last) * threshold.denominator >= threshold.numerator * last

    def _reconcile(self, market: _Market, target: list[LadderLevel], now_ns: int) -> list[Command]:
        """Match resting quotes to target levels with the fewest commands (see ``quote``)."""
        cancels: list[Quote] = []
        amends: list[tuple[Quote, Ticks, Lots]] = []
        places: list[tuple[int, LadderLevel]] = []
        max_qty = market.instrument.max_qty
        for side in (BUY, SELL):
            wanted = [level for level in target if level.side is side]
            have = [q for q in market.quotes.values() if q.side is side]
            exact: dict[tuple[Ticks, Lots], list[Quote]] = {}
            for q in have:
                exact.setdefault((q.price, q.lots), []).append(q)
            unmatched: list[tuple[int, LadderLevel]] = []
            kept: set[int] = set()
            for number, level in enumerate(wanted):
                bucket = exact.get((level.price, level.lots))
                if bucket:
                    kept.add(id(bucket.pop(0)))
                else:
                    unmatched.append((number, level))
            spare = [q for q in have if id(q) not in kept]
            at_price: dict[Ticks, list[Quote]] = {}
            for q in spare:
                at_price.setdefault(q.price, []).append(q)
            still: list[tuple[int, LadderLevel]] = []
            for number, level in unmatched:
                bucket = at_price.get(level.price)
                if bucket:
                    q = bucket.pop(0)
                    kept.add(id(q))
                    amends.append((q, level.price, level.lots))
                else:
                    still.append((number, level))
            spare = sorted((q for q in spare if id(q) not in kept), key=lambda q: _best_first(side, q.price))
            still.sort(key=lambda item: _best_first(side, item[1].price))
            for q, (_, level) in zip(spare, still, strict=False):
                amends.append((q, level.price, level.lots))
            cancels += spare[len(still) :]
            places += still[len(spare) :]
        # An amend whose total (filled + wanted) would pass the lot filter becomes cancel + place.
        for q, price, lots in amends:
            if q.filled + lots > max_qty:
                cancels.append(q)
                places.append((0, LadderLevel(q.side, price, lots)))
        amends = [a for a in amends if a[0].filled + a[2] <= max_qty]
        return self._commands(market, cancels, amends, places, now_ns)

    def _commands(
        self,
        market: _Market,
        cancels: list[Quote],
        amends: list[tuple[Quote, Ticks, Lots]],
        places: list[tuple[int, LadderLevel]],
        now_ns: int,
    ) -> list[Command]:
        """Emit the plan in a self-crossing-free order and apply it to the belief at once, so a second
        ``quote`` before the events arrive does not repeat it."""
        account, symbol = self.account_id, market.instrument.symbol
        commands: list[Command] = []
        if len(cancels) >= 2 and len(cancels) == len(market.quotes):
            commands.append(CancelAllOrders(account_id=account, symbol=symbol, ts=now_ns))
        else:
            for q in cancels:
                order_id, client_order_id = self._ref(q)
                commands.append(
                    CancelOrder(
                        account_id=account,
                        symbol=symbol,
                        order_id=order_id,
                        client_order_id=client_order_id,
                        ts=now_ns,
                    )
                )
        for q in cancels:
            del market.quotes[q.client_order_id]
            market.by_order_id.pop(q.order_id, None)
        away = [a for a in amends if (a[1] - a[0].price) * a[0].side <= 0]
        toward = [a for a in amends if (a[1] - a[0].price) * a[0].side > 0]
        for q, price, lots in away + toward:
            order_id, client_order_id = self._ref(q)
            commands.append(
                AmendOrder(
                    account_id=account,
                    symbol=symbol,
                    order_id=order_id,
                    client_order_id=client_order_id,
                    quantity=q.filled + lots if lots != q.lots else 0,
                    price=price if price != q.price else 0,
                    ts=now_ns,
                )
            )
            q.price, q.lots = price, lots
        tif = TimeInForce.GTX if market.config.post_only else TimeInForce.GTC
        base = market.instrument.base
        for number, level in places:
            market.serial += 1
            side_code = "b" if level.side is BUY else "a"
            client_order_id = f"lp-{base}-{side_code}-{number}-{market.serial}"
            market.quotes[client_order_id] = Quote(
                level.side,
                level.price,
                level.lots,
                client_order_id,
                confirmed_price=level.price,
                confirmed_lots=level.lots,
            )
            commands.append(
                PlaceOrder(
                    account_id=account,
                    symbol=symbol,
                    side=level.side,
                    order_type=OrderType.LIMIT,
                    quantity=level.lots,
                    price=level.price,
                    time_in_force=tif,
                    client_order_id=client_order_id,
                    ts=now_ns,
                )
            )
        return commands

    @staticmethod
    def _ref(q: Quote) -> tuple[int, str]:
        """Address an order by its engine id once known, else by its client id (valid while open)."""
        return (q.order_id, "") if q.order_id else (0, q.client_order_id)

    # ------------------------------------------------------------------ observing

    def observe(self, events: Iterable[Event]) -> None:
        """Update the belief from engine events (all of them: other accounts' orders fill the LP's).

        Accepted assigns the engine id; a fill reduces or removes a quote and asks for a re-quote
        (replenish); an amend confirms price and size; a cancel or expiry the LP did not ask for, and a
        refused command, drop or restore the quote without asking for one (no refusal loop). An own
        open order the LP does not know (a retried client id) is cancelled at the next ``quote``.
        """
        account = self.account_id
        markets = self._markets
        for event in events:
            if not isinstance(event, _OWN_EVENTS) or event.account_id != account:
                continue
            market = markets.get(event.symbol)
            if market is None:
                continue
            if isinstance(event, OrderFilled):
                self._filled(market, event)
            elif isinstance(event, OrderAccepted):
                self._accepted(market, event)
            elif isinstance(event, OrderAmended):
                self._amended(market, event)
            elif isinstance(event, OrderRejected):
                self._rejected(market, event)
            elif isinstance(event, DuplicatePlaceIgnored):
                self._duplicate(market, event)
            else:
                self._ended(market, event.order_id)

    def _filled(self, market: _Market, event: OrderFilled) -> None:
        client_order_id = market.by_order_id.get(event.order_id)
        q = market.quotes.get(client_order_id) if client_order_id else None
        if q is None:
            if event.remaining == 0:
                market.by_order_id.pop(event.order_id, None)
                market.orphans.pop(event.order_id, None)
            return
        q.filled, q.lots, q.confirmed_lots = event.filled, event.remaining, event.remaining
        market.dirty = True
        if event.remaining == 0:
            del market.quotes[q.client_order_id]
            del market.by_order_id[event.order_id]

    def _accepted(self, market: _Market, event: OrderAccepted) -> None:
        q = market.quotes.get(event.client_order_id) if event.client_order_id else None
        if q is None:
            if not event.liquidation and event.order_type is OrderType.LIMIT:
                market.orphans[event.order_id] = None
            return
        q.order_id = event.order_id
        q.confirmed_price, q.confirmed_lots = event.price, event.quantity
        market.by_order_id[event.order_id] = q.client_order_id

    def _amended(self, market: _Market, event: OrderAmended) -> None:
        client_order_id = market.by_order_id.get(event.order_id)
        q = market.quotes.get(client_order_id) if client_order_id else None
        if q is None:
            return
        lots = event.quantity - q.filled
        if (q.price, q.lots) != (event.price, lots):
            market.dirty = True
        q.price = q.confirmed_price = event.price
        q.lots = q.confirmed_lots = lots

    def _ended(self, market: _Market, order_id: int) -> None:
        market.orphans.pop(order_id, None)
        client_order_id = market.by_order_id.pop(order_id, None)
        if client_order_id is not None and market.quotes.pop(client_order_id, None) is not None:
            market.refusals += 1

    def _find(self, market: _Market, order_id: int, client_order_id: str) -> Quote | None:
        if order_id:
            client_order_id = market.by_order_id.get(order_id, "")
        return market.quotes.get(client_order_id) if client_order_id else None

    def _rejected(self, market: _Market, event: OrderRejected) -> None:
        if event.command not in ("PlaceOrder", "AmendOrder"):
            return  # a cancel of an order already gone: the belief dropped it when the cancel was sent
        q = self._find(market, event.order_id, event.client_order_id)
        if q is None:
            return
        market.refusals += 1
        if event.command == "PlaceOrder" or event.reason is RejectReason.UNKNOWN_ORDER:
            del market.quotes[q.client_order_id]
            market.by_order_id.pop(q.order_id, None)
        else:
            q.price, q.lots = q.confirmed_price, q.confirmed_lots

    def _duplicate(self, market: _Market, event: DuplicatePlaceIgnored) -> None:
        """A client id from an earlier run answered with that run's order: forget the quote, sweep the
        order if it is still open; the next quote places afresh under a new serial."""
        q = market.quotes.pop(event.client_order_id, None)
        if q is None:
            return
        market.refusals += 1
        if event.status in _OPEN_STATUSES:
            market.orphans[event.order_id] = None


_DECIMAL_FIELDS = ("half_spread_bps", "level_spacing_bps", "base_qty", "size_growth", "requote_bps")


def parse_configs(text: str, base: Mapping[str, QuoteConfig] = DEFAULT_QUOTE_CONFIGS) -> dict[str, QuoteConfig]:
    """Per-instrument overrides from TOML, e.g. ``[BTCUSDT]`` ``levels = 5``, ``half_spread_bps = 3``,
    ``refresh_seconds = 30``; unnamed fields keep ``base``'s values. Raises ValueError naming the key."""
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"invalid TOML: {error}") from None
    configs = dict(base)
    for symbol, table in document.items():
        if symbol not in configs or not isinstance(table, dict):
            raise ValueError(f"{symbol}: not an instrument the liquidity provider quotes ({', '.join(configs)})")
        changes: dict[str, object] = {}
        for key, value in table.items():
            if key in _DECIMAL_FIELDS and isinstance(value, int | Decimal) and not isinstance(value, bool):
                changes[key] = Decimal(value)
            elif key == "levels" and isinstance(value, int) and not isinstance(value, bool):
                changes[key] = value
            elif key == "refresh_seconds" and isinstance(value, int | Decimal) and not isinstance(value, bool):
                changes["refresh_ns"] = int(Decimal(value) * NS_PER_SECOND)
            else:
                raise ValueError(f"{symbol}.{key}: unknown setting or not a number")
        try:
            configs[symbol] = replace(configs[symbol], **changes)  # type: ignore[arg-type]
        except ValueError as error:
            raise ValueError(f"{symbol}: {error}") from None
    return configs
