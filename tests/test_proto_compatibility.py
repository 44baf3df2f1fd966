"""The wire API stays compatible with the released descriptor set (``proto/compatibility.py``), and the
check catches each kind of break a client built from the released .proto would suffer."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[1]


def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compatibility", ROOT / "proto" / "compatibility.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_current_api_is_compatible_with_the_released_one() -> None:
    result = subprocess.run(
        [sys.executable, "proto/compatibility.py"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_removing_renumbering_retyping_or_renaming_is_a_break_and_adding_is_not() -> None:
    compatibility = checker()
    released = compatibility.current_api()
    changed = descriptor_pb2.FileDescriptorSet()
    changed.CopyFrom(released)
    files = {file.name: file for file in changed.file}
    common = files["paperex/v1/common.proto"]
    order = next(message for message in common.message_type if message.name == "Order")
    symbol = next(field for field in order.field if field.name == "symbol")
    symbol.number = 99  # renumbered: field 3 is gone
    price = next(field for field in order.field if field.name == "price")
    price.type = descriptor_pb2.FieldDescriptorProto.TYPE_INT64
    side = next(enum for enum in common.enum_type if enum.name == "Side")
    side.value[1].name = "SIDE_LONG"
    trading = files["paperex/v1/trading.proto"]
    service = trading.service[0]
    del service.method[[method.name for method in service.method].index("CancelOrder")]
    order.field.add(name="added_later", number=1000, type=descriptor_pb2.FieldDescriptorProto.TYPE_BOOL)

    found = compatibility.breaks(released, changed)

    assert found == [
        ".paperex.v1.Order field 3 (symbol) was removed",
        ".paperex.v1.Order field 8 (price) changed its type: 9 -> 3",
        ".paperex.v1.Side value 1 (SIDE_BUY) was removed or renamed",
        ".paperex.v1.Trading.CancelOrder was removed",
    ]
    assert compatibility.breaks(released, released) == []


def test_file_options_are_not_wire_changes() -> None:
    """The released set predates the generator options (go_package, java_package, ...); they name the
    generated code's package in each language and never change what travels on the wire."""
    compatibility = checker()
    released = descriptor_pb2.FileDescriptorSet.FromString(compatibility.RELEASED.read_bytes())
    current = compatibility.current_api()
    released_options = {file.name: file.options for file in released.file}

    assert all(file.options != released_options[file.name] for file in current.file)
    assert compatibility.breaks(released, current) == []
