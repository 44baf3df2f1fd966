"""Where a command's answer goes: stdout, as JSON or as text, once or frame after frame.

A live view on a terminal redraws in place (ANSI clear screen and cursor home, no curses); piped into
a file or a test it writes the frames one after the other instead, so nothing is lost to escape codes.
"""

import sys
from collections.abc import Callable
from typing import Any

from paperex.client.cli.render import to_json

CLEAR_HOME = "\x1b[H\x1b[2J"


class Output:
    """One command's stdout, chosen by ``--json``."""

    def __init__(self, json: bool) -> None:
        self.json = json
        self.stream = sys.stdout  # looked up per command, so redirect_stdout (tests) is honoured

    def emit(self, document: Any, render: Callable[[], str]) -> None:
        """Print the answer: ``document`` as one JSON line, or what ``render()`` makes of it."""
        print(to_json(document) if self.json else render(), file=self.stream, flush=True)

    def frame(self, document: Any, render: Callable[[], str]) -> None:
        """One redraw of a live view: in place on a terminal, one JSON line per frame with --json."""
        if self.json:
            self.emit(document, render)
            return
        if self.stream.isatty():
            print(CLEAR_HOME + render(), file=self.stream, flush=True)
        else:
            print(render() + "\n", file=self.stream, flush=True)
