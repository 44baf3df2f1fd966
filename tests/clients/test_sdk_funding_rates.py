"""Settled funding rates over gRPC (MarketData.ListFundingRates) through the SDK, on a simulated clock.

From the default BTCUSDT spec (interest 0.01% per 8 hours): the clock starts 2026-01-01T00:00Z with the
mark at 64,900; nothing samples a premium, so each 8-hour funding is the interest rate, 0.0001. At 08:00
it is charged at 64,900; the mark is then set to 65,000, and at 16:00 it is charged at 65,000.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from paperex.client import models
from paperex.client.errors import InvalidArgument, UnknownSymbol
from tests.clients.conftest import LiveExchange

MIDNIGHT = datetime(2026, 1, 1, tzinfo=UTC)
EIGHT, SIXTEEN = MIDNIGHT + timedelta(hours=8), MIDNIGHT + timedelta(hours=16)
RATE = Decimal("0.0001")


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {"clock": "simulated"}


async def test_funding_rates_oldest_first_with_their_marks(live: LiveExchange) -> None:
    """Both BTCUSDT funding times; the newest one alone with limit 1, the first one from a start time;
    every symbol's merged by time (ETHUSDT, never marked, at mark 0); a limit over 1,000 and an unknown
    symbol are refused."""
    assert live.admin is not None
    await live.admin.set_mark_price("BTCUSDT", "64900")
    await live.admin.advance_time(timedelta(hours=8))
    await live.admin.set_mark_price("BTCUSDT", "65000")
    await live.admin.advance_time(timedelta(hours=8))
    trader = await live.open_account("trader")

    btc = await trader.funding_rates("BTCUSDT")
    newest = await trader.funding_rates("BTCUSDT", limit=1)
    first = await trader.funding_rates("BTCUSDT", start=MIDNIGHT, limit=1)
    every = await trader.funding_rates()
    with pytest.raises(InvalidArgument):
        await trader.funding_rates(limit=1001)
    with pytest.raises(UnknownSymbol):
        await trader.funding_rates("DOGEUSDT")

    assert btc == [
        models.FundingRate("BTCUSDT", RATE, Decimal("64900.0"), EIGHT),
        models.FundingRate("BTCUSDT", RATE, Decimal("65000.0"), SIXTEEN),
    ]
    assert [rate.time for rate in newest] == [SIXTEEN]
    assert [rate.time for rate in first] == [EIGHT]
    assert [(rate.symbol, rate.time, rate.mark_price) for rate in every] == [
        ("BTCUSDT", EIGHT, Decimal("64900.0")),
        ("ETHUSDT", EIGHT, Decimal("0")),
        ("BTCUSDT", SIXTEEN, Decimal("65000.0")),
        ("ETHUSDT", SIXTEEN, Decimal("0")),
    ]
