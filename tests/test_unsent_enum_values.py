"""Every value of an enum the server sends is produced by the engine or the server, or its comment in
the .proto says "Never sent; kept for wire compatibility", and a value so marked is indeed never
produced: a client in another language reads the .proto alone and must be able to trust it."""

import ast
from collections.abc import Iterable

import pytest
from google.protobuf import descriptor_pb2

from paperex.engine.events import BalanceReason
from paperex.engine.orders import OrderStatus
from paperex.engine.reasons import EndReason, RejectReason
from paperex.server.state.income import INCOME_TYPES
from tests.installed_names import PACKAGE_DIRS
from tests.protoc import PROTO, compile_protos, paperex_sources
from tests.test_generated_api import enum_prefix

NEVER_SENT = "Never sent; kept for wire compatibility."
ERROR_TABLE = PACKAGE_DIRS["paperex.server"] / "grpc_api" / "status.py"
"""Maps every RejectReason to its status code, sent or not: not evidence that a reason is sent."""


def server_string_literals() -> set[str]:
    """Every string literal of the server's modules but the error table: where the server names the
    reasons it refuses with beyond the engine's (``Refused("RATE_LIMITED", ...)``)."""
    literals: set[str] = set()
    for path in PACKAGE_DIRS["paperex.server"].rglob("*.py"):
        if path != ERROR_TABLE:
            tree = ast.parse(path.read_text(), filename=str(path))
            literals |= {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    return {literal for literal in literals if isinstance(literal, str)}


def names(values: Iterable[object]) -> set[str]:
    return {getattr(value, "name", str(value)) for value in values}


SENT: dict[str, set[str]] = {
    "RejectReason": names(RejectReason) | server_string_literals(),
    "EndReason": names(EndReason),
    "OrderStatus": names(OrderStatus),
    "BalanceChangeReason": names(BalanceReason),
    "IncomeType": names(INCOME_TYPES.values()),
}
"""Per enum the server sends, the unprefixed names something produces (the renderers map the engine's
and the income history's values onto the proto enums by name)."""

EXPECTED_UNSENT = {
    "RejectReason": {"ACCOUNT_IN_LIQUIDATION"},
    "EndReason": {"RESET"},
    "OrderStatus": set(),
    "BalanceChangeReason": set(),
    "IncomeType": set(),
}
"""Found by reading the engine and the server: no request can arrive mid-liquidation (it runs inside one
command), and Admin.Reset replaces the exchange without ending orders one by one."""


def proto_enums() -> dict[str, tuple[descriptor_pb2.EnumDescriptorProto, dict[int, str]]]:
    """Top-level enums by name, each with its values' leading comments by value index."""
    found = {}
    for file in compile_protos(paperex_sources(), [PROTO], source_info=True).file:
        comments = {tuple(location.path): location.leading_comments for location in file.source_code_info.location}
        for position, enum in enumerate(file.enum_type):
            enum_path = (descriptor_pb2.FileDescriptorProto.ENUM_TYPE_FIELD_NUMBER, position)
            value_field = descriptor_pb2.EnumDescriptorProto.VALUE_FIELD_NUMBER
            found[enum.name] = (
                enum,
                {index: comments.get((*enum_path, value_field, index), "") for index in range(len(enum.value))},
            )
    return found


PROTO_ENUMS = proto_enums()


@pytest.mark.parametrize("enum_name", sorted(SENT))
def test_unsent_values_are_exactly_those_the_proto_marks(enum_name: str) -> None:
    enum, comments = PROTO_ENUMS[enum_name]
    declared = {value.name.removeprefix(enum_prefix(enum_name)): index for index, value in enumerate(enum.value)}
    del declared["UNSPECIFIED"]
    unsent = {name for name in declared if name not in SENT[enum_name]}
    marked = {name for name, index in declared.items() if NEVER_SENT in " ".join(comments[index].split())}

    assert unsent == EXPECTED_UNSENT[enum_name]
    assert marked == unsent, f"mark {sorted(unsent - marked)} as never sent, or unmark {sorted(marked - unsent)}"


def test_the_scan_finds_the_server_only_reasons() -> None:
    """The control: reasons only the server refuses with are found, and the error table is not read."""
    literals = server_string_literals()
    assert {"RATE_LIMITED", "UNAUTHENTICATED", "SHUTTING_DOWN", "INVALID_SCENARIO", "TOO_MANY_ALERTS"} <= literals
    assert "ACCOUNT_IN_LIQUIDATION" not in literals
    assert '"ACCOUNT_IN_LIQUIDATION"' in ERROR_TABLE.read_text()
