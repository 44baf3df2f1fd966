"""What an exchange snapshot stores of each class its state holds (``paperex.server.persistence.snapshot_format``
writes and reads it), and the two calls that write and read a whole ``Exchange``.

Dataclasses and NamedTuples store their declared fields; the other classes list theirs here, every
attribute they may hold (writing a snapshot fails on an object holding one more). The engine's classes
and the results stage's (``Results`` and its read models) are made through their constructors, which a
build compiled by mypyc requires (any arguments are placeholders the stored fields then replace); the
engine itself stores its ``EngineState`` alone and builds its jobs around it once loaded. A snapshot
written before a class's fields changed is refused (it lists them) and recovery replays the journal; when
what a field means changes, raise ``snapshot_format.FORMAT_VERSION`` for the same effect.
"""

import typing

from paperex.engine.accounts import Account, Exposure, MarginMode, PositionMode, SymbolSettings
from paperex.engine.book import BookSide, DepthLevel, Level, OrderBook
from paperex.engine.collateral import CollateralAsset
from paperex.engine.commands import Command
from paperex.engine.engine import Engine
from paperex.engine.events import BalanceReason, Event, FundReason
from paperex.engine.funding import PremiumSampler
from paperex.engine.instruments import Bracket, Instrument, LiquidationFee
from paperex.engine.mark import BasisWindow, MarkMethod
from paperex.engine.market import Market
from paperex.engine.orders import (
    Order,
    OrderStatus,
    OrderType,
    PositionSide,
    SelfTradePrevention,
    Side,
    TimeInForce,
    TriggerBy,
)
from paperex.engine.positions import Position
from paperex.engine.reasons import EndReason, RejectReason
from paperex.engine.refusals import Figure, Unit
from paperex.engine.risk import FigureBasis
from paperex.engine.state import EngineState
from paperex.engine.triggers import TriggerBook
from paperex.server.core.exchange import AccountEntry, Exchange
from paperex.server.core.exchange_commands import HOST_COMMANDS
from paperex.server.core.results import Results
from paperex.server.market.fault_plans import CallKind, FaultPlan, Latency
from paperex.server.market.feeds import (
    Fixed,
    IndexJump,
    Jumps,
    MarketFeed,
    Path,
    RandomWalk,
    Replay,
    Segment,
    _FixedProcess,
    _PathProcess,
    _ReplayProcess,
    _WalkProcess,
)
from paperex.server.market.history import KlineHistory, KlineRow
from paperex.server.market.kline_trades import KlineTape, KlineTrades, Print
from paperex.server.market.liquidity import LadderLevel, LiquidityProvider, QuoteConfig, Regime, _Quoting
from paperex.server.market.liquidity_v1 import LiquidityProviderV1, Quote
from paperex.server.market.liquidity_v1 import _Market as QuotedMarket
from paperex.server.market.market_script import MarketScript
from paperex.server.market.scenarios import Liquidity, LiquidityRegime, Scenario
from paperex.server.market.takers import TakerConfig, TakerFlow, _Stream
from paperex.server.persistence.snapshot_format import Schema, SnapshotFormatError, Stored, decode, encode
from paperex.server.state.alerts import Alert, AlertBook, Direction
from paperex.server.state.books import Books
from paperex.server.state.books import _Side as BookSideView
from paperex.server.state.candles import (
    Candle,
    CandlePrice,
    CandleSeries,
    CandleStore,
    Interval,
    PriceCandleSeries,
    PriceCandleStore,
)
from paperex.server.state.funding_history import FundingHistory, FundingRecord
from paperex.server.state.funds import Funds
from paperex.server.state.history import RETAINED_PER_ACCOUNT, FillRecord, History, OrderRecord, _AccountHistory
from paperex.server.state.income import IncomeHistory, IncomeRecord, IncomeType, OtherAssetIncome
from paperex.server.state.liquidation_records import LiquidationRecord, LiquidationRecords
from paperex.server.state.margin_accounts import HeldPosition, MarginAccounts
from paperex.server.state.margin_adjustments import MarginAdjustment, MarginAdjustments
from paperex.server.state.open_interest import OpenInterestHistory, OpenInterestSample
from paperex.server.state.prices import PriceBoard
from paperex.server.state.public_trades import PublicTrade, PublicTrades
from paperex.server.state.ticker_stats import TickerStats, _Minute, _RollingMax, _Window
from paperex.server.state.user_event_log import UserEventLog
from paperex.server.state.user_events import (
    AccountNotice,
    AlertFired,
    BalanceUpdate,
    OrderUpdate,
    PositionUpdate,
    UserEventCapture,
)
from paperex.server.state.wallets import Wallets


def _compose(engine: Engine) -> None:
    """Build the engine's jobs around the state it was loaded with."""
    engine._compose(engine.state)


_ENGINE = (
    Stored(Engine, ("state",), make=lambda: Engine({}), loaded=_compose),
    Stored(
        EngineState,
        (
            "account_orders", "accounts", "asset_deposits", "at_risk", "client_ids", "collateral", "events",
            "exchanged", "expiries", "expiries_limit", "fees_collected", "insurance_contributions", "market_list",
            "markets", "moved", "multi_assets", "net_deposits", "next_funding", "next_order_id", "next_trade_id",
            "now", "orders", "prices_moved", "recent_client_ids", "reduce_only", "touched",
        ),
        make=lambda: EngineState({}),
    ),
    Stored(
        Market,
        (
            "basis", "book", "dirty", "funding_rate", "holders", "index_price", "instrument", "insurance_fund",
            "last_price", "mark_moved", "mark_price", "next_funding", "notional_unit", "position_caps", "premium",
            "symbol", "trade_high", "trade_low", "triggers",
        ),
        make=Market,
        args=("instrument",),
    ),
    Stored(OrderBook, ("asks", "bids", "orders", "symbol"), make=OrderBook, args=("symbol",)),
    Stored(BookSide, ("best_key", "key_sign", "levels", "side"), make=BookSide, args=("side",)),
    Stored(Level, ("count", "head", "price", "quantity", "side", "tail"), make=Level, args=("side", "price")),
    Stored(
        Order,
        (
            "account_id", "activation_price", "armed", "callback_bps", "client_order_id", "close_position",
            "expire_at", "extreme", "filled", "liquidation", "next", "order_id", "order_type", "position_side",
            "prev", "price", "quantity", "reduce_only", "side", "status", "stop_price", "stp", "symbol",
            "time_in_force", "trigger_by", "triggered",
        ),
        make=Order,
        args=("order_id", "account_id", "symbol", "side", "order_type", "quantity", "price", "time_in_force", "stp"),
    ),
    Stored(TriggerBook, ("_falling", "_rising", "_trailing", "orders"), make=TriggerBook),
    Stored(
        Account,
        (
            "account_id", "assets", "collateral", "exposures", "isolated_call_levels", "leg_call_levels",
            "liquidatable", "margin_call_level", "position_mode", "positions", "settings", "short_legs", "wallet",
        ),
        make=Account,
        args=("account_id",),
    ),
    Stored(Exposure, ("buy_lots", "buy_notional", "sell_lots", "sell_notional"), make=Exposure),
    Stored(SymbolSettings, ("leverage", "mode"), make=SymbolSettings),
    Stored(Position, ("entry_notional", "isolated_wallet", "size"), make=Position),
    Stored(PremiumSampler, ("count", "weighted"), make=PremiumSampler),
    Stored(BasisWindow, ("samples", "total"), make=BasisWindow),
)  # fmt: skip
"""The engine's classes, made by their constructors (the only way into a class compiled by mypyc)."""

_HOST = (
    Stored(
        Exchange,
        (
            "_account_by_name", "account_by_key", "accounts", "engine", "faults", "instruments", "market", "results",
            "sequence",
        ),
    ),
    Stored(
        Results,
        (
            "_user_event_capture", "alerts", "books", "candles", "funding", "funds", "history", "income",
            "index_candles", "instruments", "liquidations", "margin_accounts", "margin_adjustments", "mark_candles",
            "now", "open_interest", "prices", "public_trades", "ticker_stats", "user_events", "wallets",
        ),
        make=lambda: Results({}, RETAINED_PER_ACCOUNT),
    ),
    Stored(
        MarketScript,
        (
            "feed", "instruments", "kline_accounts", "klines", "provider", "scenario", "start_prices", "started_at",
            "step_ns", "takers", "takers_enabled",
        ),
    ),
    Stored(
        MarketFeed,
        (
            "_bounds", "_factor", "_jumps", "_next_jump", "_normals", "_processes", "_random", "_scales", "_start_ns",
            "_step", "_step_ns", "_symbols", "_ticks",
        ),
    ),
    Stored(
        _WalkProcess,
        (
            "_decay", "_increment", "_jump_mean", "_jump_rate", "_jump_std", "_log", "_mean_log", "_no_jump",
            "_reverting", "_rng", "_scale", "random",
        ),
    ),
    Stored(
        _PathProcess, ("_after_scale", "_bridge", "_done", "_end", "_end_log", "_leg", "_legs", "_wander", "random")
    ),
    Stored(_ReplayProcess, ("_step_ns", "_track", "random")),
    Stored(_FixedProcess, ("_price", "random")),
    Stored(KlineTrades, ("_bar", "_queue", "feed_start_ns", "first_bar_ns", "instrument", "replay", "tape")),
    Stored(LiquidityProvider, ("_markets", "account_id")),
    Stored(LiquidityProviderV1, ("_markets", "account_id")),
    Stored(TakerFlow, ("_streams", "account_id")),
    Stored(_Stream, ("config", "instrument", "mean_gap_ns", "next_ns", "rng")),
)  # fmt: skip
"""The host's own state: the exchange, the market script and its feeds, quoting and taker flow."""

_READ_MODELS = (
    Stored(Books, ("_sides", "sequence"), make=lambda: Books(())),
    Stored(BookSideView, ("keys", "levels", "sign"), make=lambda: BookSideView(Side.BUY)),
    Stored(CandleStore, ("_next_close", "_retention", "_series"), make=CandleStore),
    Stored(CandleSeries, ("_candles", "_retention", "interval"), make=CandleSeries, args=("interval",)),
    Stored(PriceCandleStore, ("_longer", "_minutes", "_next_close", "_retention"), make=PriceCandleStore),
    Stored(PriceCandleSeries, ("_candles", "_retention", "interval"), make=PriceCandleSeries, args=("interval",)),
    Stored(FundingHistory, ("_marks", "_symbols", "retained"), make=FundingHistory),
    Stored(
        Funds,
        ("exchanged", "fees_collected", "insurance", "insurance_contributions", "net_deposits"),
        make=lambda: Funds({}),
    ),
    Stored(History, ("_accounts", "_by_client_id", "_open", "orders", "retained"), make=History),
    Stored(IncomeHistory, ("_accounts", "_last_id", "retained"), make=IncomeHistory, args=("retained",)),
    Stored(
        LiquidationRecords,
        ("_accounts", "_last_id", "_open", "_open_account", "_open_sequence", "_pending_calls", "history"),
        make=lambda: LiquidationRecords(History()),
    ),
    Stored(
        MarginAccounts,
        (
            "_collateral", "_history", "_holders", "_instruments", "_internal", "_modes", "_multi_assets",
            "_positions", "_prices", "_settings", "_short_legs", "_wallets",
        ),
        make=lambda: MarginAccounts({}, Wallets(), History(), PriceBoard(), {}),
    ),
    Stored(MarginAdjustments, ("_accounts", "retained"), make=MarginAdjustments),
    Stored(OpenInterestHistory, ("_next", "_samples"), make=lambda: OpenInterestHistory(())),
    Stored(PriceBoard, ("_seen", "funding_rate", "index"), make=PriceBoard),
    Stored(PublicTrades, ("_symbols", "retained"), make=PublicTrades),
    Stored(TickerStats, ("_windows",), make=TickerStats),
    Stored(_Window, ("_high", "_low", "_minutes", "_quote_volume", "_trade_count", "_volume"), make=_Window),
    Stored(_RollingMax, ("_entries",), make=_RollingMax),
    Stored(
        UserEventCapture,
        ("_capturers", "history", "silent_accounts", "wallets"),
        make=lambda: UserEventCapture(History(), Wallets()),
    ),
    Stored(Wallets, ("_assets", "_cross", "_isolated"), make=Wallets),
)  # fmt: skip
"""The read models the results stage folds, made by their constructors as the engine's classes are (a
build compiled by mypyc compiles them too)."""

_RECORDS: tuple[type, ...] = (
    *typing.get_args(Event),
    *typing.get_args(Command),
    *HOST_COMMANDS,
    DepthLevel, CollateralAsset, Bracket, Instrument, Figure, FigureBasis,
    AccountEntry, FaultPlan, Latency,
    Fixed, IndexJump, Jumps, Path, RandomWalk, Replay, Segment, KlineHistory, KlineRow, KlineTape, Print,
    LadderLevel, QuoteConfig, Regime, _Quoting, Quote, QuotedMarket, Liquidity, LiquidityRegime, Scenario,
    TakerConfig,
    Alert, AlertBook, Candle, FundingRecord, FillRecord, OrderRecord, _AccountHistory, IncomeRecord, OtherAssetIncome,
    LiquidationRecord,
    HeldPosition, MarginAdjustment, OpenInterestSample, PublicTrade, _Minute,
    AccountNotice, AlertFired, BalanceUpdate, OrderUpdate, PositionUpdate,
)  # fmt: skip

_ENUMS = (
    MarginMode, PositionMode, BalanceReason, FundReason, LiquidationFee, MarkMethod, OrderStatus, OrderType,
    PositionSide, SelfTradePrevention, Side, TimeInForce, TriggerBy, EndReason, RejectReason, Unit,
    CallKind, Direction, Interval, CandlePrice, IncomeType,
)  # fmt: skip

SCHEMA = Schema(stored=(*_ENGINE, *_HOST, *_READ_MODELS), records=_RECORDS, enums=_ENUMS, deques=(UserEventLog,))


def encode_exchange(exchange: Exchange) -> bytes:
    """The snapshot bytes of ``exchange``."""
    return encode(exchange, SCHEMA)


def decode_exchange(data: bytes) -> Exchange:
    """The exchange a snapshot holds (``snapshot_format.decode`` says what it raises)."""
    exchange = decode(data, SCHEMA)
    if not isinstance(exchange, Exchange):
        raise SnapshotFormatError(f"the snapshot holds a {type(exchange).__qualname__}, not an exchange")
    return exchange
