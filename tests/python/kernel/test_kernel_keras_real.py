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
