"""tflog: watch TensorFlow/Keras training from inside JupyterLab.

`%load_ext tflog` in a notebook loads the kernel side (magics and capture).
Nothing beyond the standard library is imported here: the Jupyter server and
the kernel both import this package, and each pulls in only its own half.
"""

__version__ = "0.1.0"


class NoActiveRun(RuntimeError):
    """`tflog.log()` or `tflog.log_hparams()` was called with no run active."""


class ServiceError(RuntimeError):
    """The tflog service could not answer: not reachable, or it refused the
    request (`str()` is one line saying which, with the API's message).
    `status`: the HTTP status of a refusal, None when there was no answer."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class ExportError(RuntimeError):
    """`tflog.export_runs()` or `%tflog export` cannot do what was asked
    (no notebook known, a bad option, a file that cannot be written)."""


class HistoryError(RuntimeError):
    """`tflog.runs()`, `tflog.show()`, `%tflog runs` or `%tflog show` cannot do
    what was asked (a bad filter, no such run, no notebook known)."""


def log(values, step=None, epoch=None):
    """Records exact metric values in the active run: `tflog.log({"loss": l}, step=s)`.

    `step=`: batch-scope values at that step; only `epoch=` (counted from 0):
    epoch-scope values; neither: the step after the last one logged. Raises
    `tflog.NoActiveRun` outside a run (`%tflog start` or `%%tflog`).
    """
    from tflog.kernel.api import log as record

    record(values, step=step, epoch=epoch)


def log_hparams(values):
    """Records hyperparameters in the active run: `tflog.log_hparams({"lr": 1e-3})`."""
    from tflog.kernel.api import log_hparams as record

    record(values)


def export_runs(path=None, format=None, notebook=None, all_notebooks=False, status=None):
    """The runs of this notebook (or `notebook=`, or all with `all_notebooks=True`)
    as rows for a hyperparameter search: one dict per run with its id, name,
    status, times, health score, `hparam.*`, `tag.*`, `final.*` and `best.*`
    values. `status`: a list of statuses (or `"finished,failed"`) to keep.
    With `path`, also writes them there as CSV or JSON (`format`, else from
    the file's extension, else CSV). Raises `tflog.ServiceError` or
    `tflog.ExportError` with a one-line reason. See docs/kernel.md.
    """
    from tflog.kernel.export import export_runs as export

    return export(
        path=path,
        format=format,
        notebook=notebook,
        all_notebooks=all_notebooks,
        status=status,
    )


def runs(
    notebook=None,
    this_notebook=False,
    status=None,
    tags=None,
    hparams=None,
    since=None,
    search=None,
    sort=None,
    order=None,
    limit=None,
):
    """Past runs as summaries (a list of dicts, newest first), for scripting:
    the filters of `%tflog runs`. `tags` / `hparams`: dicts that must all match;
    `since`: `"2h"` or an ISO time; `limit`: at most that many (default all).
    Metric values are numbers (`math.nan` for NaN). Raises `tflog.ServiceError`
    or `tflog.HistoryError` with a one-line reason. See docs/kernel.md.
    """
    from tflog.kernel.history import runs as find

    return find(
        notebook=notebook,
        this_notebook=this_notebook,
        status=status,
        tags=tags,
        hparams=hparams,
        since=since,
        search=search,
        sort=sort,
        order=order,
        limit=limit,
    )


def show(run=None, metrics=None, axis=None, width=720):
    """Draws a run's curves in the cell's output as SVG (kept in the saved
    notebook) with a text summary, like `%tflog show`. `run`: a run id or name
    (default: this kernel's latest run); `metrics`: names to draw (default all);
    `axis`: "step", "epoch" or "time". Never raises: a problem (the service
    not reachable, no such run) is printed as one line instead.
    """
    from tflog.kernel.history import show as draw

    draw(run=run, metrics=metrics, axis=axis, width=width)


def load_ipython_extension(ipython):
    """Called by `%load_ext tflog`: registers the `%tflog` magics."""
    from tflog.kernel import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):
    """Called by `%unload_ext tflog`: ends an active run and removes the hooks."""
    from tflog.kernel import unload_ipython_extension as unload

    unload(ipython)


# --- Jupyter server and JupyterLab entry points -------------------------------


def _jupyter_server_extension_points():
    """The Jupyter server extension (tflog.server): starts and supervises the service."""
    from tflog.server import _jupyter_server_extension_points as points

    return points()


def _jupyter_labextension_paths():
    """The prebuilt JupyterLab extension shipped in the package."""
    return [{"src": "labextension", "dest": "tflog"}]


# --- end of server entry points -----------------------------------------------
