"""A real Keras fit that goes NaN raises exactly one NaN alert, at the step of
its first NaN: stored with the run (on Elasticsearch and on the embedded
store), announced on the event stream, and posted to a webhook on localhost."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from harness import EventListener, Kernel, Service, http_json, wait_for

NOTEBOOK = "experiments/nan/train.ipynb"

NAN_CELL = """%%tflog nan-demo
import numpy as np
import keras

rng = np.random.RandomState(0)
x = rng.rand(512, 8).astype('float32')
y = (x.sum(axis=1) > 4).astype('float32')
model = keras.Sequential([
    keras.Input((8,)),
    keras.layers.Dense(16, activation='relu'),
    keras.layers.Dense(1),
])
# A learning rate this large overflows the weights within a few batches.
model.compile(optimizer=keras.optimizers.SGD(1e12), loss='mse')
model.fit(x, y, epochs=3, batch_size=32, verbose=2)
"""


class Receiver:
    """A webhook receiver on localhost that keeps every JSON body posted."""

    def __init__(self) -> None:
        bodies: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture(params=["elasticsearch", "embedded"])
def alert_service(request, tmp_path: Path, es_url: str, prefix: str, es, receiver: Receiver):
    svc = Service(
        tmp_path / "service",
        es_url if request.param == "elasticsearch" else None,
        prefix,
        TFLOG_ALERT_WEBHOOK_URL=receiver.url,
    )
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def kernel(alert_service: Service):
    k = Kernel(
        {
            "TFLOG_SPOOL_DIR": str(alert_service.spool_dir),
            "JPY_SESSION_NAME": NOTEBOOK,
            "JUPYTERHUB_USER": "alice",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    yield k
    k.shutdown()


def first_nan_step(api: str, run_id: str) -> int:
    """The lowest step at which any stored value of the run is not finite."""
    query = urllib.parse.urlencode({"axis": "step", "max_points": 10000})
    answer = http_json("GET", f"{api}/runs/{run_id}/series?{query}")
    steps = [
        point["x"]
        for series in answer["series"]
        for point in series["points"]
        if point.get("nonfinite") is not None
    ]
    assert steps, f"run {run_id} stored no NaN value: {answer}"
    return int(min(steps))


def test_a_nan_fit_raises_one_alert_everywhere(alert_service, kernel, receiver):
    api = alert_service.api
    events = EventListener(api)
    try:
        assert events.ready.wait(30), "the event stream never sent ready"
        assert kernel.execute("%load_ext tflog")["status"] == "ok"
        result = kernel.execute(NAN_CELL)
        assert result["status"] == "ok", result
        assert "nan" in result["stdout"].lower(), result["stdout"][-2000:]

        def finished_run():
            runs = http_json("GET", f"{api}/runs?size=10")["runs"]
            done = [run for run in runs if run["name"] == "nan-demo" and run["status"] != "running"]
            return done[0] if done else None

        run = wait_for(finished_run, 60, "the nan-demo run to be stored as ended")

        def stored_alerts():
            query = urllib.parse.urlencode({"kind": "alert", "size": 100})
            lines = http_json("GET", f"{api}/runs/{run['run_id']}/logs?{query}")["lines"]
            return lines or None

        lines = wait_for(stored_alerts, 30, "the alert stored with the run")
        nan_lines = [line for line in lines if line["tflog"]["alert"]["rule"] == "nonfinite"]
        assert len(nan_lines) == 1, lines
        stored = nan_lines[0]
        step = first_nan_step(api, run["run_id"])
        assert stored["tflog"]["step"] == step
        assert stored["log"]["level"] == "error"
        assert stored["tflog"]["notebook"] == NOTEBOOK

        wait_for(lambda: receiver.bodies or None, 60, "the webhook post")
        posted = [body["alert"] for body in receiver.bodies if body["alert"]["rule"] == "nonfinite"]
        assert len(posted) == 1, receiver.bodies
        assert posted[0]["alert_id"] == stored["_id"]
        assert posted[0]["step"] == step
        assert posted[0]["run_id"] == run["run_id"]
        assert posted[0]["notebook"] == NOTEBOOK

        announced = [alert for alert in events.alerts if alert["rule"] == "nonfinite"]
        assert [alert["alert_id"] for alert in announced] == [stored["_id"]]
        assert alert_service.status()["state"] == "running"
    finally:
        events.close()


def test_a_dead_webhook_loses_no_alert_and_holds_up_no_shipping(
    tmp_path: Path, es_url: str, prefix: str
):
    """The webhook's address refuses connections: the alert is still stored and
    every record of the run is shipped."""
    refused = Receiver()
    url = refused.url
    refused.close()
    svc = Service(tmp_path / "service", None, prefix, TFLOG_ALERT_WEBHOOK_URL=url)
    svc.start()
    try:
        spool = svc.spool_dir / "20261201T100000Z-deadhook.ndjson"
        # Now: only a live record's alert is sent (a replayed one is only stored).
        now = time.time()
        records = (
            [
                {
                    "t": "start",
                    "seq": 0,
                    "ts": now,
                    "v": 1,
                    "run": "20261201T100000Z-deadhook",
                    "name": "dead-hook",
                    "tags": {},
                    "ctx": {
                        "notebook": NOTEBOOK,
                        "kernel_id": None,
                        "user": "alice",
                        "host": "h",
                        "pid": 1,
                    },
                },
                {
                    "t": "metrics",
                    "seq": 1,
                    "ts": now + 1,
                    "scope": "batch",
                    "epoch": 0,
                    "step": 1,
                    "values": {"loss": 0.5},
                },
                {
                    "t": "metrics",
                    "seq": 2,
                    "ts": now + 2,
                    "scope": "batch",
                    "epoch": 0,
                    "step": 2,
                    "values": {"loss": "NaN"},
                },
            ]
            + [
                {
                    "t": "stream",
                    "seq": 3 + i,
                    "ts": now + 3,
                    "stream": "stdout",
                    "text": f"line {i}\n",
                }
                for i in range(200)
            ]
            + [{"t": "end", "seq": 203, "ts": now + 4, "status": "finished"}]
        )
        spool.write_text("".join(json.dumps(record) + "\n" for record in records))
        run_id = "20261201T100000Z-deadhook"

        def ended():
            run = http_json("GET", f"{svc.api}/runs/{run_id}")
            return run if run["status"] == "finished" else None

        wait_for(ended, 30, "the run stored as finished")
        query = urllib.parse.urlencode({"kind": "alert"})
        lines = http_json("GET", f"{svc.api}/runs/{run_id}/logs?{query}")["lines"]
        assert [line["tflog"]["alert"]["rule"] for line in lines] == ["nonfinite"]
        assert lines[0]["tflog"]["step"] == 2
        logs = http_json("GET", f"{svc.api}/runs/{run_id}/logs?size=1000")
        texts = {line["message"] for line in logs["lines"]}
        assert {f"line {i}" for i in range(200)} <= texts
        assert svc.status()["backlog"]["files"] == 0
        log = svc.log_tail(200)
        assert "alert (nonfinite)" in log, log
    finally:
        svc.stop()


def spooled_run(svc: Service, name: str, body: list[dict], end: bool = True) -> str:
    """Writes a run of records (seq and ts filled in, written now) to the
    service's spool; returns its run id."""
    run_id = f"20261203T000000Z-{name}"
    now = time.time()
    records = [
        {
            "t": "start",
            "v": 1,
            "run": run_id,
            "name": name,
            "tags": {},
            "ctx": {
                "notebook": NOTEBOOK,
                "kernel_id": None,
                "user": "alice",
                "host": "h",
                "pid": 1,
            },
        },
        *body,
    ]
    if end:
        records.append({"t": "end", "status": "finished"})
    lines = [
        json.dumps({**record, "seq": seq, "ts": now + seq * 0.01})
        for seq, record in enumerate(records)
    ]
    (svc.spool_dir / f"{run_id}.ndjson").write_text("".join(line + "\n" for line in lines))
    return run_id


def stored_alerts(svc: Service, run_id: str, timeout: float = 30) -> list[dict]:
    def found():
        query = urllib.parse.urlencode({"kind": "alert"})
        return http_json("GET", f"{svc.api}/runs/{run_id}/logs?{query}")["lines"] or None

    return wait_for(found, timeout, f"an alert stored for {run_id}")


@pytest.fixture
def tuned_service(tmp_path: Path, prefix: str):
    """An embedded-store service whose rules fire on short, made-up runs."""
    thresholds = {
        "divergence": {"factor": 3, "window": 10, "min_points": 5},
        "plateau": {"epochs": 3},
        "burst": {"records": 5, "seconds": 60},
        "stall": {"minutes": 0.05},
    }
    svc = Service(tmp_path / "service", None, prefix, TFLOG_ALERTS=json.dumps(thresholds))
    svc.start()
    yield svc
    svc.stop()


def test_a_diverging_loss_raises_one_divergence_alert(tuned_service):
    losses = [1.0, 0.8, 0.6, 0.5, 0.45, 0.5, 0.9, 1.6, 3.0, 9.0]
    body = [
        {"t": "metrics", "scope": "batch", "epoch": 0, "step": step, "values": {"loss": loss}}
        for step, loss in enumerate(losses, 1)
    ]
    run_id = spooled_run(tuned_service, "diverging", body)
    [alert] = stored_alerts(tuned_service, run_id)
    assert alert["tflog"]["alert"] == {"rule": "divergence", "metric": "loss"}
    # 1.6 is the first value over 3 x the recent low of 0.45.
    assert alert["tflog"]["step"] == 8


def test_a_flat_validation_loss_raises_one_plateau_alert(tuned_service):
    val_losses = [1.0, 0.7, 0.6, 0.61, 0.6, 0.62, 0.6]
    body = [
        {
            "t": "metrics",
            "scope": "epoch",
            "epoch": epoch,
            "step": (epoch + 1) * 10,
            "values": {"loss": 0.5, "val_loss": value},
        }
        for epoch, value in enumerate(val_losses)
    ]
    run_id = spooled_run(tuned_service, "flat", body)
    [alert] = stored_alerts(tuned_service, run_id)
    assert alert["tflog"]["alert"] == {"rule": "plateau", "metric": "val_loss"}
    # Best 0.6 at Keras's epoch 2; epochs 3, 4 and 5 bring nothing better.
    # Stored epochs count from 1, as Keras prints them: 5 is 6.
    assert alert["tflog"]["epoch"] == 6


def test_a_burst_of_errors_raises_one_burst_alert(tuned_service):
    body = [
        {"t": "log", "level": "ERROR", "logger": "train", "msg": f"batch {i} could not be read"}
        for i in range(8)
    ]
    run_id = spooled_run(tuned_service, "bursting", body)
    [alert] = stored_alerts(tuned_service, run_id)
    assert alert["tflog"]["alert"]["rule"] == "burst"
    assert alert["log"]["level"] == "warning"


def test_a_run_that_falls_silent_raises_one_stall_alert(tuned_service):
    """3 s without a record while the run is still running (no end record)."""
    body = [{"t": "metrics", "scope": "batch", "epoch": 0, "step": 1, "values": {"loss": 0.5}}]
    run_id = spooled_run(tuned_service, "silent", body, end=False)
    quiet = spooled_run(tuned_service, "ended", body, end=True)
    [alert] = stored_alerts(tuned_service, run_id, timeout=30)
    assert alert["tflog"]["alert"]["rule"] == "stall"
    assert alert["tflog"]["step"] == 1
    # A run that ended is not stalled.
    query = urllib.parse.urlencode({"kind": "alert"})
    assert http_json("GET", f"{tuned_service.api}/runs/{quiet}/logs?{query}")["lines"] == []
