"""Each symbol's recent public trades (Binance's ``trades``, ``historicalTrades`` and ``aggTrades``),
from ``TradeExecuted`` events.

An aggregate trade is the venue's: the consecutive fills of one taker order at one price, named by its
first trade's id. Rebuilt exactly by replaying the journal, so it is part of the snapshot.
"""

from collections import deque
from dataclasses import dataclass, replace

from paperex.engine.events import TradeExecuted
from paperex.engine.orders import Side
from paperex.engine.units import Lots, Ticks

RETAINED_PER_SYMBOL = 10_000
"""Trades kept per symbol; the oldest go first."""


@dataclass(slots=True, frozen=True)
class PublicTrade:
    trade_id: int
    price: Ticks
    quantity: Lots
    buyer_maker: bool
    """The seller took: the buyer's order was resting."""
    taker_order_id: int
    time: int


@dataclass(slots=True, frozen=True)
class AggregateTrade:
    """Consecutive fills of one taker order at one price: trades ``first_id`` to ``last_id``."""

    first_id: int
    last_id: int
    price: Ticks
    quantity: Lots
    buyer_maker: bool
    time: int


class PublicTrades:
    def __init__(self, retained: int = RETAINED_PER_SYMBOL) -> None:
        self.retained = retained
        self._symbols: dict[str, deque[PublicTrade]] = {}

    def record(self, event: TradeExecuted, ts: int) -> None:
        trades = self._symbols.get(event.symbol)
        if trades is None:
            trades = self._symbols[event.symbol] = deque(maxlen=self.retained)
        buyer_maker = event.aggressor is Side.SELL
        trades.append(PublicTrade(event.trade_id, event.price, event.quantity, buyer_maker, event.taker_order_id, ts))

    def recent(self, symbol: str, from_id: int | None, size: int) -> list[PublicTrade]:
        """Oldest first: the first ``size`` trades from id ``from_id`` on, or the newest ``size``."""
        trades = self._symbols.get(symbol, deque())
        if from_id is None:
            return list(trades)[-size:]
        return [trade for trade in trades if trade.trade_id >= from_id][:size]

    def aggregates(self, symbol: str, from_id: int | None, start: int, end: int, size: int) -> list[AggregateTrade]:
        """Oldest first: aggregate trades from the one named ``from_id`` on (the first ``size``), else
        those in [start, end) (the newest ``size``)."""
        found: list[AggregateTrade] = []
        taker = 0
        for trade in self._symbols.get(symbol, deque()):
            last = found[-1] if found else None
            if last is not None and trade.taker_order_id == taker and trade.price == last.price:
                found[-1] = replace(last, last_id=trade.trade_id, quantity=last.quantity + trade.quantity)
            else:
                trade_id = trade.trade_id
                found.append(
                    AggregateTrade(trade_id, trade_id, trade.price, trade.quantity, trade.buyer_maker, trade.time)
                )
            taker = trade.taker_order_id
        if from_id is not None:
            return [aggregate for aggregate in found if aggregate.first_id >= from_id][:size]
        return [aggregate for aggregate in found if start <= aggregate.time < end][-size:]
