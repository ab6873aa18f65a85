"""Counting and reporting tflog's own failures without disturbing the user.

Every hook that runs inside user code (stream tee, logging hook, Keras
callback, writer thread) catches its own exceptions and logs them with
`internal_logger.exception(..., extra=at("place"))`. That logger does not
propagate to the user's handlers: its one handler, `Diagnostics`, counts the
errors per place for `%tflog status` and writes the first of each place once
to the real stderr.
"""

import logging
import sys
import threading
from typing import Callable, Dict, Optional, Set, TextIO

INTERNAL_LOGGER_NAME = "tflog.kernel"
internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)


def at(place: str) -> Dict[str, str]:
    """`extra` for internal_logger calls: where the error was caught."""
    return {"tflog_where": place}


class Diagnostics(logging.Handler):
    """Thread-safe counters of internal errors and one-time warnings."""

    def __init__(self, stderr: Optional[Callable[[], TextIO]] = None) -> None:
        super().__init__(level=logging.DEBUG)
        self._counts_lock = threading.Lock()
        self._errors: Dict[str, int] = {}
        self._first_error: Dict[str, str] = {}
        self._warned: Set[str] = set()
        self._stderr = stderr or real_stderr

    def emit(self, record: logging.LogRecord) -> None:
        where = getattr(record, "tflog_where", record.name)
        error = record.exc_info[1] if record.exc_info else None
        description = f"{type(error).__name__}: {error}" if error else record.getMessage()
        with self._counts_lock:
            count = self._errors.get(where, 0) + 1
            self._errors[where] = count
            if count == 1:
                self._first_error[where] = description
        if count == 1:
            self.warn_once(
                "error:" + where,
                f"tflog: internal error in {where} ({description}); "
                "training goes on, see %tflog status",
            )

    def warn_once(self, key: str, message: str) -> bool:
        """Writes `message` to the real stderr unless `key` was warned before."""
        with self._counts_lock:
            if key in self._warned:
                return False
            self._warned.add(key)
        try:
            stream = self._stderr()
            stream.write(message + "\n")
            stream.flush()
        except (OSError, ValueError, AttributeError):
            # The real stderr itself is gone (closed at shutdown); the count
            # is still kept and shown by %tflog status.
            return False
        return True

    @property
    def error_count(self) -> int:
        with self._counts_lock:
            return sum(self._errors.values())

    def summary(self) -> Dict[str, str]:
        """{place: 'N x first error'} for the status report."""
        with self._counts_lock:
            return {
                where: f"{count} x {self._first_error.get(where, '')}"
                for where, count in sorted(self._errors.items())
            }


def real_stderr() -> TextIO:
    """The stderr that is not ours: under an active tee, the stream it wraps."""
    stream = sys.stderr
    original = getattr(stream, "tflog_original", None)
    while original is not None:
        stream = original
        original = getattr(stream, "tflog_original", None)
    return stream if stream is not None else sys.__stderr__


DIAGNOSTICS = Diagnostics()


def _attach() -> None:
    if DIAGNOSTICS not in internal_logger.handlers:
        internal_logger.addHandler(DIAGNOSTICS)
    internal_logger.propagate = False
    internal_logger.setLevel(logging.DEBUG)


_attach()
