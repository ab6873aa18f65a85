"""Faults while training: the service killed with SIGKILL mid-stream, and
Elasticsearch stopped mid-run. Afterwards every record is stored exactly once."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest
from harness import ROOT, Elasticsearch, Kernel, Service, free_port, wait_for

LINES = 20000


def printing_cell(name: str, lines: int, seconds: float) -> str:
    """A cell that prints numbered lines spread over `seconds`."""
    return (
        f"%%tflog {name}\n"
        "import time\n"
        f"for i in range({lines}):\n"
        "    print(f'line {i} loss={1.0 / (i + 1):.6f}')\n"
        f"    if i % 500 == 499: time.sleep({seconds * 500 / lines:.4f})\n"
    )


def stdout_lines(es: Elasticsearch, run_id: str) -> int:
    es.refresh()
    return es.count(
        "logs",
        {
            "bool": {
                "filter": [
                    {"term": {"tflog.run_id": run_id}},
                    {"term": {"tflog.source": "stdout"}},
                ]
            }
        },
    )


def run_id_of(es: Elasticsearch, name: str) -> str:
    def found():
        es.refresh()
        runs = es.search("runs", {"term": {"name": name}})
        return runs[0]["run_id"] if runs else None

    return wait_for(found, 60, f"run {name!r} in Elasticsearch")


def assert_exactly_once(es: Elasticsearch, run_id: str) -> None:
    wait_for(lambda: stdout_lines(es, run_id) >= LINES, 120, f"{LINES} stdout lines")
    time.sleep(2)  # anything extra (a duplicate) would have arrived by now
    assert stdout_lines(es, run_id) == LINES
    es.refresh()
    query = {
        "bool": {
            "filter": [{"term": {"tflog.run_id": run_id}}, {"term": {"tflog.source": "stdout"}}]
        }
    }
    messages = [d["message"] for d in es.search_all("logs", query)]
    assert len(messages) == LINES
    assert set(messages) == {f"line {i} loss={1.0 / (i + 1):.6f}" for i in range(LINES)}


def kernel_for(service: Service) -> Kernel:
    return Kernel({"TFLOG_SPOOL_DIR": str(service.spool_dir), "JUPYTERHUB_USER": "alice"})


def start_printing_run(
    kernel: Kernel, es: Elasticsearch, name: str, seconds: float, shipped: int
) -> tuple[threading.Thread, dict, str]:
    """Starts the printing cell in the background; returns once `shipped` lines are stored."""
    assert kernel.execute("%load_ext tflog")["status"] == "ok"
    outcome: dict = {}
    cell = threading.Thread(
        target=lambda: outcome.update(kernel.execute(printing_cell(name, LINES, seconds)))
    )
    cell.start()
    run_id = run_id_of(es, name)
    wait_for(lambda: stdout_lines(es, run_id) > shipped, 60, "the first lines to be shipped")
    return cell, outcome, run_id


def test_service_killed_mid_stream_loses_and_duplicates_nothing(service, es):
    kernel = kernel_for(service)
    try:
        cell, outcome, run_id = start_printing_run(kernel, es, "kill-test", 8, shipped=2000)
        service.kill()  # SIGKILL: no chance to flush or save anything
        time.sleep(1)
        service.start()
        cell.join(timeout=300)
        assert outcome.get("status") == "ok", outcome
        assert_exactly_once(es, run_id)
    finally:
        kernel.shutdown()


@pytest.fixture
def private_es(tmp_path):
    """A node of our own, so the test can stop and restart it."""
    data = tmp_path / "es"
    port = free_port()
    start = ["bash", str(ROOT / "scripts" / "es-start.sh"), str(port), str(data)]
    stop = ["bash", str(ROOT / "scripts" / "es-stop.sh"), str(data)]
    subprocess.run(start, check=True, timeout=300)
    yield f"http://127.0.0.1:{port}", start, stop
    subprocess.run(stop, check=False, timeout=120)
    shutil.rmtree(data, ignore_errors=True)


def test_elasticsearch_down_mid_run_loses_and_duplicates_nothing(tmp_path, private_es, prefix):
    url, start_es, stop_es = private_es
    es = Elasticsearch(url, prefix)
    service = Service(tmp_path / "service", url, prefix)
    service.start()
    kernel = kernel_for(service)
    try:
        cell, outcome, run_id = start_printing_run(kernel, es, "es-down", 20, shipped=1000)
        subprocess.run(stop_es, check=True, timeout=120)
        time.sleep(3)
        backlog = service.status()
        subprocess.run(start_es, check=True, timeout=300)
        cell.join(timeout=300)
        assert outcome.get("status") == "ok", outcome
        assert backlog["store"]["healthy"] is False or backlog["lastError"], backlog
        assert_exactly_once(es, run_id)
    finally:
        kernel.shutdown()
        service.stop()
