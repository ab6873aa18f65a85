"""Exact Keras metrics: a callback attached to every `Model.fit` during a run.

`Model.fit` of each Keras flavour is wrapped once (idempotently): tf.keras 2.x
(`tf_keras`, and the `keras` 2.x package behind `tensorflow.keras` up to TF
2.15) and Keras 3 (`keras`). A flavour imported after the extension loaded,
even inside a `%%tflog` cell, is patched as soon as its import finishes by a
`sys.meta_path` finder. Without an active run, or with `--no-keras`, the
wrapper calls the original fit with the original arguments.

The callback never forces a device sync per batch: it declares
`_supports_tf_logs` (tf.keras then passes logs as tensors instead of
converting them for it) and `async_safe` (Keras 3 keeps dispatching batch
hooks asynchronously on backends that do), samples batch metrics at most every
`batch_interval` seconds, and only queues the logs dict: converting values to
numbers happens in the spool writer thread. Epoch-end metrics are always
recorded. Keras 3 converts batch logs to Python floats itself before any
callback sees them, so there it costs nothing extra either. Nor does it turn
on tf.keras 2.x's slow-callback timing check (`leave_timing_check_alone`).
"""

import functools
import importlib.abc
import inspect
import logging
import sys
import threading
import time
from typing import Any, Callable, Dict, Tuple

from tflog.kernel import state
from tflog.kernel.diagnostics import DIAGNOSTICS, INTERNAL_LOGGER_NAME, at
from tflog.kernel.summary_hook import TENSORFLOW

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

KERAS_MODULES = ("keras", "tf_keras")
DEFAULT_BATCH_SIZE = 32  # what Model.fit uses for array inputs without batch_size

# Guards the callbacks' batch counters: with `async_safe`, Keras 3 runs the
# batch hook on a thread pool (JAX, torch), so calls overlap and finish out of
# order. Module-level rather than per callback, so that a callback stays
# copyable and picklable; one fit at a time makes contention nil.
_batch_lock = threading.Lock()


class TflogKerasCallback:
    """Behaviour of the callback; combined with each flavour's Callback base."""

    # tf.keras: hand us the logs as they are, do not sync them to NumPy for us.
    _supports_tf_logs = True
    # Keras 3: our batch hook is thread-safe, keep async dispatch where used.
    async_safe = True

    def __init__(self, writer: Any, batch_interval: float, fit_hparams: dict) -> None:
        super().__init__()
        # tf.keras's Callback.__init__ sets the instance attribute to False,
        # which would hide the class attribute: CallbackList would then
        # convert every batch's logs to NumPy (a device sync) for us.
        self._supports_tf_logs = True
        self._tflog_writer = writer
        self._tflog_batch_interval = batch_interval
        self._tflog_fit_hparams = fit_hparams
        self._tflog_epoch = 0
        self._tflog_last_batch = -1
        self._tflog_steps_before_epoch = 0
        self._tflog_last_sample = float("-inf")

    def on_train_begin(self, logs: Any = None) -> None:
        try:
            self._tflog_writer.hparams(self._tflog_hparams())
        except Exception:
            internal_logger.exception("hparams failed", extra=at("keras callback"))

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        with _batch_lock:
            self._tflog_epoch = epoch
            self._tflog_last_batch = -1

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        try:
            with _batch_lock:
                # The highest batch, not the last call's: async calls finish
                # out of order, and the epoch's step count comes from it.
                if batch > self._tflog_last_batch:
                    self._tflog_last_batch = batch
                # Read and set together: concurrent calls sample once per interval.
                now = time.monotonic()
                if now - self._tflog_last_sample < self._tflog_batch_interval:
                    return
                self._tflog_last_sample = now
                epoch = self._tflog_epoch
                step = self._tflog_steps_before_epoch + batch + 1
            # Outside the lock: the spool queue is thread-safe on its own.
            self._tflog_writer.metrics(
                "batch", dict(logs) if logs else {}, epoch=epoch, batch=batch, step=step
            )
        except Exception:
            internal_logger.exception("batch metrics failed", extra=at("keras callback"))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        try:
            # Keras 3 waits for the epoch's async batch hooks before this one.
            with _batch_lock:
                step = self._tflog_steps_before_epoch + self._tflog_last_batch + 1
                self._tflog_steps_before_epoch = step
            self._tflog_writer.metrics("epoch", dict(logs) if logs else {}, epoch=epoch, step=step)
        except Exception:
            internal_logger.exception("epoch metrics failed", extra=at("keras callback"))

    def _tflog_hparams(self) -> dict:
        values = dict(self._tflog_fit_hparams)
        model = getattr(self, "model", None)
        params = getattr(self, "params", None) or {}
        if values.get("steps_per_epoch") is None and params.get("steps") is not None:
            values["steps_per_epoch"] = params["steps"]
        if values.get("steps_per_epoch") is None:
            values.pop("steps_per_epoch", None)
        if model is not None:
            values["model"] = getattr(model, "name", None)
            values.update(optimizer_hparams(getattr(model, "optimizer", None)))
            loss = getattr(model, "loss", None)
            if loss is not None:
                values["loss"] = loss if isinstance(loss, str) else _name_of(loss)
        return values


def optimizer_hparams(optimizer: Any) -> dict:
    """Optimizer class and learning rate (current value; schedules by name)."""
    if optimizer is None:
        return {}
    values: dict = {"optimizer": type(optimizer).__name__}
    rate = getattr(optimizer, "learning_rate", None)
    if rate is None:
        return values
    try:
        # float32 variables: 7 significant digits give back the value typed.
        values["learning_rate"] = float(f"{float(rate):.7g}")
    except (TypeError, ValueError):
        values["learning_rate_schedule"] = _name_of(rate)
    return values


def _name_of(thing: Any) -> str:
    return getattr(thing, "__name__", None) or type(thing).__name__


_callback_classes: Dict[str, type] = {}
_classes_lock = threading.Lock()


def callback_class(module: Any) -> type:
    """TflogKerasCallback combined with `module.callbacks.Callback`, cached."""
    with _classes_lock:
        found = _callback_classes.get(module.__name__)
        if found is None:
            base = module.callbacks.Callback
            found = type("TflogKerasCallback", (TflogKerasCallback, base), {})
            _callback_classes[module.__name__] = found
            try:
                leave_timing_check_alone(module, found)
            except Exception:
                internal_logger.exception("timing check", extra=at("keras callback class"))
        return found


def leave_timing_check_alone(module: Any, callback: type) -> bool:
    """Keeps tf.keras 2.x's slow-callback check as it would be without tflog.

    `CallbackList.__init__` of tf.keras 2.x (TF 2.2 to 2.15, keras 2.x
    including 2.9, tf_keras) turns on a timing check of the batch hooks,
    which may print "Callback method `on_train_batch_end` is slow compared to
    the batch time", as soon as one callback's class name is not a global of
    the module that defines `CallbackList` (`cbk.__class__.__name__ not in
    globals()`): only Keras's own callbacks are exempt. Our callback is named
    there, so `_check_timing` stays what the user's own callbacks make it.
    Keras 3 has no such check (its `CallbackList.__init__` never sets
    `_check_timing`), and is left untouched. True when the name was added.
    """
    callback_list = getattr(module.callbacks, "CallbackList", None)
    init = getattr(callback_list, "__init__", None)
    code = getattr(init, "__code__", None)
    if code is None or "_check_timing" not in code.co_names:
        return False
    defining = sys.modules.get(callback_list.__module__)
    if defining is None:
        return False
    namespace = vars(defining)
    if namespace.get(callback.__name__) is not None:
        return False
    namespace[callback.__name__] = callback
    return True


def fit_hparams(module: Any, bound: inspect.BoundArguments) -> dict:
    """What the fit call itself tells: batch size, epochs, steps per epoch."""
    arguments = bound.arguments
    batch_size = arguments.get("batch_size")
    x = arguments.get("x")
    if batch_size is None and (hasattr(x, "shape") or isinstance(x, (list, tuple, dict))):
        batch_size = DEFAULT_BATCH_SIZE
    values = {
        "keras": f"{module.__name__} {getattr(module, '__version__', '?')}",
        "batch_size": batch_size,
        "epochs": arguments.get("epochs", 1),
        "steps_per_epoch": arguments.get("steps_per_epoch"),
    }
    initial_epoch = arguments.get("initial_epoch")
    if initial_epoch:
        values["initial_epoch"] = initial_epoch
    if batch_size is None:
        del values["batch_size"]
    return values


def _with_callback(module: Any, run: Any, bound: inspect.BoundArguments) -> bool:
    """Appends our callback to the bound `callbacks`; False when it cannot."""
    callbacks = bound.arguments.get("callbacks")
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        DIAGNOSTICS.warn_once(
            "keras-callbacks-type",
            "tflog: fit(callbacks=...) is not a list; exact Keras metrics are not "
            "recorded for this fit (logs and output still are)",
        )
        return False
    existing = list(callbacks or [])
    if any(isinstance(callback, TflogKerasCallback) for callback in existing):
        return False
    callback = callback_class(module)(run.writer, run.batch_interval, fit_hparams(module, bound))
    bound.arguments["callbacks"] = [*existing, callback]
    return True


def wrap_fit(module: Any, original: Callable) -> Callable:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
        run = state.active_run
        if run is None or not run.keras_enabled:
            return original(self, *args, **kwargs)
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:
            # The call does not match fit's signature: let the original raise
            # the user's own TypeError.
            return original(self, *args, **kwargs)
        try:
            attached = _with_callback(module, run, bound)
        except Exception:
            internal_logger.exception("attaching failed", extra=at("keras fit wrapper"))
            attached = False
        if attached:
            return original(*bound.args, **bound.kwargs)
        return original(self, *args, **kwargs)

    fit.tflog_original = original
    return fit


def patch_fit(module: Any) -> bool:
    """Wraps `module.Model.fit` once; True when it is (now or already) wrapped."""
    model_class = getattr(module, "Model", None)
    current = getattr(model_class, "fit", None)
    if model_class is None or current is None or not hasattr(module, "callbacks"):
        return False
    if getattr(current, "tflog_original", None) is not None:
        return True
    model_class.fit = wrap_fit(module, current)
    return True


class _PatchAfterExec(importlib.abc.Loader):
    """Runs the real loader, then hands the module to `on_loaded`."""

    def __init__(self, loader: Any, on_loaded: Callable[[Any], None]) -> None:
        self._loader = loader
        self._on_loaded = on_loaded

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        # The module sees its real loader, as if we had never been there.
        module.__spec__.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        try:
            self._on_loaded(module)
        except Exception:
            internal_logger.exception("patch after import failed", extra=at("keras import hook"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class KerasImportWatcher(importlib.abc.MetaPathFinder):
    """Patches a Keras flavour's fit as soon as its import has finished.

    It also watches TensorFlow's import: during a run, the run then wraps
    `tf.summary.scalar` (summary_hook).
    """

    def __init__(self, names: Tuple[str, ...] = (*KERAS_MODULES, TENSORFLOW)) -> None:
        self._names = set(names)
        self._searching = threading.local()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self._names or getattr(self._searching, "active", False):
            return None
        self._searching.active = True
        try:
            spec = self._find_with_others(fullname, path, target)
        finally:
            self._searching.active = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchAfterExec(spec.loader, self._loaded)
        return spec

    def _find_with_others(self, fullname: str, path: Any, target: Any) -> Any:
        for finder in list(sys.meta_path):
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                return spec
        return None

    def _loaded(self, module: Any) -> None:
        if module.__name__ == TENSORFLOW:
            # Imported now, so a later run finds it in sys.modules.
            self.forget(TENSORFLOW)
            run = state.active_run
            if run is not None:
                run.tensorflow_imported()
            return
        if patch_fit(module):
            self.forget(module.__name__)

    def forget(self, name: str) -> None:
        """Stops watching `name` (already patched)."""
        self._names.discard(name)

    @property
    def watching(self) -> bool:
        return bool(self._names)


_watcher = KerasImportWatcher()


def install() -> None:
    """Patches the flavours already imported; watches for the others."""
    for name in KERAS_MODULES:
        module = sys.modules.get(name)
        if module is not None and patch_fit(module):
            _watcher.forget(name)
    if TENSORFLOW in sys.modules:
        _watcher.forget(TENSORFLOW)
    if _watcher.watching and _watcher not in sys.meta_path:
        sys.meta_path.insert(0, _watcher)


def uninstall_import_watcher() -> None:
    """Stops watching imports (the fit wrappers stay, inert without a run)."""
    while _watcher in sys.meta_path:
        sys.meta_path.remove(_watcher)
