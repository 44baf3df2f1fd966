"""Where the sequencer's timestamps come from (the engine itself never reads a clock)."""

import time


class WallClock:
    """Real time, nanoseconds since the Unix epoch; the sequencer keeps stamps non-decreasing."""

    simulated = False

    def now(self) -> int:
        return time.time_ns()


class SimulatedClock:
    """Time that passes only when an admin advances it. It reads as its start; the sequencer stamps
    every command with at least the exchange's own time, which market steps move forward, so a
    command arriving between steps is stamped with the time the simulation has reached."""

    simulated = True

    def __init__(self, start_ns: int) -> None:
        self.start_ns = start_ns

    def now(self) -> int:
        return self.start_ns
