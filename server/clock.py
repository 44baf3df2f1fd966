"""Where the sequencer's timestamps come from (the engine itself never reads a clock)."""

import time


class WallClock:
    """Real time, nanoseconds since the Unix epoch; the sequencer keeps stamps non-decreasing."""

    def now(self) -> int:
        return time.time_ns()
