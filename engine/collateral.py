"""Multi-Assets mode's collateral: the assets a wallet may hold besides USDT, what one unit of each is
worth in USDT (its symbol's index price, or a fixed price), the share of that worth that counts as
margin (the venue's collateral value ratio) and the venue's auto-exchange of a USDT debt into it.

Defaults follow Binance's published Multi-Assets table (see ``docs/margin.md``): BTC and ETH count at
95%, USDC at 99.99%. USDT is the settlement asset: its balance (negative when losses borrowed against
the other assets) counts at face value.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from paperex.engine.units import SCALE, Amount, Rate, amount_from_decimal, ceil_div

if TYPE_CHECKING:
    from paperex.engine.views import MarketView

USDT = "USDT"

AUTO_EXCHANGE_THRESHOLD: Amount = 10_000 * SCALE
"""The venue's fixed autoExchangeThreshold: a USDT balance below -10,000 is exchanged from the other
assets."""


class CollateralConfigError(ValueError):
    """A collateral table that cannot value its assets."""


@dataclass(frozen=True, slots=True)
class CollateralAsset:
    """One asset a Multi-Assets wallet may hold: ``rate`` of its worth counts as margin (1e-8 units),
    priced by ``index_symbol``'s index (mark, then last, until an index exists), or at ``fixed_price``
    USDT per unit (1e-8 units) when no symbol prices it."""

    asset: str
    rate: Rate
    index_symbol: str = ""
    fixed_price: Amount = 0


DEFAULT_COLLATERAL: Mapping[str, CollateralAsset] = {
    "BTC": CollateralAsset("BTC", 95_000_000, index_symbol="BTCUSDT"),
    "ETH": CollateralAsset("ETH", 95_000_000, index_symbol="ETHUSDT"),
    "USDC": CollateralAsset("USDC", 99_990_000, fixed_price=SCALE),
}


def unit_price(spec: CollateralAsset, markets: Mapping[str, "MarketView"]) -> Fraction:
    """USDT per unit of the asset (0 while its symbol has no price yet: worth nothing as margin).

    >>> from paperex.engine.market import Market
    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = Market(DEFAULT_INSTRUMENTS["BTCUSDT"])
    >>> btc.index_price = 600_000  # 60,000.0
    >>> unit_price(DEFAULT_COLLATERAL["BTC"], {"BTCUSDT": btc})
    Fraction(60000, 1)
    """
    if not spec.index_symbol:
        return Fraction(spec.fixed_price, SCALE)
    market = markets[spec.index_symbol]
    ticks = market.index_price or market.mark_price or market.last_price
    return ticks * Fraction(market.instrument.tick_size)


def worth(amount: Amount, spec: CollateralAsset, markets: Mapping[str, "MarketView"]) -> Amount:
    """``amount`` (1e-8 units of the asset) in USDT at its price, before the haircut, rounded down."""
    price = unit_price(spec, markets)
    return amount * price.numerator // price.denominator


def margin_value(amount: Amount, spec: CollateralAsset, markets: Mapping[str, "MarketView"]) -> Amount:
    """What ``amount`` of the asset counts as margin: its worth times the collateral rate, rounded down."""
    return worth(amount, spec, markets) * spec.rate // SCALE


def collateral_value(
    assets: Mapping[str, Amount], table: Mapping[str, CollateralAsset], markets: Mapping[str, "MarketView"]
) -> Amount:
    """The margin the non-USDT balances give together (Binance's margin balance adds it to USDT's)."""
    return sum(margin_value(amount, table[asset], markets) for asset, amount in assets.items() if amount > 0)


def priced_by(
    symbol: str, assets: Mapping[str, Amount], table: Mapping[str, CollateralAsset], markets: Mapping[str, "MarketView"]
) -> tuple[Amount, int]:
    """What moves with ``symbol``'s price: the margin value now of the assets its index prices, and their
    weight, the sum of balance x rate (1e-16 units: x tick size / SCALE is their margin value per tick)."""
    value = weight = 0
    for asset, amount in assets.items():
        spec = table[asset]
        if amount > 0 and spec.index_symbol == symbol:
            value += margin_value(amount, spec, markets)
            weight += amount * spec.rate
    return value, weight


def withdrawable(
    amount: Amount, spec: CollateralAsset, markets: Mapping[str, "MarketView"], free: Amount | None
) -> Amount:
    """How much of a balance ``amount`` may leave: all of it in single-asset mode (``free`` None: it backs
    nothing) or while nothing prices it; in Multi-Assets mode as much as the account's available balance
    ``free`` (USDT) covers at the asset's margin value per unit, rounded down to 1e-8 of the asset, so that
    a withdrawal of that much passes the engine's check.

    >>> from paperex.engine.market import Market
    >>> from paperex.engine.instruments import DEFAULT_INSTRUMENTS
    >>> btc = Market(DEFAULT_INSTRUMENTS["BTCUSDT"])
    >>> btc.index_price = 600_000  # 60,000.0: one BTC gives 57,000 of margin
    >>> withdrawable(10_000_000, DEFAULT_COLLATERAL["BTC"], {"BTCUSDT": btc}, 418_500_000_000)  # 4,185 free
    7342105
    """
    per_unit = unit_price(spec, markets) * Fraction(spec.rate, SCALE)
    if free is None or not per_unit:
        return amount
    return max(0, min(amount, free * per_unit.denominator // per_unit.numerator))


class AssetFigures(NamedTuple):
    """One asset balance as an account shows it: USDT per unit, its collateral rate, margin value and how
    much of it may be withdrawn (``withdrawable``)."""

    asset: str
    balance: Amount
    unit_price: Fraction
    rate: Rate
    margin_value: Amount
    max_withdraw: Amount


def asset_figures(
    assets: Mapping[str, Amount],
    table: Mapping[str, CollateralAsset],
    markets: Mapping[str, "MarketView"],
    free: Amount | None = None,
) -> tuple[AssetFigures, ...]:
    """The figures of each balance besides USDT, by asset name; ``free`` is the account's available
    balance in Multi-Assets mode (None in single-asset mode)."""
    return tuple(
        AssetFigures(
            asset,
            amount,
            unit_price(table[asset], markets),
            table[asset].rate,
            margin_value(amount, table[asset], markets) if amount > 0 else 0,
            withdrawable(amount, table[asset], markets, free),
        )
        for asset, amount in sorted(assets.items())
    )


def exchange_plan(
    debt: Amount,
    assets: Mapping[str, Amount],
    table: Mapping[str, CollateralAsset],
    markets: Mapping[str, "MarketView"],
) -> list[tuple[str, Amount, Amount]]:
    """How the venue's auto-exchange pays a USDT ``debt`` (> 0): ``(asset, units sold, USDT credited)``
    per asset, in proportion to each asset's margin value, each unit sold at its margin value (its worth
    less the haircut: Binance's "20,000 / 97.5%" of the other asset for 20,000). When the assets are
    worth less than the debt as margin, all of them are sold and the rest of the debt stays."""
    values = {asset: margin_value(amount, table[asset], markets) for asset, amount in sorted(assets.items())}
    values = {asset: value for asset, value in values.items() if value > 0 and assets[asset] > 0}
    total = sum(values.values())
    if total <= debt:
        return [(asset, assets[asset], value) for asset, value in values.items()]
    plan = []
    left = debt
    for index, (asset, value) in enumerate(values.items()):
        credit = left if index == len(values) - 1 else debt * value // total
        left -= credit
        spec = table[asset]
        per_unit = unit_price(spec, markets) * Fraction(spec.rate, SCALE)
        sold = min(assets[asset], ceil_div(credit * per_unit.denominator, per_unit.numerator))
        plan.append((asset, sold, credit))
    return plan


def parse_collateral(
    toml_text: str, base: Mapping[str, CollateralAsset] = DEFAULT_COLLATERAL
) -> dict[str, CollateralAsset]:
    """``base`` with the ``[collateral.ASSET]`` tables of a TOML text added or overridden: ``rate`` (a
    decimal string, 0 < rate <= 1) and either ``index_symbol`` or ``price`` (USDT per unit)."""
    try:
        document = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as error:
        raise CollateralConfigError(f"invalid TOML: {error}") from None
    table = dict(base)
    for asset, spec in document.get("collateral", {}).items():
        if not isinstance(spec, Mapping):
            raise CollateralConfigError(f"collateral {asset}: expected a table of fields")
        table[asset] = _parse_asset(asset, spec)
    return table


def _parse_asset(asset: str, spec: Mapping[str, Any]) -> CollateralAsset:
    if asset == USDT or not asset.isalnum():
        raise CollateralConfigError(f"collateral {asset!r}: not an asset paperex can hold besides USDT")
    try:
        rate = amount_from_decimal(str(spec["rate"]))
        price = amount_from_decimal(str(spec.get("price", "0")))
    except (KeyError, ValueError, ArithmeticError) as error:
        raise CollateralConfigError(f"collateral {asset}: {error}") from None
    symbol = str(spec.get("index_symbol", ""))
    if not 0 < rate <= SCALE or bool(symbol) == bool(price) or price < 0:
        raise CollateralConfigError(f"collateral {asset}: needs 0 < rate <= 1 and either index_symbol or price")
    return CollateralAsset(asset, rate, symbol, price)
