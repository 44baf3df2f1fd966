"""The history retention a journal keeps: fixed at its first start, since which finished orders and
fills are kept is part of the state a snapshot carries and a replay rebuilds."""

from paperex.server.persistence.journal import Journal, JournalError
from paperex.server.state.history import RETAINED_PER_ACCOUNT, checked_retention

HISTORY_RETENTION_SETTING = "history_retention"


class JournalMismatch(JournalError):
    """A start option contradicts what the journal was started with."""


def history_retention(journal: Journal, wanted: int | None) -> int:
    """The journal's history retention, recorded at its first start: ``wanted``, or the default
    (also the value of a journal older than the setting). Which finished orders and fills are still
    kept is part of the state a snapshot carries and a replay rebuilds, so another value for an
    existing journal is refused instead of silently changing it.

    Raises JournalMismatch when ``wanted`` differs from the recorded value, ValueError when it is
    below ``paperex.server.state.history.MIN_RETAINED`` (before anything is recorded).
    """
    if wanted is not None:
        checked_retention(wanted)
    recorded = journal.setting(HISTORY_RETENTION_SETTING)
    if recorded is None:
        new = journal.last_sequence() == 0
        retention = wanted if wanted is not None and new else RETAINED_PER_ACCOUNT
        journal.set_setting(HISTORY_RETENTION_SETTING, str(retention))
    else:
        retention = int(recorded)
    if wanted is not None and wanted != retention:
        raise JournalMismatch(
            f"the journal {journal.path} keeps {retention:,} orders and fills per account, not {wanted:,} "
            "(--history-retention): it is fixed when a journal is created"
        )
    return retention
