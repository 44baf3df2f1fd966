"""``PositionChanged`` carries what a reader shows of the position as the command left it (its valuation,
``FigureBasis``, from which ``risk.figures`` works out the rest), so no reader needs the live engine (which
a later command may have moved on); and ``CreateAccount`` without an id opens the account under the next
one.

Hand figures (BTCUSDT tier 1: MMR 0.4%, cum 0; taker fee 0.05%): 500 USDT at 100x buys 0.7 BTC at
64,900 (notional 45,430, initial margin 454.30, maintenance 181.72, taker fee 22.715): wallet 477.285,
unrealized PnL 0 at the mark 64,900. Cross liquidation when 477.285 + 0.7 (M - 64,900) <= 0.7 x M x 0.004,
i.e. M <= 44,952.715 / 0.6972 = 64,476.068..., 644,760 whole ticks of 0.1.
"""

from fractions import Fraction

from paperex.engine import risk
from paperex.engine.accounts import MarginMode
from paperex.engine.commands import CreateAccount, Deposit, SetLeverage
from paperex.engine.events import AccountCreated, PositionChanged
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import Side, TimeInForce
from paperex.engine.units import SCALE

from .scenario import BTC, HOUSE, PX, limit, mark, market, new_engine, of, only, run

TRADER, INTERNAL = 5, 6


def long_of(account: int, liquidatable: bool = True) -> list[PositionChanged]:
    """The PositionChanged events of ``account`` opening 0.7 BTC at 64,900, 100x, from HOUSE."""
    engine = new_engine(CreateAccount(account_id=account, liquidatable=liquidatable), mark(PX))
    events = run(
        engine,
        Deposit(account_id=account, amount=500 * SCALE),
        SetLeverage(account_id=account, symbol=BTC, leverage=100),
        limit(HOUSE, Side.SELL, PX, 700),
        limit(account, Side.BUY, PX, 700, time_in_force=TimeInForce.IOC),
    )
    return [e for e in of(events, PositionChanged) if e.account_id == account]


def test_a_position_change_carries_the_position_s_figures() -> None:
    [changed] = long_of(TRADER)
    assert changed.basis is not None
    spec = DEFAULT_INSTRUMENTS[BTC]
    figures = risk.figures(
        spec,
        changed.mode,
        changed.leverage,
        changed.size,
        changed.entry_notional,
        changed.isolated_wallet,
        changed.basis,
    )
    assert (changed.mode, changed.leverage, changed.mark_price) == (MarginMode.CROSS, 100, PX)
    assert (figures.size, figures.entry_price, figures.mark_price) == (700, Fraction(PX), PX)
    assert figures.notional == 45_430 * SCALE
    assert (figures.initial_margin, figures.maintenance_margin) == (45_430 * SCALE // 100, 181_72 * SCALE // 100)
    assert figures.unrealized_pnl == 0
    assert figures.liquidation_price is not None and int(figures.liquidation_price) == 644_760


def test_a_flat_position_carries_its_settings_and_the_mark() -> None:
    """Selling the 0.7 BTC back at market, reduce-only (HOUSE bids 64,800): flat, no figures, and the
    settings still 100x cross."""
    engine = new_engine(CreateAccount(account_id=TRADER), mark(PX))
    run(
        engine,
        Deposit(account_id=TRADER, amount=500 * SCALE),
        SetLeverage(account_id=TRADER, symbol=BTC, leverage=100),
        limit(HOUSE, Side.SELL, PX, 700),
        limit(TRADER, Side.BUY, PX, 700, time_in_force=TimeInForce.IOC),
        limit(HOUSE, Side.BUY, 648_000, 700),
    )
    closed = only(
        (
            e
            for e in run(engine, market(TRADER, Side.SELL, 700, reduce_only=True))
            if getattr(e, "account_id", 0) == TRADER
        ),
        PositionChanged,
    )
    assert (closed.size, closed.basis) == (0, None)
    assert (closed.mode, closed.leverage, closed.mark_price) == (MarginMode.CROSS, 100, PX)


def test_the_exchange_s_own_accounts_get_no_figures() -> None:
    """No reader sees an internal account's events: its valuation is not taken."""
    [changed] = long_of(INTERNAL, liquidatable=False)
    assert (changed.size, changed.basis) == (700, None)


def test_an_account_created_without_an_id_gets_the_one_after_the_highest() -> None:
    """The scenario's accounts run up to HOUSE (99): the next is 100, and 101 after it."""
    engine = new_engine()
    first = only(run(engine, CreateAccount()), AccountCreated)
    second = only(run(engine, CreateAccount(liquidatable=False)), AccountCreated)
    assert (first, second) == (AccountCreated(HOUSE + 1, True), AccountCreated(HOUSE + 2, False))
