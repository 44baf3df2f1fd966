"""Each symbol's index, mark and last trade price and its funding rate, folded from ``IndexPriceChanged``,
``MarkPriceChanged``, ``TradeExecuted`` and ``FundingRateSettled`` events (0 before the first).

The engine emits a price event on every set, an unchanged price included, so the board knows each
price as the command that set it left it: what SetIndexPrice and SetMarkPrice answer with, and the
"before" of the next price alert check."""

from paperex.engine.events import Event, FundingRateSettled, IndexPriceChanged, MarkPriceChanged, TradeExecuted
from paperex.engine.orders import TriggerBy
from paperex.engine.units import Rate, Ticks


class PriceBoard:
    def __init__(self) -> None:
        self.index: dict[str, Ticks] = {}
        self.funding_rate: dict[str, Rate] = {}
        """The rate of each symbol's latest funding interval."""
        self._seen: dict[tuple[str, TriggerBy], Ticks] = {}
        """(symbol, MARK) -> the mark, (symbol, LAST) -> the last trade price."""

    def fold(self, events: list[Event]) -> None:
        seen = self._seen
        for event in events:
            if isinstance(event, MarkPriceChanged):
                seen[(event.symbol, TriggerBy.MARK)] = event.price
            elif isinstance(event, TradeExecuted):
                seen[(event.symbol, TriggerBy.LAST)] = event.price
            elif isinstance(event, IndexPriceChanged):
                self.index[event.symbol] = event.price
            elif isinstance(event, FundingRateSettled):
                self.funding_rate[event.symbol] = event.rate

    def price(self, symbol: str, source: TriggerBy) -> Ticks:
        """The mark (``TriggerBy.MARK``) or the last trade price (``TriggerBy.LAST``)."""
        return self._seen.get((symbol, source), 0)

    def index_and_mark(self, symbol: str) -> tuple[Ticks, Ticks]:
        return self.index.get(symbol, 0), self.price(symbol, TriggerBy.MARK)
