"""The venue's public WebSocket streams, from the application's book, trade and candle topics (the ones
gRPC's streams read) and, for the periodic ones, its market queries.

A stream is named as on the venue, ``<symbol>@<kind>``: ``depth`` (also ``@100ms``/``@500ms``),
``depth5``/``depth10``/``depth20``, ``bookTicker``, ``trade``, ``aggTrade``, ``kline_<interval>``,
``markPrice`` (``@1s``), ``ticker``, ``miniTicker``, and ``!markPrice@arr``. Each one is an async
generator of the venue's payloads; ``MarketStreams.payloads`` picks it by name, and each sets ``ready``
once it follows its topic, so that a subscription is answered only when nothing more can be missed.

Event-driven streams send as things happen (several book updates waiting are merged into one
``depthUpdate``), not on the venue's 100/250/500 ms ticks; the periodic ones (mark price, tickers) send
at once, then at the venue's pace.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from paperex.engine.instruments import Instrument
from paperex.server.binance_api import render
from paperex.server.binance_api.params import KLINE_INTERVALS
from paperex.server.core.application import Application
from paperex.server.core.queries import Book

MARK_PRICE_PERIOD_S = 3.0
MARK_PRICE_FAST_PERIOD_S = 1.0
TICKER_PERIOD_S = 1.0
PARTIAL_DEPTHS = (5, 10, 20)
NAME = re.compile(
    r"(?P<symbol>[a-z0-9]+)@(?P<kind>depth(?P<levels>5|10|20)?|bookTicker|trade|aggTrade|kline_(?P<interval>\w+)"
    r"|markPrice|ticker|miniTicker)(?:@(?P<speed>100ms|250ms|500ms|1s))?"
)
ALL_MARK_PRICES = ("!markPrice@arr", "!markPrice@arr@1s")

Payloads = AsyncIterator[Any]


class Stream(NamedTuple):
    """A parsed stream name: the instrument ("" for every symbol), the kind and its parameter."""

    symbol: str
    kind: str
    parameter: str
    fast: bool


def parse(name: str, instruments: Mapping[str, Instrument]) -> Stream | None:
    """The stream ``name`` asks for; None for a name the venue would not know or a symbol we do not list.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS as specs
    >>> parse("btcusdt@depth20@100ms", specs)
    Stream(symbol='BTCUSDT', kind='depth', parameter='20', fast=True)
    >>> parse("btcusdt@kline_1m", specs)
    Stream(symbol='BTCUSDT', kind='kline', parameter='1m', fast=False)
    >>> parse("!markPrice@arr@1s", specs), parse("xyzusdt@trade", specs), parse("btcusdt@kline_2m", specs)
    (Stream(symbol='', kind='markPrice', parameter='', fast=True), None, None)
    """
    if name in ALL_MARK_PRICES:
        return Stream("", "markPrice", "", name.endswith("@1s"))
    found = NAME.fullmatch(name)
    if found is None or found["symbol"].upper() not in instruments:
        return None
    kind, interval = found["kind"], found["interval"]
    if interval is not None:
        if interval not in KLINE_INTERVALS:
            return None
        kind = "kline"
    elif found["levels"] is not None:
        kind = "depth"
    return Stream(found["symbol"].upper(), kind, found["levels"] or interval or "", found["speed"] in ("100ms", "1s"))


class MarketStreams:
    """The payloads of each public stream, read through ``app``."""

    def __init__(self, app: Application) -> None:
        self.app = app

    def payloads(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        kinds: dict[str, Callable[[Stream, asyncio.Event], Payloads]] = {
            "depth": self.depth,
            "bookTicker": self.book_ticker,
            "trade": self.trades,
            "aggTrade": self.trades,
            "kline": self.klines,
            "markPrice": self.mark_prices,
            "ticker": self.tickers,
            "miniTicker": self.tickers,
        }
        return kinds[stream.kind](stream, ready)

    async def depth(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        """``depthUpdate``: the changed levels (``@depth``), or the top N levels after each change
        (``@depthN``). ``u`` is the book's update number, the REST depth's ``lastUpdateId`` for the same
        state; ``pu`` the previous message's ``u``, so the first message after a snapshot of
        ``lastUpdateId`` L has ``pu`` L (or covers L)."""
        symbol, levels = stream.symbol, int(stream.parameter or 0)
        spec = self.app.instruments[symbol]
        async with self.app.book_updates(symbol) as (_, updates):
            ready.set()
            if levels:
                yield await self._partial(symbol, levels, spec)
            async for message in updates:
                batch = [message.update, *(waiting.update for waiting in updates.take_buffered())]
                if levels:
                    yield await self._partial(symbol, levels, spec)
                else:
                    yield _depth_update(batch)

    async def _partial(self, symbol: str, levels: int, spec: Instrument) -> Any:
        book = await self.app.book(symbol, levels)
        time = render.ms(book.ts)
        return {
            "e": "depthUpdate",
            "E": time,
            "T": time,
            "s": symbol,
            "U": book.sequence,
            "u": book.sequence,
            "pu": max(0, book.sequence - 1),
            "b": render.levels(book.bids, spec),
            "a": render.levels(book.asks, spec),
        }

    async def book_ticker(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        """The best bid and offer now, then each time either changes."""
        symbol = stream.symbol
        spec = self.app.instruments[symbol]
        async with self.app.book_updates(symbol) as (whole, updates):
            ready.set()
            sent = (whole.bids[:1], whole.asks[:1])
            yield _book_ticker(symbol, whole, spec)
            async for _ in updates:
                updates.take_buffered()
                book = await self.app.book(symbol, 1)
                if (book.bids, book.asks) != sent:
                    sent = (book.bids, book.asks)
                    yield _book_ticker(symbol, book, spec)

    async def trades(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        """``trade`` or ``aggTrade`` for each trade (an aggregate trade is one trade here)."""
        aggregate = stream.kind == "aggTrade"
        async with self.app.trades(stream.symbol) as tape:
            ready.set()
            async for message in tape:
                for trade in message.trades:
                    yield _agg_trade(trade) if aggregate else _trade(trade)

    async def klines(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        """The current candle (once there is one), then each change and close."""
        symbol = stream.symbol
        spec = self.app.instruments[symbol]
        async with self.app.candle_updates(symbol, KLINE_INTERVALS[stream.parameter]) as (current, bars):
            ready.set()
            if current is not None:
                yield _kline(symbol, stream.parameter, render.kline(current, spec), closed=False)
            async for message in bars:
                yield _kline_from_message(symbol, stream.parameter, message.candle)

    async def mark_prices(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        """``markPriceUpdate`` for one symbol, or a list of every symbol's (``!markPrice@arr``)."""
        period = MARK_PRICE_FAST_PERIOD_S if stream.fast else MARK_PRICE_PERIOD_S
        symbols = [stream.symbol] if stream.symbol else list(self.app.instruments)
        ready.set()
        while True:
            specs = self.app.instruments
            updates = [
                _mark_price(ticker.symbol, ticker, specs[ticker.symbol]) for ticker in await self.app.tickers(symbols)
            ]
            yield updates if not stream.symbol else updates[0]
            await asyncio.sleep(period)

    async def tickers(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        """``24hrTicker`` or ``24hrMiniTicker``: the rolling 24 hours, every second."""
        symbol = stream.symbol
        mini = stream.kind == "miniTicker"
        ready.set()
        while True:
            [ticker] = await self.app.tickers([symbol])
            figures = render.ticker_24hr(symbol, ticker, self.app.instruments[symbol])
            yield _mini_ticker(figures, ticker.ts) if mini else _ticker(figures, ticker.ts)
            await asyncio.sleep(TICKER_PERIOD_S)


def _ms(stamp: Any) -> int:
    """A ``Timestamp`` in ms."""
    seconds: int = stamp.seconds
    nanos: int = stamp.nanos
    return seconds * 1000 + nanos // 1_000_000


def _depth_update(batch: list[Any]) -> dict[str, Any]:
    """Book updates merged into one ``depthUpdate``: each changed level with its last quantity."""
    first, last = batch[0], batch[-1]
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    for update in batch:
        bids.update((level.price, level.quantity) for level in update.bids)
        asks.update((level.price, level.quantity) for level in update.asks)
    time = _ms(last.time)
    return {
        "e": "depthUpdate",
        "E": time,
        "T": time,
        "s": last.symbol,
        "U": first.first_sequence,
        "u": last.sequence,
        "pu": first.first_sequence - 1,
        "b": [[price, quantity] for price, quantity in sorted(bids.items(), key=lambda item: -Decimal(item[0]))],
        "a": [[price, quantity] for price, quantity in sorted(asks.items(), key=lambda item: Decimal(item[0]))],
    }


def _book_ticker(symbol: str, book: Book, spec: Instrument) -> dict[str, Any]:
    [bid], [ask] = (
        render.levels(book.bids[:1], spec) or [["0", "0"]],
        render.levels(book.asks[:1], spec) or [["0", "0"]],
    )
    time = render.ms(book.ts)
    return {
        "e": "bookTicker",
        "u": book.sequence,
        "s": symbol,
        "b": bid[0],
        "B": bid[1],
        "a": ask[0],
        "A": ask[1],
        "T": time,
        "E": time,
    }


def _buyer_is_maker(trade: Any) -> bool:
    """The taker sold (the aggressor side is SELL, 2)."""
    name: str = trade.DESCRIPTOR.fields_by_name["aggressor_side"].enum_type.values_by_number[trade.aggressor_side].name
    return name == "SIDE_SELL"


def _trade(trade: Any) -> dict[str, Any]:
    time = _ms(trade.time)
    return {
        "e": "trade",
        "E": time,
        "T": time,
        "s": trade.symbol,
        "t": trade.trade_id,
        "p": trade.price,
        "q": trade.quantity,
        "X": "MARKET",
        "m": _buyer_is_maker(trade),
    }


def _agg_trade(trade: Any) -> dict[str, Any]:
    time = _ms(trade.time)
    return {
        "e": "aggTrade",
        "E": time,
        "a": trade.trade_id,
        "s": trade.symbol,
        "p": trade.price,
        "q": trade.quantity,
        "nq": trade.quantity,
        "f": trade.trade_id,
        "l": trade.trade_id,
        "T": time,
        "m": _buyer_is_maker(trade),
    }


def _kline(symbol: str, interval: str, row: list[Any], *, closed: bool) -> dict[str, Any]:
    """A REST kline row (``render.kline``) as the stream's ``k``."""
    opened, first_price, high, low, close, volume, closes, quote, count, *_ = row
    return {
        "e": "kline",
        "E": closes if closed else opened,
        "s": symbol,
        "k": {
            "t": opened,
            "T": closes,
            "s": symbol,
            "i": interval,
            "f": 0,
            "L": 0,
            "o": first_price,
            "c": close,
            "h": high,
            "l": low,
            "v": volume,
            "n": count,
            "x": closed,
            "q": quote,
            "V": "0",
            "Q": "0",
            "B": "0",
        },
    }


def _kline_from_message(symbol: str, interval: str, candle: Any) -> dict[str, Any]:
    opened = _ms(candle.open_time)
    closes = opened + render.ms(KLINE_INTERVALS[interval].value) - 1
    row = [opened, candle.open, candle.high, candle.low, candle.close, candle.volume, closes, candle.quote_volume]
    return _kline(symbol, interval, [*row, candle.trade_count], closed=candle.closed)


def _mark_price(symbol: str, view: Any, spec: Instrument) -> dict[str, Any]:
    figures = render.premium_index(symbol, view, spec)
    return {
        "e": "markPriceUpdate",
        "E": figures["time"],
        "s": symbol,
        "p": figures["markPrice"],
        "ap": figures["markPrice"],
        "P": figures["estimatedSettlePrice"],
        "i": figures["indexPrice"],
        "r": figures["lastFundingRate"],
        "T": figures["nextFundingTime"],
    }


def _ticker(figures: dict[str, Any], now: int) -> dict[str, Any]:
    return {
        "e": "24hrTicker",
        "E": render.ms(now),
        "s": figures["symbol"],
        "p": figures["priceChange"],
        "P": figures["priceChangePercent"],
        "w": figures["weightedAvgPrice"],
        "c": figures["lastPrice"],
        "Q": figures["lastQty"],
        "o": figures["openPrice"],
        "h": figures["highPrice"],
        "l": figures["lowPrice"],
        "v": figures["volume"],
        "q": figures["quoteVolume"],
        "O": figures["openTime"],
        "C": figures["closeTime"],
        "F": figures["firstId"],
        "L": figures["lastId"],
        "n": figures["count"],
    }


def _mini_ticker(figures: dict[str, Any], now: int) -> dict[str, Any]:
    return {
        "e": "24hrMiniTicker",
        "E": render.ms(now),
        "s": figures["symbol"],
        "c": figures["lastPrice"],
        "o": figures["openPrice"],
        "h": figures["highPrice"],
        "l": figures["lowPrice"],
        "v": figures["volume"],
        "q": figures["quoteVolume"],
    }
