"""Rolling 24-hour statistics per symbol, like Binance's 24hr ticker, in integers only.

Rolling exactly over single trades would keep every trade of the last day in memory, which grows
without bound under load. Trades are grouped into one-minute buckets instead, so the window has
one-minute granularity: a snapshot at ``now`` covers the trades from the start of the minute that
holds ``now - 24h`` up to ``now`` (1440 whole minutes plus the current partial one, so it reaches
back between 24h and 24h + 1m). That bounds memory to 1441 buckets per symbol at any trade rate.

``record`` and ``snapshot`` are O(1) amortized: totals are running sums that drop whole buckets as
they leave the window, and high and low come from monotonic deques with at most one entry per
minute. Times are integer nanoseconds passed in by the caller, non-decreasing across both calls.
"""

from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

from paperex.engine.book import DepthLevel
from paperex.engine.units import Amount, Lots, Ticks

MINUTE_NS = 60 * 10**9
WINDOW_MINUTES = 24 * 60


@dataclass(slots=True)
class Stats:
    """A symbol's figures over the window: ``open`` is the first trade still in it, ``last`` the
    newest; ``quote_volume`` is the exact sum of ``price_ticks * lots``."""

    open: Ticks
    high: Ticks
    low: Ticks
    last: Ticks
    volume: Lots
    quote_volume: int
    trade_count: int


class Ticker(NamedTuple):
    """What a symbol's ticker shows at ``ts``: its prices, the touch, open interest and the 24 h ``stats``
    (None when nothing traded in the window)."""

    symbol: str
    last_price: Ticks
    best_bid: DepthLevel | None
    best_ask: DepthLevel | None
    mark_price: Ticks
    index_price: Ticks
    funding_rate: Amount
    next_funding: int
    open_interest: Lots
    stats: Stats | None
    ts: int


@dataclass(slots=True)
class _Minute:
    """One minute's trades, summed so the whole minute can leave the window at once."""

    minute: int
    open: Ticks
    last: Ticks
    volume: Lots
    quote_volume: int
    trade_count: int


class _RollingMax:
    """The largest value pushed in the window (the low is the largest negated price).

    Entries are (minute, value) with values strictly decreasing from the front; a value is dropped
    as soon as a later one is at least as large, and a smaller value of the back entry's minute is
    never stored (it would leave the window with that entry), so there is at most one entry per
    minute and each push or expiry is O(1) amortized.
    """

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: deque[tuple[int, int]] = deque()

    @property
    def value(self) -> int:
        return self._entries[0][1]

    def push(self, minute: int, value: int) -> None:
        entries = self._entries
        while entries and entries[-1][1] <= value:
            entries.pop()
        if not entries or entries[-1][0] != minute:
            entries.append((minute, value))

    def expire(self, cutoff: int) -> None:
        entries = self._entries
        while entries and entries[0][0] < cutoff:
            entries.popleft()


class _Window:
    """One symbol's last 1441 minutes of trades (only the minutes that had any)."""

    __slots__ = ("_high", "_low", "_minutes", "_quote_volume", "_trade_count", "_volume")

    def __init__(self) -> None:
        self._minutes: deque[_Minute] = deque()
        self._high = _RollingMax()
        self._low = _RollingMax()
        self._volume = 0
        self._quote_volume = 0
        self._trade_count = 0

    def record(self, ts: int, price: Ticks, lots: Lots) -> None:
        minute = ts // MINUTE_NS
        minutes = self._minutes
        quote = price * lots
        if minutes and minutes[-1].minute >= minute:
            newest = minutes[-1]
            if newest.minute > minute:
                raise ValueError(f"trade at {ts} precedes minute {newest.minute} already recorded")
            newest.last = price
            newest.volume += lots
            newest.quote_volume += quote
            newest.trade_count += 1
        else:
            minutes.append(_Minute(minute, price, price, lots, quote, 1))
        self._volume += lots
        self._quote_volume += quote
        self._trade_count += 1
        self._high.push(minute, price)
        self._low.push(minute, -price)
        self._expire(minute - WINDOW_MINUTES)  # keeps memory bounded even if nobody asks for a snapshot

    def snapshot(self, now: int) -> Stats | None:
        self._expire(now // MINUTE_NS - WINDOW_MINUTES)
        minutes = self._minutes
        if not minutes:
            return None
        return Stats(
            minutes[0].open,
            self._high.value,
            -self._low.value,
            minutes[-1].last,
            self._volume,
            self._quote_volume,
            self._trade_count,
        )

    def _expire(self, cutoff: int) -> None:
        """Drop the minutes before ``cutoff``."""
        minutes = self._minutes
        while minutes and minutes[0].minute < cutoff:
            gone = minutes.popleft()
            self._volume -= gone.volume
            self._quote_volume -= gone.quote_volume
            self._trade_count -= gone.trade_count
        self._high.expire(cutoff)
        self._low.expire(cutoff)


class TickerStats:
    """Rolling 24h statistics of every symbol traded (see the module docstring for the window)."""

    __slots__ = ("_windows",)

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    def record(self, symbol: str, ts: int, price: Ticks, lots: Lots) -> None:
        """Add a trade at ``ts`` (not before the last trade or snapshot); O(1) amortized."""
        window = self._windows.get(symbol)
        if window is None:
            window = self._windows[symbol] = _Window()
        window.record(ts, price, lots)

    def snapshot(self, symbol: str, now: int) -> Stats | None:
        """The symbol's figures over the window ending at ``now``; None if no trade is in it."""
        window = self._windows.get(symbol)
        return None if window is None else window.snapshot(now)
