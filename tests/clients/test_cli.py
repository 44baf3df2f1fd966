"""``paperex`` client subcommands against a real server over gRPC, run as a shell would run them.

Each command runs in a worker thread (``tests.clients.cli_harness``) while the server keeps serving.
Figures are worked by hand from the default BTCUSDT spec: taker fee 0.05%, 20x leverage, first
maintenance bracket 0.4% with no maintenance amount.
"""

import asyncio
import doctest
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from paperex.client import models
from paperex.client.cli import arguments, records, render
from paperex.client.cli.delegate import is_server_command, server_command
from paperex.client.commands import PlaceOrder
from paperex.client.enums import MarginMode, PositionSide, Side
from tests.clients.child_process import free_port
from tests.clients.cli_harness import cli, new_account, ok, run_cli
from tests.clients.conftest import LiveExchange

ROOT = Path(__file__).resolve().parents[2]
BTC = "BTCUSDT"
LIBRARY = {"calm", "chop", "flash-crash", "liquidity-drought", "squeeze", "trend-up"}


async def long_position(live: LiveExchange) -> str:
    """A 1,000 USDT account long 0.1 BTC at 64,900 (bought from a resting ask), mark 64,900."""
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    maker = await live.open_account("maker", "100000")
    await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.100", price="64900.0"))
    key = await new_account(live, "trader", "1000")
    await ok(live, "order", "place", BTC, "buy", "0.100", key=key)
    return key


async def test_a_created_account_trades_with_the_printed_key(live: LiveExchange) -> None:
    key = await new_account(live, "alice", "10000")

    placed = await ok(live, "order", "place", BTC, "buy", "0.010", "--price", "64000.0", key=key)
    listed = await ok(live, "order", "list", key=key)

    assert "NEW" in placed.out and "no fills" in placed.out
    (row,) = [line for line in listed.out.splitlines() if line.split()[0].isdigit()]
    assert row.split()[1:6] == [BTC, "BUY", "LIMIT", "GTC", "NEW"] and "64000.0" in row
    shown = (await ok(live, "account", "show", "--json", key=key)).json()
    assert (shown["name"], shown["wallet_balance"]) == ("alice", "10000")


async def test_the_order_words_are_case_insensitive(live: LiveExchange) -> None:
    key = await new_account(live, "grace", "10000")

    await ok(
        live, "order", "place", BTC, "BUY", "0.010", "--price", "64000.0", "--type", "LIMIT", "--tif", "Gtx", key=key
    )
    typo = await cli(live, "order", "place", BTC, "Hold", "0.010", key=key)
    listed = await ok(live, "order", "list", key=key)

    (row,) = [line for line in listed.out.splitlines() if line.split()[0].isdigit()]
    assert row.split()[1:6] == [BTC, "BUY", "LIMIT", "GTX", "NEW"]
    assert typo.code == 2 and "invalid choice: 'hold'" in typo.err


async def test_a_limit_order_filled_by_another_accounts_market_order(live: LiveExchange) -> None:
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    maker = await new_account(live, "maker", "10000")
    taker = await new_account(live, "taker", "10000")
    await ok(
        live, "order", "place", BTC, "sell", "0.100", "--price", "64900.0", "--client-order-id", "ask-1", key=maker
    )

    taken = (await ok(live, "order", "place", BTC, "buy", "0.100", "--json", key=taker)).json()
    (made,) = (await ok(live, "order", "list", "--history", "1", "--json", key=maker)).json()["orders"]

    assert (taken["order"]["order_type"], taken["order"]["status"]) == ("MARKET", "FILLED")
    (fill,) = taken["fills"]
    # taker fee 0.05% of 0.1 x 64,900 = 6,490 -> 3.245
    assert (fill["price"], fill["quantity"], fill["is_maker"], fill["fee"]) == ("64900.0", "0.100", False, "3.245")
    assert (made["client_order_id"], made["status"], made["filled_quantity"]) == ("ask-1", "FILLED", "0.100")
    summary = (await ok(live, "account", "show", "--json", key=taker)).json()
    assert summary["wallet_balance"] == "9996.755"  # 10,000 - 3.245
    (position,) = summary["positions"]
    assert (position["size"], position["entry_price"], position["margin_mode"]) == ("0.100", "64900.0", "CROSS")


async def test_position_mode_switches_and_an_order_names_its_leg(live: LiveExchange) -> None:
    """Hedge mode from the command line: one-way at first, then hedge; a buy into the LONG leg shows
    as a LONG position; without --position-side the order is refused with the reason (exit 1)."""
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    maker = await live.open_account("maker", "100000")
    await maker.place_order(PlaceOrder(BTC, Side.SELL, "0.100", price="64900.0"))
    key = await new_account(live, "hedger", "10000")

    before = (await ok(live, "position-mode", "--json", key=key)).json()
    after = (await ok(live, "position-mode", "hedge", "--json", key=key)).json()
    unnamed = await cli(live, "order", "place", BTC, "buy", "0.010", key=key)
    await ok(live, "order", "place", BTC, "buy", "0.010", "--position-side", "long", key=key)
    (position,) = (await ok(live, "account", "show", "--json", key=key)).json()["positions"]

    assert (before, after) == ({"position_mode": "ONE_WAY"}, {"position_mode": "HEDGE"})
    assert unnamed.code == 1 and "POSITION_SIDE_MISMATCH" in unnamed.err
    assert (position["position_side"], position["size"]) == ("LONG", "0.010")


def test_a_liquidation_report_names_the_hedge_leg() -> None:
    """An isolated SHORT leg's liquidation: its scope and its position row say "BTCUSDT SHORT"."""
    step = models.PositionLiquidated(
        symbol=BTC,
        margin_mode=MarginMode.ISOLATED,
        quantity=Decimal("0.050"),
        average_price=Decimal("64900"),
        bankruptcy_price=Decimal("68007.6"),
        realized_pnl=Decimal("-5"),
        insurance_fund_change=Decimal("-155"),
        order_id=9,
        deleveraged_quantity=Decimal(0),
        position_side=PositionSide.SHORT,
    )
    liquidation = models.Liquidation(
        liquidation_id=1,
        time=None,
        margin_mode=MarginMode.ISOLATED,
        symbol=BTC,
        margin_balance=Decimal("0.38"),
        maintenance_margin=Decimal("13.6"),
        margin_calls=[],
        canceled_orders=[],
        orders=[],
        fills=[],
        positions=[step],
        insurance_fund_change=Decimal("-155"),
        realized_pnl=Decimal("-5"),
        position_side=PositionSide.SHORT,
    )

    report = records.liquidation_text(liquidation)

    assert report.startswith("liquidation            1 (ISOLATED, BTCUSDT SHORT)")
    assert report.split("positions\n")[1].splitlines()[1].startswith("BTCUSDT SHORT")


async def test_deposit_prints_the_new_wallet(live: LiveExchange) -> None:
    assert live.admin is not None
    created = await live.admin.create_account("bob", "250")

    deposited = await ok(live, "account", "deposit", str(created.account_id), "1000.5", "--json", admin=True)

    assert deposited.json() == {
        "account_id": created.account_id,
        "wallet_balance": "1250.5",
        "cross_wallet_balance": "1250.5",
        "asset": "USDT",
        "asset_balance": "1250.5",
    }


async def test_cancel_all_cancels_every_open_order_of_the_symbol(live: LiveExchange) -> None:
    key = await new_account(live, "carol", "10000")
    for price in ("63000.0", "63500.0"):
        await ok(live, "order", "place", BTC, "buy", "0.010", "--price", price, key=key)

    canceled = (await ok(live, "order", "cancel", BTC, "--all", "--json", key=key)).json()["orders"]
    left = (await ok(live, "order", "list", BTC, "--json", key=key)).json()["orders"]

    assert sorted((order["price"], order["status"]) for order in canceled) == [
        ("63000.0", "CANCELED"),
        ("63500.0", "CANCELED"),
    ]
    assert left == []


async def test_refusals_are_one_line_with_the_reason_and_exit_1(live: LiveExchange) -> None:
    assert live.admin is not None
    await live.admin.set_mark_price(BTC, "64900")
    key = await new_account(live, "dave", "100")

    bad_tick = await cli(live, "order", "place", BTC, "buy", "0.010", "--price", "64000.05", key=key)
    too_big = await cli(live, "order", "place", BTC, "buy", "1.000", "--price", "64900.0", key=key)

    assert (bad_tick.code, bad_tick.out) == (1, "")
    assert bad_tick.err.startswith("paperex: INVALID_TICK: ") and bad_tick.err.count("\n") == 1
    # IM 64,900 / 20 = 3,245 + taker fee 0.05% x 64,900 = 32.45 -> 3,277.45 against 100 available
    assert too_big.code == 1
    assert too_big.err.startswith("paperex: INSUFFICIENT_MARGIN: ")
    assert too_big.err.count("3277.45") == 1 and too_big.err.rstrip().endswith(" 100")


async def test_credentials_missing_or_rejected_exit_4_naming_the_variable(live: LiveExchange) -> None:
    no_key = await cli(live, "account", "show")
    no_token = await cli(live, "scenario", "list")
    wrong_token = await cli(live, "account", "create", "eve", "--admin-token", "not-the-token")

    assert no_key.code == 4 and "PAPEREX_API_KEY" in no_key.err and no_key.err.count("\n") == 1
    assert no_token.code == 4 and "PAPEREX_ADMIN_TOKEN" in no_token.err
    assert wrong_token.code == 4 and wrong_token.err.startswith("paperex: UNAUTHENTICATED: ")


async def test_the_api_key_comes_from_the_environment(live: LiveExchange, monkeypatch: pytest.MonkeyPatch) -> None:
    key = await new_account(live, "frank", "42")
    monkeypatch.setenv("PAPEREX_API_KEY", key)
    monkeypatch.setenv("PAPEREX_TARGET", live.target)

    shown = await asyncio.to_thread(run_cli, ["account", "show", "--json"])

    assert (shown.code, shown.json()["wallet_balance"]) == (0, "42")


def test_no_server_exits_3() -> None:
    port = free_port()
    result = run_cli(["account", "show", "--api-key", "pk_x", "--target", f"127.0.0.1:{port}"])

    assert result.code == 3
    assert (
        result.err.startswith(f"paperex: cannot reach 127.0.0.1:{port}: UNAVAILABLE") and "Traceback" not in result.err
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["order", "cancel", BTC, "--api-key", "k"],  # neither an id nor --all
        ["order", "place", BTC, "hold", "1"],
        ["order", "place", BTC, "buy", "1", "--price", "cheap"],
        ["scenario", "run", "calm", "--advance", "10x"],
        ["book", BTC, "--depth", "0"],
    ],
)
def test_usage_errors_exit_2_before_anything_is_sent(argv: list[str]) -> None:
    result = run_cli([*argv, "--target", "127.0.0.1:1"])  # nothing listens there: a call would exit 3

    assert result.code == 2 and result.out == "" and result.err.rstrip().splitlines()[-1].startswith("paperex")


async def test_book_once_shows_asks_above_bids_best_in_the_middle(live: LiveExchange) -> None:
    client = await live.open_account("quoter")
    for side, price in ((Side.BUY, "63000.0"), (Side.SELL, "66000.0"), (Side.BUY, "64000.0"), (Side.SELL, "65000.0")):
        await client.place_order(PlaceOrder(BTC, side, "0.010", price=price))

    ladder = await ok(live, "book", BTC, "--once")
    document = (await ok(live, "book", BTC, "--once", "--json")).json()

    levels = [line.split()[:2] for line in ladder.out.splitlines() if line.startswith(("ask", "bid"))]
    assert levels == [["ask", "66000.0"], ["ask", "65000.0"], ["bid", "64000.0"], ["bid", "63000.0"]]
    assert "spread 1000.0" in ladder.out
    assert [level["price"] for level in document["bids"]] == ["64000.0", "63000.0"]
    assert [level["price"] for level in document["asks"]] == ["65000.0", "66000.0"]


async def test_book_redraws_on_an_update_and_stops_after_n(live: LiveExchange) -> None:
    client = await live.open_account("quoter")
    out = io.StringIO()
    view = asyncio.create_task(cli(live, "book", BTC, "--updates", "1", out=out))
    deadline = asyncio.get_running_loop().time() + 10
    while "empty book" not in out.getvalue():  # until the snapshot frame is drawn (the stream is subscribed)
        assert not view.done(), view.result()
        assert asyncio.get_running_loop().time() < deadline, "no snapshot frame drawn in 10 s"
        await asyncio.sleep(0.01)

    await client.place_order(PlaceOrder(BTC, Side.BUY, "0.020", price="64100.0"))
    result = await asyncio.wait_for(view, 10)

    assert result.code == 0
    first, second = result.out.strip().split("\n\n")
    assert "empty book" in first
    assert second.splitlines()[-1].split() == ["bid", "64100.0", "0.020", "1"]


async def test_positions_show_the_liquidation_price_and_distance(live: LiveExchange) -> None:
    key = await long_position(live)

    table = await ok(live, "positions", key=key)
    document = (await ok(live, "positions", BTC, "--json", key=key)).json()

    # Cross long, wallet 1,000 - 3.245 fee = 996.755, MMR 0.4%:
    # LP = (996.755 - 0.1 x 64,900) / (0.1 x 0.004 - 0.1) = -5,493.245 / -0.0996 = 55,153.062249
    # distance (64,900 - 55,153.06) / 64,900 = 15.02%; margin ratio MM 25.96 / 996.755 = 2.60%
    (row,) = [line.split() for line in table.out.splitlines() if line.startswith(BTC)]
    assert row == [BTC, "0.100", "64900.0", "64900.0", "0", "55153.062249", "15.02%", "CROSS", "20x", "2.60%"]
    (position,) = document["positions"]
    assert (position["liquidation_price"], document["margin_ratio"]) == ("55153.062249", "0.02604451")


async def test_watch_renders_books_margin_ratio_and_liquidation_distance(live: LiveExchange) -> None:
    key = await long_position(live)
    quoter = await live.open_account("quoter")
    await quoter.place_order(PlaceOrder(BTC, Side.BUY, "0.500", price="64800.0"))

    screen = await ok(live, "watch", "--iterations", "1", key=key)
    document = (await ok(live, "watch", BTC, "--once", "--json", key=key)).json()

    assert "margin ratio 2.60%" in screen.out
    books = [line.split() for line in screen.out.splitlines() if line.startswith(("BTCUSDT ", "ETHUSDT "))]
    assert books[0] == [BTC, "0.500", "64800.0", "-", "-", "-"] and books[1][0] == "ETHUSDT"
    assert "55153.062249" in screen.out and "15.02%" in screen.out
    assert document["books"][0]["best_bid"] == {"price": "64800.0", "quantity": "0.500", "order_count": 1}
    assert document["account"]["margin_ratio"] == "0.02604451"
    (position,) = document["positions"]
    assert position["liquidation_distance"] == "15.0184"


async def test_scenario_list_shows_the_library(live: LiveExchange) -> None:
    table = await ok(live, "scenario", "list", admin=True)
    document = (await ok(live, "scenario", "list", "--json", admin=True)).json()

    assert {line.split()[0] for line in table.out.splitlines()[1:]} == LIBRARY
    by_name = {scenario["name"]: scenario for scenario in document["scenarios"]}
    assert set(by_name) == LIBRARY
    assert (by_name["flash-crash"]["duration"], by_name["flash-crash"]["symbols"]) == ("PT14400S", [BTC, "ETHUSDT"])


@pytest.mark.parametrize("server_options", [{"clock": "simulated"}])
async def test_scenario_run_advances_a_simulated_clock(live: LiveExchange) -> None:
    assert live.server is not None
    start = datetime.fromtimestamp(live.server.config.start_time // 10**9, UTC)  # where a fresh clock starts

    ran = await ok(live, "scenario", "run", "flash-crash", "--seed", "7", "--advance", "10m", "--json", admin=True)
    text = await ok(live, "scenario", "run", "calm", admin=True)

    later = (start + timedelta(minutes=10)).isoformat()
    clock = ran.json()["clock"]
    assert (clock["mode"], clock["time"]) == ("SIMULATED", later)
    assert (clock["scenario"], clock["scenario_elapsed"], ran.json()["advanced"]["steps"]) == (
        "flash-crash",
        "PT600S",
        600,  # one feed step a second
    )
    assert "calm" in text.out and later in text.out  # a second load starts where the clock stands


async def test_advancing_a_wall_clock_is_refused_before_the_market_changes(live: LiveExchange) -> None:
    assert live.admin is not None
    before = await live.admin.clock()

    result = await cli(live, "scenario", "run", "calm", "--advance", "1m", admin=True)

    assert result.code == 1 and result.err.startswith("paperex: CLOCK_NOT_SIMULATED: ")
    assert (await live.admin.clock()).scenario == before.scenario == ""  # no scenario was loaded


async def test_ledger_shows_the_terms_and_that_money_is_conserved(live: LiveExchange) -> None:
    """Deposits 100,000 (maker) + 1,000 (trader) = 101,000. One 0.1 BTC trade at 64,900 (notional 6,490):
    maker fee 0.02% = 1.298, taker fee 0.05% = 3.245, fees 4.543, wallets 101,000 - 4.543 = 100,995.457;
    the long owes its 6,490 and the short is owed 6,490: open positions 0."""
    await long_position(live)

    shown = await ok(live, "ledger", admin=True)
    document = (await ok(live, "ledger", "--json", admin=True)).json()

    lines = shown.out.splitlines()
    assert lines[-1] == "money conserved: yes (money in system = net deposits + insurance contributions)"
    assert {" ".join(line.split()) for line in lines} >= {
        "net deposits 101000 USDT",
        "insurance contributions 0 USDT",
        "wallets 100995.457 USDT",
        "fees collected 4.543 USDT",
        "open positions 0 USDT",
        "money in system 101000 USDT",
        "imbalance 0 USDT",
    }
    ledger = document["ledger"]
    assert (ledger["net_deposits"], ledger["wallets"], ledger["fees_collected"]) == ("101000", "100995.457", "4.543")
    assert (ledger["insurance_fund"], ledger["money_in_system"], ledger["imbalance"]) == ("0", "101000", "0")
    assert document["conserved"] is True


async def test_ledger_exits_5_when_money_is_not_conserved(live: LiveExchange) -> None:
    """A bug simulated inside the server: 0.5 USDT of fees counted (in the read model the ledger is kept
    in) that no wallet paid."""
    assert live.server is not None
    await new_account(live, "alice", "1000")
    live.server.sequencer.exchange.results.funds.fees_collected += 50_000_000  # 0.5 in the engine's 1e-8 units

    result = await cli(live, "ledger", admin=True)

    assert result.code == 5
    assert result.out.splitlines()[-1] == "money conserved: NO, imbalance 0.5 USDT (a bug in the exchange)"
    assert result.err.startswith("paperex: money is not conserved: imbalance 0.5 USDT at sequence ")


def test_ledger_needs_the_admin_token() -> None:
    result = run_cli(["ledger", "--target", "127.0.0.1:1"])

    assert result.code == 4 and "PAPEREX_ADMIN_TOKEN" in result.err


@pytest.mark.parametrize("module", [arguments, render])
def test_the_examples_in_the_docstrings_hold(module: ModuleType) -> None:
    assert doctest.testmod(module).failed == 0


def test_server_command_lines_are_handed_to_the_server() -> None:
    assert is_server_command([]) and is_server_command(["serve", "--port", "0"]) and is_server_command(["demo"])
    assert not is_server_command(["book", BTC]) and not is_server_command(["--help"])
    assert is_server_command(["--port", "50052", "--clock", "simulated"])  # options alone: serve, as before
    assert server_command(["serve", "--port", "0"])[1:] == ["-P", "-m", "paperex.server", "serve", "--port", "0"]
