"""Scalars written with `tf.summary.scalar` during a run, as exact metrics.

While a run is active, `scalar` of `tf.summary` (and `tf.compat.v2.summary`)
is wrapped: the original is always called first, with the same arguments,
and its result returned (or its exception raised) unchanged. Then, when it
wrote something (it returns False without a default writer or under
`tf.summary.record_if(False)`), the value is queued as a `metrics` record of
scope `batch` at the step written (the `step` argument, else
`tf.summary.experimental.get_step()`), named with the enclosing name scopes
as TensorBoard shows it. The value and the step are queued as they are
(variables read first) and converted by the spool writer thread, so the
training loop never waits for a device. Any failure in tflog's part is
reported to tflog's diagnostics and never reaches the summary call.

Left out: scalars Keras's own TensorBoard callback writes (the Keras
callback records those metrics exactly already), and calls traced inside a
`tf.function`, where values are symbolic (a one-time notice says so).

TensorFlow is never imported by tflog: the wrapper is applied when a run
starts with TensorFlow already imported, or as soon as TensorFlow's import
finishes during a run (the import watcher in keras_hook), and removed when
the run ends.
"""

import functools
import logging
import sys
import time
from typing import Any, Callable, List, Optional, Tuple

from tflog.kernel.diagnostics import DIAGNOSTICS, INTERNAL_LOGGER_NAME, at

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

TENSORFLOW = "tensorflow"
# Callers whose scalars are not recorded: Keras's TensorBoard callback (its
# metrics come from the Keras callback) and TensorFlow's own helpers.
INTERNAL_CALLERS = ("keras", "tf_keras", "tensorflow", "tensorboard")


def summary_modules(tf: Any) -> List[Any]:
    """The API modules that export `scalar`: tf.summary, tf.compat.v2.summary."""
    modules = []
    for path in (("summary",), ("compat", "v2", "summary")):
        target = tf
        for name in path:
            target = getattr(target, name, None)
        usable = target is not None and callable(getattr(target, "scalar", None))
        if usable and all(target is not seen for seen in modules):
            modules.append(target)
    return modules


def _internal_caller(module_name: str) -> bool:
    return any(
        module_name == prefix or module_name.startswith(prefix + ".") for prefix in INTERNAL_CALLERS
    )


def _read(value: Any) -> Any:
    """A variable's current value (a new tensor, no device wait); else the value."""
    read_value = getattr(value, "read_value", None)
    return read_value() if callable(read_value) else value


class SummaryHook:
    """The `tf.summary.scalar` wrappers of one run."""

    def __init__(self, put: Callable[[tuple], None], kind: int) -> None:
        self._put: Optional[Callable[[tuple], None]] = put
        self._kind = kind
        self._tf: Any = None
        self._patched: List[Tuple[Any, Any, Any]] = []  # (module, original, wrapper)

    @property
    def installed(self) -> bool:
        return bool(self._patched)

    def install(self) -> bool:
        """Wraps `scalar` when TensorFlow is imported; True when wrapped (now or before)."""
        if self._put is None:
            return False
        if self._patched:
            return True
        tf = sys.modules.get(TENSORFLOW)
        if tf is None:
            return False
        self._tf = tf
        for module in summary_modules(tf):
            original = module.scalar
            wrapper = self._wrap(original)
            module.scalar = wrapper
            self._patched.append((module, original, wrapper))
        return bool(self._patched)

    def uninstall(self) -> None:
        """Puts the originals back where ours are still in place; ours go inert."""
        self._put = None
        for module, original, wrapper in self._patched:
            if getattr(module, "scalar", None) is wrapper:
                module.scalar = original
        self._patched = []

    def _wrap(self, original: Callable) -> Callable:
        hook = self

        @functools.wraps(original)
        def scalar(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
            result = original(*args, **kwargs)
            if hook._put is not None:
                try:
                    caller = sys._getframe(1).f_globals.get("__name__", "")
                    if not _internal_caller(caller):
                        hook.record(args, kwargs, result)
                except Exception:
                    internal_logger.exception("recording failed", extra=at("tf.summary.scalar"))
            return result

        scalar.tflog_original = original
        return scalar

    def record(self, args: tuple, kwargs: dict, result: Any) -> None:
        """Queues what one `scalar(name, data, step=None, description=None)` call wrote."""
        put = self._put
        tf = self._tf
        if put is None or tf is None:
            return
        if not tf.executing_eagerly():
            DIAGNOSTICS.warn_once(
                "tf-summary-graph",
                "tflog: tf.summary.scalar inside a tf.function is not recorded (its values "
                "are symbolic there); call tflog.log() with the step's results instead",
            )
            return
        if not bool(result):
            # No default writer, or record_if(False): nothing was written.
            return
        name = args[0] if args else kwargs.get("name")
        data = args[1] if len(args) > 1 else kwargs.get("data")
        step = args[2] if len(args) > 2 else kwargs.get("step")
        if step is None:
            step = tf.summary.experimental.get_step()
        scope = tf.get_current_name_scope() if hasattr(tf, "get_current_name_scope") else ""
        tag = f"{scope}/{name}" if scope else str(name)
        put((self._kind, time.time(), tag, _read(data), _read(step)))
