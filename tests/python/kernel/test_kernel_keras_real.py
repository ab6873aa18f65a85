"""Real Keras 3 and tf_keras (Keras 2) fits under %%tflog in a fresh IPython.

One subprocess runs all four cells so that TensorFlow is imported once, and
imported only inside a %%tflog cell: the import hook must patch fit in time.
"""

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import read_spool, spool_files

import tflog

CELL = textwrap.dedent(
    """\
    import json, logging
    import numpy as np
    import {module} as keras_flavour
    logging.basicConfig(level=logging.INFO, format='%(asctime)s [%(levelname)s] %(message)s',
                        force=True)
    keras_flavour.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(80, 4).astype('float32')
    y = (x.sum(axis=1) > 2).astype('float32')
    model = keras_flavour.Sequential([
        keras_flavour.Input((4,)),
        keras_flavour.layers.Dense(8, activation='relu'),
        keras_flavour.layers.Dense(1, activation='sigmoid'),
    ])
    model.compile(optimizer=keras_flavour.optimizers.Adam(1e-3), loss='binary_crossentropy',
                  metrics=['accuracy'])
    history = model.fit(x[:64], y[:64], validation_data=(x[64:], y[64:]), epochs=2,
                        batch_size=16, verbose={verbose})
    logging.getLogger('train').info('Epoch 7, Loss: 0.8765')
    print('HISTORY ' + json.dumps({{k: [float(v) for v in vs]
                                   for k, vs in history.history.items()}}))
    """
)

CHECKOUT = str(Path(tflog.__file__).resolve().parents[1])

SCENARIOS = {
    "keras3-v1": ("keras", 1),
    "keras3-v2": ("keras", 2),
    "tfkeras-v1": ("tf_keras", 1),
    "tfkeras-v2": ("tf_keras", 2),
}

DRIVER = textwrap.dedent(
    """\
    import json, sys
    from IPython.testing.globalipapp import start_ipython
    ip = start_ipython()
    ip.run_line_magic('load_ext', 'tflog')
    preloaded = [name for name in ('keras', 'tf_keras', 'tensorflow') if name in sys.modules]
    cells = json.loads(sys.argv[1])
    results = {name: ip.run_cell('%%tflog ' + name + '\\n' + code).success
               for name, code in cells.items()}
    sys.__stdout__.write('RESULTS ' + json.dumps({'ok': results, 'preloaded': preloaded}) + '\\n')
    """
)


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    spool = tmp_path_factory.mktemp("keras-spool")
    cells = {
        name: CELL.format(module=module, verbose=verbose)
        for name, (module, verbose) in SCENARIOS.items()
    }
    env = dict(os.environ, TFLOG_SPOOL_DIR=str(spool), TF_CPP_MIN_LOG_LEVEL="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [CHECKOUT, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(cells)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(lines[-1][len("RESULTS ") :])
    assert summary["preloaded"] == []
    runs = {}
    for path in spool_files(spool):
        records = read_spool(path)
        runs[records[0]["name"]] = records
    return summary["ok"], runs


def history_of(records):
    for record in records:
        if record["t"] == "stream" and record["text"].startswith("HISTORY "):
            return json.loads(record["text"][len("HISTORY ") :])
    raise AssertionError("no HISTORY line was captured")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fit_is_captured(fits, name):
    ok, runs = fits
    assert ok[name] is True
    records = runs[name]
    assert records[-1]["t"] == "end" and records[-1]["status"] == "finished"
    assert [r["seq"] for r in records] == list(range(len(records)))

    (hparams,) = [r["values"] for r in records if r["t"] == "hparams"]
    assert hparams["optimizer"] == "Adam" and hparams["learning_rate"] == pytest.approx(1e-3)
    assert (hparams["batch_size"], hparams["epochs"], hparams["steps_per_epoch"]) == (16, 2, 4)
    assert hparams["keras"].startswith(SCENARIOS[name][0] + " ")

    epochs = [r for r in records if r["t"] == "metrics" and r["scope"] == "epoch"]
    assert [(r["epoch"], r["step"]) for r in epochs] == [(0, 4), (1, 8)]
    history = history_of(records)
    for metric in ("loss", "accuracy", "val_loss", "val_accuracy"):
        exact = [r["values"][metric] for r in epochs]
        assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(exact, history[metric]))
    batches = [r for r in records if r["t"] == "metrics" and r["scope"] == "batch"]
    assert batches and batches[0]["step"] == 1 and "loss" in batches[0]["values"]

    stdout = "".join(r["text"] for r in records if r["t"] == "stream" and r["stream"] == "stdout")
    assert "Epoch 1/2" in stdout and "Epoch 2/2" in stdout
    if SCENARIOS[name][1] == 1:
        assert "\r" in stdout and "4/4" in stdout
    else:
        assert "4/4 - " in stdout and "\r" not in stdout
    assert "val_loss" in stdout

    logs = [r for r in records if r["t"] == "log" and r["logger"] == "train"]
    assert [r["msg"] for r in logs] == ["Epoch 7, Loss: 0.8765"]
    stderr = "".join(r["text"] for r in records if r["t"] == "stream" and r["stream"] == "stderr")
    # basicConfig's handler echoes the record to stderr: it is captured once,
    # as the structured record, not again as stream text.
    assert "Epoch 7, Loss: 0.8765" not in stderr


# --- tf.summary.scalar and tf.keras's slow-callback check, with real TensorFlow

SUMMARY_CELL = textwrap.dedent(
    """\
    import glob, json, sys
    import tensorflow as tf  # imported inside the run: hooked when the import finishes
    hooked = getattr(tf.summary.scalar, 'tflog_original', None) is not None
    writer = tf.summary.create_file_writer({logdir!r})
    with writer.as_default():
        for step in range(1, 4):
            returned = tf.summary.scalar('loss', tf.constant(1.0 / step), step=step)
        with tf.name_scope('val'):
            tf.summary.scalar('acc', np.float32(0.5), step=tf.Variable(3, dtype=tf.int64))
        with tf.summary.record_if(False):
            tf.summary.scalar('skipped', 1.0, step=4)
        @tf.function
        def traced(x):
            return tf.summary.scalar('traced', x, step=5)
        traced(tf.constant(2.0))
        tf.summary.experimental.set_step(6)
        tf.summary.scalar('default_step', float('inf'))
    tf.summary.scalar('no_writer', 1.0, step=7)
    writer.flush()
    from tensorflow.core.util import event_pb2
    tags = []
    for path in glob.glob({logdir!r} + '/*'):
        for raw in tf.data.TFRecordDataset(path):
            tags += [v.tag for v in event_pb2.Event.FromString(raw.numpy()).summary.value]
    sys.__stdout__.write('SUMMARY ' + json.dumps({{'hooked': hooked, 'tags': sorted(tags),
        'returned': bool(returned)}}) + '\\n')
    """
)

TIMING_CELL = textwrap.dedent(
    """\
    import json, sys
    import tf_keras
    from tflog.kernel import keras_hook
    seen = []
    CallbackList = tf_keras.callbacks.CallbackList
    plain_init = CallbackList.__init__
    def spy(self, *args, **kwargs):
        plain_init(self, *args, **kwargs)
        seen.append(self._check_timing)
    CallbackList.__init__ = spy
    model = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(1)])
    model.compile(optimizer='sgd', loss='mse')
    x = np.zeros((32, 4), 'float32'); y = np.zeros((32, 1), 'float32')
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    CallbackList.__init__ = plain_init
    ours = keras_hook.callback_class(tf_keras)(None, 0.5, {{}})
    class Mine(tf_keras.callbacks.Callback):
        pass
    def check(callbacks, attribute='_check_timing'):
        return getattr(CallbackList(callbacks, add_history=True, add_progbar=True, verbose=1,
                                    epochs=1, steps=4), attribute)
    sys.__stdout__.write('TIMING ' + json.dumps({{
        'fit': seen,
        'builtin_only': check([]), 'with_tflog': check([ours]),
        'mine': check([Mine()]), 'mine_with_tflog': check([Mine(), ours]),
        'tf_logs': check([], '_batch_hooks_support_tf_logs'),
        'tf_logs_with_tflog': check([ours], '_batch_hooks_support_tf_logs')}}) + '\\n')
    """
)


@pytest.fixture(scope="module")
def summaries_and_timing(tmp_path_factory):
    spool = tmp_path_factory.mktemp("summary-spool")
    logdir = tmp_path_factory.mktemp("tensorboard")
    cells = {
        "summaries": "import numpy as np\n" + SUMMARY_CELL.format(logdir=str(logdir)),
        "timing": "import numpy as np\n" + TIMING_CELL.format(),
    }
    env = dict(os.environ, TFLOG_SPOOL_DIR=str(spool), TF_CPP_MIN_LOG_LEVEL="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [CHECKOUT, env.get("PYTHONPATH")]))
    driver = DRIVER + textwrap.dedent(
        """\
        import tensorflow as tf
        sys.__stdout__.write('AFTER ' + json.dumps(
            getattr(tf.summary.scalar, 'tflog_original', None) is None) + '\\n')
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", driver, json.dumps(cells)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    output = {}
    for line in done.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("RESULTS", "SUMMARY", "TIMING", "AFTER"):
            output[word] = json.loads(rest)
    assert done.returncode == 0 and "RESULTS" in output, done.stdout[-3000:] + done.stderr[-3000:]
    runs = {}
    for path in spool_files(spool):
        records = read_spool(path)
        runs[records[0]["name"]] = records
    return output, runs


def test_tf_summary_scalars_are_recorded_and_still_written(summaries_and_timing):
    output, runs = summaries_and_timing
    assert output["RESULTS"]["ok"]["summaries"] is True
    assert output["RESULTS"]["preloaded"] == []
    summary = output["SUMMARY"]
    assert summary["hooked"] is True and summary["returned"] is True
    # TensorBoard got everything it gets without tflog.
    assert summary["tags"] == ["default_step", "loss", "loss", "loss", "traced", "val/acc"]
    metrics = [
        (r["scope"], r.get("step"), r["values"]) for r in runs["summaries"] if r["t"] == "metrics"
    ]
    assert metrics == [
        ("batch", 1, {"loss": 1.0}),
        ("batch", 2, {"loss": 0.5}),
        ("batch", 3, {"loss": pytest.approx(1 / 3)}),
        ("batch", 3, {"val/acc": 0.5}),
        ("batch", 6, {"default_step": "Infinity"}),
    ]
    # Unhooked when the run ended.
    assert output["AFTER"] is True


def test_tflogs_callback_leaves_the_slow_callback_check_off(summaries_and_timing):
    output, runs = summaries_and_timing
    assert output["RESULTS"]["ok"]["timing"] is True
    timing = output["TIMING"]
    # The fit under %%tflog had tflog's callback (its metrics were recorded)...
    assert any(r["t"] == "metrics" for r in runs["timing"])
    # ... and Keras's timing check stayed off, as with Keras's own callbacks only.
    assert timing["fit"] == [False]
    assert timing["builtin_only"] is False and timing["with_tflog"] is False
    # A user's own callback turns it on, with or without tflog's.
    assert timing["mine"] is True and timing["mine_with_tflog"] is True
    # Batch logs stay tensors, as with the progress bar alone: no NumPy sync per batch.
    assert timing["tf_logs"] is True and timing["tf_logs_with_tflog"] is True
