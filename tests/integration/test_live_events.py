"""What the panel's live chart relies on: a series read right after a `run`
event already holds every point of the records up to the event's `last_seq`,
on Elasticsearch (served from the service's copy of the batches it just
sealed, before the node has them) and on the embedded store (told once a
batch is stored)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from harness import EventListener, Service, http_json, wait_for

STEPS = 40
RUN_ID = "20261206T000000Z-live-events"


@pytest.fixture(params=["elasticsearch", "embedded"])
def live_service(request, tmp_path: Path, es_url: str, prefix: str, es):
    svc = Service(
        tmp_path / "service",
        es_url if request.param == "elasticsearch" else None,
        prefix,
    )
    svc.start()
    yield svc
    svc.stop()


def write_run(spool_file: Path, stop: threading.Event) -> None:
    """A run's start, one batch metric per 50 ms (step = seq), then its end."""
    records = [
        {
            "t": "start",
            "v": 1,
            "run": RUN_ID,
            "name": "live-events",
            "tags": {},
            "ctx": {
                "notebook": "live/events.ipynb",
                "kernel_id": None,
                "user": "alice",
                "host": "h",
                "pid": 1,
            },
        },
        *(
            {
                "t": "metrics",
                "scope": "batch",
                "epoch": 0,
                "batch": step,
                "step": step,
                "values": {"loss": 1.0 / step},
            }
            for step in range(1, STEPS + 1)
        ),
        {"t": "end", "status": "finished"},
    ]
    with open(spool_file, "a", encoding="utf-8") as spool:
        for seq, record in enumerate(records):
            if stop.is_set():
                return
            spool.write(json.dumps({**record, "seq": seq, "ts": time.time()}) + "\n")
            spool.flush()
            time.sleep(0.05)


def test_a_series_read_right_after_a_run_event_has_that_batch(live_service: Service):
    reads: list[tuple[int, str, set[int]]] = []

    def read_series(event: dict) -> None:
        if event["run_id"] != RUN_ID:
            return
        query = urllib.parse.urlencode({"names": "loss", "axis": "step", "max_points": 10000})
        series = http_json("GET", f"{live_service.api}/runs/{RUN_ID}/series?{query}")["series"]
        steps = {int(point["x"]) for line in series for point in line["points"]}
        reads.append((event["last_seq"], event["status"], steps))

    events = EventListener(live_service.api, on_run=read_series)
    stop = threading.Event()
    writer = threading.Thread(
        target=write_run, args=(live_service.spool_dir / f"{RUN_ID}.ndjson", stop), daemon=True
    )
    try:
        assert events.ready.wait(10), "no ready event on the event stream"
        writer.start()
        wait_for(
            lambda: any(status == "finished" for _, status, _ in reads),
            60,
            f"the run's end on the event stream\n{live_service.log_tail()}",
        )
    finally:
        stop.set()
        writer.join(10)
        events.close()
    # Several batches, not one read at the end.
    assert len(reads) >= 5, reads
    for last_seq, _, steps in reads:
        expected = set(range(1, min(last_seq, STEPS) + 1))
        assert expected <= steps, (
            f"read right after the event with last_seq {last_seq} lacks steps "
            f"{sorted(expected - steps)}"
        )
    assert reads[-1][2] == set(range(1, STEPS + 1))
