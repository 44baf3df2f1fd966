"""The operation mix: parsing, the shares a flow draws, and the shares a real run observes."""

from pathlib import Path
from typing import Any

import pytest

from loadtest.grpc_load.flow import MIX_KEY, PLACE, Account, Centre, Flow, Mix, observed_mix
from paperex.v1 import common_pb2, trading_pb2
from tests.test_grpc_load import run_tool

ISSUE_MIX = "add=60,cancel=20,amend=10,market=5,query=5"


def test_a_mix_parses_weights_into_shares_and_refuses_what_it_cannot_send() -> None:
    mix = Mix.parse(ISSUE_MIX)
    assert mix.shares() == {"add": 0.6, "cancel": 0.2, "amend": 0.1, "market": 0.05, "query": 0.05}
    assert str(Mix.parse("add=2, query=0,market=1")) == "add=2,market=1"
    for bad in ("add=60,sell=5", "add=x", "add=-1", "add=1,add=2", "query=0", ""):
        with pytest.raises(ValueError):
            Mix.parse(bad)


class Book:
    """Answers like a server whose every limit order rests: the order id and its price back."""

    def __init__(self) -> None:
        self.next_id = 0

    def answer(self, request: Any) -> trading_pb2.PlaceOrderResponse:
        self.next_id += 1
        order = common_pb2.Order(
            order_id=self.next_id, side=request.side, price=request.price, status=common_pb2.ORDER_STATUS_NEW
        )
        return trading_pb2.PlaceOrderResponse(order=order)


def test_a_flow_draws_each_operation_in_its_share_and_cancels_and_amends_only_orders_it_knows() -> None:
    account = Account(1, ())
    # no bound reached (cancel-all after 10**9 adds): every operation is drawn from the mix
    flow = Flow(account, Mix.parse(ISSUE_MIX), "all", 10**9, seed=3, centre=Centre())
    book = Book()
    counts: dict[str, int] = {}
    known: set[int] = set()
    for _ in range(20_000):
        kind, request = flow.next()
        counts[kind] = counts.get(kind, 0) + 1
        if kind == PLACE:
            reply = book.answer(request)
            flow.answered(kind, reply)
            known.add(reply.order.order_id)
            # bids below the centre, asks above it: a bot's orders never cross
            above = int(request.price.replace(".", "")) > Centre().ticks
            assert above == (request.side == common_pb2.SIDE_SELL)
        elif MIX_KEY[kind] in ("cancel", "amend"):
            assert request.order_id in known
            if MIX_KEY[kind] == "cancel":
                known.discard(request.order_id)
    requested = Mix.parse(ISSUE_MIX).shares()
    observed = observed_mix(counts)
    assert set(observed) == set(requested)
    for key, share in requested.items():
        assert abs(observed[key] - share) < 0.015, (key, observed[key], share)
    assert {"get_order", "list_open_orders", "get_account"} <= set(counts)


def test_a_real_run_sends_the_requested_mix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["open-loop", "--rate", "400", "--duration", "1", "--warmup", "0.25", "--accounts", "4"]
    report = run_tool(capsys, tmp_path / "grpc.txt", *args, "--mix", ISSUE_MIX, "--max-open", "150", "--no-baseline")
    (run,) = report["runs"]
    assert run["mix"]["requested"] == Mix.parse(ISSUE_MIX).shares()
    for key, share in run["mix"]["requested"].items():
        assert abs(run["mix"]["observed"][key] - share) < 0.1, key
    operations = run["operations"]
    assert {"place_limit", "cancel", "amend", "place_market", "get_order", "list_open_orders", "get_account"} <= set(
        operations
    )
    # the only refusals: a cancel or amend of an order a market order filled meanwhile
    assert all(code.startswith("NOT_FOUND/") for code in run["errors_by_code"]), run["errors_by_code"]
    assert run["ok"] + run["errors"] == 400
