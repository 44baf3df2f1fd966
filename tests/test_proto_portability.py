"""The .proto files serve other languages as well as Python: every file names its package for the common
code generators, the same way in each file (buf's STANDARD lint conventions)."""

import pytest
from google.protobuf.descriptor import FileDescriptor

from paperex.v1 import account_pb2, admin_pb2, common_pb2, errors_pb2, market_data_pb2, trading_pb2

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

FILES: list[FileDescriptor] = [
    module.DESCRIPTOR for module in (account_pb2, admin_pb2, common_pb2, errors_pb2, market_data_pb2, trading_pb2)
]


@pytest.mark.parametrize("file", FILES, ids=lambda file: file.name)
def test_every_file_names_its_package_for_the_common_generators(file: FileDescriptor) -> None:
    options = file.GetOptions()
    assert {name: getattr(options, name) for name in SHARED_OPTIONS} == SHARED_OPTIONS
    assert options.java_outer_classname == OUTER_CLASSNAMES[file.name]


def test_no_outer_classname_collides_with_a_declared_name() -> None:
    declared = {
        name
        for file in FILES
        for names in (file.message_types_by_name, file.enum_types_by_name, file.services_by_name)
        for name in names
    }
    assert set(OUTER_CLASSNAMES) == {file.name for file in FILES}
    assert declared.isdisjoint(OUTER_CLASSNAMES.values())
