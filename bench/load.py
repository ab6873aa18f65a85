"""Load and soak: many kernels writing at once into one tflog service.

`--kernels` stand-in kernels (bench/load_writer.py, one process each) write
`--rate` records per second each for `--seconds` through the kernel side's
own spool writer (tflog/kernel/spool.py), the mix of bench/spool_mix.py.
Real IPython kernels are not used: 20 of them printing 1,000 lines a second
would spend the two cores on ipykernel's messaging, not on tflog.

Meanwhile a probe run in this process prints `step i loss=v` every
`--probe-ms`, and both the service's query API (what the panel reads) and
Elasticsearch itself (a search) are polled for each step: log line to API
and log line to searchable latency under load. Every second the
service's RSS and its backlog (/status: spooled bytes not yet acknowledged
by the store) are sampled. When the writers are done, the benchmark waits
until the backlog is empty (drain time), then counts in Elasticsearch, per
run, the events stored against the records written: each record of the mix
yields one event carrying its sequence number, or, for a progress-bar state
a later line overwrote in the same batch, metric points whose ids carry it.
So `lost` = written minus the distinct sequence numbers found,
`duplicated` = events beyond one per sequence number (alerts, which carry
the sequence number of the record that raised them, left out).

The default, 4 kernels x 1,000 records/s, is what two cores shared by the
writers, the service and Elasticsearch can take; the issue's 20 kernels
need `--kernels 20` and a bigger machine (docs/benchmarks.md).

Keys `load.*` (`<name>.*` with --name, e.g. soak) and `reliability.*` (only when the
backlog drained: records still in the spool are late, not lost). Needs
TFLOG_TEST_ES_URL (bench/run.sh starts a node).

    .venv/bin/python bench/load.py [--kernels 4] [--rate 1000] [--seconds 60]
        [--users 1] [--hub] [--hub-max-bulks N] [--batch-max-docs N]
        [--name load|soak|NAME] [--quick]

`--users N` runs N services, one per user as on a hub (each user's server
runs its own), with their own spools, all storing in the same indices; the
kernels are dealt out among them and the probe is the first user's. RSS
figures are then the largest service's, backlog and records read their sums.
With `--hub` the users' services store through one tflog hub service
(TFLOG_MODE=hub, no quota), which alone writes to Elasticsearch, as on a
JupyterHub; a stand-in for JupyterHub's API tells it that token `user-N`
belongs to user-N (what `GET /hub/api/user` answers). Its RSS is reported
apart (`<name>.hub_rss_mb.max`), with its CPU seconds (`<name>.hub_cpu_s`)
and how many full batches it wrote at once (`<name>.hub_max_bulks`), with
its write order's counts at the end (`<name>.hub_writes`: batches refused
because their wait would have been too long, dropped because their sender
stopped waiting, and the estimated write time of a full batch, ms).
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import bench_support as support
import spool_mix

HERE = Path(__file__).resolve().parent
SAMPLE_SECONDS = 1.0
API_POLL_SECONDS = 0.05
PROBE_METRIC = "loss"


def growth_per_second(samples: list) -> float | None:
    """Least-squares slope of (time, value) samples; None for fewer than two."""
    if len(samples) < 2:
        return None
    count = len(samples)
    mean_t = sum(t for t, _ in samples) / count
    mean_v = sum(v for _, v in samples) / count
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in samples) / spread


def figure_name(text: str) -> str:
    """A key prefix for the figures (and the indices' names): lower case."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: a name is a lower-case letter, then letters, digits or '_'"
        )
    return text


def reliability(written: dict, distinct: dict, extra_copies: dict) -> dict:
    """Totals over runs. `written`: run -> records its writer wrote (sequence
    numbers 0..n-1); `distinct`: run -> records found stored; `extra_copies`:
    run -> events beyond the first for sequence numbers found more than once."""
    records_written = sum(written.values())
    distinct = {run: distinct.get(run, 0) for run in written}
    return {
        "records_written": records_written,
        "records_stored": sum(distinct.values()),
        "lost": sum(max(0, written[run] - distinct[run]) for run in written),
        "duplicated": sum(extra_copies.get(run, 0) for run in written),
    }


class Probe(threading.Thread):
    """A run printing `step i loss=v` every `interval` seconds until stopped;
    `emitted` holds (step, time.time() just before the print)."""

    def __init__(self, spool_dir: Path, interval: float) -> None:
        super().__init__(name="probe", daemon=True)
        self.run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-0be00000"
        self.writer = spool_mix.spool_writer(
            spool_dir / f"{self.run_id}.ndjson", spool_mix.start_record(self.run_id, "probe")
        )
        self.interval = interval
        self.emitted: list = []
        self.stopping = threading.Event()
        self.stats: dict = {}

    def run(self) -> None:
        step = 0
        while not self.stopping.is_set():
            step += 1
            self.emitted.append((step, time.time()))
            self.writer.stream("stdout", f"step {step} loss={1.0 / step:.6f}\n")
            self.stopping.wait(self.interval)
        self.stats = self.writer.close("finished", timeout=60).as_dict()


class ApiPoller(threading.Thread):
    """Polls the probe run's series through the service API; `seen` maps
    step -> time.time() when the request that first returned it was sent;
    `read_ms` holds each answered request's duration (a point that arrives
    while one is out is seen by the next, so it bounds the latency's floor)."""

    def __init__(self, api: str, run_id: str) -> None:
        super().__init__(name="api-poller", daemon=True)
        self.api = api
        self.run_id = run_id
        self.seen: dict = {}
        self.stopping = threading.Event()
        self.errors = 0
        self.last_error = ""
        self.read_ms: list = []

    def run(self) -> None:
        after = None
        while not self.stopping.is_set():
            sent = time.time()
            query = {"names": PROBE_METRIC, "axis": "step", "max_points": "10000"}
            if after is not None:
                query["after"] = str(after)
            url = (
                f"{self.api}/runs/{urllib.parse.quote(self.run_id)}/series?"
                f"{urllib.parse.urlencode(query)}"
            )
            try:
                series = support.http_json("GET", url, timeout=30)["series"]
                self.read_ms.append((time.time() - sent) * 1000)
            except (OSError, RuntimeError) as error:
                # 404 until the run's first records are stored; counted, not fatal.
                self.errors += 1
                self.last_error = str(error)
                series = []
            for line in series:
                for point in line["points"]:
                    self.seen.setdefault(point["x"], sent)
                    after = point["x"] if after is None else max(after, point["x"])
            self.stopping.wait(max(0.0, API_POLL_SECONDS - (time.time() - sent)))


class SearchPoller(threading.Thread):
    """Searches Elasticsearch itself for the probe run's events; `seen` maps
    step -> time.time() when the search that first returned it was sent."""

    def __init__(self, es: support.Elasticsearch, prefix: str, run_id: str) -> None:
        super().__init__(name="search-poller", daemon=True)
        self.es = es
        self.pattern = f"{prefix}logs-*"
        self.query = {
            "size": 10000,
            "_source": ["message"],
            "query": {"bool": {"filter": [{"term": {"tflog.run_id": run_id}}]}},
        }
        self.seen: dict = {}
        self.stopping = threading.Event()
        self.errors = 0
        self.last_error = ""

    def run(self) -> None:
        while not self.stopping.is_set():
            sent = time.time()
            try:
                hits = self.es.search(self.pattern, self.query)["hits"]["hits"]
            except (OSError, RuntimeError) as error:
                self.errors += 1  # a busy node answers 429/503: counted, polled again
                self.last_error = str(error)
                hits = []
            for hit in hits:
                message = hit["_source"].get("message", "")
                if message.startswith("step ") and " loss=" in message:
                    self.seen.setdefault(int(message.split()[1]), sent)
            self.stopping.wait(max(0.0, API_POLL_SECONDS - (time.time() - sent)))


class HubApi(threading.Thread):
    """JupyterHub's `GET /user` as the hub service asks it: the token
    `user-N` belongs to the user `user-N`; any other token is refused."""

    def __init__(self) -> None:
        super().__init__(name="hub-api", daemon=True)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the handler's API)
                token = self.headers.get("Authorization", "").partition(" ")[2]
                known = self.path.rstrip("/").endswith("/user") and re.fullmatch(r"user-\d+", token)
                body = json.dumps({"kind": "user", "name": token}).encode() if known else b"{}"
                self.send_response(200 if known else 403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # one line per question would flood the benchmark's output

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub/api"

    def run(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def point_sequence(point_id: str, run_id: str) -> int | None:
    """The record's sequence number in the id of one of its metric points
    (`<run>:<seq>:<name>` or `<run>:<seq>:<line>:<name>`), None for another
    run's point or a hashed id."""
    run, _, rest = point_id.partition(":")
    sequence = rest.partition(":")[0]
    return int(sequence) if run == run_id and sequence.isdigit() else None


def count_run(es: support.Elasticsearch, prefix: str, run_id: str) -> tuple[int, int]:
    """Records of a run found stored, and events beyond the first for repeated
    sequence numbers. A record is stored when an event carries its sequence
    number or, for a progress-bar state a later line overwrote (stored as its
    points only), when one of its points names it."""
    sequences: set = set()
    extra = 0
    after = None
    while True:
        composite = {"size": 10_000, "sources": [{"seq": {"terms": {"field": "event.sequence"}}}]}
        if after is not None:
            composite["after"] = after
        result = es.search(
            f"{prefix}logs-*",
            {
                "size": 0,
                "query": {
                    "bool": {
                        "filter": [{"term": {"tflog.run_id": run_id}}],
                        # An alert carries the sequence number of the record
                        # that raised it (or the run's last): not a record.
                        "must_not": [{"term": {"event.dataset": "tflog.alert"}}],
                    }
                },
                "aggs": {"sequences": {"composite": composite}},
            },
        )
        buckets = result["aggregations"]["sequences"]["buckets"]
        for bucket in buckets:
            sequences.add(bucket["key"]["seq"])
            extra += bucket["doc_count"] - 1
        after = result["aggregations"]["sequences"].get("after_key")
        if not buckets or after is None:
            break
    for point_id in es.ids(f"{prefix}metrics-*", {"term": {"run_id": run_id}}):
        sequence = point_sequence(point_id, run_id)
        if sequence is not None:
            sequences.add(sequence)
    return len(sequences), extra


def main() -> None:
    parser = argparse.ArgumentParser(description="tflog under load from many kernels")
    parser.add_argument("--kernels", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1000.0, help="records/s per kernel")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--users",
        type=int,
        default=1,
        help="services, one per user as on a hub; the kernels are dealt out among them",
    )
    parser.add_argument(
        "--hub",
        action="store_true",
        help="the users' services store through one hub service, as on a JupyterHub",
    )
    parser.add_argument(
        "--hub-max-bulks",
        type=int,
        default=0,
        help="TFLOG_HUB_MAX_BULKS of the hub service (0: the node's write threads)",
    )
    parser.add_argument("--probe-ms", type=float, default=200.0)
    parser.add_argument(
        "--batch-max-docs",
        type=int,
        help="items per bulk request (TFLOG_BATCH_MAX_DOCS; default: the service's)",
    )
    parser.add_argument(
        "--name", default="load", type=figure_name, help="key prefix: load, soak, soak_kernels20..."
    )
    parser.add_argument("--drain-seconds", type=float, default=None, help="wait at most this")
    parser.add_argument("--keep", action="store_true", help="keep the indices and work directory")
    parser.add_argument("--quick", action="store_true", help="4 kernels x 200/s for 10 s")
    args = parser.parse_args()
    if args.quick:
        args.kernels, args.rate, args.seconds = 4, 200.0, 10.0
    if not 1 <= args.users <= args.kernels:
        parser.error("--users must be between 1 and --kernels")
    drain_limit = args.drain_seconds or min(1200.0, max(300.0, 5 * args.seconds))
    es_url = os.environ.get("TFLOG_TEST_ES_URL", "").strip()
    if not es_url:
        parser.error("TFLOG_TEST_ES_URL must name the Elasticsearch node (bench/run.sh starts one)")
    es = support.Elasticsearch(es_url)
    prefix = support.random_prefix(args.name)
    work = Path(tempfile.mkdtemp(prefix=f"tflog-{args.name}-"))
    # One service per user, each with its own spool, state and lock, all
    # storing in the same indices; the first user's also gets the probe.
    extra_env = {"TFLOG_BATCH_MAX_DOCS": str(args.batch_max_docs)} if args.batch_max_docs else {}
    hub_api = HubApi() if args.hub else None
    hub = (
        support.Service(
            work / "hub",
            es_url,
            prefix,
            extra_env={
                "TFLOG_MODE": "hub",
                "JUPYTERHUB_API_URL": hub_api.url,
                "TFLOG_HUB_QUOTA_DOCS_PER_S": "0",
                "TFLOG_HUB_QUOTA_MB_PER_DAY": "0",
                "TFLOG_HUB_MAX_BULKS": str(args.hub_max_bulks),
            },
            token="user-0",
        )
        if hub_api
        else None
    )

    def user_env(user: int) -> dict:
        if hub is None:
            return extra_env
        return {
            **extra_env,
            "TFLOG_HUB_URL": f"http://127.0.0.1:{hub.port}",
            "TFLOG_HUB_TOKEN": f"user-{user}",
        }

    services = [
        support.Service(
            work / ("service" if args.users == 1 else f"service-{user}"),
            None if hub else es_url,
            prefix,
            extra_env=user_env(user),
        )
        for user in range(args.users)
    ]
    service = services[0]
    key = args.name
    started = time.monotonic()
    hub_rss: list = []
    hub_cpu_s = hub_max_bulks = hub_writes = None
    try:
        if hub_api and hub:
            hub_api.start()
            hub.start()
            hub_max_bulks = hub.status()["hub"]["writes"]["maxInFlight"]
        for each in services:
            each.start()
        probe = Probe(service.spool_dir, args.probe_ms / 1000)
        poller = ApiPoller(service.api, probe.run_id)
        searcher = SearchPoller(es, prefix, probe.run_id)
        run_ids = [
            time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{index:08x}"
            for index in range(args.kernels)
        ]
        load_started = time.monotonic()
        writers = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "load_writer.py"),
                    str(services[index % args.users].spool_dir),
                    run_id,
                    f"--rate={args.rate}",
                    f"--seconds={args.seconds}",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for index, run_id in enumerate(run_ids)
        ]
        probe.start()
        poller.start()
        searcher.start()
        # (seconds since the load started, the largest service's RSS MiB,
        # backlog MiB, records read: the last two summed over the services)
        samples = []

        def sample() -> tuple:
            statuses = [each.status() for each in services]
            backlog = sum(status["backlog"]["bytes"] for status in statuses)
            read = sum(status["counters"]["recordsRead"] for status in statuses)
            rss = max(support.memory_mb(each.pid)["rss"] for each in services)
            if hub is not None:
                hub_rss.append(support.memory_mb(hub.pid)["rss"])
            samples.append((time.monotonic() - load_started, rss, backlog / 2**20, read))
            return backlog, read

        while any(writer.poll() is None for writer in writers):
            sample()
            time.sleep(SAMPLE_SECONDS)
        load_seconds = time.monotonic() - load_started
        probe.stopping.set()
        probe.join(timeout=70)
        written = {}
        for writer, run_id in zip(writers, run_ids):
            output, _ = writer.communicate()
            if writer.returncode != 0:
                raise RuntimeError(f"load writer {run_id} failed with {writer.returncode}")
            stats = json.loads(output)
            if stats["dropped"]:
                raise RuntimeError(f"load writer {run_id} dropped records: {stats}")
            written[run_id] = stats["written"]
        written[probe.run_id] = probe.stats["written"]
        end_of_load = samples[-1] if samples else (0.0, 0.0, 0.0, 0)
        total = sum(written.values())
        drain_started = time.monotonic()
        while True:
            backlog, read = sample()
            drained = backlog == 0 and read >= total
            if drained or time.monotonic() - drain_started > drain_limit:
                break
            time.sleep(SAMPLE_SECONDS)
        drain_seconds = time.monotonic() - drain_started
        # Let the probe's last steps reach the API, then stop polling.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (
            len(poller.seen) < len(probe.emitted) or len(searcher.seen) < len(probe.emitted)
        ):
            time.sleep(0.1)
        for thread in (poller, searcher):
            thread.stopping.set()
            thread.join(timeout=30)
        if hub is not None:
            hub_cpu_s = support.cpu_seconds(hub.pid)
            writes = hub.status()["hub"]["writes"]
            hub_writes = {name: writes[name] for name in ("refused", "abandoned", "writeMs")}
        memories = [support.memory_mb(each.pid) for each in services]
        memory = {
            "rss": max(each["rss"] for each in memories),
            "peak": max(each["peak"] for each in memories),
        }
        es.refresh(f"{prefix}*")
        stored, extra = {}, {}
        for run_id in written:
            stored[run_id], extra[run_id] = count_run(es, prefix, run_id)
    finally:
        for each in services:
            each.stop()
        if hub is not None:
            hub.stop()
        if hub_api is not None:
            hub_api.stop()
        if not args.keep:
            es.delete_prefix(prefix)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"[{key}] kept {work} and the indices {prefix}*")

    def latencies(seen: dict) -> list:
        return [
            (seen[step] - emitted_at) * 1000 for step, emitted_at in probe.emitted if step in seen
        ]

    to_api, to_searchable = latencies(poller.seen), latencies(searcher.seen)
    second_half = [
        (t, backlog) for t, _, backlog, _ in samples if load_seconds / 2 <= t <= load_seconds
    ]
    counted = reliability(written, stored, extra)
    results = {
        f"{key}.kernels": args.kernels,
        f"{key}.users": args.users,
        f"{key}.through_hub": args.hub,
        f"{key}.rate_per_kernel": args.rate,
        f"{key}.seconds": args.seconds,
        f"{key}.offered_records_per_s": (total - written[probe.run_id]) / load_seconds,
        f"{key}.shipped_records_per_s": end_of_load[3] / load_seconds,
        f"{key}.service_rss_mb.max": max(rss for _, rss, _, _ in samples),
        f"{key}.service_rss_mb.end": memory["rss"],
        f"{key}.service_rss_mb.peak": memory["peak"],
        f"{key}.backlog_mb.max": max(backlog for _, _, backlog, _ in samples),
        f"{key}.backlog_mb.end_of_load": end_of_load[2],
        f"{key}.backlog_growth_mb_per_s": growth_per_second(second_half),
        f"{key}.drain_seconds": drain_seconds,
        f"{key}.drained": drained,
        f"{key}.log_to_api_ms.missing": len(probe.emitted) - len(to_api),
        f"{key}.log_to_searchable_ms.missing": len(probe.emitted) - len(to_searchable),
        f"{key}.api_poll_errors": poller.errors,
        f"{key}.search_poll_errors": searcher.errors,
        f"{key}.samples": [
            [round(t, 1), round(rss, 1), round(backlog, 2), read]
            for t, rss, backlog, read in samples[:: max(1, len(samples) // 120)]
        ],
        f"{key}.meta": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "cpus": os.cpu_count(),
            "writers": "processes writing through tflog/kernel/spool.py (no IPython kernels)",
            "probe_ms": args.probe_ms,
            "batch_max_docs": args.batch_max_docs,
            "quick": args.quick,
            "seconds": round(time.monotonic() - started, 1),
        },
    }
    results.update(support.flatten(f"{key}.log_to_api_ms", support.summarise(to_api)))
    results.update(support.flatten(f"{key}.log_to_searchable_ms", support.summarise(to_searchable)))
    results.update(support.flatten(f"{key}.api_read_ms", support.summarise(poller.read_ms)))
    if hub_rss:
        results[f"{key}.hub_rss_mb.max"] = max(hub_rss)
        results[f"{key}.hub_cpu_s"] = hub_cpu_s
        results[f"{key}.hub_max_bulks"] = hub_max_bulks
        results[f"{key}.hub_writes"] = hub_writes
    if drained:
        # Each named load keeps its own counts; reliability.* is the last one's.
        results.update({f"{key}.{name}": value for name, value in counted.items()})
        results.update({f"reliability.{name}": value for name, value in counted.items()})
        results["reliability.source"] = (
            f"{key}: {args.kernels} writers x {args.rate:g}/s x {args.seconds:g} s"
            + (f" into {args.users} services" if args.users > 1 else "")
            + (" through a hub service" if args.hub else "")
        )
    else:
        # Records still in the spool are late, not lost: no reliability figures.
        results[f"{key}.reliability_not_counted.reason"] = (
            f"the backlog did not drain within {drain_limit:.0f} s"
        )
    for name, value in sorted(results.items()):
        if not name.endswith(".samples"):
            shown = f"{value:.1f}" if isinstance(value, float) else value
            print(f"{name:40} {shown}")
    for name, thread in (("API", poller), ("search", searcher)):
        if thread.errors:
            print(f"[{key}] {thread.errors} {name} polls failed; last: {thread.last_error}")
    print(f"merged into {support.merge_results(results)}")


if __name__ == "__main__":
    main()
