"""The optional compiled build: ``PAPEREX_MYPYC=1 pip install .`` compiles the engine and the server's
results stage with mypyc.

This module is the project's build backend (setuptools' own, plus mypy and the engine's type stubs as
build requirements when the compiled build is asked for, so a default install never fetches them) and
says which modules compile (``stage``). ``setup.py`` and ``python -m loadtest engine --mypyc`` build
from what ``stage`` lays out.

mypy names a module by the folders above it, so the sources are copied where their folders read
``paperex/engine`` and ``paperex/server``; the extension modules then install beside the ``.py`` files,
which they take precedence over. An editable install stays interpreted: its extension modules would land
in the checkout and silently run stale code after the next edit.
"""

import os
import shutil
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (every other hook is setuptools' own)

REQUESTED = "PAPEREX_MYPYC"
"""Set to 1 to ask for the compiled build (ignored by editable installs)."""

ROOT = Path(__file__).resolve().parent
STAGED_PACKAGES = {"paperex.engine": ROOT / "engine", "paperex.server": ROOT / "server"}
"""The packages staged for mypyc, and the folder each installs from: the compiled modules' own and every
module they import (mypy follows the imports; the generated ``paperex.v1`` is left out, as Any)."""

INTERPRETED = frozenset({"__init__.py", "audit.py", "commands.py", "native.py"})
"""Engine modules that stay interpreted (every other one compiles): package markers; the auditor, whose
``InvariantViolation`` subclasses AssertionError (mypyc cannot compile that natively); the commands, which
the engine refuses with a reason when a field has the wrong type (a native class would raise TypeError as
it is built instead); and ``native``, which only marks classes for mypyc."""

COMPILED_SERVER = frozenset(
    {
        "core/results.py",
        "core/ratelimit.py",
        "core/admission.py",
        "core/venue_limits.py",
        "state/alerts.py",
        "state/books.py",
        "state/candles.py",
        "state/funding_history.py",
        "state/funds.py",
        "state/history.py",
        "state/income.py",
        "state/liquidation_records.py",
        "state/margin_accounts.py",
        "state/margin_adjustments.py",
        "state/market_updates.py",
        "state/open_interest.py",
        "state/prices.py",
        "state/public_trades.py",
        "state/ticker_stats.py",
        "state/user_events.py",
        "state/wallets.py",
    }
)
"""Server modules that compile, relative to ``server/``: the results stage and the read models it folds
(the sequencer's and each gateway's fold path: the largest server share of a command's cost, measured), and
the per-request charging (admission, its rate and venue limits). The other server modules stay interpreted:
asyncio code, and the modules the compiled build leaves to change freely (``core/sequencer``,
``core/checkpoint``, ``process/*``, ``grpc_api/app``); ``core/exchange``, which ``process/replica``
subclasses and the server-path benchmark swaps the engine of (a native class allows neither);
``core/tape``, whose hot encoders are generated at run time (``exec``, never compiled); the journal, whose
methods tests replace on the instance and whose row hash is hashlib's own C; ``state/user_event_log``, a
deque subclass (mypyc compiles it into a class that crashes when made); ``state/adl``, on the query path
only."""

MYPY_CONFIG = "[mypy]\n\n[mypy-paperex.v1.*]\nignore_missing_imports = True\n"
"""What mypyc checks the staged modules with: mypy's defaults, the generated API (not staged) as Any."""

BUILD_REQUIREMENTS = ["mypy>=1.11", "sortedcontainers-stubs"]
"""What the compiled build needs besides setuptools: mypyc (in mypy) and the stubs the engine checks against."""


def requested() -> bool:
    return os.environ.get(REQUESTED, "") == "1"


def stage(target: Path) -> list[str]:
    """Copy the staged packages into ``target`` under their import paths (an empty ``paperex`` package
    above them) with mypyc's ``mypy.ini``, and return the paths, relative to ``target``, of the modules
    to compile."""
    (target / "paperex").mkdir(parents=True, exist_ok=True)
    (target / "paperex" / "__init__.py").write_text("", encoding="utf-8")
    (target / "mypy.ini").write_text(MYPY_CONFIG, encoding="utf-8")
    for package, source in STAGED_PACKAGES.items():
        relative = target / Path(*package.split("."))
        shutil.rmtree(relative, ignore_errors=True)
        shutil.copytree(source, relative, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    engine = [f"paperex/engine/{path.name}" for path in sorted((ROOT / "engine").glob("*.py"))]
    return [
        *(module for module in engine if Path(module).name not in INTERPRETED),
        *(f"paperex/server/{module}" for module in sorted(COMPILED_SERVER)),
    ]


def get_requires_for_build_wheel(config_settings: dict[str, str] | None = None) -> list[str]:
    extra = BUILD_REQUIREMENTS if requested() else []
    return [*build_meta.get_requires_for_build_wheel(config_settings), *extra]
