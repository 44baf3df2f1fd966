"""Trading: the calling account's orders (place, amend, cancel, query, preview, OrderSession)."""

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from paperex.engine.commands import AmendOrder, CancelOrder, PlaceOrder
from paperex.engine.instruments import Instrument
from paperex.server.core.application import OrderCommand, OrderResult
from paperex.server.grpc_api.auth import Context
from paperex.server.grpc_api.services.base import Runtime, streaming, unary
from paperex.server.wire import parse, render
from paperex.server.wire.errors import Refused, WireError
from paperex.server.wire.rejections import preview_refusal
from paperex.v1 import errors_pb2, trading_pb2, trading_pb2_grpc


class Answers:
    """Each order command's answer, rendered from its ``OrderResult``."""

    def __init__(self, instruments: Mapping[str, Instrument]) -> None:
        self.instruments = instruments

    def _fills_into(self, fills: Any, result: OrderResult) -> None:
        instruments = self.instruments
        fills.extend(render.fill(fill, instruments[fill.symbol]) for fill in result.fills)

    def place(self, result: OrderResult) -> trading_pb2.PlaceOrderResponse:
        response = trading_pb2.PlaceOrderResponse(duplicate=result.duplicate)
        render.snapshot_into(response.order, result.orders[0], self.instruments)
        self._fills_into(response.fills, result)
        return response

    def amend(self, result: OrderResult) -> trading_pb2.AmendOrderResponse:
        response = trading_pb2.AmendOrderResponse(priority_kept=result.priority_kept)
        render.snapshot_into(response.order, result.orders[0], self.instruments)
        self._fills_into(response.fills, result)
        return response

    def cancel(self, result: OrderResult) -> trading_pb2.CancelOrderResponse:
        response = trading_pb2.CancelOrderResponse()
        render.snapshot_into(response.order, result.orders[0], self.instruments)
        return response

    def cancel_all(self, result: OrderResult) -> trading_pb2.CancelAllOrdersResponse:
        response = trading_pb2.CancelAllOrdersResponse()
        orders = response.orders
        for order in result.orders:
            render.snapshot_into(orders.add(), order, self.instruments)
        return response

    def for_command(self, command: OrderCommand) -> Callable[[OrderResult], Any]:
        if isinstance(command, PlaceOrder):
            return self.place
        if isinstance(command, AmendOrder):
            return self.amend
        if isinstance(command, CancelOrder):
            return self.cancel
        return self.cancel_all

    def outcome(self, command: OrderCommand, result: OrderResult | Exception) -> Any:
        """The answer to one command of a batch, or the exception that refuses it."""
        if isinstance(result, Exception):
            return result
        try:
            return self.for_command(command)(result)
        except Exception as error:  # a fault confined to this command's answer
            return error


_RESULT_FIELDS = {
    trading_pb2.PlaceOrderResponse: "place_order",
    trading_pb2.AmendOrderResponse: "amend_order",
    trading_pb2.CancelOrderResponse: "cancel_order",
    trading_pb2.CancelAllOrdersResponse: "cancel_all_orders",
}


def add_result(results: Any, outcome: Any) -> None:
    """Append one command's result to a response's ``results`` (built in place: one copy of the
    answer, where building the result first and then the response copied it twice)."""
    if isinstance(outcome, Refused):
        results.add(rejection=outcome.rejection())
    elif isinstance(outcome, Exception):
        results.add(rejection=Refused("INTERNAL", "internal error").rejection())
    else:
        results.add(**{_RESULT_FIELDS[type(outcome)]: outcome})


class TradingService(trading_pb2_grpc.TradingServicer):
    """proto -> application -> proto: every decision is the application's (``paperex.server.core.application``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.answers = Answers(runtime.instruments)

    async def _command(
        self, request: Any, context: Context, parse_with: Callable[[Any, int, Any], OrderCommand]
    ) -> Any:
        """Authenticate, parse, then the application's order command, answered in kind."""
        account_id = self.runtime.auth.account(context)
        command = parse_with(request, account_id, self.runtime.instruments)
        result = await self.runtime.app.order_command(command)
        return self.answers.for_command(command)(result)

    @unary
    async def PlaceOrder(self, request: trading_pb2.PlaceOrderRequest, context: Context) -> Any:
        return await self._command(request, context, parse.place_order)

    @unary
    async def AmendOrder(self, request: trading_pb2.AmendOrderRequest, context: Context) -> Any:
        return await self._command(request, context, parse.amend_order)

    @unary
    async def CancelOrder(self, request: trading_pb2.CancelOrderRequest, context: Context) -> Any:
        return await self._command(request, context, parse.cancel_order)

    @unary
    async def CancelAllOrders(self, request: trading_pb2.CancelAllOrdersRequest, context: Context) -> Any:
        return await self._command(request, context, parse.cancel_all_orders)

    @unary
    async def GetOrder(self, request: trading_pb2.GetOrderRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        key = request.WhichOneof("order_key")
        if key is None:
            raise WireError("MISSING_FIELD", "order_id", "order_id or client_order_id is required")
        order = await self.runtime.app.order(account_id, spec.symbol, request.order_id, request.client_order_id)
        if order is None:
            asked = (
                {"order_id": str(request.order_id)}
                if key == "order_id"
                else {"client_order_id": request.client_order_id}
            )
            raise Refused("UNKNOWN_ORDER", f"no order with that id on {spec.symbol}", {"symbol": spec.symbol, **asked})
        response = trading_pb2.GetOrderResponse()
        render.snapshot_into(response.order, order, self.runtime.instruments)
        return response

    @unary
    async def ListOpenOrders(self, request: trading_pb2.ListOpenOrdersRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbols = self._symbols(request.symbol)
        response = trading_pb2.ListOpenOrdersResponse()
        for order in await self.runtime.app.open_orders(account_id, symbols):
            render.snapshot_into(response.orders.add(), order, self.runtime.instruments)
        return response

    def _symbols(self, symbol: str) -> list[str]:
        return [parse.instrument(self.runtime.instruments, symbol).symbol] if symbol else list(self.runtime.instruments)

    @unary
    async def ListOrders(self, request: trading_pb2.ListOrdersRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol if request.symbol else ""
        start, end = parse.time_range(request)
        size, before = parse.page_size(request.page_size), parse.page_token(request.page_token)
        page = await self.runtime.app.orders_page(account_id, symbol, start, end, before, size)
        token = str(page[-1][0].order_id) if len(page) == size else ""
        response = trading_pb2.ListOrdersResponse(next_page_token=token)
        for order in page:
            render.snapshot_into(response.orders.add(), order, self.runtime.instruments)
        return response

    @unary
    async def ListTrades(self, request: trading_pb2.ListTradesRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol if request.symbol else ""
        start, end = parse.time_range(request)
        size, before = parse.page_size(request.page_size), parse.page_token(request.page_token)
        page = await self.runtime.app.fills_page(account_id, symbol, request.order_id, start, end, before, size)
        token = str(page[-1].trade_id) if len(page) == size else ""
        fills = [render.fill(record, self.runtime.instruments[record.symbol]) for record in page]
        return trading_pb2.ListTradesResponse(fills=fills, next_page_token=token)

    @unary
    async def PreviewOrder(self, request: trading_pb2.PreviewOrderRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        if not request.HasField("order"):
            raise WireError("MISSING_FIELD", "order", "order is required")
        command = parse.place_order(request.order, account_id, self.runtime.instruments)
        if not command.quantity:
            raise WireError("MISSING_FIELD", "order.quantity", "a preview needs a quantity")
        current, other, ts = await self.runtime.app.preview(command)
        spec = self.runtime.instruments[command.symbol]
        return trading_pb2.PreviewOrderResponse(
            current_mode=render.preview(current, spec, _rejection(preview_refusal(current)), ts),
            other_mode=render.preview(other, spec, _rejection(preview_refusal(other)), ts),
        )

    @streaming
    async def OrderSession(
        self, request_iterator: AsyncIterator[trading_pb2.OrderSessionRequest], context: Context
    ) -> AsyncIterator[trading_pb2.OrderSessionResponse]:
        """Requests are read and queued as fast as they come (so a client can pipeline); answers
        go back in request order as each becomes durable."""
        account_id = self.runtime.auth.account(context)
        answers: asyncio.Queue[asyncio.Future[trading_pb2.OrderSessionResponse] | None] = asyncio.Queue()
        reader = asyncio.get_running_loop().create_task(
            self._read_session(account_id, request_iterator, answers, context)
        )
        try:
            while (pending := await answers.get()) is not None:
                yield await pending
            await reader
        finally:
            reader.cancel()

    async def _read_session(
        self,
        account_id: int,
        requests: AsyncIterator[trading_pb2.OrderSessionRequest],
        answers: "asyncio.Queue[asyncio.Future[trading_pb2.OrderSessionResponse] | None]",
        context: Context,
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for request in requests:
                self.runtime.auth.account(context)  # a key rotated away since the session opened ends it
                answer: asyncio.Future[trading_pb2.OrderSessionResponse] = loop.create_future()
                answers.put_nowait(answer)
                try:
                    self._start_batch(account_id, request, answer)
                except Refused as refused:
                    answer.set_result(
                        trading_pb2.OrderSessionResponse(
                            correlation_id=request.correlation_id, rejection=refused.rejection()
                        )
                    )
        finally:
            answers.put_nowait(None)

    def _start_batch(
        self,
        account_id: int,
        request: trading_pb2.OrderSessionRequest,
        answer: "asyncio.Future[trading_pb2.OrderSessionResponse]",
    ) -> None:
        limit = self.runtime.max_batch_commands
        if len(request.commands) > limit:
            raise Refused("BATCH_TOO_LARGE", f"at most {limit} commands per request", {"limit": str(limit)})
        parsed: list[OrderCommand | Refused] = [self._parse_command(account_id, c) for c in request.commands]
        commands = [c for c in parsed if not isinstance(c, Refused)]
        future = self.runtime.app.order_batch(account_id, commands)
        outcome = self.answers.outcome

        def finish(done: "asyncio.Future[list[OrderResult | Exception]]") -> None:
            failure = Refused("SHUTTING_DOWN", "the exchange stopped") if done.cancelled() else done.exception()
            outcomes = map(outcome, commands, done.result()) if failure is None else None
            response = trading_pb2.OrderSessionResponse(correlation_id=request.correlation_id)
            results = response.results
            for item in parsed:
                add_result(results, item if isinstance(item, Refused) else next(outcomes) if outcomes else failure)
            if not answer.done():
                answer.set_result(response)

        future.add_done_callback(finish)

    def _parse_command(self, account_id: int, command: trading_pb2.OrderCommand) -> "OrderCommand | Refused":
        specs = self.runtime.instruments
        kind = command.WhichOneof("command")
        try:
            if kind == "place_order":
                return parse.place_order(command.place_order, account_id, specs)
            if kind == "amend_order":
                return parse.amend_order(command.amend_order, account_id, specs)
            if kind == "cancel_order":
                return parse.cancel_order(command.cancel_order, account_id, specs)
            if kind == "cancel_all_orders":
                return parse.cancel_all_orders(command.cancel_all_orders, account_id, specs)
            return WireError("MISSING_FIELD", "command", "a command must set one of its kinds")
        except Refused as refused:
            return refused


def _rejection(refusal: Refused | None) -> errors_pb2.Rejection | None:
    return refusal.rejection() if refusal is not None else None
