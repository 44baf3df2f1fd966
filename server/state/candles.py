"""OHLCV candles (klines) built from trades, per symbol and interval, in integers only.

Prices are ticks, volumes lots, and ``quote_volume`` is the exact sum of ``price_ticks * lots``: the
caller converts units for display, so no float ever enters a stored figure. Intervals are aligned to
the Unix epoch as Binance's are (the 1d candle opens at 00:00 UTC), and, as on Binance, an interval
without trades still gets a candle, flat at the previous close with zero volume.

Time is passed in as integer nanoseconds, never read from a clock. Trades and ``advance`` calls must
come with non-decreasing times (the sequencer stamps them so): only the open candle of a series can
change, which is what lets closed candles be handed out and kept as plain values.
"""

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from itertools import islice
from typing import ClassVar

from paperex.engine.units import Lots, Ticks

SECOND_NS = 10**9
DEFAULT_RETENTION = 5000
DEFAULT_LIMIT = 500
MAX_LIMIT = 1500


class Interval(Enum):
    """A candle length; the value is the length in nanoseconds."""

    _value_: int
    length_ns: int
    """The value as a plain attribute (set below): an enum's ``value`` is a descriptor call, and candles
    read the length at every price update. Not set by an ``__init__``, which a build compiled by mypyc
    cannot run on the members as the class is made."""
    M1 = 60 * SECOND_NS
    M5 = 5 * 60 * SECOND_NS
    M15 = 15 * 60 * SECOND_NS
    H1 = 60 * 60 * SECOND_NS
    H4 = 4 * 60 * 60 * SECOND_NS
    D1 = 24 * 60 * 60 * SECOND_NS

    def open_time(self, ts: int) -> int:
        """Start of the candle holding ``ts``; epoch-aligned, so every day starts a 1d candle.

        >>> Interval.H4.open_time(13 * 3600 * SECOND_NS) // (3600 * SECOND_NS)
        12
        """
        return ts - ts % self.length_ns


for _interval in Interval:
    _interval.length_ns = _interval.value


class CandlePrice(Enum):
    """The price a candle series follows: trades, the mark or the index."""

    LAST = "last"
    MARK = "mark"
    INDEX = "index"


@dataclass(slots=True)
class Candle:
    """One interval's OHLCV. A value is never changed once handed out: an update is a new Candle.

    ``open`` is the interval's first trade price; an interval without trades has ``trade_count == 0``
    and is flat at the previous close.
    """

    open_time: int
    interval: Interval
    open: Ticks
    high: Ticks
    low: Ticks
    close: Ticks
    volume: Lots
    quote_volume: int
    trade_count: int
    closed: bool = False

    @property
    def close_time(self) -> int:
        """Last nanosecond of the interval, as Binance's ``closeTime``."""
        return self.open_time + self.interval.length_ns - 1


ImportedBar = tuple[int, Ticks, Ticks, Ticks, Ticks, Lots, int, int]
"""(open time, open, high, low, close, volume, quote volume, trade count), as
``paperex.server.market.history.Bar``."""


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")


class CandleSeries:
    """One symbol's candles at one interval: the newest ``retention`` closed ones plus the open one.

    Stored candles are contiguous (gaps are filled), so the n-th one opens at
    ``first.open_time + n * length`` and ``history`` finds a time range by arithmetic.
    """

    __slots__ = ("_candles", "_retention", "interval")
    continuous: ClassVar[bool] = False
    """Whether the price runs on between updates (a mark), so an interval opens at the last close; a
    trade candle opens at its first trade."""

    def __init__(self, interval: Interval, retention: int = DEFAULT_RETENTION) -> None:
        if retention < 1:
            raise ValueError(f"retention must be at least 1, got {retention}")
        self.interval = interval
        self._retention = retention
        self._candles: deque[Candle] = deque(maxlen=retention + 1)  # oldest first; the last one is open

    @property
    def closes_at(self) -> int | None:
        """When the open candle closes (the first nanosecond after it); None before the first trade."""
        return self._candles[-1].close_time + 1 if self._candles else None

    def record(self, ts: int, price: Ticks, lots: Lots) -> list[Candle]:
        """Add a trade at ``ts`` (not before the last one); return the candles it closed, oldest
        first, then the updated open candle."""
        candles = self._candles
        interval = self.interval
        if not candles:
            candles.append(Candle(interval.open_time(ts), interval, price, price, price, price, 0, 0, 0))
        current = candles[-1]
        since_open = ts - current.open_time
        if since_open < 0:
            raise ValueError(f"trade at {ts} precedes the open {interval.name} candle at {current.open_time}")
        if since_open >= interval.length_ns:
            changed = self._roll_to(ts)
            current = candles[-1]
        else:
            changed = []
        if current.trade_count or self.continuous:
            high, low = current.high, current.low
            updated = Candle(
                current.open_time,
                interval,
                current.open,
                price if price > high else high,
                price if price < low else low,
                price,
                current.volume + lots,
                current.quote_volume + price * lots,
                current.trade_count + 1,
            )
        else:
            updated = Candle(current.open_time, interval, price, price, price, price, lots, price * lots, 1)
        candles[-1] = updated
        changed.append(updated)
        return changed

    def advance(self, now: int) -> list[Candle]:
        """Close the open candle if ``now`` is past it; return the candles closed, oldest first."""
        candles = self._candles
        if candles and now > candles[-1].close_time:
            return self._roll_to(now)
        return []

    def history(self, start: int | None = None, end: int | None = None, limit: int = DEFAULT_LIMIT) -> list[Candle]:
        """Candles opening in ``[start, end]``, oldest first, the open one included (``closed=False``).

        As Binance's klines: with ``start`` the first ``limit`` of the range, without it the newest
        ``limit``. ``limit`` is 1..MAX_LIMIT.
        """
        _check_limit(limit)
        candles = self._candles
        if not candles:
            return []
        length = self.interval.value
        first = candles[0].open_time
        lo = 0 if start is None else max(0, -((first - start) // length))  # ceil((start - first) / length)
        hi = len(candles) if end is None else min(len(candles), (end - first) // length + 1)
        if start is None:
            lo = max(lo, hi - limit)
        else:
            hi = min(hi, lo + limit)
        return list(islice(candles, lo, hi)) if lo < hi else []

    def absorb(self, shorter: Candle) -> None:
        """Sum a closed candle of a shorter interval (not before the open candle) into this series."""
        candles = self._candles
        if not candles:
            open_time = self.interval.open_time(shorter.open_time)
            candles.append(replace(shorter, open_time=open_time, interval=self.interval, closed=False))
            return
        if shorter.open_time > candles[-1].close_time:
            self._roll_to(shorter.open_time)
        candles[-1] = _merged(candles[-1], shorter, self.continuous)

    def reach(self, ts: int, price: Ticks) -> None:
        """Make the open candle the one holding ``ts`` (flat at the last close, or at ``price`` in an
        empty series), without recording anything."""
        candles = self._candles
        if not candles:
            open_time = self.interval.open_time(ts)
            candles.append(Candle(open_time, self.interval, price, price, price, price, 0, 0, 0))
        elif ts > candles[-1].close_time:
            self._roll_to(ts)

    def seed(self, closed: list[Candle], now: int) -> None:
        """Start the series from imported candles (contiguous, oldest first, ``closed`` flagged but
        perhaps the last, when it holds ``now``), keeping the newest ``retention``; then an open candle
        holds ``now``, as if the series had lived through them."""
        candles = self._candles
        candles.clear()
        candles.extend(closed[-(self._retention + 1) :])
        last = candles[-1]
        if last.open_time != self.interval.open_time(now):
            candles[-1] = replace(last, closed=True)
            self._roll_to(now)

    def _roll_to(self, ts: int) -> list[Candle]:
        """Close the open candle, fill the gap up to ``ts`` flat, and open a flat candle holding ``ts``.

        Returns the closed candles kept. A jump longer than the retention (simulated time can skip
        years) keeps only the newest ``retention`` flat candles, computed without building the others.
        """
        candles = self._candles
        interval = self.interval
        length = interval.value
        current = candles.pop()
        new_open = interval.open_time(ts)
        gaps = (new_open - current.open_time) // length - 1
        kept = min(gaps, self._retention)
        closed = [replace(current, closed=True)] if gaps < self._retention else []
        price = current.close
        closed.extend(
            Candle(open_time, interval, price, price, price, price, 0, 0, 0, closed=True)
            for open_time in range(new_open - kept * length, new_open, length)
        )
        candles.extend(closed)
        candles.append(Candle(new_open, interval, price, price, price, price, 0, 0, 0))
        return closed


class CandleStore:
    """Candles for every symbol at every ``Interval``; a symbol's series start with its first trade."""

    __slots__ = ("_next_close", "_retention", "_series")

    def __init__(self, retention: int = DEFAULT_RETENTION) -> None:
        if retention < 1:
            raise ValueError(f"retention must be at least 1, got {retention}")
        self._retention = retention
        self._series: dict[str, dict[Interval, CandleSeries]] = {}
        # No open candle closes before this (a lower bound), so advance() is O(1) until then.
        self._next_close: int | None = None

    def record(self, symbol: str, ts: int, price: Ticks, lots: Lots) -> list[tuple[Interval, Candle]]:
        """Add a trade (``ts`` not before the last trade or ``advance``); return every candle it
        changed or closed, per interval: closed ones oldest first, then the open one."""
        series = self._series.get(symbol)
        new_symbol = series is None
        if series is None:
            series = self._series[symbol] = {interval: CandleSeries(interval, self._retention) for interval in Interval}
        changed: list[tuple[Interval, Candle]] = []
        for interval, one in series.items():
            changed.extend((interval, candle) for candle in one.record(ts, price, lots))
        if new_symbol:
            self._next_close = _earliest(self._next_close, series.values())
        return changed

    def replace_history(self, symbol: str, bar_ns: int, bars: list[ImportedBar], now: int) -> None:
        """Make ``bars`` (imported, of ``bar_ns`` each, oldest first, the last closing at or before ``now``)
        the symbol's candles at every interval they add up to; intervals shorter than a bar, or not a
        whole number of bars, start empty. The symbol's earlier candles are dropped."""
        series = self._series[symbol] = {interval: CandleSeries(interval, self._retention) for interval in Interval}
        for interval, one in series.items():
            if interval.value % bar_ns == 0 and bars:
                one.seed(_aggregate(interval, bars, now, self._retention), now)
        self._next_close = _earliest(self._next_close, series.values())

    def advance(self, now: int) -> list[tuple[str, Interval, Candle]]:
        """Close the candles whose interval ended before ``now`` without a trade closing them; O(1)
        while none is due."""
        if self._next_close is None or now < self._next_close:
            return []
        closed: list[tuple[str, Interval, Candle]] = []
        next_close: int | None = None
        for symbol, series in self._series.items():
            for interval, one in series.items():
                closed.extend((symbol, interval, candle) for candle in one.advance(now))
            next_close = _earliest(next_close, series.values())
        self._next_close = next_close
        return closed

    def history(
        self,
        symbol: str,
        interval: Interval,
        start: int | None = None,
        end: int | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Candle]:
        """``CandleSeries.history`` of one symbol and interval; empty for a symbol never traded."""
        series = self._series.get(symbol)
        if series is None:
            _check_limit(limit)
            return []
        return series[interval].history(start, end, limit)


def _aggregate(interval: Interval, bars: list[ImportedBar], now: int, keep: int) -> list[Candle]:
    """``bars`` summed into contiguous candles of ``interval`` (a gap flat at the close before it); a
    candle is closed unless it holds ``now``. A gap longer than ``keep`` candles drops what precedes it
    (a series keeps no more)."""
    length = interval.value
    candles: list[Candle] = []
    current = interval.open_time(now)
    for open_time, o, h, low, c, volume, quote, count in bars:
        start = interval.open_time(open_time)
        last = candles[-1] if candles else None
        if last is not None and last.open_time == start:
            candles[-1] = Candle(
                start,
                interval,
                last.open,
                max(last.high, h),
                min(last.low, low),
                c,
                last.volume + volume,
                last.quote_volume + quote,
                last.trade_count + count,
                start != current,
            )
            continue
        if last is not None:
            flat = last.close
            gap = range(max(last.open_time + length, start - keep * length), start, length)
            if gap.start != last.open_time + length:
                candles.clear()
            candles.extend(Candle(t, interval, flat, flat, flat, flat, 0, 0, 0, closed=True) for t in gap)
        candles.append(Candle(start, interval, o, h, low, c, volume, quote, count, start != current))
    return candles


def _merged(candle: Candle, shorter: Candle, continuous: bool) -> Candle:
    """``candle`` with a later, shorter candle summed in (replacing it while it has seen no trade)."""
    if not candle.trade_count and not continuous:
        return replace(shorter, open_time=candle.open_time, interval=candle.interval, closed=candle.closed)
    return replace(
        candle,
        high=max(candle.high, shorter.high),
        low=min(candle.low, shorter.low),
        close=shorter.close,
        volume=candle.volume + shorter.volume,
        quote_volume=candle.quote_volume + shorter.quote_volume,
        trade_count=candle.trade_count + shorter.trade_count,
    )


def _earliest(bound: int | None, series: Iterable[CandleSeries]) -> int | None:
    """The earlier of ``bound`` and the moments the series' open candles close."""
    for one in series:
        closes_at = one.closes_at
        if closes_at is not None and (bound is None or closes_at < bound):
            bound = closes_at
    return bound


M1 = Interval.M1.value


class PriceCandleSeries(CandleSeries):
    """A series of a price that runs on between updates: an interval opens at the last close."""

    __slots__ = ()
    continuous = True


class PriceCandleStore:
    """Candles of a price that moves at every feed step (the mark, the index), as Binance serves them
    beside the trade candles (markPriceKlines, indexPriceKlines).

    A step updates only the symbol's 1-minute candle; each minute that closes is summed into the longer
    intervals, and a query of a longer interval sums the open minute into its open candle: a step costs
    one candle, not one per interval. Volumes are zero; ``trade_count`` counts price updates.
    """

    __slots__ = ("_longer", "_minutes", "_next_close", "_retention")

    def __init__(self, retention: int = DEFAULT_RETENTION) -> None:
        self._retention = retention
        self._minutes: dict[str, CandleSeries] = {}
        self._longer: dict[str, dict[Interval, CandleSeries]] = {}
        self._next_close: int | None = None

    def record(self, symbol: str, ts: int, price: Ticks) -> None:
        """The price as set at ``ts`` (not before the last record or ``advance``)."""
        minutes = self._minutes.get(symbol)
        if minutes is None:
            self._start(symbol, ts, price)
            return
        changed = minutes.record(ts, price, 0)
        if len(changed) > 1:
            self._carry(symbol, changed[:-1])

    def _start(self, symbol: str, ts: int, price: Ticks) -> None:
        """The symbol's first price: its series, their open candles at ``ts``, and ``_next_close``, a
        lower bound of every open minute's close (records only move a close later; ``advance`` recomputes
        it)."""
        minutes = self._minutes[symbol] = PriceCandleSeries(Interval.M1, self._retention)
        self._longer[symbol] = {
            interval: PriceCandleSeries(interval, self._retention) for interval in Interval if interval.value > M1
        }
        minutes.record(ts, price, 0)
        self._next_close = _earliest(self._next_close, [minutes])
        self._carry(symbol, [])

    def advance(self, now: int) -> None:
        """Close the minutes that ended before ``now``; O(1) while none is due."""
        if self._next_close is None or now < self._next_close:
            return
        for symbol, minutes in self._minutes.items():
            closed = minutes.advance(now)
            if closed:
                self._carry(symbol, closed)
        self._next_close = _earliest(None, self._minutes.values())

    def _carry(self, symbol: str, closed: list[Candle]) -> None:
        """Sum closed minutes into the longer intervals, whose open candles then hold the open minute."""
        (current,) = self._minutes[symbol].history(limit=1)
        for series in self._longer[symbol].values():
            for minute in closed:
                series.absorb(minute)
            series.reach(current.open_time, current.open)

    def history(
        self,
        symbol: str,
        interval: Interval,
        start: int | None = None,
        end: int | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Candle]:
        """As ``CandleStore.history``: candles opening in ``[start, end]``, the open one last."""
        minutes = self._minutes.get(symbol)
        if minutes is None:
            _check_limit(limit)
            return []
        if interval is Interval.M1:
            return minutes.history(start, end, limit)
        candles = self._longer[symbol][interval].history(start, end, limit)
        if candles and not candles[-1].closed:
            (current,) = minutes.history(limit=1)
            candles[-1] = _merged(candles[-1], current, continuous=True)
        return candles
