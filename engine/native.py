"""``mypyc_attr``, for the classes the optional compiled build (mypyc) must treat specially: a native
class refuses pickle and ``copy`` unless its ``__init__`` takes no arguments, so the classes a snapshot
holds are marked ``@mypyc_attr(serializable=True)``, and frozen dataclasses reduce to their fields.
mypyc reads the mark as it compiles; at run time it changes nothing, so ``mypy_extensions`` is needed to
build, never to run."""

from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

Class = TypeVar("Class", bound=type)

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr as mypyc_attr  # noqa: PLC0414  (re-exported)
else:

    def mypyc_attr(*_names: str, **_values: Any) -> Callable[[Class], Class]:
        return lambda cls: cls


def fields_reduced(instance: Any) -> tuple[type, tuple[Any, ...]]:
    """``__reduce__`` of a frozen dataclass: rebuilt by its constructor from its fields. Compiled, it
    cannot be restored field by field (its frozen ``__setattr__`` refuses), nor built without them."""
    return type(instance), tuple(getattr(instance, field.name) for field in fields(instance))
