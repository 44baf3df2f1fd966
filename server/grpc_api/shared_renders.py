"""Stream values rendered once for all the gRPC subscribers of a topic.

The core publishes each value once to every subscriber of its topic, and they read the same values in
the same order: the first reader renders a value, the others take its message. Values are recognised
by identity (``SharedRenders`` holds each one it keeps, so no other object can take its id meanwhile).
"""

from collections.abc import Callable
from typing import Generic, TypeVar

from paperex.engine.instruments import Instrument

V = TypeVar("V")
M = TypeVar("M")

KEPT = 1024
"""Messages kept per kind of value: subscribers that keep up read within far fewer values of each other;
one further behind renders its own."""


class SharedRenders(Generic[V, M]):
    """``render(value, spec)``, remembered for the ``kept`` values rendered last.

    >>> calls = []
    >>> shared = SharedRenders(lambda value, spec: calls.append(value) or [value], kept=2)
    >>> first, second, third = ("a",), ("b",), ("c",)
    >>> shared(first, None) is shared(first, None), calls
    (True, [('a',)])
    >>> _ = shared(second, None), shared(third, None), shared(first, None)  # the first was dropped
    >>> calls
    [('a',), ('b',), ('c',), ('a',)]
    """

    __slots__ = ("_kept", "_limit", "_render")

    def __init__(self, render: Callable[[V, Instrument], M], kept: int = KEPT) -> None:
        self._render = render
        self._limit = kept
        self._kept: dict[int, tuple[V, M]] = {}

    def __call__(self, value: V, spec: Instrument) -> M:
        kept = self._kept
        found = kept.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        message = self._render(value, spec)
        kept[id(value)] = (value, message)
        if len(kept) > self._limit:
            del kept[next(iter(kept))]  # the oldest
        return message
