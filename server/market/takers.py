"""Seeded taker flow: built-in traders that take liquidity, so trades print and the last price,
candles and tickers follow the index.

Pure, like the liquidity provider: no asyncio, no I/O, no clock (the host passes the step's time), and
randomness only from one ``random.Random`` per instrument seeded from the scenario's seed and kept in
the exchange's state, so a journal replay draws the same arrivals, sides and sizes again.

Per instrument, orders arrive as a Poisson process (``rate_per_minute``): exponential gaps between
arrival times, and every arrival due by a step's time is issued in that step as a market order. Sizes
are log-normal in notional around ``median_notional`` (``dispersion`` is the log's standard
deviation), capped at ``max_notional``. The side leans toward the index: a buy with probability
``0.5 + sensitivity x (index - last) / index``, kept within ``0.5 ± max_imbalance``, so flow buys
while the last trade is below the index and sells while above it. Every arrival draws its gap, side
and size whatever the market looks like, so the draws never depend on the book.
"""

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from paperex.engine.commands import PlaceOrder
from paperex.engine.instruments import Instrument
from paperex.engine.orders import OrderType, Side
from paperex.engine.units import SCALE, Lots, Ticks, ceil_div

MINUTE_NS = 60 * 10**9
CATCH_UP_NS = MINUTE_NS
"""Arrivals further behind a step than this are not made up (a restart's gap is not one burst):
a Poisson process has no memory, so the flow simply restarts that far back."""


@dataclass(frozen=True, slots=True)
class TakerConfig:
    """One instrument's taker flow (notionals in the quote asset, e.g. USDT)."""

    enabled: bool = True
    rate_per_minute: Decimal = Decimal(6)
    median_notional: Decimal = Decimal(2_000)
    dispersion: Decimal = Decimal(1)
    max_notional: Decimal = Decimal(50_000)
    sensitivity: Decimal = Decimal(100)
    max_imbalance: Decimal = Decimal("0.4")

    def __post_init__(self) -> None:
        if self.rate_per_minute < 0 or self.dispersion < 0 or self.sensitivity < 0:
            raise ValueError("rate_per_minute, dispersion and sensitivity cannot be negative")
        if not 0 < self.median_notional <= self.max_notional:
            raise ValueError("median_notional must be positive and at most max_notional")
        if not 0 <= self.max_imbalance <= Decimal("0.5"):
            raise ValueError("max_imbalance must be between 0 and 0.5")


def buy_probability(index: Ticks, last: Ticks, config: TakerConfig) -> Fraction:
    """Chance that an arrival buys: 1/2 before any trade, else leaning toward the index.

    >>> buy_probability(65_000, 64_935, TakerConfig())  # 0.5 + 100 x 65 / 65,000
    Fraction(3, 5)
    """
    if not last or not index:
        return Fraction(1, 2)
    lean = Fraction(config.sensitivity) * (index - last) / index
    limit = Fraction(config.max_imbalance)
    return Fraction(1, 2) + max(-limit, min(limit, lean))


def order_lots(instrument: Instrument, price: Ticks, notional: Fraction) -> Lots:
    """``notional`` (quote units) in lots at ``price``, rounded down, raised to the instrument's minimum
    quantity and notional, and within its largest market order.

    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> order_lots(DEFAULT_INSTRUMENTS["BTCUSDT"], 649_000, Fraction(2_000))  # 2,000 / 64,900 = 0.0308 BTC
    30
    """
    per_lot = price * instrument.notional_unit  # scaled by SCALE
    lots = notional * SCALE // per_lot
    need = ceil_div(instrument.min_notional, per_lot)
    return min(max(int(lots), instrument.min_qty, need), instrument.max_market_qty)


class _Stream:
    """One instrument's arrivals: its generator and the time of the next arrival."""

    __slots__ = ("config", "instrument", "mean_gap_ns", "next_ns", "rng")

    def __init__(self, instrument: Instrument, config: TakerConfig, rng: random.Random, start_ns: int) -> None:
        self.instrument = instrument
        self.config = config
        self.rng = rng
        self.mean_gap_ns = float(MINUTE_NS / config.rate_per_minute)
        self.next_ns = 0
        self.restart(start_ns)

    def restart(self, from_ns: int) -> None:
        self.next_ns = from_ns
        self.advance()

    def advance(self) -> None:
        """The next arrival, an exponential gap later (at least 1 ns, so time always moves on)."""
        self.next_ns += max(1, int(self.rng.expovariate(1.0) * self.mean_gap_ns))


class TakerFlow:
    """The built-in takers of every configured instrument, trading from one account."""

    def __init__(
        self,
        account_id: int,
        instruments: Mapping[str, Instrument],
        configs: Mapping[str, TakerConfig],
        *,
        seed: int,
        start_ns: int,
    ) -> None:
        self.account_id = account_id
        self._streams: dict[str, _Stream] = {}
        for symbol, config in configs.items():
            if config.enabled and config.rate_per_minute > 0 and symbol in instruments:
                rng = random.Random(f"paperex.takers:{seed}:{symbol}")
                self._streams[symbol] = _Stream(instruments[symbol], config, rng, start_ns)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._streams)

    def orders(self, symbol: str, now_ns: int, index: Ticks, last: Ticks) -> list[PlaceOrder]:
        """The market orders of the arrivals due by ``now_ns``, sized at ``index`` and sided by
        ``buy_probability(index, last)``; [] for an instrument without takers or without an index."""
        stream = self._streams.get(symbol)
        if stream is None or not index:
            return []
        if stream.next_ns > now_ns:
            return []  # most steps: nothing due
        if stream.next_ns < now_ns - CATCH_UP_NS:
            stream.restart(now_ns - CATCH_UP_NS)
        config, rng, instrument = stream.config, stream.rng, stream.instrument
        buy_below = float(buy_probability(index, last, config))
        sigma, median, cap = float(config.dispersion), Fraction(config.median_notional), Fraction(config.max_notional)
        orders: list[PlaceOrder] = []
        while stream.next_ns <= now_ns:
            side = Side.BUY if rng.random() < buy_below else Side.SELL
            notional = min(cap, median * Fraction(math.exp(sigma * rng.gauss(0.0, 1.0))))
            orders.append(
                PlaceOrder(
                    account_id=self.account_id,
                    symbol=symbol,
                    side=side,
                    order_type=OrderType.MARKET,
                    quantity=order_lots(instrument, index, notional),
                    ts=now_ns,
                )
            )
            stream.advance()
        return orders
