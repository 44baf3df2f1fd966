"""The error model from the wire: every reason code a caller can provoke, with its gRPC status, its
ErrorInfo (reason, domain "paperex", metadata) and BadRequest/RetryInfo where the proto promises them.

A refused command changes nothing, so each table case reads the engine's state hash before and after.
The hash covers the engine's clock and every command is stamped with the server clock's time, so the
table runs on a server whose clock stands still: only the command itself could then move the hash.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2

from paperex.engine.reasons import RejectReason
from paperex.server.core.admission import Limits
from paperex.server.grpc_api.app import ExchangeServer
from paperex.server.grpc_api.status import REASON_TO_STATUS
from paperex.v1 import (
    account_pb2,
    admin_pb2,
    common_pb2,
    errors_pb2,
    market_data_pb2,
    market_data_pb2_grpc,
    trading_pb2,
)
from tests.server.conftest import ADMIN_TOKEN, Client, Exchange, config, error_info, retry_info, rich_status

HANG_GUARD = 10.0
"""Seconds before a stream read is declared hung (a guard, not a timing assertion)."""

START_NS = 1_700_000_000 * 10**9
"""The standing clock: 2023-11-14T22:13:20Z."""

BTC = "BTCUSDT"
ETH = "ETHUSDT"
BUY, SELL = common_pb2.SIDE_BUY, common_pb2.SIDE_SELL
LIMIT, MARKET = common_pb2.ORDER_TYPE_LIMIT, common_pb2.ORDER_TYPE_MARKET
STOP_MARKET = common_pb2.ORDER_TYPE_STOP_MARKET

INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
NOT_FOUND = grpc.StatusCode.NOT_FOUND
ALREADY_EXISTS = grpc.StatusCode.ALREADY_EXISTS
RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED

PROTO_REASONS = {
    name.removeprefix("REJECT_REASON_")
    for name in errors_pb2.RejectReason.DESCRIPTOR.values_by_name
    if name != "REJECT_REASON_UNSPECIFIED"
}

UNREACHABLE_FROM_THE_WIRE = {
    "ACCOUNT_IN_LIQUIDATION": "liquidation runs inside one command, so no request can arrive mid-liquidation;"
    " neither the engine nor the server produces it",
    "SHUTTING_DOWN": "only for a command that races the server's stop (grpc refuses new calls first) or"
    " follows an internal fault",
    "INTERNAL": "only for a server bug",
    "JOURNAL_FAILED": "only when the journal cannot be written (disk full, I/O error): test_journal_failure.py",
}


# ---------------------------------------------------------------------------------------------- servers


class StandingClock:
    """A clock that never moves (the server's clock is injectable)."""

    def now(self) -> int:
        return START_NS


@contextlib.asynccontextmanager
async def serve(path: Path, clock: StandingClock | None = None, **overrides: object) -> AsyncIterator[Exchange]:
    """A real server like the ``exchange`` fixture's, with a chosen clock and settings."""
    path.mkdir(parents=True, exist_ok=True)
    server = ExchangeServer(config(path, **overrides), clock=clock)
    port = await server.start()
    address = f"127.0.0.1:{port}"
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            yield Exchange(server, address, channel, Client(channel, ADMIN_TOKEN))
    finally:
        await server.stop()


@pytest.fixture
async def standing(tmp_path: Path) -> AsyncIterator[Exchange]:
    """The ``exchange`` fixture's server, on a clock that stands still."""
    async with serve(tmp_path / "standing", StandingClock()) as exchange:
        yield exchange


@pytest.fixture
async def unbudgeted(tmp_path: Path) -> AsyncIterator[Exchange]:
    """``standing`` without the server's command budget, for tests that need thousands of commands."""
    async with serve(tmp_path / "unbudgeted", StandingClock(), limits=Limits(command_rate=0)) as exchange:
        yield exchange


def state_hash(exchange: Exchange) -> str:
    sequencer = exchange.server.sequencer
    assert sequencer is not None
    return sequencer.exchange.engine.state_hash()


async def refused(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    """The error a call fails with; a success, UNKNOWN or INTERNAL fails the test."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL), caught.value.details()
    return caught.value


def bad_request_fields(error: grpc.aio.AioRpcError) -> list[str]:
    fields = []
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [violation.field for violation in bad.field_violations]
    return fields


# ---------------------------------------------------------------------------------------------- (a) the tables


def test_every_proto_reason_has_a_status_code() -> None:
    assert set(REASON_TO_STATUS) == PROTO_REASONS
    assert len(PROTO_REASONS) == len(errors_pb2.RejectReason.DESCRIPTOR.values) - 1


def test_every_engine_reason_is_a_proto_reason() -> None:
    engine_reasons = {reason.value for reason in RejectReason}
    assert engine_reasons <= PROTO_REASONS, engine_reasons - PROTO_REASONS
    assert all(reason.name == reason.value for reason in RejectReason)


def test_status_codes_follow_the_design() -> None:
    """Each family of reasons has its status code; errors.proto documents a few mappings in its comments."""
    allowed = {
        INVALID_ARGUMENT,
        FAILED_PRECONDITION,
        NOT_FOUND,
        ALREADY_EXISTS,
        RESOURCE_EXHAUSTED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAVAILABLE,  # SHUTTING_DOWN
        grpc.StatusCode.INTERNAL,  # INTERNAL only
    }
    assert set(REASON_TO_STATUS.values()) <= allowed
    assert [r for r, code in REASON_TO_STATUS.items() if code == grpc.StatusCode.INTERNAL] == ["INTERNAL"]
    assert REASON_TO_STATUS["CURSOR_EXPIRED"] == FAILED_PRECONDITION  # StreamUserEventsRequest comment
    assert REASON_TO_STATUS["RATE_LIMITED"] == RESOURCE_EXHAUSTED
    assert REASON_TO_STATUS["UNAUTHENTICATED"] == grpc.StatusCode.UNAUTHENTICATED
    assert REASON_TO_STATUS["PERMISSION_DENIED"] == grpc.StatusCode.PERMISSION_DENIED


# ---------------------------------------------------------------------------------------------- (b) the table


@dataclass
class World:
    """Alice (100,000 USDT) on a fresh exchange with marks BTC 64,900 and ETH 1,860; setups add more."""

    exchange: Exchange
    alice: Client
    alice_id: int
    clients: dict[str, Client] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def create(cls, exchange: Exchange) -> "World":
        alice = await exchange.open_account("alice")
        summary = await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)
        await exchange.set_mark(BTC, "64900")
        await exchange.set_mark(ETH, "1860")
        return cls(exchange, alice, summary.account.account_id)

    async def place(self, **fields: Any) -> int:
        reply = await self.alice.trading.PlaceOrder(order(**fields), metadata=self.alice.auth)
        return reply.order.order_id


def order(**fields: Any) -> trading_pb2.PlaceOrderRequest:
    """A valid limit buy of 0.010 BTC at 64,000 (notional 640), with ``fields`` changed."""
    values: dict[str, Any] = {
        "symbol": BTC,
        "side": BUY,
        "order_type": LIMIT,
        "quantity": "0.010",
        "price": "64000.0",
    }
    values.update(fields)
    return trading_pb2.PlaceOrderRequest(**{k: v for k, v in values.items() if v is not None})


Act = Callable[[World], Awaitable[Any]]


def place(**fields: Any) -> Act:
    return lambda w: w.alice.trading.PlaceOrder(order(**fields), metadata=w.alice.auth)


def amend(key: str = "bid", **fields: Any) -> Act:
    return lambda w: w.alice.trading.AmendOrder(
        trading_pb2.AmendOrderRequest(symbol=BTC, order_id=w.ids[key], **fields), metadata=w.alice.auth
    )


def set_leverage(leverage: int, symbol: str = BTC) -> Act:
    return lambda w: w.alice.account.SetLeverage(
        account_pb2.SetLeverageRequest(symbol=symbol, leverage=leverage), metadata=w.alice.auth
    )


def set_margin_mode(mode: int) -> Act:
    return lambda w: w.alice.account.SetMarginMode(
        account_pb2.SetMarginModeRequest(symbol=BTC, margin_mode=mode), metadata=w.alice.auth
    )


def set_position_mode(mode: int) -> Act:
    return lambda w: w.alice.account.SetPositionMode(
        account_pb2.SetPositionModeRequest(position_mode=mode), metadata=w.alice.auth
    )


def set_asset_mode(multi_assets: bool) -> Act:
    return lambda w: w.alice.account.SetAssetMode(
        account_pb2.SetAssetModeRequest(multi_assets_mode=multi_assets), metadata=w.alice.auth
    )


async def multi_assets(w: World) -> None:
    """Alice switches to Multi-Assets mode."""
    await set_asset_mode(True)(w)


def adjust(adjustment: int, amount: str) -> Act:
    return lambda w: w.alice.account.AdjustIsolatedMargin(
        account_pb2.AdjustIsolatedMarginRequest(symbol=BTC, adjustment=adjustment, amount=amount),
        metadata=w.alice.auth,
    )


def deposit(amount: str, account_id: int | None = None, asset: str = "") -> Act:
    return lambda w: w.exchange.admin.admin.Deposit(
        admin_pb2.DepositRequest(
            account_id=w.alice_id if account_id is None else account_id, amount=amount, asset=asset
        ),
        metadata=w.exchange.admin.auth,
    )


def withdraw(amount: str, account_id: int | None = None) -> Act:
    return lambda w: w.exchange.admin.admin.Withdraw(
        admin_pb2.WithdrawRequest(account_id=w.alice_id if account_id is None else account_id, amount=amount),
        metadata=w.exchange.admin.auth,
    )


def admin_call(method: str, request: Any) -> Act:
    return lambda w: getattr(w.exchange.admin.admin, method)(request, metadata=w.exchange.admin.auth)


def trading_call(method: str, request: Any) -> Act:
    return lambda w: getattr(w.alice.trading, method)(request, metadata=w.alice.auth)


def at(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


NOW_SECONDS = START_NS // 10**9

# ---- setups


async def resting_bid(w: World) -> None:
    """Alice bids 0.010 BTC at 64,000 (id "bid")."""
    w.ids["bid"] = await w.place(client_order_id="bid-1")


async def big_resting_bid(w: World) -> None:
    """Alice bids 1.000 BTC at 64,000: notional 64,000, above the 50,000 cap of 125x."""
    w.ids["bid"] = await w.place(quantity="1.000")


async def waiting_stop(w: World) -> None:
    """Alice's sell stop at 60,000 waits for the mark (64,900) to fall (id "stop")."""
    w.ids["stop"] = await w.place(order_type=STOP_MARKET, side=SELL, price=None, stop_price="60000.0")


async def carol_asks(w: World) -> None:
    """Carol rests 0.100 BTC for sale at 64,900 (the mark)."""
    carol = w.clients["carol"] = await w.exchange.open_account("carol")
    await carol.trading.PlaceOrder(order(side=SELL, quantity="0.100", price="64900.0"), metadata=carol.auth)


async def long_position(w: World) -> None:
    """Alice buys 0.010 BTC from Carol at 64,900."""
    await carol_asks(w)
    await w.place(order_type=MARKET, price=None)


async def hedge_mode(w: World) -> None:
    """Alice trades in hedge mode."""
    await set_position_mode(common_pb2.POSITION_MODE_HEDGE)(w)


async def hedged_long(w: World) -> None:
    """Alice, in hedge mode, buys 0.010 BTC from Carol at 64,900 into her LONG leg."""
    await hedge_mode(w)
    await carol_asks(w)
    await w.place(order_type=MARKET, price=None, position_side=common_pb2.POSITION_SIDE_LONG)


async def isolated_long(w: World) -> None:
    """Alice switches BTC to isolated and buys 0.100 at 64,900: IM 6,490 / 20 = 324.5 moves into the
    position and pays the taker fee 3.245, leaving 321.255 < IM, so nothing can be removed
    (removable = min(wallet - MM, wallet + uPnL - IM) < 0 at the entry mark)."""
    await set_margin_mode(common_pb2.MARGIN_MODE_ISOLATED)(w)
    await carol_asks(w)
    await w.place(order_type=MARKET, price=None, quantity="0.100")


async def poor_account(w: World) -> None:
    w.clients["poor"] = await w.exchange.open_account("poor", deposit="10")


async def at_max_leverage(w: World) -> None:
    await set_leverage(125)(w)


async def cancel_bid(w: World) -> None:
    await resting_bid(w)
    await w.alice.trading.CancelOrder(
        trading_pb2.CancelOrderRequest(symbol=BTC, order_id=w.ids["bid"]), metadata=w.alice.auth
    )


async def two_hundred_bids(w: World) -> None:
    """Alice fills her 200 open-order slots in BTCUSDT with bids of 0.010 BTC at 64,000.0 .. 63,980.1."""
    for step in range(200):
        await w.place(price=f"{64000 - step / 10:.1f}")


def alert_request(price: str) -> account_pb2.CreatePriceAlertRequest:
    return account_pb2.CreatePriceAlertRequest(
        symbol=BTC, direction=account_pb2.ALERT_DIRECTION_CROSSES_ABOVE, price=price
    )


async def a_hundred_alerts(w: World) -> None:
    """Alice sets the maximum of 100 price alerts (70,000.1 .. 70,010.0)."""
    for step in range(1, 101):
        await w.alice.account.CreatePriceAlert(alert_request(f"{70000 + step / 10:.1f}"), metadata=w.alice.auth)


async def both(w: World, *setups: Callable[[World], Awaitable[None]]) -> None:
    for setup in setups:
        await setup(w)


# ---- the cases


@dataclass(frozen=True)
class Case:
    """One refusal: what to set up, the call, and what the caller must see."""

    label: str
    act: Act
    code: grpc.StatusCode
    reason: str
    bad_field: str = ""
    """BadRequest field (wire errors), also in ErrorInfo.metadata["field"]."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    setup: Callable[[World], Awaitable[None]] | None = None


def wire(
    label: str,
    act: Act,
    reason: str,
    field_name: str,
    setup: Callable[[World], Awaitable[None]] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Case:
    """Malformed input refused at the edge (INVALID_ARGUMENT) with the field named."""
    return Case(label, act, INVALID_ARGUMENT, reason, field_name, metadata or {}, setup)


PAST = at(NOW_SECONDS - 1)
FUTURE = at(NOW_SECONDS + 3600)

CASES = [
    # Lookups.
    Case(
        "PlaceOrder unknown symbol",
        place(symbol="DOGEUSDT"),
        NOT_FOUND,
        "UNKNOWN_SYMBOL",
        metadata={"symbol": "DOGEUSDT"},
    ),
    Case("SetLeverage unknown symbol", set_leverage(10, "DOGEUSDT"), NOT_FOUND, "UNKNOWN_SYMBOL"),
    Case(
        "GetOrderBook unknown symbol",
        lambda w: market_data_pb2_grpc.MarketDataStub(w.exchange.channel).GetOrderBook(
            market_data_pb2.GetOrderBookRequest(symbol="DOGEUSDT")
        ),
        NOT_FOUND,
        "UNKNOWN_SYMBOL",
        metadata={"symbol": "DOGEUSDT"},
    ),
    Case(
        "CancelOrder unknown order_id",
        trading_call("CancelOrder", trading_pb2.CancelOrderRequest(symbol=BTC, order_id=999)),
        NOT_FOUND,
        "UNKNOWN_ORDER",
        metadata={"symbol": BTC, "order_id": "999"},
    ),
    Case(
        "AmendOrder unknown client_order_id",
        trading_call("AmendOrder", trading_pb2.AmendOrderRequest(symbol=BTC, client_order_id="nope", price="64000.0")),
        NOT_FOUND,
        "UNKNOWN_ORDER",
        metadata={"symbol": BTC, "client_order_id": "nope"},
    ),
    Case(
        "GetOrder in another symbol",
        lambda w: w.alice.trading.GetOrder(
            trading_pb2.GetOrderRequest(symbol=ETH, order_id=w.ids["bid"]), metadata=w.alice.auth
        ),
        NOT_FOUND,
        "UNKNOWN_ORDER",
        setup=resting_bid,
    ),
    Case(
        "CancelOrder of a finished order",
        lambda w: w.alice.trading.CancelOrder(
            trading_pb2.CancelOrderRequest(symbol=BTC, order_id=w.ids["bid"]), metadata=w.alice.auth
        ),
        NOT_FOUND,
        "UNKNOWN_ORDER",
        setup=cancel_bid,
    ),
    Case("Deposit to a missing account", deposit("1", 999), NOT_FOUND, "UNKNOWN_ACCOUNT"),
    Case("Withdraw from a missing account", withdraw("1", 999), NOT_FOUND, "UNKNOWN_ACCOUNT"),
    # Price and quantity filters: malformed decimals at the edge.
    *(
        wire(f"price {text!r}", place(price=text), "INVALID_PRICE", "price")
        for text in ("abc", "1e5", "-1", "NaN", "Infinity", "0", " 64000", "64,000", "0x10")
    ),
    wire(
        "stop_price 'abc'", place(order_type=STOP_MARKET, price=None, stop_price="abc"), "INVALID_PRICE", "stop_price"
    ),
    Case("LIMIT without a price", place(price=None), INVALID_ARGUMENT, "INVALID_PRICE", metadata={"symbol": BTC}),
    *(
        wire(f"quantity {text!r}", place(quantity=text), "INVALID_QUANTITY", "quantity")
        for text in ("0", "-0.010", "abc", "1e-2")
    ),
    # Off the grid: the nearest prices on the 0.1 (ETH 0.01) tick and quantities on the 0.001 lot either side.
    wire(
        "price off the 0.1 tick",
        place(price="64000.05"),
        "INVALID_TICK",
        "price",
        metadata={
            "symbol": BTC,
            "price": "64000.05",
            "tick_size": "0.1",
            "price_below": "64000.0",
            "price_above": "64000.1",
        },
    ),
    wire(
        "ETH price off the 0.01 tick",
        place(symbol=ETH, price="1860.005", quantity="0.100"),
        "INVALID_TICK",
        "price",
        metadata={"tick_size": "0.01", "price_below": "1860.00", "price_above": "1860.01"},
    ),
    wire("amend price off the tick", amend(price="64000.05"), "INVALID_TICK", "price", resting_bid),
    # 556.75 is below min_price 556.8 as well: both neighbours are the nearest price inside the filter.
    wire(
        "price off the tick below min_price",
        place(price="556.75"),
        "INVALID_TICK",
        "price",
        metadata={"price_below": "556.8", "price_above": "556.8"},
    ),
    wire(
        "quantity off the 0.001 lot",
        place(quantity="0.0105"),
        "INVALID_LOT",
        "quantity",
        metadata={"quantity": "0.0105", "lot_size": "0.001", "quantity_below": "0.010", "quantity_above": "0.011"},
    ),
    wire(
        "price below min_price 556.8",
        place(price="556.7"),
        "PRICE_OUT_OF_BOUNDS",
        "price",
        metadata={"price": "556.7", "min_price": "556.8", "max_price": "4529764.0"},
    ),
    wire("price above max_price", place(price="4529764.1"), "PRICE_OUT_OF_BOUNDS", "price"),
    wire(
        "stop_price below min_price",
        place(order_type=STOP_MARKET, price=None, stop_price="556.7"),
        "PRICE_OUT_OF_BOUNDS",
        "stop_price",
    ),
    wire(
        "quantity above max_qty 1000",
        place(quantity="1000.001"),
        "QUANTITY_OUT_OF_BOUNDS",
        "quantity",
        metadata={"quantity": "1000.001", "min_quantity": "0.001", "max_quantity": "1000.000"},
    ),
    # The market order's own maximum, 120, is the one it is held to.
    Case(
        "MARKET above max_market_qty 120",
        place(order_type=MARKET, price=None, quantity="120.001"),
        INVALID_ARGUMENT,
        "QUANTITY_OUT_OF_BOUNDS",
        metadata={"symbol": BTC, "quantity": "120.001", "min_quantity": "0.001", "max_quantity": "120.000"},
    ),
    # 0.001 x 64,000 = 64 < 100; at the mark 0.001 x 64,900 = 64.9 < 100.
    Case(
        "LIMIT notional 64",
        place(quantity="0.001"),
        INVALID_ARGUMENT,
        "MIN_NOTIONAL",
        metadata={"symbol": BTC, "notional": "64", "min_notional": "100"},
    ),
    Case(
        "MARKET notional 64.9",
        place(order_type=MARKET, price=None, quantity="0.001"),
        INVALID_ARGUMENT,
        "MIN_NOTIONAL",
        metadata={"notional": "64.9", "min_notional": "100"},
    ),
    Case("amend to notional 64", amend(quantity="0.001"), INVALID_ARGUMENT, "MIN_NOTIONAL", setup=resting_bid),
    # Band 5% around the mark 64,900: buys up to 68,145.0, sells down to 61,655.0.
    Case(
        "buy above the band",
        place(price="68145.1"),
        FAILED_PRECONDITION,
        "PRICE_OUT_OF_BAND",
        metadata={
            "price": "68145.1",
            "lowest_price": "61655.0",
            "highest_price": "68145.0",
            "reference_price": "64900.0",
        },
    ),
    Case("sell below the band", place(side=SELL, price="61654.9"), FAILED_PRECONDITION, "PRICE_OUT_OF_BAND"),
    Case("amend above the band", amend(price="68145.1"), FAILED_PRECONDITION, "PRICE_OUT_OF_BAND", setup=resting_bid),
    # Order parameters.
    Case("MARKET with a price", place(order_type=MARKET), INVALID_ARGUMENT, "INVALID_ORDER_PARAMETERS"),
    Case(
        "STOP_MARKET without stop_price",
        place(order_type=STOP_MARKET, price=None),
        INVALID_ARGUMENT,
        "INVALID_ORDER_PARAMETERS",
    ),
    Case("LIMIT with callback_bps", place(callback_bps=100), INVALID_ARGUMENT, "INVALID_ORDER_PARAMETERS"),
    Case(
        "close_position on a LIMIT",
        place(quantity="", close_position=True),
        INVALID_ARGUMENT,
        "INVALID_ORDER_PARAMETERS",
    ),
    Case(
        "MARKET FOK",
        place(order_type=MARKET, price=None, time_in_force=common_pb2.TIME_IN_FORCE_FOK),
        INVALID_ARGUMENT,
        "INVALID_TIME_IN_FORCE",
    ),
    Case(
        "STOP_MARKET GTX",
        place(order_type=STOP_MARKET, price=None, stop_price="66000.0", time_in_force=common_pb2.TIME_IN_FORCE_GTX),
        INVALID_ARGUMENT,
        "INVALID_TIME_IN_FORCE",
    ),
    Case(
        "GTD without expire_time",
        place(time_in_force=common_pb2.TIME_IN_FORCE_GTD),
        INVALID_ARGUMENT,
        "INVALID_EXPIRE_TIME",
    ),
    Case("GTC with expire_time", place(expire_time=FUTURE), INVALID_ARGUMENT, "INVALID_EXPIRE_TIME"),
    Case(
        "GTD expiring in the past",
        place(time_in_force=common_pb2.TIME_IN_FORCE_GTD, expire_time=PAST),
        INVALID_ARGUMENT,
        "INVALID_EXPIRE_TIME",
    ),
    *(
        Case(
            f"trailing callback {bps} bps",
            place(order_type=common_pb2.ORDER_TYPE_TRAILING_STOP_MARKET, side=SELL, price=None, callback_bps=bps),
            INVALID_ARGUMENT,
            "INVALID_CALLBACK_RATE",
        )
        for bps in (9, 1001)
    ),
    # Mark 64,900: a buy stop at 64,000 fires on a rise to 64,000 (already there); a sell take-profit too.
    Case(
        "buy stop below the mark",
        place(order_type=STOP_MARKET, price=None, stop_price="64000.0"),
        FAILED_PRECONDITION,
        "WOULD_IMMEDIATELY_TRIGGER",
    ),
    Case(
        "sell take-profit below the mark",
        place(
            order_type=common_pb2.ORDER_TYPE_TAKE_PROFIT_MARKET,
            side=SELL,
            price=None,
            stop_price="64000.0",
        ),
        FAILED_PRECONDITION,
        "WOULD_IMMEDIATELY_TRIGGER",
    ),
    Case(
        "post-only bid at the ask",
        place(price="64900.0", time_in_force=common_pb2.TIME_IN_FORCE_GTX),
        FAILED_PRECONDITION,
        "POST_ONLY_WOULD_TAKE",
        setup=carol_asks,
    ),
    Case(
        "FOK 0.2 against 0.1",
        place(price="64900.0", quantity="0.200", time_in_force=common_pb2.TIME_IN_FORCE_FOK),
        FAILED_PRECONDITION,
        "FOK_NOT_FILLABLE",
        setup=carol_asks,
    ),
    Case(
        "reduce-only sell while flat",
        place(side=SELL, price="65000.0", reduce_only=True),
        FAILED_PRECONDITION,
        "REDUCE_ONLY_WOULD_INCREASE",
    ),
    Case(
        "reduce-only buy while long",
        place(price="64000.0", reduce_only=True),
        FAILED_PRECONDITION,
        "REDUCE_ONLY_WOULD_INCREASE",
        setup=long_position,
    ),
    Case(
        "reduce-only sell stop while flat",
        place(order_type=STOP_MARKET, side=SELL, price=None, stop_price="60000.0", reduce_only=True),
        FAILED_PRECONDITION,
        "REDUCE_ONLY_WOULD_INCREASE",
    ),
    Case(
        "a different order under an open client_order_id",
        place(quantity="0.020", client_order_id="bid-1"),
        ALREADY_EXISTS,
        "DUPLICATE_CLIENT_ORDER_ID",
        metadata={"symbol": BTC, "client_order_id": "bid-1"},
        setup=resting_bid,
    ),
    Case(
        "amend a waiting stop",
        amend("stop", quantity="0.020"),
        FAILED_PRECONDITION,
        "ORDER_NOT_AMENDABLE",
        setup=waiting_stop,
    ),
    Case(
        "amend to the same values",
        amend(price="64000.0", quantity="0.010"),
        FAILED_PRECONDITION,
        "NOTHING_TO_AMEND",
        setup=resting_bid,
    ),
    Case("amend with nothing", amend(), FAILED_PRECONDITION, "NOTHING_TO_AMEND", setup=resting_bid),
    Case(
        "the 201st open order",
        place(price="63900.0"),
        RESOURCE_EXHAUSTED,
        "TOO_MANY_OPEN_ORDERS",
        metadata={"symbol": BTC, "limit": "200"},
        setup=two_hundred_bids,
    ),
    # Margin: 0.01 x 64,900 = 649; IM 649 / 20 = 32.45; taker fee 0.05% x 649 = 0.3245; open loss 0 at the mark.
    Case(
        "order cost 32.7745 against 10",
        lambda w: w.clients["poor"].trading.PlaceOrder(order(price="64900.0"), metadata=w.clients["poor"].auth),
        FAILED_PRECONDITION,
        "INSUFFICIENT_MARGIN",
        metadata={"symbol": BTC, "required": "32.7745", "available": "10"},
        setup=poor_account,
    ),
    # Market buy priced at Carol's ask 64,900: the same 32.7745.
    Case(
        "market order cost 32.7745 against 10",
        lambda w: w.clients["poor"].trading.PlaceOrder(
            order(order_type=MARKET, price=None), metadata=w.clients["poor"].auth
        ),
        FAILED_PRECONDITION,
        "INSUFFICIENT_MARGIN",
        metadata={"required": "32.7745", "available": "10"},
        setup=lambda w: both(w, poor_account, carol_asks),
    ),
    # 100,000 deposited, nothing held: available and max withdraw 100,000.
    Case(
        "withdraw 1e-8 too much",
        withdraw("100000.00000001"),
        FAILED_PRECONDITION,
        "INSUFFICIENT_BALANCE",
        metadata={"required": "100000.00000001", "available": "100000", "max_withdraw": "100000"},
    ),
    # After isolated_long: 100,000 - the 324.5 moved into the position (which paid the fee) = 99,675.5 available.
    Case(
        "add more isolated margin than available",
        adjust(account_pb2.MARGIN_ADJUSTMENT_ADD, "1000000"),
        FAILED_PRECONDITION,
        "INSUFFICIENT_BALANCE",
        metadata={"symbol": BTC, "required": "1000000", "available": "99675.5"},
        setup=isolated_long,
    ),
    # 125x caps the notional at 50,000 (first bracket); 64,000 is in the second, (50,000, 250,000]: 100x.
    Case(
        "125x with a 64,000 bid",
        set_leverage(125),
        FAILED_PRECONDITION,
        "LEVERAGE_TOO_HIGH",
        metadata={"leverage": "125", "max_leverage": "100", "notional": "64000", "max_notional": "50000"},
        setup=big_resting_bid,
    ),
    Case(
        "64,000 notional at 125x",
        place(quantity="1.000"),
        FAILED_PRECONDITION,
        "POSITION_LIMIT_EXCEEDED",
        metadata={"symbol": BTC, "notional": "64000", "max_notional": "50000", "leverage": "125"},
        setup=at_max_leverage,
    ),
    Case(
        "leverage 126 (max 125)",
        set_leverage(126),
        INVALID_ARGUMENT,
        "INVALID_LEVERAGE",
        metadata={"leverage": "126", "max_leverage": "125"},
    ),
    Case(
        "ETH leverage 101 (max 100)",
        set_leverage(101, ETH),
        INVALID_ARGUMENT,
        "INVALID_LEVERAGE",
        metadata={"symbol": ETH, "leverage": "101", "max_leverage": "100"},
    ),
    Case(
        "isolated with a position",
        set_margin_mode(common_pb2.MARGIN_MODE_ISOLATED),
        FAILED_PRECONDITION,
        "MODE_CHANGE_WITH_OPEN_POSITION",
        setup=long_position,
    ),
    Case(
        "isolated with a resting order",
        set_margin_mode(common_pb2.MARGIN_MODE_ISOLATED),
        FAILED_PRECONDITION,
        "MODE_CHANGE_WITH_OPEN_ORDERS",
        setup=resting_bid,
    ),
    Case(
        "isolated with a waiting stop",
        set_margin_mode(common_pb2.MARGIN_MODE_ISOLATED),
        FAILED_PRECONDITION,
        "MODE_CHANGE_WITH_OPEN_ORDERS",
        setup=waiting_stop,
    ),
    # Position mode.
    Case(
        "hedge mode with a position",
        set_position_mode(common_pb2.POSITION_MODE_HEDGE),
        FAILED_PRECONDITION,
        "POSITION_MODE_CHANGE_WITH_OPEN_POSITION",
        setup=long_position,
    ),
    Case(
        "hedge mode with a resting order",
        set_position_mode(common_pb2.POSITION_MODE_HEDGE),
        FAILED_PRECONDITION,
        "POSITION_MODE_CHANGE_WITH_OPEN_ORDERS",
        setup=resting_bid,
    ),
    Case(
        "one-way mode when already one-way",
        set_position_mode(common_pb2.POSITION_MODE_ONE_WAY),
        FAILED_PRECONDITION,
        "POSITION_MODE_UNCHANGED",
    ),
    Case(
        "an order naming no leg in hedge mode",
        place(),
        FAILED_PRECONDITION,
        "POSITION_SIDE_MISMATCH",
        setup=hedge_mode,
    ),
    Case(
        "an order naming a leg in one-way mode",
        place(position_side=common_pb2.POSITION_SIDE_LONG),
        FAILED_PRECONDITION,
        "POSITION_SIDE_MISMATCH",
    ),
    Case(
        "reduce-only in hedge mode",
        place(side=SELL, price="65000.0", reduce_only=True, position_side=common_pb2.POSITION_SIDE_LONG),
        FAILED_PRECONDITION,
        "REDUCE_ONLY_IN_HEDGE_MODE",
        setup=hedged_long,
    ),
    Case(
        "closing 0.020 of a 0.010 long leg",
        place(side=SELL, price="65000.0", quantity="0.020", position_side=common_pb2.POSITION_SIDE_LONG),
        FAILED_PRECONDITION,
        "CLOSE_EXCEEDS_POSITION",
        setup=hedged_long,
        metadata={"symbol": BTC, "quantity": "0.020", "closable": "0.010"},
    ),
    Case(
        "Multi-Assets mode with a resting order",
        set_asset_mode(True),
        FAILED_PRECONDITION,
        "MODE_CHANGE_WITH_OPEN_ORDERS",
        setup=resting_bid,
    ),
    Case(
        "isolated in Multi-Assets mode",
        set_margin_mode(common_pb2.MARGIN_MODE_ISOLATED),
        FAILED_PRECONDITION,
        "ISOLATED_IN_MULTI_ASSETS_MODE",
        setup=multi_assets,
    ),
    Case(
        "deposit of an unknown asset",
        deposit("1", asset="DOGE"),
        NOT_FOUND,
        "UNKNOWN_ASSET",
    ),
    wire(
        "deposit of a malformed asset",
        deposit("1", asset="btc!"),
        "INVALID_ARGUMENT",
        "asset",
    ),
    Case(
        "adjust margin while flat",
        adjust(account_pb2.MARGIN_ADJUSTMENT_ADD, "10"),
        FAILED_PRECONDITION,
        "NO_ISOLATED_POSITION",
    ),
    Case(
        "adjust margin of a cross position",
        adjust(account_pb2.MARGIN_ADJUSTMENT_ADD, "10"),
        FAILED_PRECONDITION,
        "NO_ISOLATED_POSITION",
        setup=long_position,
    ),
    # isolated_long leaves nothing removable (its docstring): 100 asked, 0 can leave.
    Case(
        "remove 100 of isolated margin",
        adjust(account_pb2.MARGIN_ADJUSTMENT_REMOVE, "100"),
        FAILED_PRECONDITION,
        "MARGIN_REMOVAL_TOO_LARGE",
        metadata={"required": "100", "available": "0"},
        setup=isolated_long,
    ),
    *(
        wire(f"deposit {text!r}", deposit(text), "INVALID_AMOUNT", "amount")
        for text in ("0", "-5", "1.000000001", "abc", "1e3")
    ),
    wire("withdraw '0'", withdraw("0"), "INVALID_AMOUNT", "amount"),
    wire(
        "initial deposit '-1'",
        admin_call("CreateAccount", admin_pb2.CreateAccountRequest(name="bob", initial_deposit="-1")),
        "INVALID_AMOUNT",
        "initial_deposit",
    ),
    wire("adjust margin by '0'", adjust(account_pb2.MARGIN_ADJUSTMENT_ADD, "0"), "INVALID_AMOUNT", "amount"),
    # Authentication.
    Case(
        "PlaceOrder without a key",
        lambda w: w.alice.trading.PlaceOrder(order()),
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHENTICATED",
    ),
    Case(
        "Deposit with an account key",
        lambda w: w.exchange.admin.admin.Deposit(
            admin_pb2.DepositRequest(account_id=w.alice_id, amount="1"), metadata=w.alice.auth
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    ),
    # Missing fields.
    wire("empty symbol", place(symbol=""), "MISSING_FIELD", "symbol"),
    wire("empty quantity", place(quantity=""), "MISSING_FIELD", "quantity"),
    wire(
        "CancelOrder without a key",
        trading_call("CancelOrder", trading_pb2.CancelOrderRequest(symbol=BTC)),
        "MISSING_FIELD",
        "order_id",
    ),
    wire(
        "CancelOrder with an empty client_order_id",
        trading_call("CancelOrder", trading_pb2.CancelOrderRequest(symbol=BTC, client_order_id="")),
        "MISSING_FIELD",
        "client_order_id",
    ),
    wire(
        "GetOrder without a key",
        trading_call("GetOrder", trading_pb2.GetOrderRequest(symbol=BTC)),
        "MISSING_FIELD",
        "order_id",
    ),
    wire(
        "PreviewOrder without an order",
        trading_call("PreviewOrder", trading_pb2.PreviewOrderRequest()),
        "MISSING_FIELD",
        "order",
    ),
    wire("leverage 0", set_leverage(0), "MISSING_FIELD", "leverage"),
    wire("Deposit to account 0", deposit("1", 0), "MISSING_FIELD", "account_id"),
    wire("Deposit of nothing", deposit(""), "MISSING_FIELD", "amount"),
    wire("adjust margin by nothing", adjust(account_pb2.MARGIN_ADJUSTMENT_ADD, ""), "MISSING_FIELD", "amount"),
    wire(
        "SetMarkPrice without a price",
        admin_call("SetMarkPrice", admin_pb2.SetMarkPriceRequest(symbol=BTC)),
        "MISSING_FIELD",
        "price",
    ),
    # Enum values: UNSPECIFIED where no default is documented, and numbers this server does not know.
    *(wire(f"side {value}", place(side=value), "INVALID_ENUM_VALUE", "side") for value in (0, 99)),
    *(wire(f"order_type {value}", place(order_type=value), "INVALID_ENUM_VALUE", "order_type") for value in (0, 99)),
    wire("time_in_force 99", place(time_in_force=99), "INVALID_ENUM_VALUE", "time_in_force"),
    wire("trigger_by 99", place(trigger_by=99), "INVALID_ENUM_VALUE", "trigger_by"),
    wire("self_trade_prevention 99", place(self_trade_prevention=99), "INVALID_ENUM_VALUE", "self_trade_prevention"),
    wire("margin_mode 99", set_margin_mode(99), "INVALID_ENUM_VALUE", "margin_mode"),
    *(wire(f"adjustment {value}", adjust(value, "10"), "INVALID_ENUM_VALUE", "adjustment") for value in (0, 99)),
    # Other malformed fields.
    *(
        wire(f"client_order_id {text[:12]!r}", place(client_order_id=text), "INVALID_ARGUMENT", "client_order_id")
        for text in ("has space", "x" * 37, "caf\u00e9", "semi;colon")
    ),
    *(
        wire(f"{method} page_token 'abc'", trading_call(method, request), "INVALID_ARGUMENT", "page_token")
        for method, request in (
            ("ListOrders", trading_pb2.ListOrdersRequest(page_token="abc")),
            ("ListTrades", trading_pb2.ListTradesRequest(page_token="-1")),
        )
    ),
    wire(
        "ListAccounts page_token 'abc'",
        admin_call("ListAccounts", admin_pb2.ListAccountsRequest(page_token="abc")),
        "INVALID_ARGUMENT",
        "page_token",
    ),
    wire(
        "page_size 1001",
        trading_call("ListOrders", trading_pb2.ListOrdersRequest(page_size=1001)),
        "INVALID_ARGUMENT",
        "page_size",
    ),
    wire(
        "CancelOrder order_id 0",
        trading_call("CancelOrder", trading_pb2.CancelOrderRequest(symbol=BTC, order_id=0)),
        "INVALID_ARGUMENT",
        "order_id",
    ),
    wire(
        "expire_time with negative nanos",
        place(time_in_force=common_pb2.TIME_IN_FORCE_GTD, expire_time=at(NOW_SECONDS + 3600, -1)),
        "INVALID_ARGUMENT",
        "expire_time",
    ),
    wire(
        "account name over 64 characters",
        admin_call("CreateAccount", admin_pb2.CreateAccountRequest(name="n" * 65)),
        "INVALID_ARGUMENT",
        "name",
    ),
    Case(
        "CreateAccount with a name in use",
        admin_call("CreateAccount", admin_pb2.CreateAccountRequest(name="alice")),
        ALREADY_EXISTS,
        "ACCOUNT_ALREADY_EXISTS",
    ),
    # Price alerts, the clock and scenarios.
    Case(
        "delete an alert that does not exist",
        lambda w: w.alice.account.DeletePriceAlert(
            account_pb2.DeletePriceAlertRequest(alert_id=77), metadata=w.alice.auth
        ),
        NOT_FOUND,
        "UNKNOWN_ALERT",
        metadata={"alert_id": "77"},
    ),
    Case(
        "the 101st price alert",
        lambda w: w.alice.account.CreatePriceAlert(alert_request("70000.0"), metadata=w.alice.auth),
        RESOURCE_EXHAUSTED,
        "TOO_MANY_ALERTS",
        metadata={"symbol": BTC},
        setup=a_hundred_alerts,
    ),
    Case(
        "advance a wall clock",
        admin_call("AdvanceTime", admin_pb2.AdvanceTimeRequest(until=at(NOW_SECONDS + 60))),
        FAILED_PRECONDITION,
        "CLOCK_NOT_SIMULATED",
    ),
    Case(
        "a scenario the library does not have",
        admin_call("LoadScenario", admin_pb2.LoadScenarioRequest(name="moon-shot")),
        NOT_FOUND,
        "UNKNOWN_SCENARIO",
        metadata={"scenario": "moon-shot"},
    ),
    Case(
        "a scenario text that does not parse",
        admin_call("LoadScenario", admin_pb2.LoadScenarioRequest(toml='name = "x"\nduration = "soon"')),
        INVALID_ARGUMENT,
        "INVALID_SCENARIO",
        metadata={"scenario": ""},
    ),
    Case(
        "a fault plan with a share above 1",
        admin_call("SetFaults", admin_pb2.SetFaultsRequest(plan_toml="unavailable = 2")),
        INVALID_ARGUMENT,
        "INVALID_FAULTS",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
async def test_a_refusal_from_the_wire(standing: Exchange, case: Case) -> None:
    world = await World.create(standing)
    if case.setup is not None:
        await case.setup(world)
    before = state_hash(standing)

    error = await refused(case.act(world))

    assert state_hash(standing) == before, "a refused request changed the engine's state"
    assert error.code() == case.code
    info = error_info(error)
    assert (info.reason, info.domain) == (case.reason, "paperex")
    assert {key: info.metadata.get(key) for key in case.metadata} == dict(case.metadata)
    assert rich_status(error).message == error.details()
    if case.bad_field:
        assert bad_request_fields(error) == [case.bad_field]
        assert info.metadata["field"] == case.bad_field
    else:
        assert bad_request_fields(error) == []
    assert retry_info(error) is None


def test_the_table_reaches_every_reason_but_the_unreachable() -> None:
    """With the stream and rate-limit tests below and the admission tests (test_admission.py), every
    proto reason is provoked here or explained."""
    below = {"RATE_LIMITED", "BATCH_TOO_LARGE", "CURSOR_EXPIRED", "SLOW_CONSUMER"}
    reached = {case.reason for case in CASES} | below | {"SERVER_BUSY", "TOO_MANY_STREAMS"}
    reached.add("MALFORMED_REQUEST")  # raw bytes, below
    reached |= {"INJECTED_FAULT", "ANSWER_LOST", "MAINTENANCE", "STREAM_DROPPED"}  # test_faults.py
    reached.add("BANNED")  # test_limits_profile.py
    assert reached.isdisjoint(UNREACHABLE_FROM_THE_WIRE)
    assert reached | set(UNREACHABLE_FROM_THE_WIRE) == PROTO_REASONS


# ---------------------------------------------------------------------------------------------- raw bytes

GARBAGE = b"\xff\xff\xff"
"""Not protobuf: field number 0x1fffff..., wire type 7 (there is no wire type 7)."""


def assert_malformed(error: grpc.aio.AioRpcError) -> None:
    assert error.code() == INVALID_ARGUMENT, (error.code(), error.details())
    assert error_info(error).reason == "MALFORMED_REQUEST"
    assert bad_request_fields(error) == ["request"]


@pytest.mark.parametrize(
    "method", ["/paperex.v1.Trading/PlaceOrder", "/paperex.v1.Admin/AdvanceTime", "/paperex.v1.Account/GetAccount"]
)
async def test_undecodable_unary_requests_are_malformed_before_any_credential(standing: Exchange, method: str) -> None:
    """Bytes that are not the method's request message, sent without a credential: refused as the
    caller's mistake (grpc.aio alone answers UNKNOWN), naming the message they should have been."""
    error = await refused(standing.channel.unary_unary(method)(GARBAGE, timeout=HANG_GUARD))
    assert_malformed(error)
    assert method.rpartition("/")[2] + "Request" in error.details()


async def test_undecodable_requests_on_streams_are_malformed(standing: Exchange) -> None:
    """A server stream's request and an OrderSession message that do not decode: the same refusal."""
    alice = await standing.open_account("alice")
    book = standing.channel.unary_stream("/paperex.v1.MarketData/StreamOrderBook")(GARBAGE, timeout=HANG_GUARD)
    assert_malformed(await refused(anext(aiter(book))))
    session = standing.channel.stream_stream("/paperex.v1.Trading/OrderSession")
    call = session(iter([GARBAGE]), metadata=alice.auth, timeout=HANG_GUARD)
    assert_malformed(await refused(anext(aiter(call))))


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("/grpc.health.v1.Health/Check", "unary_unary"),
        ("/grpc.health.v1.Health/Watch", "unary_stream"),
        ("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "stream_stream"),
        ("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "stream_stream"),
    ],
)
async def test_undecodable_requests_to_health_and_reflection_are_malformed_and_not_logged(
    standing: Exchange, method: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """grpc's own servicers (health, reflection) answered such bytes UNKNOWN with a traceback in the
    log per call; they get paperex's refusal instead, and nothing is logged."""
    if kind == "unary_unary":
        call: Any = standing.channel.unary_unary(method)(GARBAGE, timeout=HANG_GUARD)
    elif kind == "unary_stream":
        call = anext(aiter(standing.channel.unary_stream(method)(GARBAGE, timeout=HANG_GUARD)))
    else:
        call = anext(aiter(standing.channel.stream_stream(method)(iter([GARBAGE]), timeout=HANG_GUARD)))
    with caplog.at_level("WARNING"):
        assert_malformed(await refused(call))
    assert [record.getMessage() for record in caplog.records] == []


# ---------------------------------------------------------------------------------------------- rate limit


async def test_rate_limited_orders_carry_a_retry_delay(tmp_path: Path) -> None:
    """A bucket of 2 orders refilled at one per 1,000 s: the third order in a row is refused, nothing
    is sequenced, and RetryInfo says to wait (about 1,000 s: positive, at most 1,000)."""
    async with serve(tmp_path / "limited", limits=Limits(order_rate=0.001, order_burst=2)) as exchange:
        alice = await exchange.open_account("alice")
        await exchange.set_mark(BTC, "64900")
        for price in ("64000.0", "64000.1"):
            await alice.trading.PlaceOrder(order(price=price), metadata=alice.auth)
        before = state_hash(exchange)

        error = await refused(alice.trading.PlaceOrder(order(price="64000.2"), metadata=alice.auth))

        assert state_hash(exchange) == before
        assert error.code() == RESOURCE_EXHAUSTED
        info = error_info(error)
        assert (info.reason, info.domain) == ("RATE_LIMITED", "paperex")
        retry = retry_info(error)
        assert retry is not None
        delay = retry.retry_delay.ToNanoseconds()
        assert 0 < delay <= 1000 * 10**9
        assert 0 < float(info.metadata["retry_after"]) <= 1000
        amend_error = await refused(
            alice.trading.AmendOrder(
                trading_pb2.AmendOrderRequest(symbol=BTC, order_id=1, price="63000.0"), metadata=alice.auth
            )
        )
        assert error_info(amend_error).reason == "RATE_LIMITED"
        # Cancels are not orders: still served.
        await alice.trading.CancelAllOrders(trading_pb2.CancelAllOrdersRequest(symbol=BTC), metadata=alice.auth)
        # Another account has its own bucket.
        bob = await exchange.open_account("bob")
        await bob.trading.PlaceOrder(order(), metadata=bob.auth)


async def test_an_order_session_batch_over_the_burst_is_rate_limited_in_band(tmp_path: Path) -> None:
    """Three orders in one request against a burst of 2 can never fit: refused whole, stream open."""
    async with serve(tmp_path / "limited", limits=Limits(order_rate=0.001, order_burst=2)) as exchange:
        alice = await exchange.open_account("alice")
        await exchange.set_mark(BTC, "64900")
        session = alice.trading.OrderSession(metadata=alice.auth)
        try:
            places = [trading_pb2.OrderCommand(place_order=order(price=p)) for p in ("64000.0", "64000.1", "64000.2")]
            before = state_hash(exchange)
            await session.write(trading_pb2.OrderSessionRequest(correlation_id="three", commands=places))
            reply = await asyncio.wait_for(session.read(), HANG_GUARD)
            assert state_hash(exchange) == before
            assert reply.correlation_id == "three"
            assert list(reply.results) == []
            assert reply.rejection.reason == errors_pb2.REJECT_REASON_RATE_LIMITED

            await session.write(trading_pb2.OrderSessionRequest(correlation_id="two", commands=places[:2]))
            reply = await asyncio.wait_for(session.read(), HANG_GUARD)
            assert reply.correlation_id == "two"
            assert [r.WhichOneof("result") for r in reply.results] == ["place_order", "place_order"]
        finally:
            session.cancel()


# ---------------------------------------------------------------------------------------------- order session


async def test_a_batch_over_the_limit_is_refused_whole_and_the_stream_stays_open(standing: Exchange) -> None:
    world = await World.create(standing)
    alice = world.alice
    cancel_all = trading_pb2.OrderCommand(cancel_all_orders=trading_pb2.CancelAllOrdersRequest(symbol=BTC))
    session = alice.trading.OrderSession(metadata=alice.auth)
    try:
        before = state_hash(standing)
        await session.write(trading_pb2.OrderSessionRequest(correlation_id="big", commands=[cancel_all] * 501))
        reply = await asyncio.wait_for(session.read(), HANG_GUARD)
        assert state_hash(standing) == before
        assert reply.correlation_id == "big"
        assert list(reply.results) == []
        assert reply.rejection.reason == errors_pb2.REJECT_REASON_BATCH_TOO_LARGE

        await session.write(trading_pb2.OrderSessionRequest(correlation_id="limit", commands=[cancel_all] * 500))
        reply = await asyncio.wait_for(session.read(), HANG_GUARD)
        assert reply.correlation_id == "limit"
        assert not reply.HasField("rejection")
        assert [r.WhichOneof("result") for r in reply.results] == ["cancel_all_orders"] * 500
    finally:
        session.cancel()


async def test_order_session_refusals_are_per_command_with_the_unary_content(standing: Exchange) -> None:
    """Bad commands among a good one: each bad one's result is its rejection (reason and metadata as a
    unary call's ErrorInfo would carry), the good one goes through, and the stream stays open."""
    world = await World.create(standing)
    await poor_account(world)
    poor = world.clients["poor"]
    # 0.002 x 64,000 = 128 >= 100; IM 6.4 + fee 0.064 = 6.464 <= 10 available.
    affordable = trading_pb2.OrderCommand(place_order=order(quantity="0.002"))
    session = poor.trading.OrderSession(metadata=poor.auth)
    try:
        commands = [
            trading_pb2.OrderCommand(place_order=order(side=0)),
            trading_pb2.OrderCommand(place_order=order(price="64900.0")),
            affordable,
            trading_pb2.OrderCommand(place_order=order(quantity="0.001", price="64000.0", reduce_only=True)),
            trading_pb2.OrderCommand(),
        ]
        await session.write(trading_pb2.OrderSessionRequest(correlation_id="mixed", commands=commands))
        reply = await asyncio.wait_for(session.read(), HANG_GUARD)
        assert reply.correlation_id == "mixed"
        assert not reply.HasField("rejection")
        results = list(reply.results)
        kinds = [r.WhichOneof("result") for r in results]
        assert kinds == ["rejection", "rejection", "place_order", "rejection", "rejection"]
        bad_side, poor_cost, _, reduce_only, empty = (r.rejection for r in results)
        assert bad_side.reason == errors_pb2.REJECT_REASON_INVALID_ENUM_VALUE
        assert bad_side.metadata["field"] == "side"
        # 0.01 x 64,900 / 20 + 0.05% fee = 32.45 + 0.3245
        assert poor_cost.reason == errors_pb2.REJECT_REASON_INSUFFICIENT_MARGIN
        assert (poor_cost.metadata["required"], poor_cost.metadata["available"]) == ("32.7745", "10")
        assert results[2].place_order.order.status == common_pb2.ORDER_STATUS_NEW
        assert reduce_only.reason == errors_pb2.REJECT_REASON_REDUCE_ONLY_WOULD_INCREASE
        assert empty.reason == errors_pb2.REJECT_REASON_MISSING_FIELD

        # The resting order reserves its IM 6.4 (a fee is paid only on a fill): 3.6 of the 10 is left,
        # and a second 0.002 needs 6.464.
        await session.write(trading_pb2.OrderSessionRequest(correlation_id="again", commands=[affordable]))
        reply = await asyncio.wait_for(session.read(), HANG_GUARD)
        assert reply.correlation_id == "again"
        (result,) = reply.results
        assert result.rejection.reason == errors_pb2.REJECT_REASON_INSUFFICIENT_MARGIN
        assert (result.rejection.metadata["required"], result.rejection.metadata["available"]) == ("6.464", "3.6")
    finally:
        session.cancel()


async def test_a_refusal_reads_the_same_unary_in_a_session_and_on_the_user_stream(standing: Exchange) -> None:
    """The same bad orders placed by PlaceOrder and in an OrderSession are refused with the same reason,
    message and metadata; the engine's refusal also reaches the user stream that way. One is refused at
    the edge (64,000.05 is off the 0.1 tick: 64,000.0 and 64,000.1 are the nearest prices), one by the
    engine (68,145.1 is above the band's 64,900 x 1.05 = 68,145.0)."""
    world = await World.create(standing)
    alice = world.alice
    start = (await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)).account.cursor
    off_tick, off_band = order(price="64000.05"), order(price="68145.1")

    errors = [await refused(alice.trading.PlaceOrder(bad, metadata=alice.auth)) for bad in (off_tick, off_band)]
    session = alice.trading.OrderSession(metadata=alice.auth)
    try:
        commands = [trading_pb2.OrderCommand(place_order=bad) for bad in (off_tick, off_band)]
        await session.write(trading_pb2.OrderSessionRequest(correlation_id="same", commands=commands))
        reply = await asyncio.wait_for(session.read(), HANG_GUARD)
    finally:
        session.cancel()
    in_band = [result.rejection for result in reply.results]
    streamed = await first_rejection_after(alice, start)

    unary = [error_info(error) for error in errors]
    for error, info, rejection in zip(errors, unary, in_band, strict=True):
        assert errors_pb2.RejectReason.Name(rejection.reason) == "REJECT_REASON_" + info.reason
        assert (rejection.message, dict(rejection.metadata)) == (error.details(), dict(info.metadata))
    assert (unary[0].reason, unary[0].metadata["price_below"], unary[0].metadata["price_above"]) == (
        "INVALID_TICK",
        "64000.0",
        "64000.1",
    )
    assert (unary[1].reason, unary[1].metadata["highest_price"]) == ("PRICE_OUT_OF_BAND", "68145.0")
    assert (streamed.command, streamed.rejection) == ("PlaceOrder", in_band[1])


async def first_rejection_after(client: Client, cursor: account_pb2.EventCursor) -> account_pb2.OrderRejected:
    stream = client.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=cursor), metadata=client.auth
    )

    async def read() -> account_pb2.OrderRejected:
        async for reply in stream:
            if reply.event.WhichOneof("event") == "order_rejected":
                return reply.event.order_rejected
        raise AssertionError("the stream ended without an OrderRejected")

    try:
        return await asyncio.wait_for(read(), HANG_GUARD)
    finally:
        stream.cancel()


# ---------------------------------------------------------------------------------------------- streams


async def test_a_cursor_older_than_the_retained_events_is_expired(unbudgeted: Exchange) -> None:
    """The server keeps 10,000 events per account. 21 batches of 500 cancels of a missing order give
    10,500 rejection events after the deposit, so the deposit's cursor is no longer retained, while a
    cursor among the last 10,000 still resumes."""
    world = await World.create(unbudgeted)
    alice = world.alice
    summary = (await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)).account
    deposit_cursor = summary.cursor
    missing = trading_pb2.OrderCommand(cancel_order=trading_pb2.CancelOrderRequest(symbol=BTC, order_id=999))
    session = alice.trading.OrderSession(metadata=alice.auth)
    try:
        for batch in range(21):
            await session.write(trading_pb2.OrderSessionRequest(correlation_id=str(batch), commands=[missing] * 500))
            reply = await asyncio.wait_for(session.read(), HANG_GUARD)
            assert len(reply.results) == 500
    finally:
        session.cancel()

    expired = alice.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=deposit_cursor), metadata=alice.auth
    )
    error = await refused(asyncio.wait_for(expired.read(), HANG_GUARD))
    assert error.code() == FAILED_PRECONDITION
    info = error_info(error)
    assert (info.reason, info.domain) == ("CURSOR_EXPIRED", "paperex")

    latest = (await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)).account.cursor
    recent = account_pb2.EventCursor(sequence=latest.sequence - 1, index=0)
    resumed = alice.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=recent), metadata=alice.auth
    )
    try:
        message = await asyncio.wait_for(resumed.read(), HANG_GUARD)
    finally:
        resumed.cancel()
    assert message.event.WhichOneof("event") == "order_rejected"
    assert message.event.order_rejected.rejection.reason == errors_pb2.REJECT_REASON_UNKNOWN_ORDER


async def test_a_reader_that_falls_behind_is_cut(tmp_path: Path) -> None:
    """With room for one unread event, a fill (accepted, filled, position, fee: several events at once)
    overflows the reader's buffer: the stream ends with RESOURCE_EXHAUSTED / SLOW_CONSUMER."""
    async with serve(tmp_path / "small", stream_capacity=1) as exchange:
        alice = await exchange.open_account("alice")
        carol = await exchange.open_account("carol")
        await exchange.set_mark(BTC, "64900")
        cursor = (await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)).account.cursor
        stream = alice.account.StreamUserEvents(
            account_pb2.StreamUserEventsRequest(resume_after=cursor), metadata=alice.auth
        )
        try:
            await alice.account.SetLeverage(
                account_pb2.SetLeverageRequest(symbol=BTC, leverage=10), metadata=alice.auth
            )
            first = await asyncio.wait_for(stream.read(), HANG_GUARD)  # subscribed from here on
            assert first.event.symbol_settings_changed.settings.leverage == 10
            await carol.trading.PlaceOrder(order(side=SELL, price="64900.0"), metadata=carol.auth)
            await alice.trading.PlaceOrder(order(order_type=MARKET, price=None), metadata=alice.auth)

            async def drain() -> None:
                while await stream.read() is not grpc.aio.EOF:
                    pass

            error = await refused(asyncio.wait_for(drain(), HANG_GUARD))
        finally:
            stream.cancel()
        assert error.code() == RESOURCE_EXHAUSTED
        info = error_info(error)
        assert (info.reason, info.domain) == ("SLOW_CONSUMER", "paperex")
