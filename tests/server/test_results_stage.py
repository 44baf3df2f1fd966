"""The results stage folds each command from its events alone. The writer applies a whole batch before
the fsync and the results stage folds it after, when the engine is already at the batch's end: every
read model, answer and stream message must come out as when each command is applied and folded at once.

The batch: a maker quotes 0.5 BTC either side of 64,900.0; a trader in isolated margin buys 0.02 BTC,
adds 100 USDT to the position, deposits 50 and withdraws 25 USDT; the index is set to 64,000.0; an alert
below 63,000.0 is set, the mark falls to 62,000.0 (it fires), an alert above 62,500.0 is set and the
mark rises to 63,000.0 (it fires); the trader sells the 0.02 BTC at market (flat)."""

from typing import Any, get_args

import pytest

from paperex.engine.accounts import MarginMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    Deposit,
    PlaceOrder,
    SetIndexPrice,
    SetMarginMode,
    SetMarkPrice,
    Withdraw,
)
from paperex.engine.events import BalanceChanged, BookLevelChanged, Event, PositionChanged
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, Side, TriggerBy
from paperex.server.core.exchange import Applied, Exchange
from paperex.server.core.exchange_commands import CreatePriceAlert, OpenAccount
from paperex.server.core.results import _FOLDING_MODELS, _ROUTES
from paperex.server.core.state_hash import part_hash
from paperex.server.core.tape import ExchangeCommand
from paperex.server.state.alerts import Direction
from paperex.server.state.funds import Funds
from paperex.server.state.income import IncomeHistory
from paperex.server.state.margin_accounts import MarginAccounts
from paperex.server.state.user_events import AlertFired
from paperex.server.state.wallets import Wallets

BTC = "BTCUSDT"
USDT = 10**8
TRADER = 2
START_NS = 1_700_000_000 * 10**9


def limit(account_id: int, side: Side, lots: int, ticks: int) -> PlaceOrder:
    return PlaceOrder(
        account_id=account_id, symbol=BTC, side=side, order_type=OrderType.LIMIT, quantity=lots, price=ticks
    )


def alert(direction: Direction, ticks: int) -> CreatePriceAlert:
    return CreatePriceAlert(account_id=TRADER, symbol=BTC, source=TriggerBy.MARK, direction=direction, price=ticks)


def batch() -> list[ExchangeCommand]:
    commands: list[ExchangeCommand] = [
        SetMarkPrice(symbol=BTC, price=649_000),
        OpenAccount(name="maker", key_hash="m", deposit=10_000_000 * USDT),
        OpenAccount(name="trader", key_hash="t", deposit=100_000 * USDT),
        SetMarginMode(account_id=TRADER, symbol=BTC, mode=MarginMode.ISOLATED),
        limit(1, Side.SELL, 500, 649_010),
        limit(1, Side.BUY, 500, 648_990),
        limit(TRADER, Side.BUY, 20, 649_010),
        AdjustIsolatedMargin(account_id=TRADER, symbol=BTC, amount=100 * USDT),
        Deposit(account_id=TRADER, amount=50 * USDT),
        Withdraw(account_id=TRADER, amount=25 * USDT),
        SetIndexPrice(symbol=BTC, price=640_000),
        alert(Direction.CROSSES_BELOW, 630_000),
        SetMarkPrice(symbol=BTC, price=620_000),
        alert(Direction.CROSSES_ABOVE, 625_000),
        SetMarkPrice(symbol=BTC, price=630_000),
        PlaceOrder(account_id=TRADER, symbol=BTC, side=Side.SELL, order_type=OrderType.MARKET, quantity=20),
    ]
    for number, command in enumerate(commands):
        command.ts = START_NS + number
    return commands


def one_at_a_time() -> tuple[Exchange, list[Applied]]:
    exchange = Exchange(DEFAULT_INSTRUMENTS)
    return exchange, [exchange.apply(command) for command in batch()]


def batch_then_fold() -> tuple[Exchange, list[Applied]]:
    exchange = Exchange(DEFAULT_INSTRUMENTS)
    executed = [exchange.execute(command) for command in batch()]
    return exchange, [exchange.results.fold(applied) for applied in executed]


@pytest.fixture(scope="module")
def folded_late() -> list[Applied]:
    return batch_then_fold()[1]


def answer(applied: Applied) -> tuple[Any, ...]:
    """What an adapter reads of an Applied, in values comparable across exchanges."""
    orders = {order_id: (record.order_id, state) for order_id, (record, state) in applied.orders.items()}
    alert_id = applied.alert.alert_id if applied.alert else 0
    refusal = applied.refusal.reason if applied.refusal else ""
    return orders, applied.wallets, applied.position, applied.prices, alert_id, refusal


def test_folding_after_the_batch_gives_what_folding_each_command_at_once_gives() -> None:
    early, applied_early = one_at_a_time()
    late, applied_late = batch_then_fold()
    assert early.engine.state_hash() == late.engine.state_hash()
    for name in ("history", "income", "liquidations", "user_events", "candles", "ticker_stats", "alerts"):
        assert part_hash(late, getattr(late.results, name)) == part_hash(early, getattr(early.results, name)), name
    for name in ("prices", "wallets", "books"):
        assert part_hash(late, getattr(late.results, name)) == part_hash(early, getattr(early.results, name)), name
    assert [answer(a) for a in applied_late] == [answer(a) for a in applied_early]
    assert [a.publications for a in applied_late] == [a.publications for a in applied_early]
    assert late.state_hash() == early.state_hash()


def test_balance_answers_show_each_command_s_own_balances(folded_late: list[Applied]) -> None:
    """Adjust (+100 USDT into the position), deposit 50, withdraw 25: the deposit's answer is the adjust's
    plus 50, the withdrawal's the deposit's less 25 (total and cross alike), and the adjust's total less
    its cross wallet is the one isolated position's margin after it."""
    adjust, deposit, withdraw = (a.wallets for a in folded_late[7:10])
    assert (deposit[0] - adjust[0], deposit[1] - adjust[1]) == (50 * USDT, 50 * USDT)
    assert (withdraw[0] - deposit[0], withdraw[1] - deposit[1]) == (-25 * USDT, -25 * USDT)
    position = folded_late[7].position
    assert position is not None
    assert adjust[0] - adjust[1] == position.isolated_wallet


def test_the_adjust_answers_with_the_position_it_left_though_a_later_command_closed_it(
    folded_late: list[Applied],
) -> None:
    """The fill left 0.02 BTC long with some isolated margin; the adjust added 100 USDT to it."""
    filled = next(e for e in folded_late[6].events if type(e) is PositionChanged and e.account_id == TRADER)
    adjusted = folded_late[7].position
    assert adjusted is not None
    assert (adjusted.size, adjusted.isolated_wallet) == (20, filled.isolated_wallet + 100 * USDT)


def test_price_answers_show_the_prices_each_command_left(folded_late: list[Applied]) -> None:
    """SetIndexPrice 64,000.0; SetMarkPrice 62,000.0 then 63,000.0 with the index still 64,000.0."""
    index_set, first_mark, second_mark = folded_late[10].prices, folded_late[12].prices, folded_late[14].prices
    assert index_set[0] == 640_000
    assert (first_mark, second_mark) == ((640_000, 620_000), (640_000, 630_000))


def test_an_alert_fires_on_the_moves_after_its_creation_only(folded_late: list[Applied]) -> None:
    """The alert below 63,000.0 (id 1) fires as the mark falls to 62,000.0; the one above 62,500.0 (id 2),
    created after that fall, fires only on the rise to 63,000.0."""

    def fired(applied: Applied) -> list[int]:
        return [value.alert.alert_id for _, value in applied.publications if type(value) is AlertFired]

    assert [fired(a) for a in folded_late[11:15]] == [[], [1], [], [2]]


def test_every_kind_a_read_model_folds_is_an_engine_event_and_routed_in_folding_order() -> None:
    """The results stage offers an event only to the read models whose ``FOLDERS`` name its kind: a kind
    named there that is no engine event (a renamed event, say) would silently never be folded. A wallet
    move goes to the wallets, the margin accounts, the funds and the income history, in that order; a
    book level change to none of them (the books take it with the stream's level changes)."""
    event_kinds = set(get_args(Event))
    for name, folders in _FOLDING_MODELS:
        assert set(folders) <= event_kinds, name
    results = Exchange(DEFAULT_INSTRUMENTS).results
    routed = [(model(results), folder) for model, folder in _ROUTES[BalanceChanged]]
    assert routed == [
        (results.wallets, Wallets.fold),
        (results.margin_accounts, MarginAccounts._isolated),
        (results.funds, Funds._balance_changed),
        (results.income, IncomeHistory.fold),
    ]
    assert _ROUTES[BookLevelChanged] == ()
