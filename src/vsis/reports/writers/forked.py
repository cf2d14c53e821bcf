"""Writing one sheet in a forked child while the parent writes another.

A national report's xlsx and ods each take about a second of pure Python; on
two cores they can be written at the same time. A thread cannot (the GIL), and
a fresh process would have to start Django and receive the rows; a fork has
both already. The child only turns rows that are already in memory into a
file: it touches no database connection, takes no lock another thread could
hold (logging re-creates its locks after a fork, and the child logs nothing)
and leaves through os._exit, so nothing of the parent's is flushed or closed
twice.
"""

import contextlib
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable

# The child's report of a failure: the exception's class, then its message.
_SEPARATOR = b"\n"
_MESSAGE_LIMIT = 2000


def can_fork() -> bool:
    """Whether writers may run in a forked child here (Linux only: a fork of a
    threaded process is unsafe on macOS, and Windows has none)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ChildWriteFailed(RuntimeError):
    """The child's writer raised; str() carries its class and message."""


class ForkedWrite:
    """`write()` running in a child process from construction until `wait()`."""

    def __init__(self, write: Callable[[], None]) -> None:
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns about any fork of a threaded process; the
            # module docstring says why this one is safe.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            os.close(read_end)
            _run_child(write, write_end)
        os.close(write_end)
        self.pid = pid
        self._report = read_end
        self._done = False

    def wait(self) -> None:
        """Wait for the child; raise ChildWriteFailed (or OSError for a disk or
        file error) if its writer raised."""
        with os.fdopen(self._report, "rb") as report:
            message = report.read()
        _, status = os.waitpid(self.pid, 0)
        self._done = True
        if os.waitstatus_to_exitcode(status) == 0:
            return
        kind, _, text = message.partition(_SEPARATOR)
        detail = text.decode("utf-8", "replace") or f"exit status {status}"
        if kind == b"OSError":
            raise OSError(detail)
        raise ChildWriteFailed(f"{kind.decode('ascii', 'replace')}: {detail}")

    def kill(self) -> None:
        """Stop the child at once (the caller removes what it wrote)."""
        if self._done:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(self._report)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self._done = True


def _run_child(write: Callable[[], None], report: int) -> None:  # pragma: no cover
    status = 0
    try:
        write()
    except BaseException as exc:
        status = 1
        kind = "OSError" if isinstance(exc, OSError) else type(exc).__name__
        text = "".join(traceback.format_exception_only(exc)).strip()
        with contextlib.suppress(OSError):
            os.write(
                report, kind.encode() + _SEPARATOR + text.encode()[-_MESSAGE_LIMIT:]
            )
    finally:
        os._exit(status)
