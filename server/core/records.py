"""The read models' records and stream values the application answers with, by the names adapters use: an
adapter imports them from here, never a read model's module (``tests/test_architecture.py``)."""

from paperex.server.state.candles import Candle, CandlePrice, Interval
from paperex.server.state.funding_history import FundingRecord
from paperex.server.state.history import FillRecord, OrderRecord, OrderSnapshot, OrderState
from paperex.server.state.income import IncomeRecord, IncomeType
from paperex.server.state.margin_adjustments import MarginAdjustment
from paperex.server.state.market_updates import BookUpdate, Trade, TradeBatch, merged_book_updates
from paperex.server.state.open_interest import OpenInterestSample
from paperex.server.state.public_trades import AggregateTrade, PublicTrade
from paperex.server.state.ticker_stats import Ticker
from paperex.server.state.user_events import (
    AccountNotice,
    AlertFired,
    BalanceUpdate,
    OrderUpdate,
    PositionUpdate,
    UserEvent,
    position_figures,
)

__all__ = [
    "AccountNotice",
    "AggregateTrade",
    "AlertFired",
    "BalanceUpdate",
    "BookUpdate",
    "Candle",
    "CandlePrice",
    "FillRecord",
    "FundingRecord",
    "IncomeRecord",
    "IncomeType",
    "Interval",
    "MarginAdjustment",
    "OpenInterestSample",
    "OrderRecord",
    "OrderSnapshot",
    "OrderState",
    "OrderUpdate",
    "PositionUpdate",
    "PublicTrade",
    "Ticker",
    "Trade",
    "TradeBatch",
    "UserEvent",
    "merged_book_updates",
    "position_figures",
]
