"""OrderSession: commands in batches on one bidirectional stream, pipelined.

Each request gets exactly one response with its correlation id; ``submit`` awaits that response, so up
to ``window`` requests can be in flight while answers arrive in order. A refused command is a result
(the PaperexError for its reason), not an exception, so one refusal does not hide the other results of
its batch. If the stream fails, every request still waiting fails with that error and the next request
opens a new stream; a PlaceOrder whose answer was lost is retried safely with its client_order_id.

A request refused whole for a rate limit (nothing was done) is sent again after the delay the server
asked, under the session's retry policy. A command of a batch that the exchange refused UNAVAILABLE is
sent again under that policy when that is safe: any command that was not carried out (an injected
refusal, maintenance), and a PlaceOrder whatever happened (its client_order_id turns a repeat into the
original order). The repeats go as one request after the rest of the batch was answered, so they run
after it.
"""

import asyncio
import contextlib
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from paperex.client import models
from paperex.client.commands import AmendOrder, CancelAllOrders, CancelOrder, OrderCommand, PlaceOrder
from paperex.client.convert import from_proto
from paperex.client.errors import InjectedFault, Maintenance, PaperexError, Unavailable, from_rejection, from_rpc_error
from paperex.client.retry import NO_RETRY, RetryPolicy
from paperex.client.streams import StreamEnded
from paperex.v1 import trading_pb2

# Writing to a call that already ended; grpcio may report INTERNAL here instead of the real status (grpc#36066).
STREAM_OVER = (grpc.aio.AioRpcError, asyncio.InvalidStateError)
Result = models.PlaceOrderResponse | models.AmendOrderResponse | models.Order | list[models.Order] | PaperexError


class _Stream:
    """One opened OrderSession call, the requests waiting on it and the task reading its answers."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.pending: dict[str, asyncio.Future[list[Result]]] = {}
        self.writing = asyncio.Lock()  # grpc takes one message at a time: a second write in flight is lost
        self.reader = asyncio.create_task(self._read())

    async def write(self, request: trading_pb2.OrderSessionRequest) -> None:
        """Sends one request; if the stream is over, its reader fails the waiting answers with the
        server's status (grpcio may report INTERNAL on the write itself, grpc#36066)."""
        async with self.writing:
            try:
                await self.call.write(request)
            except STREAM_OVER:
                if not self.call.done():
                    self.call.cancel()  # never leave an answer waiting for a request that was not sent

    async def _read(self) -> None:
        failure: PaperexError = StreamEnded("the OrderSession stream ended")
        try:
            async for response in self.call:
                answer = self.pending.pop(response.correlation_id, None)
                if answer is None or answer.done():
                    continue
                if response.HasField("rejection"):
                    answer.set_exception(from_rejection(from_proto(models.Rejection, response.rejection)))
                else:
                    answer.set_result([_result(item) for item in response.results])
        except grpc.aio.AioRpcError as error:
            failure = from_rpc_error(error)
        finally:  # also when the call was cancelled under us: nobody may wait for an answer forever
            for answer in self.pending.values():
                if not answer.done():
                    answer.set_exception(failure)
            self.pending.clear()


class OrderSession:
    """One OrderSession stream of one account (``AsyncClient.order_session()``)."""

    def __init__(self, open_stream: Callable[[], Any], *, window: int = 64, retry: RetryPolicy = NO_RETRY) -> None:
        self._open_stream = open_stream
        self._retry = retry
        self._window = asyncio.Semaphore(window)
        self._correlation = itertools.count(1)
        self._stream: _Stream | None = None

    async def __aenter__(self) -> "OrderSession":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Ends the stream after the requests in flight are answered."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        if stream.pending:
            await asyncio.gather(*stream.pending.values(), return_exceptions=True)
        with contextlib.suppress(*STREAM_OVER):
            await stream.call.done_writing()
        await stream.reader

    async def submit(self, commands: Sequence[OrderCommand]) -> list[Result]:
        """Applies ``commands`` in order as one request; one result per command, refusals included
        (those safe to repeat are sent again first, see above). A refusal of the whole request (a rate
        limit once the policy gives up, a batch too large) or a failed stream raises."""
        results = await self._retry.run(lambda: self._request(commands), repeatable=False)
        attempt = 1
        while again := _repeatable(commands, results):
            delays = [self._retry.delay_for(error, attempt) for error in again.values()]
            if None in delays:
                break
            await asyncio.sleep(max(delay for delay in delays if delay is not None))
            repeated = await self._request([commands[index] for index in again])
            for index, result in zip(again, repeated, strict=True):
                results[index] = result
            attempt += 1
        return results

    async def _request(self, commands: Sequence[OrderCommand]) -> list[Result]:
        request = trading_pb2.OrderSessionRequest(
            correlation_id=str(next(self._correlation)), commands=[command.to_command() for command in commands]
        )
        async with self._window:
            stream = self._ensure_open()
            answer: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
            stream.pending[request.correlation_id] = answer
            await stream.write(request)
            return await answer

    async def place_order(self, order: PlaceOrder) -> models.PlaceOrderResponse:
        result: models.PlaceOrderResponse = await self._one(order)
        return result

    async def amend_order(self, amend: AmendOrder) -> models.AmendOrderResponse:
        result: models.AmendOrderResponse = await self._one(amend)
        return result

    async def cancel_order(self, symbol: str, *, order_id: int = 0, client_order_id: str = "") -> models.Order:
        result: models.Order = await self._one(CancelOrder(symbol, order_id, client_order_id))
        return result

    async def cancel_all_orders(self, symbol: str) -> list[models.Order]:
        result: list[models.Order] = await self._one(CancelAllOrders(symbol))
        return result

    async def _one(self, command: OrderCommand) -> Any:
        (result,) = await self.submit([command])
        if isinstance(result, PaperexError):
            raise result
        return result

    def _ensure_open(self) -> _Stream:
        if self._stream is None or self._stream.reader.done():
            self._stream = _Stream(self._open_stream())
        return self._stream


def _repeatable(commands: Sequence[OrderCommand], results: list[Result]) -> dict[int, Unavailable]:
    """The commands refused UNAVAILABLE that are safe to send again, by position, with their refusal:
    those not carried out, and places (a client_order_id makes a repeat return the original order)."""
    return {
        index: result
        for index, (command, result) in enumerate(zip(commands, results, strict=True))
        if isinstance(result, Unavailable)
        and (isinstance(command, PlaceOrder) or isinstance(result, InjectedFault | Maintenance))
    }


def _result(item: trading_pb2.OrderCommandResult) -> Result:
    kind = item.WhichOneof("result")
    if kind == "place_order":
        return from_proto(models.PlaceOrderResponse, item.place_order)
    if kind == "amend_order":
        return from_proto(models.AmendOrderResponse, item.amend_order)
    if kind == "cancel_order":
        return from_proto(models.Order, item.cancel_order.order)
    if kind == "cancel_all_orders":
        return [from_proto(models.Order, order) for order in item.cancel_all_orders.orders]
    return from_rejection(from_proto(models.Rejection, item.rejection))
