"""Prints the benchmark figures of bench/results/latest.json (or
TFLOG_BENCH_RESULTS): the required figures first, each with its goal when it
has one, a null with its reason, then every other key of the parts asked for.

    .venv/bin/python bench/report.py
        [--parts capture,ingest,latency,load,soak,faults,store,parse,alerts,history]
"""

from __future__ import annotations

import argparse
import json

import bench_support as support

# The figures the benchmark must fill (a figure not measured is null with a
# "<key>.reason" beside it), by part.
REQUIRED = {
    "capture": [
        "capture.overhead_ratio.tflog",
        "capture.overhead_ratio.filehandler",
        "capture.overhead_ratio.tensorboard",
        "capture.overhead_ratio.mlflow",
        "capture.loop.overhead_ratio.tflog",
        "capture.loop.overhead_ratio.filehandler",
        "capture.loop.overhead_ratio.tensorboard",
        "capture.loop.overhead_ratio.mlflow",
    ],
    "ingest": [
        "ingest.docs_per_s.tflog",
        "ingest.docs_per_s.rsyslog",
        "ingest.records_per_s.tflog",
        "ingest.ratio.tflog_to_rsyslog_lines",
        "ingest.service_cpu_s",
        "ingest.service_rss_mb",
    ],
    "latency": [
        "latency.log_to_chart_ms.p50",
        "latency.log_to_chart_ms.p95",
        "latency.log_to_chart_ms.p99",
        "latency.embedded.log_to_chart_ms.p50",
        "latency.embedded.log_to_chart_ms.p95",
        "latency.embedded.log_to_chart_ms.p99",
        "latency.log_to_searchable_ms.p50",
        "latency.log_to_searchable_ms.p95",
    ],
    "load": [
        "load.service_rss_mb.max",
        "load.backlog_mb.max",
        "load.backlog_growth_mb_per_s",
        "load.log_to_api_ms.p95",
        "load.log_to_api_ms.p99",
        "load.log_to_searchable_ms.p95",
        "reliability.records_written",
        "reliability.records_stored",
        "reliability.lost",
        "reliability.duplicated",
    ],
    "soak": [
        "soak.service_rss_mb.max",
        "soak.backlog_mb.max",
        "soak.backlog_growth_mb_per_s",
        "soak.log_to_api_ms.p95",
        "soak.log_to_api_ms.p99",
        "soak.log_to_searchable_ms.p95",
        "reliability.lost",
        "reliability.duplicated",
    ],
    "faults": [
        "faults.records_written",
        "faults.records_stored",
        "faults.lost",
        "faults.duplicated",
    ],
    "store": [
        "store.embedded.ingest_docs_per_s",
        "store.es.ingest_docs_per_s",
        "store.embedded.rss_mb.after_1m",
        "store.embedded.rss_mb.after_10m",
        "store.embedded.list_runs_ms.p95",
        "store.embedded.curve_1m_points_ms.p95",
        "store.embedded.startup_ms",
        "store.embedded.scale.db_mb",
        "store.embedded.scale.write_points_per_s",
        "store.embedded.tenth.list_runs_ms.p95",
        "store.embedded.tenth.curve_1m_points_ms.p95",
        "store.embedded.tenth.startup_ms",
        "store.embedded.tenth.scale.db_mb",
        "store.embedded.tenth.scale.write_points_per_s",
    ],
    "parse": [
        "parse.lines_per_s",
        "parse.floor_lines_per_s",
        "parse.ratio_to_floor",
    ],
    "history": [
        "history.list_runs_ms.p95",
        "history.curve_1m_points_ms.p95",
        "history.compare_20_runs_ms.p95",
        "history.log_search_ms.p95",
        "history.tenth.list_runs_ms.p95",
        "history.tenth.curve_1m_points_ms.p95",
        "history.tenth.compare_20_runs_ms.p95",
        "history.tenth.log_search_ms.p95",
        "history.embedded.tenth.list_runs_ms.p95",
        "history.embedded.tenth.curve_1m_points_ms.p95",
        "history.embedded.tenth.compare_20_runs_ms.p95",
        "history.embedded.tenth.log_search_ms.p95",
        "history.elasticsearch.tenth.list_runs_ms.p95",
        "history.elasticsearch.tenth.curve_1m_points_ms.p95",
        "history.elasticsearch.tenth.compare_20_runs_ms.p95",
        "history.elasticsearch.tenth.log_search_ms.p95",
    ],
    "alerts": [
        "alerts.nan_to_notification_ms.p50",
        "alerts.nan_to_notification_ms.p95",
        "alerts.embedded.nan_to_notification_ms.p50",
        "alerts.embedded.nan_to_notification_ms.p95",
    ],
}

# (figure, comparison, limit): the goals the issue sets.
GOALS = [
    ("latency.log_to_chart_ms.p95", "<", 250),
    ("latency.log_to_chart_ms.p99", "<", 500),
    ("latency.embedded.log_to_chart_ms.p95", "<", 250),
    ("latency.embedded.log_to_chart_ms.p99", "<", 500),
    ("latency.log_to_searchable_ms.p95", "<", 1500),
    ("ingest.ratio.tflog_to_rsyslog_lines", ">=", 1.0),
    ("load.log_to_api_ms.p95", "<", 250),
    ("load.log_to_api_ms.p99", "<", 500),
    ("load.log_to_searchable_ms.p95", "<", 1500),
    ("soak.log_to_api_ms.p95", "<", 250),
    ("soak.log_to_api_ms.p99", "<", 500),
    ("soak.log_to_searchable_ms.p95", "<", 1500),
    ("reliability.lost", "<=", 0),
    ("reliability.duplicated", "<=", 0),
    ("faults.lost", "<=", 0),
    ("faults.duplicated", "<=", 0),
    ("store.embedded.rss_mb.after_1m", "<", 150),
    ("store.embedded.rss_mb.after_10m", "<", 150),
    ("store.embedded.list_runs_ms.p95", "<", 100),
    ("store.embedded.curve_1m_points_ms.p95", "<", 300),
    ("store.embedded.startup_ms", "<", 2000),
    ("store.embedded.tenth.list_runs_ms.p95", "<", 100),
    ("store.embedded.tenth.curve_1m_points_ms.p95", "<", 300),
    ("store.embedded.tenth.startup_ms", "<", 2000),
    ("parse.lines_per_s", ">=", 200000),
    ("history.list_runs_ms.p95", "<", 300),
    ("history.curve_1m_points_ms.p95", "<", 300),
    ("history.compare_20_runs_ms.p95", "<", 500),
    ("history.log_search_ms.p95", "<", 500),
    ("history.tenth.list_runs_ms.p95", "<", 300),
    ("history.tenth.curve_1m_points_ms.p95", "<", 300),
    ("history.tenth.compare_20_runs_ms.p95", "<", 500),
    ("history.tenth.log_search_ms.p95", "<", 500),
    ("alerts.nan_to_notification_ms.p95", "<", 1000),
    ("alerts.embedded.nan_to_notification_ms.p95", "<", 1000),
]


def goal_verdict(value, comparison: str, limit: float) -> str:
    """'met', 'missed' or 'not measured'."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "not measured"
    met = {"<": value < limit, "<=": value <= limit, ">=": value >= limit}[comparison]
    return "met" if met else "missed"


def separated(first: list, second: list) -> bool:
    """True when two [q1, q3] spreads do not overlap: the difference between
    the medians is larger than the spread between repeats."""
    return first[1] < second[0] or second[1] < first[0]


def capture_resolution(results: dict) -> list:
    """For each peer of tflog in the capture figures: is the difference
    resolved by the run (spreads apart) or within the spread?"""
    lines = []
    for prefix in ("capture", "capture.loop"):
        ours = results.get(f"{prefix}.overhead_ratio_iqr.tflog")
        if not isinstance(ours, list):
            continue
        for peer in ("filehandler", "tensorboard", "mlflow"):
            theirs = results.get(f"{prefix}.overhead_ratio_iqr.{peer}")
            if isinstance(theirs, list):
                verdict = "resolved" if separated(ours, theirs) else "within the spread"
                lines.append(f"  {prefix}: tflog vs {peer:12} {verdict}")
    return lines


def shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def report_lines(results: dict, parts: list) -> list:
    lines = []
    required = [key for part in parts for key in REQUIRED.get(part, [])]
    lines.append("required figures")
    for key in dict.fromkeys(required):
        if key not in results:
            lines.append(f"  {key:44} (absent: the part did not run)")
            continue
        value = results[key]
        reason = results.get(f"{key}.reason")
        lines.append(f"  {key:44} {shown(value)}" + (f"  ({reason})" if reason else ""))
    goals = [goal for goal in GOALS if goal[0].split(".")[0] in parts or goal[0] in required]
    if goals:
        lines.append("goals")
        for key, comparison, limit in goals:
            verdict = goal_verdict(results.get(key), comparison, limit)
            lines.append(f"  {key:44} {comparison} {limit:<6g} {verdict}")
    if "capture" in parts:
        resolution = capture_resolution(results)
        if resolution:
            lines.append("capture differences against the spread between repeats (IQR)")
            lines.extend(resolution)
    prefixes = tuple(f"{part}." for part in parts)
    others = [key for key in sorted(results) if key.startswith(prefixes) and key not in required]
    if others:
        lines.append("all figures")
        for key in others:
            if not key.endswith((".all", ".samples")):
                lines.append(f"  {key:44} {shown(results[key])}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="print the benchmark figures")
    parser.add_argument("--parts", default="capture,ingest,latency,load,parse")
    args = parser.parse_args()
    path = support.results_path()
    results = json.loads(path.read_text()) if path.exists() else {}
    print(f"figures in {path}")
    for line in report_lines(results, [part for part in args.parts.split(",") if part]):
        print(line)


if __name__ == "__main__":
    main()
