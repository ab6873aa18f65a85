"""A real kernel trains a real Keras model under %%tflog; the records must end
up in Elasticsearch, parsed and tagged with user, notebook and run."""

from __future__ import annotations

import json
import math

import pytest
from harness import Kernel, wait_for

NOTEBOOK = "experiments/cifar/train.ipynb"

TRAINING_CELL = """%%tflog fit-demo --tag team=vision
import json, logging
import numpy as np
import keras

logging.basicConfig(
    level=logging.INFO, format='%(asctime)s [%(levelname)s] %(message)s', force=True
)
log = logging.getLogger('train')
rng = np.random.RandomState(0)
x = rng.rand(256, 8).astype('float32')
y = (x.sum(axis=1) > 4).astype('float32')
model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(16, activation='relu'),
    keras.layers.Dense(1, activation='sigmoid'),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss='binary_crossentropy',
              metrics=['accuracy'])
history = model.fit(x, y, validation_split=0.25, epochs=3, batch_size=32, verbose=VERBOSE)
log.info('Epoch 7, Loss: 0.8765')
log.warning('Gradient norm exceeded threshold: 15.3')
log.error('Loss became NaN at step 3420')
try:
    1 / 0
except ZeroDivisionError:
    log.exception('evaluation failed')
print('HISTORY ' + json.dumps({k: [float(v) for v in vs] for k, vs in history.history.items()}))
"""


@pytest.fixture
def kernel(service, tmp_path):
    k = Kernel(
        {
            "TFLOG_SPOOL_DIR": str(service.spool_dir),
            "JPY_SESSION_NAME": NOTEBOOK,
            "JUPYTERHUB_USER": "alice",
            "TF_CPP_MIN_LOG_LEVEL": "1",
        }
    )
    yield k
    k.shutdown()


def history_from(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("HISTORY "):
            return json.loads(line[len("HISTORY ") :])
    raise AssertionError(f"the cell printed no history:\n{stdout[-2000:]}")


def run_training(kernel: Kernel, verbose: int) -> dict:
    loaded = kernel.execute("%load_ext tflog")
    assert loaded["status"] == "ok", loaded
    result = kernel.execute(TRAINING_CELL.replace("VERBOSE", str(verbose)))
    assert result["status"] == "ok", result
    return history_from(result["stdout"])


def find_run(es, name: str) -> dict:
    def one_run():
        es.refresh()
        runs = es.search("runs", {"term": {"name": name}})
        return runs[0] if runs and runs[0]["status"] != "running" else None

    return wait_for(one_run, 60, f"the summary of run {name!r}")


@pytest.mark.parametrize("verbose", [1, 2])
def test_keras_fit_lands_in_elasticsearch_tagged(kernel, service, es, verbose):
    history = run_training(kernel, verbose)
    run = find_run(es, "fit-demo")
    run_id = run["run_id"]
    assert run["status"] == "finished"
    assert run["user"] == "alice"
    assert run["notebook"] == NOTEBOOK
    assert run["tags"] == {"team": "vision"}
    assert run["hparams"]["epochs"] == 3
    assert run["hparams"]["batch_size"] == 32
    assert run["hparams"]["optimizer"].lower() == "adam"

    in_run = {"term": {"run_id": run_id}}

    # Exact per-epoch metrics from the callback, one point per epoch and name.
    def epoch_points():
        es.refresh()
        query = {"bool": {"filter": [in_run, {"term": {"scope": "epoch"}}]}}
        points = es.search("metrics", query)
        names = {p["name"] for p in points}
        return points if {"loss", "val_loss", "accuracy", "val_accuracy"} <= names else None

    points = wait_for(epoch_points, 60, "the epoch metric points")
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        series = sorted(
            (p for p in points if p["name"] == name and p["source"] == "callback"),
            key=lambda p: p["epoch"],
        )
        assert [p["epoch"] for p in series] == [1, 2, 3], name  # as Keras prints them
        for point, expected in zip(series, history[name]):
            assert math.isclose(point["value"], expected, rel_tol=1e-5), (name, point)

    # The log lines: every document of this run carries user, notebook, run and tags.
    def logs_with(kind: str):
        es.refresh()
        query = {"bool": {"filter": [{"term": {"tflog.run_id": run_id}}]}}
        docs = es.search("logs", query)
        return docs if any(d["tflog"]["kind"] == kind for d in docs) else None

    docs = wait_for(lambda: logs_with("error"), 60, "the error record")
    for doc in docs:
        assert doc["user"]["name"] == "alice"
        assert doc["tflog"]["notebook"] == NOTEBOOK
        assert doc["tflog"]["run_id"] == run_id
        assert doc["labels"] == {"team": "vision"}

    nan = [d for d in docs if d["tflog"]["kind"] == "nan"]
    assert nan, "no NaN event"
    assert nan[0]["tflog"]["nonfinite"] == {"loss": "NaN"}
    assert nan[0]["tflog"]["step"] == 3420
    assert nan[0]["log"]["level"] == "error"

    warning = [d for d in docs if "Gradient norm exceeded" in d["message"]]
    assert warning and warning[0]["log"]["level"] == "warning"
    assert warning[0]["tflog"]["metrics"]

    errors = [d for d in docs if d.get("error", {}).get("type") == "ZeroDivisionError"]
    assert errors, "the logged exception is missing"
    assert "1 / 0" in errors[0]["error"]["stack_trace"]

    article = [d for d in docs if d["message"].endswith("Epoch 7, Loss: 0.8765")]
    assert article and article[0]["tflog"]["metrics"]["loss"] == pytest.approx(0.8765)
    assert article[0]["tflog"]["epoch"] == 7

    # Keras's own progress output was captured from stdout and parsed too.
    progress = [d for d in docs if d["tflog"]["source"] == "stdout" and d["tflog"].get("metrics")]
    parsed_epochs = [d for d in progress if "val_loss" in d["tflog"]["metrics"]]
    assert len(parsed_epochs) == 3, [d["message"] for d in progress]

    if verbose == 1:
        # Keras redraws its bar in place: each state (with its values) is stored
        # as a progress event or, overwritten by a later line in its batch, as
        # its points only.
        query = {
            "bool": {
                "filter": [
                    in_run,
                    {"term": {"scope": "batch"}},
                    {"terms": {"source": ["keras3-progbar", "keras2-progbar"]}},
                ]
            }
        }
        states = {point["_id"].rsplit(":", 1)[0] for point in es.search("metrics", query)}
        events = {
            d["_id"] for d in docs if d["tflog"]["kind"] == "progress" and d["tflog"].get("metrics")
        }
        overwritten = service.status()["counters"]["overwrittenStates"]
        assert states, "no point from the progress bar"
        assert events <= states
        assert len(states) == len(events) + overwritten, (len(states), len(events), overwritten)


def test_failing_cell_ends_the_run_failed(kernel, service, es):
    assert kernel.execute("%load_ext tflog")["status"] == "ok"
    result = kernel.execute("%%tflog broken\nprint('about to fail')\nraise ValueError('boom')")
    assert result["status"] == "error"
    assert result["error"]["ename"] == "ValueError"
    run = find_run(es, "broken")
    assert run["status"] == "failed"
    assert run["error"]["type"] == "ValueError"
    assert run["error"]["message"] == "boom"
