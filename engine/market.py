"""Per-instrument state the engine keeps beside the book: waiting conditional orders, last, index and
mark prices with the basis samples the mark is smoothed by, the symbol's insurance fund, and what the
current command changed (levels to publish, the range it traded through)."""

from paperex.engine.book import Level, OrderBook
from paperex.engine.funding import PremiumSampler
from paperex.engine.instruments import Instrument
from paperex.engine.margin import max_notional_for
from paperex.engine.mark import BasisWindow
from paperex.engine.native import Reduced, reduced
from paperex.engine.orders import TriggerBy
from paperex.engine.triggers import TriggerBook
from paperex.engine.units import Amount, Ticks


class Market:
    """Per-instrument state: the book, waiting conditional orders, prices, and what changed."""

    __slots__ = (
        "basis",
        "book",
        "dirty",
        "funding_rate",
        "holders",
        "index_price",
        "instrument",
        "insurance_fund",
        "last_price",
        "mark_moved",
        "mark_price",
        "next_funding",
        "notional_unit",
        "position_caps",
        "premium",
        "symbol",
        "trade_high",
        "trade_low",
        "triggers",
    )

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.symbol = instrument.symbol
        self.notional_unit = instrument.notional_unit
        self.holders: dict[int, None] = {}
        self.position_caps: dict[int, Amount] = {}
        self.index_price: Ticks = 0
        self.premium = PremiumSampler()
        self.basis = BasisWindow()
        self.funding_rate = 0
        self.next_funding = 0
        self.trade_low: Ticks = 0
        self.trade_high: Ticks = 0
        self.book = OrderBook(instrument.symbol)
        self.triggers = TriggerBook()
        self.last_price: Ticks = 0
        self.mark_price: Ticks = 0
        self.mark_moved = False
        self.dirty: dict[Level, None] = {}
        self.insurance_fund: Amount = instrument.insurance_fund

    def __reduce__(self) -> Reduced:
        return reduced(self, self.instrument)

    def position_cap(self, leverage: int) -> Amount:
        """The notional a position (with its orders) may reach at ``leverage`` (cached per leverage)."""
        cap = self.position_caps.get(leverage)
        if cap is None:
            cap = self.position_caps[leverage] = max_notional_for(self.instrument, leverage)
        return cap

    def trigger_price(self, source: TriggerBy) -> Ticks:
        """The price a conditional order watches (0: none yet)."""
        return self.last_price if source is TriggerBy.LAST else self.mark_price
