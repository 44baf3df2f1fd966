"""``python -m tests.typecheck [mypy options]``: mypy, as pyproject.toml configures it (strict), over the
checkout's packages under the names they install as.

mypy names a file after its folders (``engine/book.py`` would be ``engine.book``) and cannot see
setuptools' ``package-dir``, so plain ``mypy`` would find no ``paperex.engine`` to check imports
against. Here each source goes to mypy under its installed name (``paperex.engine.book``), so the
checkout is checked exactly as the code and its users import it.
"""

import sys
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.main import process_options
from mypy.modulefinder import BuildSource

from tests.installed_names import PACKAGE_DIRS, installed_name

SOURCES = [
    str(PACKAGE_DIRS["paperex"] / "__init__.py"),  # the top-level names; paperex.v1 is generated, with stubs
    *(str(folder) for package, folder in PACKAGE_DIRS.items() if package != "paperex"),
]


def renamed(source: BuildSource) -> BuildSource:
    name = installed_name(Path(source.path)) if source.path else None
    return BuildSource(source.path, name, source.text) if name else source


def main(argv: list[str]) -> int:
    """mypy's messages and summary for ``argv`` (mypy options) plus SOURCES; 1 when any error."""
    sources, options = process_options([*argv, *SOURCES])
    try:
        messages = build.build([renamed(source) for source in sources], options).errors
    except CompileError as error:
        messages = error.messages
    if messages:
        print(*messages, sep="\n")
    errors = sum(": error: " in message for message in messages)
    print(f"Found {errors} errors" if errors else f"Success: no issues found in {len(sources)} source files")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
