"""Capturing Python `logging` records.

Instead of adding a handler to the root logger, tflog wraps
`logging.Logger.callHandlers`, the one method through which every record a
logger decides to emit passes, whichever logger it comes from and whether it
propagates or not (TensorFlow's 'tensorflow' logger, absl, ...). A handler on
root would change the user's logging: `logging.basicConfig()` becomes a no-op
once root has a handler, `basicConfig(force=True)` (the usual notebook idiom)
would remove and close it, and Python's last-resort stderr output for
unconfigured warnings would stop. The wrapper changes none of that; it only
copies each record onto the spool queue, then calls the original.
"""

import logging
import threading
import traceback
from typing import Any, Callable, Optional

from tflog.kernel.diagnostics import INTERNAL_LOGGER_NAME, at
from tflog.kernel.spool import KIND_LOG

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

Put = Callable[[tuple], None]

# Set while a captured record is being handled on this thread. The stream tee
# reads it: what a StreamHandler echoes to stdout/stderr is the record already
# captured with its structure, so the echo is not captured a second time.
handling_captured_record = threading.local()


def echo_of_captured_record() -> bool:
    """True when the current thread is writing out a record tflog captured."""
    return getattr(handling_captured_record, "active", False)


def log_item(record: logging.LogRecord) -> tuple:
    """The spool queue item of a record (a tuple: cheap to build and to queue)."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):
        # The user's format and args do not match; logging would report it to
        # stderr through its own handlers. Keep what we can.
        message = f"{record.msg!s} {record.args!r}"
    exc = record.exc_text
    if exc is None and record.exc_info and record.exc_info[0] is not None:
        exc = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.stack_info:
        exc = (exc + "\n" if exc else "") + record.stack_info
    return (
        KIND_LOG,
        record.created,
        record.levelname,
        record.name,
        message,
        exc,
        record.pathname,
        record.lineno,
        record.funcName,
        record.threadName,
    )


class LoggingCapture:
    """Wraps `Logger.callHandlers` while a run is active."""

    def __init__(self, put: Put, logger_class: Any = logging.Logger) -> None:
        self._put: Optional[Put] = put
        self._logger_class = logger_class
        self._original: Any = None
        self._wrapper: Any = None

    def install(self) -> None:
        original = self._logger_class.callHandlers
        capture = self

        def callHandlers(logger: logging.Logger, record: logging.LogRecord) -> None:
            put = capture._put
            if put is None or record.name == INTERNAL_LOGGER_NAME:
                return original(logger, record)
            try:
                put(log_item(record))
            except Exception:
                internal_logger.exception("capture failed", extra=at("logging capture"))
                return original(logger, record)
            outer = echo_of_captured_record()
            handling_captured_record.active = True
            try:
                return original(logger, record)
            finally:
                handling_captured_record.active = outer

        self._original = original
        self._wrapper = callHandlers
        self._logger_class.callHandlers = callHandlers

    def uninstall(self) -> None:
        """Restores the original when ours is still in place, else goes inert."""
        self._put = None
        if self._logger_class.__dict__.get("callHandlers") is self._wrapper:
            self._logger_class.callHandlers = self._original
