"""One way the offline benchmarks record a run: a line that starts with the time and ends with the
interpreter, the machine and the command, printed and appended to ``loadtest/results/NAME.txt``."""

import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def record(name: str, figures: str) -> None:
    """Print ``figures`` framed as a results line and append it to ``results/{name}.txt``."""
    line = (
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {figures}, "
        f"python {platform.python_version()} {platform.machine()} cmd='{' '.join(sys.argv)}'"
    )
    print(line)
    with (RESULTS / f"{name}.txt").open("a", encoding="utf-8") as out:
        out.write(line + "\n")
