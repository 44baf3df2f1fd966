"""Application results in the venue's JSON, field by field: decimals as strings, times in ms, the
venue's names for statuses, types and settings, every field the venue sends.

A few fields are figures paperex does not keep; they are sent with a neutral value so that clients
reading them do not break, and ``docs/binance-api.md`` lists them (``breakEvenPrice`` is the entry
price, ``adl``, ``bidNotional`` and ``askNotional`` 0, the klines' taker-buy volumes 0).
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from paperex.engine.accounts import MarginMode, PositionMode
from paperex.engine.book import DepthLevel
from paperex.engine.collateral import AssetFigures
from paperex.engine.instruments import Instrument
from paperex.engine.orders import CONDITIONAL_TYPES, OrderStatus, OrderType, PositionSide, Side, TriggerBy
from paperex.engine.reasons import EndReason
from paperex.engine.risk import AccountSummary, PositionFigures
from paperex.server.core.queries import AccountOverview, Book, HeldPosition, SymbolLimits
from paperex.server.core.records import (
    AggregateTrade,
    Candle,
    FillRecord,
    FundingRecord,
    IncomeRecord,
    MarginAdjustment,
    OrderRecord,
    OrderSnapshot,
    PublicTrade,
    Ticker,
)
from paperex.server.wire.render import exact_price, money, quote_volume, steps_text

ASSET = "USDT"
MS_NS = 1_000_000
DAY_MS = 86_400_000
PERPETUAL_DELIVERY_MS = 4_133_404_800_000
"""The delivery date the venue shows for a perpetual contract (2100-12-25)."""
LISTED_MS = 1_767_225_600_000
"""``onboardDate``: 2026-01-01, where simulated clocks start, for a listing date paperex does not keep."""
RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
]
"""The venue's published limits (paperex's own are ``docs/limits.md``)."""
ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX", "GTD"]
VENUE_TYPES = {OrderType.STOP_LIMIT: "STOP", OrderType.TAKE_PROFIT_LIMIT: "TAKE_PROFIT"}
WORKING_TYPES = {TriggerBy.MARK: "MARK_PRICE", TriggerBy.LAST: "CONTRACT_PRICE"}
MARGIN_TYPES = {MarginMode.CROSS: "cross", MarginMode.ISOLATED: "isolated"}


def ms(ns: int) -> int:
    return ns // MS_NS


def _places(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _percent(rate: int) -> str:
    """A rate (scaled integer) as a percentage with 4 decimals, as the venue writes margin percents.

    >>> _percent(400_000)
    '0.4000'
    """
    return f"{Decimal(money(rate)) * 100:.4f}"


def _number(text: str) -> int | float:
    """A decimal the venue sends as a JSON number (leverage brackets): exact for these short values."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def price_text(ticks: int, spec: Instrument) -> str:
    return steps_text(ticks, spec.tick_size) if ticks else "0"


def _qty(lots: int, spec: Instrument) -> str:
    return steps_text(lots, spec.lot_size) if lots else "0"


def callback_rate(bps: int) -> str:
    """A trailing stop's callback rate in percent, as the venue writes it.

    >>> callback_rate(100), callback_rate(15)
    ('1.0', '0.15')
    """
    rate = Decimal(bps) / 100
    return format(rate, "f") if rate != rate.to_integral_value() else f"{rate:.1f}"


def fraction_price(value: Fraction | None, spec: Instrument) -> str:
    return exact_price(value, spec) if value else "0"


# ---------------------------------------------------------------------- market data


def exchange_info(instruments: Iterable[Instrument], now_ms: int) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": RATE_LIMITS,
        "exchangeFilters": [],
        "assets": [{"asset": ASSET, "marginAvailable": True, "autoAssetExchange": "0"}],
        "symbols": [symbol_info(spec) for spec in instruments],
    }


def symbol_info(spec: Instrument) -> dict[str, Any]:
    band = Decimal(money(spec.price_band))
    first = spec.brackets[0]
    return {
        "symbol": spec.symbol,
        "pair": spec.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_MS,
        "onboardDate": LISTED_MS,
        "status": "TRADING",
        "maintMarginPercent": _percent(first.mmr),
        "requiredMarginPercent": f"{Decimal(100) / first.max_leverage:.4f}",
        "baseAsset": spec.base,
        "quoteAsset": spec.quote,
        "marginAsset": ASSET,
        "pricePrecision": _places(spec.tick_size),
        "quantityPrecision": _places(spec.lot_size),
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": money(spec.price_band),
        "liquidationFee": money(spec.liquidation_fee_rate),
        "marketTakeBound": money(spec.price_band),
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": spec.ticks_to_price(spec.min_price),
                "maxPrice": spec.ticks_to_price(spec.max_price),
                "tickSize": format(spec.tick_size.normalize(), "f"),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": spec.lots_to_qty(spec.min_qty),
                "maxQty": spec.lots_to_qty(spec.max_qty),
                "stepSize": format(spec.lot_size.normalize(), "f"),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": spec.lots_to_qty(spec.min_qty),
                "maxQty": spec.lots_to_qty(spec.max_market_qty),
                "stepSize": format(spec.lot_size.normalize(), "f"),
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MIN_NOTIONAL", "notional": money(spec.min_notional)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": f"{1 + band:.4f}",
                "multiplierDown": f"{1 - band:.4f}",
                "multiplierDecimal": "4",
            },
        ],
        "orderTypes": ORDER_TYPES,
        "timeInForce": TIME_IN_FORCE,
    }


def levels(depth: Iterable[DepthLevel], spec: Instrument) -> list[list[str]]:
    return [[price_text(level.price, spec), _qty(level.quantity, spec)] for level in depth]


def depth(book: Book, spec: Instrument) -> dict[str, Any]:
    return {
        "lastUpdateId": book.sequence,
        "E": ms(book.ts),
        "T": ms(book.ts),
        "bids": levels(book.bids, spec),
        "asks": levels(book.asks, spec),
    }


def kline(bar: Candle, spec: Instrument) -> list[Any]:
    open_ms = ms(bar.open_time)
    return [
        open_ms,
        price_text(bar.open, spec),
        price_text(bar.high, spec),
        price_text(bar.low, spec),
        price_text(bar.close, spec),
        _qty(bar.volume, spec),
        open_ms + ms(bar.interval.value) - 1,
        quote_volume(bar.quote_volume, spec),
        bar.trade_count,
        "0",
        "0",
        "0",
    ]


def price_kline(bar: Candle, spec: Instrument) -> list[Any]:
    """A mark or index price kline: the venue sends no volumes, and the count of price updates."""
    open_ms = ms(bar.open_time)
    prices = [price_text(price, spec) for price in (bar.open, bar.high, bar.low, bar.close)]
    return [open_ms, *prices, "0", open_ms + ms(bar.interval.value) - 1, "0", bar.trade_count, "0", "0", "0"]


def ticker_24hr(symbol: str, view: Ticker, spec: Instrument) -> dict[str, Any]:
    now = ms(view.ts)
    stats = view.stats
    last = price_text(view.last_price, spec)
    figures: dict[str, Any] = {"priceChange": "0", "priceChangePercent": "0.000", "weightedAvgPrice": "0"}
    opening, high, low, volume, quote, count = last, last, last, "0", "0", 0
    if stats is not None:
        change = Decimal(price_text(stats.last, spec)) - Decimal(price_text(stats.open, spec))
        opening = price_text(stats.open, spec)
        figures = {
            "priceChange": format(change, "f"),
            "priceChangePercent": f"{change * 100 / Decimal(opening):.3f}",
            "weightedAvgPrice": exact_price(Fraction(stats.quote_volume, stats.volume), spec) if stats.volume else "0",
        }
        high, low = price_text(stats.high, spec), price_text(stats.low, spec)
        volume, quote, count = _qty(stats.volume, spec), quote_volume(stats.quote_volume, spec), stats.trade_count
    return {
        "symbol": symbol,
        **figures,
        "lastPrice": last,
        "lastQty": "0",
        "openPrice": opening,
        "highPrice": high,
        "lowPrice": low,
        "volume": volume,
        "quoteVolume": quote,
        "openTime": now - DAY_MS,
        "closeTime": now,
        "firstId": 0,
        "lastId": 0,
        "count": count,
    }


def ticker_price(symbol: str, view: Ticker, spec: Instrument) -> dict[str, Any]:
    return {"symbol": symbol, "price": price_text(view.last_price, spec), "time": ms(view.ts)}


def book_ticker(symbol: str, view: Ticker, spec: Instrument) -> dict[str, Any]:
    bid, ask = view.best_bid, view.best_ask
    return {
        "symbol": symbol,
        "bidPrice": price_text(bid.price, spec) if bid else "0",
        "bidQty": _qty(bid.quantity, spec) if bid else "0",
        "askPrice": price_text(ask.price, spec) if ask else "0",
        "askQty": _qty(ask.quantity, spec) if ask else "0",
        "time": ms(view.ts),
    }


def premium_index(symbol: str, view: Ticker, spec: Instrument) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "markPrice": price_text(view.mark_price, spec),
        "indexPrice": price_text(view.index_price, spec),
        "estimatedSettlePrice": price_text(view.index_price, spec),
        "lastFundingRate": money(view.funding_rate),
        "interestRate": money(spec.interest_rate),
        "nextFundingTime": ms(view.next_funding),
        "time": ms(view.ts),
    }


def funding_rate(value: int) -> str:
    """A funding rate (1e-8 units) with the venue's 8 decimals.

    >>> funding_rate(10_000), funding_rate(-75_000)
    ('0.00010000', '-0.00075000')
    """
    return f"{Decimal(value).scaleb(-8):.8f}"


def funding_record(record: FundingRecord, spec: Instrument) -> dict[str, Any]:
    """One funding time as GET /fapi/v1/fundingRate shows it."""
    return {
        "symbol": record.symbol,
        "fundingRate": funding_rate(record.rate),
        "fundingTime": ms(record.time),
        "markPrice": price_text(record.mark_price, spec),
    }


def funding_info(spec: Instrument) -> dict[str, Any]:
    return {
        "symbol": spec.symbol,
        "adjustedFundingRateCap": funding_rate(spec.funding_cap),
        "adjustedFundingRateFloor": funding_rate(spec.funding_floor),
        "fundingIntervalHours": spec.funding_interval_hours,
        "disclaimer": False,
    }


def public_trade(trade: PublicTrade, spec: Instrument) -> dict[str, Any]:
    """One trade as GET /fapi/v1/trades and historicalTrades show it."""
    return {
        "id": trade.trade_id,
        "price": price_text(trade.price, spec),
        "qty": _qty(trade.quantity, spec),
        "quoteQty": quote_volume(trade.price * trade.quantity, spec),
        "time": ms(trade.time),
        "isBuyerMaker": trade.buyer_maker,
    }


def aggregate_trade(trade: AggregateTrade, spec: Instrument) -> dict[str, Any]:
    """One aggregate trade as GET /fapi/v1/aggTrades shows it."""
    return {
        "a": trade.first_id,
        "p": price_text(trade.price, spec),
        "q": _qty(trade.quantity, spec),
        "f": trade.first_id,
        "l": trade.last_id,
        "T": ms(trade.time),
        "m": trade.buyer_maker,
    }


def open_interest(view: Ticker, spec: Instrument) -> dict[str, Any]:
    return {"openInterest": _qty(view.open_interest, spec), "symbol": spec.symbol, "time": ms(view.ts)}


def commission_rate(spec: Instrument) -> dict[str, Any]:
    """The instrument's fees (every account pays them; RPI orders do not exist here)."""
    return {
        "symbol": spec.symbol,
        "makerCommissionRate": money(spec.maker_fee),
        "takerCommissionRate": money(spec.taker_fee),
        "rpiCommissionRate": "0",
    }


def leverage_brackets(spec: Instrument) -> dict[str, Any]:
    return {
        "symbol": spec.symbol,
        "notionalCoef": 1,
        "brackets": [
            {
                "bracket": number,
                "initialLeverage": bracket.max_leverage,
                "notionalCap": _number(money(bracket.cap)),
                "notionalFloor": _number(money(bracket.floor)),
                "maintMarginRatio": _number(money(bracket.mmr)),
                "cum": _number(money(bracket.cum)),
            }
            for number, bracket in enumerate(spec.brackets, start=1)
        ],
    }


# ---------------------------------------------------------------------- orders and trades


def order(snapshot: OrderSnapshot, spec: Instrument, *, with_cum_qty: bool = False) -> dict[str, Any]:
    """An order as the venue shows it; a place or cancel answer adds ``cumQty``."""
    record, (status, filled, fill_cost, quantity, price, updated, _, end_reason, stop_price) = snapshot
    kind = VENUE_TYPES.get(record.order_type, record.order_type.value)
    venue_status = (
        "EXPIRED_IN_MATCH"
        if status is OrderStatus.EXPIRED and end_reason is EndReason.SELF_TRADE_PREVENTION
        else status.value
    )
    answer: dict[str, Any] = {
        "orderId": record.order_id,
        "symbol": record.symbol,
        "status": venue_status,
        "clientOrderId": client_order_id(record),
        "price": price_text(price, spec),
        "avgPrice": exact_price(Fraction(fill_cost, filled), spec) if filled else "0",
        "origQty": _qty(quantity, spec),
        "executedQty": _qty(filled, spec),
        "cumQuote": quote_volume(fill_cost, spec) if fill_cost else "0",
        "timeInForce": record.time_in_force.value,
        "type": kind,
        "reduceOnly": record.reduce_only,
        "closePosition": record.close_position,
        "side": record.side.name,
        "positionSide": record.position_side.value,
        "stopPrice": price_text(stop_price, spec),
        "workingType": WORKING_TYPES[record.trigger_by],
        "priceProtect": False,
        "origType": kind,
        "priceMatch": "NONE",
        "selfTradePreventionMode": record.stp.value,
        "goodTillDate": ms(record.expire_at),
        "time": ms(record.created),
        "updateTime": ms(updated),
    }
    if with_cum_qty:
        answer["cumQty"] = answer["executedQty"]
    if record.order_type is OrderType.TRAILING_STOP_MARKET:
        answer["activatePrice"] = price_text(record.activation_price, spec)
        answer["priceRate"] = callback_rate(record.callback_bps)
    return answer


def client_order_id(record: OrderRecord) -> str:
    """The order's client id; the venue's names for the orders it places itself: ``adl_autoclose`` for
    an auto-deleverage, ``autoclose-<ms>`` for a liquidation."""
    if record.auto_deleverage:
        return "adl_autoclose"
    if record.liquidation and not record.client_order_id:
        return f"autoclose-{ms(record.created)}"
    return record.client_order_id


def waiting_algo_order(snapshot: OrderSnapshot) -> bool:
    """A conditional order not triggered yet: the venue shows it on the algo-order endpoints only."""
    record, state = snapshot
    return record.order_type in CONDITIONAL_TYPES and not state[6]


def algo_order(snapshot: OrderSnapshot, spec: Instrument) -> dict[str, Any]:
    """A conditional order as the algo-order endpoints show it: once triggered, the order it became is
    ``actualOrderId`` (paperex keeps one id for both)."""
    record, (status, filled, fill_cost, quantity, price, updated, triggered, _, stop_price) = snapshot
    if not triggered:
        algo_status = "NEW" if status is OrderStatus.NEW else status.value
    else:
        algo_status = "TRIGGERED" if status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED) else "FINISHED"
    trailing = record.order_type is OrderType.TRAILING_STOP_MARKET
    return {
        "algoId": record.order_id,
        "clientAlgoId": record.client_order_id,
        "algoType": "CONDITIONAL",
        "orderType": VENUE_TYPES.get(record.order_type, record.order_type.value),
        "symbol": record.symbol,
        "side": record.side.name,
        "positionSide": record.position_side.value,
        "timeInForce": record.time_in_force.value,
        "quantity": _qty(quantity, spec),
        "algoStatus": algo_status,
        "actualOrderId": str(record.order_id) if triggered else "",
        "actualPrice": exact_price(Fraction(fill_cost, filled), spec) if filled else "0",
        "triggerPrice": price_text(stop_price, spec),
        "price": price_text(price, spec),
        "icebergQuantity": None,
        "selfTradePreventionMode": record.stp.value,
        "workingType": WORKING_TYPES[record.trigger_by],
        "priceMatch": "NONE",
        "closePosition": record.close_position,
        "priceProtect": False,
        "reduceOnly": record.reduce_only,
        "activatePrice": price_text(record.activation_price, spec) if trailing else "",
        "callbackRate": callback_rate(record.callback_bps) if trailing else "",
        "createTime": ms(record.created),
        "updateTime": ms(updated),
        "triggerTime": ms(updated) if triggered else 0,
        "goodTillDate": ms(record.expire_at),
    }


def adl_quantiles(held: list[HeldPosition]) -> list[dict[str, Any]]:
    """Each symbol's held positions' places in their side's auto-deleverage queue, under the venue's three
    keys: one-way mode LONG, SHORT (the side held) and BOTH; hedge mode LONG and SHORT (each leg's) and
    HEDGE (0, as the venue sends it)."""
    answers: dict[str, dict[str, int]] = {}
    for position in held:
        figures, quantile = position.figures, position.adl_quantile
        if figures.position_side is PositionSide.BOTH:
            keys = {"LONG": quantile if figures.size > 0 else 0, "SHORT": quantile if figures.size < 0 else 0}
            answers[figures.symbol] = keys | {"BOTH": quantile}
        else:
            keys = answers.setdefault(figures.symbol, {"LONG": 0, "SHORT": 0, "HEDGE": 0})
            keys[figures.position_side.value] = quantile
    return [{"symbol": symbol, "adlQuantile": keys} for symbol, keys in answers.items()]


def position_margin(amount: int) -> dict[str, Any]:
    """POST /fapi/v1/positionMargin's answer: the amount (a JSON number there) and the move's type."""
    return {
        "amount": _number(money(abs(amount))),
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": 1 if amount > 0 else 2,
    }


def margin_adjustment(record: MarginAdjustment) -> dict[str, Any]:
    """One of the account's own isolated margin moves, as GET /fapi/v1/positionMargin/history shows it."""
    return {
        "symbol": record.symbol,
        "type": 1 if record.amount > 0 else 2,
        "deltaType": "USER_ADJUST",
        "amount": money(abs(record.amount)),
        "asset": ASSET,
        "time": ms(record.time),
        "positionSide": record.position_side.value,
    }


def income(record: IncomeRecord) -> dict[str, Any]:
    """One money move as GET /fapi/v1/income shows it."""
    return {
        "symbol": record.symbol,
        "incomeType": record.income_type.value,
        "income": money(record.amount),
        "asset": record.asset,
        "info": str(record.trade_id) if record.trade_id else "",
        "time": ms(record.time),
        "tranId": record.income_id,
        "tradeId": str(record.trade_id) if record.trade_id else "",
    }


def user_trade(fill: FillRecord, spec: Instrument) -> dict[str, Any]:
    return {
        "buyer": fill.side is Side.BUY,
        "commission": money(fill.fee),
        "commissionAsset": spec.quote,
        "id": fill.trade_id,
        "maker": fill.is_maker,
        "orderId": fill.order_id,
        "price": price_text(fill.price, spec),
        "qty": _qty(fill.quantity, spec),
        "quoteQty": quote_volume(fill.price * fill.quantity, spec),
        "realizedPnl": money(fill.realized_pnl),
        "marginAsset": ASSET,
        "side": fill.side.name,
        "positionSide": "BOTH",
        "symbol": fill.symbol,
        "time": ms(fill.time),
    }


# ---------------------------------------------------------------------- account


def _maintenance(summary: AccountSummary) -> int:
    return sum(figures.maintenance_margin for figures in summary.positions)


def _totals(summary: AccountSummary) -> dict[str, str]:
    """The account-wide figures, cross and isolated together, as v2 and v3 send them."""
    wallet = summary.wallet + summary.isolated_margin
    return {
        "totalInitialMargin": money(summary.position_initial_margin + summary.order_margin),
        "totalMaintMargin": money(_maintenance(summary)),
        "totalWalletBalance": money(wallet),
        "totalUnrealizedProfit": money(summary.unrealized_pnl),
        "totalMarginBalance": money(wallet + summary.unrealized_pnl),
        "totalPositionInitialMargin": money(summary.position_initial_margin),
        "totalOpenOrderInitialMargin": money(summary.order_margin),
        "totalCrossWalletBalance": money(summary.wallet),
        "totalCrossUnPnl": money(summary.cross_unrealized_pnl),
        "availableBalance": money(summary.available_balance),
        "maxWithdrawAmount": money(summary.max_withdraw),
    }


def _asset(summary: AccountSummary, now_ms: int, *, v2: bool) -> dict[str, Any]:
    totals = _totals(summary)
    asset: dict[str, Any] = {
        "asset": ASSET,
        "walletBalance": totals["totalWalletBalance"],
        "unrealizedProfit": totals["totalUnrealizedProfit"],
        "marginBalance": totals["totalMarginBalance"],
        "maintMargin": totals["totalMaintMargin"],
        "initialMargin": totals["totalInitialMargin"],
        "positionInitialMargin": totals["totalPositionInitialMargin"],
        "openOrderInitialMargin": totals["totalOpenOrderInitialMargin"],
        "crossWalletBalance": totals["totalCrossWalletBalance"],
        "crossUnPnl": totals["totalCrossUnPnl"],
        "availableBalance": totals["availableBalance"],
        "maxWithdrawAmount": totals["maxWithdrawAmount"],
    }
    if v2:
        asset["marginAvailable"] = True
    asset["updateTime"] = now_ms
    return asset


def _other_asset(figures: AssetFigures, now_ms: int, *, v2: bool) -> dict[str, Any]:
    """Another asset than USDT, in its own units: a balance, no PnL or margin of its own (positions settle
    in USDT); what it backs in Multi-Assets mode is in USDT's figures. Available and withdrawable: what may
    leave (all of it in single-asset mode, else what the available balance covers)."""
    balance = money(figures.balance)
    asset: dict[str, Any] = {"asset": figures.asset, "walletBalance": balance, "unrealizedProfit": "0"}
    asset.update(marginBalance=balance, maintMargin="0", initialMargin="0", positionInitialMargin="0")
    asset.update(openOrderInitialMargin="0", crossWalletBalance=balance, crossUnPnl="0")
    withdrawable = money(figures.max_withdraw)
    asset.update(availableBalance=withdrawable, maxWithdrawAmount=withdrawable)
    if v2:
        asset["marginAvailable"] = True
    asset["updateTime"] = now_ms
    return asset


def _isolated_margin(figures: PositionFigures) -> str:
    if figures.mode is not MarginMode.ISOLATED:
        return "0"
    return money(figures.isolated_wallet + figures.unrealized_pnl)


def limits_of(view: AccountOverview) -> dict[str, SymbolLimits]:
    """Each symbol's margin mode, leverage and the notional that leverage allows."""
    return {limits.symbol: limits for limits in view.limits}


def account(view: AccountOverview, instruments: Mapping[str, Instrument], *, v2: bool) -> dict[str, Any]:
    """GET /fapi/v2/account or /fapi/v3/account (v3: only held positions, fewer position fields)."""
    summary, now, limits = view.summary, ms(view.ts), limits_of(view)
    answer: dict[str, Any] = {}
    if v2:
        answer.update(
            feeTier=0,
            feeBurn=False,
            canTrade=True,
            canDeposit=True,
            canWithdraw=True,
            updateTime=0,
            multiAssetsMargin=view.multi_assets,
            tradeGroupId=-1,
        )
    answer.update(_totals(summary))
    answer["assets"] = [_asset(summary, now, v2=v2), *(_other_asset(figures, now, v2=v2) for figures in view.assets)]
    held = {(figures.symbol, figures.position_side): figures for figures in summary.positions}
    if v2:
        answer["positions"] = [
            _account_position_v2(symbol, leg, held.get((symbol, leg)), limits[symbol], spec, now)
            for symbol, spec in instruments.items()
            for leg in legs_of(view)
        ]
    else:
        answer["positions"] = [
            _account_position_v3(figures, instruments[symbol], now) for (symbol, _), figures in held.items()
        ]
    return answer


def legs_of(view: AccountOverview) -> tuple[PositionSide, ...]:
    """The positions a venue lists per symbol: BOTH in one-way mode, LONG and SHORT in hedge mode."""
    return (PositionSide.LONG, PositionSide.SHORT) if view.position_mode is PositionMode.HEDGE else (PositionSide.BOTH,)


def _account_position_v2(
    symbol: str, leg: PositionSide, figures: PositionFigures | None, limits: SymbolLimits, spec: Instrument, now_ms: int
) -> dict[str, Any]:
    size, settings = (figures.size if figures else 0), limits.settings
    return {
        "symbol": symbol,
        "initialMargin": money(figures.initial_margin) if figures else "0",
        "maintMargin": money(figures.maintenance_margin) if figures else "0",
        "unrealizedProfit": money(figures.unrealized_pnl) if figures else "0",
        "positionInitialMargin": money(figures.initial_margin) if figures else "0",
        "openOrderInitialMargin": "0",
        "leverage": str(settings.leverage),
        "isolated": settings.mode is MarginMode.ISOLATED,
        "entryPrice": fraction_price(figures.entry_price, spec) if figures else "0",
        "maxNotional": money(limits.max_notional),
        "bidNotional": "0",
        "askNotional": "0",
        "positionSide": leg.value,
        "positionAmt": signed_qty(size, spec),
        "updateTime": now_ms if figures else 0,
    }


def _account_position_v3(figures: PositionFigures, spec: Instrument, now_ms: int) -> dict[str, Any]:
    return {
        "symbol": figures.symbol,
        "positionSide": figures.position_side.value,
        "positionAmt": signed_qty(figures.size, spec),
        "unrealizedProfit": money(figures.unrealized_pnl),
        "isolatedMargin": _isolated_margin(figures),
        "notional": _signed_money(figures.notional, figures.size),
        "isolatedWallet": money(figures.isolated_wallet),
        "initialMargin": money(figures.initial_margin),
        "maintMargin": money(figures.maintenance_margin),
        "updateTime": now_ms,
    }


def signed_qty(lots: int, spec: Instrument) -> str:
    return ("-" if lots < 0 else "") + _qty(abs(lots), spec)


def _signed_money(amount: int, size: int) -> str:
    """A position's notional carries its side's sign on the venue."""
    return money(-amount if size < 0 else amount)


def account_config() -> dict[str, Any]:
    """GET /fapi/v1/accountConfig: fee tier 0 (the instruments' own fees), one-way, single-asset mode."""
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": False,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
    }


def balances(view: AccountOverview, account_id: int) -> list[dict[str, Any]]:
    """GET /fapi/v2/balance and /fapi/v3/balance."""
    totals = _totals(view.summary)
    return [
        {
            "accountAlias": f"paperex{account_id}",
            "asset": ASSET,
            "balance": totals["totalWalletBalance"],
            "crossWalletBalance": totals["totalCrossWalletBalance"],
            "crossUnPnl": totals["totalCrossUnPnl"],
            "availableBalance": totals["availableBalance"],
            "maxWithdrawAmount": totals["maxWithdrawAmount"],
            "marginAvailable": True,
            "updateTime": ms(view.ts),
        },
        *(
            {
                "accountAlias": f"paperex{account_id}",
                "asset": figures.asset,
                "balance": money(figures.balance),
                "crossWalletBalance": money(figures.balance),
                "crossUnPnl": "0",
                "availableBalance": money(figures.max_withdraw),
                "maxWithdrawAmount": money(figures.max_withdraw),
                "marginAvailable": True,
                "updateTime": ms(view.ts),
            }
            for figures in view.assets
        ),
    ]


def position_risk(
    view: AccountOverview, instruments: Mapping[str, Instrument], symbol: str, *, v2: bool
) -> list[dict[str, Any]]:
    """GET /fapi/v2/positionRisk (every symbol, flat ones too) or /fapi/v3/positionRisk (held ones)."""
    now, limits = ms(view.ts), limits_of(view)
    held = {(figures.symbol, figures.position_side): figures for figures in view.summary.positions}
    symbols = [symbol] if symbol else list(instruments)
    keys = [(name, leg) for name in symbols for leg in legs_of(view)]
    if v2:
        return [_risk_v2(name, leg, held.get((name, leg)), limits[name], instruments[name], now) for name, leg in keys]
    return [_risk_v3(held[key], instruments[key[0]], now) for key in keys if key in held]


def _risk_v2(
    symbol: str, leg: PositionSide, figures: PositionFigures | None, limits: SymbolLimits, spec: Instrument, now_ms: int
) -> dict[str, Any]:
    entry, settings = (fraction_price(figures.entry_price, spec) if figures else "0"), limits.settings
    return {
        "entryPrice": entry,
        "breakEvenPrice": entry,
        "marginType": MARGIN_TYPES[settings.mode],
        "isAutoAddMargin": "false",
        "isolatedMargin": _isolated_margin(figures) if figures else "0",
        "leverage": str(settings.leverage),
        "liquidationPrice": fraction_price(figures.liquidation_price, spec) if figures else "0",
        "markPrice": price_text(figures.mark_price, spec) if figures else "0",
        "maxNotionalValue": money(limits.max_notional),
        "positionAmt": signed_qty(figures.size, spec) if figures else "0",
        "notional": _signed_money(figures.notional, figures.size) if figures else "0",
        "isolatedWallet": money(figures.isolated_wallet) if figures else "0",
        "symbol": symbol,
        "unRealizedProfit": money(figures.unrealized_pnl) if figures else "0",
        "positionSide": leg.value,
        "updateTime": now_ms if figures else 0,
    }


def _risk_v3(figures: PositionFigures, spec: Instrument, now_ms: int) -> dict[str, Any]:
    entry = fraction_price(figures.entry_price, spec)
    return {
        "symbol": figures.symbol,
        "positionSide": figures.position_side.value,
        "positionAmt": signed_qty(figures.size, spec),
        "entryPrice": entry,
        "breakEvenPrice": entry,
        "markPrice": price_text(figures.mark_price, spec),
        "unRealizedProfit": money(figures.unrealized_pnl),
        "liquidationPrice": fraction_price(figures.liquidation_price, spec),
        "isolatedMargin": _isolated_margin(figures),
        "notional": _signed_money(figures.notional, figures.size),
        "marginAsset": ASSET,
        "isolatedWallet": money(figures.isolated_wallet),
        "initialMargin": money(figures.initial_margin),
        "maintMargin": money(figures.maintenance_margin),
        "positionInitialMargin": money(figures.initial_margin),
        "openOrderInitialMargin": "0",
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": now_ms,
    }


def leverage(limits: SymbolLimits) -> dict[str, Any]:
    return {
        "leverage": limits.settings.leverage,
        "maxNotionalValue": money(limits.max_notional),
        "symbol": limits.symbol,
    }
