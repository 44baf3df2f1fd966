import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from paperex.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LiquidationFeeModel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIQUIDATION_FEE_MODEL_UNSPECIFIED: _ClassVar[LiquidationFeeModel]
    LIQUIDATION_FEE_MODEL_CLEARANCE: _ClassVar[LiquidationFeeModel]
    LIQUIDATION_FEE_MODEL_TAKER: _ClassVar[LiquidationFeeModel]
    LIQUIDATION_FEE_MODEL_NONE: _ClassVar[LiquidationFeeModel]

class CandleInterval(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDLE_INTERVAL_UNSPECIFIED: _ClassVar[CandleInterval]
    CANDLE_INTERVAL_1M: _ClassVar[CandleInterval]
    CANDLE_INTERVAL_5M: _ClassVar[CandleInterval]
    CANDLE_INTERVAL_15M: _ClassVar[CandleInterval]
    CANDLE_INTERVAL_1H: _ClassVar[CandleInterval]
    CANDLE_INTERVAL_4H: _ClassVar[CandleInterval]
    CANDLE_INTERVAL_1D: _ClassVar[CandleInterval]

class CandlePrice(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDLE_PRICE_UNSPECIFIED: _ClassVar[CandlePrice]
    CANDLE_PRICE_LAST: _ClassVar[CandlePrice]
    CANDLE_PRICE_MARK: _ClassVar[CandlePrice]
    CANDLE_PRICE_INDEX: _ClassVar[CandlePrice]
LIQUIDATION_FEE_MODEL_UNSPECIFIED: LiquidationFeeModel
LIQUIDATION_FEE_MODEL_CLEARANCE: LiquidationFeeModel
LIQUIDATION_FEE_MODEL_TAKER: LiquidationFeeModel
LIQUIDATION_FEE_MODEL_NONE: LiquidationFeeModel
CANDLE_INTERVAL_UNSPECIFIED: CandleInterval
CANDLE_INTERVAL_1M: CandleInterval
CANDLE_INTERVAL_5M: CandleInterval
CANDLE_INTERVAL_15M: CandleInterval
CANDLE_INTERVAL_1H: CandleInterval
CANDLE_INTERVAL_4H: CandleInterval
CANDLE_INTERVAL_1D: CandleInterval
CANDLE_PRICE_UNSPECIFIED: CandlePrice
CANDLE_PRICE_LAST: CandlePrice
CANDLE_PRICE_MARK: CandlePrice
CANDLE_PRICE_INDEX: CandlePrice

class Instrument(_message.Message):
    __slots__ = ("symbol", "base_asset", "quote_asset", "tick_size", "lot_size", "min_quantity", "max_quantity", "max_market_quantity", "min_price", "max_price", "min_notional", "price_band", "maker_fee_rate", "taker_fee_rate", "max_leverage", "brackets", "funding_interval", "funding_rate_cap", "funding_rate_floor", "interest_rate", "liquidation_fee", "liquidation_fee_rate")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BASE_ASSET_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ASSET_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MAX_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MAX_MARKET_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MIN_PRICE_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    PRICE_BAND_FIELD_NUMBER: _ClassVar[int]
    MAKER_FEE_RATE_FIELD_NUMBER: _ClassVar[int]
    TAKER_FEE_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    BRACKETS_FIELD_NUMBER: _ClassVar[int]
    FUNDING_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    FUNDING_RATE_CAP_FIELD_NUMBER: _ClassVar[int]
    FUNDING_RATE_FLOOR_FIELD_NUMBER: _ClassVar[int]
    INTEREST_RATE_FIELD_NUMBER: _ClassVar[int]
    LIQUIDATION_FEE_FIELD_NUMBER: _ClassVar[int]
    LIQUIDATION_FEE_RATE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    base_asset: str
    quote_asset: str
    tick_size: str
    lot_size: str
    min_quantity: str
    max_quantity: str
    max_market_quantity: str
    min_price: str
    max_price: str
    min_notional: str
    price_band: str
    maker_fee_rate: str
    taker_fee_rate: str
    max_leverage: int
    brackets: _containers.RepeatedCompositeFieldContainer[LeverageBracket]
    funding_interval: _duration_pb2.Duration
    funding_rate_cap: str
    funding_rate_floor: str
    interest_rate: str
    liquidation_fee: LiquidationFeeModel
    liquidation_fee_rate: str
    def __init__(self, symbol: _Optional[str] = ..., base_asset: _Optional[str] = ..., quote_asset: _Optional[str] = ..., tick_size: _Optional[str] = ..., lot_size: _Optional[str] = ..., min_quantity: _Optional[str] = ..., max_quantity: _Optional[str] = ..., max_market_quantity: _Optional[str] = ..., min_price: _Optional[str] = ..., max_price: _Optional[str] = ..., min_notional: _Optional[str] = ..., price_band: _Optional[str] = ..., maker_fee_rate: _Optional[str] = ..., taker_fee_rate: _Optional[str] = ..., max_leverage: _Optional[int] = ..., brackets: _Optional[_Iterable[_Union[LeverageBracket, _Mapping]]] = ..., funding_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., funding_rate_cap: _Optional[str] = ..., funding_rate_floor: _Optional[str] = ..., interest_rate: _Optional[str] = ..., liquidation_fee: _Optional[_Union[LiquidationFeeModel, str]] = ..., liquidation_fee_rate: _Optional[str] = ...) -> None: ...

class LeverageBracket(_message.Message):
    __slots__ = ("notional_floor", "notional_cap", "max_leverage", "maintenance_margin_rate", "maintenance_amount")
    NOTIONAL_FLOOR_FIELD_NUMBER: _ClassVar[int]
    NOTIONAL_CAP_FIELD_NUMBER: _ClassVar[int]
    MAX_LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MARGIN_RATE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    notional_floor: str
    notional_cap: str
    max_leverage: int
    maintenance_margin_rate: str
    maintenance_amount: str
    def __init__(self, notional_floor: _Optional[str] = ..., notional_cap: _Optional[str] = ..., max_leverage: _Optional[int] = ..., maintenance_margin_rate: _Optional[str] = ..., maintenance_amount: _Optional[str] = ...) -> None: ...

class OrderBook(_message.Message):
    __slots__ = ("symbol", "sequence", "bids", "asks", "time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    sequence: int
    bids: _containers.RepeatedCompositeFieldContainer[_common_pb2.BookLevel]
    asks: _containers.RepeatedCompositeFieldContainer[_common_pb2.BookLevel]
    time: _timestamp_pb2.Timestamp
    def __init__(self, symbol: _Optional[str] = ..., sequence: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[_common_pb2.BookLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[_common_pb2.BookLevel, _Mapping]]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderBookUpdate(_message.Message):
    __slots__ = ("symbol", "sequence", "bids", "asks", "time", "first_sequence")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    sequence: int
    bids: _containers.RepeatedCompositeFieldContainer[_common_pb2.BookLevel]
    asks: _containers.RepeatedCompositeFieldContainer[_common_pb2.BookLevel]
    time: _timestamp_pb2.Timestamp
    first_sequence: int
    def __init__(self, symbol: _Optional[str] = ..., sequence: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[_common_pb2.BookLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[_common_pb2.BookLevel, _Mapping]]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_sequence: _Optional[int] = ...) -> None: ...

class Ticker(_message.Message):
    __slots__ = ("symbol", "last_price", "best_bid_price", "best_bid_quantity", "best_ask_price", "best_ask_quantity", "mark_price", "index_price", "funding_rate", "next_funding_time", "open_price_24h", "high_price_24h", "low_price_24h", "volume_24h", "quote_volume_24h", "open_interest", "time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    BEST_BID_PRICE_FIELD_NUMBER: _ClassVar[int]
    BEST_BID_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    BEST_ASK_PRICE_FIELD_NUMBER: _ClassVar[int]
    BEST_ASK_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    INDEX_PRICE_FIELD_NUMBER: _ClassVar[int]
    FUNDING_RATE_FIELD_NUMBER: _ClassVar[int]
    NEXT_FUNDING_TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_PRICE_24H_FIELD_NUMBER: _ClassVar[int]
    HIGH_PRICE_24H_FIELD_NUMBER: _ClassVar[int]
    LOW_PRICE_24H_FIELD_NUMBER: _ClassVar[int]
    VOLUME_24H_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_24H_FIELD_NUMBER: _ClassVar[int]
    OPEN_INTEREST_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    last_price: str
    best_bid_price: str
    best_bid_quantity: str
    best_ask_price: str
    best_ask_quantity: str
    mark_price: str
    index_price: str
    funding_rate: str
    next_funding_time: _timestamp_pb2.Timestamp
    open_price_24h: str
    high_price_24h: str
    low_price_24h: str
    volume_24h: str
    quote_volume_24h: str
    open_interest: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, symbol: _Optional[str] = ..., last_price: _Optional[str] = ..., best_bid_price: _Optional[str] = ..., best_bid_quantity: _Optional[str] = ..., best_ask_price: _Optional[str] = ..., best_ask_quantity: _Optional[str] = ..., mark_price: _Optional[str] = ..., index_price: _Optional[str] = ..., funding_rate: _Optional[str] = ..., next_funding_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., open_price_24h: _Optional[str] = ..., high_price_24h: _Optional[str] = ..., low_price_24h: _Optional[str] = ..., volume_24h: _Optional[str] = ..., quote_volume_24h: _Optional[str] = ..., open_interest: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Candle(_message.Message):
    __slots__ = ("symbol", "interval", "open_time", "close_time", "open", "high", "low", "close", "volume", "quote_volume", "trade_count", "closed")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: CandleInterval
    open_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    open: str
    high: str
    low: str
    close: str
    volume: str
    quote_volume: str
    trade_count: int
    closed: bool
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[CandleInterval, str]] = ..., open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., open: _Optional[str] = ..., high: _Optional[str] = ..., low: _Optional[str] = ..., close: _Optional[str] = ..., volume: _Optional[str] = ..., quote_volume: _Optional[str] = ..., trade_count: _Optional[int] = ..., closed: _Optional[bool] = ...) -> None: ...

class ListInstrumentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListInstrumentsResponse(_message.Message):
    __slots__ = ("instruments",)
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    instruments: _containers.RepeatedCompositeFieldContainer[Instrument]
    def __init__(self, instruments: _Optional[_Iterable[_Union[Instrument, _Mapping]]] = ...) -> None: ...

class GetOrderBookRequest(_message.Message):
    __slots__ = ("symbol", "depth")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    depth: int
    def __init__(self, symbol: _Optional[str] = ..., depth: _Optional[int] = ...) -> None: ...

class GetOrderBookResponse(_message.Message):
    __slots__ = ("book",)
    BOOK_FIELD_NUMBER: _ClassVar[int]
    book: OrderBook
    def __init__(self, book: _Optional[_Union[OrderBook, _Mapping]] = ...) -> None: ...

class StreamOrderBookRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class StreamOrderBookResponse(_message.Message):
    __slots__ = ("snapshot", "update")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    snapshot: OrderBook
    update: OrderBookUpdate
    def __init__(self, snapshot: _Optional[_Union[OrderBook, _Mapping]] = ..., update: _Optional[_Union[OrderBookUpdate, _Mapping]] = ...) -> None: ...

class StreamTradesRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class StreamTradesResponse(_message.Message):
    __slots__ = ("trades",)
    TRADES_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[_common_pb2.Trade]
    def __init__(self, trades: _Optional[_Iterable[_Union[_common_pb2.Trade, _Mapping]]] = ...) -> None: ...

class GetTickerRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetTickerResponse(_message.Message):
    __slots__ = ("ticker",)
    TICKER_FIELD_NUMBER: _ClassVar[int]
    ticker: Ticker
    def __init__(self, ticker: _Optional[_Union[Ticker, _Mapping]] = ...) -> None: ...

class StreamTickersRequest(_message.Message):
    __slots__ = ("symbols", "interval")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    interval: _duration_pb2.Duration
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StreamTickersResponse(_message.Message):
    __slots__ = ("ticker",)
    TICKER_FIELD_NUMBER: _ClassVar[int]
    ticker: Ticker
    def __init__(self, ticker: _Optional[_Union[Ticker, _Mapping]] = ...) -> None: ...

class GetCandlesRequest(_message.Message):
    __slots__ = ("symbol", "interval", "start_time", "end_time", "limit", "price")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: CandleInterval
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    limit: int
    price: CandlePrice
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[CandleInterval, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ..., price: _Optional[_Union[CandlePrice, str]] = ...) -> None: ...

class GetCandlesResponse(_message.Message):
    __slots__ = ("candles",)
    CANDLES_FIELD_NUMBER: _ClassVar[int]
    candles: _containers.RepeatedCompositeFieldContainer[Candle]
    def __init__(self, candles: _Optional[_Iterable[_Union[Candle, _Mapping]]] = ...) -> None: ...

class StreamCandlesRequest(_message.Message):
    __slots__ = ("symbol", "interval")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: CandleInterval
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[CandleInterval, str]] = ...) -> None: ...

class StreamCandlesResponse(_message.Message):
    __slots__ = ("candle",)
    CANDLE_FIELD_NUMBER: _ClassVar[int]
    candle: Candle
    def __init__(self, candle: _Optional[_Union[Candle, _Mapping]] = ...) -> None: ...

class FundingRate(_message.Message):
    __slots__ = ("symbol", "rate", "mark_price", "time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    rate: str
    mark_price: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, symbol: _Optional[str] = ..., rate: _Optional[str] = ..., mark_price: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListFundingRatesRequest(_message.Message):
    __slots__ = ("symbol", "start_time", "end_time", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListFundingRatesResponse(_message.Message):
    __slots__ = ("funding_rates",)
    FUNDING_RATES_FIELD_NUMBER: _ClassVar[int]
    funding_rates: _containers.RepeatedCompositeFieldContainer[FundingRate]
    def __init__(self, funding_rates: _Optional[_Iterable[_Union[FundingRate, _Mapping]]] = ...) -> None: ...
