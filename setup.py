"""The extension modules of the optional compiled build (see ``compiled_build``); everything else about
the package is declared in pyproject.toml. Without ``PAPEREX_MYPYC=1``, or without mypyc, a C compiler
or the Python headers, the install is pure Python, with the reason printed."""

import importlib.util
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

from compiled_build import REQUESTED, ROOT, requested, stage

STAGED = ROOT / "build" / "mypyc"
GENERATED_C = ROOT / "build" / "mypyc-c"
GROUP = "paperex_engine"
"""The name of the shared library the compiled modules live in (``paperex_engine__mypyc``)."""


def missing_toolchain() -> str | None:
    """Why the compiled build cannot be made here, or None when it can."""
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]  # as setuptools picks it
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "the Python headers (Python.h) are not installed"
    return None


def interpreted(reason: str) -> None:
    print(f"paperex: {REQUESTED}=1 but building pure Python: {reason}", file=sys.stderr)


class BuildCompiledEngine(build_ext):
    """Runs mypyc (mypy over the engine, then C generation: most of the build's minute) only when the
    extension modules are really built, never for the metadata steps before."""

    def finalize_options(self) -> None:
        self.distribution.ext_modules = self.compiled() if self.distribution.ext_modules else []
        super().finalize_options()

    def compiled(self) -> list[Extension]:
        reason = self.cannot_compile()
        if reason is not None:
            interpreted(reason)
            return []
        from mypyc.build import mypycify  # noqa: PLC0415  (present only when the compiled build is asked for)

        modules = [(STAGED / module).relative_to(ROOT).as_posix() for module in stage(STAGED)]
        config = (STAGED / "mypy.ini").relative_to(ROOT).as_posix()
        return mypycify(
            [f"--config-file={config}", *modules], target_dir=GENERATED_C.relative_to(ROOT).as_posix(), group_name=GROUP
        )

    def cannot_compile(self) -> str | None:
        if self.editable_mode:
            return "an editable install stays interpreted (its extension modules would shadow the edited sources)"
        if importlib.util.find_spec("mypyc") is None:  # compiled_build requires it, unless build isolation is off
            return "mypyc (part of mypy) is not installed"
        return None


def extensions() -> list[Extension]:
    """A placeholder that makes the wheel platform-specific and runs ``BuildCompiledEngine``, or none."""
    if not requested():
        return []
    reason = missing_toolchain()
    if reason is not None:
        interpreted(reason)
        return []
    return [Extension(f"{GROUP}__mypyc", sources=[])]


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildCompiledEngine})
