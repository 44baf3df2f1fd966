"""Engine values to wire messages: exact decimal strings, timestamps and prefixed enums.

Prices render at the tick, quantities at the lot, money with up to 8 decimals; derived prices that
are not on the grid (entry, liquidation, bankruptcy) with up to 8 decimals, rounded half-even.
"""

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

from google.protobuf import descriptor, duration_pb2, timestamp_pb2
from paperex.v1 import account_pb2, common_pb2, errors_pb2, market_data_pb2, trading_pb2

from engine.accounts import MarginMode, SymbolSettings
from engine.book import DepthLevel
from engine.instruments import Instrument
from engine.market import Market
from engine.orders import Order, OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce, TriggerBy
from engine.reasons import EndReason
from engine.risk import AccountSummary, OrderPreview, PositionFigures
from engine.units import Amount, Lots, Ticks, amount_to_decimal
from server.candles import Candle, Interval
from server.history import FillRecord, OrderRecord
from server.ticker_stats import Stats

_PLACES = Decimal("1E-8")
_NS_PER_HOUR = 3600 * 10**9


def enum_map(engine_enum: type[Enum], proto_enum: descriptor.EnumDescriptor, prefix: str) -> dict[Any, Any]:
    """Engine members to proto numbers by name (``Side.BUY`` -> ``SIDE_BUY``); typed loosely because
    each generated enum has its own ValueType."""
    return {member: proto_enum.values_by_name[prefix + member.name].number for member in engine_enum}


SIDES = enum_map(Side, common_pb2.Side.DESCRIPTOR, "SIDE_")
ORDER_TYPES = enum_map(OrderType, common_pb2.OrderType.DESCRIPTOR, "ORDER_TYPE_")
TIME_IN_FORCE = enum_map(TimeInForce, common_pb2.TimeInForce.DESCRIPTOR, "TIME_IN_FORCE_")
TRIGGER_BY = enum_map(TriggerBy, common_pb2.TriggerBy.DESCRIPTOR, "TRIGGER_BY_")
STP = enum_map(SelfTradePrevention, common_pb2.SelfTradePrevention.DESCRIPTOR, "SELF_TRADE_PREVENTION_")
STATUSES = enum_map(OrderStatus, common_pb2.OrderStatus.DESCRIPTOR, "ORDER_STATUS_")
MARGIN_MODES = enum_map(MarginMode, common_pb2.MarginMode.DESCRIPTOR, "MARGIN_MODE_")
END_REASONS = enum_map(EndReason, errors_pb2.EndReason.DESCRIPTOR, "END_REASON_")


def money(amount: Amount) -> str:
    """A scaled integer as a plain decimal with no trailing zeros.

    >>> money(123450000), money(-5), money(0)
    ('1.2345', '-0.00000005', '0')
    """
    return _plain(amount_to_decimal(amount))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def exact_price(ticks: Fraction | None, instrument: Instrument) -> str:
    """A price off the grid (ticks as a fraction) with up to 8 decimals; empty when there is none.

    >>> from engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = DEFAULT_INSTRUMENTS["BTCUSDT"]
    >>> exact_price(Fraction(1298001, 2), btc), exact_price(Fraction(649000), btc)
    ('64900.05', '64900.0')
    """
    if ticks is None:
        return ""
    value = (Decimal(ticks.numerator) * instrument.tick_size / Decimal(ticks.denominator)).quantize(
        _PLACES, ROUND_HALF_EVEN
    )
    trimmed = value.normalize()
    if trimmed.as_tuple().exponent > _exponent(instrument.tick_size):  # type: ignore[operator]
        trimmed = value.quantize(instrument.tick_size)
    return format(trimmed, "f")


def _exponent(step: Decimal) -> int:
    exponent = step.as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent


def ratio(value: Fraction | None) -> str:
    """A ratio (margin ratio, effective leverage) with up to 8 decimals; empty when undefined."""
    if value is None:
        return ""
    return _plain((Decimal(value.numerator) / Decimal(value.denominator)).quantize(_PLACES, ROUND_HALF_EVEN))


def price(ticks: Ticks, instrument: Instrument) -> str:
    """A price at the tick; empty for 0 ("not given" / none yet)."""
    return instrument.ticks_to_price(ticks) if ticks else ""


def timestamp(ns: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(ns)
    return stamp


def instrument(spec: Instrument) -> market_data_pb2.Instrument:
    interval = duration_pb2.Duration()
    interval.FromNanoseconds(spec.funding_interval_hours * _NS_PER_HOUR)
    return market_data_pb2.Instrument(
        symbol=spec.symbol,
        base_asset=spec.base,
        quote_asset=spec.quote,
        tick_size=_plain(spec.tick_size),
        lot_size=_plain(spec.lot_size),
        min_quantity=spec.lots_to_qty(spec.min_qty),
        max_quantity=spec.lots_to_qty(spec.max_qty),
        max_market_quantity=spec.lots_to_qty(spec.max_market_qty),
        min_price=spec.ticks_to_price(spec.min_price),
        max_price=spec.ticks_to_price(spec.max_price),
        min_notional=money(spec.min_notional),
        price_band=money(spec.price_band),
        maker_fee_rate=money(spec.maker_fee),
        taker_fee_rate=money(spec.taker_fee),
        max_leverage=spec.max_leverage,
        brackets=[
            market_data_pb2.LeverageBracket(
                notional_floor=money(b.floor),
                notional_cap=money(b.cap),
                max_leverage=b.max_leverage,
                maintenance_margin_rate=money(b.mmr),
                maintenance_amount=money(b.cum),
            )
            for b in spec.brackets
        ],
        funding_interval=interval,
        funding_rate_cap=money(spec.funding_cap),
        funding_rate_floor=money(spec.funding_floor),
        interest_rate=money(spec.interest_rate),
    )


def order(record: OrderRecord, live: Order | None, spec: Instrument) -> common_pb2.Order:
    """An order from its history record; ``live`` (the engine's open order) supplies what moves
    inside the engine without an event, such as a trailing stop's current trigger price."""
    stop = live.stop_price if live is not None else record.stop_price
    message = common_pb2.Order(
        order_id=record.order_id,
        client_order_id=record.client_order_id,
        symbol=record.symbol,
        side=SIDES[record.side],
        order_type=ORDER_TYPES[record.order_type],
        time_in_force=TIME_IN_FORCE[record.time_in_force],
        status=STATUSES[record.status],
        price=price(record.price, spec),
        quantity=spec.lots_to_qty(record.quantity) if record.quantity else "",
        filled_quantity=spec.lots_to_qty(record.filled),
        average_price=exact_price(Fraction(record.fill_cost, record.filled), spec) if record.filled else "",
        stop_price=price(stop, spec),
        trigger_by=TRIGGER_BY[record.trigger_by],
        triggered=record.triggered,
        reduce_only=record.reduce_only,
        close_position=record.close_position,
        self_trade_prevention=STP[record.stp],
        callback_bps=record.callback_bps,
        activation_price=price(record.activation_price, spec),
        end_reason=END_REASONS.get(record.end_reason),
        is_liquidation=record.liquidation,
        create_time=timestamp(record.created),
        update_time=timestamp(record.updated),
    )
    if record.expire_at:
        message.expire_time.FromNanoseconds(record.expire_at)
    return message


def fill(record: FillRecord, spec: Instrument) -> common_pb2.Fill:
    return common_pb2.Fill(
        trade_id=record.trade_id,
        order_id=record.order_id,
        client_order_id=record.client_order_id,
        symbol=record.symbol,
        side=SIDES[record.side],
        price=spec.ticks_to_price(record.price),
        quantity=spec.lots_to_qty(record.quantity),
        is_maker=record.is_maker,
        fee=money(record.fee),
        fee_asset=spec.quote,
        realized_pnl=money(record.realized_pnl),
        is_liquidation=record.liquidation,
        time=timestamp(record.time),
    )


def position(figures: PositionFigures, spec: Instrument, ts: int) -> common_pb2.Position:
    isolated = figures.mode is MarginMode.ISOLATED
    isolated_balance = figures.isolated_wallet + figures.unrealized_pnl
    return common_pb2.Position(
        symbol=figures.symbol,
        margin_mode=MARGIN_MODES[figures.mode],
        leverage=figures.leverage,
        size=signed_qty(figures.size, spec),
        entry_price=exact_price(figures.entry_price, spec),
        mark_price=price(figures.mark_price, spec),
        notional=money(figures.notional),
        unrealized_pnl=money(figures.unrealized_pnl),
        initial_margin=money(figures.initial_margin),
        maintenance_margin=money(figures.maintenance_margin),
        liquidation_price=exact_price(figures.liquidation_price, spec),
        bankruptcy_price=exact_price(figures.bankruptcy_price, spec),
        isolated_wallet=money(figures.isolated_wallet),
        margin_ratio=(
            ratio(Fraction(figures.maintenance_margin, isolated_balance)) if isolated and isolated_balance > 0 else ""
        ),
        max_removable_margin=money(figures.max_removable) if isolated else "",
        update_time=timestamp(ts),
    )


def flat_position(symbol: str, settings: SymbolSettings, mark: Ticks, spec: Instrument, ts: int) -> common_pb2.Position:
    """A symbol the account holds nothing in: its settings and the mark, every amount zero."""
    return common_pb2.Position(
        symbol=symbol,
        margin_mode=MARGIN_MODES[settings.mode],
        leverage=settings.leverage,
        size="0",
        mark_price=price(mark, spec),
        notional="0",
        unrealized_pnl="0",
        initial_margin="0",
        maintenance_margin="0",
        isolated_wallet="0",
        update_time=timestamp(ts),
    )


def signed_qty(lots: int, spec: Instrument) -> str:
    return ("-" if lots < 0 else "") + spec.lots_to_qty(abs(lots)) if lots else "0"


def symbol_settings(symbol: str, settings: SymbolSettings, max_notional: Amount) -> account_pb2.SymbolSettings:
    return account_pb2.SymbolSettings(
        symbol=symbol,
        margin_mode=MARGIN_MODES[settings.mode],
        leverage=settings.leverage,
        max_notional=money(max_notional),
    )


def account_summary(
    summary: AccountSummary,
    name: str,
    asset: str,
    specs: Mapping[str, Instrument],
    settings: Iterable[account_pb2.SymbolSettings],
    cursor: tuple[int, int],
    ts: int,
) -> account_pb2.AccountSummary:
    cross_mm = summary.maintenance_margin
    isolated_mm = sum(p.maintenance_margin for p in summary.positions if p.mode is MarginMode.ISOLATED)
    return account_pb2.AccountSummary(
        account_id=summary.account_id,
        name=name,
        asset=asset,
        wallet_balance=money(summary.wallet + summary.isolated_margin),
        cross_wallet_balance=money(summary.wallet),
        unrealized_pnl=money(summary.unrealized_pnl),
        cross_unrealized_pnl=money(summary.cross_unrealized_pnl),
        margin_balance=money(summary.equity),
        cross_margin_balance=money(summary.margin_balance),
        available_balance=money(summary.available_balance),
        max_withdraw_amount=money(summary.max_withdraw),
        initial_margin=money(summary.position_initial_margin + summary.order_margin),
        position_initial_margin=money(summary.position_initial_margin),
        open_order_initial_margin=money(summary.order_margin),
        maintenance_margin=money(cross_mm + isolated_mm),
        cross_maintenance_margin=money(cross_mm),
        margin_ratio=ratio(summary.margin_ratio),
        total_notional=money(summary.total_notional),
        effective_leverage=ratio(summary.effective_leverage),
        positions=[position(p, specs[p.symbol], ts) for p in summary.positions],
        symbol_settings=settings,
        cursor=account_pb2.EventCursor(sequence=cursor[0], index=cursor[1]),
        time=timestamp(ts),
    )


def preview(
    result: OrderPreview, spec: Instrument, rejection: errors_pb2.Rejection | None, ts: int
) -> trading_pb2.OrderPreview:
    return trading_pb2.OrderPreview(
        margin_mode=MARGIN_MODES[result.mode],
        leverage=result.leverage,
        accepted=result.accepted,
        rejection=rejection,
        estimated_price=spec.ticks_to_price(result.price),
        order_cost=money(result.cost),
        initial_margin=money(result.initial_margin),
        open_loss=money(result.open_loss),
        fee=money(result.fee),
        available_balance_before=money(result.available_before),
        available_balance_after=money(max(0, result.available_after)),
        position_after=position(result.position, spec, ts) if result.position else None,
        margin_ratio_after=ratio(result.margin_ratio),
        effective_leverage_after=ratio(result.effective_leverage),
    )


def book_levels(levels: Iterable[DepthLevel], spec: Instrument) -> list[common_pb2.BookLevel]:
    return [
        common_pb2.BookLevel(
            price=spec.ticks_to_price(level.price), quantity=spec.lots_to_qty(level.quantity), order_count=level.orders
        )
        for level in levels
    ]


CANDLE_INTERVALS: dict[Any, Any] = {
    interval: market_data_pb2.CandleInterval.Value("CANDLE_INTERVAL_" + interval.name[1:] + interval.name[0])
    for interval in Interval
}
"""``Interval.M1`` -> ``CANDLE_INTERVAL_1M`` and so on."""


def quote_volume(ticks_times_lots: int, spec: Instrument) -> str:
    """An exact sum of price_ticks x lots as quote currency."""
    return _plain(Decimal(ticks_times_lots) * spec.tick_size * spec.lot_size)


def candle(symbol: str, bar: Candle, spec: Instrument) -> market_data_pb2.Candle:
    return market_data_pb2.Candle(
        symbol=symbol,
        interval=CANDLE_INTERVALS[bar.interval],
        open_time=timestamp(bar.open_time),
        close_time=timestamp(bar.close_time),
        open=spec.ticks_to_price(bar.open),
        high=spec.ticks_to_price(bar.high),
        low=spec.ticks_to_price(bar.low),
        close=spec.ticks_to_price(bar.close),
        volume=spec.lots_to_qty(bar.volume),
        quote_volume=quote_volume(bar.quote_volume, spec),
        trade_count=bar.trade_count,
        closed=bar.closed,
    )


def ticker(market: Market, stats: Stats | None, open_interest: Lots, ts: int) -> market_data_pb2.Ticker:
    spec = market.instrument
    book = market.book
    bids, asks = book.depth(Side.BUY, 1), book.depth(Side.SELL, 1)
    message = market_data_pb2.Ticker(
        symbol=market.symbol,
        last_price=price(market.last_price, spec),
        best_bid_price=price(bids[0].price, spec) if bids else "",
        best_bid_quantity=spec.lots_to_qty(bids[0].quantity) if bids else "",
        best_ask_price=price(asks[0].price, spec) if asks else "",
        best_ask_quantity=spec.lots_to_qty(asks[0].quantity) if asks else "",
        mark_price=price(market.mark_price, spec),
        index_price=price(market.index_price, spec),
        funding_rate=money(market.funding_rate),
        next_funding_time=timestamp(market.next_funding),
        open_interest=spec.lots_to_qty(open_interest),
        time=timestamp(ts),
    )
    if stats is not None:
        message.open_price_24h = spec.ticks_to_price(stats.open)
        message.high_price_24h = spec.ticks_to_price(stats.high)
        message.low_price_24h = spec.ticks_to_price(stats.low)
        message.volume_24h = spec.lots_to_qty(stats.volume)
        message.quote_volume_24h = quote_volume(stats.quote_volume, spec)
    else:
        message.volume_24h = message.quote_volume_24h = "0"
    return message
