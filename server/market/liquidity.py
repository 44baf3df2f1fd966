"""The built-in liquidity provider's decisions: what to quote and which commands get the book there.
Pure: no asyncio, no I/O, no clock (the host passes ``now_ns``), no randomness, so the same calls on the
same engine state give the same commands and a journal replay rebuilds the same book.

The host owns the plumbing: it creates the LP's account (a big deposit, kept out of user listings and
out of liquidation by the host and the engine) and, inside the single writer, calls ``quote`` at every
feed step and applies the commands it returns. The provider reads its open orders from the engine
there (the engine knows what was filled, amended or refused); it keeps only what the engine cannot
know: its config, the ladder it quoted last with its index, regime and time.

Two kinds of step. A full re-quote moves the whole ladder to the target around the index, with the
fewest commands; it is due when the index moved past ``requote_bps``, the regime changed or
``refresh_ns`` passed. Between them the provider only replenishes: a level of the last ladder that
lost quantity (a fill, or an order the engine ended) gets a new order for what is missing at its price,
and every other order keeps its place in the queue.

Why plain GTC limits, not post-only: a market maker re-centering on a moved index trades with any user
order already inside its new quote, as a real one would (it takes that liquidity and pays the taker
fee), and the book stays two-sided. ``QuoteConfig.post_only`` switches to GTX for a venue that wants the
LP never to take; the engine then refuses or cancels a crossing quote.

Refusals never loop: a replenishment the engine would refuse (below the minimum order, outside the
price band, post-only against the touch, past the cap on open orders) is not sent, and a refused or
ended quote is tried again only at the next full re-quote, so a persistent refusal costs at most one
attempt per re-quote, never one per step.

``liquidity_v1`` keeps the provider of journals written before it read the engine.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from paperex.engine.commands import AmendOrder, CancelAllOrders, CancelOrder, Command, PlaceOrder
from paperex.engine.engine import Engine
from paperex.engine.instruments import Instrument
from paperex.engine.market import Market
from paperex.engine.order_commands import MAX_OPEN_ORDERS
from paperex.engine.orders import Order, OrderType, Side, TimeInForce
from paperex.engine.units import Lots, Ticks, ceil_div
from paperex.engine.validation import band_limit

BPS = 10_000
NS_PER_SECOND = 1_000_000_000
MAX_LEVELS = 100
"""Levels per side; two sides stay within the engine's 200 open orders per account and symbol."""

BUY, SELL = Side.BUY, Side.SELL


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

    ``quote`` re-quotes the whole ladder when the index moved ``requote_bps`` from the last quoted
    index, ``refresh_ns`` passed since the last full quote or the regime changed; in between it only
    replenishes filled levels. ``stressed`` is the regime a scenario applies in a crash or a drought.
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


def best_first(side: Side, price: Ticks) -> int:
    """A sort key putting one side's prices best first (bids high to low, asks low to high)."""
    return -price if side is BUY else price


def _numbered(target: list[LadderLevel]) -> list[tuple[int, LadderLevel]]:
    """Each level with its number on its side, 0 the best (the ladder lists bids, then asks)."""
    bids = sum(1 for level in target if level.side is BUY)
    return [(i if i < bids else i - bids, level) for i, level in enumerate(target)]


def _remaining(order: Order) -> Lots:
    return order.quantity - order.filled


@dataclass(slots=True)
class _Quoting:
    """The provider's own state for one instrument: what the engine cannot know (its settings and the
    ladder it decided on last); the orders themselves are read from the engine at every step."""

    instrument: Instrument
    config: QuoteConfig
    enabled: bool
    threshold: Fraction
    levels: tuple[tuple[int, LadderLevel], ...] = ()
    """The ladder quoted last, each level with its number on its side (0 the best): fills are
    replenished to it until the next full re-quote."""
    last_index: Ticks = 0
    """The index that ladder was quoted around; 0 asks for a full re-quote at the next step."""
    last_ns: int = 0
    last_regime: Regime = NORMAL
    serial: int = 0
    """Orders placed so far: the tail of every client order id, so none is ever reused."""


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
        self._markets = {
            symbol: _Quoting(instruments[symbol], config, enabled, Fraction(config.requote_bps) / BPS)
            for symbol, config in configs.items()
            if symbol in instruments
        }

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._markets)

    def config(self, symbol: str) -> QuoteConfig:
        return self._markets[symbol].config

    def enabled(self, symbol: str) -> bool:
        return self._markets[symbol].enabled

    def set_enabled(self, symbol: str, enabled: bool, now_ns: int = 0) -> list[Command]:
        """Switch one instrument on or off; off pulls every quote at once (one CancelAllOrders), on
        quotes the whole ladder at the next step."""
        market = self._markets[symbol]
        if enabled == market.enabled:
            return []
        market.enabled, market.levels, market.last_index = enabled, (), 0
        if enabled:
            return []
        return [CancelAllOrders(account_id=self.account_id, symbol=symbol, ts=now_ns)]

    def configure(self, symbol: str, config: QuoteConfig) -> None:
        """Replace one instrument's config; the next ``quote`` re-quotes the whole ladder to it."""
        market = self._markets[symbol]
        market.config, market.threshold, market.last_index = config, Fraction(config.requote_bps) / BPS, 0

    def quote(self, engine: Engine, symbol: str, now_ns: int, regime: Regime = NORMAL) -> list[Command]:
        """The commands that keep the ladder in ``symbol``, decided from the LP's open orders in ``engine``.

        The whole ladder is re-quoted around the engine's index when the index moved ``requote_bps``
        from the one last quoted, ``refresh_ns`` passed, the regime changed, or the config or the switch
        did (see ``_requote``). Otherwise only fills are replenished: a level of the last ladder whose
        open orders hold less than its size gets one new order for the difference at its price, so the
        orders still resting keep their ids and queue places (see ``_replenish``). Nothing while the
        engine has no index for ``symbol``.
        """
        market = self._markets[symbol]
        state = engine.markets[symbol]
        index = state.index_price
        if not market.enabled or not index:
            return []
        orders = engine.open_orders(self.account_id, symbol)
        if not self._due(market, index, now_ns, regime):
            return self._replenish(market, orders, state, now_ns)
        target = ladder(market.instrument, index, market.config, regime, band_reference=state.mark_price)
        market.levels = tuple(_numbered(target))
        market.last_index, market.last_ns, market.last_regime = index, now_ns, regime
        return self._requote(market, orders, now_ns)

    @staticmethod
    def _due(market: _Quoting, index: Ticks, now_ns: int, regime: Regime) -> bool:
        last = market.last_index
        if not last or regime != market.last_regime or now_ns - market.last_ns >= market.config.refresh_ns:
            return True
        threshold = market.threshold
        return abs(index - last) * threshold.denominator >= threshold.numerator * last

    def _replenish(self, market: _Quoting, orders: list[Order], state: Market, now_ns: int) -> list[Command]:
        """One order per level of the last ladder for what its open orders lack, placed only where the
        engine would rest it (``_rests``): a shortfall it would refuse waits for the next full re-quote
        instead of being retried at every step. Within the engine's cap on open orders. Levels are
        keyed by price alone (a ladder's bids and asks never share one): this runs at every step."""
        held: dict[Ticks, Lots] = {}
        get = held.get
        for order in orders:
            price = order.price
            held[price] = get(price, 0) + order.quantity - order.filled
        places: list[tuple[int, LadderLevel]] = []
        for number, level in market.levels:
            missing = level.lots - get(level.price, 0)
            if (
                missing > 0
                and len(orders) + len(places) < MAX_OPEN_ORDERS
                and self._rests(market, state, level.side, level.price, missing)
            ):
                places.append((number, LadderLevel(level.side, level.price, missing)))
        return self._commands(market, len(orders), [], [], places, now_ns) if places else []

    @staticmethod
    def _rests(market: _Quoting, state: Market, side: Side, price: Ticks, lots: Lots) -> bool:
        """Whether a replenishing order passes the engine's filters: the minimum quantity and notional,
        the price band around the mark, and for a post-only LP the opposite touch."""
        instrument = market.instrument
        if _lots(instrument, price, Fraction(lots)) != lots:
            return False
        if (price - band_limit(instrument, side, state.mark_price or state.index_price)) * side > 0:
            return False
        if not market.config.post_only:
            return True
        touch = state.book.best_price(Side(-side))
        return touch is None or (touch - price) * side > 0

    def _requote(self, market: _Quoting, orders: list[Order], now_ns: int) -> list[Command]:
        """The fewest commands that turn the open orders into the new ladder (``market.levels``): a
        level whose orders already hold its size is kept whole (a replenished level keeps every order's
        queue place), every other order is amended onto a remaining level (same price first, then best
        to best), and only the surplus is cancelled or placed. An amend whose total (filled + wanted)
        would pass the lot filter becomes cancel + place."""
        cancels: list[Order] = []
        amends: list[tuple[Order, Ticks, Lots]] = []
        places: list[tuple[int, LadderLevel]] = []
        for side in (BUY, SELL):
            at_price: dict[Ticks, list[Order]] = {}
            for order in orders:
                if order.side is side:
                    at_price.setdefault(order.price, []).append(order)
            unmatched: list[tuple[int, LadderLevel]] = []
            for number, level in market.levels:
                if level.side is not side:
                    continue
                group = at_price.get(level.price)
                if group and sum(_remaining(order) for order in group) == level.lots:
                    del at_price[level.price]
                else:
                    unmatched.append((number, level))
            still: list[tuple[int, LadderLevel]] = []
            for number, level in unmatched:
                group = at_price.get(level.price)
                if group:
                    amends.append((group.pop(0), level.price, level.lots))
                else:
                    still.append((number, level))
            spare = sorted((o for group in at_price.values() for o in group), key=lambda o: best_first(side, o.price))
            still.sort(key=lambda item: best_first(side, item[1].price))
            amends += [(order, level.price, level.lots) for order, (_, level) in zip(spare, still, strict=False)]
            cancels += spare[len(still) :]
            places += still[len(spare) :]
        max_qty = market.instrument.max_qty
        for order, price, lots in amends:
            if order.filled + lots > max_qty:
                cancels.append(order)
                places.append((0, LadderLevel(order.side, price, lots)))
        amends = [a for a in amends if a[0].filled + a[2] <= max_qty and (a[1], a[2]) != (a[0].price, _remaining(a[0]))]
        return self._commands(market, len(orders), cancels, amends, places, now_ns)

    def _commands(
        self,
        market: _Quoting,
        open_orders: int,
        cancels: list[Order],
        amends: list[tuple[Order, Ticks, Lots]],
        places: list[tuple[int, LadderLevel]],
        now_ns: int,
    ) -> list[Command]:
        """The plan in an order that never meets the LP's own quotes: cancels, then amends moving away
        from the other side (and quantity-only ones), then amends moving toward it, then placements."""
        account, symbol = self.account_id, market.instrument.symbol
        commands: list[Command] = []
        if len(cancels) >= 2 and len(cancels) == open_orders:
            commands.append(CancelAllOrders(account_id=account, symbol=symbol, ts=now_ns))
        else:
            for order in cancels:
                commands.append(CancelOrder(account_id=account, symbol=symbol, order_id=order.order_id, ts=now_ns))
        away = [a for a in amends if (a[1] - a[0].price) * a[0].side <= 0]
        toward = [a for a in amends if (a[1] - a[0].price) * a[0].side > 0]
        for order, price, lots in away + toward:
            commands.append(
                AmendOrder(
                    account_id=account,
                    symbol=symbol,
                    order_id=order.order_id,
                    quantity=order.filled + lots if lots != _remaining(order) else 0,
                    price=price if price != order.price else 0,
                    ts=now_ns,
                )
            )
        tif = TimeInForce.GTX if market.config.post_only else TimeInForce.GTC
        for number, level in places:
            market.serial += 1
            side_code = "b" if level.side is BUY else "a"
            commands.append(
                PlaceOrder(
                    account_id=account,
                    symbol=symbol,
                    side=level.side,
                    order_type=OrderType.LIMIT,
                    quantity=level.lots,
                    price=level.price,
                    time_in_force=tif,
                    client_order_id=f"lp-{market.instrument.base}-{side_code}-{number}-{market.serial}",
                    ts=now_ns,
                )
            )
        return commands


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
