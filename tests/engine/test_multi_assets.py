"""Multi-Assets mode: balances per asset, the venue's switching rules, collateral valued at index price x
collateral rate, a USDT debt backed by the other assets, and the auto-exchange that pays it.

Hand figures use BTCUSDT with the mark following the index (tick 0.1, lot 0.001; tier 1 MMR 0.4% up to
50,000 of notional, tier 2 0.5% with cum 50; taker fee 0.05%) and Binance's published collateral rate for
BTC, 95%.
"""

from dataclasses import replace
from fractions import Fraction

import pytest

from paperex.engine.accounts import HEDGE, MarginMode
from paperex.engine.collateral import DEFAULT_COLLATERAL, CollateralAsset, CollateralConfigError, parse_collateral
from paperex.engine.commands import (
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetAssetMode,
    SetIndexPrice,
    SetMarginMode,
    SetPositionMode,
    Withdraw,
)
from paperex.engine.engine import Engine
from paperex.engine.events import AssetModeChanged, BalanceChanged, BalanceReason, Event, LiquidationTriggered
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.mark import MarkMethod
from paperex.engine.orders import LONG, SHORT, OrderType, Side
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import money
from paperex.engine.risk import summarize

from .scenario import assert_rejected, of, only, run

BTC = "BTCUSDT"
TRADER, MAKER = 1, 9
USDT = 10**8
"""One USDT (or one BTC) in engine units."""
MARK_IS_INDEX = {symbol: replace(spec, mark_method=MarkMethod.INDEX) for symbol, spec in DEFAULT_INSTRUMENTS.items()}


def btc(text: str) -> int:
    """An exact amount of an asset in engine units (1e-8), from its decimal text."""
    whole, _, fraction = text.partition(".")
    return int(whole) * USDT + int(fraction.ljust(8, "0"))


def index(price: int) -> SetIndexPrice:
    return SetIndexPrice(symbol=BTC, price=price)


def trade(side: Side, lots: int, price: int) -> list[Command]:
    """MAKER rests ``lots`` at ``price``; TRADER takes them with a market order on ``side``."""
    return [
        PlaceOrder(account_id=MAKER, symbol=BTC, side=side.opposite, order_type=OrderType.LIMIT, quantity=lots,
                   price=price),
        PlaceOrder(account_id=TRADER, symbol=BTC, side=side, order_type=OrderType.MARKET, quantity=lots),
    ]  # fmt: skip


def engine_with(*deposits: Deposit, multi_assets: bool = False) -> Engine:
    """TRADER funded by ``deposits`` (in Multi-Assets mode when asked), MAKER with 100,000,000 USDT,
    the BTC index (and so the mark) at 60,000."""
    engine = Engine(MARK_IS_INDEX)
    run(engine, CreateAccount(account_id=MAKER), Deposit(account_id=MAKER, amount=100_000_000 * USDT))
    run(engine, CreateAccount(account_id=TRADER), *deposits, index(600_000))
    if multi_assets:
        run(engine, SetAssetMode(account_id=TRADER, multi_assets=True))
    return engine


def liquidated(events: list[Event]) -> bool:
    return any(e.account_id == TRADER for e in of(events, LiquidationTriggered))


def test_other_assets_are_kept_per_asset_and_back_nothing_in_single_asset_mode():
    """0.5 BTC deposited next to no USDT: the BTC balance is kept (and conserved, checked by ``run``), but
    in single-asset mode it is not margin, so a 0.002 BTC bid (IM 120 / 20 = 6) finds 0 available."""
    engine = engine_with(Deposit(account_id=TRADER, amount=btc("0.5"), asset="BTC"))

    assert engine.accounts[TRADER].assets == {"BTC": btc("0.5")}
    assert engine.summary(TRADER).available_balance == 0
    bid = PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=2,
                     price=600_000)  # fmt: skip
    refused = assert_rejected(engine, bid, RejectReason.INSUFFICIENT_MARGIN)
    assert refused.figures[1] == money("available", 0)


def test_deposits_and_withdrawals_name_their_asset():
    """A deposit of 0.3 BTC then a withdrawal of 0.1 leave 0.2; each move is a BalanceChanged of BTC
    whose wallet is the BTC balance, and the USDT wallet does not move. An asset outside the collateral
    table is refused, and so is a withdrawal beyond the balance, with the figures: in single-asset mode the
    BTC backs nothing, so all 0.2 of it may leave."""
    engine = engine_with()
    events = run(
        engine,
        Deposit(account_id=TRADER, amount=btc("0.3"), asset="BTC"),
        Withdraw(account_id=TRADER, amount=btc("0.1"), asset="BTC"),
    )

    moves = [(e.reason, e.asset, e.delta, e.wallet) for e in of(events, BalanceChanged)]
    assert moves == [
        (BalanceReason.DEPOSIT, "BTC", btc("0.3"), btc("0.3")),
        (BalanceReason.WITHDRAWAL, "BTC", -btc("0.1"), btc("0.2")),
    ]
    assert engine.accounts[TRADER].wallet == 0
    assert_rejected(engine, Deposit(account_id=TRADER, amount=1, asset="DOGE"), RejectReason.UNKNOWN_ASSET)
    too_much = Withdraw(account_id=TRADER, amount=btc("0.25"), asset="BTC")
    refused = assert_rejected(engine, too_much, RejectReason.INSUFFICIENT_BALANCE)
    assert refused.figures == (
        money("required", btc("0.25")),
        money("available", btc("0.2")),
        money("max_withdraw", btc("0.2")),
    )


def test_the_mode_switches_only_as_the_venue_allows():
    """No switch with an open order or an open position (any symbol), none into Multi-Assets mode with a
    symbol set to isolated, and no isolated margin inside it; a switch is an AssetModeChanged."""
    engine = engine_with(Deposit(account_id=TRADER, amount=10_000 * USDT))
    run(engine, SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED))
    switch_on = SetAssetMode(account_id=TRADER, multi_assets=True)
    assert_rejected(engine, switch_on, RejectReason.ISOLATED_IN_MULTI_ASSETS_MODE)

    run(engine, SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.CROSS))
    assert only(run(engine, switch_on), AssetModeChanged) == AssetModeChanged(TRADER, True)
    to_isolated = SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED)
    assert_rejected(engine, to_isolated, RejectReason.ISOLATED_IN_MULTI_ASSETS_MODE)

    switch_off = SetAssetMode(account_id=TRADER, multi_assets=False)
    bid = PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=2,
                     price=600_000, client_order_id="bid")  # fmt: skip
    run(engine, bid)
    assert_rejected(engine, switch_off, RejectReason.MODE_CHANGE_WITH_OPEN_ORDERS)
    run(engine, PlaceOrder(account_id=MAKER, symbol=BTC, side=Side.SELL, order_type=OrderType.MARKET, quantity=2))
    assert engine.position(TRADER, BTC).size == 2  # the bid filled: no open order, a position
    assert_rejected(engine, switch_off, RejectReason.MODE_CHANGE_WITH_OPEN_POSITION)


def test_collateral_counts_at_index_price_times_its_rate():
    """0.1 BTC at index 60,000 is worth 6,000 and counts 95% of it, 5,700, as margin: the available
    balance of an account with no USDT. Withdrawing 0.1 BTC would take 5,700 of margin that a 0.5 BTC
    long (IM 30,000 / 20 = 1,500, fee 15) needs, so it is refused: available 5,700 - 15 - 1,500 = 4,185, which
    covers 4,185 / 57,000 = 0.07342105... BTC, the most that may go (rounded down): 0.07342106 BTC is
    refused (margin value 0.07342106 x 57,000 = 4,185.00042 > 4,185), 0.07342105 BTC goes (4,184.99985)."""
    engine = engine_with(Deposit(account_id=TRADER, amount=btc("0.1"), asset="BTC"), multi_assets=True)
    assert engine.summary(TRADER).available_balance == 5_700 * USDT
    assert engine.summary(TRADER).collateral == 5_700 * USDT

    run(engine, *trade(Side.BUY, 500, 600_000))
    assert engine.accounts[TRADER].wallet == -15 * USDT  # the fee is borrowed against the BTC
    refused = assert_rejected(engine, Withdraw(account_id=TRADER, amount=btc("0.1"), asset="BTC"),
                              RejectReason.INSUFFICIENT_BALANCE)  # fmt: skip
    assert refused.figures == (
        money("required", 5_700 * USDT),
        money("available", 4_185 * USDT),
        money("max_withdraw", btc("0.07342105")),
    )
    assert_rejected(engine, Withdraw(account_id=TRADER, amount=btc("0.07342106"), asset="BTC"),
                    RejectReason.INSUFFICIENT_BALANCE)  # fmt: skip
    run(engine, Withdraw(account_id=TRADER, amount=btc("0.07342105"), asset="BTC"))


def test_btc_collateral_liquidates_a_btc_long_earlier_than_usdt_collateral():
    """The same 0.5 BTC long bought at 60,000 (notional 30,000, tier 1, taker fee 15), backed two ways.

    USDT collateral, single-asset mode: 3,000 USDT, wallet W = 3,000 - 15 = 2,985. Liquidated when
    W + 0.5 x (P - 60,000) <= 0.4% x 0.5 x P, i.e. P <= (30,000 - 2,985) / (0.5 - 0.002) = 27,015 / 0.498
    = 54,246.98...: at 54,247.0 margin balance 2,985 - 2,876.5 = 108.5 > MM 108.494; at 54,246.9,
    108.45 <= 108.4938.

    BTC collateral, Multi-Assets mode: 0.05 BTC (2,850 of margin at 60,000), no USDT: the fee makes USDT
    -15, a borrow. The collateral falls with the position: margin balance = -15 + 0.05 x P x 0.95 +
    0.5 x (P - 60,000) = 0.5475 P - 30,015, liquidated when <= 0.002 P, i.e. P <= 30,015 / 0.5455 =
    55,022.91...: at 55,023.0 margin balance -15 + 2,613.5925 - 2,488.5 = 110.0925 > MM 110.046; at
    55,022.9, -15 + 2,613.58775 - 2,488.55 = 110.03775 <= 110.0458. So the BTC-backed long goes about
    776 USDT higher, while the USDT-backed one is still safe there. Each position shows its exact price
    (in ticks of 0.1: 270,150,000 / 498 and 3,001,500,000 / 5,455): the BTC collateral's margin value
    is counted as moving with the mark, 0.05 x 95% = 0.0475 USDT per USDT of price."""
    usdt_backed = engine_with(Deposit(account_id=TRADER, amount=3_000 * USDT))
    btc_backed = engine_with(Deposit(account_id=TRADER, amount=btc("0.05"), asset="BTC"), multi_assets=True)
    for engine in (usdt_backed, btc_backed):
        run(engine, *trade(Side.BUY, 500, 600_000))
        run(engine, PlaceOrder(account_id=MAKER, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT,
                               quantity=1_000, price=540_000))  # fmt: skip
    assert btc_backed.accounts[TRADER].wallet == -15 * USDT
    usdt_price = usdt_backed.summary(TRADER).positions[0].liquidation_price
    btc_price = btc_backed.summary(TRADER).positions[0].liquidation_price
    assert (usdt_price, btc_price) == (Fraction(270_150_000, 498), Fraction(3_001_500_000, 5_455))  # in ticks

    assert not liquidated(run(btc_backed, index(550_230)))
    assert liquidated(run(btc_backed, index(550_229)))
    assert not liquidated(run(usdt_backed, index(550_229)))
    assert not liquidated(run(usdt_backed, index(542_470)))
    assert liquidated(run(usdt_backed, index(542_469)))


def test_a_usdt_debt_past_the_threshold_is_auto_exchanged_from_the_collateral():
    """1 BTC of collateral, a 1 BTC long bought at 60,000 (fee 30) and sold at 49,000 (fee 24.5, realized
    -11,000): USDT = -30 - 11,000 - 24.5 = -11,054.5, past the venue's -10,000 threshold. The venue sells
    BTC at its margin value, 49,000 x 95% = 46,550 a BTC, for the whole debt: 11,054.5 / 46,550 =
    0.237475832... BTC, rounded up to 0.23747584; USDT ends at 0 and 0.76252416 BTC stay."""
    engine = engine_with(Deposit(account_id=TRADER, amount=btc("1"), asset="BTC"), multi_assets=True)
    run(engine, *trade(Side.BUY, 1_000, 600_000), index(490_000))

    events = run(engine, *trade(Side.SELL, 1_000, 490_000))

    exchanged = [(e.asset, e.delta, e.wallet) for e in of(events, BalanceChanged)
                 if e.reason is BalanceReason.AUTO_EXCHANGE]  # fmt: skip
    assert exchanged == [("BTC", -btc("0.23747584"), btc("0.76252416")), ("USDT", btc("11054.5"), 0)]
    assert engine.accounts[TRADER].wallet == 0
    assert engine.state.exchanged == {"BTC": btc("0.23747584"), "USDT": -btc("11054.5")}


def test_a_debt_the_collateral_no_longer_covers_is_exchanged_once_nothing_is_open():
    """The venue's third trigger: no position, no open order, and LTV = USDT debt / the other assets'
    margin value >= 1. 0.1 BTC of collateral; 0.1 BTC bought at 60,000 (fee 6,000 x 0.05% = 3) and sold
    at 40,000 (fee 2, realized -2,000): USDT = -3 - 2,000 - 2 = -2,005, far above the -10,000 threshold.
    The 0.1 BTC counts 0.1 x P x 95%: LTV = 2,005 / (0.095 P) >= 1 when P <= 21,105.26...

    - at 21,105.2 with a bid still open (0.003 at 39,000): nothing is exchanged;
    - the bid canceled, at 21,105.1: 0.1 x 21,105.1 x 0.95 = 2,004.9845 <= 2,005, the whole 0.1 BTC is sold
      at its margin value and USDT ends at -2,005 + 2,004.9845 = -0.0155;
    - in a twin account without the bid, 21,105.3 (2,005.0035 > 2,005) leaves the BTC, 21,105.2 (2,004.994)
      sells it: USDT -0.006."""

    def exchanged(events: list[Event]) -> list[tuple[str, int, int]]:
        return [(e.asset, e.delta, e.wallet) for e in of(events, BalanceChanged)
                if e.reason is BalanceReason.AUTO_EXCHANGE]  # fmt: skip

    engines = [
        engine_with(Deposit(account_id=TRADER, amount=btc("0.1"), asset="BTC"), multi_assets=True) for _ in range(2)
    ]
    for engine in engines:
        run(engine, *trade(Side.BUY, 100, 600_000), index(400_000), *trade(Side.SELL, 100, 400_000))
        assert engine.accounts[TRADER].wallet == -2_005 * USDT
    with_bid, bare = engines
    run(with_bid, PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=3,
                             price=390_000))  # fmt: skip

    assert exchanged(run(with_bid, index(211_052))) == []
    run(with_bid, CancelOrder(account_id=TRADER, symbol=BTC, order_id=with_bid.state.next_order_id - 1))
    assert exchanged(run(with_bid, index(211_051))) == [
        ("BTC", -btc("0.1"), 0),
        ("USDT", btc("2004.9845"), -btc("0.0155")),
    ]
    assert with_bid.accounts[TRADER].assets == {}

    assert exchanged(run(bare, index(211_053))) == []
    assert exchanged(run(bare, index(211_052))) == [("BTC", -btc("0.1"), 0), ("USDT", btc("2004.994"), -btc("0.006"))]


def test_the_default_collateral_table_is_the_venues():
    """Binance's Multi-Assets table: BTC and ETH at 95%, USDC at 99.99% (priced at 1 USDT)."""
    rates = {asset: (spec.rate, spec.index_symbol, spec.fixed_price) for asset, spec in DEFAULT_COLLATERAL.items()}
    assert rates == {
        "BTC": (95_000_000, "BTCUSDT", 0),
        "ETH": (95_000_000, "ETHUSDT", 0),
        "USDC": (99_990_000, "", USDT),
    }


def test_the_auto_exchange_sells_each_asset_in_proportion_to_its_margin_value():
    """A configured table counts USDC at 100%. Collateral 1 BTC (at 49,000 x 95% = 46,550 of margin) and
    23,275 USDC (23,275): BTC gives 2/3 of the 69,825, USDC 1/3. The debt of the auto-exchange test,
    11,054.5, is paid 11,054.5 x 2/3 = 7,369.66666666 (rounded down) by BTC, sold at 46,550 a BTC:
    0.158317... rounded up to 0.15831723 BTC; the rest, 3,684.83333334, by as many USDC."""
    table = parse_collateral('[collateral.USDC]\nrate = "1"\nprice = "1"\n')
    engine = Engine(MARK_IS_INDEX, table)
    run(engine, CreateAccount(account_id=MAKER), Deposit(account_id=MAKER, amount=100_000_000 * USDT))
    run(engine, CreateAccount(account_id=TRADER), index(600_000), SetAssetMode(account_id=TRADER, multi_assets=True))
    run(engine, Deposit(account_id=TRADER, amount=btc("1"), asset="BTC"))
    run(engine, *trade(Side.BUY, 1_000, 600_000), index(490_000))
    run(engine, Deposit(account_id=TRADER, amount=23_275 * USDT, asset="USDC"))

    events = run(engine, *trade(Side.SELL, 1_000, 490_000))

    exchanged = [(e.asset, e.delta) for e in of(events, BalanceChanged) if e.reason is BalanceReason.AUTO_EXCHANGE]
    assert exchanged == [
        ("BTC", -btc("0.15831723")),
        ("USDT", btc("7369.66666666")),
        ("USDC", -btc("3684.83333334")),
        ("USDT", btc("3684.83333334")),
    ]
    assert engine.accounts[TRADER].wallet == 0


def test_a_collateral_table_names_a_rate_and_a_price_source():
    """Rates are decimals in (0, 1]; an asset is priced by a symbol's index or a fixed price, not both."""
    assert parse_collateral('[collateral.SOL]\nrate = "0.9"\nindex_symbol = "SOLUSDT"\n')["SOL"] == (
        CollateralAsset("SOL", 90_000_000, index_symbol="SOLUSDT")
    )
    for bad in ('rate = "1.5"\nprice = "1"', 'rate = "0.9"', 'rate = "0.9"\nprice = "1"\nindex_symbol = "X"'):
        with pytest.raises(CollateralConfigError):
            parse_collateral(f"[collateral.XYZ]\n{bad}\n")


def test_hedge_mode_works_in_multi_assets_mode_and_its_short_legs_block_the_asset_switch():
    """Binance allows hedge mode in Multi-Assets mode: TRADER (100 USDT and 0.1 BTC, Multi-Assets) turns
    hedge mode on and opens a SHORT leg of 0.002 BTC at 60,000. That leg is an open position, so the switch
    back to single-asset mode is refused (the USDT wallet, 100 - 0.06 fee, is no debt) and isolated margin
    stays refused; with a LONG leg beside it both legs share one liquidation price."""
    engine = engine_with(
        Deposit(account_id=TRADER, amount=100 * USDT), Deposit(account_id=TRADER, amount=btc("0.1"), asset="BTC"),
        multi_assets=True,
    )  # fmt: skip
    run(engine, SetPositionMode(account_id=TRADER, mode=HEDGE))
    run(
        engine,
        PlaceOrder(account_id=MAKER, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=2, price=600_000),
        PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.SELL, order_type=OrderType.MARKET, quantity=2,
                   position_side=SHORT),
    )  # fmt: skip
    account = engine.accounts[TRADER]
    assert account.short_legs[BTC].size == -2 and not account.holds("ETHUSDT")
    assert_rejected(
        engine, SetAssetMode(account_id=TRADER, multi_assets=False), RejectReason.MODE_CHANGE_WITH_OPEN_POSITION
    )
    assert_rejected(
        engine,
        SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED),
        RejectReason.ISOLATED_IN_MULTI_ASSETS_MODE,
    )
    run(
        engine,
        PlaceOrder(account_id=MAKER, symbol=BTC, side=Side.SELL, order_type=OrderType.LIMIT, quantity=4, price=600_000),
        PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.BUY, order_type=OrderType.MARKET, quantity=4,
                   position_side=LONG),
    )  # fmt: skip
    legs = {figures.position_side: figures for figures in summarize(account, engine.state.markets).positions}
    assert legs[LONG].size == 4 and legs[SHORT].size == -2
    assert legs[LONG].liquidation_price == legs[SHORT].liquidation_price
