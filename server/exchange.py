"""The exchange's whole deterministic state: the engine plus what the host derives from its events.

Everything here is a pure function of the command sequence (accounts and hashed keys, order and fill
history, user-event logs, book sequence numbers), so a pickled ``Exchange`` plus the journal's tail
rebuilds it exactly. The sequencer is its only writer.
"""

from collections import deque
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from paperex.v1 import account_pb2, common_pb2, market_data_pb2

from engine.commands import CreateAccount, Deposit
from engine.engine import Engine
from engine.events import BookLevelChanged, Event, OrderRejected, TradeExecuted
from engine.instruments import Instrument
from engine.orders import Side
from engine.reasons import RejectReason
from server import render
from server.candles import Candle, CandleStore, Interval
from server.exchange_commands import OpenAccount
from server.history import History
from server.tape import ExchangeCommand
from server.ticker_stats import TickerStats
from server.user_events import UserEventRenderer

USER_EVENTS_RETAINED = 10_000
"""Events kept per account for StreamUserEvents to resume from after a reconnect."""

Publication = tuple[Hashable, Any]
"""A stream topic and the message for it, published once the command is durable."""


def book_topic(symbol: str) -> Hashable:
    return ("book", symbol)


def trades_topic(symbol: str) -> Hashable:
    return ("trades", symbol)


def user_topic(account_id: int) -> Hashable:
    return ("user", account_id)


def candles_topic(symbol: str, interval: Interval) -> Hashable:
    return ("candles", symbol, interval)


class AccountEntry(NamedTuple):
    account_id: int
    name: str
    key_hash: str


@dataclass(slots=True)
class Applied:
    """One command's outcome: its sequence number, events, and what streams should see."""

    sequence: int
    ts: int
    command: ExchangeCommand
    events: list[Event]
    publications: list[Publication] = field(default_factory=list)
    account_id: int = 0
    """For OpenAccount: the id assigned."""


class Exchange:
    """Engine + accounts + projections; mutate only through ``apply``."""

    def __init__(self, instruments: Mapping[str, Instrument]) -> None:
        self.instruments = dict(instruments)
        self.engine = Engine(self.instruments)
        self.history = History()
        self.sequence = 0
        self.accounts: dict[int, AccountEntry] = {}
        self.account_by_key: dict[str, int] = {}
        self._account_by_name: dict[str, int] = {}
        self.book_sequence = dict.fromkeys(self.instruments, 0)
        self.user_events: dict[int, deque[account_pb2.UserEvent]] = {}
        self.candles = CandleStore()
        self.ticker_stats = TickerStats()
        self._renderer = UserEventRenderer(self.engine, self.history)

    @property
    def now(self) -> int:
        return self.engine.now

    def apply(self, command: ExchangeCommand) -> Applied:
        """Apply one sequenced command (its ``ts`` already stamped)."""
        self.sequence += 1
        applied = Applied(self.sequence, command.ts, command, [])
        if isinstance(command, OpenAccount):
            applied.events = self._open_account(command, applied)
        else:
            applied.events = self.engine.apply(command)
        self._project(applied)
        return applied

    def _open_account(self, command: OpenAccount, applied: Applied) -> list[Event]:
        if command.name in self._account_by_name:
            return [OrderRejected("CreateAccount", 0, "", RejectReason.ACCOUNT_ALREADY_EXISTS)]
        account_id = applied.account_id = len(self.accounts) + 1
        self.accounts[account_id] = AccountEntry(account_id, command.name, command.key_hash)
        self.account_by_key[command.key_hash] = account_id
        self._account_by_name[command.name] = account_id
        events = self.engine.apply(CreateAccount(account_id=account_id, ts=command.ts))
        if command.deposit:
            events += self.engine.apply(Deposit(account_id=account_id, amount=command.deposit, ts=command.ts))
        return events

    def _project(self, applied: Applied) -> None:
        """History, user events, book updates and the public tape from one command's events."""
        ts, seq = applied.ts, applied.sequence
        stamp = render.timestamp(ts)
        publications = applied.publications
        levels: dict[str, list[BookLevelChanged]] = {}
        trades: dict[str, list[common_pb2.Trade]] = {}
        bars: dict[tuple[str, Interval, int], Candle] = {}
        history, renderer = self.history, self._renderer
        renderer.begin_command()
        for index, event in enumerate(applied.events):
            history.fold(event, ts)
            if isinstance(event, BookLevelChanged):
                levels.setdefault(event.symbol, []).append(event)
                continue
            if isinstance(event, TradeExecuted):
                trades.setdefault(event.symbol, []).append(self._trade(event, stamp))
                self.ticker_stats.record(event.symbol, ts, event.price, event.quantity)
                for interval, bar in self.candles.record(event.symbol, ts, event.price, event.quantity):
                    bars[(event.symbol, interval, bar.open_time)] = bar
                continue
            rendered = renderer.render(event, ts, account_pb2.EventCursor(sequence=seq, index=index), stamp)
            if rendered is None:
                continue
            account_id, message = rendered
            log = self.user_events.get(account_id)
            if log is None:
                log = self.user_events[account_id] = deque(maxlen=USER_EVENTS_RETAINED)
            log.append(message)
            publications.append((user_topic(account_id), message))
        for symbol, changed in levels.items():
            publications.append((book_topic(symbol), self._book_update(symbol, changed, stamp)))
        for symbol, executed in trades.items():
            publications.append((trades_topic(symbol), market_data_pb2.StreamTradesResponse(trades=executed)))
        for symbol, interval, bar in self.candles.advance(ts):
            bars[(symbol, interval, bar.open_time)] = bar
        for (symbol, interval, _), bar in bars.items():
            candle = render.candle(symbol, bar, self.instruments[symbol])
            publications.append((candles_topic(symbol, interval), market_data_pb2.StreamCandlesResponse(candle=candle)))

    def _book_update(self, symbol: str, changed: list[BookLevelChanged], stamp: Any) -> Any:
        spec = self.instruments[symbol]
        self.book_sequence[symbol] += 1
        update = market_data_pb2.OrderBookUpdate(symbol=symbol, sequence=self.book_sequence[symbol], time=stamp)
        for level in changed:
            side = update.bids if level.side is Side.BUY else update.asks
            side.add(
                price=spec.ticks_to_price(level.price),
                quantity=spec.lots_to_qty(level.quantity) if level.quantity else "0",
                order_count=level.orders,
            )
        return market_data_pb2.StreamOrderBookResponse(update=update)

    def _trade(self, event: TradeExecuted, stamp: Any) -> common_pb2.Trade:
        spec = self.instruments[event.symbol]
        return common_pb2.Trade(
            trade_id=event.trade_id,
            symbol=event.symbol,
            price=spec.ticks_to_price(event.price),
            quantity=spec.lots_to_qty(event.quantity),
            aggressor_side=render.SIDES[event.aggressor],
            time=stamp,
        )

    # ------------------------------------------------------------------ queries

    def events_after(self, account_id: int, sequence: int, index: int) -> list[account_pb2.UserEvent] | None:
        """The account's retained events strictly after the cursor; None when the log no longer
        reaches back that far (the caller must resync)."""
        if sequence > self.sequence:
            return None
        log = self.user_events.get(account_id)
        if not log:
            return []
        first = log[0].cursor
        if (sequence, index) < (first.sequence, first.index) and log.maxlen == len(log):
            return None
        return [event for event in log if (event.cursor.sequence, event.cursor.index) > (sequence, index)]

    def open_interest(self, symbol: str) -> int:
        """Total long lots (equal to total short lots)."""
        holders = self.engine.markets[symbol].holders
        return sum(max(0, self.engine.position(account_id, symbol).size) for account_id in holders)

    def last_cursor(self, account_id: int) -> tuple[int, int]:
        """The cursor of the account's newest event ((0, 0) before any)."""
        log = self.user_events.get(account_id)
        if not log:
            return (0, 0)
        cursor = log[-1].cursor
        return (cursor.sequence, cursor.index)
