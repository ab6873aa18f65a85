"""What one document costs the Elasticsearch node, by kind (the `cost` phase
of bench/ingest.py).

The ingest rate on two shared cores is bounded by the node's CPU, so this
measures, on the same node and the same input, the node's CPU per 1,000
documents of each kind tflog writes and of rsyslog's:

- `events` and `points`: what `tflog parse --format spool --documents
  --points` makes of the spool file, the documents the service stores,
  written with their ids into indices made by tflog's own templates (a
  service is started once, with an empty spool, to install them);
- `events_auto_ids`, `points_auto_ids`: the same without ids (what the
  deterministic ids cost);
- `events_minimal_mapping`: the same events into an index that maps only
  `@timestamp` and `message` (what the parsed fields' indexing costs, with
  the same `_source`);
- `rsyslog_lines`: each spool line as rsyslog ships it (`@timestamp`,
  `message`, `file`, in the mapping of the rsyslog phase).

The bulk bodies (1,000 documents each) are built before the clock starts;
only the node's CPU is counted (`/proc/<pid>/stat`), less its idle rate
measured first, from the first request until a refresh and 3 s after the
last. Kinds alternate for `repeats` rounds; the figure is the median.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

import bench_support as support

CLI = support.ROOT / "service" / "lib" / "cli.js"
BULK_DOCS = 1000
SETTLE_SECONDS = 3.0
IDLE_SECONDS = 5.0
KINDS = (
    "events",
    "points",
    "events_auto_ids",
    "points_auto_ids",
    "events_minimal_mapping",
    "rsyslog_lines",
)
# The rsyslog phase's index (bench/ingest.py): both measure the same.
RSYSLOG_MAPPING = {
    "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "file": {"type": "keyword"},
    }
}
MINIMAL_MAPPING = {
    "dynamic": False,
    "properties": {"@timestamp": {"type": "date"}, "message": {"type": "text", "norms": False}},
}


def event_part(document: dict) -> int:
    """The service's `tflog.part` (es-queries.ts eventPart): the position of
    an event among those of its spool record, from its id."""
    tflog = document["tflog"]
    if isinstance(tflog.get("part"), int):
        return tflog["part"]
    base = f"{tflog['run_id']}:{document['event']['sequence']}:"
    tail = document["_id"][len(base) :] if document["_id"].startswith(base) else ""
    return int(tail) if tail.isdigit() else 0


def split_parsed(output: str) -> tuple[list, list]:
    """(events, points) of `tflog parse --documents --points` output, each as
    (id, source) with the source as the service stores it."""
    events, points = [], []
    for line in output.splitlines():
        if not line:
            continue
        document = json.loads(line)
        if "tflog" in document:
            document["tflog"]["part"] = event_part(document)
            events.append((document.pop("_id"), document))
        else:
            points.append((document.pop("_id"), document))
    return events, points


def rsyslog_documents(spool_lines: list, file: str) -> list:
    """What the rsyslog phase stores per line (bench/ingest.py rsyslog_config)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return [(None, {"@timestamp": stamp, "message": line, "file": file}) for line in spool_lines]


def bulk_bodies(index: str, documents: list, with_ids: bool) -> list:
    """NDJSON bodies of BULK_DOCS `create` actions each."""
    bodies = []
    for start in range(0, len(documents), BULK_DOCS):
        lines = []
        for doc_id, source in documents[start : start + BULK_DOCS]:
            action = {"_index": index}
            if with_ids and doc_id is not None:
                action["_id"] = doc_id
            lines.append(json.dumps({"create": action}))
            lines.append(json.dumps(source))
        bodies.append(("\n".join(lines) + "\n").encode())
    return bodies


def per_thousand(cpu_seconds: float, idle_per_second: float, seconds: float, count: int) -> float:
    """Node CPU ms per 1,000 documents, less what it spends idle."""
    return max(0.0, cpu_seconds - idle_per_second * seconds) / count * 1e6


def lines_cost(ms_per_1k: dict, docs_per_line: dict) -> dict:
    """Node CPU ms per 1,000 input lines: tflog's events and points, rsyslog's lines."""
    figures = {}
    if ms_per_1k.get("events") is not None and ms_per_1k.get("points") is not None:
        figures["ingest.doc_cost.es_cpu_ms_per_1k_lines.tflog"] = (
            ms_per_1k["events"] * docs_per_line["events"]
            + ms_per_1k["points"] * docs_per_line["points"]
        )
    if ms_per_1k.get("rsyslog_lines") is not None:
        figures["ingest.doc_cost.es_cpu_ms_per_1k_lines.rsyslog"] = ms_per_1k["rsyslog_lines"]
    return figures


def post_bulk(url: str, body: bytes) -> None:
    request = urllib.request.Request(
        f"{url}/_bulk?filter_path=errors,items.*.error",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-ndjson"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise RuntimeError(f"bulk refused: {json.dumps(answer)[:500]}")


def measure_doc_cost(
    es: support.Elasticsearch,
    node_pid: int,
    spool_file: Path,
    work: Path,
    repeats: int,
) -> dict:
    prefix = support.random_prefix("cost")
    spool_lines = spool_file.read_text().splitlines()
    parsed = subprocess.run(
        ["node", str(CLI), "parse", "--format", "spool", "--documents", "--points"],
        stdin=spool_file.open("rb"),
        capture_output=True,
        text=True,
        check=True,
    )
    events, points = split_parsed(parsed.stdout)
    rsyslog = rsyslog_documents(spool_lines, str(spool_file))
    # The service installs tflog's templates for the prefix, then stops.
    service = support.Service(work / "cost-service", es.url, prefix)
    service.start()
    service.stop()
    sources = {
        "events": (events, f"{prefix}logs-cost", True, None),
        "points": (points, f"{prefix}metrics-cost", True, None),
        "events_auto_ids": (events, f"{prefix}logs-cost-auto", False, None),
        "points_auto_ids": (points, f"{prefix}metrics-cost-auto", False, None),
        "events_minimal_mapping": (events, f"{prefix}cost-minimal", True, MINIMAL_MAPPING),
        "rsyslog_lines": (rsyslog, f"{prefix}cost-rsyslog", False, RSYSLOG_MAPPING),
    }
    idle_start = support.cpu_seconds(node_pid)
    time.sleep(IDLE_SECONDS)
    idle_per_second = (support.cpu_seconds(node_pid) - idle_start) / IDLE_SECONDS
    samples: dict = {kind: [] for kind in KINDS}
    try:
        for round_number in range(repeats):
            for kind in KINDS:
                documents, base, with_ids, mapping = sources[kind]
                index = f"{base}-{round_number}"
                body = {"settings": {"number_of_shards": 1, "number_of_replicas": 0}}
                if mapping is not None:
                    body["mappings"] = mapping
                es.create_index(index, body)
                bodies = bulk_bodies(index, documents, with_ids)
                started = time.monotonic()
                cpu_before = support.cpu_seconds(node_pid)
                for payload in bodies:
                    post_bulk(es.url, payload)
                es.refresh(index)
                time.sleep(SETTLE_SECONDS)
                cpu = support.cpu_seconds(node_pid) - cpu_before
                elapsed = time.monotonic() - started
                samples[kind].append(per_thousand(cpu, idle_per_second, elapsed, len(documents)))
                shown = f"{samples[kind][-1]:.1f} ms per 1,000 documents"
                print(f"[ingest] cost {kind}, round {round_number + 1}: {shown}")
    finally:
        es.delete_prefix(prefix)
    ms_per_1k = {kind: statistics.median(values) for kind, values in samples.items()}
    lines = len(spool_lines)
    docs_per_line = {"events": len(events) / lines, "points": len(points) / lines}
    results: dict = {
        f"ingest.doc_cost.es_cpu_ms_per_1k_docs.{kind}": value for kind, value in ms_per_1k.items()
    }
    results.update(
        {
            "ingest.doc_cost.docs_per_line.events": docs_per_line["events"],
            "ingest.doc_cost.docs_per_line.points": docs_per_line["points"],
            "ingest.doc_cost.bytes_per_doc.events": mean_bytes(events),
            "ingest.doc_cost.bytes_per_doc.points": mean_bytes(points),
            "ingest.doc_cost.bytes_per_doc.rsyslog_lines": mean_bytes(rsyslog),
            "ingest.doc_cost.meta": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "lines": lines,
                "repeats": repeats,
                "idle_ms_per_s": round(idle_per_second * 1000, 1),
                "samples": {
                    kind: [round(value, 1) for value in values] for kind, values in samples.items()
                },
            },
        }
    )
    results.update(lines_cost(ms_per_1k, docs_per_line))
    return results


def mean_bytes(documents: list) -> float:
    return sum(len(json.dumps(source)) for _, source in documents) / max(1, len(documents))
