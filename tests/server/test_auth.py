"""Who may call what, over real gRPC: API keys for Trading/Account, the admin token for Admin, and the
wall between accounts (an account sees and touches only its own orders, fills, positions and events)."""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from paperex.v1 import account_pb2, admin_pb2, common_pb2, trading_pb2
from tests.server.conftest import ADMIN_TOKEN, Client, Exchange, error_info

HANG_GUARD = 10.0
"""Seconds before a stream read is declared hung (a guard, not a timing assertion)."""

Metadata = list[tuple[str, str]]
Call = Callable[[Client, Metadata], Awaitable[Any]]

BTC = "BTCUSDT"


def limit(side: int, quantity: str, price: str, **extra: Any) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=side, order_type=common_pb2.ORDER_TYPE_LIMIT, quantity=quantity, price=price, **extra
    )


def market(side: int, quantity: str) -> trading_pb2.PlaceOrderRequest:
    return trading_pb2.PlaceOrderRequest(
        symbol=BTC, side=side, order_type=common_pb2.ORDER_TYPE_MARKET, quantity=quantity
    )


async def refused(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    """The error a call fails with; a success fails the test."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL), caught.value.details()
    return caught.value


async def first_stream_message(call: Any) -> Any:
    """Read one message of a server stream (raises the stream's error)."""
    message = await asyncio.wait_for(call.read(), HANG_GUARD)
    assert message is not grpc.aio.EOF
    return message


async def open_session(client: Client, metadata: Metadata) -> Any:
    """One OrderSession round trip: a harmless cancel-all (a refusal raises from the write or the first read)."""
    session = client.trading.OrderSession(metadata=metadata)
    command = trading_pb2.OrderCommand(cancel_all_orders=trading_pb2.CancelAllOrdersRequest(symbol=BTC))
    await session.write(trading_pb2.OrderSessionRequest(correlation_id="c1", commands=[command]))
    try:
        return await first_stream_message(session)
    finally:
        session.cancel()


async def stream_user_events(client: Client, metadata: Metadata) -> Any:
    stream = client.account.StreamUserEvents(account_pb2.StreamUserEventsRequest(), metadata=metadata)
    try:
        return await first_stream_message(stream)
    finally:
        stream.cancel()


ACCOUNT_CALLS: dict[str, Call] = {
    "PlaceOrder": lambda c, md: c.trading.PlaceOrder(limit(common_pb2.SIDE_BUY, "0.010", "64000.0"), metadata=md),
    "AmendOrder": lambda c, md: c.trading.AmendOrder(
        trading_pb2.AmendOrderRequest(symbol=BTC, order_id=1, price="64001.0"), metadata=md
    ),
    "CancelOrder": lambda c, md: c.trading.CancelOrder(
        trading_pb2.CancelOrderRequest(symbol=BTC, order_id=1), metadata=md
    ),
    "CancelAllOrders": lambda c, md: c.trading.CancelAllOrders(
        trading_pb2.CancelAllOrdersRequest(symbol=BTC), metadata=md
    ),
    "GetOrder": lambda c, md: c.trading.GetOrder(trading_pb2.GetOrderRequest(symbol=BTC, order_id=1), metadata=md),
    "ListOpenOrders": lambda c, md: c.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=md),
    "ListOrders": lambda c, md: c.trading.ListOrders(trading_pb2.ListOrdersRequest(), metadata=md),
    "ListTrades": lambda c, md: c.trading.ListTrades(trading_pb2.ListTradesRequest(), metadata=md),
    "PreviewOrder": lambda c, md: c.trading.PreviewOrder(
        trading_pb2.PreviewOrderRequest(order=limit(common_pb2.SIDE_BUY, "0.010", "64000.0")), metadata=md
    ),
    "OrderSession": open_session,
    "GetAccount": lambda c, md: c.account.GetAccount(account_pb2.GetAccountRequest(), metadata=md),
    "ListPositions": lambda c, md: c.account.ListPositions(account_pb2.ListPositionsRequest(), metadata=md),
    "SetLeverage": lambda c, md: c.account.SetLeverage(
        account_pb2.SetLeverageRequest(symbol=BTC, leverage=10), metadata=md
    ),
    "SetMarginMode": lambda c, md: c.account.SetMarginMode(
        account_pb2.SetMarginModeRequest(symbol=BTC, margin_mode=common_pb2.MARGIN_MODE_ISOLATED), metadata=md
    ),
    "AdjustIsolatedMargin": lambda c, md: c.account.AdjustIsolatedMargin(
        account_pb2.AdjustIsolatedMarginRequest(symbol=BTC, adjustment=account_pb2.MARGIN_ADJUSTMENT_ADD, amount="10"),
        metadata=md,
    ),
    "StreamUserEvents": stream_user_events,
}


def bad_credentials(key: str) -> dict[str, Metadata]:
    """Credentials that identify no account. ``key`` is a real account key, sent in the wrong shape."""
    return {
        "none": [],
        "basic scheme": [("authorization", f"Basic {key}")],
        "no scheme": [("authorization", key)],
        "scheme without key": [("authorization", "Bearer ")],
        "unknown key": [("authorization", "Bearer pk_" + "x" * 43)],
        "unknown x-api-key": [("x-api-key", "pk_" + "y" * 43)],
        "admin token": [("authorization", f"Bearer {ADMIN_TOKEN}")],
    }


def sequenced(exchange: Exchange) -> int:
    """How many commands the sequencer has applied (a refusal at the edge adds none)."""
    sequencer = exchange.server.sequencer
    assert sequencer is not None
    return sequencer.exchange.sequence


@pytest.mark.parametrize("rpc", list(ACCOUNT_CALLS))
async def test_account_rpcs_refuse_calls_without_a_valid_key(exchange: Exchange, rpc: str) -> None:
    """Every shape of missing or wrong credential is UNAUTHENTICATED, and nothing is sequenced."""
    alice = await exchange.open_account("alice")
    await exchange.set_mark(BTC, "64900")
    before = sequenced(exchange)

    for label, metadata in bad_credentials(alice.key).items():
        error = await refused(ACCOUNT_CALLS[rpc](alice, metadata))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED, label
        info = error_info(error)
        assert (info.reason, info.domain) == ("UNAUTHENTICATED", "paperex"), label

    assert sequenced(exchange) == before


async def test_a_lowercase_bearer_scheme_and_x_api_key_are_accepted(exchange: Exchange) -> None:
    """The auth scheme is case-insensitive (RFC 7235) and x-api-key is the documented alternative."""
    alice = await exchange.open_account("alice", deposit="1234.5")
    await exchange.set_mark(BTC, "64900")

    via_x_api_key = await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=[("x-api-key", alice.key)])
    via_lowercase = await alice.account.GetAccount(
        account_pb2.GetAccountRequest(), metadata=[("authorization", f"bearer {alice.key}")]
    )
    assert (via_x_api_key.account.name, via_x_api_key.account.wallet_balance) == ("alice", "1234.5")
    assert via_lowercase.account.account_id == via_x_api_key.account.account_id

    placed = await alice.trading.PlaceOrder(
        limit(common_pb2.SIDE_BUY, "0.010", "64000.0", client_order_id="via-x"), metadata=[("x-api-key", alice.key)]
    )
    # The order belongs to the account the key names: the Bearer form of the same key finds it.
    found = await alice.trading.GetOrder(
        trading_pb2.GetOrderRequest(symbol=BTC, client_order_id="via-x"), metadata=alice.auth
    )
    assert found.order.order_id == placed.order.order_id
    assert found.order.status == common_pb2.ORDER_STATUS_NEW


# ---------------------------------------------------------------------------------------------- admin


def admin_calls(account_id: int) -> dict[str, Call]:
    """One valid request per Admin RPC (valid for a fresh exchange with one funded account)."""
    return {
        "CreateAccount": lambda c, md: c.admin.CreateAccount(admin_pb2.CreateAccountRequest(name="new"), metadata=md),
        "Deposit": lambda c, md: c.admin.Deposit(
            admin_pb2.DepositRequest(account_id=account_id, amount="5"), metadata=md
        ),
        "Withdraw": lambda c, md: c.admin.Withdraw(
            admin_pb2.WithdrawRequest(account_id=account_id, amount="5"), metadata=md
        ),
        "ListAccounts": lambda c, md: c.admin.ListAccounts(admin_pb2.ListAccountsRequest(), metadata=md),
        "SetIndexPrice": lambda c, md: c.admin.SetIndexPrice(
            admin_pb2.SetIndexPriceRequest(symbol=BTC, price="65000"), metadata=md
        ),
        "SetMarkPrice": lambda c, md: c.admin.SetMarkPrice(
            admin_pb2.SetMarkPriceRequest(symbol=BTC, price="65000"), metadata=md
        ),
        "GetInsuranceFund": lambda c, md: c.admin.GetInsuranceFund(admin_pb2.GetInsuranceFundRequest(), metadata=md),
        "GetLedger": lambda c, md: c.admin.GetLedger(admin_pb2.GetLedgerRequest(), metadata=md),
        "Snapshot": lambda c, md: c.admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=md),
        "Reset": lambda c, md: c.admin.Reset(admin_pb2.ResetRequest(), metadata=md),
    }


ADMIN_RPCS = list(admin_calls(0))


async def account_id(client: Client) -> int:
    return (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account.account_id


@pytest.mark.parametrize("rpc", ADMIN_RPCS)
async def test_admin_rpcs_need_the_admin_token(exchange: Exchange, rpc: str) -> None:
    """No token or a wrong one: UNAUTHENTICATED; an account key: PERMISSION_DENIED; nothing is sequenced."""
    alice = await exchange.open_account("alice")
    call = admin_calls(await account_id(alice))[rpc]
    before = sequenced(exchange)
    expected = {
        "no token": ([], grpc.StatusCode.UNAUTHENTICATED),
        "wrong token": ([("authorization", "Bearer admin_wrong")], grpc.StatusCode.UNAUTHENTICATED),
        "malformed header": ([("authorization", ADMIN_TOKEN)], grpc.StatusCode.UNAUTHENTICATED),
        "account key": (alice.auth, grpc.StatusCode.PERMISSION_DENIED),
        "account x-api-key": ([("x-api-key", alice.key)], grpc.StatusCode.PERMISSION_DENIED),
    }

    for label, (metadata, code) in expected.items():
        error = await refused(call(alice, metadata))
        assert error.code() == code, label
        info = error_info(error)
        assert (info.reason, info.domain) == (code.name, "paperex"), label

    assert sequenced(exchange) == before
    summary = (await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)).account
    assert summary.wallet_balance == "100000"  # no refused Deposit/Withdraw/Reset reached the account


@pytest.mark.parametrize("rpc", ADMIN_RPCS)
async def test_admin_rpcs_succeed_with_the_admin_token(exchange: Exchange, rpc: str) -> None:
    alice = await exchange.open_account("alice")
    call = admin_calls(await account_id(alice))[rpc]

    await call(exchange.admin, exchange.admin.auth)
    if rpc != "CreateAccount":  # a second account named "new" would be ACCOUNT_ALREADY_EXISTS
        await call(exchange.admin, [("x-api-key", ADMIN_TOKEN)])


# ---------------------------------------------------------------------------------------------- isolation


def foreign_order_calls(caller: Client, key: dict[str, Any]) -> dict[str, Awaitable[Any]]:
    """Look up, cancel and amend an order by ``key`` (order_id or client_order_id) as ``caller``."""
    return {
        "GetOrder": caller.trading.GetOrder(trading_pb2.GetOrderRequest(symbol=BTC, **key), metadata=caller.auth),
        "CancelOrder": caller.trading.CancelOrder(
            trading_pb2.CancelOrderRequest(symbol=BTC, **key), metadata=caller.auth
        ),
        "AmendOrder": caller.trading.AmendOrder(
            trading_pb2.AmendOrderRequest(symbol=BTC, price="64100.0", quantity="0.010", **key), metadata=caller.auth
        ),
    }


async def test_another_account_cannot_see_or_touch_an_order(exchange: Exchange) -> None:
    """Bob knows Alice's order_id and client_order_id: every lookup is UNKNOWN_ORDER, as for an id that
    does not exist, and Alice's order is untouched."""
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob")
    await exchange.set_mark(BTC, "64900")
    placed = await alice.trading.PlaceOrder(
        limit(common_pb2.SIDE_BUY, "0.020", "64000.0", client_order_id="shared-id"), metadata=alice.auth
    )
    order_id = placed.order.order_id

    for key in ({"order_id": order_id}, {"client_order_id": "shared-id"}):
        for rpc, attempt in foreign_order_calls(bob, key).items():
            error = await refused(attempt)
            assert error.code() == grpc.StatusCode.NOT_FOUND, f"{rpc} by {key}"
            assert error_info(error).reason == "UNKNOWN_ORDER", f"{rpc} by {key}"

    canceled = await bob.trading.CancelAllOrders(trading_pb2.CancelAllOrdersRequest(symbol=BTC), metadata=bob.auth)
    assert list(canceled.orders) == []

    mine = await alice.trading.GetOrder(trading_pb2.GetOrderRequest(symbol=BTC, order_id=order_id), metadata=alice.auth)
    assert (mine.order.status, mine.order.price, mine.order.quantity) == (
        common_pb2.ORDER_STATUS_NEW,
        "64000.0",
        "0.020",
    )
    still_open = await alice.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=alice.auth)
    assert [o.order_id for o in still_open.orders] == [order_id]


async def test_client_order_ids_are_per_account(exchange: Exchange) -> None:
    """Bob may use the id Alice uses; his cancel by that id cancels his order, not hers."""
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob")
    await exchange.set_mark(BTC, "64900")
    hers = await alice.trading.PlaceOrder(
        limit(common_pb2.SIDE_BUY, "0.020", "64000.0", client_order_id="same"), metadata=alice.auth
    )

    his = await bob.trading.PlaceOrder(
        limit(common_pb2.SIDE_BUY, "0.030", "63000.0", client_order_id="same"), metadata=bob.auth
    )
    assert not his.duplicate
    assert his.order.order_id != hers.order.order_id
    canceled = await bob.trading.CancelOrder(
        trading_pb2.CancelOrderRequest(symbol=BTC, client_order_id="same"), metadata=bob.auth
    )

    assert canceled.order.order_id == his.order.order_id
    assert canceled.order.status == common_pb2.ORDER_STATUS_CANCELED
    mine = await alice.trading.GetOrder(
        trading_pb2.GetOrderRequest(symbol=BTC, client_order_id="same"), metadata=alice.auth
    )
    assert (mine.order.order_id, mine.order.status) == (hers.order.order_id, common_pb2.ORDER_STATUS_NEW)


async def test_lists_and_account_figures_show_only_the_callers_data(exchange: Exchange) -> None:
    """Carol rests 0.300 BTC at 64,900; Alice buys 0.100 and Bob 0.050 at market, and each keeps a
    resting bid. Bob's views list his order, fill and position and none of Alice's."""
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob", deposit="50000")
    carol = await exchange.open_account("carol")
    await exchange.set_mark(BTC, "64900")
    await carol.trading.PlaceOrder(limit(common_pb2.SIDE_SELL, "0.300", "64900.0"), metadata=carol.auth)
    alice_fill = await alice.trading.PlaceOrder(market(common_pb2.SIDE_BUY, "0.100"), metadata=alice.auth)
    alice_bid = await alice.trading.PlaceOrder(limit(common_pb2.SIDE_BUY, "0.020", "64000.0"), metadata=alice.auth)
    bob_fill = await bob.trading.PlaceOrder(market(common_pb2.SIDE_BUY, "0.050"), metadata=bob.auth)
    bob_bid = await bob.trading.PlaceOrder(limit(common_pb2.SIDE_BUY, "0.010", "63000.0"), metadata=bob.auth)
    alice_orders = {alice_fill.order.order_id, alice_bid.order.order_id}
    bob_orders = {bob_fill.order.order_id, bob_bid.order.order_id}

    open_orders = await bob.trading.ListOpenOrders(trading_pb2.ListOpenOrdersRequest(), metadata=bob.auth)
    assert [o.order_id for o in open_orders.orders] == [bob_bid.order.order_id]

    orders = await bob.trading.ListOrders(trading_pb2.ListOrdersRequest(), metadata=bob.auth)
    assert {o.order_id for o in orders.orders} == bob_orders
    orders_in_symbol = await bob.trading.ListOrders(trading_pb2.ListOrdersRequest(symbol=BTC), metadata=bob.auth)
    assert not {o.order_id for o in orders_in_symbol.orders} & alice_orders

    trades = await bob.trading.ListTrades(trading_pb2.ListTradesRequest(), metadata=bob.auth)
    assert [(f.order_id, f.quantity) for f in trades.fills] == [(bob_fill.order.order_id, "0.050")]
    # Asking for Alice's order's fills by id yields nothing for Bob.
    foreign = await bob.trading.ListTrades(
        trading_pb2.ListTradesRequest(order_id=alice_fill.order.order_id), metadata=bob.auth
    )
    assert list(foreign.fills) == []

    positions = await bob.account.ListPositions(account_pb2.ListPositionsRequest(), metadata=bob.auth)
    assert [(p.symbol, p.size) for p in positions.positions] == [(BTC, "0.050")]

    summary = (await bob.account.GetAccount(account_pb2.GetAccountRequest(), metadata=bob.auth)).account
    assert summary.name == "bob"
    assert [(p.symbol, p.size) for p in summary.positions] == [(BTC, "0.050")]
    # Bob's wallet: 50,000 - taker fee 0.05% x 0.05 x 64,900 (= 1.6225); Alice's 0.1 BTC would cost 3.245.
    assert summary.wallet_balance == "49998.3775"
    # Notional at mark: 0.05 x 64,900 = 3,245 (with Alice's position it would be 9,735).
    assert summary.total_notional == "3245"


async def next_event(stream: Any) -> account_pb2.UserEvent:
    message = await first_stream_message(stream)
    event: account_pb2.UserEvent = message.event
    return event


async def follow(client: Client) -> Any:
    """The account's stream from its current cursor: nothing after it is missed, however late the
    server registers the subscription (it registers before yielding the first event)."""
    summary = (await client.account.GetAccount(account_pb2.GetAccountRequest(), metadata=client.auth)).account
    request = account_pb2.StreamUserEventsRequest(resume_after=summary.cursor)
    return client.account.StreamUserEvents(request, metadata=client.auth)


async def test_the_user_stream_carries_only_the_callers_events(exchange: Exchange) -> None:
    """Both streams are shown subscribed (each reads its own settings change) before Alice trades; then
    Bob acts, and the next thing on Bob's stream is his own order: none of Alice's events came before it."""
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob")
    carol = await exchange.open_account("carol")
    await exchange.set_mark(BTC, "64900")
    alice_stream = await follow(alice)
    bob_stream = await follow(bob)
    try:
        await bob.account.SetLeverage(account_pb2.SetLeverageRequest(symbol=BTC, leverage=10), metadata=bob.auth)
        bob_first = await next_event(bob_stream)
        assert bob_first.symbol_settings_changed.settings.leverage == 10
        await alice.account.SetLeverage(account_pb2.SetLeverageRequest(symbol=BTC, leverage=15), metadata=alice.auth)
        alice_first = await next_event(alice_stream)
        assert alice_first.symbol_settings_changed.settings.leverage == 15  # not Bob's 10

        await carol.trading.PlaceOrder(limit(common_pb2.SIDE_SELL, "0.100", "64900.0"), metadata=carol.auth)
        bought = await alice.trading.PlaceOrder(market(common_pb2.SIDE_BUY, "0.040"), metadata=alice.auth)
        # Control: Alice's trade did produce events, on her stream.
        kinds = []
        while "order_filled" not in kinds:
            kinds.append((await next_event(alice_stream)).WhichOneof("event"))
        assert kinds[0] == "order_accepted"

        bid = await bob.trading.PlaceOrder(
            limit(common_pb2.SIDE_BUY, "0.010", "64000.0", client_order_id="bob-1"), metadata=bob.auth
        )
        bob_next = await next_event(bob_stream)
        assert bob_next.WhichOneof("event") == "order_accepted"
        assert (bob_next.order_accepted.order.order_id, bob_next.order_accepted.order.client_order_id) == (
            bid.order.order_id,
            "bob-1",
        )
        assert bid.order.order_id != bought.order.order_id
    finally:
        alice_stream.cancel()
        bob_stream.cancel()

    # Resuming from the very start replays Bob's own history only: deposit, leverage, his order.
    replay = bob.account.StreamUserEvents(
        account_pb2.StreamUserEventsRequest(resume_after=account_pb2.EventCursor(sequence=0, index=0)),
        metadata=bob.auth,
    )
    try:
        backlog = [await next_event(replay) for _ in range(3)]
    finally:
        replay.cancel()
    assert [e.WhichOneof("event") for e in backlog] == ["balance_changed", "symbol_settings_changed", "order_accepted"]
    assert backlog[0].balance_changed.change == "100000"
    assert backlog[2].order_accepted.order.order_id == bid.order.order_id
    summary = (await bob.account.GetAccount(account_pb2.GetAccountRequest(), metadata=bob.auth)).account
    assert (summary.cursor.sequence, summary.cursor.index) == (backlog[2].cursor.sequence, backlog[2].cursor.index)


async def test_api_keys_are_never_returned(exchange: Exchange) -> None:
    """CreateAccount shows a key once; ListAccounts and GetAccount carry neither it nor its hash."""
    alice = await exchange.open_account("alice")
    bob = await exchange.open_account("bob")
    secrets = [alice.key, bob.key, *(hashlib.sha256(k.encode()).hexdigest() for k in (alice.key, bob.key))]
    assert all(len(s) > 20 for s in secrets)

    listed = await exchange.admin.admin.ListAccounts(admin_pb2.ListAccountsRequest(), metadata=exchange.admin.auth)
    assert [a.name for a in listed.accounts] == ["alice", "bob"]
    own = await alice.account.GetAccount(account_pb2.GetAccountRequest(), metadata=alice.auth)

    for reply in (listed, own):
        wire = reply.SerializeToString()
        text = str(reply)
        for secret in secrets:
            assert secret.encode() not in wire
            assert secret not in text


async def test_a_rotated_key_ends_the_sessions_it_opened(exchange: Exchange) -> None:
    """An OrderSession authenticates when it opens; rotating its key away (a leaked key) must stop
    it too, not only new calls: the next request ends the session UNAUTHENTICATED, and the new key
    opens a session that works."""
    alice = await exchange.open_account("alice")
    session = alice.trading.OrderSession(metadata=alice.auth)
    command = trading_pb2.OrderCommand(place_order=limit(common_pb2.SIDE_BUY, "0.010", "64000.0"))
    await session.write(trading_pb2.OrderSessionRequest(correlation_id="before", commands=[command]))
    assert (await first_stream_message(session)).correlation_id == "before"

    accounts = await exchange.admin.admin.ListAccounts(admin_pb2.ListAccountsRequest(), metadata=exchange.admin.auth)
    rotated = await exchange.admin.admin.RotateApiKey(
        admin_pb2.RotateApiKeyRequest(account_id=accounts.accounts[0].account_id), metadata=exchange.admin.auth
    )
    await session.write(trading_pb2.OrderSessionRequest(correlation_id="after", commands=[command]))
    error = await refused(first_stream_message(session))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == "UNAUTHENTICATED"
    renewed = Client(exchange.channel, rotated.api_key)
    assert (await open_session(renewed, renewed.auth)).correlation_id == "c1"
