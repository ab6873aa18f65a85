"""Faults while training. One long run lives through the service being
SIGKILLed again and again, Elasticsearch stopped for a long while, and a write
block set on its indices and lifted; a kernel is SIGKILLed mid-write; the
spool's disk fills up. Afterwards every record written before each fault is
stored exactly once, and each test prints
`records written / stored / lost / duplicated`.

The durations scale with environment variables, so `bench/fault_soak.py`
runs the same suite for longer: TFLOG_FAULT_LINES (default 100,000 lines),
TFLOG_FAULT_RUN_SECONDS (how long the run prints, default 90) and
TFLOG_FAULT_ES_DOWN_SECONDS (default 45). With TFLOG_FAULT_RESULTS set, the
figures are also written to that JSON file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from harness import ROOT, Elasticsearch, Service, free_port, http_json, wait_for
from runs import (
    assert_exactly_once,
    assert_stored_once,
    expected_lines,
    kernel_for,
    printing_cell,
    run_id_of,
    start_cell,
    stdout_lines,
)

LINES = int(os.environ.get("TFLOG_FAULT_LINES", "100000"))
RUN_SECONDS = float(os.environ.get("TFLOG_FAULT_RUN_SECONDS", "90"))
ES_DOWN_SECONDS = float(os.environ.get("TFLOG_FAULT_ES_DOWN_SECONDS", "45"))


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


def set_write_block(es: Elasticsearch, blocked: bool) -> None:
    for kind in ("logs", "metrics"):
        http_json(
            "PUT",
            f"{es.url}/{es.prefix}{kind}-*/_settings?allow_no_indices=true",
            {"index.blocks.write": blocked},
        )


def test_a_long_run_lives_through_kills_an_outage_and_a_write_block(
    tmp_path, private_es, prefix, capsys
):
    url, start_es, stop_es = private_es
    es = Elasticsearch(url, prefix)
    service = Service(tmp_path / "service", url, prefix)
    service.start()
    kernel = kernel_for(service.spool_dir)
    try:
        cell, outcome = start_cell(kernel, printing_cell("faults", LINES, RUN_SECONDS))
        run_id = run_id_of(es, "faults")
        wait_for(lambda: stdout_lines(es, run_id) > 1000, 120, "the first lines to be stored")

        # The service SIGKILLed three times: no chance to flush or save anything.
        for _ in range(3):
            shipped = stdout_lines(es, run_id)
            service.kill()
            time.sleep(1)
            service.start()
            wait_for(
                lambda before=shipped: stdout_lines(es, run_id) > before, 120, "shipping to resume"
            )

        # Elasticsearch stopped for a long while; the service is killed during it too.
        subprocess.run(stop_es, check=True, timeout=120)
        outage_ends = time.monotonic() + ES_DOWN_SECONDS
        # A bulk request in flight as the node stops may get no answer: the
        # service sees the outage after its request time limit (30 s) and
        # one retry.
        wait_for(
            lambda: service.status()["state"] == "retrying",
            120,
            "the service to report the outage",
            explain=lambda: f"status {service.status()}\n{service.log_tail()}",
        )
        service.kill()
        service.start()
        time.sleep(max(0.0, outage_ends - time.monotonic()))
        status = service.status()
        assert status["store"]["healthy"] is False or status["lastError"], status
        subprocess.run(start_es, check=True, timeout=300)

        # A write block on the run's indices, lifted later.
        shipped = wait_for(lambda: stdout_lines(es, run_id), 120, "shipping after the outage")
        set_write_block(es, True)
        wait_for(
            lambda: "cluster_block_exception" in str(service.status().get("lastError")),
            120,
            "the service to wait out the write block",
        )
        assert service.status()["counters"]["rejected"] == 0
        set_write_block(es, False)

        cell.join(timeout=RUN_SECONDS * 4 + 600)
        assert outcome.get("status") == "ok", outcome
        assert_exactly_once(es, run_id, expected_lines(LINES), capsys, "faults")
        assert service.status()["counters"]["rejected"] == 0
        assert shipped > 0
    finally:
        kernel.shutdown()
        service.stop()


def flood_cell(name: str, lines: int, after: str = "") -> str:
    """A cell that logs numbered records on a logger of its own (no echo)."""
    return (
        f"%%tflog {name}\n"
        "import logging, time\n"
        "log = logging.getLogger('flood')\n"
        "log.propagate = False\n"
        "log.addHandler(logging.NullHandler())\n"
        "log.setLevel(logging.INFO)\n"
        f"for i in range({lines}):\n"
        "    log.info('rec %d', i)\n"
        "    if i % 1000 == 999: time.sleep(0.005)\n"
        f"{after}"
    )


def spool_file(spool_dir: Path) -> Path:
    files = wait_for(lambda: list(spool_dir.glob("*.ndjson")), 60, "the run's spool file")
    assert len(files) == 1, files
    return files[0]


def complete_records(path: Path) -> list[dict]:
    """The spool's complete lines as records; a torn last line is not one."""
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


def flood_query(run_id: str) -> dict:
    return {
        "bool": {
            "filter": [
                {"term": {"tflog.run_id": run_id}},
                {"term": {"log.logger": "flood"}},
            ]
        }
    }


def assert_flood_stored_once(
    es: Elasticsearch, run_id: str, written: set[str], capsys, test: str
) -> None:
    assert_stored_once(es, flood_query(run_id), written, capsys, test)


def test_kernel_killed_mid_write_leaves_a_spool_that_ships_whole(service, es, capsys):
    kernel = kernel_for(service.spool_dir)
    pid = kernel.pid
    try:
        start_cell(kernel, flood_cell("kernel-kill", 10**9))
        path = spool_file(service.spool_dir)
        wait_for(lambda: path.stat().st_size > 4 * 1024 * 1024, 120, "4 MB in the spool")
        os.kill(pid, signal.SIGKILL)
        # The cell never answers (its kernel is dead): wait for the process.
        wait_for(lambda: not kernel.manager.is_alive(), 60, "the killed kernel to be gone")
        # Whatever the kill left, also a record torn in the middle of its write.
        with path.open("ab") as spool:
            spool.write(b'{"t":"log","seq":999999999,"ts":1.0,"level":"INF')
        written = {
            record["msg"]
            for record in complete_records(path)
            if record.get("t") == "log" and record.get("logger") == "flood"
        }
        assert len(written) > 10000, len(written)
        assert_flood_stored_once(es, path.stem, written, capsys, "kernel_killed")
        status = service.status()
        assert status["counters"]["invalidLines"] == 0, status
        assert status["state"] == "running", status
    finally:
        kernel.shutdown()


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MiB tmpfs of our own; fails loudly where tmpfs cannot be mounted."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(
            f"cannot mount a tmpfs to fill (needs root): {mounted.stderr.strip()}",
            pytrace=False,
        )
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_disk(mount_point: Path, leave_bytes: int) -> Path:
    filler = mount_point / "filler"
    stats = os.statvfs(mount_point)
    free = stats.f_bavail * stats.f_frsize
    with filler.open("wb") as out:
        remaining = free - leave_bytes
        block = b"\0" * (1024 * 1024)
        while remaining > 0:
            remaining -= out.write(block[: min(len(block), remaining)])
    return filler


# Prints the marker that frees the disk, then waits until the run's spool
# writer has written what it holds (the test's own wait, not a user's).
WAIT_FOR_THE_SPOOL_AFTER_MARKER = (
    "print('ALL-LOGGED', flush=True)\n"
    "from tflog.kernel import state\n"
    "assert state.active_run.writer.drain(120), 'the spool writer did not catch up'\n"
)


def test_full_spool_disk_keeps_training_and_counts_what_was_lost(
    tmp_path, small_disk, es_url, prefix, es, capsys
):
    spool_dir = small_disk / "spool"
    spool_dir.mkdir()
    service = Service(tmp_path / "service", es_url, prefix, TFLOG_SPOOL_DIR=str(spool_dir))
    service.start()
    kernel = kernel_for(spool_dir)
    records = 230_000  # more than the kernel's queue holds (200,000)
    filler = fill_disk(small_disk, leave_bytes=256 * 1024)
    freed = threading.Event()

    def free_space_once_all_logged(name: str, text: str) -> None:
        if "ALL-LOGGED" in text and not freed.is_set():
            filler.unlink()
            freed.set()

    try:
        assert kernel.execute("%load_ext tflog")["status"] == "ok"
        outcome = kernel.execute(
            flood_cell("disk-full", records, WAIT_FOR_THE_SPOOL_AFTER_MARKER),
            timeout=600,
            on_stream=free_space_once_all_logged,
        )
        # Training went on, and the user was told what was lost.
        assert outcome["status"] == "ok", outcome
        assert freed.is_set()
        assert "records could not be spooled" in outcome["stdout"] + outcome["stderr"], outcome
        path = spool_file(spool_dir)
        spooled = complete_records(path)
        written = {
            record["msg"]
            for record in spooled
            if record.get("t") == "log" and record.get("logger") == "flood"
        }
        dropped = sum(record.get("dropped", 0) for record in spooled if record.get("t") == "loss")
        # Every flood record was spooled or counted; the two stream items of
        # the marker print may have been dropped too (the queue was full).
        unspooled = records - len(written)
        assert unspooled > 0 and unspooled <= dropped <= unspooled + 2, (len(written), dropped)
        assert_flood_stored_once(es, path.stem, written, capsys, "disk_full")
        # The loss itself is stored and searchable.
        es.refresh()
        losses = es.search(
            "logs",
            {
                "bool": {
                    "filter": [
                        {"term": {"tflog.run_id": path.stem}},
                        {"term": {"tflog.kind": "loss"}},
                    ]
                }
            },
        )
        assert losses and f"could not spool {dropped} records" in losses[0]["message"], losses
    finally:
        kernel.shutdown()
        service.stop()
