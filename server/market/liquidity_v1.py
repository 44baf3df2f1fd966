"""The liquidity provider as it ran before it read its orders from the engine (version 1 of the
``SetLiquidityProvider`` command): it keeps its own belief of its resting orders, fed by ``observe`` with
the events of every applied command, and re-quotes the whole ladder after any fill. Kept unchanged so a
journal written by that version replays to the same state; new commands run ``liquidity.LiquidityProvider``.

Refusals never loop: a command the engine refuses, or a quote it ends without a fill the LP did not ask
for (post-only cancel, self-trade expiry, ...), is dropped from the belief *without* asking for a new
quote. The LP tries again only on its regular triggers (index move past the threshold, refresh interval,
regime change, or a fill of one of its quotes). ``refusals(symbol)`` counts them.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction

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
from paperex.engine.units import Lots, Ticks
from paperex.server.market.liquidity import (
    BPS,
    DEFAULT_QUOTE_CONFIGS,
    NORMAL,
    LadderLevel,
    QuoteConfig,
    Regime,
    best_first,
    ladder,
)

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


class LiquidityProviderV1:
    """An internal market maker quoting every configured instrument from one account, from its belief."""

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
        quotes = sorted(self._markets[symbol].quotes.values(), key=lambda q: (-q.side, best_first(q.side, q.price)))
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
            spare = sorted((q for q in spare if id(q) not in kept), key=lambda q: best_first(side, q.price))
            still.sort(key=lambda item: best_first(side, item[1].price))
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
