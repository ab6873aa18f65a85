"""What capturing a run costs the training loop.

Two measurements, each repeated with the variants interleaved, medians kept:

1. A small Keras 3 fit on CPU (verbose=1 progress bars, a user callback that
   calls logging.info on every batch) timed without tflog, with a tflog run
   active (everything captured), with a logging.FileHandler in the article's
   format, and with Keras's TensorBoard callback (when TensorBoard is
   installed). `capture.overhead_ratio.<variant>` = median over repeats of
   wall time_with / time_without - 1, paired within each repeat.
   `overhead_ratio_cpu` is the same with process CPU time, and
   `overhead_ratio_min` compares the fastest runs: on a shared machine the
   load of other processes only ever adds time, so these two are the steadier
   figures when the wall-clock median is noisy.

2. The added cost of one captured logging record: N `logging.info` calls on a
   logger whose only handler is a NullHandler, then the same with tflog
   capturing (until its writer thread has written everything) and with a
   FileHandler (`%(asctime)s [%(levelname)s] %(message)s`). Because of the GIL
   the writer thread's work slows the training thread too, so the cost is the
   whole process's CPU time over the window, not the time of the call alone:
   `capture.us_per_record.<variant>` = (cpu_with - cpu_baseline) / N, in
   microseconds. Wall-clock figures are recorded as well.

Prints the figures and merges them into bench/results/latest.json (keys that
start with "capture."). Under a minute on 2 cores:

    .venv/bin/python bench/capture_overhead.py [--repeats 11] [--epochs 3] [--no-fit]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
ARTICLE_FORMAT = "%(asctime)s [%(levelname)s] %(message)s"


def tflog_modules():
    """tflog's kernel side from this checkout (imported once the path is set)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tflog.kernel import run as runs
    from tflog.kernel import state
    from tflog.kernel.options import RunOptions

    return runs, state, RunOptions


class Tflog:
    """A tflog run around a measured block; `drain` waits for its writer."""

    def __init__(self, spool_dir: str) -> None:
        self.runs, self.state, self.options = tflog_modules()
        self.runs.RUNS.spool_dir = spool_dir
        self.run = None

    def start(self) -> None:
        self.run = self.runs.start_run(self.options(name="bench"), "line")

    def drain(self) -> None:
        if not self.run.writer.drain(timeout=60):
            raise RuntimeError("the spool writer did not drain")

    def stop(self) -> dict:
        stats = self.run.end("stopped").as_dict()
        if stats["dropped"]:
            raise RuntimeError(f"tflog dropped records during the benchmark: {stats}")
        return stats


def file_handler(directory: str, name: str) -> logging.FileHandler:
    handler = logging.FileHandler(os.path.join(directory, name))
    handler.setFormatter(logging.Formatter(ARTICLE_FORMAT))
    return handler


# ---------------------------------------------------------------- per record
def time_records(logger: logging.Logger, count: int, before, after, cleanup) -> tuple[float, float]:
    """CPU and wall time of `count` logging calls plus `after` (the drain)."""
    before()
    cpu, wall = time.process_time(), time.perf_counter()
    for index in range(count):
        logger.info("Epoch %d, Loss: %.4f", index, 0.8765)
    after()
    elapsed = time.process_time() - cpu, time.perf_counter() - wall
    cleanup()  # ending the run (fsync) is a cost of the run's end, not of logging
    return elapsed


def measure_records(work: str, count: int, repeats: int) -> dict:
    logger = logging.getLogger("bench.records")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    null = logging.NullHandler()
    logger.addHandler(null)
    tflog = Tflog(os.path.join(work, "spool-records"))
    handler = file_handler(work, "records.log")

    def nothing() -> None:
        return None

    variants = {
        "baseline": (nothing, nothing, nothing),
        "tflog": (tflog.start, tflog.drain, tflog.stop),
        "filehandler": (
            lambda: logger.addHandler(handler),
            handler.flush,
            lambda: logger.removeHandler(handler),
        ),
    }
    samples: dict = {name: {"cpu": [], "wall": []} for name in variants}
    names = list(variants)
    time_records(logger, count // 10, nothing, nothing, nothing)  # warm up
    for repeat in range(repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            cpu, wall = time_records(logger, count, *variants[name])
            samples[name]["cpu"].append(cpu)
            samples[name]["wall"].append(wall)
    handler.close()
    logger.removeHandler(null)

    def per_record(name: str, clock: str) -> float:
        extra = [
            (with_ - base) / count * 1e6
            for with_, base in zip(samples[name][clock], samples["baseline"][clock])
        ]
        return statistics.median(extra)

    return {
        "capture.us_per_record.tflog": per_record("tflog", "cpu"),
        "capture.us_per_record.filehandler": per_record("filehandler", "cpu"),
        "capture.us_per_record.tflog_wall": per_record("tflog", "wall"),
        "capture.us_per_record.filehandler_wall": per_record("filehandler", "wall"),
        "capture.us_per_record.baseline_logging_call": statistics.median(samples["baseline"]["cpu"])
        / count
        * 1e6,
    }


# ----------------------------------------------------------------- keras fit
def measure_fit(work: str, repeats: int, epochs: int) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(2048, 32).astype("float32")
    y = (x.sum(axis=1) > 16).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((32,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    train_log = logging.getLogger("bench.train")
    train_log.setLevel(logging.INFO)
    train_log.propagate = False

    class LogEveryBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            train_log.info("batch %d loss %.4f", batch, logs["loss"])

    tflog = Tflog(os.path.join(work, "spool-fit"))
    peer_handler = file_handler(work, "fit.log")
    board_dir = os.path.join(work, "tensorboard")

    def fit(extra_callbacks=()) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        model.fit(
            x,
            y,
            batch_size=32,
            epochs=epochs,
            verbose=1,
            callbacks=[LogEveryBatch(), *extra_callbacks],
        )
        return time.perf_counter() - started, time.process_time() - cpu

    def with_tflog() -> tuple[float, float]:
        tflog.start()
        started, cpu = time.perf_counter(), time.process_time()
        fit()
        tflog.drain()
        elapsed = time.perf_counter() - started, time.process_time() - cpu
        tflog.stop()
        return elapsed

    def with_filehandler() -> tuple[float, float]:
        train_log.addHandler(peer_handler)
        try:
            return fit()
        finally:
            train_log.removeHandler(peer_handler)

    variants = {"baseline": fit, "tflog": with_tflog, "filehandler": with_filehandler}
    if importlib.util.find_spec("tensorboard") is not None:
        variants["tensorboard"] = lambda: fit([keras.callbacks.TensorBoard(log_dir=board_dir)])
    names = list(variants)
    seconds: dict = {name: [] for name in names}
    cpu_seconds: dict = {name: [] for name in names}
    real_stdout = sys.stdout
    with open(os.devnull, "w") as sink:
        # The user's own logging, the same in every variant: a stream handler.
        user_handler = logging.StreamHandler(sink)
        user_handler.setFormatter(logging.Formatter(ARTICLE_FORMAT))
        train_log.addHandler(user_handler)
        sys.stdout = sink  # progress bars go nowhere, identically for every variant
        try:
            for name in names:  # warm up: tracing, first summary writer, ...
                variants[name]()
            for repeat in range(repeats):
                order = names[repeat % len(names) :] + names[: repeat % len(names)]
                for name in order:
                    wall, cpu = variants[name]()
                    seconds[name].append(wall)
                    cpu_seconds[name].append(cpu)
        finally:
            sys.stdout = real_stdout
            train_log.removeHandler(user_handler)
            peer_handler.close()

    def overhead(name: str, times: dict) -> float:
        ratios = [with_ / base for with_, base in zip(times[name], times["baseline"])]
        return statistics.median(ratios) - 1

    steps = epochs * (len(x) // 32)
    results = {}
    for name in names[1:]:
        results[f"capture.overhead_ratio.{name}"] = overhead(name, seconds)
        results[f"capture.overhead_ratio_cpu.{name}"] = overhead(name, cpu_seconds)
        # Fastest run against fastest run: robust to load from other processes,
        # which only ever adds time.
        results[f"capture.overhead_ratio_min.{name}"] = (
            min(seconds[name]) / min(seconds["baseline"]) - 1
        )
    if "tensorboard" not in variants:
        results["capture.overhead_ratio.tensorboard"] = None  # TensorBoard not installed
    results["capture.fit_seconds.baseline"] = statistics.median(seconds["baseline"])
    results["capture.fit_ms_per_step.baseline"] = (
        statistics.median(seconds["baseline"]) / steps * 1000
    )
    results["capture.fit_keras_version"] = keras.__version__
    results["capture.fit_seconds.all"] = {
        name: [round(value, 4) for value in values] for name, values in seconds.items()
    }
    results["capture.fit_cpu_seconds.all"] = {
        name: [round(value, 4) for value in values] for name, values in cpu_seconds.items()
    }
    return results


def merge_results(values: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    current.update(values)
    temporary = RESULTS.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    temporary.replace(RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description="tflog capture overhead benchmark")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--no-fit", action="store_true", help="only the per-record part")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tflog-bench-") as work:
        results = measure_records(work, args.records, args.repeats)
        if not args.no_fit:
            results.update(measure_fit(work, args.repeats, args.epochs))
    results["capture.meta"] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "records": args.records,
        "seconds": round(time.monotonic() - started, 1),
    }
    for key, value in sorted(results.items()):
        shown = f"{value:.4f}" if isinstance(value, float) else value
        print(f"{key:48} {shown}")
    tflog_cost = results["capture.us_per_record.tflog"]
    peer_cost = results["capture.us_per_record.filehandler"]
    print(f"tflog per record / FileHandler per record = {tflog_cost / peer_cost:.2f} (budget 0.50)")
    if "capture.overhead_ratio.tflog" in results:
        print(
            f"tflog fit overhead = {results['capture.overhead_ratio.tflog']:.2%} (budget 2%; "
            f"CPU {results['capture.overhead_ratio_cpu.tflog']:.2%}, "
            f"fastest vs fastest {results['capture.overhead_ratio_min.tflog']:.2%})"
        )
    merge_results(results)
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
