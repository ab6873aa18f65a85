"""The fit patch and the import watcher, on a small stand-in for a Keras package."""

import sys
import textwrap
import types

import pytest

from tflog.kernel import keras_hook, state
from tflog.kernel.options import RunOptions

FAKE_KERAS = textwrap.dedent(
    '''
    __version__ = "0.0-test"

    class Callback:
        def __init__(self):
            self.model = None
            self.params = {}

        def on_train_begin(self, logs=None):
            return None

        def on_epoch_begin(self, epoch, logs=None):
            return None

        def on_train_batch_end(self, batch, logs=None):
            return None

        def on_epoch_end(self, epoch, logs=None):
            return None

    callbacks = type("callbacks", (), {"Callback": Callback})

    class Optimizer:
        learning_rate = 0.0010000000474974513

    class Adam(Optimizer):
        pass

    class Model:
        def __init__(self):
            self.name = "tiny"
            self.optimizer = Adam()
            self.loss = "mse"

        def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto",
                callbacks=None, steps_per_epoch=None):
            """Calls the callbacks like Keras: 2 epochs of 3 batches, logs as floats."""
            self.seen_callbacks = callbacks
            for callback in callbacks or []:
                callback.model = self
                callback.params = {"epochs": epochs, "steps": 3}
                callback.on_train_begin()
            for epoch in range(epochs):
                for callback in callbacks or []:
                    callback.on_epoch_begin(epoch)
                for batch in range(3):
                    for callback in callbacks or []:
                        callback.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1)})
                for callback in callbacks or []:
                    callback.on_epoch_end(epoch, {"loss": 0.5, "val_loss": float("nan")})
            return "history"
    '''
)


def fake_keras(name="fakekeras"):
    module = types.ModuleType(name)
    exec(FAKE_KERAS, module.__dict__)
    return module


class RecordingWriter:
    def __init__(self):
        self.metrics_calls = []
        self.hparams_calls = []

    def metrics(self, scope, logs, epoch=None, batch=None, step=None):
        self.metrics_calls.append((scope, epoch, batch, step, dict(logs)))

    def hparams(self, values):
        self.hparams_calls.append(values)


class FakeRun:
    def __init__(self, keras=True, batch_interval=0.0):
        options = RunOptions(keras=keras, batch_interval=batch_interval)
        self.keras_enabled = options.keras
        self.batch_interval = options.batch_interval
        self.writer = RecordingWriter()


@pytest.fixture
def active(monkeypatch):
    def activate(run):
        monkeypatch.setattr(state, "active_run", run)
        return run

    return activate


def test_patch_is_idempotent_and_inert_without_a_run():
    keras = fake_keras()
    original = keras.Model.fit
    assert keras_hook.patch_fit(keras)
    patched = keras.Model.fit
    assert patched is not original and patched.tflog_original is original
    assert keras_hook.patch_fit(keras)
    assert keras.Model.fit is patched
    model = keras.Model()
    user_callbacks = [keras.Callback()]
    assert model.fit([1], callbacks=user_callbacks) == "history"
    assert model.seen_callbacks is user_callbacks  # untouched without a run


def test_callback_records_metrics_hparams_and_steps(active):
    keras = fake_keras()
    keras_hook.patch_fit(keras)
    run = active(FakeRun(batch_interval=0.0))
    mine = keras.Callback()
    model = keras.Model()
    model.fit([[1.0]], [1.0], 4, 2, 0, [mine])  # callbacks passed positionally
    assert model.seen_callbacks[0] is mine and len(model.seen_callbacks) == 2
    (hparams,) = run.writer.hparams_calls
    assert hparams == {
        "keras": "fakekeras 0.0-test",
        "batch_size": 4,
        "epochs": 2,
        "steps_per_epoch": 3,
        "model": "tiny",
        "optimizer": "Adam",
        "learning_rate": 0.001,
        "loss": "mse",
    }
    epochs = [call for call in run.writer.metrics_calls if call[0] == "epoch"]
    assert [(c[1], c[3]) for c in epochs] == [(0, 3), (1, 6)]
    batches = [call for call in run.writer.metrics_calls if call[0] == "batch"]
    assert [(c[1], c[2], c[3]) for c in batches] == [
        (0, 0, 1),
        (0, 1, 2),
        (0, 2, 3),
        (1, 0, 4),
        (1, 1, 5),
        (1, 2, 6),
    ]
    assert epochs[0][4]["val_loss"] != epochs[0][4]["val_loss"]  # NaN passed through raw


def test_batch_metrics_are_sampled_but_epochs_always_recorded(active):
    keras = fake_keras()
    keras_hook.patch_fit(keras)
    run = active(FakeRun(batch_interval=3600.0))
    keras.Model().fit([[1.0]], epochs=3)
    scopes = [call[0] for call in run.writer.metrics_calls]
    assert scopes.count("batch") == 1 and scopes.count("epoch") == 3


def test_default_batch_size_for_arrays_and_none_for_datasets(active):
    keras = fake_keras()
    keras_hook.patch_fit(keras)
    run = active(FakeRun())
    keras.Model().fit([[1.0]])
    keras.Model().fit(iter([]))  # a generator: batch size unknown
    assert run.writer.hparams_calls[0]["batch_size"] == 32
    assert "batch_size" not in run.writer.hparams_calls[1]


def test_no_keras_option_and_existing_tflog_callback(active):
    keras = fake_keras()
    keras_hook.patch_fit(keras)
    active(FakeRun(keras=False))
    model = keras.Model()
    model.fit([1])
    assert model.seen_callbacks is None
    run = active(FakeRun())
    model.fit([1])
    ours = model.seen_callbacks
    model.fit([1], callbacks=ours)
    assert model.seen_callbacks == ours and len(ours) == 1
    assert len(run.writer.hparams_calls) == 2


def test_a_bad_call_raises_the_users_own_error(active):
    keras = fake_keras()
    keras_hook.patch_fit(keras)
    active(FakeRun())
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        keras.Model().fit([1], epoch=3)


def test_training_errors_propagate_once(active):
    keras = fake_keras()
    calls = []

    def failing_fit(self, x=None, callbacks=None):
        calls.append(x)
        raise ValueError("bad shapes")

    keras.Model.fit = failing_fit
    keras_hook.patch_fit(keras)
    active(FakeRun())
    with pytest.raises(ValueError, match="bad shapes"):
        keras.Model().fit([1])
    assert len(calls) == 1


def test_a_keras_imported_later_is_patched_when_its_import_finishes(tmp_path, monkeypatch):
    package = tmp_path / "latekeras"
    package.mkdir()
    (package / "__init__.py").write_text(FAKE_KERAS)
    monkeypatch.syspath_prepend(str(tmp_path))
    watcher = keras_hook.KerasImportWatcher(("latekeras",))
    monkeypatch.setattr(sys, "meta_path", [watcher, *sys.meta_path])
    sys.modules.pop("latekeras", None)
    try:
        import latekeras

        assert latekeras.Model.fit.tflog_original is not None
        assert latekeras.__loader__ is latekeras.__spec__.loader
        assert type(latekeras.__loader__).__name__ == "SourceFileLoader"
        assert not watcher.watching
    finally:
        sys.modules.pop("latekeras", None)


def test_async_batch_hooks_finishing_out_of_order_keep_the_highest_batch():
    """Keras 3 runs an `async_safe` callback's batch hook on a thread pool
    (JAX, torch backends): calls overlap and the last to finish may be an
    older batch. The epoch's step count must still be its number of batches."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    keras = fake_keras()
    writer = RecordingWriter()
    callback = keras_hook.callback_class(keras)(writer, 3600.0, {})
    assert callback.async_safe
    batches = list(range(1, 400))
    random.Random(7).shuffle(batches)
    batches.append(0)  # the last to run is the oldest batch
    for epoch in range(2):
        callback.on_epoch_begin(epoch)
        with ThreadPoolExecutor(max_workers=8) as pool:
            for batch in batches:
                pool.submit(callback.on_train_batch_end, batch, {"loss": 1.0})
        callback.on_epoch_end(epoch, {"loss": 0.5})
    epochs = [call for call in writer.metrics_calls if call[0] == "epoch"]
    assert [(call[1], call[3]) for call in epochs] == [(0, 400), (1, 800)]
    # Sampled once per interval even with concurrent calls: one per fit here.
    assert [call[0] for call in writer.metrics_calls].count("batch") == 1
