"""A market maker: one post-only bid and one post-only ask around the mid, skewed against its inventory.

    python -m paperex.client.bots.market_maker --api-key KEY --symbol BTCUSDT --half-spread-bps 5 --size 0.010

It mirrors the book (``follow_book``) and its account (``AccountTracker``). The mid is the book's,
others' orders only (its own quotes are taken out); with a one-sided or empty book it falls back to the
ticker's mark, else index. Whenever the mid moves more than ``--requote-bps`` or the position changes,
it amends its quotes (one message each, the orders keep their ids) to where ``paperex.client.bots.quoting``
says they belong; a filled or refused quote is placed anew. All order traffic goes over one
OrderSession stream. A post-only quote that would take is refused by the exchange (or canceled when
amended): the maker logs it and quotes again on the next book change. Ctrl-C cancels its orders.
"""

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from paperex.client.book_mirror import BookMirror, follow_book
from paperex.client.bots import launch
from paperex.client.bots.quoting import (
    Action,
    Quote,
    QuoteRules,
    action,
    external_best,
    moved_beyond,
    quotes,
    reference_mid,
)
from paperex.client.client import AsyncClient
from paperex.client.commands import AmendOrder, CancelOrder, OrderCommand, PlaceOrder
from paperex.client.enums import Side, TimeInForce
from paperex.client.errors import PaperexError, PostOnlyWouldTake
from paperex.client.models import AmendOrderResponse, BookLevel, Order, OrderFilled, PlaceOrderResponse, PositionChanged
from paperex.client.session import OrderSession, Result
from paperex.client.tracker import ORDER_EVENTS, AccountTracker

log = logging.getLogger("market_maker")
ZERO = Decimal(0)
NAMES = {Side.BUY: "bid", Side.SELL: "ask"}


@dataclass(frozen=True, slots=True)
class Settings:
    symbol: str = "BTCUSDT"
    half_spread_bps: Decimal = Decimal(5)
    size: Decimal = Decimal("0.010")
    max_inventory: Decimal = Decimal("0.050")
    skew_bps: Decimal = Decimal(5)
    """How far both quotes move against the position at max inventory, in bps of the mid."""
    requote_bps: Decimal = Decimal(2)
    settle_seconds: float = 0.05
    """Wait this long after a change before quoting, so that one trade's messages arrive together."""
    retry_seconds: float = 1.0
    """Pause a side this long after a refusal other than post-only (e.g. insufficient margin)."""


@dataclass(slots=True)
class Resting:
    """One of our quotes on the exchange as we last set it; ``filled`` only grows."""

    order_id: int
    price: Decimal
    quantity: Decimal
    filled: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled


class MarketMaker:
    """The quoting loop; ``resting`` holds the live quote of each side (tests read it)."""

    def __init__(self, client: AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.tracker = AccountTracker(client)
        self.book = BookMirror(settings.symbol)
        self.resting: dict[Side, Resting] = {}
        self._wake = asyncio.Event()
        self._last: tuple[Decimal, Decimal] | None = None  # (mid, position) when last requoted
        self._paused_until: dict[Side, float] = {}
        self._finished: deque[int] = deque(maxlen=64)  # ids seen finished on the event stream
        self._rules: QuoteRules | None = None

    async def run(self) -> None:
        """Quotes until cancelled, then cancels its orders."""
        settings = self.settings
        instrument = await launch.find_instrument(self.client, settings.symbol)
        self._rules = QuoteRules(
            settings.half_spread_bps,
            settings.size,
            settings.max_inventory,
            settings.skew_bps,
            instrument.tick_size,
            instrument.lot_size,
            instrument.min_quantity,
            instrument.min_notional,
        )
        await self.tracker.sync()
        log.info(
            "making %s: half-spread %s bps, size %s, max inventory %s, skew %s bps, requote beyond %s bps",
            settings.symbol,
            settings.half_spread_bps,
            settings.size,
            settings.max_inventory,
            settings.skew_bps,
            settings.requote_bps,
        )
        async with self.client.order_session() as session:
            leftovers = await session.cancel_all_orders(settings.symbol)
            if leftovers:
                log.info("canceled %d leftover orders on %s", len(leftovers), settings.symbol)
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self._follow_book())
                    tasks.create_task(self._follow_account())
                    tasks.create_task(self._quote_loop(session))
            finally:
                await self._withdraw(session)

    async def _follow_book(self) -> None:
        async for mirror in follow_book(self.client, self.settings.symbol):
            self.book = mirror
            self._wake.set()

    async def _follow_account(self) -> None:
        async for event in self.tracker.events():
            payload = event.event
            if isinstance(payload, ORDER_EVENTS):
                fill_price = payload.fill.price if isinstance(payload, OrderFilled) else None
                self._order_changed(payload.order, fill_price)
            elif isinstance(payload, PositionChanged) and payload.position.symbol == self.settings.symbol:
                log.info("position %s", payload.position.size)
            self._wake.set()

    def _order_changed(self, order: Order, fill_price: Decimal | None) -> None:
        for side, resting in list(self.resting.items()):
            if resting.order_id != order.order_id:
                continue
            filled = order.filled_quantity or ZERO
            if filled > resting.filled:
                quantity, price = filled - resting.filled, fill_price or resting.price
                log.info("%s %d filled %s @ %s", NAMES[side], order.order_id, quantity, launch.money(price))
                resting.filled = filled
            if not order.is_open:
                del self.resting[side]
        if not order.is_open:
            self._finished.append(order.order_id)

    async def _quote_loop(self, session: OrderSession) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.settings.settle_seconds)
            self._wake.clear()
            await self.requote(session)

    async def requote(self, session: OrderSession) -> None:
        """One pass: where the quotes belong now, and the commands (one batch) that get them there."""
        assert self._rules is not None
        own = {side: {r.price: r.remaining} for side, r in self.resting.items()}
        best_bid = external_best(_levels(self.book.bids(2)), own.get(Side.BUY, {}))
        best_ask = external_best(_levels(self.book.asks(2)), own.get(Side.SELL, {}))
        source, fallback = "book", None
        if best_bid is None or best_ask is None or best_bid >= best_ask:
            ticker = await self.client.ticker(self.settings.symbol)
            source, fallback = "mark", ticker.mark_price or ticker.index_price
        mid = reference_mid(best_bid, best_ask, fallback)
        if mid is None:
            log.debug("no book and no mark price yet: waiting")
            return
        position = self.tracker.position_size(self.settings.symbol)
        targets = dict(
            zip(
                (Side.BUY, Side.SELL),
                quotes(mid, position, self._rules, best_bid=best_bid, best_ask=best_ask),
                strict=True,
            )
        )
        requote = (
            self._last is None
            or moved_beyond(self._last[0], mid, self.settings.requote_bps)
            or position != self._last[1]
            or any(target is not None and side not in self.resting for side, target in targets.items())
        )
        if requote:
            self._last = (mid, position)
        plan: list[tuple[Side, Action, Quote | None]] = []
        commands: list[OrderCommand] = []
        now = asyncio.get_running_loop().time()
        for side, target in targets.items():
            resting = self.resting.get(side)
            live = Quote(side, resting.price, resting.remaining) if resting else None
            step = action(live, target, requote)
            if step is Action.PLACE and self._paused_until.get(side, 0.0) > now:
                continue
            command = self._command(step, side, resting, target)
            if command is not None:
                plan.append((side, step, target))
                commands.append(command)
        if not commands:
            return
        log.info("mid %s (%s), position %s: %s", launch.money(mid), source, position, _describe(targets))
        results = await session.submit(commands)
        for (side, step, target), result in zip(plan, results, strict=True):
            self._settle(side, step, target, result)

    def _command(self, step: Action, side: Side, resting: Resting | None, target: Quote | None) -> OrderCommand | None:
        symbol = self.settings.symbol
        if step is Action.PLACE and target is not None:
            return PlaceOrder(symbol, side, target.quantity, price=target.price, time_in_force=TimeInForce.GTX)
        if step is Action.AMEND and resting is not None and target is not None:
            # AmendOrder takes the new total quantity: what already filled plus what should rest.
            return AmendOrder(
                symbol, order_id=resting.order_id, price=target.price, quantity=resting.filled + target.quantity
            )
        if step is Action.CANCEL and resting is not None:
            return CancelOrder(symbol, order_id=resting.order_id)
        return None

    def _settle(self, side: Side, step: Action, target: Quote | None, result: Result) -> None:
        """Folds one command's result into ``resting``; refusals are logged, never raised."""
        name = NAMES[side]
        if isinstance(result, PostOnlyWouldTake):
            log.info(
                "post-only %s @ %s would take: quoting again on the next change",
                name,
                launch.money(target.price if target else None),
            )
            return
        if isinstance(result, PaperexError):
            log.warning("%s %s refused (%s): %s", step.value, name, result.reason, result.message)
            if step is Action.PLACE:
                self._pause(side)
            else:
                self.resting.pop(side, None)  # unknown or finished: place anew on the next pass
                self._wake.set()
            return
        if isinstance(result, PlaceOrderResponse | AmendOrderResponse):
            order = result.order
            if not order.is_open or order.order_id in self._finished:  # a fill can overtake the answer
                ending = order.end_reason.name if order.end_reason else "filled meanwhile"
                log.info("%s %d ended (%s): quoting again", name, order.order_id, ending)
                self.resting.pop(side, None)
                self._wake.set()
                return
            assert order.price is not None and order.quantity is not None
            previous = self.resting.get(side)
            filled = max(order.filled_quantity or ZERO, previous.filled if previous else ZERO)
            self.resting[side] = Resting(order.order_id, order.price, order.quantity, filled)
            verb = "placed" if step is Action.PLACE else "amended"
            log.info(
                "%s %s %d: %s @ %s", verb, name, order.order_id, order.quantity - filled, launch.money(order.price)
            )
            return
        self.resting.pop(side, None)
        log.info("canceled %s", name)

    def _pause(self, side: Side) -> None:
        loop = asyncio.get_running_loop()
        self._paused_until[side] = loop.time() + self.settings.retry_seconds
        loop.call_later(self.settings.retry_seconds, self._wake.set)

    async def _withdraw(self, session: OrderSession) -> None:
        """On the way out: no quote left behind."""
        try:
            canceled = await session.cancel_all_orders(self.settings.symbol)
        except PaperexError as error:
            log.warning("could not cancel the quotes on the way out: %s", error)
            return
        self.resting.clear()
        log.info("stopping: canceled %d orders", len(canceled))


async def run(client: AsyncClient, settings: Settings) -> None:
    """Runs the market maker until cancelled (the entry point ``__main__`` wraps; tests run it as a task)."""
    await MarketMaker(client, settings).run()


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m paperex.client.bots.market_maker --help``."""
    arguments = launch.parser("market_maker", "Quote both sides around the mid, skewed against the inventory.")
    launch.add_settings(
        arguments,
        Settings(),
        {
            "half_spread_bps": "distance of each quote from the mid",
            "size": "quantity per quote",
            "max_inventory": "largest position either way",
            "skew_bps": "shift of both quotes at max inventory",
            "requote_bps": "mid move that triggers an amend",
        },
    )
    options = arguments.parse_args(argv)
    settings = launch.read_settings(Settings, options)
    return launch.run_account_bot(options, lambda client: run(client, settings))


def _levels(levels: list[BookLevel]) -> list[tuple[Decimal, Decimal]]:
    return [(level.price, level.quantity) for level in levels]


def _describe(targets: dict[Side, Quote | None]) -> str:
    return ", ".join(
        f"{NAMES[side]} {quote.quantity} @ {launch.money(quote.price)}" if quote else f"no {NAMES[side]}"
        for side, quote in targets.items()
    )


if __name__ == "__main__":
    raise SystemExit(main())
