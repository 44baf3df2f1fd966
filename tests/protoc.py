"""protoc as another language's build runs it: chosen .proto files compiled into a descriptor set with
only the include paths given. ``python -m grpc_tools.protoc`` adds protobuf's well-known types
(google/protobuf/*.proto) to the include path, as every protoc distribution does, and nothing else."""

import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[1]
PROTO = ROOT / "proto"
INCLUDE = PROTO / "include"


class ProtocError(Exception):
    """protoc refused the files; the message is its error output."""


def paperex_sources() -> list[str]:
    """The API's .proto files as protoc names them (relative to ``proto/``), in name order."""
    return sorted(path.relative_to(PROTO).as_posix() for path in (PROTO / "paperex" / "v1").glob("*.proto"))


def compile_protos(
    files: Iterable[str], include_paths: Iterable[Path], *, source_info: bool = False
) -> descriptor_pb2.FileDescriptorSet:
    """The descriptors of ``files`` (their imports left out), with comments when ``source_info``."""
    with tempfile.TemporaryDirectory(prefix="paperex-protoc-") as temp:
        out = Path(temp) / "set.binpb"
        command = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            *(f"--proto_path={path}" for path in include_paths),
            f"--descriptor_set_out={out}",
            *(["--include_source_info"] if source_info else []),
            *files,
        ]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ProtocError(result.stderr)
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
