"""Income, order history and the asset mode over REST, and a default ccxt configuration (no sandbox
mode: every URL of its table pointed at paperex) loading markets and the balance."""

from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import ccxt.async_support as ccxt

from paperex.v1 import account_pb2, admin_pb2, common_pb2
from tests.binance_api.test_rest import call
from tests.server.conftest import btc_order, serving


async def test_income_lists_transfers_commissions_and_pnl(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Alice opens with 10,000 (TRANSFER), buys 0.004 at 65,000 from bob's offer (taker fee 0.05% x 260 =
    0.13, COMMISSION), then sells 0.004 into bob's bid at 66,000: PnL 0.004 x 1,000 = 4 (REALIZED_PNL)
    and fee 0.05% x 264 = 0.132. Filtered by type, only the commissions; a venue type nothing here books
    finds nothing; an unknown one is -1130."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice", "10000")
        bob = await venue.open_account("bob")
        market = {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "0.004"}
        await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_SELL, "0.004", "65000"), metadata=bob.auth)
        await call(http, venue, "POST", "/fapi/v1/order", alice, form=market | {"side": "BUY"})
        await bob.trading.PlaceOrder(btc_order(common_pb2.SIDE_BUY, "0.004", "66000"), metadata=bob.auth)
        await call(http, venue, "POST", "/fapi/v1/order", alice, form=market | {"side": "SELL"})
        everything = await call(http, venue, "GET", "/fapi/v1/income", alice)
        fees = await call(http, venue, "GET", "/fapi/v1/income", alice, query={"incomeType": "COMMISSION"})
        bonus = await call(http, venue, "GET", "/fapi/v1/income", alice, query={"incomeType": "WELCOME_BONUS"})
        unknown = await call(http, venue, "GET", "/fapi/v1/income", alice, query={"incomeType": "GIFT"})

    assert [(row["incomeType"], row["income"], row["symbol"]) for row in everything[1]] == [
        ("TRANSFER", "10000", ""),
        ("COMMISSION", "-0.13", "BTCUSDT"),
        ("REALIZED_PNL", "4", "BTCUSDT"),
        ("COMMISSION", "-0.132", "BTCUSDT"),
    ]
    first_fee = everything[1][1]
    assert first_fee["asset"] == "USDT" and first_fee["tradeId"] == first_fee["info"] != ""
    assert [row["income"] for row in fees[1]] == ["-0.13", "-0.132"]
    assert bonus == (200, [])
    assert unknown == (400, {"code": -1130, "msg": "Data sent for parameter 'incomeType' is not valid."})


async def test_all_orders_oldest_first_from_an_order_id_or_the_newest(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Alice rests three bids (60,000, 60,100, 60,200) and cancels the first: the newest two with limit
    2, all three from the first one's id, each in its state; a waiting stop is not among them."""
    async with serving(tmp_path, binance=True) as venue:
        await venue.set_mark("BTCUSDT", "65000")
        alice = await venue.open_account("alice")
        bid = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002"}
        ids = []
        for price in ("60000", "60100", "60200"):
            _, placed = await call(http, venue, "POST", "/fapi/v1/order", alice, form=bid | {"price": price})
            ids.append(placed["orderId"])
        stop = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET"}
        await call(
            http, venue, "POST", "/fapi/v1/algoOrder", alice, form=stop | {"quantity": "0.002", "triggerPrice": "60000"}
        )
        cancel = {"symbol": "BTCUSDT", "orderId": str(ids[0])}
        await call(http, venue, "DELETE", "/fapi/v1/order", alice, form=cancel)
        newest = await call(http, venue, "GET", "/fapi/v1/allOrders", alice, query={"symbol": "BTCUSDT", "limit": "2"})
        since = {"symbol": "BTCUSDT", "orderId": str(ids[0])}
        from_first = await call(http, venue, "GET", "/fapi/v1/allOrders", alice, query=since)

    assert [(o["orderId"], o["price"], o["status"]) for o in newest[1]] == [
        (ids[1], "60100.0", "NEW"),
        (ids[2], "60200.0", "NEW"),
    ]
    assert [(o["orderId"], o["status"]) for o in from_first[1]] == [
        (ids[0], "CANCELED"),
        (ids[1], "NEW"),
        (ids[2], "NEW"),
    ]


async def test_multi_assets_mode_switches_as_on_the_venue(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Single-asset mode first; a symbol set to isolated blocks the switch (-4167); switching succeeds once it
    is cross again, asking for it again is -4171, isolated margin is then refused (-4168); an open order
    forbids switching back (-4170, not the margin type's -4047), and the account says it is in Multi-Assets
    mode."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice")
        await venue.set_mark("BTCUSDT", "60000")
        on = {"multiAssetsMargin": "true"}
        before = await call(http, venue, "GET", "/fapi/v1/multiAssetsMargin", alice)
        eth = {"symbol": "ETHUSDT", "marginType": "ISOLATED"}
        await call(http, venue, "POST", "/fapi/v1/marginType", alice, form=eth)
        isolated = await call(http, venue, "POST", "/fapi/v1/multiAssetsMargin", alice, form=on)
        await call(http, venue, "POST", "/fapi/v1/marginType", alice, form=eth | {"marginType": "CROSSED"})
        multi = await call(http, venue, "POST", "/fapi/v1/multiAssetsMargin", alice, form=on)
        again = await call(http, venue, "POST", "/fapi/v1/multiAssetsMargin", alice, form=on)
        after = await call(http, venue, "GET", "/fapi/v1/multiAssetsMargin", alice)
        to_isolated = {"symbol": "BTCUSDT", "marginType": "ISOLATED"}
        isolated_inside = await call(http, venue, "POST", "/fapi/v1/marginType", alice, form=to_isolated)
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "59000",
                 "timeInForce": "GTC"}  # fmt: skip
        await call(http, venue, "POST", "/fapi/v1/order", alice, form=order)
        back = await call(http, venue, "POST", "/fapi/v1/multiAssetsMargin", alice, form={"multiAssetsMargin": "false"})
        account = (await call(http, venue, "GET", "/fapi/v2/account", alice))[1]

    assert (before, after) == ((200, {"multiAssetsMargin": False}), (200, {"multiAssetsMargin": True}))
    assert multi == (200, {"code": 200, "msg": "success"})
    codes = [(answer[0], answer[1]["code"], answer[1]["msg"]) for answer in (isolated, again, isolated_inside, back)]
    assert codes == [
        (
            400,
            -4167,
            "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode.",
        ),
        (400, -4171, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly."),
        (400, -4168, "Unable to adjust to isolated-margin mode under the Multi-Assets mode."),
        (400, -4170, "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures"),
    ]
    assert account["multiAssetsMargin"] is True


async def test_the_balance_lists_every_asset_in_its_own_units(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """100,000 USDT and 0.25 BTC: /fapi/v2/balance and the account's assets name both, BTC in BTC, and the
    income lists each deposit in its asset."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice")
        summary = await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)
        deposit = admin_pb2.DepositRequest(account_id=summary.account.account_id, amount="0.25", asset="BTC")
        await venue.admin.admin.Deposit(deposit, metadata=venue.admin.auth)
        balances = (await call(http, venue, "GET", "/fapi/v2/balance", alice))[1]
        account = (await call(http, venue, "GET", "/fapi/v2/account", alice))[1]
        incomes = (await call(http, venue, "GET", "/fapi/v1/income", alice))[1]

    assert [(i["incomeType"], i["income"], i["asset"]) for i in incomes] == [
        ("TRANSFER", "100000", "USDT"),
        ("TRANSFER", "0.25", "BTC"),
    ]
    assert [(b["asset"], b["balance"], b["crossWalletBalance"]) for b in balances] == [
        ("USDT", "100000", "100000"),
        ("BTC", "0.25", "0.25"),
    ]
    assert [(a["asset"], a["walletBalance"]) for a in account["assets"]] == [("USDT", "100000"), ("BTC", "0.25")]
    assert account["multiAssetsMargin"] is False


async def test_a_multi_assets_accounts_btc_is_available_as_far_as_its_margin_is_free(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """0.25 BTC and no USDT in Multi-Assets mode, mark 60,000: the BTC gives 0.25 x 60,000 x 95% = 14,250 of
    margin; a bid of 0.1 at 59,000 reserves 5,900 / 20 = 295, leaving 13,955 available, which 13,955 / 57,000
    = 0.24482456... BTC covers (rounded down): BTC's availableBalance and maxWithdrawAmount, in v2 and v3."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice", "")
        summary = await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)
        deposit = admin_pb2.DepositRequest(account_id=summary.account.account_id, amount="0.25", asset="BTC")
        await venue.admin.admin.Deposit(deposit, metadata=venue.admin.auth)
        await venue.set_mark("BTCUSDT", "60000")
        await call(http, venue, "POST", "/fapi/v1/multiAssetsMargin", alice, form={"multiAssetsMargin": "true"})
        bid = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "59000",
               "timeInForce": "GTC"}  # fmt: skip
        await call(http, venue, "POST", "/fapi/v1/order", alice, form=bid)
        answers = [(await call(http, venue, "GET", f"/fapi/{v}/balance", alice))[1] for v in ("v2", "v3")]
        accounts = [(await call(http, venue, "GET", f"/fapi/{v}/account", alice))[1] for v in ("v2", "v3")]

    rows = [row for answer in answers for row in answer] + [row for a in accounts for row in a["assets"]]
    btc = [(row["availableBalance"], row["maxWithdrawAmount"]) for row in rows if row["asset"] == "BTC"]
    assert btc == [("0.24482456", "0.24482456")] * 4
    assert [a["availableBalance"] for a in accounts] == ["13955", "13955"]


async def test_a_default_ccxt_configuration_loads_markets_and_the_balance(tmp_path: Path) -> None:
    """Without sandbox mode ccxt also asks the spot/margin API for currencies and margin pairs while
    loading (both answered empty here); markets and the 10,000 balance load."""
    async with serving(tmp_path, binance=True) as venue:
        alice = await venue.open_account("alice", "10000")
        exchange = ccxt.binanceusdm({"apiKey": alice.key, "secret": alice.secret})
        table = exchange.urls["api"]
        for name, url in list(table.items()):
            if isinstance(url, str) and url.startswith("https://"):
                table[name] = venue.binance_url + urlsplit(url).path
        try:
            markets = await exchange.load_markets()
            balance = await exchange.fetch_balance()
        finally:
            await exchange.close()

    assert "BTC/USDT:USDT" in markets
    assert balance["USDT"]["total"] == 10000.0
