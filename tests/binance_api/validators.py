"""ccxt's own result validators (shipped in the ccxt package), under names pytest does not collect."""

from ccxt.test.exchange.base.test_balance import test_balance as balance
from ccxt.test.exchange.base.test_funding_rate_history import test_funding_rate_history as funding_rate_history
from ccxt.test.exchange.base.test_leverage_tier import test_leverage_tier as leverage_tier
from ccxt.test.exchange.base.test_liquidation import test_liquidation as liquidation
from ccxt.test.exchange.base.test_margin_modification import test_margin_modification as margin_modification
from ccxt.test.exchange.base.test_market import test_market as market
from ccxt.test.exchange.base.test_ohlcv import test_ohlcv as ohlcv
from ccxt.test.exchange.base.test_open_interest import test_open_interest as open_interest
from ccxt.test.exchange.base.test_order import test_order as order
from ccxt.test.exchange.base.test_order_book import test_order_book as order_book
from ccxt.test.exchange.base.test_position import test_position as position
from ccxt.test.exchange.base.test_ticker import test_ticker as ticker
from ccxt.test.exchange.base.test_trade import test_trade as trade
from ccxt.test.exchange.base.test_trading_fee import test_trading_fee as trading_fee

__all__ = [
    "balance",
    "funding_rate_history",
    "leverage_tier",
    "liquidation",
    "margin_modification",
    "market",
    "ohlcv",
    "open_interest",
    "order",
    "order_book",
    "position",
    "ticker",
    "trade",
    "trading_fee",
]
