"""Candle history a scenario carries: a Binance kline export that warms up a bot's indicators at once.

A scenario's ``[history.<SYMBOL>]`` names a kline CSV (the format Binance's data exports use: open
time, open, high, low, close, volume, close time, quote volume, trade count, ...). When the scenario
loads, the file's bars are moved in time so that the last one closes where the current candle opens,
scaled (by default) so that the last close meets the price the scenario starts from, and converted to
the instrument's ticks and lots: the candles of the symbol are then these bars, and live trading
continues from them. Everything here is a pure function of the file, the load time and the start
price, so a replay of the journal rebuilds the same candles.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

from paperex.engine.instruments import Instrument
from paperex.server.market.feeds import csv_records, parse_timestamp

_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)
_COLUMNS = 9
"""Open time, open, high, low, close, volume, close time, quote volume, trade count (Binance's
columns 0-8; the taker volumes after them are not used)."""


@dataclass(frozen=True, slots=True)
class KlineRow:
    open_ns: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int


@dataclass(frozen=True, slots=True)
class KlineHistory:
    """Bars of one length (``interval_ns``), oldest first, without gaps in time order."""

    rows: tuple[KlineRow, ...]
    interval_ns: int
    scale: bool = True
    """Scale every price so that the last close reads the scenario's start price."""

    @classmethod
    def from_binance_klines(cls, text: str, *, scale: bool = True) -> "KlineHistory":
        """Rows from a Binance kline CSV (a header line is optional); the interval is the files' own,
        read from the first row's open and close times, and every row must have it.

        >>> history = KlineHistory.from_binance_klines(
        ...     "1700000040000,10,11,9,10.5,2,1700000099999,21,3\\n"
        ...     "1700000100000,10.5,12,10,11,1,1700000159999,11,1"
        ... )
        >>> history.interval_ns // 10**9, history.rows[1].close
        (60, Decimal('11'))
        """
        rows: list[KlineRow] = []
        interval_ns = 0
        for line_number, (row, length) in csv_records(text, _row):
            if not rows:
                interval_ns = length
            elif length != interval_ns:
                raise ValueError(f"CSV line {line_number}: a bar of {length} ns in a file of {interval_ns} ns bars")
            elif row.open_ns <= rows[-1].open_ns or (row.open_ns - rows[0].open_ns) % interval_ns:
                raise ValueError(f"CSV line {line_number}: open times must increase by whole bars")
            rows.append(row)
        if not rows:
            raise ValueError("the kline file has no bars")
        return cls(tuple(rows), interval_ns, scale)


def _row(record: list[str]) -> tuple[KlineRow, int]:
    if len(record) < _COLUMNS:
        raise ValueError(f"has {len(record)} columns, a kline has at least {_COLUMNS}")
    open_ns = parse_timestamp(record[0])
    close_ns = parse_timestamp(record[6])
    length = _round_up_to_unit(close_ns - open_ns)
    if length <= 0:
        raise ValueError("the close time is not after the open time")
    o, h, low, c = (Decimal(cell.strip()) for cell in record[1:5])
    if not (0 < low <= min(o, c) and max(o, c) <= h):
        raise ValueError(f"prices out of order (open {o}, high {h}, low {low}, close {c})")
    volume, quote = Decimal(record[5].strip()), Decimal(record[7].strip())
    trades = int(record[8].strip())
    if volume < 0 or quote < 0 or trades < 0:
        raise ValueError("volumes and the trade count are not negative")
    return KlineRow(open_ns, o, h, low, c, volume, quote, trades), length


def _round_up_to_unit(span_ns: int) -> int:
    """A bar's length from open to close time: Binance's close time is the bar's last millisecond
    (or microsecond), so the length is that span plus one unit of the file's timestamps."""
    for unit in (1_000_000, 1_000):
        if (span_ns + unit) % 1_000_000_000 == 0:
            return span_ns + unit
    return span_ns


Bar = tuple[int, int, int, int, int, int, int, int]
"""One imported bar in the instrument's units: (open time ns, open, high, low, close in ticks,
volume in lots, quote volume in ticks x lots, trade count)."""


def bars(history: KlineHistory, spec: Instrument, current_open_ns: int, start_price: Decimal | None) -> list[Bar]:
    """The file's bars moved so that the last one closes at ``current_open_ns`` (the open of the
    current bar at the file's interval), in ticks and lots; prices scaled so the last close reads
    ``start_price`` when the history asks for it and one is given.

    Prices are rounded to the tick (never below one tick), volumes to the lot; the quote volume is the
    file's, in ticks x lots, scaled with the prices.
    """
    rows = history.rows
    shift = current_open_ns - (rows[-1].open_ns + history.interval_ns)
    factor = Decimal(1)
    if history.scale and start_price is not None:
        factor = _CONTEXT.divide(start_price, rows[-1].close)
    tick, lot = spec.tick_size, spec.lot_size

    def ticks(price: Decimal) -> int:
        return max(1, int(_CONTEXT.divide(_CONTEXT.multiply(price, factor), tick).to_integral_value()))

    unit = _CONTEXT.multiply(tick, lot)
    return [
        (
            row.open_ns + shift,
            ticks(row.open),
            ticks(row.high),
            ticks(row.low),
            ticks(row.close),
            int(_CONTEXT.divide(row.volume, lot).to_integral_value()),
            int(_CONTEXT.divide(_CONTEXT.multiply(row.quote_volume, factor), unit).to_integral_value()),
            row.trades,
        )
        for row in rows
    ]
