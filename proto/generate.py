"""Generate the Python API of ``proto/paperex/v1/*.proto`` into the same folder (import name ``paperex.v1``).

    python proto/generate.py           write *_pb2.py, *_pb2.pyi, *_pb2_grpc.py, *_pb2_grpc.pyi
    python proto/generate.py --check   regenerate into a temporary folder and compare byte for byte;
                                       exit 1 naming every stale, missing or orphaned file

protoc runs as ``sys.executable -m grpc_tools.protoc`` in a subprocess: that entry point adds the
well-known types (google/protobuf/*.proto) bundled with grpcio-tools to the include path. Messages get
protoc's own ``--pyi_out`` stubs; services get mypy-protobuf's ``--mypy_grpc_out`` stubs (typed sync and
aio stubs and servicers). Output is always produced in a temporary folder first, then copied over the
files that differ, and generated files whose .proto is gone are deleted, so a failed run leaves the tree
as it was. The output depends on the exact grpcio-tools and mypy-protobuf versions (pinned in ``dev``).
"""

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PACKAGE = Path("paperex", "v1")
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")
MYPY_GRPC_PLUGIN = "protoc-gen-mypy_grpc"


def proto_sources() -> list[Path]:
    """The .proto files, relative to the repository root, in a stable order."""
    return sorted(path.relative_to(ROOT) for path in (PROTO_ROOT / PACKAGE).glob("*.proto"))


def generated_files(folder: Path) -> set[str]:
    """Names of the generated files in ``folder`` (hand-written ``__init__.py`` and ``py.typed`` excluded)."""
    if not folder.is_dir():
        return set()
    return {path.name for path in folder.iterdir() if path.is_file() and path.name.endswith(GENERATED_SUFFIXES)}


def find_mypy_grpc_plugin() -> str:
    """mypy-protobuf's protoc plugin, preferring the one installed beside this interpreter."""
    search = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    plugin = shutil.which(MYPY_GRPC_PLUGIN, path=os.pathsep.join(search))
    if plugin is None:
        sys.exit(f"{MYPY_GRPC_PLUGIN} not found: install the dev extras (pip install -e '.[dev]', mypy-protobuf)")
    return plugin


def run_protoc(out: Path) -> None:
    """Generate every output kind for every source into ``out`` (which mirrors ``proto/``)."""
    sources = proto_sources()
    if not sources:
        sys.exit(f"no .proto files in {PROTO_ROOT / PACKAGE}")
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I",
        "proto",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin={MYPY_GRPC_PLUGIN}={find_mypy_grpc_plugin()}",
        f"--mypy_grpc_out={out}",
        *(str(source) for source in sources),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"protoc failed ({result.returncode}):\n{result.stderr}")


def differences(fresh: Path, committed: Path) -> list[tuple[str, str]]:
    """(status, name) of every generated file of ``committed`` that is stale, missing or orphaned."""
    new, old = generated_files(fresh), generated_files(committed)
    found = [("missing", name) for name in sorted(new - old)]
    found += [("orphaned", name) for name in sorted(old - new)]
    found += [
        ("stale", name) for name in sorted(new & old) if not filecmp.cmp(fresh / name, committed / name, shallow=False)
    ]
    return found


def sync(fresh: Path, committed: Path, found: list[tuple[str, str]]) -> None:
    """Make ``committed`` hold exactly the generated files of ``fresh``, given their ``differences``."""
    for status, name in found:
        if status == "orphaned":
            (committed / name).unlink()
        else:
            shutil.copyfile(fresh / name, committed / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    committed = PROTO_ROOT / PACKAGE
    with tempfile.TemporaryDirectory(prefix="paperex-proto-") as temp:
        run_protoc(Path(temp))
        fresh = Path(temp) / PACKAGE
        found = differences(fresh, committed)
        for status, name in found:
            print(f"{status}: {PACKAGE.as_posix()}/{name}", file=sys.stderr if args.check else sys.stdout)
        if args.check and found:
            print("generated code is out of date: run python proto/generate.py", file=sys.stderr)
            return 1
        if not args.check:
            sync(fresh, committed, found)
        if not found:
            print(f"generated code is up to date ({len(generated_files(fresh))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
