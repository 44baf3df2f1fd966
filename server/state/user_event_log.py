"""An account's retained user events, apart from ``user_events`` so the compiled build can compile that
module: the log is a deque subclass, which mypyc cannot compile (``compiled_build.COMPILED_SERVER``)."""

from collections import deque

from paperex.server.state.user_events import UserEvent


class UserEventLog(deque[UserEvent]):
    """One account's retained events, oldest first."""

    __slots__ = ()

    def last_cursor(self) -> tuple[int, int]:
        """The newest event's cursor, (0, 0) before any."""
        if not self:
            return 0, 0
        newest = self[-1]
        return newest.sequence, newest.event_index

    def after(self, sequence: int, index: int) -> list[UserEvent] | None:
        """The events strictly after the cursor; None when the log no longer reaches back that far
        (``Exchange.events_after`` without its future-cursor check)."""
        if not self:
            return []
        cursor = (sequence, index)
        oldest = self[0]
        if cursor < (oldest.sequence, oldest.event_index) and self.maxlen == len(self):
            return None
        found = []
        for event in reversed(self):
            if (event.sequence, event.event_index) <= cursor:
                break
            found.append(event)
        found.reverse()
        return found
