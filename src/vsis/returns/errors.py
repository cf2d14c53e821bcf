"""Why a return service refused; every message is Chinese and says why.

Views map OutOfScope to 404 and NotPermitted to 403; the rest are shown on the
page (HTTP 409 for a state conflict). The CLI prints the message and exits 1.
"""

from dataclasses import dataclass


class ReturnError(Exception):
    """Base: str() is the message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OutOfScope(ReturnError):
    """The unit (or return) is outside the user's scope: it does not exist."""


class NotPermitted(ReturnError):
    """The user's role or place in the tree does not allow the action."""


class Refused(ReturnError):
    """The return's state does not allow the action (locked, exists, …)."""


class Locked(Refused):
    """The return is submitted and locked."""


class StaleVersion(Refused):
    """The draft changed since the user's copy was loaded."""

    def __init__(self, message: str, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


@dataclass(frozen=True)
class CellProblem:
    """One failed check, naming the cells involved."""

    keys: tuple[str, ...]
    message: str


class Invalid(ReturnError):
    """Values that cannot be submitted (or typed values that cannot be saved)."""

    def __init__(self, problems: list[CellProblem]) -> None:
        super().__init__("；".join(p.message for p in problems))
        self.problems = problems


class NeedsConfirmation(ReturnError):
    """Warnings the clerk must confirm before the return is submitted."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__("提交前請確認：" + "；".join(warnings))
        self.warnings = warnings


class BadInput(ReturnError):
    """A parameter the user typed is not acceptable (year, period, reason)."""
