"""Exit codes and the one-line error message: what a script branches on and what a person reads.

| code | meaning |
| ---- | ------- |
| 0    | done |
| 1    | the exchange refused the command (its reason code is printed: INSUFFICIENT_MARGIN, INVALID_TICK ...) |
| 2    | usage: a wrong option or argument, nothing was sent |
| 3    | cannot reach the exchange: UNAVAILABLE (no server, stopping) or no answer in time |
| 4    | credential: no API key / admin token given, or the exchange does not accept it |
| 5    | ``ledger``: money is not conserved (the figures are printed; a bug in the exchange) |
| 130  | a live view (book, watch) stopped with Ctrl-C |
"""

from paperex.client.errors import DeadlineExceeded, PaperexError, PermissionDenied, Unauthenticated, Unavailable

OK = 0
REFUSED = 1
USAGE = 2
UNREACHABLE = 3
CREDENTIAL = 4
UNBALANCED = 5
INTERRUPTED = 130


class UsageError(Exception):
    """A command line that parses but makes no sense (``order cancel`` with neither an id nor --all)."""


class Unbalanced(Exception):
    """The ledger's imbalance is not zero: the exchange created or lost money."""


class MissingCredential(Exception):
    """The subcommand needs a key the user has not given: the message names the variable to set."""

    def __init__(self, what: str, option: str, variable: str, hint: str) -> None:
        super().__init__(f"no {what}: pass {option} or set {variable} ({hint})")
        self.variable = variable


def exit_code(error: PaperexError) -> int:
    """The documented code for an exchange error, by its family."""
    if isinstance(error, Unavailable | DeadlineExceeded):
        return UNREACHABLE
    if isinstance(error, Unauthenticated | PermissionDenied):
        return CREDENTIAL
    return REFUSED


def describe(error: PaperexError, target: str) -> str:
    """``REASON: message`` on one line: the exchange words a refusal's figures into its message."""
    name = error.reason or (error.code.name if error.code is not None else type(error).__name__)
    line = f"{name}: {error.message}"
    if error.field and error.field not in error.message:
        line += f" (field {error.field})"
    if exit_code(error) == UNREACHABLE:
        line = f"cannot reach {target}: {line}"
    return " ".join(line.split())
