"""The on-disk spool: one NDJSON file per run, written by a background thread.

The capture hooks only append tuples to a bounded deque (`SpoolWriter.put`).
The writer thread wakes every `wake_seconds` (sooner when the queue grows),
assembles stream segments, serialises records in batches with one reused
JSON encoder and writes each batch with a single `os.write`. There is no
fsync per batch; the file is fsynced when the run ends.

When the spool cannot be written (disk full, unwritable directory) training
goes on: the unwritten batch is kept and retried, the queue keeps up to
`max_queue` items and `max_queue_chars` characters of text (the unwritten
batch included), and whatever does not fit is counted. The first failure is
reported once on the real stderr; once writing works again a `loss` record
says how many records were dropped and why. Items put after `close()` are
counted as dropped too: nothing would ever write them.
"""

import collections
import json
import logging
import os
import threading
import time
from json.encoder import encode_basestring as _escape
from typing import Any, Callable, Dict, List, Optional, Tuple

from tflog.kernel.diagnostics import DIAGNOSTICS, INTERNAL_LOGGER_NAME, Diagnostics, at
from tflog.kernel.records import (
    MAX_TEXT_FIELD_CHARS,
    bounded_text,
    count_value,
    hparam_values,
    metric_value,
    metric_values,
)
from tflog.kernel.segments import StreamAssembler

# Item kinds in the queue (first element of each tuple).
KIND_LOG = 0  # (KIND_LOG, ts, level, logger, msg, exc, file, line, func, thread)
KIND_STREAM = 1  # (KIND_STREAM, stream, text, ts)
KIND_METRICS = 2  # (KIND_METRICS, ts, scope, epoch, batch, step, logs)
KIND_HPARAMS = 3  # (KIND_HPARAMS, ts, values)
KIND_CONTEXT = 4  # (KIND_CONTEXT, ts, notebook, kernel_id)
KIND_END = 5  # (KIND_END, ts, status, error)
KIND_SCALAR = 6  # (KIND_SCALAR, ts, name, value, step): one tf.summary.scalar
KIND_SYSTEM = 7  # (KIND_SYSTEM, ts, values, info): one system metrics sample

DEFAULT_MAX_QUEUE = 200_000
# The queue's bound in characters of text (log messages and tracebacks,
# printed text), the serialised but unwritten batch counted too: the item
# bound alone let 1,500 prints of 1 MiB take 1.5 GB while the disk was full.
# 64 Mi is about what 200,000 ordinary records take, so neither bound is far
# looser than the other, and hundreds of times what a healthy writer ever
# holds between two 50 ms wake-ups: only a failing or stalled spool reaches it.
DEFAULT_MAX_QUEUE_CHARS = 64 * 1024 * 1024

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)


def item_chars(item: Tuple[Any, ...]) -> int:
    """The text an item holds, for the queue's bound: a log record's message and
    traceback, a stream write. Other items are small, bounded by their count."""
    try:
        kind = item[0]
        if kind == KIND_LOG:
            return len(item[4]) + (len(item[5]) if item[5] else 0)
        if kind == KIND_STREAM:
            return len(item[2])
    except (TypeError, IndexError):  # put never raises; a malformed item fails in the writer
        return 0
    return 0


class FileSink:
    """An append-only file opened with mode 0600, written with raw os.write."""

    def __init__(self, path: str) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        self._fd = os.open(path, flags, 0o600)

    def write(self, data: memoryview) -> int:
        return os.write(self._fd, data)

    def sync(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


class SpoolStats:
    """A snapshot of a writer's counters for `%tflog status`."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


class SpoolWriter:
    """Serialises one run's records to `path`; see the module docstring."""

    def __init__(
        self,
        path: str,
        start_record: Dict[str, Any],
        *,
        opener: Callable[[str], Any] = FileSink,
        diagnostics: Diagnostics = DIAGNOSTICS,
        max_queue: int = DEFAULT_MAX_QUEUE,
        max_queue_chars: int = DEFAULT_MAX_QUEUE_CHARS,
        wake_seconds: float = 0.05,
        partial_after: float = 0.25,
        retry_seconds: float = 1.0,
        batch_limit: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._opener = opener
        self._diagnostics = diagnostics
        self._max_queue = max_queue
        self._max_queue_chars = max_queue_chars
        self._wake_threshold = max(1, min(batch_limit, max_queue // 4))
        self._wake_chars = max(1, max_queue_chars // 4)
        self._wake_seconds = wake_seconds
        self._partial_after = partial_after
        self._retry_seconds = retry_seconds
        self._batch_limit = batch_limit
        self._clock = clock

        self._queue: collections.deque = collections.deque()
        self._wake = threading.Event()
        self._encode = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode
        self._assemblers = {"stdout": StreamAssembler(), "stderr": StreamAssembler()}
        self._site_cache: Dict[Tuple[Any, ...], str] = {}
        self._seq = 0

        # Serialised, not yet written: bytes, how far they were written, and
        # how many records they hold.
        self._pending = b""
        self._pending_offset = 0
        self._pending_records = 0

        self._sink: Any = None
        self._failure: Optional[str] = None
        self._last_failure: Optional[str] = None
        self._next_retry = 0.0

        # Guards the queue's bounds and counters: `put` runs on any thread,
        # and `+=` on an attribute is not atomic even with the GIL. Reentrant:
        # a signal handler that prints runs on the thread it interrupted, maybe
        # inside `put`, and must not wait for itself (training would hang).
        self._drop_lock = threading.RLock()
        self._queued_chars = 0  # text in the queue (item_chars), under the lock
        self._overflow = 0  # items refused by the full queue (any thread)
        self._dropped_late = 0  # items put once closing: never written, no loss record
        self._overflow_reported = 0
        self._dropped_unwritten = 0  # records still unwritten when the run ended
        self._written = 0
        self._stopping = False
        self._end_serialised = False
        self._stop_deadline = 0.0
        self._finished = threading.Event()
        self._cycled = threading.Condition()
        self._busy = False

        self._append_lines([self._encode(self._with_seq(start_record))], 1)
        self._write_pending(self._clock())
        self._thread = threading.Thread(target=self._run, name="tflog-spool-writer", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------- capture side
    def put(self, item: Tuple[Any, ...]) -> None:
        """Queues one item; never blocks, never raises. Called from any thread.

        Counted as dropped instead when the queue is full (items or text), or
        once the run is closing: the writer stops at the end record."""
        size = item_chars(item)
        queue = self._queue
        lock = self._drop_lock
        # acquire/release: half the cost of `with` on this per-record path.
        lock.acquire()
        try:
            # The unwritten batch counts too: while the disk is full it is
            # held as long as the queue (read without the writer's lock: a
            # stale length only moves the bound by one batch). One item larger
            # than the whole bound still goes in when nothing waits.
            if self._stopping:
                self._dropped_late += 1
                return
            chars = self._queued_chars + size
            held = chars + len(self._pending)
            if len(queue) >= self._max_queue or (held > self._max_queue_chars and held > size):
                self._overflow += 1
                return
            queue.append(item)
            self._queued_chars = chars
        finally:
            lock.release()
        if (len(queue) >= self._wake_threshold or chars >= self._wake_chars) and (
            not self._wake.is_set()
        ):
            self._wake.set()

    def stream(self, stream: str, text: str) -> None:
        self.put((KIND_STREAM, stream, text, time.time()))

    def metrics(
        self,
        scope: str,
        logs: Optional[Dict[str, Any]],
        epoch: Optional[int] = None,
        batch: Optional[int] = None,
        step: Optional[int] = None,
    ) -> None:
        self.put((KIND_METRICS, time.time(), scope, epoch, batch, step, logs))

    def hparams(self, values: Dict[str, Any]) -> None:
        self.put((KIND_HPARAMS, time.time(), values))

    def system(
        self, ts: float, values: Dict[str, float], info: Optional[Dict[str, Any]] = None
    ) -> None:
        """One system metrics sample; `info` (the first sample's) says how GPUs were read."""
        self.put((KIND_SYSTEM, ts, values, info))

    def context(self, notebook: Optional[str], kernel_id: Optional[str]) -> None:
        self.put((KIND_CONTEXT, time.time(), notebook, kernel_id))

    # --------------------------------------------------------------- control
    def close(
        self, status: str, error: Optional[Dict[str, str]] = None, timeout: float = 10.0
    ) -> SpoolStats:
        """Writes the end record, fsyncs and closes; waits at most ~`timeout`."""
        with self._drop_lock:
            first = not self._stopping
            if first:
                # The end record bypasses the bound: a full queue must not lose
                # it. Under the lock: no item can be queued behind it.
                self._queue.append((KIND_END, time.time(), status, error))
                self._stop_deadline = time.monotonic() + timeout
                self._stopping = True
        if first:
            self._wake.set()
        self._thread.join(timeout + 2 * self._wake_seconds + 1.0)
        if self._thread.is_alive():
            self._diagnostics.warn_once(
                "spool-stuck:" + self.path,
                f"tflog: the spool writer for {self.path} did not finish in {timeout:.0f}s; "
                "its last records may be missing",
            )
        return self.stats()

    def drain(self, timeout: float = 10.0) -> bool:
        """Waits until everything queued so far is written; False on timeout.

        For benchmarks and tests: the capture path itself never waits.
        """
        deadline = time.monotonic() + timeout
        with self._cycled:
            # Read in this order: an empty queue with no cycle busy means
            # every item taken was either written or is still pending.
            while self._queue or self._busy or self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._finished.is_set():
                    return False
                self._wake.set()
                self._cycled.wait(min(remaining, 0.1))
        return True

    def stats(self) -> SpoolStats:
        with self._drop_lock:
            overflow = self._overflow + self._dropped_late
        return SpoolStats(
            path=self.path,
            written=self._written,
            queued=len(self._queue),
            unwritten=self._pending_records,
            dropped=overflow + self._dropped_unwritten,
            failure=self._failure,
            last_failure=self._last_failure,
            finished=self._finished.is_set(),
        )

    # ---------------------------------------------------------- writer thread
    def _run(self) -> None:
        ended = False
        while not ended:
            self._wake.wait(self._wake_seconds)
            self._wake.clear()
            self._busy = True
            try:
                ended = self._cycle()
            except Exception:  # the writer must outlive its own bugs
                internal_logger.exception("spool writer cycle failed", extra=at("spool writer"))
            if not ended and self._stopping and time.monotonic() >= self._stop_deadline:
                # The spool stayed unwritable until the deadline.
                self._abandon_unwritten()
                break
            self._busy = False
            with self._cycled:
                self._cycled.notify_all()
        self._busy = False
        self._close_sink()
        self._finished.set()
        with self._cycled:
            self._cycled.notify_all()

    def _cycle(self) -> bool:
        """One wake-up: write what is pending, then serialise a batch.

        Returns True once the end record is written and synced.
        """
        now = self._clock()
        if not self._write_pending(now):
            # Still failing: leave the backlog in the bounded queue.
            return False
        if self._end_serialised:
            self._sync()
            return True
        lines: List[str] = []
        records = self._report_losses(lines)
        limit = None if self._stopping else self._batch_limit
        drained = self._drain(lines, limit)
        records += drained
        if not self._end_serialised:
            records += self._flush_idle_streams(lines, now)
        if lines:
            self._append_lines(lines, records)
            if not self._write_pending(now):
                return False
        if self._end_serialised:
            self._sync()
            return True
        return False

    def _drain(self, lines: List[str], limit: Optional[int]) -> int:
        """Serialises queued items into `lines`; returns how many records."""
        queue = self._queue
        popleft = queue.popleft
        append = lines.append
        log_line = self._log_line
        count = 0
        chars = 0  # text taken from the queue, for its bound
        available = len(queue)
        try:
            for _ in range(available if limit is None else min(limit, available)):
                item = popleft()
                kind = item[0]
                seq = self._seq
                try:
                    if kind == KIND_LOG:  # the common case first, without detours
                        # item_chars, inlined on this hot path (keep the two alike).
                        chars += len(item[4]) + (len(item[5]) if item[5] else 0)
                        append(log_line(seq, item))
                        self._seq = seq + 1
                    elif kind == KIND_STREAM:
                        chars += item_chars(item)
                        for text, first_write, split in self._assemblers[item[1]].feed(
                            item[2], item[3]
                        ):
                            append(self._stream_line(item[1], text, first_write, split, split))
                            count += 1
                        continue
                    elif kind == KIND_END:
                        count += self._flush_all_streams(lines)
                        append(self._end_line(item))
                        self._end_serialised = True
                        return count + 1
                    else:
                        line = self._serialise(item)
                        if line is None:  # nothing to record (a scalar that is not a number)
                            continue
                        append(line)
                except Exception:
                    # One odd value (or a tensor whose device failed) must not
                    # cost the batch: skip the record and give its sequence
                    # number back so that seq stays dense.
                    self._seq = seq
                    internal_logger.exception("bad spool record", extra=at("serialising a record"))
                    continue
                count += 1
            return count
        finally:
            with self._drop_lock:
                self._queued_chars -= chars

    def _serialise(self, item: Tuple[Any, ...]) -> Optional[str]:
        kind = item[0]
        if kind == KIND_SCALAR:
            return self._scalar_line(item)
        seq = self._next_seq()
        if kind == KIND_LOG:
            return self._log_line(seq, item)
        if kind == KIND_METRICS:
            record = {"t": "metrics", "seq": seq, "ts": item[1], "scope": item[2]}
            for key, value in (("epoch", item[3]), ("batch", item[4]), ("step", item[5])):
                if value is not None:
                    record[key] = value
            record["values"] = metric_values(item[6])
        elif kind == KIND_SYSTEM:
            record = {"t": "metrics", "seq": seq, "ts": item[1], "scope": "system"}
            record["values"] = metric_values(item[2])
            if item[3] is not None:
                record["system"] = item[3]
        elif kind == KIND_HPARAMS:
            record = {"t": "hparams", "seq": seq, "ts": item[1], "values": hparam_values(item[2])}
        elif kind == KIND_CONTEXT:
            record = {
                "t": "context",
                "seq": seq,
                "ts": item[1],
                "notebook": item[2],
                "kernel_id": item[3],
            }
        else:
            raise ValueError(f"unknown spool item kind {kind!r}")
        return self._encode(record)

    def _scalar_line(self, item: Tuple[Any, ...]) -> Optional[str]:
        _, ts, name, raw, raw_step = item
        value = metric_value(raw)
        if value is None:
            return None
        record: Dict[str, Any] = {"t": "metrics", "seq": self._next_seq(), "ts": ts}
        record["scope"] = "batch"
        step = count_value(raw_step)
        if step is not None:
            record["step"] = step
        record["values"] = {str(name): value}
        return self._encode(record)

    def _log_line(self, seq: int, item: Tuple[Any, ...]) -> str:
        # Log and stream records are the frequent ones: formatted directly
        # (the same JSON the encoder gives, several times faster). Fields that
        # repeat for every record of one logging call site are escaped once
        # and cached together.
        _, ts, level, logger, message, exc, file, line, func, thread = item
        site_key = (level, logger, file, line, func, thread)
        site = self._site_cache.get(site_key)
        if site is None:
            site = self._call_site(site_key)
        if len(message) > MAX_TEXT_FIELD_CHARS:
            message = bounded_text(message)
        exc_field = "" if exc is None else ',"exc":' + _escape(bounded_text(exc))
        return f'{{"t":"log","seq":{seq},"ts":{ts!r},{site},"msg":{_escape(message)}{exc_field}}}'

    def _call_site(self, key: Tuple[Any, ...]) -> str:
        level, logger, file, line, func, thread = key
        encode = self._encode
        site = (
            f'"level":{encode(level)},"logger":{encode(logger)},"file":{encode(file)},'
            f'"line":{encode(line)},"func":{encode(func)},"thread":{encode(thread)}'
        )
        if len(self._site_cache) >= 4096:
            self._site_cache.clear()
        self._site_cache[key] = site
        return site

    def _stream_line(
        self, stream: str, text: str, ts: float, partial: bool, split: bool = False
    ) -> str:
        # `split`: cut at MAX_SEGMENT_CHARS, the next record goes on with it
        # (and, unterminated, it is partial too).
        flags = ',"partial":true,"split":true' if split else (',"partial":true' if partial else "")
        return (
            f'{{"t":"stream","seq":{self._next_seq()},"ts":{ts!r},'
            f'"stream":"{stream}","text":{_escape(text)}{flags}}}'
        )

    def _end_line(self, item: Tuple[Any, ...]) -> str:
        record = {"t": "end", "seq": self._next_seq(), "ts": item[1], "status": item[2]}
        record["error"] = item[3]
        return self._encode(record)

    def _flush_idle_streams(self, lines: List[str], now: float) -> int:
        count = 0
        for stream, assembler in self._assemblers.items():
            segment = assembler.flush_idle(now, self._partial_after)
            if segment is not None:
                lines.append(self._stream_line(stream, segment[0], segment[1], True))
                count += 1
        return count

    def _flush_all_streams(self, lines: List[str]) -> int:
        count = 0
        for stream, assembler in self._assemblers.items():
            segment = assembler.flush()
            if segment is not None:
                lines.append(self._stream_line(stream, segment[0], segment[1], True))
                count += 1
        return count

    def _report_losses(self, lines: List[str]) -> int:
        with self._drop_lock:
            dropped = self._overflow - self._overflow_reported
            self._overflow_reported = self._overflow
        if not dropped:
            return 0
        reason = (
            f"queue full ({self._max_queue} items or {self._max_queue_chars} characters of text)"
        )
        if self._last_failure:
            reason += " while the spool was unwritable: " + self._last_failure
        record = {
            "t": "loss",
            "seq": self._next_seq(),
            "ts": self._clock(),
            "dropped": dropped,
            "reason": reason,
        }
        lines.append(self._encode(record))
        return 1

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = seq + 1
        return seq

    def _with_seq(self, record: Dict[str, Any]) -> Dict[str, Any]:
        stamped = {"t": record["t"], "seq": self._next_seq()}
        stamped.update((key, value) for key, value in record.items() if key not in stamped)
        return stamped

    def _append_lines(self, lines: List[str], records: int) -> None:
        data = ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace")
        if self._pending_offset:
            self._pending = self._pending[self._pending_offset :]
            self._pending_offset = 0
        self._pending += data
        self._pending_records += records

    def _write_pending(self, now: float) -> bool:
        """Writes the pending bytes; False while the spool is failing."""
        if not self._pending:
            return True
        if self._failure is not None and now < self._next_retry:
            return False
        try:
            if self._sink is None:
                self._sink = self._opener(self.path)
            view = memoryview(self._pending)
            while self._pending_offset < len(self._pending):
                self._pending_offset += self._sink.write(view[self._pending_offset :])
        except OSError as error:
            self._record_failure(error, now)
            return False
        self._written += self._pending_records
        self._pending = b""
        self._pending_offset = 0
        self._pending_records = 0
        self._failure = None
        return True

    def _record_failure(self, error: OSError, now: float) -> None:
        self._failure = f"{type(error).__name__}: {error.strerror or error}"
        self._last_failure = self._failure
        self._next_retry = now + self._retry_seconds
        self._diagnostics.warn_once(
            "spool-failure:" + self.path,
            f"tflog: cannot write the spool file {self.path} ({self._failure}). "
            f"Training goes on; up to {self._max_queue} records "
            f"({self._max_queue_chars // (1024 * 1024)} MiB of text) wait in memory and any "
            "beyond are counted as dropped (see %tflog status).",
        )

    def _sync(self) -> None:
        if self._sink is None:
            return
        try:
            self._sink.sync()
        except OSError as error:
            self._record_failure(error, self._clock())

    def _abandon_unwritten(self) -> None:
        """At the end, whatever could not be written is counted as dropped."""
        with self._drop_lock:
            # Closing: no item can be queued any more (put counts it instead).
            unwritten = self._pending_records + len(self._queue)
            self._queue.clear()
            self._queued_chars = 0
        if unwritten:
            self._dropped_unwritten += unwritten
            self._pending = b""
            self._pending_offset = 0
            self._pending_records = 0
            self._diagnostics.warn_once(
                "spool-abandoned:" + self.path,
                "tflog: {} records of this run could not be written to {} ({})".format(
                    unwritten, self.path, self._last_failure or "writer stopped"
                ),
            )

    def _close_sink(self) -> None:
        if self._sink is None:
            return
        try:
            self._sink.close()
        except OSError:
            internal_logger.exception("close failed", extra=at("closing the spool file"))
        self._sink = None
