"""A progress line on stderr once a second, so a long run (a soak) shows it is alive and how it goes."""

from __future__ import annotations

import asyncio
import sys
import time

from loadtest.grpc_load.drive import Window
from loadtest.grpc_load.workers import Board


def progress_line(elapsed_s: float, phase: str, done: int, rate: float, errors: int) -> str:
    """
    >>> progress_line(12.04, "measuring", 24_100, 2_010.4, 3)
    '  12.0 s measuring      24,100 answers     2,010/s  errors 3'
    """
    return f"{elapsed_s:6.1f} s {phase:<9} {done:>11,} answers {rate:>9,.0f}/s  errors {errors:,}"


async def show_progress(board: Board, window: Window) -> None:
    """Rewrite the line every second until cancelled: elapsed, phase, answers so far, rate, errors."""
    last_done, last_ns = 0, window.start
    while True:
        await asyncio.sleep(1.0)
        now = time.perf_counter_ns()
        phase = "warm-up" if now < window.measure else "measuring" if now < window.end else "draining"
        done, errors = board.totals()
        rate = (done - last_done) * 1e9 / max(now - last_ns, 1)
        line = progress_line((now - window.start) / 1e9, phase, done, rate, errors)
        print(f"\r{line}   ", end="", file=sys.stderr, flush=True)
        last_done, last_ns = done, now
