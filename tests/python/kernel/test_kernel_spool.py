import errno
import os
import stat
import threading
import time

import pytest
from conftest import read_spool

from tflog.kernel.diagnostics import DIAGNOSTICS, Diagnostics
from tflog.kernel.spool import KIND_LOG, FileSink, SpoolWriter

START = {"t": "start", "ts": 1.0, "v": 1, "run": "r1", "name": None, "tags": {}, "ctx": {}}


class Collect:
    """A stand-in for the real stderr that remembers the warnings."""

    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        return None


def quiet_diagnostics():
    sink = Collect()
    return Diagnostics(stderr=lambda: sink), sink


def writer(path, **options):
    diagnostics, warnings = quiet_diagnostics()
    options.setdefault("wake_seconds", 0.01)
    return SpoolWriter(str(path), dict(START), diagnostics=diagnostics, **options), warnings


def log_item(message, level="INFO"):
    return (KIND_LOG, time.time(), level, "train", message, None, "t.py", 3, "f", "MainThread")


def test_records_are_numbered_from_zero_and_end_with_end(tmp_path):
    path = tmp_path / "run.ndjson"
    spool, _ = writer(path)
    spool.put(log_item("one"))
    spool.stream("stdout", "hello\n")
    spool.metrics("epoch", {"loss": 0.5}, epoch=0, step=8)
    spool.hparams({"optimizer": "Adam", "learning_rate": 0.001})
    spool.context("renamed.ipynb", "k1")
    stats = spool.close("finished")
    records = read_spool(path)
    assert [r["seq"] for r in records] == list(range(len(records)))
    assert [r["t"] for r in records] == [
        "start",
        "log",
        "stream",
        "metrics",
        "hparams",
        "context",
        "end",
    ]
    assert records[0] == {**START, "seq": 0}
    assert records[1]["msg"] == "one" and records[1]["level"] == "INFO"
    assert records[2] == {
        "t": "stream",
        "seq": 2,
        "ts": records[2]["ts"],
        "stream": "stdout",
        "text": "hello\n",
    }
    assert records[3]["values"] == {"loss": 0.5} and records[3]["step"] == 8
    assert records[4]["values"] == {"optimizer": "Adam", "learning_rate": 0.001}
    assert records[5]["notebook"] == "renamed.ipynb" and records[5]["kernel_id"] == "k1"
    assert records[6]["status"] == "finished" and records[6]["error"] is None
    assert stats.written == 7 and stats.dropped == 0 and stats.finished


def test_non_finite_metrics_are_spelt_out(tmp_path):
    path = tmp_path / "run.ndjson"
    spool, _ = writer(path)
    spool.metrics(
        "batch",
        {"loss": float("nan"), "up": float("inf"), "down": float("-inf"), "vec": [1, 2]},
        epoch=0,
        batch=3,
        step=4,
    )
    spool.close("finished")
    values = read_spool(path)[1]["values"]
    assert values == {"loss": "NaN", "up": "Infinity", "down": "-Infinity"}


def test_stream_segments_and_partial_flush_after_idle(tmp_path):
    path = tmp_path / "run.ndjson"
    spool, _ = writer(path, partial_after=0.1)
    spool.stream("stdout", "\r1/8 [=>...] - loss: 0.7")
    time.sleep(0.4)
    spool.stream("stdout", "\b\b\b\r8/8 [=====] - loss: 0.6\n")
    spool.stream("stderr", "no newline at the end")
    spool.close("finished")
    streams = [r for r in read_spool(path) if r["t"] == "stream"]
    assert streams[0]["text"] == "\r" and "partial" not in streams[0]
    assert streams[1] == {**streams[1], "text": "1/8 [=>...] - loss: 0.7", "partial": True}
    assert streams[2]["text"] == "\b\b\b\r"
    assert streams[3]["text"] == "8/8 [=====] - loss: 0.6\n"
    # Left over at the end: flushed as partial before the end record.
    assert streams[4] == {**streams[4], "stream": "stderr", "partial": True}


def test_file_and_directory_modes(tmp_path):
    from tflog.kernel.paths import ensure_spool_dir

    directory = tmp_path / "new" / "spool"
    ensure_spool_dir(str(directory))
    path = directory / "run.ndjson"
    spool, _ = writer(path)
    spool.close("stopped")
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


class FlakySink:
    """A file that raises ENOSPC while `full` is set; otherwise appends to `path`."""

    def __init__(self, path):
        self.full = threading.Event()
        self.synced = 0
        self._real = FileSink(path)

    def write(self, data):
        if self.full.is_set():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._real.write(data)

    def sync(self):
        self.synced += 1
        self._real.sync()

    def close(self):
        self._real.close()


def test_disk_full_keeps_records_then_reports_the_loss(tmp_path):
    path = tmp_path / "run.ndjson"
    sinks = []

    def opener(target):
        sinks.append(FlakySink(target))
        return sinks[-1]

    spool, warnings = writer(path, opener=opener, max_queue=50, retry_seconds=0.05)
    sink = sinks[0]
    sink.full.set()
    spool.put(log_item("line 0"))
    deadline = time.monotonic() + 5
    while spool.stats().failure is None and time.monotonic() < deadline:
        time.sleep(0.01)
    for index in range(1, 200):
        spool.put(log_item(f"line {index}"))
    time.sleep(0.2)
    stats = spool.stats()
    assert stats.failure and "No space left" in stats.failure
    assert stats.dropped > 0
    assert "cannot write the spool file" in warnings.text
    assert warnings.text.count("cannot write the spool file") == 1
    sink.full.clear()
    final = spool.close("finished")
    records = read_spool(path)
    losses = [r for r in records if r["t"] == "loss"]
    assert len(losses) == 1
    assert losses[0]["dropped"] == final.dropped == stats.dropped
    assert "No space left" in losses[0]["reason"]
    kept = [r for r in records if r["t"] == "log"]
    assert len(kept) + losses[0]["dropped"] == 200
    assert [r["seq"] for r in records] == list(range(len(records)))
    assert records[-1]["t"] == "end" and sink.synced == 1


def test_unwritable_spool_directory_does_not_stop_the_run(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the spool directory should be")
    path = blocker / "run.ndjson"
    spool, warnings = writer(path, retry_seconds=0.05)
    spool.put(log_item("kept in memory"))
    time.sleep(0.1)
    assert spool.stats().failure is not None
    stats = spool.close("finished", timeout=0.3)
    assert stats.finished
    assert stats.written == 0
    assert stats.dropped == 3  # start, log and end records could not be written
    assert "could not be written" in warnings.text


def test_a_full_queue_counts_drops_and_never_blocks(tmp_path):
    path = tmp_path / "run.ndjson"
    gate = threading.Event()

    class SlowSink(FileSink):
        def write(self, data):
            gate.wait(5)
            return super().write(data)

    spool, _ = writer(path, opener=lambda target: SlowSink(target), max_queue=10)
    started = time.monotonic()
    for index in range(1000):
        spool.put(log_item(f"line {index}"))
    assert time.monotonic() - started < 1.0
    gate.set()
    stats = spool.close("finished")
    records = read_spool(path)
    loss = [r for r in records if r["t"] == "loss"]
    assert loss and loss[0]["dropped"] == stats.dropped
    assert stats.dropped + len([r for r in records if r["t"] == "log"]) == 1000


def test_a_record_that_cannot_be_serialised_is_skipped_without_a_gap(tmp_path):
    path = tmp_path / "run.ndjson"
    before = DIAGNOSTICS.summary().get("serialising a record", "0 x")
    spool, _ = writer(path)
    spool.put((99, time.time()))
    spool.put(log_item("after"))
    spool.close("finished")
    records = read_spool(path)
    assert [r["t"] for r in records] == ["start", "log", "end"]
    assert [r["seq"] for r in records] == [0, 1, 2]
    after = DIAGNOSTICS.summary()["serialising a record"]
    assert int(after.split(" x ")[0]) == int(before.split(" x")[0]) + 1
    assert "unknown spool item kind 99" in after


@pytest.mark.parametrize("text", ["caf\u00e9 \u2501\u2501", "lone \udcff surrogate"])
def test_any_text_is_valid_utf8_json(tmp_path, text):
    path = tmp_path / "run.ndjson"
    spool, _ = writer(path)
    spool.stream("stdout", text + "\n")
    spool.close("finished")
    path.read_bytes().decode("utf-8")  # strict: raises on invalid UTF-8
    assert read_spool(path)[1]["text"].startswith(text[:4])


def full_disk_writer(path, **options):
    """A writer whose disk is full from its first record on (the start record is written)."""
    sinks = []

    def opener(target):
        sinks.append(FlakySink(target))
        return sinks[-1]

    spool, warnings = writer(path, opener=opener, retry_seconds=0.05, **options)
    sinks[0].full.set()
    spool.put(log_item("first"))
    deadline = time.monotonic() + 5
    while spool.stats().failure is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert spool.stats().failure
    return spool, sinks[0], warnings


def test_the_queue_is_bounded_in_text_not_only_in_items(tmp_path):
    from tflog.kernel.spool import DEFAULT_MAX_QUEUE_CHARS

    spool, _, warnings = full_disk_writer(tmp_path / "run.ndjson")
    mebibyte = "x" * (1024 * 1024)  # one string: the test itself holds 1 MiB only
    for _ in range(100):
        spool.put(log_item(mebibyte))
    stats = spool.stats()
    # 64 MiB of text wait (the unwritten batch counted too), the rest is dropped.
    assert DEFAULT_MAX_QUEUE_CHARS == 64 * 1024 * 1024
    assert stats.queued == 63, stats.queued  # 64 MiB less the unwritten batch ("first")
    assert stats.dropped == 100 - stats.queued
    assert "(64 MiB of text) wait in memory" in warnings.text
    spool.close("finished", timeout=0.2)


def test_a_text_bound_drops_and_reports_then_writes_the_rest(tmp_path):
    path = tmp_path / "run.ndjson"
    spool, sink, _ = full_disk_writer(path, max_queue_chars=10_000)
    lines = [f"{index:04d}" + "y" * 996 for index in range(50)]

    def put_some(part):
        for line in lines[part::5]:
            spool.put(log_item(line))

    threads = [threading.Thread(target=put_some, args=(part,)) for part in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = spool.stats()
    # 10,000 characters: 9 lines and the unwritten batch ("first", serialised).
    assert stats.queued == 9 and stats.dropped == 41
    sink.full.clear()
    assert spool.drain(5)
    # One item larger than the whole bound goes in when nothing waits.
    spool.put(log_item("z" * 20_000))
    final = spool.close("finished")
    records = read_spool(path)
    (loss,) = [r for r in records if r["t"] == "loss"]
    assert loss["dropped"] == final.dropped == 41
    assert "10000 characters of text" in loss["reason"]
    kept = [r["msg"] for r in records if r["t"] == "log"]
    assert len(kept) == 11 and kept[0] == "first" and kept[-1] == "z" * 20_000
    assert set(kept[1:-1]) <= set(lines)
    assert [r["seq"] for r in records] == list(range(len(records)))
    assert spool._queued_chars == 0  # taken as counted: no drift


def test_items_put_after_close_are_counted_as_dropped(tmp_path):
    path = tmp_path / "run.ndjson"
    spool, _ = writer(path)
    spool.put(log_item("before"))
    spool.close("finished")
    spool.put(log_item("after"))
    spool.stream("stdout", "late\n")
    stats = spool.stats()
    assert stats.queued == 0 and stats.dropped == 2
    assert [r["t"] for r in read_spool(path)] == ["start", "log", "end"]


def test_a_put_from_a_signal_handler_inside_put_does_not_hang(tmp_path):
    """A signal handler runs on the thread it interrupted, which may be inside
    `put` with the queue's lock held; a handler that prints puts again."""
    path = tmp_path / "run.ndjson"
    spool, _ = writer(path)
    done = threading.Event()

    def interrupted_put() -> None:
        with spool._drop_lock:  # as if interrupted while `put` held it
            spool.put(log_item("from the handler"))
        done.set()

    thread = threading.Thread(target=interrupted_put, daemon=True)
    thread.start()
    assert done.wait(5), "put waited for a lock its own thread held"
    spool.close("finished")
    assert [r["msg"] for r in read_spool(path) if r["t"] == "log"] == ["from the handler"]


def test_status_counts_what_reached_an_ended_run(spool_dir):
    import tflog.kernel
    from tflog.kernel.run import RUNS

    tflog.kernel.start("ends")
    tflog.kernel.stop()
    assert "0 dropped" in tflog.kernel.status()
    RUNS.last.writer.put(log_item("from a thread that still held the writer"))
    assert "0 waiting, 1 dropped" in tflog.kernel.status()
