"""Cross versus isolated margin through a flash crash (BTC -20% in an hour), told by the exchange.

    python -m paperex.client.bots.margin_modes --admin-token TOKEN --seed 7

Two fresh accounts with 15,000 USDT each, one CROSS and one ISOLATED on BTCUSDT at the same leverage
(20x), open the same long worth about 5,000 USDT of margin (notional ~100,000). Then the
``flash-crash`` scenario takes BTC 20% down in an hour. On a simulated-clock server the demonstrator
advances time itself, step by step; on a wall clock it watches the scenario play in real time. At each
step it prints both accounts side by side (``paperex.client.bots.margin_report``), and at the end a verdict:
the isolated account can lose at most the margin it put up for the position and keeps the other
~10,000; under cross margin the whole wallet backed the position.

``--run btc-collateral`` tells another story through the same crash: the same long in two cross accounts
of the same starting value, one backed by USDT, the other by BTC in Multi-Assets mode. BTC's fall lowers
the BTC-backed account's collateral together with its position's PnL, so it is liquidated first, from a
higher liquidation price; a collateral column shows the margin its BTC gives at each step.

It needs the admin token (it creates accounts and loads the scenario, which moves the market for every
account on that server) and turns the built-in liquidity provider on when it is off.
"""

import asyncio
import logging
import sys
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, TextIO

from paperex.client.bots import launch
from paperex.client.bots.grid import floor_to
from paperex.client.bots.margin_report import (
    AccountView,
    CollateralOutcome,
    CollateralStep,
    Outcome,
    Step,
    collateral_table,
    collateral_verdict,
    first_liquidation,
    status,
    table,
    verdict,
)
from paperex.client.client import AsyncAdmin, AsyncClient
from paperex.client.commands import PlaceOrder
from paperex.client.enums import ClockMode, MarginMode, Side

log = logging.getLogger("margin_modes")
ZERO = Decimal(0)
MODES = (MarginMode.CROSS, MarginMode.ISOLATED)


@dataclass(frozen=True, slots=True)
class Settings:
    symbol: str = "BTCUSDT"
    deposit: Decimal = Decimal(15_000)
    margin: Decimal = Decimal(5_000)
    """Initial margin of the long: quantity = margin x leverage / mark, rounded down to the lot."""
    leverage: int = 20
    scenario: str = "flash-crash"
    seed: int = 7
    step: timedelta = timedelta(minutes=5)
    steps: int = 12
    name_prefix: str = "margin-demo"


@dataclass(slots=True)
class Trader:
    """One of the two accounts and what the table needs to remember about it."""

    mode: MarginMode
    name: str
    api_key: str
    client: AsyncClient
    opened: Decimal = ZERO
    position_margin: Decimal = ZERO
    liquidated: bool = False
    view: AccountView | None = None


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the run printed, as values: every step, both outcomes and the accounts' keys."""

    steps: list[Step]
    cross: Outcome
    isolated: Outcome
    api_keys: dict[MarginMode, str]


async def run(endpoint: launch.Endpoint, admin_token: str, settings: Settings, out: TextIO = sys.stdout) -> DemoResult:
    """Runs the demonstration once and prints it to ``out``; the accounts stay for inspection."""
    async with endpoint.admin(admin_token) as admin:
        simulated = await _prepare_market(admin, settings)
        traders = await _open_accounts(admin, endpoint, settings)
        try:
            start_mark = await _open_longs(admin, traders, settings, simulated)
            _intro(traders, settings, out)
            steps = [await _step(admin, traders, settings)]
            lines = table(steps, start_mark)
            print("\n".join(lines), file=out, flush=True)
            for _ in range(settings.steps):
                await _advance(admin, settings, simulated)
                steps.append(await _step(admin, traders, settings))
                print(table(steps[-1:], start_mark)[-1], file=out, flush=True)
                if not any(trader.view and trader.view.size for trader in traders.values()):
                    print("\nBoth positions are closed; the crash goes on without them.", file=out)
                    break
            outcomes = {mode: await _outcome(trader, settings) for mode, trader in traders.items()}
            print("", *verdict(outcomes[MarginMode.CROSS], outcomes[MarginMode.ISOLATED]), sep="\n", file=out)
            keys = {mode: trader.api_key for mode, trader in traders.items()}
            return DemoResult(steps, outcomes[MarginMode.CROSS], outcomes[MarginMode.ISOLATED], keys)
        finally:
            for trader in traders.values():
                await trader.client.close()


async def _advance(admin: AsyncAdmin, settings: Settings, simulated: bool) -> None:
    """One step of the scenario: advanced on a simulated clock, waited for on a wall clock."""
    if simulated:
        await admin.advance_time(settings.step)
    else:
        await asyncio.sleep(settings.step.total_seconds())


async def _prepare_market(admin: AsyncAdmin, settings: Settings) -> bool:
    """Liquidity on, the scenario loaded; True on a simulated clock."""
    clock = await admin.clock()
    if not clock.liquidity_provider:
        await admin.set_liquidity_provider(True)
        log.info("turned the built-in liquidity provider on (the longs need a book to buy from)")
    scenario = await admin.load_scenario(settings.scenario, seed=settings.seed)
    log.info("loaded scenario %s (seed %d): %s", scenario.name, settings.seed, scenario.description)
    simulated = clock.mode is ClockMode.SIMULATED
    if not simulated:
        log.info("wall clock: watching the scenario in real time, a row every %s", settings.step)
    return simulated


async def _open_accounts(admin: AsyncAdmin, endpoint: launch.Endpoint, settings: Settings) -> dict[MarginMode, Trader]:
    suffix = uuid.uuid4().hex[:6]
    traders = {}
    for mode in MODES:
        name = f"{settings.name_prefix}-{mode.name.lower()}-{suffix}"
        created = await admin.create_account(name, settings.deposit)
        client = endpoint.client(created.api_key)
        await client.set_margin_mode(settings.symbol, mode)
        await client.set_leverage(settings.symbol, settings.leverage)
        traders[mode] = Trader(mode, name, created.api_key, client)
        log.info("account %s: %s USDT, %s, %dx", name, launch.money(settings.deposit), mode.name, settings.leverage)
    return traders


async def _open_longs(admin: AsyncAdmin, traders: Mapping[Any, Trader], settings: Settings, simulated: bool) -> Decimal:
    """The same long in both accounts; the mark it was sized at."""
    first = next(iter(traders.values())).client
    instrument = await launch.find_instrument(first, settings.symbol)
    mark = (await first.ticker(settings.symbol)).mark_price
    if mark is None:
        raise SystemExit(f"{settings.symbol} has no mark price: is the scenario running?")
    quantity = floor_to(settings.margin * settings.leverage / mark, instrument.lot_size)
    for index, trader in enumerate(traders.values()):
        if index:  # let the liquidity provider refill the book the first buy took from
            await (admin.step(1) if simulated else asyncio.sleep(1.0))
        bought = await trader.client.place_order(PlaceOrder(settings.symbol, Side.BUY, quantity))
        positions = [p for p in await trader.client.positions(settings.symbol) if p.size]
        if not positions:
            ending = bought.order.end_reason.name if bought.order.end_reason else bought.order.status.name
            raise SystemExit(f"{trader.name}: the market buy of {quantity} did not fill ({ending})")
        position = positions[0]
        trader.opened = position.size
        isolated = trader.mode is MarginMode.ISOLATED
        trader.position_margin = (position.isolated_wallet if isolated else position.initial_margin) or ZERO
        log.info(
            "%s bought %s at %s: initial margin %s, liquidation price %s",
            trader.name,
            bought.order.filled_quantity,
            launch.money(bought.order.average_price, 2),
            launch.money(position.initial_margin, 2),
            launch.money(position.liquidation_price, 1),
        )
    return mark


def _intro(traders: dict[MarginMode, Trader], settings: Settings, out: TextIO) -> None:
    cross, isolated = traders[MarginMode.CROSS], traders[MarginMode.ISOLATED]
    print(
        f"Two accounts with {launch.money(settings.deposit)} USDT each hold the same long, {cross.opened} "
        f"{settings.symbol} at {settings.leverage}x (about {launch.money(settings.margin)} USDT of margin).\n"
        f"CROSS: the whole wallet backs the position. ISOLATED: {isolated.position_margin:,.2f} USDT sits in "
        f"the position's own wallet, the rest is out of its reach.\n"
        f"Scenario {settings.scenario} (seed {settings.seed}), a row every {settings.step}:\n",
        file=out,
    )


async def _step(admin: AsyncAdmin, traders: dict[MarginMode, Trader], settings: Settings) -> Step:
    clock = await admin.clock()
    views = {mode: await _view(trader, settings) for mode, trader in traders.items()}
    mark = (await traders[MarginMode.CROSS].client.ticker(settings.symbol)).mark_price
    return Step(clock.scenario_elapsed or timedelta(0), mark, views[MarginMode.CROSS], views[MarginMode.ISOLATED])


async def _view(trader: Trader, settings: Settings) -> AccountView:
    summary = await trader.client.account()
    position = next((p for p in summary.positions if p.symbol == settings.symbol and p.size), None)
    size = position.size if position else ZERO
    if size < (trader.view.size if trader.view else trader.opened) and not trader.liquidated:
        trader.liquidated = await _liquidated(trader.client, settings.symbol)
    ratio = None
    if position is not None:
        ratio = position.margin_ratio if trader.mode is MarginMode.ISOLATED else summary.margin_ratio
    trader.view = AccountView(
        size,
        summary.wallet_balance,
        summary.margin_balance,
        ratio,
        position.liquidation_price if position else None,
        status(size, trader.opened, ratio, trader.liquidated),
    )
    return trader.view


async def _liquidated(client: AsyncClient, symbol: str) -> bool:
    async for fill in client.fills(symbol):
        if fill.is_liquidation:
            return True
    return False


async def _outcome(trader: Trader, settings: Settings) -> Outcome:
    fees = ZERO
    async for fill in trader.client.fills(settings.symbol):
        fees += fill.fee or ZERO
    view = trader.view
    assert view is not None
    return Outcome(
        settings.deposit,
        trader.position_margin,
        fees,
        view.wallet,
        view.margin_balance,
        trader.liquidated,
        bool(view.size),
        view.liquidation_price,
    )


BTC_UNIT = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class CollateralResult:
    """What the BTC-collateral run printed, as values: every step, both outcomes, the BTC deposited and the
    accounts' keys (by collateral asset)."""

    steps: list[CollateralStep]
    usdt: CollateralOutcome
    btc: CollateralOutcome
    btc_deposit: Decimal
    api_keys: dict[str, str]


async def run_btc_collateral(
    endpoint: launch.Endpoint, admin_token: str, settings: Settings, out: TextIO = sys.stdout
) -> CollateralResult:
    """The same long backed by USDT, and by BTC worth as much in Multi-Assets mode, through the crash: a
    fall in BTC lowers the BTC-backed account's collateral with its position's PnL, so it goes first."""
    async with endpoint.admin(admin_token) as admin:
        simulated = await _prepare_market(admin, settings)
        traders, btc_deposit = await _open_collateral_accounts(admin, endpoint, settings)
        try:
            start_mark = await _open_longs(admin, traders, settings, simulated)
            _collateral_intro(traders, btc_deposit, settings, out)
            steps = [await _collateral_step(admin, traders, settings)]
            print("\n".join(collateral_table(steps, start_mark)), file=out, flush=True)
            for _ in range(settings.steps):
                await _advance(admin, settings, simulated)
                steps.append(await _collateral_step(admin, traders, settings))
                print(collateral_table(steps[-1:], start_mark)[-1], file=out, flush=True)
                if not any(trader.view and trader.view.size for trader in traders.values()):
                    print("\nBoth positions are closed; the crash goes on without them.", file=out)
                    break
            usdt, btc = _collateral_outcome(steps, btc=False), _collateral_outcome(steps, btc=True)
            collateral = (steps[0].collateral, steps[-1].collateral)
            print("", *collateral_verdict(usdt, btc, collateral), sep="\n", file=out)
            keys = {asset: trader.api_key for asset, trader in traders.items()}
            return CollateralResult(steps, usdt, btc, btc_deposit, keys)
        finally:
            for trader in traders.values():
                await trader.client.close()


async def _open_collateral_accounts(
    admin: AsyncAdmin, endpoint: launch.Endpoint, settings: Settings
) -> tuple[dict[str, Trader], Decimal]:
    """A USDT-backed account with ``settings.deposit`` USDT, and a BTC-backed one in Multi-Assets mode with
    as much BTC as that is worth at the mark (rounded down to 1e-8 BTC), both cross at the same leverage;
    the BTC deposited."""
    suffix = uuid.uuid4().hex[:6]
    traders: dict[str, Trader] = {}
    btc_deposit = ZERO
    for asset in ("USDT", "BTC"):
        name = f"{settings.name_prefix}-{asset.lower()}-{suffix}"
        created = await admin.create_account(name, settings.deposit if asset == "USDT" else None)
        client = endpoint.client(created.api_key)
        if asset == "BTC":
            mark = (await client.ticker(settings.symbol)).mark_price
            if mark is None:
                raise SystemExit(f"{settings.symbol} has no mark price: is the scenario running?")
            btc_deposit = (settings.deposit / mark).quantize(BTC_UNIT, rounding=ROUND_DOWN)
            await admin.deposit(created.account_id, btc_deposit, asset="BTC")
            await client.set_asset_mode(True)
        await client.set_leverage(settings.symbol, settings.leverage)
        traders[asset] = Trader(MarginMode.CROSS, name, created.api_key, client)
    log.info("accounts: %s USDT, and %s BTC in Multi-Assets mode", launch.money(settings.deposit), btc_deposit)
    return traders, btc_deposit


def _collateral_intro(traders: dict[str, Trader], btc_deposit: Decimal, settings: Settings, out: TextIO) -> None:
    print(
        f"Two cross accounts worth {launch.money(settings.deposit)} USDT each hold the same long, "
        f"{traders['USDT'].opened} {settings.symbol} at {settings.leverage}x.\n"
        f"USDT COLLATERAL: {launch.money(settings.deposit)} USDT. BTC COLLATERAL: {btc_deposit} BTC in "
        "Multi-Assets mode, counted at its index price times its collateral rate; fees and losses borrow USDT "
        "against it.\n"
        f"Scenario {settings.scenario} (seed {settings.seed}), a row every {settings.step}:\n",
        file=out,
    )


async def _collateral_step(admin: AsyncAdmin, traders: dict[str, Trader], settings: Settings) -> CollateralStep:
    clock = await admin.clock()
    usdt = await _view(traders["USDT"], settings)
    btc = await _view(traders["BTC"], settings)
    collateral = (await traders["BTC"].client.account()).collateral_value
    mark = (await traders["USDT"].client.ticker(settings.symbol)).mark_price
    return CollateralStep(clock.scenario_elapsed or timedelta(0), mark, usdt, btc, collateral)


def _collateral_outcome(steps: list[CollateralStep], btc: bool) -> CollateralOutcome:
    opening, last = (step.btc if btc else step.usdt for step in (steps[0], steps[-1]))
    liquidated = first_liquidation(steps, btc)
    at, mark = liquidated or (None, None)
    return CollateralOutcome(opening.liquidation_price, at, mark, last.margin_balance)


RUNS: dict[str, Callable[[launch.Endpoint, str, Settings], Coroutine[Any, Any, object]]] = {
    "modes": run,
    "btc-collateral": run_btc_collateral,
}
"""The stories ``--run`` chooses: ``modes`` (cross against isolated, the default) and ``btc-collateral``."""


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m paperex.client.bots.margin_modes --help``."""
    arguments = launch.parser(
        "margin_modes", "The same long under cross and isolated margin through a flash crash.", credential="admin_token"
    )
    launch.add_settings(
        arguments,
        Settings(),
        {
            "deposit": "USDT per account",
            "margin": "initial margin of the long",
            "leverage": "the same in both accounts",
            "scenario": "library scenario to load",
            "seed": "the scenario's random seed",
            "step": "time between rows (e.g. 5m, 30s)",
            "steps": "rows after the opening one",
        },
    )
    arguments.add_argument(
        "--run",
        choices=sorted(RUNS),
        default="modes",
        help="modes: the long under cross and isolated margin (default); btc-collateral: the long backed by "
        "USDT and by BTC worth as much in Multi-Assets mode",
    )
    options = arguments.parse_args(argv)
    settings = launch.read_settings(Settings, options)
    return launch.run_main(RUNS[options.run](launch.endpoint(options), options.admin_token, settings), options)


if __name__ == "__main__":
    raise SystemExit(main())
