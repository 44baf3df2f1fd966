"""``paperex.client.ccxt_exchange``: one line gives a bot ccxt's binanceusdm trading on a paperex server."""

from pathlib import Path

import ccxt.async_support as ccxt
import pytest

from paperex.client import ccxt_exchange
from paperex.client.ccxt_binance import binance_base_url
from tests.server.conftest import serving


def test_a_grpc_target_means_the_rest_api_on_the_next_port() -> None:
    """`paperex serve` puts the REST API on the gRPC port + 1; a base URL is taken as given."""
    assert binance_base_url("127.0.0.1:50051") == "http://127.0.0.1:50052"
    assert binance_base_url("[::1]:7000") == "http://[::1]:7001"
    assert binance_base_url("http://10.0.0.5:9000/") == "http://10.0.0.5:9000"
    with pytest.raises(ValueError, match="expected host:port"):
        binance_base_url("localhost")


def test_every_url_ccxt_uses_points_at_the_server() -> None:
    """The six USDⓈ-M REST URLs and ccxt.pro's WebSocket one, without a server (nothing is fetched)."""
    exchange = ccxt_exchange("127.0.0.1:50051", "pk_x", "s", flavour="ccxt.pro", options={"defaultType": "swap"})

    api = exchange.urls["api"]
    assert (
        api["fapiPrivateV3"] == "http://127.0.0.1:50052/fapi/v3"
        and api["fapiPublic"] == "http://127.0.0.1:50052/fapi/v1"
    )
    assert api["ws"]["linear"] == "ws://127.0.0.1:50052/ws"
    assert exchange.options["defaultType"] == "swap"
    with pytest.raises(ValueError, match="flavour is one of"):
        ccxt_exchange("127.0.0.1:50051", "pk_x", "s", flavour="ccxt.spot")


async def test_the_configured_exchange_trades_and_maps_refusals(tmp_path: Path) -> None:
    """Alice (1,000 USDT) reads her balance; 10 BTC at 60,000 at leverage 20 needs 30,000 of margin:
    the venue's -2019, which ccxt raises as InsufficientFunds on our host too."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "60000")
        alice = await venue.open_account("alice", "1000")
        exchange = ccxt_exchange(venue.binance_url, alice.key, alice.secret, flavour="ccxt.async_support")
        try:
            balance = await exchange.fetch_balance()
            with pytest.raises(ccxt.InsufficientFunds):
                await exchange.create_order("BTC/USDT:USDT", "limit", "buy", 10, 60000)
        finally:
            await exchange.close()

    assert balance["USDT"]["total"] == 1000.0
