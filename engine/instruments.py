"""Instrument specifications: tick and lot sizes, limits, fees, funding and margin brackets.

Specs are data. The defaults mirror Binance USD-M BTCUSDT and ETHUSDT as published (filters and the
classic leverage-bracket tables); a user's TOML file in the same shape adds or overrides instruments.
Parsing takes text, never a path: reading files is the server's job.

Optional fields and their defaults: ``quote = "USDT"``, ``funding_interval_hours = 8`` and
``mark_method = "median"`` (how an index update moves the mark: ``"median"`` is the venue's
median(Price 1, Price 2, last), see ``paperex.engine.mark``; ``"index"`` makes the mark the index itself),
``liquidation_fee = "clearance"`` with ``liquidation_fee_rate = 0`` (see ``LiquidationFee``) and
``insurance_fund = 0`` (the symbol's insurance fund when the exchange starts, in USDT).
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from paperex.engine.mark import MarkMethod
from paperex.engine.native import Reduced, fields_reduced
from paperex.engine.reasons import RejectReason
from paperex.engine.units import (
    SCALE,
    Amount,
    ConversionError,
    Lots,
    Rate,
    Ticks,
    amount_from_decimal,
    from_steps,
    to_steps,
)


class InstrumentConfigError(ValueError):
    """An instrument table that cannot describe a tradable market."""


class LiquidationFee(StrEnum):
    """What a liquidation fill costs the liquidated account.

    ``CLEARANCE`` is Binance USD-M's model: no trading fee, but a clearance fee of the instrument's
    ``liquidation_fee_rate`` times the liquidated notional, paid to the insurance fund (which is what
    the fund lives on). ``TAKER`` charges the ordinary taker fee to the exchange, ``NONE`` nothing.
    """

    CLEARANCE = "clearance"
    TAKER = "taker"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Bracket:
    """One maintenance-margin tier: notional in (floor, cap] allows up to ``max_leverage``."""

    floor: Amount
    cap: Amount
    max_leverage: int
    mmr: Rate
    cum: Amount

    def __reduce__(self) -> Reduced:
        return fields_reduced(self)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A linear USDT-margined perpetual, with every limit already in engine units."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Lots
    max_qty: Lots
    max_market_qty: Lots
    min_price: Ticks
    max_price: Ticks
    min_notional: Amount
    price_band: Rate
    maker_fee: Rate
    taker_fee: Rate
    brackets: tuple[Bracket, ...]
    funding_interval_hours: int
    funding_cap: Rate
    funding_floor: Rate
    interest_rate: Rate
    notional_unit: Amount
    mark_method: MarkMethod = MarkMethod.MEDIAN
    liquidation_fee: LiquidationFee = LiquidationFee.CLEARANCE
    liquidation_fee_rate: Rate = 0
    insurance_fund: Amount = 0
    """The symbol's insurance fund when the exchange starts."""

    def __reduce__(self) -> Reduced:
        return fields_reduced(self)

    @property
    def max_leverage(self) -> int:
        return self.brackets[0].max_leverage

    def price_to_ticks(self, text: str | Decimal, field: str = "price") -> Ticks:
        """Wire price to ticks; refuses non-multiples and values outside the price filter."""
        ticks = to_steps(text, self.tick_size, field, RejectReason.INVALID_PRICE, RejectReason.INVALID_TICK)
        if not self.min_price <= ticks <= self.max_price:
            raise ConversionError(RejectReason.PRICE_OUT_OF_BOUNDS, field, text)
        return ticks

    def qty_to_lots(self, text: str | Decimal, field: str = "quantity") -> Lots:
        """Wire quantity to lots; refuses non-multiples and values above the lot filter."""
        lots = to_steps(text, self.lot_size, field, RejectReason.INVALID_QUANTITY, RejectReason.INVALID_LOT)
        if not self.min_qty <= lots <= self.max_qty:
            raise ConversionError(RejectReason.QUANTITY_OUT_OF_BOUNDS, field, text)
        return lots

    def nearest_prices(self, value: Decimal) -> tuple[Ticks, Ticks]:
        """The valid prices nearest to ``value`` at or below and at or above it: on the tick, inside
        the price filter (both the bound when ``value`` lies beyond it).

        >>> btc = DEFAULT_INSTRUMENTS["BTCUSDT"]
        >>> btc.nearest_prices(Decimal("64900.05")), btc.nearest_prices(Decimal("556.75"))
        ((649000, 649001), (5568, 5568))
        """
        return _nearest_steps(value, self.tick_size, self.min_price, self.max_price)

    def nearest_quantities(self, value: Decimal) -> tuple[Lots, Lots]:
        """The valid quantities nearest to ``value`` below and above, as ``nearest_prices``.

        >>> DEFAULT_INSTRUMENTS["BTCUSDT"].nearest_quantities(Decimal("0.0105"))
        (10, 11)
        """
        return _nearest_steps(value, self.lot_size, self.min_qty, self.max_qty)

    def ticks_to_price(self, ticks: Ticks) -> str:
        return from_steps(ticks, self.tick_size)

    def lots_to_qty(self, lots: Lots) -> str:
        return from_steps(lots, self.lot_size)

    def notional(self, ticks: Ticks, lots: Lots) -> Amount:
        """Exact notional of ``lots`` at ``ticks`` in money units.

        >>> DEFAULT_INSTRUMENTS["BTCUSDT"].notional(649000, 1000)  # 1 BTC at 64,900.0
        6490000000000
        """
        return ticks * lots * self.notional_unit


def _nearest_steps(value: Decimal, step: Decimal, low: int, high: int) -> tuple[int, int]:
    """Whole steps in [low, high] nearest to ``value``, below and above. Clamped first, so that the
    division is on a number of the filter's size however many digits ``value`` has."""
    clamped = min(max(value, low * step), high * step)
    below = int(clamped // step)
    return below, below if below * step == clamped else below + 1


def _rate(raw: Any, field: str) -> Rate:
    try:
        return amount_from_decimal(Decimal(str(raw)))
    except (ValueError, ArithmeticError) as exc:
        raise InstrumentConfigError(f"{field}: {raw!r} is not a decimal with at most 8 places") from exc


def _steps(raw: Any, step: Decimal, field: str) -> int:
    value = Decimal(str(raw))
    steps, remainder = divmod(value, step)
    if remainder or value <= 0:
        raise InstrumentConfigError(f"{field}: {raw!r} is not a positive multiple of {step}")
    return int(steps)


Choice = TypeVar("Choice", bound=StrEnum)


def _choice(kind: type[Choice], raw: Any, field: str) -> Choice:
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in kind)
        raise InstrumentConfigError(f"{field}: {raw!r} is not one of {choices}") from None


def _brackets(rows: list[Mapping[str, Any]], symbol: str) -> tuple[Bracket, ...]:
    """Tiers in order; floors chain from the previous cap and cum follows Binance's rule
    cum(n) = floor(n) x (mmr(n) - mmr(n-1)) + cum(n-1) unless the table gives it."""
    if not rows:
        raise InstrumentConfigError(f"{symbol}: at least one bracket is required")
    brackets: list[Bracket] = []
    floor, previous_mmr, cum = 0, 0, 0
    for index, row in enumerate(rows, start=1):
        cap = _rate(row["cap"], f"{symbol}.brackets[{index}].cap")
        mmr = _rate(row["mmr"], f"{symbol}.brackets[{index}].mmr")
        leverage = int(row["max_leverage"])
        cum = cum + floor * (mmr - previous_mmr) // SCALE
        if "cum" in row:
            cum = _rate(row["cum"], f"{symbol}.brackets[{index}].cum")
        if cap <= floor or leverage < 1 or not 0 < mmr < SCALE:
            raise InstrumentConfigError(f"{symbol}: bracket {index} is not a valid tier")
        if brackets and leverage > brackets[-1].max_leverage:
            raise InstrumentConfigError(f"{symbol}: bracket {index} allows more leverage than the one below")
        brackets.append(Bracket(floor, cap, leverage, mmr, cum))
        floor, previous_mmr = cap, mmr
    return tuple(brackets)


def parse_instrument(symbol: str, spec: Mapping[str, Any]) -> Instrument:
    """Build one instrument from a mapping of decimal-valued fields (see ``DEFAULT_INSTRUMENTS_TOML``)."""
    try:
        tick = Decimal(str(spec["tick_size"]))
        lot = Decimal(str(spec["lot_size"]))
        unit = tick * lot * SCALE
        if tick <= 0 or lot <= 0 or unit != unit.to_integral_value():
            raise InstrumentConfigError(f"{symbol}: tick x lot must be a positive multiple of 1e-8")
        instrument = Instrument(
            symbol=symbol,
            base=str(spec["base"]),
            quote=str(spec.get("quote", "USDT")),
            tick_size=tick,
            lot_size=lot,
            min_qty=_steps(spec["min_qty"], lot, f"{symbol}.min_qty"),
            max_qty=_steps(spec["max_qty"], lot, f"{symbol}.max_qty"),
            max_market_qty=_steps(spec["max_market_qty"], lot, f"{symbol}.max_market_qty"),
            min_price=_steps(spec["min_price"], tick, f"{symbol}.min_price"),
            max_price=_steps(spec["max_price"], tick, f"{symbol}.max_price"),
            min_notional=_rate(spec["min_notional"], f"{symbol}.min_notional"),
            price_band=_rate(spec["price_band"], f"{symbol}.price_band"),
            maker_fee=_rate(spec["maker_fee"], f"{symbol}.maker_fee"),
            taker_fee=_rate(spec["taker_fee"], f"{symbol}.taker_fee"),
            brackets=_brackets(spec["brackets"], symbol),
            funding_interval_hours=int(spec.get("funding_interval_hours", 8)),
            funding_cap=_rate(spec["funding_cap"], f"{symbol}.funding_cap"),
            funding_floor=_rate(spec["funding_floor"], f"{symbol}.funding_floor"),
            interest_rate=_rate(spec["interest_rate"], f"{symbol}.interest_rate"),
            notional_unit=int(unit),
            mark_method=_choice(MarkMethod, spec.get("mark_method", "median"), f"{symbol}.mark_method"),
            liquidation_fee=_choice(
                LiquidationFee, spec.get("liquidation_fee", "clearance"), f"{symbol}.liquidation_fee"
            ),
            liquidation_fee_rate=_rate(spec.get("liquidation_fee_rate", 0), f"{symbol}.liquidation_fee_rate"),
            insurance_fund=_rate(spec.get("insurance_fund", 0), f"{symbol}.insurance_fund"),
        )
    except KeyError as exc:
        raise InstrumentConfigError(f"{symbol}: missing field {exc.args[0]!r}") from None
    except (ArithmeticError, ValueError, TypeError) as exc:
        if isinstance(exc, InstrumentConfigError):
            raise
        raise InstrumentConfigError(f"{symbol}: a value is not of the expected kind ({exc})") from exc
    if not instrument.min_qty <= instrument.max_market_qty <= instrument.max_qty:
        raise InstrumentConfigError(f"{symbol}: need min_qty <= max_market_qty <= max_qty")
    if instrument.min_price > instrument.max_price:
        raise InstrumentConfigError(f"{symbol}: min_price above max_price")
    if not 0 < instrument.price_band < SCALE:
        raise InstrumentConfigError(f"{symbol}: price_band must be between 0 and 1")
    if not 0 <= instrument.liquidation_fee_rate < SCALE:
        raise InstrumentConfigError(f"{symbol}: liquidation_fee_rate must be at least 0 and below 1")
    if instrument.insurance_fund < 0:
        raise InstrumentConfigError(f"{symbol}: insurance_fund must not be negative")
    return instrument


def parse_instruments(toml_text: str, base: Mapping[str, Instrument] | None = None) -> dict[str, Instrument]:
    """Instruments from TOML text (``[instruments.SYMBOL]`` tables), layered over ``base``.

    Floats are read as Decimal, so ``tick_size = 0.1`` is exact.
    """
    try:
        document = tomllib.loads(toml_text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentConfigError(f"invalid TOML: {exc}") from exc
    instruments = dict(base or {})
    for symbol, spec in document.get("instruments", {}).items():
        if not isinstance(spec, Mapping):
            raise InstrumentConfigError(f"{symbol}: expected a table of fields")
        instruments[symbol] = parse_instrument(symbol, spec)
    return instruments


DEFAULT_INSTRUMENTS_TOML = """
# Binance USD-M values as published (exchange filters and the classic leverage brackets); the mark
# follows the index by Binance's median method. Liquidations pay Binance's clearance fee to the
# symbol's insurance fund, at the rates Binance published for them (0.3% BTCUSDT, 0.5% others;
# the current rates are not public), instead of a trading fee.
[instruments.BTCUSDT]
base = "BTC"
tick_size = 0.1
lot_size = 0.001
min_qty = 0.001
max_qty = 1000
max_market_qty = 120
min_price = 556.8
max_price = 4529764
min_notional = 100
price_band = 0.05
maker_fee = 0.0002
taker_fee = 0.0005
funding_interval_hours = 8
funding_cap = 0.003
funding_floor = -0.003
interest_rate = 0.0001
mark_method = "median"
liquidation_fee = "clearance"
liquidation_fee_rate = 0.003
brackets = [
  { cap = 50000, max_leverage = 125, mmr = 0.004 },
  { cap = 250000, max_leverage = 100, mmr = 0.005 },
  { cap = 1000000, max_leverage = 50, mmr = 0.01 },
  { cap = 10000000, max_leverage = 20, mmr = 0.025 },
  { cap = 20000000, max_leverage = 10, mmr = 0.05 },
  { cap = 50000000, max_leverage = 5, mmr = 0.10 },
  { cap = 100000000, max_leverage = 4, mmr = 0.125 },
  { cap = 200000000, max_leverage = 3, mmr = 0.15 },
  { cap = 300000000, max_leverage = 2, mmr = 0.25 },
  { cap = 9223372036, max_leverage = 1, mmr = 0.50 },
]

[instruments.ETHUSDT]
base = "ETH"
tick_size = 0.01
lot_size = 0.001
min_qty = 0.001
max_qty = 10000
max_market_qty = 2000
min_price = 39.86
max_price = 306177
min_notional = 20
price_band = 0.05
maker_fee = 0.0002
taker_fee = 0.0005
funding_interval_hours = 8
funding_cap = 0.003
funding_floor = -0.003
interest_rate = 0.0001
mark_method = "median"
liquidation_fee = "clearance"
liquidation_fee_rate = 0.005
brackets = [
  { cap = 10000, max_leverage = 100, mmr = 0.005 },
  { cap = 100000, max_leverage = 75, mmr = 0.0065 },
  { cap = 500000, max_leverage = 50, mmr = 0.01 },
  { cap = 1000000, max_leverage = 25, mmr = 0.02 },
  { cap = 2000000, max_leverage = 10, mmr = 0.05 },
  { cap = 5000000, max_leverage = 5, mmr = 0.10 },
  { cap = 10000000, max_leverage = 4, mmr = 0.125 },
  { cap = 20000000, max_leverage = 3, mmr = 0.15 },
  { cap = 50000000, max_leverage = 2, mmr = 0.25 },
  { cap = 9223372036, max_leverage = 1, mmr = 0.50 },
]
"""

DEFAULT_INSTRUMENTS: dict[str, Instrument] = parse_instruments(DEFAULT_INSTRUMENTS_TOML)
