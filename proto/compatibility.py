"""Keep the wire API compatible with the last release: ``proto/released/paperex-v1.binpb``.

    python proto/compatibility.py            compare the current API with the released one; exit 1
                                             naming every break
    python proto/compatibility.py --release  record the current API as the released one

A client built from the released .proto files must keep working against the current server, so
against the released descriptor set nothing may be removed or changed in place: a message's field (by
number) keeps its name, type, message or enum type and cardinality; an enum keeps every value (by
number) and its name; a service keeps every method with its request and response types; no message,
enum or service disappears. Adding is always allowed. File options (go_package, java_package, ...)
name the generated code in each language and change nothing on the wire, so they are not compared.
The current API is read from the generated modules (``paperex.v1``), which ``generate.py --check``
keeps equal to the .proto sources.
"""

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Iterable
from pathlib import Path

from google.protobuf import descriptor_pb2

RELEASED = Path(__file__).resolve().parent / "released" / "paperex-v1.binpb"
PACKAGE = "paperex.v1"


def current_api() -> descriptor_pb2.FileDescriptorSet:
    """The API as the generated modules describe it, one file per .proto, in name order."""
    api = importlib.import_module(PACKAGE)
    files = descriptor_pb2.FileDescriptorSet()
    for module in sorted(info.name for info in pkgutil.iter_modules(api.__path__) if info.name.endswith("_pb2")):
        descriptor = importlib.import_module(f"{PACKAGE}.{module}").DESCRIPTOR
        descriptor.CopyToProto(files.file.add())
    return files


class Api:
    """Fully qualified message, enum and service names of a descriptor set, to their descriptors."""

    def __init__(self, files: descriptor_pb2.FileDescriptorSet) -> None:
        self.messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        self.services: dict[str, descriptor_pb2.ServiceDescriptorProto] = {}
        for file in files.file:
            package = f".{file.package}"
            self._add_messages(package, file.message_type)
            self.enums.update((f"{package}.{enum.name}", enum) for enum in file.enum_type)
            self.services.update((f"{package}.{service.name}", service) for service in file.service)

    def _add_messages(self, prefix: str, messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
        for message in messages:
            name = f"{prefix}.{message.name}"
            self.messages[name] = message
            self.enums.update((f"{name}.{enum.name}", enum) for enum in message.enum_type)
            self._add_messages(name, message.nested_type)


FIELD_PARTS = ("name", "type", "type_name", "label")
"""What a field keeps for life: a client decodes its number by these."""


def breaks(released: descriptor_pb2.FileDescriptorSet, current: descriptor_pb2.FileDescriptorSet) -> list[str]:
    """What the current API removed or changed in place, one line each (empty: compatible)."""
    old, new = Api(released), Api(current)
    found = [
        f"{kind} {name} was removed"
        for kind, before, after in (
            ("message", old.messages, new.messages),
            ("enum", old.enums, new.enums),
            ("service", old.services, new.services),
        )
        for name in sorted(set(before) - set(after))
    ]
    for name, message in old.messages.items():
        fields = {field.number: field for field in new.messages.get(name, message).field}
        for field in message.field:
            now = fields.get(field.number)
            where = f"{name} field {field.number} ({field.name})"
            if now is None:
                found.append(f"{where} was removed")
                continue
            found += [
                f"{where} changed its {part}: {getattr(field, part)!r} -> {getattr(now, part)!r}"
                for part in FIELD_PARTS
                if getattr(now, part) != getattr(field, part)
            ]
    for name, enum in old.enums.items():
        values = {value.number: value.name for value in new.enums.get(name, enum).value}
        found += [
            f"{name} value {value.number} ({value.name}) was removed or renamed"
            for value in enum.value
            if values.get(value.number) != value.name
        ]
    for name, service in old.services.items():
        methods = {method.name: method for method in new.services.get(name, service).method}
        for method in service.method:
            now = methods.get(method.name)
            if now is None:
                found.append(f"{name}.{method.name} was removed")
            elif _signature(now) != _signature(method):
                found.append(f"{name}.{method.name} changed its request, response or streaming")
    return found


def _signature(method: descriptor_pb2.MethodDescriptorProto) -> tuple[str, str, bool, bool]:
    return method.input_type, method.output_type, method.client_streaming, method.server_streaming


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", action="store_true", help="record the current API as the released one")
    args = parser.parse_args(argv)
    current = current_api()
    if args.release:
        RELEASED.parent.mkdir(exist_ok=True)
        RELEASED.write_bytes(current.SerializeToString(deterministic=True))
        print(f"recorded {len(current.file)} files as the released API in {RELEASED.name}")
        return 0
    released = descriptor_pb2.FileDescriptorSet.FromString(RELEASED.read_bytes())
    found = breaks(released, current)
    for line in found:
        print(f"incompatible: {line}")
    if not found:
        print(f"compatible with the released API ({len(released.file)} files)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
