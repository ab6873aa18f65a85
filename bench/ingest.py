"""Ingest rate: the same spooled lines into the same Elasticsearch node by
tflog (full parsing) and by rsyslog (imfile + omelasticsearch, raw lines).

1. Writes `--lines` spool records (bench/spool_mix.py: Keras progress and
   epoch lines, logging records, prints, callback metrics) in `--runs` runs
   through the kernel side's own spool writer.
2. tflog: starts the service (service/lib/main.js) on an empty spool
   directory, waits until it ships, then links the spool files in and
   measures until every record is acknowledged and the Elasticsearch counts
   of its events and metric points (refreshed once a second) stop changing.
   Its CPU seconds and peak RSS come from /proc.
3. rsyslog: a private rsyslogd (`rsyslogd -n -f <conf> -i <pidfile>`, its own
   work directory; the system's syslog is never touched) with imfile in
   inotify mode on a directory and omelasticsearch in bulk mode (batches of
   1,000, as tflog's) into an index of its own; the same spool files are
   linked in as plain log files, and the count of its index must reach the
   number of lines.

docs/s: tflog's events plus metric points per second; rsyslog's documents
(one per line) per second. The ratio compares lines per second, the same
input for both. Needs TFLOG_TEST_ES_URL (bench/run.sh starts a node);
TFLOG_BENCH_ES_PID, when set, adds the node's CPU seconds to each phase.

4. cost (needs TFLOG_BENCH_ES_PID): what one document of each kind costs
   the node, on `--cost-lines` lines of the same mix (bench/doc_cost.py).

    .venv/bin/python bench/ingest.py [--lines 1000000] [--runs 10]
        [--only tflog,rsyslog,cost] [--cost-lines 50000] [--cost-repeats 2]
        [--batch-max-docs N] [--profile DIR] [--quick] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import bench_support as support
import spool_mix
from doc_cost import RSYSLOG_MAPPING, measure_doc_cost

PHASES = ("tflog", "rsyslog", "cost")
POLL_SECONDS = 1.0
RSYSLOG_BATCH = 1000
RSYSLOG_MODULE = "omelasticsearch.so"


def es_pid() -> int | None:
    value = os.environ.get("TFLOG_BENCH_ES_PID", "").strip()
    return int(value) if value.isdigit() else None


def write_input(directory: Path, lines: int, runs: int) -> tuple[list, int]:
    """`runs` finished spool files holding `lines` records in all."""
    directory.mkdir(parents=True, exist_ok=True)
    files, total = [], 0
    for index in range(runs):
        per_run = lines // runs + (1 if index < lines % runs else 0)
        run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-bench{index:03d}"
        path = directory / f"{run_id}.ndjson"
        total += spool_mix.write_run(path, run_id, per_run)
        files.append(path)
    return files, total


class Watch:
    """Polls counts until they reach their final value; `elapsed` ends at the
    first poll that saw it. A poll that fails (the node busy or restarting)
    is counted and polled again; only a stall ends the watch early."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self.started = time.monotonic()
        self.last_value = None
        self.changed_at = self.started
        self.failed_polls = 0
        self.last_failure = ""

    def poll(self, read):
        """read()'s value, or None when it failed."""
        try:
            return read()
        except (OSError, RuntimeError) as error:
            self.failed_polls += 1
            self.last_failure = str(error)
            print(f"[ingest] poll failed ({error}); polling again")
            return None

    def observe(self, value) -> None:
        if value != self.last_value:
            self.last_value = value
            self.changed_at = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds from the start to the poll that first saw the current value."""
        return self.changed_at - self.started

    def stalled(self) -> bool:
        return time.monotonic() - self.changed_at > self.stall_seconds


# ---------------------------------------------------------------------- tflog
def profile_hotspots(profile: dict, top: int = 15) -> dict:
    """Self time of a V8 .cpuprofile by function and by file, largest first,
    as percentages of the busy samples (idle ones are counted apart)."""
    by_function: Counter = Counter()
    by_file: Counter = Counter()
    busy = idle = 0
    for node in profile.get("nodes", []):
        hits = node.get("hitCount", 0)
        frame = node["callFrame"]
        name = frame.get("functionName") or "(anonymous)"
        if not hits:
            continue
        if name == "(idle)":
            idle += hits
            continue
        url = frame.get("url") or ""
        file = url.rsplit("/", 1)[-1] or "(native)"
        by_function[f"{name} {file}:{frame.get('lineNumber', -1) + 1}"] += hits
        by_file[file] += hits
        busy += hits

    def share(counter: Counter) -> list:
        return [[key, round(100 * hits / busy, 1)] for key, hits in counter.most_common(top)]

    return {
        "busy_samples": busy,
        "idle_samples": idle,
        "functions": share(by_function),
        "files": share(by_file),
    }


def ingest_tflog(args, es: support.Elasticsearch, files: list, lines: int, work: Path) -> dict:
    prefix = support.random_prefix("ingest")
    node_args = []
    profile_dir = None
    if args.profile:
        profile_dir = Path(args.profile).resolve()
        profile_dir.mkdir(parents=True, exist_ok=True)
        node_args = ["--cpu-prof", f"--cpu-prof-dir={profile_dir}"]
    # Unset: the service's default batch size, as users get it.
    extra_env = {"TFLOG_BATCH_MAX_DOCS": str(args.batch_max_docs)} if args.batch_max_docs else None
    service = support.Service(
        work / "tflog", es.url, prefix, node_args=node_args, extra_env=extra_env
    )
    pattern = f"{prefix}logs-*,{prefix}metrics-*"
    node_pid = es_pid()
    service.start()
    try:
        es_cpu = support.cpu_seconds(node_pid) if node_pid else None
        cpu = support.cpu_seconds(service.pid)
        watch = Watch(args.stall_seconds)
        for path in files:  # complete files appear at once, as hard links
            os.link(path, service.spool_dir / path.name)
        status = {}
        while True:
            time.sleep(POLL_SECONDS)
            polled = watch.poll(
                lambda: (
                    service.status(),
                    es.refresh(pattern),
                    es.count(f"{prefix}logs-*"),
                    es.count(f"{prefix}metrics-*"),
                )
            )
            if polled is None:
                if watch.stalled():
                    raise RuntimeError(f"tflog: polls failed for too long: {watch.last_failure}")
                continue
            status, _, events, points = polled
            counters = status["counters"]
            watch.observe((events, points, counters["recordsRead"]))
            acknowledged = counters["recordsRead"] >= lines and status["backlog"]["bytes"] == 0
            if acknowledged and time.monotonic() - watch.changed_at >= POLL_SECONDS:
                break  # one more poll saw the same counts: the final ones
            if watch.stalled():
                raise RuntimeError(
                    f"tflog stalled at {events} events, {points} points; status {status}"
                )
        seconds = watch.elapsed
        cpu = support.cpu_seconds(service.pid) - cpu
        memory = support.memory_mb(service.pid)
        es_cpu = support.cpu_seconds(node_pid) - es_cpu if node_pid else None
    finally:
        service.stop()
        if not args.keep:
            es.delete_prefix(prefix)
    results = {
        "ingest.docs_per_s.tflog": (events + points) / seconds,
        "ingest.records_per_s.tflog": lines / seconds,
        "ingest.seconds.tflog": seconds,
        "ingest.documents.tflog": {"events": events, "metric_points": points},
        "ingest.service_cpu_s": cpu,
        "ingest.service_cpu_ms_per_1k_records": cpu / lines * 1e6,
        "ingest.service_rss_mb": memory["peak"],
        "ingest.es_cpu_s.tflog": es_cpu,
        "ingest.tflog_counters": status["counters"],
    }
    if es_cpu is None:
        results["ingest.es_cpu_s.tflog.reason"] = "TFLOG_BENCH_ES_PID not set"
    if profile_dir is not None:
        profiles = sorted(profile_dir.glob("*.cpuprofile"), key=lambda path: path.stat().st_mtime)
        if profiles:
            hotspots = profile_hotspots(json.loads(profiles[-1].read_text()))
            hotspots["file"] = str(profiles[-1])
            # The profiled run may be shorter than the one the rates come from.
            hotspots["lines"] = lines
            hotspots["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            results["ingest.service_profile"] = hotspots
        else:
            print(f"[ingest] no .cpuprofile was written to {profile_dir}")
    return results


# -------------------------------------------------------------------- rsyslog
def rsyslog_config(work: Path, log_dir: Path, es_url: str, index: str) -> str:
    """A complete rsyslog configuration of its own: imfile on `log_dir`,
    every line to `index` in bulk, nothing else loaded."""
    host_port = es_url.split("://", 1)[-1].rstrip("/")
    host, _, port = host_port.partition(":")
    return f"""\
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imfile" mode="inotify")
module(load="omelasticsearch")
template(name="bench-json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="file" name="$!metadata!filename" format="jsonf")
}}
ruleset(name="to-elasticsearch") {{
  action(type="omelasticsearch" server="{host}" serverport="{port or 9200}"
         searchIndex="{index}" template="bench-json" bulkmode="on" esVersion.major="8"
         queue.type="LinkedList" queue.size="200000"
         queue.dequeueBatchSize="{RSYSLOG_BATCH}"
         action.resumeRetryCount="-1" errorFile="{work}/errors.json")
}}
input(type="imfile" File="{log_dir}/*.log" Tag="tflog-bench" addMetadata="on"
      ruleset="to-elasticsearch")
"""


def rsyslog_missing() -> str | None:
    """Why rsyslog cannot run here, or None."""
    if shutil.which("rsyslogd") is None and not Path("/usr/sbin/rsyslogd").exists():
        return "rsyslogd is not installed (bash bench/setup.sh: apt-get install rsyslog)"
    modules = list(Path("/usr/lib").glob(f"*/rsyslog/{RSYSLOG_MODULE}"))
    modules += list(Path("/usr/lib/rsyslog").glob(RSYSLOG_MODULE))
    if not modules:
        return "omelasticsearch is not installed (apt-get install rsyslog-elasticsearch)"
    return None


def ingest_rsyslog(args, es: support.Elasticsearch, files: list, lines: int, work: Path) -> dict:
    missing = rsyslog_missing()
    if missing:
        return {"ingest.docs_per_s.rsyslog": None, "ingest.docs_per_s.rsyslog.reason": missing}
    rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    prefix = support.random_prefix("rsyslog")
    index = f"{prefix}lines"
    es.create_index(
        index,
        {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"},
            "mappings": RSYSLOG_MAPPING,
        },
    )
    state = work / "rsyslog"
    log_dir = state / "logs"
    log_dir.mkdir(parents=True)
    config = state / "rsyslog.conf"
    config.write_text(rsyslog_config(state, log_dir, es.url, index))
    check = subprocess.run(
        [rsyslogd, "-N1", "-f", str(config)], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise RuntimeError(f"rsyslogd refused {config}:\n{check.stdout}{check.stderr}")
    node_pid = es_pid()
    with open(state / "rsyslogd.log", "wb") as log:
        process = subprocess.Popen(
            [rsyslogd, "-n", "-f", str(config), "-i", str(state / "rsyslogd.pid")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(1.0)  # rsyslogd sets up its inotify watches
            if process.poll() is not None:
                raise RuntimeError(f"rsyslogd exited with {process.returncode}; see {log.name}")
            es_cpu = support.cpu_seconds(node_pid) if node_pid else None
            cpu = support.cpu_seconds(process.pid)
            watch = Watch(args.stall_seconds)
            for path in files:
                os.link(path, log_dir / (path.stem + ".log"))
            count = 0
            while count < lines and not watch.stalled():
                time.sleep(POLL_SECONDS)
                polled = watch.poll(lambda: (es.refresh(index), es.count(index))[1])
                if polled is not None:
                    count = polled
                    watch.observe(count)
            seconds = watch.elapsed
            cpu = support.cpu_seconds(process.pid) - cpu
            memory = support.memory_mb(process.pid)
            es_cpu = support.cpu_seconds(node_pid) - es_cpu if node_pid else None
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if not args.keep:
                es.delete_prefix(prefix)
    errors = state / "errors.json"
    failed = len(errors.read_text().splitlines()) if errors.exists() else 0
    if count < lines:
        print(f"[ingest] rsyslog stalled at {count} of {lines} lines ({failed} error records)")
    results = {
        "ingest.docs_per_s.rsyslog": count / seconds,
        "ingest.seconds.rsyslog": seconds,
        "ingest.documents.rsyslog": count,
        "ingest.lost.rsyslog": lines - count,
        "ingest.rsyslog_cpu_s": cpu,
        "ingest.rsyslog_rss_mb": memory["peak"],
        "ingest.rsyslog_error_records": failed,
        "ingest.es_cpu_s.rsyslog": es_cpu,
        "ingest.rsyslog_version": rsyslog_version(rsyslogd),
    }
    if es_cpu is None:
        results["ingest.es_cpu_s.rsyslog.reason"] = "TFLOG_BENCH_ES_PID not set"
    return results


def rsyslog_version(rsyslogd: str) -> str:
    shown = subprocess.run([rsyslogd, "-v"], capture_output=True, text=True, check=False)
    first = shown.stdout.splitlines()[0] if shown.stdout else ""
    return first.split(" (")[0].strip()


def cost_figures(results: dict) -> dict:
    """What a line and a document cost: tflog's documents per line, and the
    node's CPU per 1,000 lines and per 1,000 documents of each shipper.
    CPU seconds vary less with other work on the machine than the rates do."""
    lines = results["ingest.lines"]
    figures = {}
    documents = {}
    tflog = results.get("ingest.documents.tflog")
    if tflog:
        documents["tflog"] = tflog["events"] + tflog["metric_points"]
        figures["ingest.docs_per_line.tflog"] = documents["tflog"] / lines
    if results.get("ingest.documents.rsyslog"):
        documents["rsyslog"] = results["ingest.documents.rsyslog"]
    for shipper, count in documents.items():
        es_cpu = results.get(f"ingest.es_cpu_s.{shipper}")
        if es_cpu is None:
            continue
        figures[f"ingest.es_cpu_ms_per_1k_lines.{shipper}"] = es_cpu / lines * 1e6
        figures[f"ingest.es_cpu_ms_per_1k_docs.{shipper}"] = es_cpu / count * 1e6
    return figures


def document_cost(args, es: support.Elasticsearch, work: Path) -> dict:
    node_pid = es_pid()
    if node_pid is None:
        reason = "TFLOG_BENCH_ES_PID not set: the node's CPU cannot be read"
        return {
            "ingest.doc_cost.es_cpu_ms_per_1k_docs.events": None,
            "ingest.doc_cost.es_cpu_ms_per_1k_docs.events.reason": reason,
        }
    spool_file = work / "cost" / "cost-run.ndjson"
    spool_file.parent.mkdir(parents=True)
    spool_mix.write_run(spool_file, "20261205T000000Z-cost", args.cost_lines)
    return measure_doc_cost(es, node_pid, spool_file, work, args.cost_repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description="tflog vs rsyslog ingest rate")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--only", default=",".join(PHASES), help="tflog,rsyslog,cost")
    parser.add_argument("--cost-lines", type=int, default=50_000, help="lines of the cost phase")
    parser.add_argument("--cost-repeats", type=int, default=2, help="rounds of the cost phase")
    parser.add_argument("--profile", help="write the service's V8 CPU profile to this directory")
    parser.add_argument(
        "--batch-max-docs",
        type=int,
        help="items per bulk request (TFLOG_BATCH_MAX_DOCS; default: the service's)",
    )
    parser.add_argument("--stall-seconds", type=float, default=120.0)
    parser.add_argument("--keep", action="store_true", help="keep the indices and work directory")
    parser.add_argument("--quick", action="store_true", help="20,000 lines: checks the script")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.runs = 20_000, 2
        args.cost_lines, args.cost_repeats = 2_000, 1
    phases = [phase for phase in args.only.split(",") if phase]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown or not phases:
        parser.error(f"--only: unknown part(s) {unknown} (choose from {', '.join(PHASES)})")
    es_url = os.environ.get("TFLOG_TEST_ES_URL", "").strip()
    if not es_url:
        parser.error("TFLOG_TEST_ES_URL must name the Elasticsearch node (bench/run.sh starts one)")
    es = support.Elasticsearch(es_url)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tflog-ingest-"))
    results: dict = {}
    try:
        if "tflog" in phases or "rsyslog" in phases:
            results.update(ingest_rates(args, phases, es, work, started))
        if "cost" in phases:
            results.update(document_cost(args, es, work))
    finally:
        if args.keep:
            print(f"[ingest] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for key, value in sorted(results.items()):
        shown = f"{value:.1f}" if isinstance(value, float) else value
        print(f"{key:44} {shown}")
    print(f"merged into {support.merge_results(results)}")


def ingest_rates(args, phases: list, es: support.Elasticsearch, work: Path, started: float) -> dict:
    """The tflog and rsyslog phases on the same input, and their ratio."""
    files, lines = write_input(work / "input", args.lines, args.runs)
    size = sum(path.stat().st_size for path in files)
    print(f"[ingest] {lines} spool lines ({size / 2**20:.0f} MiB) in {len(files)} runs")
    results: dict = {"ingest.lines": lines}
    if "tflog" in phases:
        results.update(ingest_tflog(args, es, files, lines, work))
    if "rsyslog" in phases:
        results.update(ingest_rsyslog(args, es, files, lines, work))
    tflog_rate = results.get("ingest.records_per_s.tflog")
    rsyslog_rate = results.get("ingest.docs_per_s.rsyslog")
    if tflog_rate and rsyslog_rate:
        results["ingest.ratio.tflog_to_rsyslog_lines"] = tflog_rate / rsyslog_rate
    results.update(cost_figures(results))
    results["ingest.meta"] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "lines": lines,
        "runs": args.runs,
        "input_mib": round(size / 2**20, 1),
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
        "batch_max_docs": args.batch_max_docs,
    }
    return results


if __name__ == "__main__":
    main()
