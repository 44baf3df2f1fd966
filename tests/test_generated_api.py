"""The generated API ``paperex.v1``: fresh, importable by its package path, a superset of the engine's
vocabulary, in protobuf style, and loadable by the runtime versions installed and declared."""

import re
import subprocess
import sys
import tomllib
from enum import Enum
from pathlib import Path

import google.protobuf
import grpc
import pytest
from google.protobuf.descriptor import EnumDescriptor, FileDescriptor
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from paperex.engine.orders import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce, TriggerBy
from paperex.engine.reasons import EndReason, RejectReason
from paperex.v1 import (
    account_pb2,
    account_pb2_grpc,
    admin_pb2,
    admin_pb2_grpc,
    common_pb2,
    common_pb2_grpc,
    errors_pb2,
    errors_pb2_grpc,
    market_data_pb2,
    market_data_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "proto" / "paperex" / "v1"
MESSAGE_MODULES = [account_pb2, admin_pb2, common_pb2, errors_pb2, market_data_pb2, trading_pb2]
GRPC_MODULES = [
    account_pb2_grpc,
    admin_pb2_grpc,
    common_pb2_grpc,
    errors_pb2_grpc,
    market_data_pb2_grpc,
    trading_pb2_grpc,
]
FILES: list[FileDescriptor] = [module.DESCRIPTOR for module in MESSAGE_MODULES]


def version(text: str) -> tuple[int, ...]:
    """'1.85.1' -> (1, 85, 1); pre-release suffixes are ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def enum_prefix(name: str) -> str:
    """The value prefix the protobuf style guide asks for: 'RejectReason' -> 'REJECT_REASON_'."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() + "_"


def all_enums() -> list[EnumDescriptor]:
    enums: list[EnumDescriptor] = []
    for file in FILES:
        enums.extend(file.enum_types_by_name.values())
        pending = list(file.message_types_by_name.values())
        while pending:
            message = pending.pop()
            enums.extend(message.enum_types)
            pending.extend(message.nested_types)
    return enums


def test_generate_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, "proto/generate.py", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_modules_import_from_the_package_path_beside_their_sources() -> None:
    for module in [*MESSAGE_MODULES, *GRPC_MODULES]:
        assert Path(module.__file__ or "").resolve().parent == GENERATED
    assert {file.package for file in FILES} == {"paperex.v1"}
    assert trading_pb2.DESCRIPTOR.services_by_name["Trading"].methods_by_name["PlaceOrder"].input_type.name == (
        "PlaceOrderRequest"
    )
    assert callable(trading_pb2_grpc.TradingStub) and callable(trading_pb2_grpc.add_TradingServicer_to_server)


@pytest.mark.parametrize(
    ("engine_enum", "proto_enum"),
    [
        (RejectReason, errors_pb2.RejectReason),
        (EndReason, errors_pb2.EndReason),
        (Side, common_pb2.Side),
        (OrderType, common_pb2.OrderType),
        (TimeInForce, common_pb2.TimeInForce),
        (TriggerBy, common_pb2.TriggerBy),
        (SelfTradePrevention, common_pb2.SelfTradePrevention),
        (OrderStatus, common_pb2.OrderStatus),
    ],
    ids=lambda value: getattr(value, "__name__", None) or value.DESCRIPTOR.full_name,
)
def test_every_engine_name_exists_in_the_proto_enum(engine_enum: type[Enum], proto_enum: EnumTypeWrapper) -> None:
    descriptor = proto_enum.DESCRIPTOR
    prefix = enum_prefix(descriptor.name)
    proto_names = {value.name.removeprefix(prefix) for value in descriptor.values}
    missing = sorted(member.name for member in engine_enum if member.name not in proto_names)
    assert missing == [], f"add {[prefix + name for name in missing]} to {descriptor.full_name}"


def test_reject_reason_covers_the_edge_and_margin_codes() -> None:
    names = set(errors_pb2.RejectReason.keys())
    for reason in [
        "UNAUTHENTICATED",
        "PERMISSION_DENIED",
        "RATE_LIMITED",
        "INSUFFICIENT_MARGIN",
        "LEVERAGE_TOO_HIGH",
        "MODE_CHANGE_WITH_OPEN_POSITION",
        "UNKNOWN_ACCOUNT",
    ]:
        assert f"REJECT_REASON_{reason}" in names


@pytest.mark.parametrize("enum", all_enums(), ids=lambda enum: enum.full_name)
def test_enums_follow_the_style_guide(enum: EnumDescriptor) -> None:
    prefix = enum_prefix(enum.name)
    assert enum.values_by_number[0].name == f"{prefix}UNSPECIFIED"
    assert [value.name for value in enum.values if not value.name.startswith(prefix)] == []


def test_rpcs_take_and_return_their_own_messages() -> None:
    for file in FILES:
        for service in file.services_by_name.values():
            for method in service.methods:
                assert (method.input_type.name, method.output_type.name) == (
                    f"{method.name}Request",
                    f"{method.name}Response",
                ), method.full_name


def stamped_grpc_versions() -> set[str]:
    return {module.GRPC_GENERATED_VERSION for module in GRPC_MODULES}


def stamped_protobuf_versions() -> set[str]:
    pattern = re.compile(r"^# Protobuf Python Version: (\S+)$", re.MULTILINE)
    found = {pattern.search(Path(module.__file__ or "").read_text()) for module in MESSAGE_MODULES}
    assert None not in found, "a *_pb2.py lacks its protobuf version stamp"
    return {match.group(1) for match in found if match}


def test_installed_runtimes_satisfy_the_generated_code() -> None:
    for stamped in stamped_grpc_versions():
        assert version(grpc.__version__) >= version(stamped), f"grpcio {grpc.__version__} < generated {stamped}"
    for stamped in stamped_protobuf_versions():
        installed = version(google.protobuf.__version__)
        assert installed >= version(stamped), f"protobuf {google.protobuf.__version__} < generated {stamped}"
        assert installed[0] == version(stamped)[0], "protobuf runtime and generated code differ in major version"


def declared_bounds(package: str) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """(floor, exclusive ceiling or None) of ``package`` in pyproject's runtime dependencies."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(dep for dep in dependencies if re.match(rf"{package}\s*[><=!~]", dep))
    floor = re.search(r">=\s*([\d.]+)", spec)
    ceiling = re.search(r"<\s*([\d.]+)", spec)
    assert floor, f"{spec!r} declares no floor"
    return version(floor.group(1)), version(ceiling.group(1)) if ceiling else None


def test_pyproject_floors_admit_only_runtimes_that_load_the_generated_code() -> None:
    grpc_floor, _ = declared_bounds("grpcio")
    for stamped in stamped_grpc_versions():
        assert grpc_floor >= version(stamped), f'pyproject needs "grpcio>={stamped}"'
    protobuf_floor, protobuf_ceiling = declared_bounds("protobuf")
    for stamped in stamped_protobuf_versions():
        major = version(stamped)[0]
        wanted = f'"protobuf>={stamped},<{major + 1}"'
        assert protobuf_floor >= version(stamped), f"pyproject needs {wanted}"
        assert protobuf_ceiling is not None and protobuf_ceiling[0] <= major + 1, f"pyproject needs {wanted}"
