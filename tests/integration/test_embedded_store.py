"""The embedded store (SQLite) under faults, with no Elasticsearch: the
service SIGKILLed again and again while several runs are shipped, a database
file damaged in its header or in the middle, a database from a newer tflog,
a full disk and the size limit, and a second service reading the store while
it stands by. Afterwards every spooled record is stored exactly once, checked
through the API and in the database file itself (read with Python's sqlite3
once the service has stopped). The full disk needs root (a tmpfs is mounted);
without it that test fails, it never skips.

Sizes scale with environment variables: TFLOG_STORE_TEST_RECORDS (records of
the kill test, default 50,000), TFLOG_STORE_TEST_KILLS (default 8) and
TFLOG_STORE_TEST_SEED (the random moments of the kills; the test prints it).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from harness import Service, http_json, wait_for

RECORDS = int(os.environ.get("TFLOG_STORE_TEST_RECORDS", "50000"))
KILLS = int(os.environ.get("TFLOG_STORE_TEST_KILLS", "8"))
SEED = int(os.environ.get("TFLOG_STORE_TEST_SEED", str(random.randrange(1 << 30))))
DATABASE = "tflog.sqlite"
METRICS = ("loss", "accuracy")
CONTEXT = {"notebook": "store.ipynb", "kernel_id": "k-1", "user": "alice", "host": "h", "pid": 7}


def embedded_service(workdir: Path, **env: str) -> Service:
    """A service on the embedded store (no TFLOG_ES_URLS)."""
    service = Service(workdir, None, "tflog-it-", **env)
    if "TFLOG_STORE_DIR" in env:
        service.store_dir = Path(env["TFLOG_STORE_DIR"])
    return service


class SpoolRun:
    """One run's spool file, written the way the kernel side writes it: a
    start record, log records with a metrics record every fifth, an end
    record. Remembers what it wrote: every record is one event, every
    metrics record one point per metric."""

    def __init__(self, spool_dir: Path, run_id: str) -> None:
        self.path = spool_dir / f"{run_id}.ndjson"
        self.run_id = run_id
        self.seq = 0
        self.steps: list[int] = []
        self.ended = False
        self._append(
            [{"t": "start", "v": 1, "run": run_id, "name": run_id, "tags": {}, "ctx": CONTEXT}]
        )

    @property
    def events(self) -> int:
        return self.seq

    def write(self, count: int) -> None:
        """Appends `count` records in one write, as a busy kernel does."""
        records = []
        for _ in range(count):
            if (self.seq + len(records)) % 5 == 4:
                step = len(self.steps)
                self.steps.append(step)
                records.append(
                    {
                        "t": "metrics",
                        "scope": "batch",
                        "epoch": 0,
                        "batch": step,
                        "step": step,
                        "values": {"loss": 1.0 / (step + 1), "accuracy": step / (step + 1)},
                    }
                )
            else:
                records.append(
                    {
                        "t": "log",
                        "level": "INFO",
                        "logger": "store-test",
                        "msg": f"{self.run_id} record {self.seq + len(records)} of the test",
                    }
                )
        self._append(records)

    def end(self) -> None:
        self._append([{"t": "end", "status": "finished"}])
        self.ended = True

    def _append(self, records: list[dict]) -> None:
        lines = []
        for record in records:
            lines.append(json.dumps(dict(record, seq=self.seq, ts=time.time())))
            self.seq += 1
        with open(self.path, "a") as spool:
            spool.write("\n".join(lines) + "\n")


def spool_runs(spool_dir: Path, prefix: str, runs: int, records: int) -> list[SpoolRun]:
    """`runs` finished runs of about `records` records in all."""
    written = []
    for index in range(runs):
        run = SpoolRun(spool_dir, f"{prefix}-{index}")
        run.write(max(0, records // runs - 2))
        run.end()
        written.append(run)
    return written


# ---------------------------------------------------------------- checks


def api(service: Service, path: str) -> dict:
    return http_json("GET", f"{service.api}{path}", timeout=30)


def logs_total(service: Service, run_id: str) -> int:
    return int(api(service, f"/runs/{run_id}/logs?size=1")["total"])


def stored_everything(service: Service, runs: list[SpoolRun]) -> bool:
    """Every run's events are counted by the API (raises while a run is not
    there yet: its 404 is an HTTPError, an OSError)."""
    return all(logs_total(service, run.run_id) >= run.events for run in runs)


def wait_until_stored(service: Service, runs: list[SpoolRun], timeout: float = 120) -> None:
    wait_for(
        lambda: stored_everything(service, runs),
        timeout,
        f"{sum(run.events for run in runs)} events of {len(runs)} runs\n{service.log_tail()}",
        interval=0.5,
    )
    # Anything extra (a duplicate) would have arrived by now.
    time.sleep(1)


def assert_api_has_exactly(service: Service, runs: list[SpoolRun]) -> None:
    """Through the API: each run once, its events by total, every series with
    one point per step written, and a summary counting each event once."""
    summaries = assert_api_stored_once(service, runs)
    assert_summaries_count_once(summaries, runs)


def assert_api_stored_once(service: Service, runs: list[SpoolRun]) -> dict[str, dict]:
    """Events and points through the API; returns the run summaries."""
    listed = api(service, "/runs?size=1000")["runs"]
    ids = [run["run_id"] for run in listed]
    assert sorted(ids) == sorted(run.run_id for run in runs), ids
    for run in runs:
        assert logs_total(service, run.run_id) == run.events, run.run_id
        body = api(service, f"/runs/{run.run_id}/series?max_points=10000")
        series = {item["name"]: item for item in body["series"]}
        assert sorted(series) == sorted(METRICS), body["series"]
        for name in METRICS:
            assert series[name]["downsampled"] is False, series[name]
            steps = [point["x"] for point in series[name]["points"]]
            assert steps == run.steps, (run.run_id, name, len(steps), len(run.steps))
    return {run["run_id"]: run for run in listed}


def assert_summaries_count_once(summaries: dict[str, dict], runs: list[SpoolRun]) -> None:
    """A replay after a restart folds records into the summary saved with the
    registry's offset: each event is counted once."""
    for run in runs:
        summary = summaries[run.run_id]
        if run.ended:
            assert summary["status"] == "finished", summary
        assert summary["counts"]["events"] == run.events, (
            f"run summary of {run.run_id} counts {summary['counts']['events']} events, "
            f"{run.events} stored"
        )


def open_read_only(store_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{store_dir / DATABASE}?mode=ro", uri=True)


def database_counts(store_dir: Path) -> dict:
    """What the database file holds per run: events (rows, distinct sequence
    numbers, first and last) and points per metric (rows, distinct steps),
    plus the integrity check. Read only; the service must have stopped."""
    with open_read_only(store_dir) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        events = {
            row[0]: row[1:]
            for row in db.execute(
                "SELECT run_id, count(*), count(DISTINCT seq), min(seq), max(seq)"
                " FROM events GROUP BY run_id"
            )
        }
        points = {
            (row[0], row[1]): row[2:]
            for row in db.execute(
                "SELECT s.run_id, s.name, count(*), count(DISTINCT p.step_key), s.points"
                " FROM points p JOIN series s ON s.id = p.series GROUP BY s.id"
            )
        }
    return {"integrity": integrity, "events": events, "points": points}


def expected_counts(runs: list[SpoolRun]) -> dict:
    steps = {run.run_id: len(run.steps) for run in runs}
    return {
        "integrity": [("ok",)],
        "events": {run.run_id: (run.events, run.events, 0, run.events - 1) for run in runs},
        "points": {
            (run.run_id, name): (steps[run.run_id],) * 3 for run in runs for name in METRICS
        },
    }


def assert_database_has_exactly(store_dir: Path, runs: list[SpoolRun]) -> None:
    found = database_counts(store_dir)
    expected = expected_counts(runs)
    assert found == expected, describe_difference(found, expected)


def describe_difference(found: dict, expected: dict) -> str:
    lines = []
    for part in expected:
        if found[part] == expected[part]:
            continue
        if isinstance(expected[part], dict):
            for key in sorted(set(found[part]) | set(expected[part]), key=str):
                have, want = found[part].get(key), expected[part].get(key)
                if have != want:
                    lines.append(f"{part} {key}: stored {have}, spooled {want}")
        else:
            lines.append(f"{part}: stored {found[part]}, spooled {expected[part]}")
    return "\n".join(lines)


def registry(state_dir: Path) -> dict:
    return json.loads((state_dir / "registry.json").read_text())


def stop(service: Service) -> None:
    """SIGTERM, and the service must exit cleanly (0)."""
    process = service.process
    assert process is not None
    service.stop()
    assert process.returncode == 0, service.log_tail()


# ---------------------------------------------------------------- 1. kills


# Run summaries are checked last: a restart must not fold a record into a
# summary twice (the registry keeps the state of its acknowledged offset).
def test_sigkill_in_the_middle_of_batches_stores_every_record_once(tmp_path, capsys):
    rng = random.Random(SEED)
    with capsys.disabled():
        print(f"\n[embedded kills] seed {SEED} (TFLOG_STORE_TEST_SEED)")
    service = embedded_service(tmp_path / "service")
    runs = [SpoolRun(service.spool_dir, f"kills-{index}") for index in range(4)]
    service.start()
    writing_done = threading.Event()
    failure: list[OSError] = []

    def kernel_writes() -> None:
        """Several runs write at once, in bursts, through the kill phase."""
        try:
            per_run = RECORDS // len(runs) - 2
            chunk = 250
            pause = KILLS * 1.0 / max(1, per_run // chunk)
            written = 0
            while written < per_run:
                for run in runs:
                    run.write(min(chunk, per_run - written))
                written += chunk
                time.sleep(pause)
            for run in runs:
                run.end()
        except OSError as error:  # reported by the test below
            failure.append(error)
        finally:
            writing_done.set()

    def shipping() -> bool:
        status = service.status()
        return status["counters"]["documentsStored"] > 0 and status["backlog"]["bytes"] > 0

    writer = threading.Thread(target=kernel_writes, daemon=True)
    writer.start()
    kills = 0
    try:
        for _ in range(KILLS):
            # Killed while this process stores batches and more is waiting:
            # never during its start, never while idle.
            wait_for(shipping, 60, f"the service to ship (seed {SEED})\n{service.log_tail()}", 0.05)
            time.sleep(rng.uniform(0.0, 0.5))
            service.kill()
            kills += 1
            service.start()
        writer.join(timeout=300)
        assert not failure, failure
        assert writing_done.is_set()
        wait_until_stored(service, runs, timeout=180)
        summaries = assert_api_stored_once(service, runs)
        status = service.status()
        assert status["state"] == "running", status
        assert status["counters"]["invalidLines"] == 0, status["counters"]
    finally:
        if service.process is not None:
            stop(service)
    assert kills == KILLS
    assert_database_has_exactly(service.store_dir, runs)
    assert_the_check_catches_a_duplicate_and_a_loss(service.store_dir, runs, tmp_path / "copy")
    with capsys.disabled():
        total = sum(run.events for run in runs)
        print(
            f"\n[embedded kills] {total} records, {kills} SIGKILLs (seed {SEED}): "
            "events and points stored once each"
        )
    assert_summaries_count_once(summaries, runs)


def assert_the_check_catches_a_duplicate_and_a_loss(
    store_dir: Path, runs: list[SpoolRun], scratch: Path
) -> None:
    """The database check above fails on a copy holding one event twice
    (under another id) and missing one point."""
    scratch.mkdir()
    shutil.copy(store_dir / DATABASE, scratch / DATABASE)
    run_id = runs[0].run_id
    with sqlite3.connect(scratch / DATABASE) as db:
        db.execute(
            "INSERT INTO events (doc_id, run_id, seq, part, level, kind, ts_ms, document)"
            " SELECT doc_id || ':again', run_id, seq, part, level, kind, ts_ms, document"
            " FROM events WHERE run_id = ? AND seq = 7",
            (run_id,),
        )
        db.execute(
            "DELETE FROM points WHERE (series, step_key, key) IN"
            " (SELECT series, step_key, key FROM points LIMIT 1)"
        )
    db.close()
    found = database_counts(scratch)
    difference = describe_difference(found, expected_counts(runs))
    assert f"events {run_id}: stored (" in difference, difference
    assert "points (" in difference, difference


# ---------------------------------------------------------------- 2, 3. a bad database file


def ship_and_stop(workdir: Path, name: str) -> tuple[Service, list[SpoolRun], str]:
    """A service ships two finished runs and stops; returns them and the store id."""
    service = embedded_service(workdir)
    runs = spool_runs(service.spool_dir, name, runs=2, records=3000)
    service.start()
    try:
        wait_until_stored(service, runs)
        assert_api_has_exactly(service, runs)
    finally:
        stop(service)
    assert_database_has_exactly(service.store_dir, runs)
    return service, runs, registry(service.state_dir)["store"]


def set_aside_files(store_dir: Path, label: str) -> list[Path]:
    return sorted(store_dir.glob(f"{DATABASE}.{label}-*"))


def assert_set_aside_and_read_again(
    service: Service, runs: list[SpoolRun], label: str, reason: str, old_store: str
) -> Path:
    """The status and the log say the file was moved aside, a fresh database
    made and the spool read again; it was, and holds every record once."""

    def moved_aside() -> tuple[Path, str] | None:
        files = [
            path
            for path in set_aside_files(service.store_dir, label)
            if not path.name.endswith(("-wal", "-shm"))
        ]
        notices = service.status()["store"]["degraded"]
        if len(files) == 1 and any(str(files[0]) in notice for notice in notices):
            return files[0], next(notice for notice in notices if str(files[0]) in notice)
        return None

    aside, notice = wait_for(
        moved_aside,
        30,
        f"the {label} file to be moved aside and the status to say so\n{service.log_tail()}",
    )
    assert len(set_aside_files(service.store_dir, label)) <= 3, os.listdir(service.store_dir)
    assert notice.startswith(f"{service.store_dir / DATABASE} {reason}"), notice
    assert notice.endswith(
        f"moved to {aside}; a fresh database was created and the spool is read again from the start"
    ), notice
    log = service.log_path.read_text()
    assert notice in log, service.log_tail()
    wait_until_stored(service, runs)
    assert "reading the spool again from the start" in service.log_path.read_text()
    assert_api_has_exactly(service, runs)
    status = service.status()
    assert status["state"] == "running", status
    assert status["counters"]["duplicates"] == 0, status["counters"]
    new_store = registry(service.state_dir)["store"]
    assert new_store != old_store
    stop(service)
    assert_database_has_exactly(service.store_dir, runs)
    return aside


def test_a_database_with_a_damaged_header_is_set_aside_and_the_spool_read_again(tmp_path):
    service, runs, old_store = ship_and_stop(tmp_path / "service", "header")
    database = service.store_dir / DATABASE
    garbage = bytes(random.Random(3).randrange(256) for _ in range(100))
    with open(database, "r+b") as file:
        file.write(garbage)
    damaged = database.read_bytes()
    service.start()
    aside = assert_set_aside_and_read_again(service, runs, "damaged", "is damaged", old_store)
    assert aside.read_bytes() == damaged


def damage_pages_of(database: Path, index: str) -> list[int]:
    """Overwrites the leaf pages of one of the database's indices (spread
    through the middle of the file) with garbage; returns their numbers."""
    with open_read_only(database.parent) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = [
            row[0]
            for row in db.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (index,)
            )
        ]
    db.close()
    noise = random.Random(11)
    with open(database, "r+b") as file:
        for page in pages:
            file.seek((page - 1) * page_size)
            file.write(bytes(noise.randrange(256) for _ in range(page_size)))
    return pages


def test_a_database_damaged_in_the_middle_is_set_aside_once_a_write_finds_it(tmp_path):
    """SQLite does not notice damage in the middle of the file when it opens
    it: the service starts on it, and the first write that meets a damaged
    page fails, is retried, and marks the file; the next start sets it aside."""
    service, runs, old_store = ship_and_stop(tmp_path / "service", "middle")
    database = service.store_dir / DATABASE
    pages = damage_pages_of(database, "sqlite_autoindex_events_1")
    size = database.stat().st_size // 4096
    assert len(pages) > 3 and min(pages) > 11 and max(pages) < size, (pages, size)
    service.start()
    more = SpoolRun(service.spool_dir, "middle-more")
    more.write(500)
    more.end()

    def write_failed() -> dict | None:
        status = service.status()
        error = (status.get("lastError") or {}).get("message", "")
        damaged = status["state"] == "retrying" and "the database file is damaged" in error
        return status if damaged else None

    status = wait_for(write_failed, 30, f"a write to meet the damage\n{service.log_tail()}")
    assert "the database file is damaged" in status["store"]["error"], status["store"]
    assert (service.store_dir / f"{DATABASE}.damaged").exists()
    assert "it will be set aside when the service restarts" in service.log_path.read_text()
    stop(service)
    service.start()
    assert_set_aside_and_read_again(
        service, runs + [more], "damaged", "was found damaged while in use (", old_store
    )
    assert not (service.store_dir / f"{DATABASE}.damaged").exists()


def test_a_database_from_a_newer_tflog_is_kept_aside_unchanged(tmp_path):
    service, runs, old_store = ship_and_stop(tmp_path / "service", "newer")
    database = service.store_dir / DATABASE
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA user_version = 99")
    # Into the database file itself, so that it alone is compared below.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    assert Path(f"{database}-wal").stat().st_size == 0
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    service.start()
    aside = assert_set_aside_and_read_again(
        service,
        runs,
        "newer",
        "was written by a newer tflog (schema 99; this one reads up to 1)",
        old_store,
    )
    assert hashlib.sha256(aside.read_bytes()).hexdigest() == before
    with sqlite3.connect(f"file:{aside}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (99,)
        assert db.execute("SELECT count(*) FROM events").fetchone() == (
            sum(run.events for run in runs),
        )
    db.close()


# ---------------------------------------------------------------- 4. a full disk


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs of our own; fails loudly where tmpfs cannot be mounted
    (as the full spool disk test of test_faults.py does)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
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


FULL = "the disk (or the database size limit) is full"


def wait_until_full(service: Service) -> dict:
    def full() -> dict | None:
        status = service.status()
        error = (status.get("lastError") or {}).get("message", "")
        return status if status["state"] == "retrying" and FULL in error else None

    return wait_for(full, 60, f"the service to report a full store\n{service.log_tail()}")


def assert_acknowledged_is_stored(service: Service, runs: list[SpoolRun]) -> int:
    """Every record before a file's registry offset is in the database; at
    least one is not acknowledged yet. Returns the records acknowledged."""
    # No registry yet is nothing acknowledged: with two batches stored at
    # once, the store can report itself full before the first is saved.
    saved = (service.state_dir / "registry.json").exists()
    files = registry(service.state_dir)["files"] if saved else {}
    acknowledged = {run.run_id: files.get(run.path.name, {}).get("line", 0) for run in runs}
    assert sum(acknowledged.values()) < sum(run.events for run in runs), acknowledged
    with open_read_only(service.store_dir) as db:
        for run_id, lines in acknowledged.items():
            stored = db.execute(
                "SELECT count(*) FROM events WHERE run_id = ? AND seq < ?", (run_id, lines)
            ).fetchone()[0]
            assert stored == lines, (run_id, stored, lines)
    db.close()
    return sum(acknowledged.values())


def test_a_full_disk_is_retried_and_nothing_unstored_is_acknowledged(tmp_path, small_disk):
    store_dir = small_disk / "store"
    service = embedded_service(tmp_path / "service", TFLOG_STORE_DIR=str(store_dir))
    runs = spool_runs(service.spool_dir, "disk-full", runs=3, records=9000)
    service.start()
    try:
        status = wait_until_full(service)
        assert status["backlog"]["bytes"] > 0, status
        assert FULL in status["store"]["error"], status["store"]
        assert_acknowledged_is_stored(service, runs)
        time.sleep(2)
        assert service.status()["state"] == "retrying"
        grown = subprocess.run(
            ["mount", "-o", "remount,size=64m", str(small_disk)], capture_output=True, text=True
        )
        assert grown.returncode == 0, grown.stderr
        wait_until_stored(service, runs, timeout=90)
        assert_api_has_exactly(service, runs)
        assert service.status()["state"] == "running"
    finally:
        if service.process is not None:
            stop(service)
    assert_database_has_exactly(store_dir, runs)


def test_the_size_limit_is_retried_and_lifting_it_stores_everything_once(tmp_path):
    workdir = tmp_path / "service"
    limited = embedded_service(workdir, TFLOG_STORE_MAX_MB="1")
    runs = spool_runs(limited.spool_dir, "size-limit", runs=2, records=4000)
    limited.start()
    try:
        status = wait_until_full(limited)
        assert "database size limit" in status["lastError"]["message"], status
        assert_acknowledged_is_stored(limited, runs)
    finally:
        stop(limited)
    assert (limited.store_dir / DATABASE).stat().st_size <= 1024 * 1024
    unlimited = embedded_service(workdir)
    unlimited.start()
    try:
        wait_until_stored(unlimited, runs)
        assert_api_has_exactly(unlimited, runs)
    finally:
        stop(unlimited)
    assert_database_has_exactly(unlimited.store_dir, runs)


# ---------------------------------------------------------------- 5. a standby reader


def answers(service: Service, runs: list[SpoolRun]) -> dict:
    """What a panel reads: the runs, and each run's logs and series."""
    result = {"runs": api(service, "/runs?size=1000")}
    for run in runs:
        result[run.run_id] = {
            "logs": api(service, f"/runs/{run.run_id}/logs?size=1000&order=desc"),
            "series": api(service, f"/runs/{run.run_id}/series?max_points=10000"),
        }
    return result


def started(service: Service) -> dict | None:
    """The status once the service is past `starting`."""
    status = service.status()
    return status if status["state"] != "starting" else None


def test_a_standby_service_reads_the_store_and_takes_over_when_the_shipper_dies(tmp_path):
    shipping = embedded_service(tmp_path / "first")
    shared = {
        "TFLOG_SPOOL_DIR": str(shipping.spool_dir),
        "TFLOG_STATE_DIR": str(shipping.state_dir),
        "TFLOG_STORE_DIR": str(shipping.store_dir),
    }
    standby = embedded_service(tmp_path / "second", **shared)
    first = spool_runs(shipping.spool_dir, "before", runs=2, records=2000)
    shipping.start()
    try:
        wait_until_stored(shipping, first)
        standby.start()
        status = wait_for(lambda: started(standby), 30, "the second service to start")
        assert status["state"] == "standby", status
        assert str(shipping.process.pid) in status["standby"]["message"], status["standby"]
        assert answers(standby, first) == answers(shipping, first)

        # A run spooled while both run: the standby sees it within seconds.
        during = SpoolRun(shipping.spool_dir, "during")
        during.write(1500)
        wait_for(
            lambda: logs_total(standby, during.run_id) == during.events,
            10,
            "the standby to see the new run",
        )
        wait_until_stored(shipping, [during])
        assert answers(standby, first + [during]) == answers(shipping, first + [during])
        assert standby.status()["state"] == "standby"

        # The shipper dies; what is spooled next is shipped by the standby.
        during.write(1500)
        shipping.kill()
        during.write(1000)
        during.end()
        after = spool_runs(shipping.spool_dir, "after", runs=1, records=1500)
        wait_for(
            lambda: standby.status()["state"] == "running",
            30,
            f"the standby to take the lock over\n{standby.log_tail()}",
        )
        assert "took over the shipper lock" in standby.log_path.read_text()
        everything = first + [during] + after
        wait_until_stored(standby, everything)
        assert_api_has_exactly(standby, everything)
    finally:
        if shipping.process is not None:
            shipping.kill()
        if standby.process is not None:
            stop(standby)
    assert_database_has_exactly(shipping.store_dir, everything)
