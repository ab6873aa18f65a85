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

The kernel's and Jupyter's own loggers are left out (`KERNEL_LOGGERS`): at
DEBUG, ipykernel's application logger dumps every execute, inspect and
history request with the cell's source, session and message ids. Their
records are not captured, and neither is their echo on stdout/stderr. A run
captures one of them only when asked for it by name (`--logger NAME`).
"""

import logging
import sys
import threading
import traceback
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from tflog.kernel.diagnostics import INTERNAL_LOGGER_NAME, at
from tflog.kernel.spool import KIND_LOG

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

Put = Callable[[tuple], None]

# Loggers of the kernel and of Jupyter's machinery, with their children: the
# kernel application (traitlets names it after its class), ipykernel's
# modules, traitlets, tornado and asyncio (the kernel's event loop), the comm
# package ("Comm"), jupyter_client, pyzmq, debugpy, and IPython with the
# completion machinery (jedi, parso).
KERNEL_LOGGERS = (
    "IPKernelApp",
    "ipykernel",
    "traitlets",
    "tornado",
    "asyncio",
    "Comm",
    "comm",
    "jupyter_client",
    "zmq",
    "debugpy",
    "IPython",
    "jedi",
    "parso",
)
_MAX_VERDICTS = 4096


def kernel_app_logger_name() -> Optional[str]:
    """The logger of the running kernel application (its class name by default)."""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    app_class = getattr(kernelapp, "IPKernelApp", None)
    try:
        if app_class is None or not app_class.initialized():
            return None
        return app_class.instance().log.name
    except Exception:  # a half-initialised app: the static list still applies
        internal_logger.debug("cannot read the kernel app's logger", exc_info=True)
        return None


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


class LoggerFilter:
    """Which loggers a run captures: all but the kernel's, unless named."""

    def __init__(self, include: Iterable[str] = (), exclude: Iterable[str] = KERNEL_LOGGERS):
        self.include: Tuple[str, ...] = tuple(include)
        excluded = list(exclude)
        app_logger = kernel_app_logger_name()
        if app_logger and app_logger != "root" and app_logger not in excluded:
            excluded.append(app_logger)
        self.exclude: Tuple[str, ...] = tuple(excluded)
        self._verdicts: Dict[str, bool] = {}

    def captures(self, name: str) -> bool:
        verdict = self._verdicts.get(name)
        if verdict is None:
            verdict = _within(name, self.include) or not _within(name, self.exclude)
            if len(self._verdicts) >= _MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[name] = verdict
        return verdict


# Set while a record is being handled on this thread. The stream tee reads it:
# what a StreamHandler echoes to stdout/stderr is the record already captured
# with its structure (or one of the kernel's records, left out on purpose), so
# the echo is not captured as text.
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

    def __init__(
        self,
        put: Put,
        logger_class: Any = logging.Logger,
        include: Iterable[str] = (),
    ) -> None:
        self._put: Optional[Put] = put
        self._logger_class = logger_class
        self._include = tuple(include)
        self._filter: Optional[LoggerFilter] = None
        self._original: Any = None
        self._wrapper: Any = None

    def install(self) -> None:
        original = self._logger_class.callHandlers
        capture = self
        # Built at install: the kernel application is running by then.
        loggers = self._filter = LoggerFilter(self._include)

        def callHandlers(logger: logging.Logger, record: logging.LogRecord) -> None:
            put = capture._put
            if put is None or record.name == INTERNAL_LOGGER_NAME:
                return original(logger, record)
            try:
                if loggers.captures(record.name):
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
