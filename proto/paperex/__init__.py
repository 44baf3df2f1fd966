"""paperex, a paper-trading crypto derivatives exchange: the SDK's everyday names, importable from here.

    from paperex import AsyncClient, PlaceOrder, Side

The parts: ``paperex.engine`` (the pure core), ``paperex.server`` (the host), ``paperex.client`` (the
SDK, CLI, sample bots and pytest plugin) and ``paperex.v1`` (the generated gRPC API). The names below
are imported on first use (PEP 562): ``import paperex.engine`` or ``paperex.v1`` must not load the SDK
and grpc with it, since the engine is pure and neither the server nor the generated code needs the SDK.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperex.client.book_mirror import BookMirror, follow_book
    from paperex.client.client import AsyncAdmin, AsyncClient
    from paperex.client.commands import AmendOrder, CancelAllOrders, CancelOrder, PlaceOrder
    from paperex.client.enums import (
        AlertDirection,
        BalanceChangeReason,
        CandleInterval,
        ClockMode,
        EndReason,
        IncomeType,
        LiquidationFeeModel,
        MarginAdjustment,
        MarginMode,
        OrderStatus,
        OrderType,
        PositionMode,
        PositionSide,
        SelfTradePrevention,
        Side,
        TimeInForce,
        TriggerBy,
    )
    from paperex.client.errors import (
        AlreadyExists,
        InvalidRequest,
        LimitExceeded,
        NotFound,
        PaperexError,
        PermissionDenied,
        Refused,
        Unauthenticated,
        Unavailable,
    )
    from paperex.client.sync import Admin, Client
    from paperex.client.tracker import AccountTracker

SDK_MODULES = (
    "paperex.client.client",
    "paperex.client.sync",
    "paperex.client.commands",
    "paperex.client.enums",
    "paperex.client.errors",
    "paperex.client.book_mirror",
    "paperex.client.tracker",
)
"""Where the names of ``__all__`` live (the imports above, which ``tests/clients/test_top_level_names.py``
keeps equal to ``__all__``)."""

__all__ = [
    "AccountTracker",
    "Admin",
    "AlertDirection",
    "AlreadyExists",
    "AmendOrder",
    "AsyncAdmin",
    "AsyncClient",
    "BalanceChangeReason",
    "BookMirror",
    "CancelAllOrders",
    "CancelOrder",
    "CandleInterval",
    "Client",
    "ClockMode",
    "EndReason",
    "IncomeType",
    "InvalidRequest",
    "LimitExceeded",
    "LiquidationFeeModel",
    "MarginAdjustment",
    "MarginMode",
    "NotFound",
    "OrderStatus",
    "OrderType",
    "PaperexError",
    "PermissionDenied",
    "PlaceOrder",
    "PositionMode",
    "PositionSide",
    "Refused",
    "SelfTradePrevention",
    "Side",
    "TimeInForce",
    "TriggerBy",
    "Unauthenticated",
    "Unavailable",
    "follow_book",
]

if not TYPE_CHECKING:  # type checkers see the imports above; a module __getattr__ would hide typos from them

    def __getattr__(name: str) -> object:
        """Imports the SDK on first use of one of its names and keeps them all here for the next one."""
        if name not in __all__:
            raise AttributeError(f"module 'paperex' has no attribute {name!r}")
        for home in map(importlib.import_module, SDK_MODULES):
            globals().update({known: getattr(home, known) for known in __all__ if hasattr(home, known)})
        return globals()[name]

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
