"""The read models' records the application answers with, by the names adapters use: an adapter imports
them from here, never a read model's module (``tests/test_architecture.py``)."""

from paperex.server.state.candles import Candle, CandlePrice, Interval
from paperex.server.state.funding_history import FundingRecord
from paperex.server.state.history import FillRecord, OrderRecord, OrderSnapshot
from paperex.server.state.income import IncomeRecord, IncomeType
from paperex.server.state.margin_adjustments import MarginAdjustment
from paperex.server.state.public_trades import AggregateTrade, PublicTrade
from paperex.server.state.ticker_stats import Ticker

__all__ = [
    "AggregateTrade",
    "Candle",
    "CandlePrice",
    "FillRecord",
    "FundingRecord",
    "IncomeRecord",
    "IncomeType",
    "Interval",
    "MarginAdjustment",
    "OrderRecord",
    "OrderSnapshot",
    "PublicTrade",
    "Ticker",
]
