"""Trades that replay a Binance kline file: a scenario's ``feed = "replay"`` with ``trades = true``.

Each bar of the file is played at its own length, starting at the first bar boundary at or after the
scenario's load (bars line up with the exchange's candles). Inside a bar the price walks the bar's
path: the open, then the high and the low (the low first in a bar that closes at or above its open, the
high first in one that closes below), then the close, skipping a point equal to the one before it. The
index follows that path step by step, and at each point the market script prints one trade at the
point's price: ``n`` points sit ``interval // n`` apart from the bar's open, so the close prints in the
bar's last quarter. The bar's volume (times ``volume_scale``, rounded to the lot) is split evenly over
its points (the first points take the remainder), each raised to the instrument's minimum order; a bar
of zero volume prints nothing. So the exchange's candles read the file's open, high, low, close and
volume within a tick and a lot.

A print is a resting order of the exchange's own maker account at the price and an immediate-or-cancel
order of the taker-flow account against it, limited to the price, then whatever of the maker's order
is left is cancelled. Other orders better than the price on the taker's way fill first, at their own
prices, as they would on a venue; the volume is the bar's all the same. Pure and deterministic: the
prints are a function of the file, the load time and the prices the replay is rebased to.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

from paperex.engine.commands import PlaceOrder
from paperex.engine.instruments import Instrument
from paperex.engine.orders import OrderType, Side, TimeInForce
from paperex.engine.units import Lots, Ticks, ceil_div
from paperex.server.market.feeds import Replay
from paperex.server.market.history import KlineHistory, KlineRow

_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN)
MIN_STEPS_PER_BAR = 4
"""A bar's four points print in its first, second, third and last quarter: a step must fit a quarter."""


def path(row: KlineRow) -> list[Decimal]:
    """The bar's prices in the order they trade: open, the extreme against the bar's direction, the
    other extreme, close; a point equal to the one before it is dropped.

    >>> from paperex.server.market.history import KlineRow as R
    >>> path(R(0, Decimal(10), Decimal(12), Decimal(9), Decimal(11), Decimal(1), Decimal(10), 1))
    [Decimal('10'), Decimal('9'), Decimal('12'), Decimal('11')]
    >>> path(R(0, Decimal(10), Decimal(10), Decimal(8), Decimal(9), Decimal(1), Decimal(9), 1))
    [Decimal('10'), Decimal('8'), Decimal('9')]
    """
    extremes = (row.low, row.high) if row.close >= row.open else (row.high, row.low)
    points = [row.open]
    for price in (*extremes, row.close):
        if price != points[-1]:
            points.append(price)
    return points


def split(lots: Lots, parts: int) -> list[Lots]:
    """``lots`` over ``parts`` as evenly as whole lots go, the first parts taking the remainder.

    >>> split(10, 4)
    [3, 3, 2, 2]
    """
    base, remainder = divmod(lots, parts)
    return [base + (1 if index < remainder else 0) for index in range(parts)]


@dataclass(frozen=True, slots=True)
class KlineTape:
    """A kline file whose bars are traded, not only followed by the index."""

    history: KlineHistory
    volume_scale: Decimal = Decimal(1)

    @property
    def interval_ns(self) -> int:
        return self.history.interval_ns

    def replay(self, *, start: Decimal | None = None) -> Replay:
        """The index track: every bar's path, each point held until the next (step mode)."""
        rows = tuple((row.open_ns + offset, price) for row in self.history.rows for offset, price in self.points(row))
        return Replay(rows, mode="step", start=start)

    def points(self, row: KlineRow) -> list[tuple[int, Decimal]]:
        """The bar's path as (offset from the bar's open in ns, price)."""
        prices = path(row)
        gap = self.interval_ns // len(prices)
        return [(index * gap, price) for index, price in enumerate(prices)]

    def first_bar_ns(self, start_ns: int) -> int:
        """Where the first bar plays: the first bar boundary at or after ``start_ns``."""
        return -(-start_ns // self.interval_ns) * self.interval_ns

    def origin_ns(self, start_ns: int) -> int:
        """The file time a feed started at ``start_ns`` plays then (``Replay.origin_ns``)."""
        return self.history.rows[0].open_ns - (self.first_bar_ns(start_ns) - start_ns)


@dataclass(frozen=True, slots=True)
class Print:
    """One trade to print: at ``at_ns`` (or the first step after it, before ``bar_end_ns``)."""

    at_ns: int
    bar_end_ns: int
    price: Ticks
    quantity: Lots


class KlineTrades:
    """One symbol's prints, in file order, from a replay started at ``feed_start_ns`` (``replay`` is that
    started track, rebased as the index is, so prints and index read the same prices)."""

    def __init__(
        self, instrument: Instrument, tape: KlineTape, replay: Replay, feed_start_ns: int, from_ns: int
    ) -> None:
        self.instrument = instrument
        self.tape = tape
        self.replay = replay
        self.feed_start_ns = feed_start_ns
        self.first_bar_ns = tape.first_bar_ns(feed_start_ns)
        self._bar = 0
        """The next bar of the file to turn into prints."""
        self._queue: list[Print] = []
        """The prints of the current bar not yet made."""
        while (upcoming := self._upcoming()) is not None and upcoming.bar_end_ns <= from_ns:
            self._queue.pop(0)

    def due(self, now_ns: int) -> list[Print]:
        """The prints due by ``now_ns``; those of a bar already over are dropped (they would land in the
        wrong candle: a wall clock that fell behind)."""
        due: list[Print] = []
        while (upcoming := self._upcoming()) is not None and upcoming.at_ns <= now_ns:
            self._queue.pop(0)
            if now_ns < upcoming.bar_end_ns:
                due.append(upcoming)
        return due

    def _upcoming(self) -> Print | None:
        rows = self.tape.history.rows
        while not self._queue and self._bar < len(rows):
            self._queue = self._bar_prints(rows[self._bar])
            self._bar += 1
        return self._queue[0] if self._queue else None

    def _bar_prints(self, row: KlineRow) -> list[Print]:
        tape, spec = self.tape, self.instrument
        bar_ns = self.first_bar_ns + row.open_ns - tape.history.rows[0].open_ns
        points = tape.points(row)
        volume = _CONTEXT.divide(_CONTEXT.multiply(row.volume, tape.volume_scale), spec.lot_size)
        lots = int(volume.to_integral_value())
        if not lots:
            return []  # a bar without volume prints nothing
        prints = []
        for (offset, _), quantity in zip(points, split(lots, len(points)), strict=True):
            price = self._ticks(bar_ns + offset)
            least = minimum_lots(spec, price)
            prints.append(Print(bar_ns + offset, bar_ns + tape.interval_ns, price, max(quantity, least)))
        return prints

    def _ticks(self, at_ns: int) -> Ticks:
        price = self.replay.price(at_ns - self.feed_start_ns)
        return int(_CONTEXT.divide(price, self.instrument.tick_size).to_integral_value())


def minimum_lots(spec: Instrument, price: Ticks) -> Lots:
    """The smallest order the instrument takes at ``price``: its minimum quantity and notional."""
    return max(spec.min_qty, ceil_div(spec.min_notional, price * spec.notional_unit))


def print_orders(
    symbol: str, trade: Print, best_bid: Ticks | None, maker_id: int, taker_id: int
) -> tuple[PlaceOrder, PlaceOrder]:
    """The maker's resting order and the taker's order that trade ``trade``: the maker sells at the
    price unless a bid stands there or above it (then it buys, below the asks), so it never takes."""
    maker_side = Side.SELL if best_bid is None or best_bid < trade.price else Side.BUY
    maker = PlaceOrder(
        account_id=maker_id,
        symbol=symbol,
        side=maker_side,
        order_type=OrderType.LIMIT,
        quantity=trade.quantity,
        price=trade.price,
        time_in_force=TimeInForce.GTX,
    )
    taker = PlaceOrder(
        account_id=taker_id,
        symbol=symbol,
        side=Side(-maker_side),
        order_type=OrderType.LIMIT,
        quantity=trade.quantity,
        price=trade.price,
        time_in_force=TimeInForce.IOC,
    )
    return maker, taker
