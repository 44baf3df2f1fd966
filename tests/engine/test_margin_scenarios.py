"""Cross versus isolated margin, told by the engine: a 15,000 USDT account opens a BTC long with about
5,000 of margin at 64,900 and the price falls step by step, under isolated and under cross margin.

Hand figures (BTCUSDT tier 1: MMR 0.4%, cum 0; taker fee 0.05%): 0.770 BTC at 64,900 is 49,973 USDT
of notional; at 10x its initial margin is 4,997.3 and the opening taker fee 24.9865. Liquidation fills
pay the taker fee here too (``LiquidationFee.TAKER``), as these figures were worked; the clearance
fee of the default profile has its own tests (``test_liquidation_fees``).
"""

from fractions import Fraction

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    CancelAllOrders,
    CreateAccount,
    Deposit,
    PlaceOrder,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    Withdraw,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    Event,
    InsuranceFundChanged,
    LiquidationTriggered,
    MarginCallIssued,
    PositionDeleveraged,
    PositionLiquidated,
)
from paperex.engine.orders import OrderType, Side
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import shortfall
from paperex.engine.units import SCALE

from .scenario import TAKER_LIQUIDATION, assert_rejected, of, only, run

BTC, ETH = "BTCUSDT", "ETHUSDT"
TRADER, ALONE, MAKER = 1, 2, 9
USDT = SCALE
ENTRY = 649_000  # 64,900.0
QTY = 770  # 0.770 BTC


def engine_with(*funded: tuple[int, int]) -> Engine:
    engine = Engine(TAKER_LIQUIDATION)
    for account_id, usdt in (*funded, (MAKER, 100_000_000)):
        run(engine, CreateAccount(account_id=account_id), Deposit(account_id=account_id, amount=usdt * USDT))
    run(engine, SetMarkPrice(symbol=BTC, price=ENTRY))
    return engine


def open_long(
    engine: Engine,
    account: int,
    mode: MarginMode,
    symbol: str = BTC,
    qty: int = QTY,
    price: int = ENTRY,
    leverage: int = 10,
) -> None:
    run(
        engine,
        SetMarginMode(account_id=account, symbol=symbol, mode=mode),
        SetLeverage(account_id=account, symbol=symbol, leverage=leverage),
        PlaceOrder(
            account_id=MAKER, symbol=symbol, side=Side.SELL, order_type=OrderType.LIMIT, quantity=qty, price=price
        ),
        PlaceOrder(account_id=account, symbol=symbol, side=Side.BUY, order_type=OrderType.MARKET, quantity=qty),
    )


def bid(engine: Engine, price: int, qty: int = 5_000, symbol: str = BTC) -> None:
    run(
        engine,
        PlaceOrder(
            account_id=MAKER, symbol=symbol, side=Side.BUY, order_type=OrderType.LIMIT, quantity=qty, price=price
        ),
    )


def mark(engine: Engine, price: int, symbol: str = BTC) -> list[Event]:
    return run(engine, SetMarkPrice(symbol=symbol, price=price))


def test_isolated_long_loses_at_most_its_margin_and_keeps_the_rest():
    """Isolated wallet = 4,997.3 - 24.9865 fee = 4,972.3135; cross wallet 15,000 - 4,997.3 = 10,002.7.
    Liquidation price (reference 1.7, isolated): (WB - Q x EP)/(Q x MMR - Q)
      = (4,972.3135 - 49,973)/(0.770 x 0.004 - 0.770) = 58,677.1586... ;
    bankruptcy price EP - WB/Q = 64,900 - 4,972.3135/0.770 = 58,442.45.
    The maker bids 58,600: the liquidation sells 0.770 there, realized -4,851, fee 22.561, so the
    isolated margin left is 4,972.3135 - 22.561 - 4,851 = 98.7525, which the insurance fund takes."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.ISOLATED)
    figures = engine.summary(TRADER).positions[0]
    assert figures.isolated_wallet == 4_972_3135 * 10_000
    expected_lp = (Fraction("4972.3135") - Fraction("49973")) / (
        Fraction("0.770") * Fraction("0.004") - Fraction("0.770")
    )
    assert figures.liquidation_price == expected_lp * 10  # in ticks of 0.1
    assert figures.bankruptcy_price == Fraction("58442.45") * 10
    bid(engine, 586_000)

    for price in (620_000, 600_000, 586_772):  # 58,677.2 is still above the liquidation price
        assert of(mark(engine, price), LiquidationTriggered) == []
    events = mark(engine, 586_771)  # 58,677.1 is the first tick below it

    assert only(events, LiquidationTriggered).symbol == BTC
    assert only(events, PositionLiquidated).quantity == QTY
    assert only(events, InsuranceFundChanged).delta == 98_7525 * 10_000
    summary = engine.summary(TRADER)
    assert summary.positions == ()
    assert summary.wallet == 1_000_270_000_000  # 10,002.7 USDT untouched


def test_cross_long_survives_the_isolated_liquidation_price_but_then_loses_everything():
    """Cross wallet after the fee = 15,000 - 24.9865 = 14,975.0135, so the liquidation price is
    (14,975.0135 - 49,973)/(0.770 x 0.004 - 0.770) = 45,634.468...: far below the isolated one."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS)
    expected_lp = (Fraction("14975.0135") - Fraction("49973")) / (
        Fraction("0.770") * Fraction("0.004") - Fraction("0.770")
    )
    assert engine.summary(TRADER).positions[0].liquidation_price == expected_lp * 10
    bid(engine, 456_000)

    for price in (586_000, 500_000, 456_345):  # 45,634.5: still above 45,634.468
        assert of(mark(engine, price), LiquidationTriggered) == []
    events = mark(engine, 456_344)

    assert only(events, LiquidationTriggered).symbol == ""  # the whole cross account
    summary = engine.summary(TRADER)
    assert summary.positions == () and summary.wallet == 0  # the leftover margin went to the fund
    assert engine.insurance_fund == only(events, InsuranceFundChanged).balance > 0


def test_a_profitable_eth_short_keeps_a_cross_btc_long_alive():
    """TRADER holds the BTC long and 10 ETH short at 1,860 (cross, 10x); ALONE holds only the long.
    ETH falls to 1,500: +3,600 of uPnL for TRADER. At BTC 45,000 ALONE (LP 45,634.47) is liquidated
    while TRADER is not: its LP gains 3,600 - ETH MM (15,000 x 0.65% - 15 = 82.5) - ETH fee over 0.76692."""
    engine = engine_with((TRADER, 15_000), (ALONE, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS)
    open_long(engine, ALONE, MarginMode.CROSS)
    run(
        engine,
        SetMarkPrice(symbol=ETH, price=186_000),
        PlaceOrder(
            account_id=MAKER, symbol=ETH, side=Side.BUY, order_type=OrderType.LIMIT, quantity=10_000, price=186_000
        ),
        PlaceOrder(account_id=TRADER, symbol=ETH, side=Side.SELL, order_type=OrderType.MARKET, quantity=10_000),
    )
    mark(engine, 150_000, ETH)
    bid(engine, 450_000)

    events = mark(engine, 450_000)

    assert [e.account_id for e in of(events, LiquidationTriggered)] == [ALONE]
    together = engine.summary(TRADER).positions
    assert {p.symbol for p in together} == {BTC, ETH}
    btc = next(p for p in together if p.symbol == BTC)
    assert btc.liquidation_price is not None and btc.liquidation_price < 450_000


def test_margin_calls_fire_once_per_threshold_on_the_way_down():
    """Cross margin ratio = MM / (wallet + uPnL). At mark P the long's MM is 0.770 x P x 0.4% and
    uPnL 0.770 x (P - 64,900). With wallet 14,975.0135 the ratio reaches 70% near P = 45,7xx."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS)
    calls = []
    for price in range(480_000, 456_400, -40):  # 4 USDT steps: one threshold at a time
        calls += of(mark(engine, price), MarginCallIssued)
    assert [c.threshold_bps for c in calls] == [7_000, 8_000, 9_000]
    assert all(c.maintenance_margin * 10_000 >= c.threshold_bps * c.margin_balance for c in calls)


def test_a_ratio_wobbling_around_a_threshold_warns_once_until_it_falls_five_points_below():
    """The 70% call re-arms only below 65%: marks moving the ratio 70% -> 68% -> 70% warn once; after
    64% -> 70% they warn again. The marks are found on a twin engine, scanning down 0.4 USDT a step."""
    twin = engine_with((TRADER, 15_000))
    open_long(twin, TRADER, MarginMode.CROSS)
    first_at: dict[Fraction, int] = {}
    for price in range(480_000, 456_000, -4):
        mark(twin, price)
        ratio = twin.summary(TRADER).margin_ratio
        for level in (Fraction(64, 100), Fraction(68, 100), Fraction(70, 100)):
            if ratio is not None and ratio >= level:
                first_at.setdefault(level, price)
    at_64, at_68, at_70 = (first_at[Fraction(n, 100)] for n in (64, 68, 70))
    assert at_64 > at_68 > at_70  # the ratio rises as the mark falls

    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS)
    calls = [of(mark(engine, price), MarginCallIssued) for price in (at_70, at_68, at_70, at_64, at_70)]
    assert [[c.threshold_bps for c in fired] for fired in calls] == [[7_000], [], [], [], [7_000]]


def test_a_big_position_is_liquidated_one_tier_down_first():
    """2 BTC at 64,900 (129,800 notional, tier 2: MMR 0.5%, cum 50) isolated at 20x. When it is
    liquidated, stepping down to tier 1 (notional <= 50,000) restores it, so only the excess goes."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.ISOLATED, qty=2_000, leverage=20)
    lp = engine.summary(TRADER).positions[0].liquidation_price
    assert lp is not None
    at = lp.numerator // lp.denominator  # the first whole tick at or below it
    bid(engine, at, qty=10_000)  # liquidity right at the mark: no slippage to push it further

    events = mark(engine, at)

    liquidated = only(events, PositionLiquidated)
    assert liquidated.partial
    left = engine.position(TRADER, BTC).size
    assert left > 0 and left * at * 10_000 <= 50_000 * USDT


def test_without_liquidity_the_bankrupt_position_is_deleveraged_against_the_best_ranked_short():
    """No bids at all: the liquidation order fills nothing, so the long is closed against MAKER, the
    only short (profitable as the price fell), at the bankruptcy price, without fee."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.ISOLATED)

    events = mark(engine, 580_000)

    deleveraged = only(events, PositionDeleveraged)  # only the deleveraged side is told it was
    assert (deleveraged.account_id, deleveraged.counterparty_id, deleveraged.quantity) == (MAKER, TRADER, QTY)
    assert deleveraged.price == 584_425  # 58,442.45 shown rounded up for a long
    assert only(events, PositionLiquidated).deleveraged == QTY
    assert engine.position(TRADER, BTC).size == 0 and engine.position(MAKER, BTC).size == 0


def test_an_order_needing_more_than_the_available_balance_is_refused():
    """1 BTC at 64,900 at 20x needs 3,245 of margin plus a 32.45 fee: 3,200 USDT is not enough."""
    engine = engine_with((TRADER, 3_200))
    rejected = assert_rejected(
        engine,
        PlaceOrder(
            account_id=TRADER, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=1_000, price=ENTRY
        ),
        RejectReason.INSUFFICIENT_MARGIN,
    )
    assert rejected.account_id == TRADER
    # the shortfall is named: 3,245 IM + 0 open loss (mark = price) + 32.45 taker fee against 3,200
    assert rejected.figures == shortfall(3_277_45000000, 3_200 * USDT)


def test_a_resting_order_reserves_margin_until_canceled():
    """A bid of 1 BTC at 64,000 at 20x reserves 64,000 / 20 = 3,200 of the 15,000 available."""
    engine = engine_with((TRADER, 15_000))
    run(
        engine,
        PlaceOrder(
            account_id=TRADER, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=1_000, price=640_000
        ),
    )
    assert engine.summary(TRADER).order_margin == 3_200 * USDT
    assert engine.summary(TRADER).available_balance == 11_800 * USDT
    assert_rejected(
        engine,
        SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED),
        RejectReason.MODE_CHANGE_WITH_OPEN_ORDERS,
    )
    run(engine, CancelAllOrders(account_id=TRADER, symbol=BTC))
    assert engine.summary(TRADER).available_balance == 15_000 * USDT


def test_effective_leverage_is_total_notional_over_equity():
    """Cross margin's hidden leverage: 0.770 BTC (49,973) at 10x looks like '10x', but against
    the whole account (15,000 - 24.9865 fee = 14,975.0135 of equity at entry) it is 3.337x."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS)
    summary = engine.summary(TRADER)
    assert summary.effective_leverage == Fraction(49_973_00000000, 14_975_01350000)
    assert summary.total_notional == 49_973 * USDT


def test_mode_change_is_refused_with_an_open_position():
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS)
    assert_rejected(
        engine,
        SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED),
        RejectReason.MODE_CHANGE_WITH_OPEN_POSITION,
    )


def test_preview_compares_cross_with_isolated_and_changes_nothing():
    """The seed trade previewed before placing it: the same liquidation prices as the scenarios above
    (cross 45,634.468..., isolated 58,677.158...), a cost of IM 4,997.3 + fee 24.9865, and no change."""
    engine = engine_with((TRADER, 15_000))
    run(engine, SetLeverage(account_id=TRADER, symbol=BTC, leverage=10))
    before = engine.state_hash()

    cross, isolated = engine.preview(TRADER, BTC, Side.BUY, QTY, ENTRY)

    assert engine.state_hash() == before
    assert (cross.mode, isolated.mode) == (MarginMode.CROSS, MarginMode.ISOLATED)
    assert cross.cost == isolated.cost == 4_997_30000000 + 24_98650000
    q, mmr = Fraction("0.770"), Fraction("0.004")
    assert cross.position is not None and isolated.position is not None
    assert cross.position.liquidation_price == (Fraction("14975.0135") - 49_973) / (q * mmr - q) * 10
    assert isolated.position.liquidation_price == (Fraction("4972.3135") - 49_973) / (q * mmr - q) * 10
    assert cross.accepted and isolated.accepted


def test_withdrawal_cannot_take_margin_that_the_position_needs():
    """Cross wallet 14,975.0135 after the fee; the position's IM at mark is 4,997.3, so at most
    9,977.7135 can leave."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS)
    assert engine.summary(TRADER).max_withdraw == 9_977_71350000
    assert_rejected(engine, Withdraw(account_id=TRADER, amount=9_977_71350001), RejectReason.INSUFFICIENT_BALANCE)
    run(engine, Withdraw(account_id=TRADER, amount=9_977_71350000))
    assert engine.accounts[TRADER].wallet == 4_997_30000000


def test_isolated_margin_can_be_added_and_removed_within_the_venue_limit():
    """Isolated wallet 4,972.3135 at mark 64,900: removable = min(wallet - MM, wallet + uPnL - IM)
    = min(4,972.3135 - 199.892, 4,972.3135 + 0 - 4,997.3) < 0, so nothing can be removed; after
    adding 1,000 the limit is 1,000 - 24.9865 = 975.0135."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.ISOLATED)
    assert_rejected(
        engine, AdjustIsolatedMargin(account_id=TRADER, symbol=BTC, amount=-1), RejectReason.MARGIN_REMOVAL_TOO_LARGE
    )
    run(engine, AdjustIsolatedMargin(account_id=TRADER, symbol=BTC, amount=1_000 * USDT))
    assert engine.position(TRADER, BTC).isolated_wallet == 5_972_31350000
    assert_rejected(
        engine,
        AdjustIsolatedMargin(account_id=TRADER, symbol=BTC, amount=-975_01350001),
        RejectReason.MARGIN_REMOVAL_TOO_LARGE,
    )
    run(engine, AdjustIsolatedMargin(account_id=TRADER, symbol=BTC, amount=-975_01350000))
    assert engine.accounts[TRADER].wallet == 10_002_70000000 - 24_98650000


def test_leverage_is_bounded_by_the_bracket_of_the_position():
    """0.770 BTC at 64,900 is 49,973 of notional: tier 1 allows 125x; 2 BTC (129,800) caps at 100x."""
    engine = engine_with((TRADER, 15_000))
    open_long(engine, TRADER, MarginMode.CROSS, qty=2_000)
    assert_rejected(engine, SetLeverage(account_id=TRADER, symbol=BTC, leverage=125), RejectReason.LEVERAGE_TOO_HIGH)
    assert_rejected(engine, SetLeverage(account_id=TRADER, symbol=BTC, leverage=126), RejectReason.INVALID_LEVERAGE)
    run(engine, SetLeverage(account_id=TRADER, symbol=BTC, leverage=100))
    assert engine.accounts[TRADER].settings[BTC].leverage == 100
