"""Blocking wrappers for scripts and notebooks: ``Client`` and ``Admin`` mirror ``AsyncClient`` and
``AsyncAdmin`` method for method.

Each wrapper owns an event loop in a daemon thread and runs the async SDK there, so the retry,
reconnect and conversion code exists once. Coroutines become blocking calls, async iterators become
iterators, and an OrderSession becomes a blocking session.

    with Client("127.0.0.1:50051", api_key=key) as client:
        print(client.account().available_balance)
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from paperex.client.client import DEFAULT_TARGET, AsyncAdmin, AsyncClient
from paperex.client.session import OrderSession

T = TypeVar("T")


class _LoopThread:
    """An event loop running forever in a daemon thread; ``run`` blocks on a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="paperex-sdk", daemon=True)
        self._thread.start()

    def run(self, coroutine: Awaitable[T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(_awaited(coroutine), self.loop)
        return future.result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class _Blocking:
    """Any SDK object seen from a thread without a loop: its coroutines run to completion on the loop."""

    def __init__(self, target: Any, runner: _LoopThread) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._unwrap(self._runner.run(_call_on_loop(attribute, args, kwargs)))

        return call

    def _unwrap(self, value: Any) -> Any:
        if isinstance(value, AsyncIterator):
            return self._iterate(value)
        if isinstance(value, OrderSession):
            return _Blocking(value, self._runner)
        return value

    def _iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        try:
            while True:
                try:
                    yield self._runner.run(anext(iterator))
                except StopAsyncIteration:
                    return
        finally:
            self._runner.run(_close(iterator))

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _SyncConnection(_Blocking):
    def __init__(self, factory: Callable[[], Any]) -> None:
        runner = _LoopThread()
        super().__init__(runner.run(_build(factory)), runner)

    def close(self) -> None:
        """Closes the channel and stops the loop thread."""
        self._runner.run(self._target.close())
        self._runner.stop()


class Client(_SyncConnection):
    """Blocking ``AsyncClient`` (an account's API key)."""

    def __init__(self, target: str = DEFAULT_TARGET, *, api_key: str, **options: Any) -> None:
        super().__init__(lambda: AsyncClient(target, api_key=api_key, **options))


class Admin(_SyncConnection):
    """Blocking ``AsyncAdmin`` (the admin token)."""

    def __init__(self, target: str = DEFAULT_TARGET, *, admin_token: str, **options: Any) -> None:
        super().__init__(lambda: AsyncAdmin(target, admin_token=admin_token, **options))


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def _build(factory: Callable[[], T]) -> T:
    return factory()  # inside the loop thread: the channel belongs to that loop


async def _call_on_loop(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Calls on the loop thread; awaits the result when it is a coroutine."""
    result = function(*args, **kwargs)
    return await result if asyncio.iscoroutine(result) else result


async def _close(iterator: AsyncIterator[Any]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()
