"""MarketData: public instruments, books, trades, tickers and candles (no API key needed)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from paperex.server.core.exchange import Exchange, book_topic, candles_topic, trades_topic
from paperex.server.grpc_api.auth import Context
from paperex.server.grpc_api.services.base import Runtime, streaming, unary
from paperex.server.state.candles import DEFAULT_LIMIT, MAX_LIMIT, Interval
from paperex.server.wire import parse, render
from paperex.server.wire.errors import WireError
from paperex.v1 import market_data_pb2, market_data_pb2_grpc

WHOLE_BOOK = 2**32
"""A depth above any uint32 request: every level (depth 0, stream snapshots)."""
DEFAULT_TICKER_INTERVAL = 1.0
MIN_TICKER_INTERVAL = 0.1

_INTERVALS: dict[int, Interval] = {number: interval for interval, number in render.CANDLE_INTERVALS.items()}


def _book(exchange: Exchange, symbol: str, depth: int) -> market_data_pb2.OrderBook:
    spec = exchange.instruments[symbol]
    bids, asks = exchange.engine.depth(symbol, depth)
    return market_data_pb2.OrderBook(
        symbol=symbol,
        sequence=exchange.book_sequence[symbol],
        bids=render.book_levels(bids, spec),
        asks=render.book_levels(asks, spec),
        time=render.timestamp(exchange.now),
    )


def _ticker(exchange: Exchange, symbol: str) -> market_data_pb2.Ticker:
    market = exchange.engine.markets[symbol]
    stats = exchange.ticker_stats.snapshot(symbol, exchange.now)
    return render.ticker(market, stats, exchange.open_interest(symbol), exchange.now)


def _interval(value: int) -> Interval:
    interval = _INTERVALS.get(value)
    if interval is None:
        what = "is required" if value == 0 else f"has no value {value}"
        raise WireError("INVALID_ENUM_VALUE", "interval", f"interval {what}")
    return interval


class MarketDataService(market_data_pb2_grpc.MarketDataServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _symbol(self, symbol: str) -> str:
        return parse.instrument(self.runtime.instruments, symbol).symbol

    @unary
    async def ListInstruments(self, request: market_data_pb2.ListInstrumentsRequest, context: Context) -> Any:
        self.runtime.public(context)
        specs = self.runtime.instruments.values()
        return market_data_pb2.ListInstrumentsResponse(instruments=[render.instrument(spec) for spec in specs])

    @unary
    async def GetOrderBook(self, request: market_data_pb2.GetOrderBookRequest, context: Context) -> Any:
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        await self.runtime.sequencer.settled()
        book = _book(self.runtime.exchange, symbol, request.depth or WHOLE_BOOK)
        return market_data_pb2.GetOrderBookResponse(book=book)

    @streaming
    async def StreamOrderBook(
        self, request: market_data_pb2.StreamOrderBookRequest, context: Context
    ) -> AsyncIterator[market_data_pb2.StreamOrderBookResponse]:
        """The whole book at a sequence number, then every update after it (sequence + 1, + 2, ...)."""
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        await self.runtime.sequencer.settled()
        async with self.runtime.hub.subscribe(book_topic(symbol), self.runtime.stream_capacity) as updates:
            snapshot = _book(self.runtime.exchange, symbol, WHOLE_BOOK)
            yield market_data_pb2.StreamOrderBookResponse(snapshot=snapshot)
            async for update in updates:
                if not updates.pending:
                    yield update
                else:  # behind (or a batch of commands published at once): what waits goes as one message,
                    # so a reader catches up in one write and the server is not held up by hundreds
                    yield render.merged_book_updates([update, *updates.take_buffered()])

    @streaming
    async def StreamTrades(
        self, request: market_data_pb2.StreamTradesRequest, context: Context
    ) -> AsyncIterator[market_data_pb2.StreamTradesResponse]:
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        async with self.runtime.hub.subscribe(trades_topic(symbol), self.runtime.stream_capacity) as trades:
            yield market_data_pb2.StreamTradesResponse()
            async for batch in trades:
                yield batch

    @unary
    async def GetTicker(self, request: market_data_pb2.GetTickerRequest, context: Context) -> Any:
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        await self.runtime.sequencer.settled()
        return market_data_pb2.GetTickerResponse(ticker=_ticker(self.runtime.exchange, symbol))

    @streaming
    async def StreamTickers(
        self, request: market_data_pb2.StreamTickersRequest, context: Context
    ) -> AsyncIterator[market_data_pb2.StreamTickersResponse]:
        """Every ``interval`` (default 1 s, at least 100 ms), one ticker per requested symbol."""
        self.runtime.public(context)
        symbols = [self._symbol(symbol) for symbol in request.symbols] or list(self.runtime.instruments)
        period = request.interval.ToNanoseconds() / 1e9 if request.HasField("interval") else DEFAULT_TICKER_INTERVAL
        if period < MIN_TICKER_INTERVAL:
            raise WireError("INVALID_ARGUMENT", "interval", f"interval is at least {MIN_TICKER_INTERVAL} s")
        while True:
            await self.runtime.sequencer.settled()
            exchange = self.runtime.exchange
            for message in [_ticker(exchange, symbol) for symbol in symbols]:
                yield market_data_pb2.StreamTickersResponse(ticker=message)
            await asyncio.sleep(period)

    @unary
    async def GetCandles(self, request: market_data_pb2.GetCandlesRequest, context: Context) -> Any:
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        interval = _interval(request.interval)
        if request.limit > MAX_LIMIT:
            raise WireError("INVALID_ARGUMENT", "limit", f"limit is at most {MAX_LIMIT}")
        start = parse.nanoseconds(request.start_time, "start_time") if request.HasField("start_time") else None
        end = parse.nanoseconds(request.end_time, "end_time") if request.HasField("end_time") else None
        await self.runtime.sequencer.settled()
        exchange = self.runtime.exchange
        spec = exchange.instruments[symbol]
        bars = exchange.candles.history(symbol, interval, start, end, request.limit or DEFAULT_LIMIT)
        return market_data_pb2.GetCandlesResponse(candles=[render.candle(symbol, bar, spec) for bar in bars])

    @streaming
    async def StreamCandles(
        self, request: market_data_pb2.StreamCandlesRequest, context: Context
    ) -> AsyncIterator[market_data_pb2.StreamCandlesResponse]:
        """The current candle, then every change and close of it and its successors."""
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        interval = _interval(request.interval)
        await self.runtime.sequencer.settled()
        async with self.runtime.hub.subscribe(candles_topic(symbol, interval), self.runtime.stream_capacity) as bars:
            exchange = self.runtime.exchange
            current = exchange.candles.history(symbol, interval, limit=1)
            spec = exchange.instruments[symbol]
            yield market_data_pb2.StreamCandlesResponse(
                candle=render.candle(symbol, current[0], spec) if current else None
            )
            async for bar in bars:
                yield bar
