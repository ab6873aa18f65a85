"""Realistic spool records, written through the kernel side's own spool
writer (tflog/kernel/spool.py): what a notebook training with Keras and its
own logging puts in the spool.

Per training step: one Keras 3 progress-bar state (ANSI colours, backspaces,
ending in '\\r', as `verbose=1` writes it), one `logging.info` record from a
user callback; every 8th step a sampled batch-metrics record of tflog's Keras
callback, every 25th a `print` of the step's loss. Per epoch: the `Epoch e/E`
line, the epoch's final bar line, the epoch metrics record, an epoch log
record and now and then a warning. Each run starts with its start and
hparams records and closes with its end record.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the kernel side of this checkout

SPOOL_FORMAT_VERSION = 1  # tflog/kernel/records.py
KIND_LOG = 0  # tflog/kernel/spool.py: a logging record in the writer's queue

STEPS_PER_EPOCH = 500
BAR_WIDTH = 20
BACKSPACES = "\b" * 76
# The queue of the writer holds 200,000 items: wait for it well before.
DRAIN_EVERY = 20_000


def progress_state(step: int, steps: int, loss: float, accuracy: float, final: bool) -> str:
    """One state of Keras 3's progress bar, as verbose=1 writes it."""
    done = BAR_WIDTH * step // steps
    bar = f"\x1b[32m{'━' * done}\x1b[0m" if done else ""
    if done < BAR_WIDTH:
        bar += f"\x1b[37m{'━' * (BAR_WIDTH - done)}\x1b[0m"
    width = len(str(steps))
    text = (
        f"\x1b[1m{step:>{width}}/{steps}\x1b[0m {bar} \x1b[1m0s\x1b[0m 4ms/step"
        f" - accuracy: {accuracy:.4f} - loss: {loss:.4f}"
    )
    return text + "\n" if final else text + BACKSPACES + "\r"


def log_item(level: str, message: str, line: int) -> tuple:
    """A logging record as the capture hook queues it."""
    return (
        KIND_LOG,
        time.time(),
        level,
        "train",
        message,
        None,
        "/tmp/ipykernel_4242/3141592653.py",
        line,
        "on_train_batch_end",
        "MainThread",
    )


def training_items(records: int) -> Iterator[tuple]:
    """About `records` spool items of a fit: ("stream", text), ("log", item),
    ("metrics", scope, epoch, batch, step, values) or ("hparams", values)."""
    yield (
        "hparams",
        {"batch_size": 32, "epochs": 1000, "steps_per_epoch": STEPS_PER_EPOCH, "optimizer": "Adam"},
    )
    produced = 1
    epoch = 0
    while produced < records:
        epoch += 1
        yield ("stream", f"Epoch {epoch}/1000\n")
        produced += 1
        loss = accuracy = 0.5
        for batch in range(STEPS_PER_EPOCH):
            step = (epoch - 1) * STEPS_PER_EPOCH + batch + 1
            loss = 0.7 / (1 + step / 5000) + (batch % 7) * 1e-3
            accuracy = 1 - loss / 1.4
            final = batch == STEPS_PER_EPOCH - 1
            yield ("stream", progress_state(batch + 1, STEPS_PER_EPOCH, loss, accuracy, final))
            yield ("log", log_item("INFO", f"batch {batch} loss {loss:.4f}", 7))
            produced += 2
            if batch % 8 == 0:
                values = {"loss": loss, "accuracy": accuracy}
                yield ("metrics", "batch", epoch - 1, batch, step, values)
                produced += 1
            if batch % 25 == 0:
                yield ("stream", f"step {step} loss={loss:.4f} lr=1e-4\n")
                produced += 1
            if produced >= records:
                return
        values = {"loss": loss, "accuracy": accuracy, "val_loss": loss * 1.1}
        yield ("metrics", "epoch", epoch - 1, None, None, values)
        yield ("log", log_item("INFO", f"Epoch {epoch}, Loss: {loss:.4f}", 9))
        produced += 2
        if epoch % 5 == 0:
            yield ("log", log_item("WARNING", "Gradient norm exceeded threshold: 15.3", 11))
            produced += 1


def start_record(run_id: str, name: str) -> dict:
    return {
        "t": "start",
        "ts": time.time(),
        "v": SPOOL_FORMAT_VERSION,
        "run": run_id,
        "name": name,
        "tags": {"bench": "ingest"},
        "ctx": {
            "notebook": "bench/training.ipynb",
            "kernel_id": None,
            "user": "bench",
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "tflog_version": "bench",
        },
    }


def spool_writer(path: Path, start: dict) -> Any:
    """The kernel side's SpoolWriter, checked to speak the format used here."""
    from tflog.kernel import records, spool

    if records.SPOOL_FORMAT_VERSION != SPOOL_FORMAT_VERSION or spool.KIND_LOG != KIND_LOG:
        raise RuntimeError("bench/spool_mix.py is out of date with tflog/kernel/spool.py")
    return spool.SpoolWriter(str(path), start)


def feed(writer: Any, item: tuple) -> None:
    kind = item[0]
    if kind == "stream":
        writer.stream("stdout", item[1])
    elif kind == "log":
        writer.put(item[1])
    elif kind == "metrics":
        _, scope, epoch, batch, step, values = item
        writer.metrics(scope, values, epoch=epoch, batch=batch, step=step)
    elif kind == "hparams":
        writer.hparams(item[1])
    else:
        raise ValueError(f"unknown item kind {kind!r}")


def write_run(path: Path, run_id: str, records: int) -> int:
    """Writes one finished run of about `records` records to `path`; returns
    how many records the file holds (start and end included)."""
    writer = spool_writer(path, start_record(run_id, f"bench {run_id}"))
    for index, item in enumerate(training_items(max(1, records - 2)), 1):
        feed(writer, item)
        if index % DRAIN_EVERY == 0 and not writer.drain(timeout=120):
            raise RuntimeError(f"the spool writer of {path} did not drain")
    stats = writer.close("finished", timeout=120).as_dict()
    if stats["dropped"] or not stats["finished"]:
        raise RuntimeError(f"the spool writer lost records of {path}: {stats}")
    return stats["written"]
