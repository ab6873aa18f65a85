"""tf.summary.scalar during a run, on a stand-in for the tensorflow module."""

import sys
import types

import pytest
from conftest import read_spool, spool_files

import tflog.kernel
from tflog.kernel import keras_hook
from tflog.kernel.diagnostics import DIAGNOSTICS


class FakeTensorFlow:
    """`tensorflow` with `summary.scalar`, `executing_eagerly`, name scopes."""

    def __init__(self):
        self.calls = []
        self.written = True
        self.eager = True
        self.scope = ""
        self.default_step = None
        self.fail = None
        module = types.ModuleType("tensorflow")
        summary = types.ModuleType("tensorflow.summary")
        compat_summary = types.ModuleType("tensorflow.compat.v2.summary")

        def scalar(name, data, step=None, description=None):
            self.calls.append((name, data, step, description))
            if self.fail is not None:
                raise self.fail
            return self.written

        summary.scalar = scalar
        compat_summary.scalar = scalar
        summary.experimental = types.SimpleNamespace(get_step=lambda: self.default_step)
        module.summary = summary
        module.compat = types.SimpleNamespace(v2=types.SimpleNamespace(summary=compat_summary))
        module.executing_eagerly = lambda: self.eager
        module.get_current_name_scope = lambda: self.scope
        self.module = module
        self.original = scalar


class Variable:
    def __init__(self, value):
        self.value = value

    def read_value(self):
        return float(self.value)


@pytest.fixture
def tf(monkeypatch):
    fake = FakeTensorFlow()
    monkeypatch.setitem(sys.modules, "tensorflow", fake.module)
    return fake


def metrics(directory):
    (path,) = spool_files(directory)
    records = read_spool(path)
    assert [r["seq"] for r in records] == list(range(len(records)))
    return [
        {key: value for key, value in r.items() if key in ("scope", "step", "values")}
        for r in records
        if r["t"] == "metrics"
    ]


def test_scalars_become_exact_metrics_and_the_original_is_called(tf, spool_dir):
    tflog.kernel.start("summaries")
    assert tf.module.summary.scalar is not tf.original
    assert tf.module.compat.v2.summary.scalar is not tf.original
    step = Variable(7)
    assert tf.module.summary.scalar("loss", 0.5, step=3) is True
    assert tf.module.summary.scalar("acc", data=Variable(0.75), step=step) is True
    step.value = 8
    tf.scope = "train"
    tf.module.summary.scalar("loss", float("nan"), 4, "described")
    tf.scope = ""
    tf.default_step = 9
    tf.module.compat.v2.summary.scalar("lr", 1e-3)
    tflog.kernel.stop()
    assert tf.module.summary.scalar is tf.original
    assert tf.module.compat.v2.summary.scalar is tf.original
    assert [call[0] for call in tf.calls] == ["loss", "acc", "loss", "lr"]
    assert tf.calls[2] == ("loss", tf.calls[2][1], 4, "described")
    assert metrics(spool_dir) == [
        {"scope": "batch", "step": 3, "values": {"loss": 0.5}},
        {"scope": "batch", "step": 7, "values": {"acc": 0.75}},
        {"scope": "batch", "step": 4, "values": {"train/loss": "NaN"}},
        {"scope": "batch", "step": 9, "values": {"lr": 0.001}},
    ]


def test_what_was_not_written_is_not_recorded(tf, spool_dir):
    tflog.kernel.start("unwritten")
    tf.written = False  # no default writer, or record_if(False)
    assert tf.module.summary.scalar("loss", 0.5, step=1) is False
    tf.written = True
    tf.fail = ValueError("No step set")
    with pytest.raises(ValueError, match="No step set"):
        tf.module.summary.scalar("loss", 0.5)
    tf.fail = None
    tf.module.summary.scalar("name", "not a number", step=2)
    tf.eager = False  # traced inside a tf.function: symbolic values
    assert tf.module.summary.scalar("loss", object(), step=3) is True
    tf.eager = True
    tflog.kernel.stop()
    assert metrics(spool_dir) == []
    assert len(tf.calls) == 4


def test_kerass_own_tensorboard_scalars_are_left_to_the_keras_callback(tf, spool_dir):
    tflog.kernel.start("keras")
    keras_globals = {"__name__": "keras.src.callbacks.tensorboard", "tf": tf.module}
    exec("tf.summary.scalar('epoch_loss', 0.5, step=0)", keras_globals)
    tf.module.summary.scalar("mine", 1.0, step=1)
    tflog.kernel.stop()
    assert len(tf.calls) == 2
    assert metrics(spool_dir) == [{"scope": "batch", "step": 1, "values": {"mine": 1.0}}]


def test_a_failure_in_tflogs_part_never_breaks_the_summary(tf, spool_dir, monkeypatch):
    def broken():
        raise RuntimeError("name scope unavailable")

    monkeypatch.setattr(tf.module, "get_current_name_scope", broken)
    before = DIAGNOSTICS.error_count
    tflog.kernel.start("broken")
    assert tf.module.summary.scalar("loss", 0.5, step=1) is True
    tflog.kernel.stop()
    assert DIAGNOSTICS.error_count == before + 1
    assert "tf.summary.scalar" in DIAGNOSTICS.summary()
    assert metrics(spool_dir) == []


def test_outside_a_run_nothing_is_wrapped(tf, spool_dir):
    tf.module.summary.scalar("loss", 0.5, step=1)
    assert tf.module.summary.scalar is tf.original
    assert spool_files(spool_dir) == []


def test_tensorflow_imported_during_a_run_is_hooked_then(spool_dir, monkeypatch):
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    tflog.kernel.start("late import")
    fake = FakeTensorFlow()
    monkeypatch.setitem(sys.modules, "tensorflow", fake.module)
    keras_hook._watcher._loaded(fake.module)  # what the import watcher calls
    fake.module.summary.scalar("loss", 0.25, step=5)
    tflog.kernel.stop()
    assert fake.module.summary.scalar is fake.original
    assert metrics(spool_dir) == [{"scope": "batch", "step": 5, "values": {"loss": 0.25}}]
