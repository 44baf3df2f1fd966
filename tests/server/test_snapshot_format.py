"""Snapshots in the explicit format (``persistence.snapshot_format`` with ``core.snapshot_schema``): a rich
state comes back with the same state hash and the same future, shared objects stay shared, a state the
schema does not describe fails when it is written, damaged bytes or another format are refused, and
recovery replays the journal instead of a snapshot it does not load. One test loads a snapshot written
here into a build of the engine compiled by mypyc."""

import json
import pickle
import shutil
import subprocess
import sys
import sysconfig
import zlib
from pathlib import Path
from typing import Any

import pytest

from loadtest.bench_engine import build_mypyc
from paperex.engine.accounts import HEDGE, MarginMode
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    AmendOrder,
    CancelOrder,
    Deposit,
    FundInsurance,
    PlaceOrder,
    SetAssetMode,
    SetIndexPrice,
    SetLeverage,
    SetMarginMode,
    SetMarkPrice,
    SetPositionMode,
    Withdraw,
)
from paperex.engine.events import serialize
from paperex.engine.instruments import DEFAULT_INSTRUMENTS
from paperex.engine.orders import OrderType, PositionSide, Side, TimeInForce, TriggerBy
from paperex.server.core.exchange import Exchange
from paperex.server.core.exchange_commands import (
    CreatePriceAlert,
    LoadScenario,
    MarketStep,
    OpenAccount,
    RotateApiKey,
    SetFaults,
    SetLiquidityProvider,
    SetTakerFlow,
)
from paperex.server.core.results import Results
from paperex.server.core.sequencer import recover, snapshot_of
from paperex.server.core.snapshot_schema import SCHEMA, decode_exchange, encode_exchange
from paperex.server.core.state_hash import part_hash
from paperex.server.core.tape import ExchangeCommand, encode
from paperex.server.persistence.journal import Durability, Journal, Snapshot
from paperex.server.persistence.snapshot_format import FORMAT_VERSION, OtherFormatError, SnapshotFormatError
from paperex.server.state.alerts import Direction
from tests.server.test_recovery import REPO, server_env

NS = 10**9
USDT = 10**8
BTC = "BTCUSDT"
START_NS = 1_767_225_600 * NS


def order(account_id: int, side: Side, kind: OrderType, lots: int, **extra: Any) -> PlaceOrder:
    return PlaceOrder(account_id=account_id, symbol=BTC, side=side, order_type=kind, quantity=lots, **extra)


class Script:
    """Applies commands to an exchange one second apart (a simulated step moves time to its own)."""

    def __init__(self) -> None:
        self.exchange = Exchange(DEFAULT_INSTRUMENTS)
        self.tape: list[ExchangeCommand] = []

    def apply(self, *commands: ExchangeCommand) -> None:
        for command in commands:
            command.ts = max(self.exchange.now, START_NS) + NS
            self.exchange.apply(command)
            self.tape.append(command)

    def steps(self, count: int, every_ns: int = NS) -> None:
        for _ in range(count):
            self.apply(MarketStep(at=max(self.exchange.now, START_NS) + every_ns))


def rich_state() -> Script:
    """The calm scenario with the liquidity provider and the taker flow; a hedge-mode account long 0.020
    and short 0.010 BTC with a stop on its long leg; a Multi-Assets account holding 0.5 BTC, long 0.030 BTC
    with a trailing stop (5%) and a take-profit on the last price; an isolated short with margin added,
    a GTD bid, an amended and a canceled order and a withdrawal; a 50 USDT account at 100x long 0.040 BTC,
    liquidated when the index is set 3% lower; price alerts, a fault plan, a rotated key, an insurance
    top-up; then two minutes of steps and a jump of eight hours (a funding settlement)."""
    script = Script()
    script.apply(LoadScenario(name="calm", seed=7), SetLiquidityProvider(enabled=True), SetTakerFlow(enabled=True))
    script.steps(30)
    script.apply(
        OpenAccount(name="hedger", key_hash="h", deposit=50_000 * USDT),
        OpenAccount(name="multi", key_hash="m", deposit=20_000 * USDT),
        OpenAccount(name="isolated", key_hash="i", deposit=10_000 * USDT),
        OpenAccount(name="doomed", key_hash="d", deposit=50 * USDT),
    )
    exchange = script.exchange
    hedger, multi, isolated, doomed = (exchange.account_by_key[key] for key in "hmid")
    mark = exchange.engine.markets[BTC].mark_price
    script.apply(
        SetPositionMode(account_id=hedger, mode=HEDGE),
        order(hedger, Side.BUY, OrderType.MARKET, 20, position_side=PositionSide.LONG),
        order(hedger, Side.SELL, OrderType.MARKET, 10, position_side=PositionSide.SHORT),
        order(hedger, Side.SELL, OrderType.STOP_MARKET, 20, stop_price=mark - 50_000, position_side=PositionSide.LONG),
        SetAssetMode(account_id=multi, multi_assets=True),
        Deposit(account_id=multi, amount=USDT // 2, asset="BTC"),
        order(multi, Side.BUY, OrderType.MARKET, 30),
        order(multi, Side.SELL, OrderType.TRAILING_STOP_MARKET, 30, callback_bps=500, reduce_only=True),
        order(
            multi,
            Side.SELL,
            OrderType.TAKE_PROFIT_LIMIT,
            30,
            price=mark + 30_000,
            stop_price=mark + 30_000,
            trigger_by=TriggerBy.LAST,
            reduce_only=True,
        ),
        SetMarginMode(account_id=isolated, symbol=BTC, mode=MarginMode.ISOLATED),
        SetLeverage(account_id=isolated, symbol=BTC, leverage=10),
        order(isolated, Side.SELL, OrderType.MARKET, 40),
        AdjustIsolatedMargin(account_id=isolated, symbol=BTC, amount=100 * USDT),
        order(
            isolated,
            Side.BUY,
            OrderType.LIMIT,
            5,
            price=mark - 20_000,
            client_order_id="gtd",
            time_in_force=TimeInForce.GTD,
            expire_at=START_NS + 24 * 3_600 * NS,
        ),
        order(isolated, Side.BUY, OrderType.LIMIT, 7, price=mark - 30_000, client_order_id="amended"),
        AmendOrder(account_id=isolated, symbol=BTC, client_order_id="amended", quantity=6),
        order(isolated, Side.BUY, OrderType.LIMIT, 3, price=mark - 40_000, client_order_id="canceled"),
        CancelOrder(account_id=isolated, symbol=BTC, client_order_id="canceled"),
        Withdraw(account_id=isolated, amount=10 * USDT),
        SetLeverage(account_id=doomed, symbol=BTC, leverage=100),
        order(doomed, Side.BUY, OrderType.MARKET, 40),
        CreatePriceAlert(
            account_id=hedger,
            symbol=BTC,
            source=TriggerBy.MARK,
            direction=Direction.CROSSES_BELOW,
            price=mark - 1_000,
            repeating=True,
            note="dip",
        ),
        CreatePriceAlert(
            account_id=multi, symbol=BTC, source=TriggerBy.LAST, direction=Direction.CROSSES_ABOVE, price=2 * mark
        ),
        SetFaults(account_id=multi, config='profile = "binance"\nunavailable = 0.1'),
        RotateApiKey(account_id=hedger, key_hash="h2", api_secret="secret"),
        FundInsurance(symbol=BTC, amount=1_000 * USDT),
        SetIndexPrice(symbol=BTC, price=mark * 97 // 100),
    )
    script.steps(120)
    script.steps(1, every_ns=8 * 3_600 * NS)
    script.steps(10)
    return script


def future(script: Script) -> list[list[str]]:
    """A minute more of the market, an order on each side and a mark move: each command's events."""
    exchange = script.exchange
    mark = exchange.engine.markets[BTC].mark_price
    trader = exchange.account_by_key["i"]
    outcomes = []
    for command in [
        order(trader, Side.BUY, OrderType.MARKET, 2),
        order(trader, Side.SELL, OrderType.LIMIT, 4, price=mark + 5_000),
        SetMarkPrice(symbol=BTC, price=mark + 100),
        *[MarketStep() for _ in range(60)],
    ]:
        command.ts = max(exchange.now, START_NS) + NS
        outcomes.append([serialize(event) for event in exchange.apply(command).events])
    return outcomes


def copied(script: Script) -> Script:
    copy = Script()
    copy.exchange = decode_exchange(encode_exchange(script.exchange))
    return copy


@pytest.fixture(scope="module")
def rich() -> bytes:
    """The rich state's snapshot bytes (each test decodes its own copy)."""
    return encode_exchange(rich_state().exchange)


def test_every_part_of_the_rich_state_is_in_use() -> None:
    """Each read model, the market script and the engine differ from an empty exchange's: the round trips
    below cover all of them. The engine holds conditional orders (trailing included), hedge legs, a
    Multi-Assets account and a liquidated one."""
    exchange, empty = rich_state().exchange, Exchange(DEFAULT_INSTRUMENTS)
    stored = SCHEMA.kinds[Results].fields  # every attribute, whichever build (a compiled class has no vars())
    unused = [
        name
        for name in stored
        if name != "instruments"
        and part_hash(exchange, getattr(exchange.results, name)) == part_hash(empty, getattr(empty.results, name))
    ]
    assert unused == []
    assert part_hash(exchange, exchange.market) != part_hash(empty, empty.market)
    state = exchange.engine.state
    kinds = {order.order_type for market in state.market_list for order in market.triggers.orders.values()}
    assert {OrderType.STOP_MARKET, OrderType.TRAILING_STOP_MARKET, OrderType.TAKE_PROFIT_LIMIT} <= kinds
    assert any(account.short_legs for account in state.accounts.values())
    assert state.multi_assets and exchange.liquidations._accounts


def test_a_rich_state_comes_back_with_its_hash_and_its_future() -> None:
    """The copy hashes as the original; the same commands then give the same events and the same hash in
    both; and the copy is its own state: the original moving on leaves the copy's hash where it was."""
    original = rich_state()
    copy = copied(original)
    at_snapshot = original.exchange.state_hash()
    assert copy.exchange.state_hash() == at_snapshot

    assert future(copy) == future(original)
    assert copy.exchange.state_hash() == original.exchange.state_hash() != at_snapshot
    assert copied(original).exchange.state_hash() == original.exchange.state_hash()


def test_an_object_referenced_from_several_places_comes_back_as_one(rich: bytes) -> None:
    """A resting order is one object in its book level, the book's index, the open orders and the
    account's orders; the instrument table is one dict for the exchange, the read models and the script."""
    exchange = decode_exchange(rich)
    state = exchange.engine.state
    book = state.markets[BTC].book
    level = book.bids.best()
    assert level is not None and level.head is not None
    resting = level.head
    assert book.orders[resting.order_id] is resting is state.orders[resting.order_id]
    assert state.account_orders[(resting.account_id, BTC)][resting.order_id] is resting
    assert exchange.instruments is exchange.results.instruments is exchange.market.instruments
    assert exchange.engine.markets is state.markets  # the engine's jobs are built around the loaded state


def test_a_state_the_schema_does_not_describe_fails_when_written() -> None:
    """An unknown type anywhere, or an attribute a stored class does not list, stops the snapshot."""

    class Unknown:
        pass

    exchange = Exchange(DEFAULT_INSTRUMENTS)
    exchange.results.prices.index[BTC] = Unknown()  # type: ignore[assignment]
    with pytest.raises(SnapshotFormatError, match=r"does not know .*Unknown"):
        encode_exchange(exchange)

    exchange = Exchange(DEFAULT_INSTRUMENTS)
    exchange.market.surplus = 1  # type: ignore[attr-defined]  (a class the compiled build compiles takes none)
    with pytest.raises(SnapshotFormatError, match=r"a MarketScript holds \['surplus'\]"):
        encode_exchange(exchange)


def test_damaged_bytes_are_refused(rich: bytes) -> None:
    header, _, body = rich.partition(b"\n")
    with pytest.raises(SnapshotFormatError, match="does not decode"):
        decode_exchange(header + b"\n" + body[: len(body) // 2])
    with pytest.raises(SnapshotFormatError, match="does not decode"):
        decode_exchange(header + b"\n" + body[:100] + bytes([body[100] ^ 0xFF]) + body[101:])


def test_a_pickle_or_another_format_version_is_not_loaded(rich: bytes) -> None:
    _, _, body = rich.partition(b"\n")
    with pytest.raises(OtherFormatError, match="not a paperex snapshot"):
        decode_exchange(pickle.dumps(Exchange(DEFAULT_INSTRUMENTS)))
    with pytest.raises(OtherFormatError, match=f"version {FORMAT_VERSION + 1}; this build reads version 1"):
        decode_exchange(f"paperex-snapshot {FORMAT_VERSION + 1}\n".encode() + body)


def test_a_class_stored_with_other_fields_is_refused() -> None:
    """A snapshot written when a class stored other fields (a field added or removed since, in the same
    format version) is refused rather than misread."""
    header, _, body = encode_exchange(Exchange(DEFAULT_INSTRUMENTS)).partition(b"\n")
    document = json.loads(zlib.decompress(body))
    for entry in document["types"]:
        if entry[0] == "Funds":
            entry[1] = entry[1][:-1]
    changed = header + b"\n" + zlib.compress(json.dumps(document).encode())
    with pytest.raises(SnapshotFormatError, match="stores a Funds as"):
        decode_exchange(changed)


# ---------------------------------------------------------------------------------------------- recovery


def journal_of(tmp_path: Path, script: Script) -> Journal:
    journal = Journal(tmp_path / "journal.db", Durability.OFF)
    journal.append([(sequence, encode(command)) for sequence, command in enumerate(script.tape, start=1)])
    return journal


def small_state() -> Script:
    script = Script()
    script.apply(
        SetMarkPrice(symbol=BTC, price=649_000),
        OpenAccount(name="maker", key_hash="m", deposit=10_000 * USDT),
        OpenAccount(name="taker", key_hash="t", deposit=10_000 * USDT),
        order(1, Side.SELL, OrderType.LIMIT, 10, price=649_000),
        order(2, Side.BUY, OrderType.MARKET, 4),
    )
    return script


def test_recovery_loads_a_snapshot_of_this_format(tmp_path: Path) -> None:
    script = small_state()
    journal = journal_of(tmp_path, script)

    def no_snapshot() -> Exchange:
        raise AssertionError("recovery passed over the snapshot")

    try:
        assert journal.save_snapshot(snapshot_of(script.exchange), journal.epoch)
        assert recover(journal, no_snapshot).state_hash() == script.exchange.state_hash()
    finally:
        journal.close()


@pytest.mark.parametrize("written_by", ["pickle", "a later format"])
def test_recovery_replays_the_journal_past_a_snapshot_it_does_not_load(tmp_path: Path, written_by: str) -> None:
    """A snapshot in the pickle of earlier paperex versions, or in another format version, is passed over:
    recovery starts from an empty exchange and replays every command, to the same state."""
    script = small_state()
    exchange = script.exchange
    state = (
        pickle.dumps(exchange, protocol=5)
        if written_by == "pickle"
        else encode_exchange(exchange).replace(b"snapshot 1\n", b"snapshot 99\n", 1)
    )
    journal = journal_of(tmp_path, script)
    started_empty = []

    def fresh() -> Exchange:
        started_empty.append(True)
        return Exchange(DEFAULT_INSTRUMENTS)

    try:
        snapshot = Snapshot(exchange.sequence, exchange.state_hash(), exchange.now, state)
        assert journal.save_snapshot(snapshot, journal.epoch)
        assert recover(journal, fresh).state_hash() == exchange.state_hash()
    finally:
        journal.close()
    assert started_empty == [True]


# ---------------------------------------------------------------------------------------------- builds

LOAD_COMPILED = """
import json, sys
from pathlib import Path

import paperex

build, snapshot, written = sys.argv[1:]
sys.path.append(build)  # the build's shared mypyc runtime module
paperex.__path__.insert(0, f"{build}/paperex")  # its compiled engine and results stage ahead of the sources

import paperex.engine.engine
import paperex.server.core.results
from paperex.server.core.exchange_commands import MarketStep
from paperex.server.core.snapshot_schema import decode_exchange, encode_exchange

exchange = decode_exchange(Path(snapshot).read_bytes())
loaded = exchange.state_hash()
for second in range(1, 61):
    step = MarketStep(at=exchange.now + 10**9)
    step.ts = exchange.now + 10**9
    exchange.apply(step)
Path(written).write_bytes(encode_exchange(exchange))
print(json.dumps([paperex.engine.engine.__file__, paperex.server.core.results.__file__, loaded, exchange.state_hash()]))
"""
"""Loads the snapshot ``argv[2]`` into the mypyc build at ``argv[1]``, steps the market a minute and writes
its own snapshot to ``argv[3]``: prints the engine's and the results stage's module files and the state
hashes after loading and after the steps."""


def c_compiler() -> str | None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler)


@pytest.mark.slow  # mypyc compiles the engine and the results stage: minutes on a busy 2-core machine
@pytest.mark.skipif(c_compiler() is None, reason="no C compiler: the engine cannot be compiled with mypyc here")
def test_a_snapshot_written_here_loads_into_a_mypyc_build_of_the_engine(tmp_path: Path) -> None:
    """The interpreted build writes the rich state; a build compiled by mypyc (the engine and the results
    stage with its read models) loads it with the same state hash, a minute more of the market reaches the
    same hash in both builds, and the snapshot the compiled build then writes loads here with that hash."""
    pytest.importorskip("mypyc")
    build_mypyc(tmp_path / "build")
    script = rich_state()
    snapshot = tmp_path / "rich.snapshot"
    snapshot.write_bytes(encode_exchange(script.exchange))
    loaded = script.exchange.state_hash()
    for _ in range(60):
        script.apply(MarketStep(at=script.exchange.now + NS))
    done = subprocess.run(  # noqa: PLW1510 (the return code is asserted with the output)
        [sys.executable, "-c", LOAD_COMPILED, str(tmp_path / "build"), str(snapshot), str(tmp_path / "compiled")],
        cwd=REPO,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    engine_file, results_file, compiled_loaded, compiled_later = json.loads(done.stdout)
    for module_file in (engine_file, results_file):
        assert module_file.endswith(".so") and module_file.startswith(str(tmp_path))
    assert (compiled_loaded, compiled_later) == (loaded, script.exchange.state_hash())
    assert decode_exchange((tmp_path / "compiled").read_bytes()).state_hash() == compiled_later
