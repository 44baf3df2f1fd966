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
from typing import Any, NamedTuple

from paperex.engine.instruments import Instrument
from paperex.engine.orders import Side
from paperex.server.binance_api import render
from paperex.server.binance_api.params import KLINE_INTERVALS
from paperex.server.core.application import Application
from paperex.server.core.queries import Book
from paperex.server.core.records import BookUpdate, Trade, TradeBatch, merged_book_updates

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
            async for update in updates:
                waiting = updates.take_buffered()
                if levels:
                    yield await self._partial(symbol, levels, spec)
                else:
                    yield _depth_update(merged_book_updates([update, *waiting]), spec)

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
        spec = self.app.instruments[stream.symbol]
        async with self.app.trades(stream.symbol) as tape:
            ready.set()
            async for batch in tape:
                for trade in batch.trades:
                    yield _agg_trade(batch, trade, spec) if aggregate else _trade(batch, trade, spec)

    async def klines(self, stream: Stream, ready: asyncio.Event) -> Payloads:
        """The current candle (once there is one), then each change and close."""
        symbol = stream.symbol
        spec = self.app.instruments[symbol]
        async with self.app.candle_updates(symbol, KLINE_INTERVALS[stream.parameter]) as (current, bars):
            ready.set()
            if current is not None:
                yield _kline(symbol, stream.parameter, render.kline(current, spec), closed=False)
            async for bar in bars:
                yield _kline(symbol, stream.parameter, render.kline(bar, spec), closed=bar.closed)

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


def _depth_update(update: BookUpdate, spec: Instrument) -> dict[str, Any]:
    """A book update (several merged, when a reader fell behind) as one ``depthUpdate``: each changed level
    with its last quantity, bids from the highest, asks from the lowest."""
    bids = sorted((level for level in update.levels if level[0] is Side.BUY), key=lambda level: -level[1])
    asks = sorted((level for level in update.levels if level[0] is Side.SELL), key=lambda level: level[1])
    time = render.ms(update.ts)
    return {
        "e": "depthUpdate",
        "E": time,
        "T": time,
        "s": update.symbol,
        "U": update.first_sequence,
        "u": update.sequence,
        "pu": update.first_sequence - 1,
        "b": [[render.price_text(price, spec), render.signed_qty(quantity, spec)] for _, price, quantity, _ in bids],
        "a": [[render.price_text(price, spec), render.signed_qty(quantity, spec)] for _, price, quantity, _ in asks],
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


def _trade(batch: TradeBatch, trade: Trade, spec: Instrument) -> dict[str, Any]:
    trade_id, price, quantity, aggressor = trade
    time = render.ms(batch.ts)
    return {
        "e": "trade",
        "E": time,
        "T": time,
        "s": batch.symbol,
        "t": trade_id,
        "p": render.price_text(price, spec),
        "q": render.signed_qty(quantity, spec),
        "X": "MARKET",
        "m": aggressor is Side.SELL,  # the buyer made the price: the taker sold
    }


def _agg_trade(batch: TradeBatch, trade: Trade, spec: Instrument) -> dict[str, Any]:
    trade_id, price, quantity, aggressor = trade
    time = render.ms(batch.ts)
    return {
        "e": "aggTrade",
        "E": time,
        "a": trade_id,
        "s": batch.symbol,
        "p": render.price_text(price, spec),
        "q": render.signed_qty(quantity, spec),
        "nq": render.signed_qty(quantity, spec),
        "f": trade_id,
        "l": trade_id,
        "T": time,
        "m": aggressor is Side.SELL,  # the buyer made the price: the taker sold
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
