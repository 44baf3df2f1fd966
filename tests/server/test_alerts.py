"""Price alerts fire on a crossing of their level, once (one-shot) or at every new crossing (repeating)."""

from paperex.engine.orders import TriggerBy
from paperex.server.state.alerts import AlertBook, Direction

MARK, LAST = TriggerBy.MARK, TriggerBy.LAST


def book_with(direction: Direction, price: int, repeating: bool = False) -> AlertBook:
    book = AlertBook()
    book.add(7, "BTCUSDT", MARK, direction, price, repeating, "note", now=1)
    return book


def test_an_alert_above_fires_when_the_price_reaches_the_level_from_below() -> None:
    book = book_with(Direction.CROSSES_ABOVE, 650_000)
    assert book.crossed("BTCUSDT", MARK, 640_000, 649_999) == []
    (fired,) = book.crossed("BTCUSDT", MARK, 649_999, 650_000)  # onto the level counts
    assert (fired.alert_id, fired.account_id, fired.fired) == (1, 7, 1)
    assert book.alerts == {}, "a one-shot alert is gone once it fired"


def test_an_alert_below_ignores_moves_that_stay_above_or_start_below() -> None:
    book = book_with(Direction.CROSSES_BELOW, 600_000)
    assert book.crossed("BTCUSDT", MARK, 610_000, 600_001) == []
    assert book.crossed("BTCUSDT", MARK, 590_000, 580_000) == [], "already below: no crossing"
    assert book.crossed("BTCUSDT", MARK, 0, 580_000) == [], "no earlier price: nothing is crossed"
    assert [a.alert_id for a in book.crossed("BTCUSDT", MARK, 600_001, 599_000)] == [1]


def test_a_repeating_alert_fires_at_each_new_crossing_only() -> None:
    book = book_with(Direction.CROSSES_ABOVE, 650_000, repeating=True)
    assert len(book.crossed("BTCUSDT", MARK, 649_000, 651_000)) == 1
    assert book.crossed("BTCUSDT", MARK, 651_000, 652_000) == [], "still above: not a new crossing"
    assert book.crossed("BTCUSDT", MARK, 652_000, 648_000) == []
    (again,) = book.crossed("BTCUSDT", MARK, 648_000, 655_000)
    assert again.fired == 2 and 1 in book.alerts


def test_alerts_watch_only_their_symbol_and_price_source() -> None:
    book = book_with(Direction.CROSSES_ABOVE, 650_000)
    assert book.crossed("BTCUSDT", LAST, 649_000, 651_000) == []
    assert book.crossed("ETHUSDT", MARK, 649_000, 651_000) == []
    assert [alert.symbol for alert in book.of(7)] == ["BTCUSDT"] and book.of(8) == []
