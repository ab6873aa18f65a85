"""Parse speed: `tflog parse` over mixed training output, against the floor
of the same input and output format.

1. Writes `--lines` visible lines of raw kernel output (a seeded, so
   deterministic, mix: Keras 3 and Keras 2 progress bars as Keras writes
   them, with ANSI codes, `\\b` runs and `\\r`; Python logging lines;
   key=value and other custom-loop prints; TensorFlow C++ and absl lines).
2. Runs, `--repeats` times and alternating, `node service/lib/cli.js parse`
   (every line parsed; printed as its parsed fields) and the
   floor, bench/parse_floor.mjs: the same Node reading the same input, cut at
   the same `\\n` and `\\r`, and writing one JSON object per line
   (`{"message": ...}`), with no parsing. Both write to /dev/null; each
   run's output is first read once to check that every line came back
   and, from the parser, that each line the mix wrote with values carries
   metrics.
3. parse.lines_per_s and parse.floor_lines_per_s are the medians of the
   repeats (wall time of the whole command, start-up included), with every
   sample and the spread beside them; parse.ratio_to_floor is their ratio.
   On a shared machine the wall time also counts the time other processes
   had the CPU: parse.cpu_lines_per_s and parse.floor_cpu_lines_per_s
   divide by the command's own CPU seconds (user + system) instead.

With --profile DIR, one more parse run writes a V8 CPU profile to DIR and
its hot spots go into the figures (parse.profile).

    .venv/bin/python bench/parse.py [--lines 500000] [--repeats 5]
        [--seed 7] [--profile DIR] [--quick] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import bench_support as support
from ingest import profile_hotspots

CLI = support.ROOT / "service" / "lib" / "cli.js"
FLOOR = support.ROOT / "bench" / "parse_floor.mjs"
# Share of the lines by kind (Keras blocks count their header and bars).
MIX = (
    ("keras3", 0.30),
    ("keras2", 0.15),
    ("logging", 0.20),
    ("keyvalue", 0.20),
    ("tfcpp", 0.15),
)
BAR_WIDTH = 20
KERAS2_WIDTH = 30
START = 1795898500.0


class Mix:
    """The generator: each method returns (raw text, visible lines in it)."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.clock = START
        self.epochs_total = 10
        self.epoch = 0
        # Lines written that carry values the parser must read as metrics.
        self.metric_lines = 0

    def value(self) -> str:
        return f"{self.rnd.random():.4f}"

    def wall(self) -> tuple[str, str]:
        """An asctime and a TF C++ time, a few ms apart line after line."""
        self.clock += self.rnd.random() * 0.02
        seconds = int(self.clock)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
        fraction = self.clock - seconds
        return f"{stamp},{int(fraction * 1000):03d}", f"{stamp}.{int(fraction * 1e6):06d}"

    def keras3(self, budget: int) -> tuple[str, int]:
        steps = self.rnd.randint(8, 64)
        updates = min(budget - 1, self.rnd.randint(5, 30))
        self.epoch = self.epoch % self.epochs_total + 1
        parts = [f"Epoch {self.epoch}/{self.epochs_total}\n"]
        for index in range(updates):
            final = index == updates - 1
            step = steps if final else max(1, (index + 1) * steps // updates)
            done = BAR_WIDTH * step // steps
            bar = f"\x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (BAR_WIDTH - done)}\x1b[0m"
            metrics = f"accuracy: {self.value()} - loss: {self.value()}"
            if final:
                metrics += f" - val_accuracy: {self.value()} - val_loss: {self.value()}"
            line = (
                f"\x1b[1m{step:>2}/{steps}\x1b[0m {bar} \x1b[1m0s\x1b[0m "
                f"{self.rnd.randint(2, 9)}ms/step - {metrics}"
            )
            if final:
                parts.append(f"\r{line}\n")
            else:
                parts.append(f"\r{line}{chr(8) * len(line)}")
        self.metric_lines += updates
        return "".join(parts), updates + 1

    def keras2(self, budget: int) -> tuple[str, int]:
        steps = self.rnd.randint(8, 64)
        updates = min(budget - 1, self.rnd.randint(5, 30))
        self.epoch = self.epoch % self.epochs_total + 1
        parts = [f"Epoch {self.epoch}/{self.epochs_total}\n"]
        for index in range(updates):
            final = index == updates - 1
            step = steps if final else max(1, (index + 1) * steps // updates)
            done = KERAS2_WIDTH * step // steps
            if final:
                bar = "=" * KERAS2_WIDTH
                line = (
                    f"{step}/{steps} [{bar}] - 1s 9ms/step - loss: {self.value()} - "
                    f"accuracy: {self.value()} - val_loss: {self.value()} - "
                    f"val_accuracy: {self.value()}"
                )
                parts.append(f"\r{line}\n")
            else:
                bar = "=" * max(0, done - 1) + ">" + "." * (KERAS2_WIDTH - done)
                line = (
                    f"{step:>2}/{steps} [{bar}] - ETA: 0s - loss: {self.value()} - "
                    f"accuracy: {self.value()}"
                )
                parts.append(f"\r{line}{chr(8) * len(line)}")
        self.metric_lines += updates
        return "".join(parts), updates + 1

    def logging(self, budget: int) -> tuple[str, int]:
        asctime, _ = self.wall()
        kind = self.rnd.randrange(5)
        if kind == 0:
            step = self.rnd.randint(1, 100)
            line = (
                f"{asctime} - trainer - INFO - Epoch {self.rnd.randint(1, 5)}/5 - "
                f"Step {step}/100 - loss: {self.value()} - Train Acc: {self.value()}"
            )
        elif kind == 1:
            checkpoint = self.rnd.randint(1, 9999)
            line = f"{asctime} [INFO] Saving checkpoint to /tmp/run-3/ckpt-{checkpoint}"
        elif kind == 2:
            step = self.rnd.randint(1, 99999)
            line = f"INFO:tensorflow:loss = {self.value()}, step = {step} (0.2 sec)"
        elif kind == 3:
            norm = self.rnd.random() * 20
            line = f"{asctime} [WARNING] Gradient norm exceeded threshold: {norm:.1f}"
        else:
            images = self.rnd.randint(1000, 60000)
            line = f"{asctime} - data - INFO - Loaded {images} images in 3.2 s"
        # A loss, a loss and a step, a gradient norm: values; a path, a count of images: not.
        self.metric_lines += kind in (0, 2, 3)
        return line + "\n", 1

    def keyvalue(self, budget: int) -> tuple[str, int]:
        kind = self.rnd.randrange(5)
        step = self.rnd.randint(1, 99999)
        if kind == 0:
            line = f"step {step} loss={self.value()} lr=3e-4 grad_norm={self.value()}"
        elif kind == 1:
            line = (
                f"Epoch {self.rnd.randint(1, 9)} | Train Loss {self.value()} | "
                f"Val Acc {self.value()}"
            )
        elif kind == 2:
            line = (
                f"{{'loss': {self.value()}, 'grad_norm': {self.value()}, "
                f"'learning_rate': 5e-05, 'epoch': {self.rnd.random() * 3:.2f}}}"
            )
        elif kind == 3:
            line = f"[Epoch 2/5] loss: {self.value()} | val_loss: {self.value()}"
        else:
            line = f"iter {step}\tloss {self.value()}\tacc {self.value()}"
        self.metric_lines += 1
        return line + "\n", 1

    def tfcpp(self, budget: int) -> tuple[str, int]:
        _, cpp = self.wall()
        kind = self.rnd.randrange(3)
        if kind == 0:
            line = (
                f"{cpp}: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1928] "
                "Created device /job:localhost/replica:0/task:0/device:GPU:0 with 22000 MB "
                "memory:  -> device: 0, name: NVIDIA A10G, pci bus id: 0000:00:1e.0, "
                "compute capability: 8.6"
            )
        elif kind == 1:
            line = (
                f"{cpp}: W tensorflow/core/framework/op_kernel.cc:1768] OP_REQUIRES failed "
                "at xla_ops.cc:287 : INVALID_ARGUMENT: Trying to access resource"
            )
        else:
            seconds = self.clock
            line = (
                f"I0000 00:00:{seconds:.6f}   {self.rnd.randint(1000, 30000)} cudart_stub.cc:31] "
                "Could not find cuda drivers on your machine, GPU will not be used."
            )
        return line + "\n", 1


def write_input(path: Path, lines: int, seed: int) -> dict:
    """`lines` visible lines of the mix; returns what was written, by kind."""
    mix = Mix(seed)
    kinds = [kind for kind, _ in MIX]
    # A Keras block holds a header and 5 to 30 bars: 18.5 lines on average.
    weights = [share / (18.5 if kind.startswith("keras") else 1) for kind, share in MIX]
    written = 0
    counts = dict.fromkeys(kinds, 0)
    with open(path, "w", encoding="utf-8", newline="") as out:
        while written < lines:
            kind = mix.rnd.choices(kinds, weights)[0]
            budget = lines - written
            if kind in ("keras3", "keras2") and budget < 2:
                kind = "keyvalue"
            text, count = getattr(mix, kind)(budget)
            out.write(text)
            written += count
            counts[kind] += count
    counts["with_metrics"] = mix.metric_lines
    return counts


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list, input_path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the command, its output thrown away."""
    with open(input_path, "rb") as source:
        cpu = cpu_seconds()
        started = time.perf_counter()
        subprocess.run(command, stdin=source, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started, cpu_seconds() - cpu


def shown_lines(command: list, input_path: Path) -> list:
    with open(input_path, "rb") as source:
        shown = subprocess.run(command, stdin=source, capture_output=True, check=True)
    return shown.stdout.splitlines()


def spread(values: list) -> dict:
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    return {
        "median": round(statistics.median(ordered)),
        "min": round(ordered[0]),
        "max": round(ordered[-1]),
        "iqr": [round(quartiles[0]), round(quartiles[2])],
        "samples": [round(value) for value in values],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="tflog parse speed against its floor")
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", help="also write a V8 CPU profile of one parse run here")
    parser.add_argument("--keep", action="store_true", help="keep the generated input")
    parser.add_argument(
        "--quick", action="store_true", help="5,000 lines, 2 repeats: checks the script"
    )
    args = parser.parse_args()
    if args.quick:
        args.lines, args.repeats = 5_000, 2
    if not CLI.exists():
        raise SystemExit(f"{CLI} is missing: build the service (npm run build:service)")
    node = shutil.which("node") or "node"
    parse_command = [node, str(CLI), "parse"]
    floor_command = [node, str(FLOOR)]
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tflog-parse-bench-"))
    try:
        input_path = work / "mixed.txt"
        counts = write_input(input_path, args.lines, args.seed)
        size = input_path.stat().st_size
        print(f"[parse] {args.lines} lines ({size / 2**20:.1f} MiB): {counts}")
        # Every line must come back, from both; from the parser, every value read.
        for name, command in (("parse", parse_command), ("floor", floor_command)):
            shown = shown_lines(command, input_path)
            if len(shown) != args.lines:
                raise SystemExit(
                    f"[parse] {name} wrote {len(shown)} lines for {args.lines} input lines"
                )
            if name == "parse":
                with_metrics = sum("metrics" in json.loads(line) for line in shown)
                if with_metrics != counts["with_metrics"]:
                    raise SystemExit(
                        f"[parse] {with_metrics} lines with metrics for "
                        f"{counts['with_metrics']} in the input"
                    )
        rates: dict = {"parse": [], "floor": [], "parse_cpu": [], "floor_cpu": []}
        for repeat in range(args.repeats):
            for name, command in (("floor", floor_command), ("parse", parse_command)):
                wall, cpu = timed(command, input_path)
                rates[name].append(args.lines / wall)
                rates[f"{name}_cpu"].append(args.lines / cpu)
            print(
                f"[parse] repeat {repeat + 1}: parse {rates['parse'][-1]:,.0f} lines/s "
                f"({rates['parse_cpu'][-1]:,.0f} per CPU second), floor "
                f"{rates['floor'][-1]:,.0f} lines/s ({rates['floor_cpu'][-1]:,.0f})"
            )
        figures = {
            "parse.lines_per_s": spread(rates["parse"]),
            "parse.floor_lines_per_s": spread(rates["floor"]),
            "parse.cpu_lines_per_s": spread(rates["parse_cpu"]),
            "parse.floor_cpu_lines_per_s": spread(rates["floor_cpu"]),
        }
        results: dict = {"parse.lines": args.lines}
        for key, figure in figures.items():
            results[key] = figure["median"]
            for detail in ("min", "max", "iqr", "samples"):
                results[f"{key}.{detail}"] = figure[detail]
        results["parse.ratio_to_floor"] = round(
            results["parse.lines_per_s"] / results["parse.floor_lines_per_s"], 3
        )
        results["parse.cpu_ratio_to_floor"] = round(
            results["parse.cpu_lines_per_s"] / results["parse.floor_cpu_lines_per_s"], 3
        )
        if args.profile:
            profile_dir = Path(args.profile).resolve()
            profile_dir.mkdir(parents=True, exist_ok=True)
            profiled = [node, "--cpu-prof", f"--cpu-prof-dir={profile_dir}", *parse_command[1:]]
            timed(profiled, input_path)
            profiles = sorted(
                profile_dir.glob("*.cpuprofile"), key=lambda path: path.stat().st_mtime
            )
            results["parse.profile"] = profile_hotspots(json.loads(profiles[-1].read_text()))
            print(f"[parse] profile in {profiles[-1]}")
    finally:
        if args.keep:
            print(f"[parse] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    results["parse.meta"] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "node": node_version.stdout.strip(),
        "python": platform.python_version(),
        "lines": args.lines,
        "input_mib": round(size / 2**20, 1),
        "mix": counts,
        "seed": args.seed,
        "repeats": args.repeats,
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
    }
    for key, value in sorted(results.items()):
        print(f"{key:44} {value}")
    print(f"merged into {support.merge_results(results)}")


if __name__ == "__main__":
    main()
