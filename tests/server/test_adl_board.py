"""When a query's ADL quantiles are ranked afresh: never twice for one state; after a change, at once for
a small symbol, at most once a second for a big one."""

from dataclasses import dataclass, field

from paperex.engine.orders import PositionSide
from paperex.server.state.adl import AdlBoard


@dataclass
class _Ranker:
    rankings: int = 0
    quantiles: dict[int, int] = field(default_factory=lambda: {7: 5})

    def adl_quantiles(self, symbol: str) -> dict[tuple[int, PositionSide], int]:
        self.rankings += 1
        return {(account, PositionSide.BOTH): light for account, light in self.quantiles.items()}


class _Exchange:
    """What the board reads of ``paperex.server.core.exchange.Exchange``: the sequence and the accounts
    read model's ranking."""

    def __init__(self) -> None:
        self.sequence = 1
        self.margin_accounts = _Ranker()


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_state_is_ranked_once_however_many_queries_and_however_long() -> None:
    clock, exchange = _Clock(), _Exchange()
    board = AdlBoard(clock, refresh=1.0)

    assert [board.quantile(exchange, "BTCUSDT", 7) for _ in range(3)] == [5, 5, 5]
    clock.now += 60
    assert board.quantile(exchange, "BTCUSDT", 8) == 0
    assert exchange.margin_accounts.rankings == 1


def test_a_small_symbol_is_ranked_again_after_every_change() -> None:
    clock, exchange = _Clock(), _Exchange()
    board = AdlBoard(clock, refresh=1.0, exact_up_to=2)
    exchange.margin_accounts.quantiles = {7: 5, 8: 3}
    board.quantile(exchange, "BTCUSDT", 7)

    exchange.sequence, exchange.margin_accounts.quantiles = 2, {7: 3, 8: 5}
    assert board.quantile(exchange, "BTCUSDT", 7) == 3
    assert exchange.margin_accounts.rankings == 2


def test_a_big_symbol_is_ranked_again_only_once_its_ranking_is_a_second_old() -> None:
    clock, exchange = _Clock(), _Exchange()
    board = AdlBoard(clock, refresh=1.0, exact_up_to=2)
    exchange.margin_accounts.quantiles = {7: 5, 8: 4, 9: 2}
    board.quantile(exchange, "BTCUSDT", 7)

    exchange.sequence, exchange.margin_accounts.quantiles = 2, {7: 3, 8: 5, 9: 2}
    clock.now += 0.5
    assert board.quantile(exchange, "BTCUSDT", 7) == 5
    clock.now += 0.5
    assert board.quantile(exchange, "BTCUSDT", 7) == 3
    assert exchange.margin_accounts.rankings == 2


def test_each_symbol_and_a_reset_exchange_get_their_own_ranking() -> None:
    clock, exchange = _Clock(), _Exchange()
    board = AdlBoard(clock, refresh=1.0)
    board.quantile(exchange, "BTCUSDT", 7)
    board.quantile(exchange, "ETHUSDT", 7)
    assert exchange.margin_accounts.rankings == 2

    fresh = _Exchange()
    fresh.margin_accounts.quantiles = {}
    assert board.quantile(fresh, "BTCUSDT", 7) == 0
    assert fresh.margin_accounts.rankings == 1
