"""Which folder installs as which package, read from pyproject.toml's ``package-dir``.

pytest and mypy name a file after its folders (``engine/book.py`` would be ``engine.book``) and know
nothing of setuptools' mapping, so the doctest collection (``conftest.py``), the type check
(``tests/typecheck.py``) and the import rules (``tests/test_architecture.py``) ask here for the name
each file installs as (``paperex.engine.book``), the one the code and its users import.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS: dict[str, Path] = {
    package: ROOT / folder
    for package, folder in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-dir"
    ].items()
}
"""``{"paperex": proto/paperex, "paperex.engine": engine, ...}``, absolute folders."""


def installed_name(path: Path) -> str | None:
    """The module ``path`` installs as, or None outside the installed packages.

    >>> installed_name(ROOT / "engine" / "book.py"), installed_name(ROOT / "clients" / "cli" / "__init__.py")
    ('paperex.engine.book', 'paperex.client.cli')
    >>> installed_name(ROOT / "proto" / "paperex" / "v1" / "common_pb2.py"), installed_name(ROOT / "tests" / "x.py")
    ('paperex.v1.common_pb2', None)
    """
    path = path.resolve()
    for package, folder in sorted(PACKAGE_DIRS.items(), key=lambda item: len(item[1].parts), reverse=True):
        if path.is_relative_to(folder):
            parts = path.relative_to(folder).with_suffix("").parts
            return ".".join((package, *parts[: -1 if parts[-1] == "__init__" else None]))
    return None
