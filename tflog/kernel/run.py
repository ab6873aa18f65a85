"""Runs: starting, ending and the notebook path, shared by magics and API.

One run is active at a time (`state.active_run`). Starting a run while another
is active ends the active one with status 'stopped'. Ending a run removes the
hooks first (so nothing tflog prints afterwards is captured), then writes the
`end` record, fsyncs and closes the spool file.
"""

import atexit
import logging
import os
import sys
import threading
import time
import traceback
from typing import Any, Callable, Optional

from tflog.kernel import keras_hook, state, summary_hook, sysmetrics
from tflog.kernel.context import run_context
from tflog.kernel.diagnostics import INTERNAL_LOGGER_NAME, at
from tflog.kernel.logcapture import LoggingCapture
from tflog.kernel.options import RunOptions
from tflog.kernel.paths import default_spool_dir, ensure_spool_dir, new_run_id
from tflog.kernel.records import SPOOL_FORMAT_VERSION, error_info
from tflog.kernel.spool import KIND_SCALAR, SpoolStats, SpoolWriter
from tflog.kernel.streams import StdStreamsCapture

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

CLOSE_TIMEOUT = 10.0
EXIT_CLOSE_TIMEOUT = 3.0


class Run:
    """One run: its spool writer and the capture hooks that feed it."""

    def __init__(
        self,
        options: RunOptions,
        kind: str,
        notebook: Optional[str],
        spool_dir: Optional[str] = None,
        writer_options: Optional[dict] = None,
    ) -> None:
        self.id = new_run_id()
        self.name = options.name
        self.tags = dict(options.tags)
        self.keras_enabled = options.keras
        self.batch_interval = options.batch_interval
        self.kind = kind  # 'line' (%tflog start) or 'cell' (%%tflog)
        self.started = time.time()
        self.status = "running"
        self.final_stats: Optional[SpoolStats] = None
        directory = spool_dir or default_spool_dir()
        try:
            ensure_spool_dir(directory)
        except OSError:
            # The writer reports the failure (once) and keeps retrying.
            internal_logger.debug("cannot create %s", directory, exc_info=True)
        self.path = os.path.join(directory, self.id + ".ndjson")
        self.context = run_context(notebook)
        start_record = {
            "t": "start",
            "ts": self.started,
            "v": SPOOL_FORMAT_VERSION,
            "run": self.id,
            "name": self.name,
            "tags": self.tags,
            "ctx": self.context,
        }
        self.writer = SpoolWriter(self.path, start_record, **(writer_options or {}))
        self._streams = StdStreamsCapture(self.writer.stream)
        self._logging = LoggingCapture(self.writer.put, include=options.loggers)
        self.summaries = summary_hook.SummaryHook(self.writer.put, KIND_SCALAR)
        self.system_interval = (
            sysmetrics.interval_from_environment()
            if options.system_interval is None
            else options.system_interval
        )
        self.system: Optional[sysmetrics.SystemSampler] = None
        self._cell_events: Any = None
        # The cell that started the run, for "Go to cell" on its error.
        self.cell = cell_reference(current_cell_result())

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id

    def activate(self) -> None:
        self._logging.install()
        self._streams.install()
        self._cell_events = ipython_events() if self._streams.watches_fds else None
        if self._cell_events is not None:
            self._cell_events.register("pre_run_cell", self._streams.before_cell)
        try:
            # Keras flavours (with --no-keras only watched for, never used)
            # and TensorFlow's import, for tf.summary.
            keras_hook.install()
        except Exception:
            internal_logger.exception("install failed", extra=at("keras hook"))
        state.active_run = self
        self.tensorflow_imported()
        if self.system_interval > 0:
            try:
                self.system = sysmetrics.SystemSampler(self.writer.system, self.system_interval)
                self.system.start()
            except Exception:
                internal_logger.exception("start failed", extra=at("system metrics"))

    def tensorflow_imported(self) -> None:
        """Wraps tf.summary.scalar when TensorFlow is (now) imported."""
        try:
            self.summaries.install()
        except Exception:
            internal_logger.exception("install failed", extra=at("tf.summary hook"))

    def notebook_changed(self, notebook: Optional[str]) -> None:
        if notebook == self.context.get("notebook"):
            return
        self.context["notebook"] = notebook
        self.writer.context(notebook, self.context.get("kernel_id"))

    def end(
        self, status: str, error: Optional[dict] = None, timeout: float = CLOSE_TIMEOUT
    ) -> SpoolStats:
        """Removes the hooks, writes the end record and closes the spool."""
        if state.active_run is self:
            state.active_run = None
        if self.system is not None:
            try:
                self.system.stop()
            except Exception:
                internal_logger.exception("stop failed", extra=at("system metrics"))
        self._logging.uninstall()
        self._streams.uninstall()
        try:
            self.summaries.uninstall()
        except Exception:
            internal_logger.exception("uninstall failed", extra=at("tf.summary hook"))
        if self._cell_events is not None:
            try:
                self._cell_events.unregister("pre_run_cell", self._streams.before_cell)
            except ValueError:
                internal_logger.debug("pre_run_cell hook was already removed")
            self._cell_events = None
        self.status = status
        if error is not None and self.cell:
            error = {**error, **self.cell}
        self.final_stats = self.writer.close(status, error, timeout=timeout)
        return self.final_stats


class _Runs:
    """The active run, the last one, and the notebook path for new runs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.notebook: Optional[str] = None
        self.last: Optional[Run] = None
        self.spool_dir: Optional[str] = None  # tests point this elsewhere
        self.writer_options: dict = {}


RUNS = _Runs()


def ipython_events() -> Any:
    """The running IPython shell's event manager, or None outside IPython."""
    ipython_module = sys.modules.get("IPython")
    get_ipython = getattr(ipython_module, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    return getattr(shell, "events", None)


# A cell id longer than this is not JupyterLab's (a UUID): not recorded.
MAX_CELL_ID_CHARS = 200


def current_cell_result() -> Any:
    """IPython's ExecutionResult of the cell running now, or None outside IPython."""
    ipython_module = sys.modules.get("IPython")
    get_ipython = getattr(ipython_module, "get_ipython", None)
    try:
        shell = get_ipython() if get_ipython is not None else None
        return getattr(getattr(shell, "displayhook", None), "exec_result", None)
    except Exception:
        internal_logger.debug("cannot read the running cell", exc_info=True)
        return None


def cell_reference(result: Any) -> dict:
    """`cell_id` (sent by JupyterLab with the execute request) and `execution_count`
    of the cell an ExecutionResult belongs to, those that are known. Never raises."""
    reference: dict = {}
    try:
        cell_id = getattr(getattr(result, "info", None), "cell_id", None)
        if isinstance(cell_id, str) and 0 < len(cell_id) <= MAX_CELL_ID_CHARS:
            reference["cell_id"] = cell_id
        count = getattr(result, "execution_count", None)
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            reference["execution_count"] = count
    except Exception:
        internal_logger.debug("cannot tell which cell runs", exc_info=True)
        return {}
    return reference


def start_run(
    options: RunOptions, kind: str = "line", notify: Optional[Callable[[str], None]] = None
) -> Run:
    """Starts a run; an active one is ended first ('stopped') and `notify` told."""
    with RUNS.lock:
        previous = state.active_run
        if previous is not None:
            previous.end("stopped")
            if notify is not None:
                notify(f"tflog: run {previous.label} stopped: a new run was started")
        run = Run(options, kind, RUNS.notebook, RUNS.spool_dir, RUNS.writer_options)
        run.activate()
        RUNS.last = run
    return run


def end_run(run: Run, status: str, error: Optional[dict] = None) -> Optional[SpoolStats]:
    """Ends `run` if it is still the active one; None when it was not."""
    with RUNS.lock:
        if state.active_run is not run:
            return None
        return run.end(status, error)


def stop_active(status: str = "stopped") -> Optional[Run]:
    with RUNS.lock:
        run = state.active_run
        if run is None:
            return None
        run.end(status)
        return run


def set_notebook_path(path: Optional[str]) -> None:
    """Records the notebook's current path; a `context` record when a run is active.

    Called silently by the JupyterLab frontend (after opening and renaming a
    notebook). Never raises.
    """
    try:
        notebook = str(path) if path else None
        with RUNS.lock:
            RUNS.notebook = notebook
            run = state.active_run
            if run is not None:
                run.notebook_changed(notebook)
    except Exception:
        internal_logger.exception("set_notebook_path failed", extra=at("set_notebook_path"))


def describe_exception(error: BaseException, user_globals: Any = None) -> dict:
    """IErrorInfo of an exception raised by a cell, without IPython's frames."""
    tb = error.__traceback__
    # Skip the leading frames that belong to IPython, not to the cell.
    while (
        user_globals is not None
        and tb is not None
        and tb.tb_next is not None
        and tb.tb_frame.f_globals is not user_globals
    ):
        tb = tb.tb_next
    stack = "".join(traceback.format_exception(type(error), error, tb))
    return error_info(exception_type_name(error), str(error), stack.rstrip("\n"))


def exception_type_name(error: BaseException) -> str:
    cls = type(error)
    if cls.__module__ in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _end_on_exit() -> None:
    """Kernel shutdown: an open-ended run is 'stopped', a running cell 'interrupted'."""
    run = state.active_run
    if run is None:
        return
    try:
        run.end("interrupted" if run.kind == "cell" else "stopped", timeout=EXIT_CLOSE_TIMEOUT)
    except Exception:
        internal_logger.exception("ending at exit failed", extra=at("kernel shutdown"))


atexit.register(_end_on_exit)
