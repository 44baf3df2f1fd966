"""The .proto files serve other languages as well as Python: every file names its package for the common
code generators, the same way in each file (buf's STANDARD lint conventions), and the API with the
google.rpc status details compiles from ``proto/`` and ``proto/include/`` alone."""

import re
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest
from google.protobuf import descriptor_pb2
from google.rpc import error_details_pb2, status_pb2

from tests.protoc import INCLUDE, PROTO, ProtocError, compile_protos, paperex_sources

SHARED_OPTIONS = {
    "csharp_namespace": "Paperex.V1",
    "go_package": "github.com/paperex/paperex/gen/go/paperex/v1;paperexv1",
    "java_multiple_files": True,
    "java_package": "com.paperex.v1",
    "objc_class_prefix": "PXX",
    "php_namespace": "Paperex\\V1",
    "ruby_package": "Paperex::V1",
}
"""One value per option for the whole package: generated code of every file lands in one namespace."""

OUTER_CLASSNAMES = {
    "paperex/v1/account.proto": "AccountProto",
    "paperex/v1/admin.proto": "AdminProto",
    "paperex/v1/common.proto": "CommonProto",
    "paperex/v1/errors.proto": "ErrorsProto",
    "paperex/v1/market_data.proto": "MarketDataProto",
    "paperex/v1/trading.proto": "TradingProto",
}
"""The file name in PascalCase plus "Proto": unique per file, and never a message, enum or service name."""

FILES = list(compile_protos(paperex_sources(), [PROTO]).file)
"""Every .proto of the API as protoc reads it (a new file is in it without being listed here)."""


@pytest.mark.parametrize("file", FILES, ids=lambda file: file.name)
def test_every_file_names_its_package_for_the_common_generators(file: descriptor_pb2.FileDescriptorProto) -> None:
    options = file.options
    assert {name: getattr(options, name) for name in SHARED_OPTIONS} == SHARED_OPTIONS
    assert options.java_outer_classname == OUTER_CLASSNAMES[file.name]


def test_no_outer_classname_collides_with_a_declared_name() -> None:
    declared = {
        declaration.name for file in FILES for declaration in (*file.message_type, *file.enum_type, *file.service)
    }
    assert set(OUTER_CLASSNAMES) == {file.name for file in FILES}
    assert declared.isdisjoint(OUTER_CLASSNAMES.values())


GOOGLE_RPC = ["google/rpc/error_details.proto", "google/rpc/status.proto"]
"""What a client compiles beside the API to decode a refusal's google.rpc.Status details."""


def test_the_api_and_the_status_details_compile_from_proto_and_include_alone() -> None:
    compiled = compile_protos([*paperex_sources(), *GOOGLE_RPC], [PROTO, INCLUDE])

    assert sorted(file.name for file in compiled.file) == sorted([*OUTER_CLASSNAMES, *GOOGLE_RPC])


def test_an_import_of_the_status_details_resolves_only_through_the_include_folder(tmp_path: Path) -> None:
    """The control: protoc's own include path (the well-known types) has no google/rpc; proto/include does."""
    (tmp_path / "client.proto").write_text(
        'syntax = "proto3";\nimport "google/rpc/status.proto";\nmessage Seen { google.rpc.Status status = 1; }\n'
    )
    with pytest.raises(ProtocError, match=re.escape('Import "google/rpc/status.proto" was not found')):
        compile_protos(["client.proto"], [tmp_path, PROTO])

    (compiled,) = compile_protos(["client.proto"], [tmp_path, PROTO, INCLUDE]).file
    assert list(compiled.dependency) == ["google/rpc/status.proto"]


def clear_json_names(messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
    """protoc writes each field's derived JSON name into a descriptor set; the Python runtime keeps none."""
    for message in messages:
        for field in message.field:
            field.ClearField("json_name")
        clear_json_names(message.nested_type)


@pytest.mark.parametrize(("name", "module"), [(GOOGLE_RPC[0], error_details_pb2), (GOOGLE_RPC[1], status_pb2)])
def test_the_shipped_google_rpc_files_declare_what_the_server_packs(name: str, module: ModuleType) -> None:
    """The server builds its details with googleapis-common-protos; the copies for other languages must
    describe the same messages, field for field (refresh them from that package when it changes)."""
    (shipped,) = compile_protos([name], [INCLUDE]).file
    clear_json_names(shipped.message_type)
    installed = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(installed)

    assert shipped == installed
