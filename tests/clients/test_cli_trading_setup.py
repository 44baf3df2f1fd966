"""``leverage``, ``margin-mode``, ``margin add|remove``, ``ticker``, ``instruments`` and ``fills`` against a
real server. Figures are worked by hand from the default BTCUSDT spec: tick 0.1, lot 0.001, min
notional 100, taker fee 0.05%, maker fee 0.02%, 20x by default, first maintenance bracket 0.4% and the
leverage brackets (max leverage per notional cap) 125x to 50,000, 100x to 250,000, 50x to 1,000,000,
20x to 10,000,000, 10x to 20,000,000.
"""

import pytest

from paperex.client.commands import PlaceOrder
from paperex.client.enums import Side
from tests.clients.cli_harness import cli, new_account, ok, run_cli
from tests.clients.conftest import LiveExchange

BTC = "BTCUSDT"


async def test_leverage_prints_the_largest_notional_it_allows(live: LiveExchange) -> None:
    """20x is allowed up to the 20x bracket's cap (10,000,000); 21x only up to the 50x bracket's
    (1,000,000); 10x up to 20,000,000. 126x is above the first bracket's 125x."""
    key = await new_account(live, "alice", "1000")

    at_20 = await ok(live, "leverage", "btcusdt", "20", key=key)
    at_21 = (await ok(live, "leverage", BTC, "21", "--json", key=key)).json()
    at_10 = (await ok(live, "leverage", BTC, "10", "--json", key=key)).json()
    too_high = await cli(live, "leverage", BTC, "126", key=key)

    assert [" ".join(line.split()) for line in at_20.out.splitlines()] == [
        "symbol BTCUSDT",
        "margin mode CROSS",
        "leverage 20x",
        "max notional 10000000 USDT",
    ]
    assert (at_21["leverage"], at_21["max_notional"]) == (21, "1000000")
    assert (at_10["leverage"], at_10["max_notional"]) == (10, "20000000")
    assert too_high.code == 1 and too_high.err.startswith("paperex: INVALID_LEVERAGE: ")
    shown = (await ok(live, "account", "show", "--json", key=key)).json()
    (settings,) = [item for item in shown["symbol_settings"] if item["symbol"] == BTC]
    assert settings["leverage"] == 10  # the refused change changed nothing


async def test_isolated_margin_in_and_out_of_a_position(live: LiveExchange) -> None:
    """Isolated long 0.1 BTC at 64,900 at 20x: notional 6,490, initial margin 6,490 / 20 = 324.5 moved from
    the cross wallet (1,000 - 324.5 = 675.5), the taker fee 0.05% x 6,490 = 3.245 paid from the isolated
    margin: 324.5 - 3.245 = 321.255. Adding 100: isolated margin 421.255, cross wallet 575.5, max removable
    421.255 - 324.5 = 96.755, and the liquidation price falls to
    (421.255 - 6,490) / (0.1 x 0.004 - 0.1) = -6,068.745 / -0.0996 = 60,931.17469...
    Removing 0.5: isolated 420.755, cross wallet 576."""
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    maker = await live.open_account("maker")
    await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.100", price="64900.0"))
    key = await new_account(live, "trader", "1000")

    isolated = (await ok(live, "margin-mode", BTC, "ISOLATED", "--json", key=key)).json()
    await ok(live, "order", "place", BTC, "Buy", "0.100", key=key)
    added = await ok(live, "margin", "add", BTC, "100", key=key)
    document = (await ok(live, "margin", "remove", BTC, "0.5", "--json", key=key)).json()
    too_much = await cli(live, "margin", "remove", BTC, "1000", key=key)
    back_to_cross = await cli(live, "margin-mode", BTC, "cross", key=key)

    assert isolated["margin_mode"] == "ISOLATED"
    lines = {" ".join(line.split()) for line in added.out.splitlines()}
    assert {
        "isolated margin 421.255 USDT",
        "max removable 96.755 USDT",
        "cross wallet balance 575.5 USDT",
    } <= lines
    assert any(line.startswith("liquidation price 60931.1746") for line in lines), lines
    assert (document["position"]["isolated_wallet"], document["cross_wallet_balance"]) == ("420.755", "576")
    assert too_much.code == 1 and too_much.err.startswith("paperex: MARGIN_REMOVAL_TOO_LARGE: ")
    assert back_to_cross.code == 1 and back_to_cross.err.startswith("paperex: MODE_CHANGE_WITH_OPEN_POSITION: ")


async def test_ticker_shows_every_symbol_or_one(live: LiveExchange) -> None:
    """One trade of 0.1 BTC at 64,900: last 64,900.0, 24h volume 0.100, open interest 0.100 (one long)."""
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    maker = await live.open_account("maker")
    taker = await live.open_account("taker")
    await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.100", price="64900.0"))
    await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.100", price="65000.0"))
    await taker.place_order(PlaceOrder(BTC, Side.BUY, "0.100"))

    every = await ok(live, "ticker")  # public: no key
    one = (await ok(live, "ticker", "btcusdt", "--json")).json()

    rows = [line.split() for line in every.out.splitlines()[1:]]
    assert [row[0] for row in rows] == [BTC, "ETHUSDT"]
    assert rows[0][1:4] == ["64900.0", "-", "65000.0"]  # last, no bid, the ask left
    assert rows[1][1] == "-"  # ETHUSDT never traded
    (ticker,) = one["tickers"]
    assert (ticker["last_price"], ticker["volume_24h"], ticker["open_interest"]) == ("64900.0", "0.100", "0.100")


async def test_instruments_show_the_filters_an_order_must_pass(live: LiveExchange) -> None:
    listed = await ok(live, "instruments")
    document = (await ok(live, "instruments", "--json")).json()

    rows = {line.split()[0]: line.split() for line in listed.out.splitlines()[1:]}
    assert rows[BTC] == [BTC, "0.1", "0.001", "0.001", "100", "125x", "0.0200%", "0.0500%", "8h"]
    (btc,) = [item for item in document["instruments"] if item["symbol"] == BTC]
    assert (btc["tick_size"], btc["min_notional"], btc["max_leverage"]) == ("0.1", "100", 125)
    assert btc["brackets"][0]["notional_cap"] == "50000"


async def test_fills_lists_the_accounts_own_trades_newest_first(live: LiveExchange) -> None:
    """Bought 0.1 at 64,900 (taker fee 3.245), then sold 0.04 at 64,950 to a resting bid: taker fee
    0.05% x 0.04 x 64,950 = 1.299, realized PnL 0.04 x (64,950 - 64,900) = 2."""
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    maker = await live.open_account("maker")
    await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.100", price="64900.0"))
    key = await new_account(live, "trader", "10000")
    bought = (await ok(live, "order", "place", BTC, "buy", "0.100", "--json", key=key)).json()
    await maker.place_order(PlaceOrder(BTC, Side.BUY, "0.040", price="64950.0"))  # the ask is gone: it rests
    await ok(live, "order", "place", BTC, "SELL", "0.040", "--type", "MARKET", key=key)

    every = await ok(live, "fills", key=key)
    newest = (await ok(live, "fills", BTC, "--limit", "1", "--json", key=key)).json()
    of_order = (await ok(live, "fills", "--order", str(bought["order"]["order_id"]), "--json", key=key)).json()

    rows = [line.split() for line in every.out.splitlines()[1:]]
    assert [row[3:7] for row in rows] == [["SELL", "64950.0", "0.040", "taker"], ["BUY", "64900.0", "0.100", "taker"]]
    (fill,) = newest["fills"]
    assert (fill["side"], fill["fee"], fill["realized_pnl"]) == ("SELL", "1.299", "2")
    (first,) = of_order["fills"]
    assert (first["side"], first["fee"]) == ("BUY", "3.245")


@pytest.mark.parametrize(
    "argv",
    [
        ["margin-mode", BTC, "portfolio"],
        ["margin", "move", BTC, "1"],
        ["margin", "add", BTC, "lots"],
        ["leverage", BTC, "0"],
        ["fills", "--limit", "0"],
    ],
)
def test_bad_words_and_numbers_are_usage_errors(argv: list[str]) -> None:
    result = run_cli([*argv, "--api-key", "k", "--target", "127.0.0.1:1"])  # a call would exit 3

    assert result.code == 2 and result.out == "" and result.err.rstrip().splitlines()[-1].startswith("paperex")


async def test_btc_collateral_from_the_command_line(live: LiveExchange) -> None:
    """0.1 BTC deposited with ``--asset btc``; in Multi-Assets mode at mark 60,000 it counts 0.1 x 60,000
    x 95% = 5,700 of margin, beside the account's 1 USDT: available 5,701. A second switch with an open
    order is refused, as on the venue."""
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "60000")
    key = await new_account(live, "trader", "1")
    account_id = (await ok(live, "account", "show", "--json", key=key)).json()["account_id"]

    deposited = (await ok(live, "account", "deposit", str(account_id), "0.1", "--asset", "btc", "--json",
                          admin=True)).json()  # fmt: skip
    switched = await ok(live, "asset-mode", "multi", key=key)
    shown = (await ok(live, "account", "show", "--json", key=key)).json()
    await ok(live, "order", "place", BTC, "buy", "0.01", "--price", "59000", key=key)
    refused = await cli(live, "asset-mode", "single", key=key)

    assert (deposited["asset"], deposited["asset_balance"], deposited["cross_wallet_balance"]) == ("BTC", "0.1", "1")
    assert " ".join(switched.out.split()) == "asset mode multi-assets"
    assert (shown["multi_assets_mode"], shown["collateral_value"], shown["available_balance"]) == (True, "5700", "5701")
    assert refused.code == 1 and refused.err.startswith("paperex: MODE_CHANGE_WITH_OPEN_ORDERS: ")
    lines = [" ".join(line.split()) for line in (await ok(live, "account", "show", key=key)).out.splitlines()]
    assert lines[-4:-2] == ["asset mode multi-assets", "BTC balance 0.1 (x 60000 x 0.95 = 5700 USDT)"]
