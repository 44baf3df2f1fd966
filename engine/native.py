"""How the classes a snapshot holds reduce for pickle and ``copy`` in both builds. The optional compiled
build (mypyc) makes them native classes, which cannot be built without their ``__init__`` arguments nor
restored field by field when frozen; so each one reduces to its constructor's arguments and, unless
frozen, the state to restore after (``__getstate__``: mypyc's for a native class, Python's otherwise).
A pickle is still specific to the build that wrote it (the two state layouts differ)."""

from dataclasses import fields
from typing import Any

Reduced = tuple[Any, ...]
"""What ``__reduce__`` returns: (constructor, its arguments[, state to restore])."""


def reduced(instance: Any, *arguments: Any) -> Reduced:
    """``__reduce__`` of a mutable class: built from ``arguments``, then its whole state restored."""
    return type(instance), arguments, instance.__getstate__()


def fields_reduced(instance: Any) -> Reduced:
    """``__reduce__`` of a frozen dataclass: built from its fields, nothing to restore after."""
    return type(instance), tuple(getattr(instance, field.name) for field in fields(instance))
