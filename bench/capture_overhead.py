"""What capturing a run costs the training loop, against the peers.

Three measurements, each repeated with the variants interleaved (the order
rotates every repeat), medians kept:

1. A small Keras 3 fit on CPU (verbose=1 progress bars, a user callback that
   calls logging.info on every batch) timed without anything more (baseline),
   with a tflog run active (everything captured), with a logging.FileHandler
   in the article's format (what Filebeat would tail), with Keras's
   `TensorBoard(update_freq="batch")` and with MLflow autologging
   (`mlflow.keras.autolog(log_every_epoch=False, log_every_n_steps=1)`, models
   and datasets not logged) into a local file store. TensorBoard and MLflow
   come from requirements/bench.txt; without them their figures are null with
   a reason. `capture.overhead_ratio.<variant>` = median over repeats of wall
   time_with / time_without - 1, paired within each repeat.
   `overhead_ratio_cpu` is the same with process CPU time (every thread), and
   `overhead_ratio_min` compares the fastest runs: on a shared machine the
   load of other processes only ever adds time, so these two are the steadier
   figures when the wall-clock median is noisy. `overhead_ratio_iqr` is the
   25th and 75th percentile of the paired ratios: a difference between two
   variants smaller than that spread is not resolved by the run.

2. The same variants around a plain Python loop (a NumPy two-layer network,
   one SGD step per iteration) that logs every step with logging.info; the
   peers record the step's loss their own way (`tf.summary.scalar` into a
   TensorBoard file writer, `mlflow.log_metric` into a local file store).
   Keys `capture.loop.*`, with `capture.loop.us_per_step.<variant>`, the CPU
   time each variant adds to one step, in microseconds.

3. The added cost of one captured logging record: N `logging.info` calls on a
   logger whose only handler is a NullHandler, then the same with tflog
   capturing (until its writer thread has written everything) and with a
   FileHandler (`%(asctime)s [%(levelname)s] %(message)s`). Because of the GIL
   the writer thread's work slows the training thread too, so the cost is the
   whole process's CPU time over the window, not the time of the call alone:
   `capture.us_per_record.<variant>` = (cpu_with - cpu_baseline) / N, in
   microseconds. Wall-clock figures are recorded as well.

Work every variant leaves behind (tflog's writer thread, MLflow's async
logging queue, TensorBoard's event file) is flushed inside the timed window.
Prints the figures and merges them into bench/results/latest.json (keys that
start with "capture."). About 4 minutes on 2 cores; --quick checks that it
works in well under a minute (figures meaningless):

    .venv/bin/python bench/capture_overhead.py [--repeats 11] [--epochs 5] [--quick]
        [--no-fit] [--no-loop] [--loop-steps 2000] [--prefix capture]

In the users' image (Python 3.8, TensorFlow 2.9 with its Keras and
TensorBoard; no MLflow there), from the venv the image-py38 suite builds:

    .tflog-test/image-py38/venv/bin/python bench/capture_overhead.py --prefix capture.image_py38
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import platform
import statistics
import sys
import tempfile
import time

from bench_support import ROOT, merge_results

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


# ------------------------------------------------------------------- peers
MISSING_PEER = (
    "{package} is not installed in this Python {python} (bash bench/setup.sh installs"
    " requirements/bench.txt into .venv)"
)
PEER_PACKAGES = {"tensorboard": "tensorboard", "mlflow": "mlflow"}


def missing_peers() -> dict:
    """Peer variant -> why it cannot run, for the peers not installed."""
    return {
        name: MISSING_PEER.format(package=package, python=platform.python_version())
        for name, package in PEER_PACKAGES.items()
        if importlib.util.find_spec(package) is None
    }


def mlflow_with_file_store(work: str):
    """MLflow writing to a local file store under `work`, experiment "bench"."""
    # MLflow 3 refuses the file store unless asked for it (it wants a database);
    # a directory of files is the local store a notebook user starts with.
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow

    # A directory that does not exist yet: the store creates its default experiment.
    mlflow.set_tracking_uri("file:" + os.path.join(work, "mlruns"))
    mlflow.set_experiment("bench")
    return mlflow


def nothing() -> None:
    return None


def timed(body, setup=nothing, settle=nothing, teardown=nothing) -> tuple[float, float]:
    """Wall and process CPU seconds of body() plus settle(), the flush of
    whatever the variant left for a background thread."""
    setup()
    started, cpu = time.perf_counter(), time.process_time()
    body()
    settle()
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    teardown()
    return elapsed


def interleaved(variants: dict, repeats: int) -> tuple[dict, dict]:
    """Runs every variant once to warm up, then `repeats` rounds in rotating
    order; returns wall and CPU seconds per variant, paired by round."""
    names = list(variants)
    seconds: dict = {name: [] for name in names}
    cpu_seconds: dict = {name: [] for name in names}
    for name in names:  # tracing, first summary writer, first MLflow run, ...
        variants[name]()
    for repeat in range(repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            wall, cpu = variants[name]()
            seconds[name].append(wall)
            cpu_seconds[name].append(cpu)
    return seconds, cpu_seconds


def paired_ratios(times: list, baseline: list) -> list:
    """time / baseline - 1 for each round."""
    return [with_ / base - 1 for with_, base in zip(times, baseline)]


def quartiles(values: list) -> list:
    """The 25th and 75th percentiles (inclusive method); one value: itself twice."""
    if len(values) < 2:
        return [values[0], values[0]]
    first, _, third = statistics.quantiles(values, n=4, method="inclusive")
    return [first, third]


def overhead_figures(prefix: str, seconds: dict, cpu_seconds: dict) -> dict:
    """`<prefix>.overhead_ratio*.<variant>` of every variant against "baseline"."""
    results = {}
    for name in seconds:
        if name == "baseline":
            continue
        wall = paired_ratios(seconds[name], seconds["baseline"])
        cpu = paired_ratios(cpu_seconds[name], cpu_seconds["baseline"])
        results[f"{prefix}.overhead_ratio.{name}"] = statistics.median(wall)
        results[f"{prefix}.overhead_ratio_cpu.{name}"] = statistics.median(cpu)
        # Fastest run against fastest run: robust to load from other processes,
        # which only ever adds time.
        results[f"{prefix}.overhead_ratio_min.{name}"] = (
            min(seconds[name]) / min(seconds["baseline"]) - 1
        )
        results[f"{prefix}.overhead_ratio_iqr.{name}"] = quartiles(wall)
        results[f"{prefix}.overhead_ratio_cpu_iqr.{name}"] = quartiles(cpu)
    results[f"{prefix}.seconds.all"] = {
        name: [round(value, 4) for value in values] for name, values in seconds.items()
    }
    results[f"{prefix}.cpu_seconds.all"] = {
        name: [round(value, 4) for value in values] for name, values in cpu_seconds.items()
    }
    return results


def unmeasured(prefix: str, missing: dict) -> dict:
    """Null figures, with the reason beside them, for peers that cannot run."""
    results: dict = {}
    for name, reason in missing.items():
        results[f"{prefix}.overhead_ratio.{name}"] = None
        results[f"{prefix}.overhead_ratio.{name}.reason"] = reason
    return results


class Handler:
    """A FileHandler attached to `logger` only while a variant runs."""

    def __init__(self, logger: logging.Logger, handler: logging.Handler) -> None:
        self.logger, self.handler = logger, handler

    def attach(self) -> None:
        self.logger.addHandler(self.handler)

    def detach(self) -> None:
        self.logger.removeHandler(self.handler)


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
    attached = Handler(train_log, peer_handler)
    board_dir = os.path.join(work, "tensorboard-fit")

    def fit(extra_callbacks=()) -> None:
        model.fit(
            x,
            y,
            batch_size=32,
            epochs=epochs,
            verbose=1,
            callbacks=[LogEveryBatch(), *extra_callbacks],
        )

    variants = {
        "baseline": lambda: timed(fit),
        "tflog": lambda: timed(fit, tflog.start, tflog.drain, tflog.stop),
        "filehandler": lambda: timed(fit, attached.attach, peer_handler.flush, attached.detach),
    }
    missing = missing_peers()
    if "tensorboard" not in missing:
        # The callback closes (flushes) its writers at the end of the fit.
        variants["tensorboard"] = lambda: timed(
            lambda: fit([keras.callbacks.TensorBoard(log_dir=board_dir, update_freq="batch")])
        )
    if "mlflow" not in missing:
        mlflow = mlflow_with_file_store(os.path.join(work, "fit"))

        def start_mlflow() -> None:
            mlflow.keras.autolog(
                log_every_epoch=False,
                log_every_n_steps=1,
                log_models=False,
                log_datasets=False,
                silent=True,
            )
            mlflow.start_run()

        def stop_mlflow() -> None:
            mlflow.end_run()
            mlflow.keras.autolog(disable=True)

        # Autologging queues metrics for a background thread: flushed in the window.
        variants["mlflow"] = lambda: timed(
            fit, start_mlflow, mlflow.flush_async_logging, stop_mlflow
        )
    real_stdout = sys.stdout
    with open(os.devnull, "w") as sink:
        # The user's own logging, the same in every variant: a stream handler.
        user_handler = logging.StreamHandler(sink)
        user_handler.setFormatter(logging.Formatter(ARTICLE_FORMAT))
        train_log.addHandler(user_handler)
        sys.stdout = sink  # progress bars go nowhere, identically for every variant
        try:
            seconds, cpu_seconds = interleaved(variants, repeats)
        finally:
            sys.stdout = real_stdout
            train_log.removeHandler(user_handler)
            peer_handler.close()

    steps = epochs * (len(x) // 32)
    results = overhead_figures("capture", seconds, cpu_seconds)
    # Kept under their earlier names for comparison with older results.
    results["capture.fit_seconds.all"] = results.pop("capture.seconds.all")
    results["capture.fit_cpu_seconds.all"] = results.pop("capture.cpu_seconds.all")
    results.update(unmeasured("capture", missing))
    results["capture.fit_seconds.baseline"] = statistics.median(seconds["baseline"])
    results["capture.fit_ms_per_step.baseline"] = (
        statistics.median(seconds["baseline"]) / steps * 1000
    )
    results["capture.fit_steps"] = steps
    results["capture.fit_keras_version"] = keras.__version__
    return results


# ---------------------------------------------------------- plain Python loop
class NumpyNetwork:
    """A two-layer network trained with plain SGD in NumPy: a training step
    of about a millisecond that never touches TensorFlow."""

    def __init__(self, batch: int = 64, inputs: int = 256, hidden: int = 256) -> None:
        import numpy as np

        self.np = np
        rng = np.random.RandomState(0)
        self.x = rng.rand(batch, inputs)
        self.y = self.x.sum(axis=1, keepdims=True) / inputs
        self.w1 = rng.randn(inputs, hidden) * 0.05
        self.w2 = rng.randn(hidden, 1) * 0.05

    def step(self, learning_rate: float = 0.01) -> float:
        np = self.np
        hidden = np.maximum(self.x @ self.w1, 0.0)
        error = hidden @ self.w2 - self.y
        grad_out = 2.0 * error / len(error)
        grad_hidden = (grad_out @ self.w2.T) * (hidden > 0)
        self.w2 -= learning_rate * (hidden.T @ grad_out)
        self.w1 -= learning_rate * (self.x.T @ grad_hidden)
        return float((error**2).mean())


def measure_loop(work: str, repeats: int, steps: int) -> dict:
    loop_log = logging.getLogger("bench.loop")
    loop_log.setLevel(logging.INFO)
    loop_log.propagate = False
    network = NumpyNetwork()
    tflog = Tflog(os.path.join(work, "spool-loop"))
    peer_handler = file_handler(work, "loop.log")
    attached = Handler(loop_log, peer_handler)

    def no_record(step: int, loss: float) -> None:
        return None

    def train(record=no_record) -> None:
        for step in range(steps):
            loss = network.step()
            loop_log.info("step %d loss %.4f", step, loss)
            record(step, loss)

    variants = {
        "baseline": lambda: timed(train),
        "tflog": lambda: timed(train, tflog.start, tflog.drain, tflog.stop),
        "filehandler": lambda: timed(train, attached.attach, peer_handler.flush, attached.detach),
    }
    missing = missing_peers()
    closers = []
    if "tensorboard" not in missing:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        writer = tf.summary.create_file_writer(os.path.join(work, "tensorboard-loop"))
        closers.append(writer.close)

        def summarise(step: int, loss: float) -> None:
            tf.summary.scalar("loss", loss, step=step)

        def with_summaries() -> None:
            with writer.as_default():
                train(summarise)

        variants["tensorboard"] = lambda: timed(with_summaries, settle=writer.flush)
    if "mlflow" not in missing:
        mlflow = mlflow_with_file_store(os.path.join(work, "loop"))

        def log_metric(step: int, loss: float) -> None:
            # What a loop would call: the default, synchronous write.
            mlflow.log_metric("loss", loss, step=step)

        variants["mlflow"] = lambda: timed(
            lambda: train(log_metric), mlflow.start_run, mlflow.flush_async_logging, mlflow.end_run
        )
    with open(os.devnull, "w") as sink:
        user_handler = logging.StreamHandler(sink)
        user_handler.setFormatter(logging.Formatter(ARTICLE_FORMAT))
        loop_log.addHandler(user_handler)
        try:
            seconds, cpu_seconds = interleaved(variants, repeats)
        finally:
            loop_log.removeHandler(user_handler)
            peer_handler.close()
            for close in closers:
                close()
    results = overhead_figures("capture.loop", seconds, cpu_seconds)
    results.update(unmeasured("capture.loop", missing))
    for name in seconds:
        if name == "baseline":
            continue
        extra = [
            (with_ - base) / steps * 1e6
            for with_, base in zip(cpu_seconds[name], cpu_seconds["baseline"])
        ]
        results[f"capture.loop.us_per_step.{name}"] = statistics.median(extra)
    for name in missing:
        results[f"capture.loop.us_per_step.{name}"] = None
        results[f"capture.loop.us_per_step.{name}.reason"] = missing[name]
    results["capture.loop.steps"] = steps
    results["capture.loop.ms_per_step.baseline"] = (
        statistics.median(seconds["baseline"]) / steps * 1000
    )
    return results


def shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list) and all(isinstance(item, float) for item in value):
        return "[" + ", ".join(f"{item:.4f}" for item in value) + "]"
    return str(value)


def package_version(name: str):
    """The installed version of a distribution, or None."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def rekeyed(key: str, prefix: str) -> str:
    """`capture.x` as `<prefix>.x`, so that a run in another environment keeps its own keys."""
    return prefix + key[len("capture") :] if key.startswith("capture.") else key


def main() -> None:
    parser = argparse.ArgumentParser(description="tflog capture overhead benchmark")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--loop-steps", type=int, default=2000)
    parser.add_argument("--no-fit", action="store_true", help="leave out the Keras fit")
    parser.add_argument("--no-loop", action="store_true", help="leave out the plain loop")
    parser.add_argument(
        "--quick", action="store_true", help="a short run that checks the script works"
    )
    parser.add_argument(
        "--prefix",
        default="capture",
        help="key prefix of the figures (capture.image_py38 for a run in the users' image)",
    )
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.records, args.epochs, args.loop_steps = 2, 2000, 1, 200
    # One BLAS thread: the loop's step then costs the same CPU on a loaded
    # machine as on a quiet one (before NumPy is first imported).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tflog-bench-") as work:
        results = measure_records(work, args.records, args.repeats)
        if not args.no_fit:
            results.update(measure_fit(work, args.repeats, args.epochs))
        if not args.no_loop:
            results.update(measure_loop(work, args.repeats, args.loop_steps))
    results["capture.meta"] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "tensorflow": package_version("tensorflow") or package_version("tensorflow-cpu"),
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "records": args.records,
        "epochs": args.epochs,
        "loop_steps": args.loop_steps,
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
    }
    for key, value in sorted(results.items()):
        if not key.endswith(".all"):
            print(f"{key:52} {shown(value)}")
    tflog_cost = results["capture.us_per_record.tflog"]
    peer_cost = results["capture.us_per_record.filehandler"]
    print(f"tflog per record / FileHandler per record = {tflog_cost / peer_cost:.2f} (budget 0.50)")
    if "capture.overhead_ratio.tflog" in results:
        print(
            f"tflog fit overhead = {results['capture.overhead_ratio.tflog']:.2%} (budget 2%; "
            f"CPU {results['capture.overhead_ratio_cpu.tflog']:.2%}, "
            f"fastest vs fastest {results['capture.overhead_ratio_min.tflog']:.2%})"
        )
    if args.prefix != "capture":
        results = {rekeyed(key, args.prefix): value for key, value in results.items()}
    print(f"written to {merge_results(results)}")


if __name__ == "__main__":
    main()
