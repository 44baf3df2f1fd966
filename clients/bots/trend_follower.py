"""A trend follower: SMA crossover on closed candles, an RSI filter, Bollinger-band stops, 2% risk sizing.

    python -m paperex.client.bots.trend_follower --api-key KEY --symbol BTCUSDT --interval 1m --fast 9 --slow 21

On every closed candle (``stream_candles``; a gap after a reconnect is filled from ``candles``) it asks
``paperex.client.bots.trend.decide`` what to do. An entry is one OrderSession batch of three orders: the market
order, a STOP_MARKET and a TAKE_PROFIT_MARKET, both ``close_position`` (they close whatever is open
when they fire). The stop sits at the Bollinger band (``trend.protective_prices``), the quantity risks
``--risk`` of equity at that stop (``paperex.client.bots.sizing``), capped by what the balance can open at
``--leverage``. When one protective order fills, the other is canceled; an opposite crossover closes the
position at market and cancels both. An entry whose protection is refused is closed at once: this bot
never holds an unprotected position.

Ctrl-C leaves an open position in place *with* its stop-loss and take-profit (they protect it while the
bot is away); ``--flatten-on-exit`` closes it and cancels them instead.
"""

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from paperex.client.bots import launch, sizing
from paperex.client.bots.trend import Decision, SignalSettings, decide, protective_prices
from paperex.client.cli.arguments import enum_choices, enum_member, word_argument
from paperex.client.client import AsyncClient
from paperex.client.commands import CancelOrder, OrderCommand, PlaceOrder
from paperex.client.enums import CandleInterval, OrderType, Side, TriggerBy
from paperex.client.errors import PaperexError
from paperex.client.models import (
    Candle,
    EventCursor,
    Instrument,
    Order,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    PlaceOrderResponse,
)
from paperex.client.session import OrderSession, Result

log = logging.getLogger("trend_follower")
ZERO = Decimal(0)
INTERVALS = {
    CandleInterval.M1: timedelta(minutes=1),
    CandleInterval.M5: timedelta(minutes=5),
    CandleInterval.M15: timedelta(minutes=15),
    CandleInterval.H1: timedelta(hours=1),
    CandleInterval.H4: timedelta(hours=4),
    CandleInterval.D1: timedelta(days=1),
}
PROTECTIVE_TYPES = {OrderType.STOP_MARKET: "stop-loss", OrderType.TAKE_PROFIT_MARKET: "take-profit"}
RSI_HISTORY = 5
"""Closes kept per RSI period beyond the warm-up, so that Wilder's smoothing is seeded far back."""


@dataclass(frozen=True, slots=True)
class Settings:
    symbol: str = "BTCUSDT"
    interval: CandleInterval = CandleInterval.M1
    signal: SignalSettings = field(default_factory=SignalSettings)
    risk_fraction: Decimal = Decimal("0.02")
    reward_ratio: Decimal = Decimal(2)
    """Take-profit distance as a multiple of the stop distance."""
    min_stop_bps: Decimal = Decimal(20)
    """The stop is at least this far from the entry, however narrow the bands."""
    leverage: int = 5
    headroom: Decimal = Decimal("0.95")
    """Share of the available balance an entry may use (the rest absorbs slippage and fees)."""
    flatten_on_exit: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as placed: what the sizing and the protective prices were based on."""

    side: Side
    quantity: Decimal
    reference_price: Decimal
    average_price: Decimal | None
    stop_price: Decimal
    take_profit_price: Decimal
    equity: Decimal


class TrendFollower:
    """The candle loop and the protective-order watch; ``closed_candles`` counts the candles decided on
    and ``entries`` lists what was placed (tests read both)."""

    def __init__(self, client: AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        history = settings.signal.warmup + RSI_HISTORY * settings.signal.rsi_period
        self.candles: deque[Candle] = deque(maxlen=history)
        self.protective: dict[int, str] = {}  # order id -> "stop-loss" / "take-profit"
        self.closed_candles = 0
        self.entries: list[Entry] = []
        self.streaming = asyncio.Event()  # set at the candle stream's first message
        self._lock = asyncio.Lock()  # one decision at a time: the candle loop and the event watch
        self._instrument: Instrument | None = None
        self._session: OrderSession | None = None

    async def run(self) -> None:
        """Trades until cancelled; then leaves the protected position (or flattens, if so configured)."""
        settings = self.settings
        self._instrument = await launch.find_instrument(self.client, settings.symbol)
        await self.client.set_leverage(settings.symbol, settings.leverage)
        cursor = (await self.client.account()).cursor
        signal = settings.signal
        log.info(
            "following %s on %s candles: SMA %d/%d, RSI %d (%s..%s), bands %d x %s; risk %s%% per trade, "
            "take-profit %sR, leverage %dx",
            settings.symbol,
            settings.interval.name,
            signal.fast,
            signal.slow,
            signal.rsi_period,
            signal.oversold,
            signal.overbought,
            signal.band_period,
            signal.band_width,
            settings.risk_fraction * 100,
            settings.reward_ratio,
            settings.leverage,
        )
        async with self.client.order_session() as session:
            self._session = session
            await self._adopt()
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self._follow_candles())
                    tasks.create_task(self._watch_protection(cursor))
            finally:
                await self._leave()

    # Candles

    async def _follow_candles(self) -> None:
        await self._backfill()
        async for candle in self.client.stream_candles(self.settings.symbol, self.settings.interval):
            self.streaming.set()
            if not candle.closed or candle.open_time is None:
                continue
            last = self.candles[-1].open_time if self.candles else None
            if last is not None and candle.open_time <= last:
                continue  # already known (the backfill saw it)
            if last is not None and candle.open_time > last + INTERVALS[self.settings.interval]:
                await self._backfill()  # missed candles while reconnecting
            else:
                self.candles.append(candle)
            await self._on_close()

    async def _backfill(self) -> None:
        history = await self.client.candles(
            self.settings.symbol, self.settings.interval, limit=(self.candles.maxlen or 1) + 1
        )
        self.candles.clear()
        self.candles.extend(candle for candle in history if candle.closed)

    async def _on_close(self) -> None:
        async with self._lock:
            candle = self.candles[-1]
            position = await self._position()
            if not position and self.protective:
                await self._cancel_protection("no position left")
            decision = decide([c.close for c in self.candles], position, self.settings.signal)
            self.closed_candles += 1
            if decision is None:
                log.info(
                    "candle %s close %s: warming up (%d/%d)",
                    _clock(candle),
                    launch.money(candle.close),
                    len(self.candles),
                    self.settings.signal.warmup,
                )
                return
            log.info("candle %s close %s: %s", _clock(candle), launch.money(candle.close), _describe(decision))
            if position and not self.protective:
                await self._close(position, "the position has no protective order left")
                position = ZERO
            if decision.exit and position:
                await self._close(position, decision.reason)
            if decision.enter is not None:
                await self._enter(decision.enter, decision)

    # Orders

    async def _enter(self, side: Side, decision: Decision) -> None:
        settings, instrument = self.settings, self._instrument
        assert instrument is not None and self._session is not None
        account = await self.client.account()
        book = await self.client.order_book(settings.symbol, depth=1)
        touch = book.asks if side is Side.BUY else book.bids
        reference = touch[0].price if touch else self.candles[-1].close
        stop, target = protective_prices(
            side, reference, decision.bands, settings.reward_ratio, settings.min_stop_bps, instrument.tick_size
        )
        rules = sizing.Rules(
            settings.risk_fraction,
            instrument.taker_fee_rate,
            settings.headroom,
            instrument.lot_size,
            instrument.min_quantity,
            instrument.min_notional,
        )
        size = sizing.position_size(
            account.margin_balance, account.available_balance, reference, stop, settings.leverage, rules
        )
        if not size.quantity:
            log.info("no entry: the 2%% rule gives %s, the balance allows %s", size.by_risk, size.affordable)
            return
        protection_orders = [
            PlaceOrder(
                settings.symbol,
                side.opposite,
                order_type=order_type,
                stop_price=price,
                trigger_by=TriggerBy.MARK,
                close_position=True,
            )
            for order_type, price in ((OrderType.STOP_MARKET, stop), (OrderType.TAKE_PROFIT_MARKET, target))
        ]
        results = await self._session.submit([PlaceOrder(settings.symbol, side, size.quantity), *protection_orders])
        entry, *protection = [_placed(result) for result in results]
        for result in protection:
            if not isinstance(result, PaperexError):
                self.protective[result.order.order_id] = PROTECTIVE_TYPES[result.order.order_type]
        if isinstance(entry, PaperexError) or not entry.order.filled_quantity:
            reason = entry.reason if isinstance(entry, PaperexError) else "nothing filled"
            log.warning("entry %s %s refused (%s)", side.name.lower(), size.quantity, reason)
            await self._cancel_protection("the entry did not fill")
            return
        filled = entry.order.filled_quantity
        self.entries.append(
            Entry(side, filled, reference, entry.order.average_price, stop, target, account.margin_balance)
        )
        log.info(
            "entered %s %s @ %s: stop-loss %s, take-profit %s; risk %s = %s%% of equity %s%s",
            "long" if side is Side.BUY else "short",
            filled,
            launch.money(entry.order.average_price, 2),
            launch.money(stop),
            launch.money(target),
            launch.money(round(filled * abs(reference - stop), 2)),
            round(filled * abs(reference - stop) * 100 / account.margin_balance, 2),
            launch.money(account.margin_balance),
            " (capped by the balance)" if size.capped else "",
        )
        refusals = [result for result in protection if isinstance(result, PaperexError)]
        if refusals:
            log.warning("protection refused (%s): closing the entry", ", ".join(r.reason for r in refusals))
            await self._close(filled if side is Side.BUY else -filled, "unprotected")

    async def _close(self, position: Decimal, reason: str) -> None:
        """Cancels the protective orders and closes ``position`` at market (reduce-only), one batch."""
        assert self._session is not None
        commands: list[OrderCommand] = [CancelOrder(self.settings.symbol, order_id) for order_id in self.protective]
        side = Side.SELL if position > 0 else Side.BUY
        commands.append(PlaceOrder(self.settings.symbol, side, abs(position), reduce_only=True))
        results = await self._session.submit(commands)
        self.protective.clear()
        closing = _placed(results[-1])
        if isinstance(closing, PaperexError):
            log.warning("closing %s refused (%s)", position, closing.reason)
            return
        order = closing.order
        log.info("closed %s @ %s (%s)", order.filled_quantity, launch.money(order.average_price, 2), reason)

    async def _cancel_protection(self, reason: str) -> None:
        assert self._session is not None
        if not self.protective:
            return
        labels = [f"{label} {order_id}" for order_id, label in self.protective.items()]
        commands = [CancelOrder(self.settings.symbol, order_id) for order_id in self.protective]
        self.protective.clear()
        results = await self._session.submit(commands)
        canceled = [label for label, result in zip(labels, results, strict=True) if _done(result)]
        log.info("canceled %s (%s)", ", ".join(canceled) or "nothing", reason)

    # Protective orders

    async def _watch_protection(self, cursor: EventCursor | None) -> None:
        """When a stop-loss or take-profit closes the position, the other one goes too."""
        async for event in self.client.user_events(resume_after=cursor):
            payload = event.event
            if not isinstance(payload, OrderFilled | OrderCanceled | OrderExpired):
                continue
            order = payload.order
            if order.order_id not in self.protective or order.is_open:
                continue
            async with self._lock:
                label = self.protective.pop(order.order_id, None)
                if label is None:
                    continue
                if isinstance(payload, OrderFilled):
                    log.info("%s %d filled @ %s", label, order.order_id, launch.money(order.average_price, 2))
                    await self._cancel_protection(f"the {label} closed the position")
                else:
                    log.warning("%s %d ended without closing the position (%s)", label, order.order_id, _ending(order))

    async def _adopt(self) -> None:
        """Takes over the protective orders of a previous run (when their position is still open)."""
        orders = await self.client.open_orders(self.settings.symbol)
        self.protective = {o.order_id: PROTECTIVE_TYPES[o.order_type] for o in orders if _is_protective(o)}
        if self.protective and not await self._position():
            await self._cancel_protection("left over without a position")
        elif self.protective:
            log.info("adopted %s", ", ".join(f"{label} {order_id}" for order_id, label in self.protective.items()))

    async def _leave(self) -> None:
        position = await self._position()
        if position and self.settings.flatten_on_exit:
            await self._close(position, "stopping")
        elif position:
            log.info("stopping: the %s position stays open with its stop-loss and take-profit", position)
        else:
            await self._cancel_protection("stopping")

    async def _position(self) -> Decimal:
        positions = await self.client.positions(self.settings.symbol)
        return sum((position.size for position in positions), ZERO)


async def run(client: AsyncClient, settings: Settings) -> None:
    """Runs the trend follower until cancelled (the entry point ``__main__`` wraps; tests run it as a task)."""
    await TrendFollower(client, settings).run()


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m paperex.client.bots.trend_follower --help``."""
    arguments = launch.parser("trend_follower", "Trade SMA crossovers with stop-loss, take-profit and 2% risk.")
    arguments.add_argument(
        "--interval", default="m1", type=word_argument, choices=enum_choices(CandleInterval), help="default m1"
    )
    launch.add_settings(
        arguments,
        SignalSettings(),
        {
            "fast": "fast SMA period",
            "slow": "slow SMA period",
            "rsi_period": "RSI period (Wilder)",
            "overbought": "no long at or above this RSI",
            "oversold": "no short at or below this RSI",
            "band_period": "Bollinger period",
            "band_width": "Bollinger width in standard deviations",
        },
    )
    launch.add_settings(
        arguments,
        Settings(),
        {
            "risk_fraction": "share of equity lost at the stop",
            "reward_ratio": "take-profit distance / stop distance",
            "min_stop_bps": "closest stop to the entry",
            "leverage": "set on the symbol at start",
            "flatten_on_exit": "close the position and its orders on Ctrl-C",
        },
    )
    options = arguments.parse_args(argv)
    settings = launch.read_settings(
        Settings,
        options,
        interval=enum_member(CandleInterval, options.interval),
        signal=launch.read_settings(SignalSettings, options),
    )
    return launch.run_account_bot(options, lambda client: run(client, settings))


def _is_protective(order: Order) -> bool:
    return order.order_type in PROTECTIVE_TYPES and (order.close_position or order.reduce_only)


def _placed(result: Result) -> PlaceOrderResponse | PaperexError:
    """A PlaceOrder's result in a batch, narrowed from the session's union of result types."""
    if isinstance(result, PlaceOrderResponse | PaperexError):
        return result
    raise TypeError(f"a PlaceOrder answered with {result!r}")


def _done(result: Result) -> bool:
    return not isinstance(result, PaperexError)


def _ending(order: Order) -> str:
    return order.end_reason.name if order.end_reason else order.status.name


def _clock(candle: Candle) -> str:
    return candle.open_time.strftime("%H:%M") if candle.open_time else "?"


def _describe(decision: Decision) -> str:
    signal = (
        f"SMA fast {decision.fast:,.1f} slow {decision.slow:,.1f}, RSI {decision.rsi:.1f}, "
        f"bands {decision.bands.lower:,.1f}..{decision.bands.upper:,.1f}"
    )
    return f"{signal}: {decision.reason}"


if __name__ == "__main__":
    raise SystemExit(main())
