"""MarketData: public instruments, books, trades, tickers, candles and funding rates (no API key needed)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from paperex.engine.instruments import Instrument
from paperex.server.core.queries import Book
from paperex.server.core.records import Candle, merged_book_updates
from paperex.server.grpc_api.auth import Context
from paperex.server.grpc_api.services.base import Runtime, streaming, unary
from paperex.server.grpc_api.shared_renders import SharedRenders
from paperex.server.wire import parse, render
from paperex.server.wire.errors import WireError
from paperex.v1 import market_data_pb2, market_data_pb2_grpc

DEFAULT_TICKER_INTERVAL = 1.0
MIN_TICKER_INTERVAL = 0.1


class MarketDataService(market_data_pb2_grpc.MarketDataServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._book_updates = SharedRenders(render.book_update)
        self._trades = SharedRenders(render.trades)
        self._candles = SharedRenders(_candle_update)

    def _symbol(self, symbol: str) -> str:
        return parse.instrument(self.runtime.instruments, symbol).symbol

    def _book(self, book: Book) -> market_data_pb2.OrderBook:
        spec = self.runtime.instruments[book.symbol]
        return market_data_pb2.OrderBook(
            symbol=book.symbol,
            sequence=book.sequence,
            bids=render.book_levels(book.bids, spec),
            asks=render.book_levels(book.asks, spec),
            time=render.timestamp(book.ts),
        )

    @unary
    async def ListInstruments(self, request: market_data_pb2.ListInstrumentsRequest, context: Context) -> Any:
        self.runtime.public(context)
        specs = self.runtime.instruments.values()
        return market_data_pb2.ListInstrumentsResponse(instruments=[render.instrument(spec) for spec in specs])

    @unary
    async def GetOrderBook(self, request: market_data_pb2.GetOrderBookRequest, context: Context) -> Any:
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        book = await self.runtime.app.book(symbol, request.depth)
        return market_data_pb2.GetOrderBookResponse(book=self._book(book))

    @streaming
    async def StreamOrderBook(
        self, request: market_data_pb2.StreamOrderBookRequest, context: Context
    ) -> AsyncIterator[market_data_pb2.StreamOrderBookResponse]:
        """The whole book at a sequence number, then every update after it (sequence + 1, + 2, ...)."""
        self.runtime.public(context)
        symbol = self._symbol(request.symbol)
        async with self.runtime.app.book_updates(symbol) as (snapshot, updates):
            yield market_data_pb2.StreamOrderBookResponse(snapshot=self._book(snapshot))
            spec = self.runtime.instruments[symbol]
            async for update in updates:
                if not updates.pending:
                    yield self._book_updates(update, spec)
                else:  # behind (or a batch of commands published at once): what waits goes as one message,
                    # so a reader catches up in one write and the server is not held up by hundreds
                    yield render.book_update(merged_book_updates([update, *updates.take_buffered()]), spec)

    @streaming
    async def StreamTrades(
        self, request: market_data_pb2.StreamTradesRequest, context: Context
    ) -> AsyncIterator[market_data_pb2.StreamTradesResponse]:
        self.runtime.public(context)
        spec = self.runtime.instruments[self._symbol(request.symbol)]
        async with self.runtime.app.trades(spec.symbol) as trades:
            yield market_data_pb2.StreamTradesResponse()
            async for batch in trades:
                yield self._trades(batch, spec)

    @unary
    async def GetTicker(self, request: market_data_pb2.GetTickerRequest, context: Context) -> Any:
        self.runtime.public(context)
        spec = self.runtime.instruments[self._symbol(request.symbol)]
        (ticker,) = await self.runtime.app.tickers([spec.symbol])
        return market_data_pb2.GetTickerResponse(ticker=render.ticker(ticker, spec))

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
        instruments = self.runtime.instruments
        while True:
            tickers = await self.runtime.app.tickers(symbols)
            for message in [render.ticker(ticker, instruments[ticker.symbol]) for ticker in tickers]:
                yield market_data_pb2.StreamTickersResponse(ticker=message)
            await asyncio.sleep(period)

    @unary
    async def GetCandles(self, request: market_data_pb2.GetCandlesRequest, context: Context) -> Any:
        self.runtime.public(context)
        spec = self.runtime.instruments[self._symbol(request.symbol)]
        interval = parse.candle_interval(request.interval)
        limit = parse.candle_limit(request.limit)
        start = parse.nanoseconds(request.start_time, "start_time") if request.HasField("start_time") else None
        end = parse.nanoseconds(request.end_time, "end_time") if request.HasField("end_time") else None
        price = parse.candle_price(request.price)
        bars = await self.runtime.app.candles(spec.symbol, interval, start, end, limit, price)
        return market_data_pb2.GetCandlesResponse(candles=[render.candle(spec.symbol, bar, spec) for bar in bars])

    @unary
    async def ListFundingRates(self, request: market_data_pb2.ListFundingRatesRequest, context: Context) -> Any:
        self.runtime.public(context)
        specs = self.runtime.instruments
        symbols = [self._symbol(request.symbol)] if request.symbol else list(specs)
        limit = parse.funding_rate_limit(request.limit)
        start, end = parse.time_range(request)
        oldest = request.HasField("start_time")
        found = await self.runtime.app.funding_history(symbols, start, end, limit, oldest=oldest)
        return market_data_pb2.ListFundingRatesResponse(
            funding_rates=[render.funding_rate(record, specs[record.symbol]) for record in found]
        )

    @streaming
    async def StreamCandles(
        self, request: market_data_pb2.StreamCandlesRequest, context: Context
    ) -> AsyncIterator[market_data_pb2.StreamCandlesResponse]:
        """The current candle, then every change and close of it and its successors."""
        self.runtime.public(context)
        spec = self.runtime.instruments[self._symbol(request.symbol)]
        interval = parse.candle_interval(request.interval)
        async with self.runtime.app.candle_updates(spec.symbol, interval) as (current, bars):
            yield market_data_pb2.StreamCandlesResponse(
                candle=render.candle(spec.symbol, current, spec) if current is not None else None
            )
            async for bar in bars:
                yield self._candles(bar, spec)


def _candle_update(bar: Candle, spec: Instrument) -> market_data_pb2.StreamCandlesResponse:
    return render.candle_update(spec.symbol, bar, spec)
