"""Kernel side of tflog: capture in the notebook's kernel, spool to disk.

Standard library only (IPython is imported when the extension is loaded).
Public entry points:

- `%load_ext tflog` → `load_ipython_extension`: the `%tflog` / `%%tflog` magics.
- `set_notebook_path(path)`: called silently by the JupyterLab frontend.
- `start(...)`, `stop()`, `status()`: the same as the magics, from Python.
- `log(values, step=, epoch=)`, `log_hparams(values)`: exact values from the
  user's own code (also `tflog.log`, `tflog.log_hparams`).
- `export_runs(...)`: runs as rows for a hyperparameter search, read from the
  service (also `tflog.export_runs`, `%tflog export`).
- `runs(...)`, `show(...)`: past runs as summaries, and a run's curves drawn
  in the cell's output (also `tflog.runs`, `tflog.show`, `%tflog runs`,
  `%tflog show`).
"""

import logging
from typing import Any, Optional, Sequence

from tflog.kernel import keras_hook, state
from tflog.kernel.api import log, log_hparams
from tflog.kernel.diagnostics import INTERNAL_LOGGER_NAME, at
from tflog.kernel.export import export_runs
from tflog.kernel.history import runs, show
from tflog.kernel.options import DEFAULT_BATCH_INTERVAL, start_options
from tflog.kernel.paths import default_spool_dir
from tflog.kernel.run import set_notebook_path, start_run, stop_active

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

__all__ = [
    "default_spool_dir",
    "export_runs",
    "load_ipython_extension",
    "log",
    "log_hparams",
    "runs",
    "set_notebook_path",
    "show",
    "start",
    "status",
    "stop",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    from tflog.kernel import magics

    magics.register(ipython)
    try:
        # Patch Keras flavours already imported and watch for later imports,
        # so that a fit in the first %%tflog cell is seen too.
        keras_hook.install()
    except Exception:
        internal_logger.exception("install failed", extra=at("keras hook"))


def unload_ipython_extension(ipython: Any) -> None:
    from tflog.kernel import magics

    stop_active("stopped")
    keras_hook.uninstall_import_watcher()
    magics.unregister(ipython)


def start(
    name: Optional[str] = None,
    tags: Optional[dict] = None,
    keras: bool = True,
    batch_interval: float = DEFAULT_BATCH_INTERVAL,
    loggers: Sequence[str] = (),
    system_interval: Optional[float] = None,
) -> str:
    """Starts a run like `%tflog start`; returns its id.

    `tags`: a dict of strings (`--tag KEY=VALUE`).
    `batch_interval`: seconds between batch metrics samples, >= 0 (`--batch-interval`).
    `loggers`: kernel/Jupyter loggers to capture anyway (`--logger`).
    `system_interval`: seconds between system metrics samples (`--system-interval`;
    0 = off; None = `TFLOG_SYSTEM_INTERVAL`, else 10).

    A bad argument raises one TypeError or ValueError naming it, before
    anything starts (an active run goes on).
    """
    options = start_options(name, tags, keras, batch_interval, loggers, system_interval)
    return start_run(options, "line").id


def stop() -> Optional[str]:
    """Ends the active run ('stopped'); returns its id, None when none was active."""
    run = stop_active("stopped")
    return run.id if run is not None else None


def status() -> str:
    """The text of `%tflog status`."""
    from tflog.kernel.report import status_text

    return status_text()


def active_run_id() -> Optional[str]:
    run = state.active_run
    return run.id if run is not None else None
