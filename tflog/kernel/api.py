"""Exact metrics and hyperparameters from the user's own code.

`tflog.log({"loss": loss}, step=step)` and `tflog.log_hparams({...})` are for
custom training loops (and anything else a progress bar does not print): the
values are recorded as given, never parsed from text. They write the same
`metrics` and `hparams` spool records as the Keras callback, through the same
non-blocking queue.

Values are taken without importing NumPy or TensorFlow: Python numbers as
they are, NumPy scalars and 0-d arrays through `.item()` (host memory, no
wait), and tensors as objects converted with `float()` in the spool writer
thread, so that a value still being computed on a device never makes the
training loop wait. A variable (anything with `read_value()`, such as
`tf.Variable`) is read at the call, so a later assignment does not change
what was logged.

These are the only tflog calls that raise into user code, and only for a
mistake in the call itself: no active run (`NoActiveRun`), values that are
not a mapping of numbers, a negative or non-integer step or epoch.
"""

import operator
import threading
from typing import Any, Dict, Mapping, Optional, Tuple

from tflog import NoActiveRun
from tflog.kernel import state

NO_RUN_MESSAGE = (
    "{call} needs an active tflog run. Start one first: `%load_ext tflog` then "
    "`%tflog start [NAME]` (until `%tflog stop`), or `%%tflog [NAME]` as the first "
    "line of the cell; from plain Python, `tflog.kernel.start()` and `tflog.kernel.stop()`."
)

_step_lock = threading.Lock()


def active_run(call: str) -> Any:
    run = state.active_run
    if run is None:
        raise NoActiveRun(NO_RUN_MESSAGE.format(call=call))
    return run


def _count(name: str, value: Any) -> Optional[int]:
    """A step or epoch: None, or an integer >= 0 (NumPy integers included)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"tflog.log: {name} must be an integer, not a bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"tflog.log: {name} must be an integer, not {type(value).__name__}"
        ) from None
    if number < 0:
        raise ValueError(f"tflog.log: {name} must be >= 0, not {number}")
    return number


def _scalar(name: str, value: Any) -> Any:
    """The value to queue: a Python number, or an object the writer converts."""
    if isinstance(value, (int, float)):  # bool included
        return value
    if isinstance(value, (str, bytes)) or not (
        hasattr(value, "__float__") or hasattr(value, "item")
    ):
        raise TypeError(f"tflog.log: {name!r} is a {type(value).__name__}, not a number")
    if getattr(value, "ndim", 0):
        shape = tuple(getattr(value, "shape", ()))
        if any(dimension != 1 for dimension in shape):
            raise TypeError(f"tflog.log: {name!r} is not a scalar (shape {shape})")
    read_value = getattr(value, "read_value", None)
    if callable(read_value):
        # A variable: its value now (a new tensor, no device wait).
        return read_value()
    if hasattr(value, "numpy"):
        # A tensor: float() in the writer thread.
        return value
    item = getattr(value, "item", None)
    if callable(item):
        return item()  # NumPy: host memory, copied now (size-1 arrays too)
    return value


def _values(values: Any) -> Dict[str, Any]:
    if not isinstance(values, Mapping):
        raise TypeError(
            f"tflog.log: values must be a dict of name: number, not {type(values).__name__}"
        )
    return {str(name): _scalar(str(name), value) for name, value in values.items()}


def _position(run: Any, step: Optional[int], epoch: Optional[int]) -> Tuple[str, Optional[int]]:
    """The record's scope and step; without either, the run's next step."""
    with _step_lock:
        last = getattr(run, "api_step", 0)
        if step is None and epoch is None:
            step = last + 1
        if step is not None:
            run.api_step = max(last, step)
    return ("batch" if step is not None else "epoch"), step


def log(
    values: Mapping[str, Any],
    step: Optional[int] = None,
    epoch: Optional[int] = None,
) -> None:
    """Records exact metric values of the active run.

    `step` given: batch-scope values at that global step (with `epoch` when
    given too). Only `epoch` given: epoch-scope values, the epoch counted
    from 0 as Keras callbacks and `range()` count (shown from 1, as Keras
    prints epochs). Neither: the step after the last one `log` was given in
    this run (1 at first), so log every value of one step in one call.
    NaN and infinities are recorded as non-finite values.
    """
    run = active_run("tflog.log()")
    checked_step = _count("step", step)
    checked_epoch = _count("epoch", epoch)
    queued = _values(values)
    scope, at_step = _position(run, checked_step, checked_epoch)
    run.writer.metrics(scope, queued, epoch=checked_epoch, step=at_step)


def log_hparams(values: Mapping[str, Any]) -> None:
    """Records hyperparameters of the active run (merged with those of `fit`).

    Strings, numbers, booleans and None are kept; NumPy and tensor scalars
    become numbers; anything else is recorded as its text.
    """
    run = active_run("tflog.log_hparams()")
    if not isinstance(values, Mapping):
        raise TypeError(
            f"tflog.log_hparams: values must be a dict of name: value, not {type(values).__name__}"
        )
    run.writer.hparams({str(name): value for name, value in values.items()})
