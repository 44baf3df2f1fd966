"""Where a liquidation's money goes: isolated margin stays isolated, every wallet move is an event, the
liquidation fee model, the insurance fund (seeded, topped up, per symbol), auto-deleverage as fills,
isolated margin calls and a trailing stop's moving trigger.

Hand figures use BTCUSDT (tier 1 MMR 0.4%, tier 2 0.5% with cum 50 from 50,000 of notional; taker fee
0.05%; clearance fee 0.3%) and a 15,000 USDT account, as the margin-mode story in test_margin_scenarios.py does.
"""

from dataclasses import replace
from fractions import Fraction

import pytest

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import (
    CreateAccount,
    Deposit,
    FundInsurance,
    PlaceOrder,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
)
from paperex.engine.engine import Engine
from paperex.engine.events import (
    BalanceChanged,
    BalanceReason,
    Event,
    FundReason,
    InsuranceFundChanged,
    LiquidationTriggered,
    MarginCallIssued,
    OrderAccepted,
    OrderFilled,
    OrderTriggered,
    PositionDeleveraged,
    PositionLiquidated,
    TradeExecuted,
    TrailingStopMoved,
)
from paperex.engine.instruments import DEFAULT_INSTRUMENTS, Instrument, LiquidationFee
from paperex.engine.orders import OrderStatus, OrderType, Side, TriggerBy
from paperex.engine.reasons import RejectReason
from paperex.engine.units import SCALE

from .scenario import TAKER_LIQUIDATION, assert_rejected, of, only, run

BTC, ETH = "BTCUSDT", "ETHUSDT"
TRADER, MAKER, BIDDER = 1, 9, 8
USDT = SCALE
ENTRY = 649_000  # 64,900.0


def usdt(text: str) -> int:
    """An exact USDT amount in engine units, from its decimal text."""
    whole, _, fraction = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * USDT + int(fraction.ljust(8, "0")))


def engine_with(instruments: dict[str, Instrument] | None = None) -> Engine:
    """TRADER with 15,000 USDT, MAKER (the counterparty) with 100,000,000, mark at 64,900."""
    engine = Engine(instruments or DEFAULT_INSTRUMENTS)
    for account_id, amount in ((TRADER, 15_000), (MAKER, 100_000_000)):
        run(engine, CreateAccount(account_id=account_id), Deposit(account_id=account_id, amount=amount * USDT))
    run(engine, SetMarkPrice(symbol=BTC, price=ENTRY))
    return engine


def open_isolated(engine: Engine, lots: int, leverage: int, side: Side = Side.BUY) -> list[Event]:
    """TRADER buys (or sells) ``lots`` at 64,900 with a market order against MAKER, isolated at ``leverage``."""
    return run(
        engine,
        SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED),
        SetLeverage(account_id=TRADER, symbol=BTC, leverage=leverage),
        PlaceOrder(
            account_id=MAKER, symbol=BTC, side=side.opposite, order_type=OrderType.LIMIT, quantity=lots, price=ENTRY
        ),
        PlaceOrder(account_id=TRADER, symbol=BTC, side=side, order_type=OrderType.MARKET, quantity=lots),
    )


def bid(engine: Engine, price: int, lots: int, account_id: int = MAKER) -> None:
    run(engine, PlaceOrder(account_id=account_id, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT,
                           quantity=lots, price=price))  # fmt: skip


def trader_long_at_100x(engine: Engine) -> None:
    """TRADER (500 USDT, cross, 100x) buys 0.7 BTC at market from MAKER's (100,000,000 USDT) ask at ENTRY."""
    for account_id, amount in ((TRADER, 500), (MAKER, 100_000_000)):
        run(engine, CreateAccount(account_id=account_id), Deposit(account_id=account_id, amount=amount * USDT))
    run(
        engine,
        SetMarkPrice(symbol=BTC, price=ENTRY),
        SetLeverage(account_id=TRADER, symbol=BTC, leverage=100),
        PlaceOrder(account_id=MAKER, symbol=BTC, side=Side.SELL, order_type=OrderType.LIMIT, quantity=700,
                   price=ENTRY),
        PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.BUY, order_type=OrderType.MARKET, quantity=700),
    )  # fmt: skip


def mark(engine: Engine, price: int) -> list[Event]:
    return run(engine, SetMarkPrice(symbol=BTC, price=price))


def trader_balances(events: list[Event]) -> list[tuple[BalanceReason, int, int, int, int]]:
    """(reason, cross change, cross after, isolated change, isolated after) of TRADER's wallet moves."""
    return [
        (e.reason, e.delta, e.wallet, e.isolated_delta, e.isolated_wallet)
        for e in of(events, BalanceChanged)
        if e.account_id == TRADER
    ]


def test_a_partial_isolated_liquidation_keeps_its_margin_in_the_position():
    """Isolated 1.540 BTC long at 64,900, 20x: IM 99,946 / 20 = 4,997.3 from the cross wallet (15,000 ->
    10,002.70), fee 0.05% x 99,946 = 49.973 from it, so the isolated wallet IW0 = 4,947.327. Its
    liquidation price (tier 2): (99,946 - 4,947.327 - 50) / (1.540 x 0.995) = 61,964.81.

    At mark 61,964.8 the notional 95,425.79 is in tier 2; stepping down to tier 1 keeps
    floor(50,000 / 61.9648 per lot) = 806 lots and sells 0.734 (taker-fee model, as the figures are):
    0.3 @ 61,950 + 0.3 @ 61,900 + 0.134 @ 61,800, realized 0.3 x -2,950 + 0.3 x -3,000 + 0.134 x -3,100
    = -2,200.4, fee 0.05% x 45,436.2 = 22.7181. Nothing leaves the position: the isolated wallet is
    4,947.327 - 2,200.4 - 22.7181 = 2,724.2089, the cross wallet stays 10,002.70, and the remainder's
    liquidation price is (0.806 x 64,900 - 2,724.2089) / (0.806 x 0.996) = 61,767.1568..."""
    engine = engine_with(TAKER_LIQUIDATION)
    open_isolated(engine, 1_540, 20)
    assert engine.summary(TRADER).positions[0].isolated_wallet == usdt("4947.327")
    for price, lots in ((619_500, 300), (619_000, 300), (618_000, 300)):
        bid(engine, price, lots)

    events = mark(engine, 619_648)

    step = only(events, PositionLiquidated)
    assert (step.partial, step.quantity, step.deleveraged) == (True, 734, 0)
    assert step.realized_pnl == usdt("-2223.1181")
    account = engine.accounts[TRADER]
    assert account.wallet == usdt("10002.7")
    assert account.positions[BTC].size == 806
    assert account.positions[BTC].isolated_wallet == usdt("2724.2089")
    lp = engine.summary(TRADER).positions[0].liquidation_price
    assert lp is not None and round(lp / 10, 2) == Fraction("61767.16")
    assert of(events, InsuranceFundChanged) == []  # a partial liquidation leaves nothing to the fund
    assert all(delta == 0 for _, delta, _, _, _ in trader_balances(events))  # the cross wallet never moved


def test_the_clearance_fee_goes_to_the_fund_and_stays_out_of_the_cross_wallet():
    """The same step-down under the default (clearance) model: no trading fee, a clearance fee of 0.3% x
    45,436.2 = 136.3086 to the BTCUSDT fund. Isolated wallet 4,947.327 - 2,200.4 - 136.3086 =
    2,610.6184, cross wallet 10,002.70; fund 136.3086. The step's net: -2,200.4 - 136.3086 = -2,336.7086.
    Still partial: margin balance 4,947.327 + 1.540 x (61,964.8 - 64,900) = 427.119 less the fee of the
    part sold, 0.3% x 0.734 x 61,964.8 = 136.446..., is 290.67, above the kept part's MM 0.806 x
    61,964.8 x 0.4% = 199.77."""
    engine = engine_with()
    open_isolated(engine, 1_540, 20)
    for price, lots in ((619_500, 300), (619_000, 300), (618_000, 300)):
        bid(engine, price, lots)

    events = mark(engine, 619_648)

    step = only(events, PositionLiquidated)
    assert (step.partial, step.realized_pnl, step.insurance_fund_change) == (True, usdt("-2336.7086"), 13_630_860_000)
    assert all(f.fee == 0 for f in of(events, OrderFilled) if f.account_id == TRADER)
    assert engine.accounts[TRADER].positions[BTC].isolated_wallet == usdt("2610.6184")
    assert engine.accounts[TRADER].wallet == usdt("10002.7")
    assert engine.markets[BTC].insurance_fund == usdt("136.3086")
    fees = [e for e in of(events, BalanceChanged) if e.reason is BalanceReason.LIQUIDATION_FEE]
    assert [(e.delta, e.isolated_delta) for e in fees] == [
        (0, -usdt("55.755")),  # 0.3% x 0.3 x 61,950 = 55.755
        (0, -usdt("55.71")),  # 0.3% x 0.3 x 61,900
        (0, -usdt("24.8436")),  # 0.3% x 0.134 x 61,800
    ]
    assert [e.reason for e in of(events, InsuranceFundChanged)] == [FundReason.CLEARANCE_FEE] * 3


def test_a_full_isolated_liquidation_leaves_its_margin_to_the_fund_never_to_the_cross_wallet():
    """0.770 BTC isolated at 10x: IW0 = 4,997.3 - 24.9865 = 4,972.3135, cross wallet 10,002.70. At mark
    58,677.1 it is liquidated whole into a bid at 58,600: realized 0.770 x -6,300 = -4,851, clearance
    0.3% x 45,122 = 135.366, isolated wallet 4,972.3135 - 4,851 - 135.366 = -14.0525: the fund covers
    it, taking 135.366 - 14.0525 = 121.3135 in all. Wallet moves, in order: PnL, fee, cover."""
    engine = engine_with()
    open_isolated(engine, 770, 10)
    bid(engine, 586_000, 770)

    events = mark(engine, 586_771)

    assert trader_balances(events) == [
        (BalanceReason.REALIZED_PNL, 0, usdt("10002.7"), usdt("-4851"), usdt("121.3135")),
        (BalanceReason.LIQUIDATION_FEE, 0, usdt("10002.7"), -usdt("135.366"), -usdt("14.0525")),
        (BalanceReason.INSURANCE_FUND_COVER, 0, usdt("10002.7"), usdt("14.0525"), 0),
    ]
    assert only(events, PositionLiquidated).insurance_fund_change == usdt("121.3135")
    assert engine.markets[BTC].insurance_fund == usdt("121.3135")
    assert engine.accounts[TRADER].wallet == usdt("10002.7")


def test_an_isolated_short_liquidated_beside_a_cross_position_leaves_the_cross_wallet_alone():
    """TRADER first buys 1 ETH cross at 1,860 (taker fee 0.05% x 1,860 = 0.93 from the cross wallet),
    then sells 0.700 BTC isolated at 64,900, 10x: IM 45,430 / 10 = 4,543 leaves the cross wallet
    (15,000 - 0.93 - 4,543 = 10,456.07), the fee 0.05% x 45,430 = 22.715 comes out of the isolated
    wallet: IW0 = 4,520.285. Liquidation price (tier 1, MMR 0.4%): (4,520.285 + 0.7 x 64,900) /
    (0.7 x 1.004) = 71,073.26; bankruptcy price 64,900 + 4,520.285 / 0.7 = 71,357.55.

    The mark rises to 71,100 (margin balance 4,520.285 - 0.7 x 6,200 = 180.285 <= MM 0.4% x 49,770 =
    199.08): the short is bought back whole from MAKER's ask at 71,300 (under the bankruptcy price):
    realized 0.7 x (64,900 - 71,300) = -4,480, clearance fee 0.3% x 49,910 = 149.73, so the isolated
    wallet ends at 4,520.285 - 4,480 - 149.73 = -109.445, a shortfall the BTCUSDT fund covers: it
    keeps 149.73 - 109.445 = 40.285. The cross wallet stays 10,456.07 and the ETH long is untouched."""
    engine = engine_with()
    run(
        engine,
        SetMarkPrice(symbol=ETH, price=186_000),
        PlaceOrder(account_id=MAKER, symbol=ETH, side=Side.SELL, order_type=OrderType.LIMIT, quantity=1_000,
                   price=186_000),
        PlaceOrder(account_id=TRADER, symbol=ETH, side=Side.BUY, order_type=OrderType.MARKET, quantity=1_000),
    )  # fmt: skip
    open_isolated(engine, 700, 10, Side.SELL)
    assert engine.accounts[TRADER].wallet == usdt("10456.07")
    assert engine.accounts[TRADER].positions[BTC].isolated_wallet == usdt("4520.285")
    lp = next(p for p in engine.summary(TRADER).positions if p.symbol == BTC).liquidation_price
    assert lp is not None and round(lp / 10, 2) == Fraction("71073.26")
    run(engine, PlaceOrder(account_id=MAKER, symbol=BTC, side=Side.SELL, order_type=OrderType.LIMIT, quantity=700,
                           price=713_000))  # fmt: skip

    events = mark(engine, 711_000)

    assert only(events, LiquidationTriggered).symbol == BTC
    assert trader_balances(events) == [
        (BalanceReason.REALIZED_PNL, 0, usdt("10456.07"), usdt("-4480"), usdt("40.285")),
        (BalanceReason.LIQUIDATION_FEE, 0, usdt("10456.07"), -usdt("149.73"), -usdt("109.445")),
        (BalanceReason.INSURANCE_FUND_COVER, 0, usdt("10456.07"), usdt("109.445"), 0),
    ]
    account = engine.accounts[TRADER]
    assert account.wallet == usdt("10456.07")
    assert (account.positions[BTC].size, account.positions[ETH].size) == (0, 1_000)
    assert account.positions[ETH].entry_notional == usdt("1860")
    assert only(events, PositionLiquidated).insurance_fund_change == usdt("40.285")
    assert engine.markets[BTC].insurance_fund == usdt("40.285")


def test_an_isolated_position_deleveraged_past_its_bankruptcy_price_leaves_its_deficit_to_the_fund():
    """TRADER sells 1 BTC isolated at 64,900, 20x, to LOSER's bid: IM 3,245 leaves the cross wallet
    (15,000 -> 11,755), the fee 0.05% x 64,900 = 32.45 the isolated wallet: IW0 = 3,212.55. LOSER
    (10,000 USDT, cross) is long that 1 BTC and sells 40 ETH at 1,860 to MAKER; BTCUSDT's fund holds
    10,000. At BTC mark 67,700 TRADER's short is safe: 3,212.55 - 2,800 = 412.55 > MM 0.4% x 67,700 =
    270.80.

    ETH's mark jumps to 2,400: LOSER's cross account is bankrupt (wallet 10,000 - 12.98 maker fee -
    37.2 taker fee + 2,800 - 40 x 540 = -8,850.18). Its BTC long goes first (ETH is its larger
    position), with no bid in the book: it is deleveraged against TRADER, the only short, at its
    bankruptcy price 64,900 + 8,850.18 + 2,800 = 76,550.18 held to the band, 67,700 x 1.05 = 71,085.
    TRADER realizes 1 x (64,900 - 71,085) = -6,185, which its isolated wallet cannot pay: 3,212.55 -
    6,185 = -2,972.45. That deficit is the fund's (10,000 -> 7,027.55), not the cross wallet's: it
    stays 11,755."""
    loser = 5
    engine = engine_with()
    run(
        engine,
        CreateAccount(account_id=loser),
        Deposit(account_id=loser, amount=10_000 * USDT),
        FundInsurance(symbol=BTC, amount=10_000 * USDT),
        SetMarkPrice(symbol=ETH, price=186_000),
        PlaceOrder(account_id=MAKER, symbol=ETH, side=Side.BUY, order_type=OrderType.LIMIT, quantity=40_000,
                   price=186_000),
        PlaceOrder(account_id=loser, symbol=ETH, side=Side.SELL, order_type=OrderType.MARKET, quantity=40_000),
        SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED),
        PlaceOrder(account_id=loser, symbol=BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=1_000,
                   price=ENTRY),
        PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.SELL, order_type=OrderType.MARKET, quantity=1_000),
    )  # fmt: skip
    assert engine.accounts[TRADER].positions[BTC].isolated_wallet == usdt("3212.55")
    assert of(mark(engine, 677_000), LiquidationTriggered) == []

    events = run(engine, SetMarkPrice(symbol=ETH, price=240_000))

    deleveraged = next(e for e in of(events, PositionDeleveraged) if e.account_id == TRADER)
    assert (deleveraged.symbol, deleveraged.price, deleveraged.realized_pnl) == (BTC, 710_850, -6_185 * USDT)
    assert trader_balances(events) == [
        (BalanceReason.ADL, 0, usdt("11755"), -6_185 * USDT, usdt("-2972.45")),
        (BalanceReason.INSURANCE_FUND_COVER, 0, usdt("11755"), usdt("2972.45"), 0),
    ]
    assert engine.accounts[TRADER].wallet == usdt("11755")
    assert engine.markets[BTC].insurance_fund == usdt("7027.55")


@pytest.mark.parametrize(
    ("trader_takes", "fee", "deficit"),
    [(True, "23.87", "1282.3965"), (False, "9.548", "1268.0745")],
    ids=["taker", "maker"],
)
def test_an_isolated_position_closed_past_its_bankruptcy_price_costs_only_its_margin(
    trader_takes: bool, fee: str, deficit: str
) -> None:
    """0.770 BTC isolated at 50x from 64,900: IM 49,973 / 50 = 999.46 (cross wallet 15,000 -> 14,000.54),
    fee 24.9865, IW0 = 974.4735, bankruptcy price 64,900 - 974.4735 / 0.770 = 63,634.45. TRADER's own
    order closes it at 62,000 (inside the 5% band, the mark still 64,900): realized 0.770 x -2,900 =
    -2,233 and the fee on 47,740, taker 0.05% = 23.87 or maker 0.02% = 9.548, leave the isolated wallet
    at 974.4735 - 2,233 - 23.87 = -1,282.3965 (or - 9.548 = -1,268.0745). The fund (10,000) covers
    that deficit; the cross wallet stays 14,000.54 ("this trade can lose at most its margin")."""
    engine = engine_with()
    run(engine, FundInsurance(symbol=BTC, amount=10_000 * USDT))
    open_isolated(engine, 770, 50)
    close = PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.SELL, order_type=OrderType.LIMIT, quantity=770,
                       price=620_000)  # fmt: skip
    if trader_takes:
        bid(engine, 620_000, 770)
        events = run(engine, close)
    else:
        run(engine, close)
        events = run(engine, PlaceOrder(account_id=MAKER, symbol=BTC, side=Side.BUY, order_type=OrderType.MARKET,
                                        quantity=770))  # fmt: skip

    assert trader_balances(events) == [
        (BalanceReason.REALIZED_PNL, 0, usdt("14000.54"), -2_233 * USDT, usdt(fee) - usdt(deficit)),
        (BalanceReason.FEE, 0, usdt("14000.54"), -usdt(fee), -usdt(deficit)),
        (BalanceReason.INSURANCE_FUND_COVER, 0, usdt("14000.54"), usdt(deficit), 0),
    ]
    assert engine.accounts[TRADER].wallet == usdt("14000.54")
    assert engine.markets[BTC].insurance_fund == 10_000 * USDT - usdt(deficit)


def test_with_no_liquidation_fee_the_whole_remainder_goes_to_the_fund():
    """Model NONE, the same liquidation: no fee at all, 4,972.3135 - 4,851 = 121.3135 left, which the
    fund takes (INSURANCE_CLEAR). Fees collected: the opening's 24.9865 + 9.9946 (maker, 0.02% of
    49,973) and the bid's maker fee 0.02% x 45,122 = 9.0244, nothing from the liquidated side: 44.0055."""
    instruments = {s: replace(i, liquidation_fee=LiquidationFee.NONE) for s, i in DEFAULT_INSTRUMENTS.items()}
    engine = engine_with(instruments)
    open_isolated(engine, 770, 10)
    bid(engine, 586_000, 770)

    events = mark(engine, 586_771)

    assert trader_balances(events)[-1] == (BalanceReason.INSURANCE_CLEAR, 0, usdt("10002.7"), -usdt("121.3135"), 0)
    assert engine.markets[BTC].insurance_fund == usdt("121.3135")
    assert engine.fees_collected == usdt("44.0055")


def test_a_seeded_fund_lets_the_book_take_what_would_otherwise_be_deleveraged():
    """The only bid is 58,000, under the bankruptcy price 64,900 - 4,972.3135 / 0.770 = 58,442.45. With an
    empty fund the liquidation order's limit is 58,442.5: nothing fills and MAKER, the only short, is
    deleveraged. With 1,000,000 USDT in the fund the limit drops to the 5% band under the mark
    (55,743.3), the bid takes it: realized -5,313, clearance 133.98, deficit 474.6665 covered by the
    fund: 1,000,000 + 133.98 - 474.6665 = 999,659.3135."""
    empty = engine_with()
    open_isolated(empty, 770, 10)
    bid(empty, 580_000, 770)
    assert only(mark(empty, 586_771), PositionLiquidated).deleveraged == 770

    seeded = engine_with({s: replace(i, insurance_fund=1_000_000 * USDT) for s, i in DEFAULT_INSTRUMENTS.items()})
    assert seeded.ledger().insurance_contributions == 2_000_000 * USDT  # BTCUSDT's and ETHUSDT's
    open_isolated(seeded, 770, 10)
    bid(seeded, 580_000, 770)
    events = mark(seeded, 586_771)

    assert only(events, PositionLiquidated).deleveraged == 0
    assert only(events, TradeExecuted).price == 580_000
    assert seeded.markets[BTC].insurance_fund == usdt("999659.3135")
    assert seeded.ledger().imbalance == 0


def test_the_operator_tops_up_a_symbols_fund():
    """1,500 USDT into BTCUSDT's fund: an event, counted as a contribution, ETHUSDT's fund untouched."""
    engine = engine_with()

    events = run(engine, FundInsurance(symbol=BTC, amount=1_500 * USDT))

    assert events == [InsuranceFundChanged(BTC, FundReason.TOP_UP, 1_500 * USDT, 1_500 * USDT)]
    assert (engine.markets[BTC].insurance_fund, engine.markets[ETH].insurance_fund) == (1_500 * USDT, 0)
    assert engine.ledger().insurance_contributions == 1_500 * USDT
    assert_rejected(engine, FundInsurance(symbol=BTC, amount=0), RejectReason.INVALID_AMOUNT)
    assert_rejected(engine, FundInsurance(symbol="DOGEUSDT", amount=USDT), RejectReason.UNKNOWN_SYMBOL)


def test_auto_deleverage_closes_both_sides_with_fills():
    """No bid at all: the whole 0.770 is deleveraged against MAKER at the bankruptcy price 58,442.45,
    shown 58,442.5 for a long. MAKER's order (placed for it) fills 0.770 BUY realizing 0.770 x (64,900 -
    58,442.5) = 4,972.275; TRADER's liquidation order fills the same, -4,972.275, no fee, no public
    trade. Left in the isolated wallet: 4,972.3135 - 4,972.275 = 0.0385, which the fund takes."""
    engine = engine_with()
    open_isolated(engine, 770, 10)

    events = mark(engine, 580_000)

    adl_order = next(e for e in of(events, OrderAccepted) if e.auto_deleverage)
    assert (adl_order.account_id, adl_order.side, adl_order.quantity, adl_order.price) == (
        MAKER,
        Side.BUY,
        770,
        584_425,
    )
    fills = of(events, OrderFilled)
    assert [(f.account_id, f.quantity, f.price, f.fee, f.realized_pnl, f.auto_deleverage) for f in fills] == [
        (MAKER, 770, 584_425, 0, usdt("4972.275"), True),
        (TRADER, 770, 584_425, 0, -usdt("4972.275"), True),
    ]
    assert fills[1].status is OrderStatus.FILLED
    assert of(events, TradeExecuted) == []  # not in the public tape, and the last price stays
    assert engine.markets[BTC].last_price == ENTRY
    deleveraged = only(events, PositionDeleveraged)  # the bankrupt side is not told it was deleveraged
    assert (deleveraged.account_id, deleveraged.order_id) == (MAKER, adl_order.order_id)
    step = only(events, PositionLiquidated)
    assert (step.deleveraged, step.realized_pnl, step.insurance_fund_change) == (770, -usdt("4972.275"), 3_850_000)
    assert [(e.account_id, e.reason, e.delta + e.isolated_delta) for e in of(events, BalanceChanged)] == [
        (MAKER, BalanceReason.ADL, usdt("4972.275")),
        (TRADER, BalanceReason.ADL, -usdt("4972.275")),
        (TRADER, BalanceReason.INSURANCE_CLEAR, -3_850_000),
    ]


def test_an_isolated_position_gets_margin_calls_at_its_own_ratio():
    """Ratio = MM / (isolated wallet + uPnL) with IW0 = 4,972.3135 for 0.770 BTC from 64,900 (LP 58,677.16):
    it reaches 70% below 58,778.33, 80% below 58,736.13, 90% below 58,703.35. At 58,778.3: balance
    4,972.3135 + 0.770 x -6,121.7 = 258.6045, MM 0.770 x 58,778.3 x 0.4% = 181.037164 (ratio
    0.70005...). The cross account holds nothing: no cross call."""
    engine = engine_with()
    open_isolated(engine, 770, 10)

    calls = [of(mark(engine, price), MarginCallIssued) for price in (587_784, 587_783, 587_361, 587_033, 586_800)]

    assert [[c.threshold_bps for c in fired] for fired in calls] == [[], [7_000], [8_000], [9_000], []]
    first = calls[1][0]
    assert (first.symbol, first.mode) == (BTC, MarginMode.ISOLATED)
    assert (first.margin_balance, first.maintenance_margin) == (usdt("258.6045"), usdt("181.037164"))


def test_an_isolated_call_warns_again_only_after_its_ratio_fell_five_points_below():
    """The same position: at 58,778.3 the ratio is 0.70005 (a call); at 58,800 it is 181.104 / 275.3135 =
    0.6578, not 5 points below 70%, so back at 58,778.3 there is no second call; at 59,500 it is
    183.26 / 814.3135 = 0.2250, which re-arms the threshold: 58,778.3 calls again."""
    engine = engine_with()
    open_isolated(engine, 770, 10)

    calls = [of(mark(engine, price), MarginCallIssued) for price in (587_783, 588_000, 587_783, 595_000, 587_783)]

    assert [[c.threshold_bps for c in fired] for fired in calls] == [[7_000], [], [], [], [7_000]]


def test_a_trailing_stop_reports_its_trigger_as_it_moves():
    """Sell trailing stop, callback 1%, on MARK at 64,900: armed at once, fires at 64,900 x 0.99 = 64,251.
    Mark 65,500: the stop follows to 64,845. Mark 65,000: no move. Mark 64,845: it fires."""
    engine = engine_with()
    open_isolated(engine, 100, 10)
    placed = run(
        engine,
        PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.SELL, order_type=OrderType.TRAILING_STOP_MARKET,
                   quantity=100, callback_bps=100, trigger_by=TriggerBy.MARK, reduce_only=True),
    )  # fmt: skip
    order_id = only(placed, OrderAccepted).order_id
    assert only(placed, TrailingStopMoved) == TrailingStopMoved(order_id, TRADER, BTC, 642_510)

    assert only(mark(engine, 655_000), TrailingStopMoved).stop_price == 648_450
    order = engine.order(order_id)
    assert order is not None and order.stop_price == 648_450
    assert of(mark(engine, 650_000), TrailingStopMoved) == []
    fired = mark(engine, 648_450)
    assert of(fired, TrailingStopMoved) == [] and only(fired, OrderTriggered).order_id == order_id


def test_a_liquidation_is_announced_once_per_scope():
    """Cross and isolated positions of one account are liquidated apart: the isolated BTC long alone."""
    engine = engine_with()
    open_isolated(engine, 770, 10)
    bid(engine, 586_000, 770)

    events = mark(engine, 586_771)

    triggered = only(events, LiquidationTriggered)
    assert (triggered.symbol, triggered.mode) == (BTC, MarginMode.ISOLATED)


@pytest.mark.parametrize("resting_bid", [None, 635_000])
def test_a_loss_the_empty_fund_cannot_pay_is_deleveraged_at_the_bankruptcy_price_past_the_band(
    resting_bid: int | None,
) -> None:
    """TRADER (500 USDT, cross, 100x) buys 0.7 BTC at 64,900 from MAKER: taker fee 0.05% x 45,430 =
    22.715, wallet 477.285. Bankruptcy price 64,900 - 477.285 / 0.7 = 64,218.1643 (shown 64,218.2).
    The mark gaps to 60,000 with no bid left: the 5% band is [57,000, 63,000], wholly under it. The
    fund is empty, so nothing may fill under 64,218.2: the whole 0.7 is deleveraged against MAKER,
    the only short, at 64,218.2 (not at the band's 63,000, which would leave a deficit of
    0.7 x 1,900 - 477.285 = 852.715 the fund does not have). A bid of MAKER's at 63,500, inside the
    gap, is not taken either (selling there loses 0.7 x 1,400 = 980 against a 477.285 wallet, more
    than the fund has); ADL cancels it. TRADER realizes 0.7 x -681.8 = -477.26 and its leftover
    477.285 - 477.26 = 0.025 goes to the fund; MAKER realizes +477.26."""
    engine = Engine(DEFAULT_INSTRUMENTS)
    trader_long_at_100x(engine)
    assert engine.accounts[TRADER].wallet == usdt("477.285")
    if resting_bid:
        bid(engine, resting_bid, 700)

    events = mark(engine, 600_000)

    deleveraged = only(events, PositionDeleveraged)
    assert (deleveraged.account_id, deleveraged.quantity, deleveraged.price) == (MAKER, 700, 642_182)
    assert deleveraged.realized_pnl == usdt("477.26")
    assert only(events, PositionLiquidated).deleveraged == 700
    assert engine.accounts[TRADER].wallet == 0 and engine.accounts[TRADER].positions[BTC].size == 0
    assert engine.markets[BTC].insurance_fund == usdt("0.025")
    assert of(events, TradeExecuted) == []
    assert engine.ledger().imbalance == 0


@pytest.mark.parametrize(("fund", "taken"), [("0", "21.192"), ("10", "11.192")])
def test_a_deficit_beyond_the_fund_is_taken_from_the_opposing_profit_in_adl_order(fund: str, taken: str) -> None:
    """Taker-fee model, a fund of 0 (or 10) USDT. TRADER (500 USDT, cross, 100x) buys 0.7 BTC at 64,900 from MAKER
    (taker fee 0.05% x 45,430 = 22.715: wallet 477.285; MAKER pays the 0.02% maker fee, 9.086).
    Bankruptcy price 64,900 - 477.285 / 0.7 = 64,218.1643, so BIDDER's bid of 0.7 at 64,220 is above
    it and takes the liquidation when the mark falls to 64,400 (liquidation below 64,476.06):
    realized 0.7 x -680 = -476 and the taker fee 0.05% x 44,954 = 22.477 leave the wallet at
    477.285 - 476 - 22.477 = -21.192. The fund pays what it has and ends at 0; the rest, 21.192 (or
    11.192), is taken from MAKER, the only opposing (short) position, whose profit at the mark is
    0.7 x 500 = 350: MAKER's wallet 100,000,000 - 9.086 - 21.192 = 99,999,969.722 (or 99,999,979.722)."""
    engine = Engine({s: replace(i, insurance_fund=usdt(fund)) for s, i in TAKER_LIQUIDATION.items()})
    trader_long_at_100x(engine)
    run(engine, CreateAccount(account_id=BIDDER), Deposit(account_id=BIDDER, amount=100_000_000 * USDT))
    bid(engine, 642_200, 700, BIDDER)

    events = mark(engine, 644_000)

    assert only(events, TradeExecuted).price == 642_200
    assert engine.accounts[TRADER].wallet == 0 and engine.accounts[TRADER].positions[BTC].size == 0
    assert engine.markets[BTC].insurance_fund == 0
    moved = [(e.account_id, e.delta, e.wallet) for e in of(events, BalanceChanged) if e.reason is BalanceReason.ADL]
    assert moved == [(MAKER, -usdt(taken), usdt("99999990.914") - usdt(taken))]
    drawn = [(e.delta, e.balance) for e in of(events, InsuranceFundChanged)]
    assert drawn == ([(-usdt(fund), 0)] if fund != "0" else [])
    assert engine.ledger().imbalance == 0
