"""Stream messages captured when a command is applied and rendered to protobuf only when read.

Rendering every user event, book delta and trade to protobuf as the command is applied cost about
as much as the engine itself, mostly for topics nobody was subscribed to. The exchange now keeps a
``Deferred``: the function that renders the message plus its inputs, copied at that moment so
that later commands cannot change them. The sequencer renders it when it publishes to a topic that
has subscribers (and skips it otherwise); a user event kept for resuming is rendered when a resume
reads it. The message is built once and then shared by every reader.
"""

from collections.abc import Callable
from typing import Any


class Deferred:
    """One message, rendered by ``build(*args)`` on the first ``message()`` call and kept.

    A pickle (the snapshot) holds the inputs, not the message: rendering again from the same inputs
    gives the same message.

    >>> calls = []
    >>> item = Deferred(lambda x: calls.append(x) or x * 2, 21)
    >>> item.message(), item.message(), calls
    (42, 42, [21])
    """

    __slots__ = ("_args", "_build", "_message")

    def __init__(self, build: Callable[..., Any], *args: Any) -> None:
        self._build = build
        self._args = args
        self._message: Any = None

    def message(self) -> Any:
        message = self._message
        if message is None:
            message = self._message = self._build(*self._args)
        return message

    def __getstate__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return self._build, self._args

    def __setstate__(self, state: tuple[Callable[..., Any], tuple[Any, ...]]) -> None:
        self._build, self._args = state
        self._message = None


def materialize(item: Any) -> Any:
    """The message itself, whether ``item`` is one or a ``Deferred`` of one."""
    return item.message() if type(item) is Deferred else item
