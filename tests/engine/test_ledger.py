"""The money-conservation ledger (``Engine.ledger``): every term worked out by hand.

Fees on BTCUSDT: maker 0.02%, taker 0.05% of the fill's notional.
"""

import pytest

from paperex.engine.accounts import MarginMode
from paperex.engine.audit import InvariantViolation
from paperex.engine.commands import CreateAccount, Deposit, SetLeverage, SetMarginMode
from paperex.engine.engine import Engine
from paperex.engine.orders import Side
from paperex.engine.units import SCALE

from .scenario import ALICE, BOB, BTC, HOUSE, limit, mark, market, run

USDT = SCALE


def funded(*deposits: tuple[int, int]) -> Engine:
    engine = Engine()
    for account_id, usdt in deposits:
        run(engine, CreateAccount(account_id=account_id), Deposit(account_id=account_id, amount=usdt * USDT))
    return engine


def test_a_round_trip_at_a_profit_moves_money_from_the_open_positions_to_a_wallet() -> None:
    """HOUSE (100,000) sells 0.1 at 65,000 to ALICE (10,000), who sells it on to BOB (10,000) at
    66,000 from a resting order.

    Fees: HOUSE maker 1.3 on 6,500; ALICE taker 3.25, then maker 1.32 on 6,600; BOB taker 3.3;
    9.17 in all. ALICE's round trip realizes +100: her wallet is 10,000 - 3.25 - 1.32 + 100 =
    10,095.43; BOB's 9,996.7; HOUSE's 99,998.7; 120,090.83 in all. Left open: HOUSE short 0.1 from
    65,000 (owed 6,500) and BOB long 0.1 from 66,000 (owes 6,600): -100, the other side of ALICE's
    profit (and the sum of both unrealized PnLs at any mark)."""
    engine = funded((HOUSE, 100_000), (ALICE, 10_000), (BOB, 10_000))
    run(
        engine,
        mark(655_000),
        limit(HOUSE, Side.SELL, 650_000, 100),
        market(ALICE, Side.BUY, 100),
        limit(ALICE, Side.SELL, 660_000, 100),
        market(BOB, Side.BUY, 100),
    )

    ledger = engine.ledger()

    assert ledger.net_deposits == 120_000 * USDT
    assert ledger.fees_collected == 9_17000000
    assert ledger.wallets == 120_090_83000000
    assert ledger.open_positions == -100 * USDT
    assert (ledger.isolated_margin, ledger.insurance_fund) == (0, 0)
    assert ledger.money_in_system == 120_000 * USDT
    assert ledger.imbalance == 0


def test_an_isolated_position_holds_its_margin_apart_from_the_wallet() -> None:
    """ALICE (15,000, isolated 10x) buys 0.77 at 64,900 from HOUSE (100,000,000): notional 49,973,
    initial margin 4,997.3 leaves the wallet (10,002.7 left), the taker fee 24.9865 comes out of the
    isolated margin (4,972.3135 left). HOUSE pays the maker fee 9.9946. The long and the short have
    the same entry, so the open positions net to 0."""
    engine = funded((HOUSE, 100_000_000), (ALICE, 15_000))
    run(
        engine,
        mark(649_000),
        SetMarginMode(account_id=ALICE, symbol=BTC, mode=MarginMode.ISOLATED),
        SetLeverage(account_id=ALICE, symbol=BTC, leverage=10),
        limit(HOUSE, Side.SELL, 649_000, 770),
        market(ALICE, Side.BUY, 770),
    )

    ledger = engine.ledger()

    assert ledger.isolated_margin == 4_972_31350000
    assert ledger.wallets == 10_002_70000000 + 99_999_990_00540000
    assert ledger.fees_collected == 24_98650000 + 9_99460000
    assert ledger.open_positions == 0
    assert ledger.money_in_system == ledger.net_deposits == 100_015_000 * USDT


def test_money_appearing_from_nowhere_breaks_the_invariant_and_shows_as_the_imbalance() -> None:
    engine = funded((ALICE, 1_000))
    engine.accounts[ALICE].wallet += 1

    assert engine.ledger().imbalance == 1
    with pytest.raises(InvariantViolation, match="money was created or destroyed"):
        engine.check_invariants()
