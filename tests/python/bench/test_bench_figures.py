"""The benchmarks' pure parts: how figures are computed from measurements,
the spool mix they feed, the rsyslog configuration, the printed report."""

import argparse
import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


def bench_module(name: str):
    """A bench script as a module (they import each other by bare name)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


bench_support = bench_module("bench_support")
capture_overhead = bench_module("capture_overhead")
doc_cost = bench_module("doc_cost")
ingest = bench_module("ingest")
load = bench_module("load")
report = bench_module("report")
spool_mix = bench_module("spool_mix")
store = bench_module("store")


# ------------------------------------------------------------------- capture
def test_paired_ratios_compare_each_round_with_its_own_baseline():
    assert capture_overhead.paired_ratios([1.1, 2.4], [1.0, 2.0]) == pytest.approx([0.1, 0.2])


def test_quartiles_of_one_value_are_that_value():
    assert capture_overhead.quartiles([0.5]) == [0.5, 0.5]
    assert capture_overhead.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == [2.0, 4.0]


def test_overhead_figures_for_every_variant_but_the_baseline():
    seconds = {"baseline": [1.0, 1.0, 1.2], "tflog": [1.1, 1.0, 1.2], "peer": [2.0, 2.2, 2.4]}
    cpu = {"baseline": [0.5, 0.5, 0.5], "tflog": [0.6, 0.5, 0.55], "peer": [1.0, 1.0, 1.0]}
    figures = capture_overhead.overhead_figures("capture.loop", seconds, cpu)
    assert figures["capture.loop.overhead_ratio.tflog"] == pytest.approx(0.0)
    assert figures["capture.loop.overhead_ratio.peer"] == pytest.approx(1.0)
    assert figures["capture.loop.overhead_ratio_cpu.peer"] == pytest.approx(1.0)
    assert figures["capture.loop.overhead_ratio_min.peer"] == pytest.approx(1.0)
    assert figures["capture.loop.overhead_ratio_iqr.tflog"] == pytest.approx([0.0, 0.05])
    assert "capture.loop.overhead_ratio.baseline" not in figures
    assert figures["capture.loop.seconds.all"]["peer"] == [2.0, 2.2, 2.4]


def test_a_peer_that_cannot_run_is_null_with_its_reason():
    figures = capture_overhead.unmeasured("capture", {"mlflow": "mlflow is not installed"})
    assert figures == {
        "capture.overhead_ratio.mlflow": None,
        "capture.overhead_ratio.mlflow.reason": "mlflow is not installed",
    }


def test_a_run_in_another_environment_keeps_its_own_keys():
    assert (
        capture_overhead.rekeyed("capture.overhead_ratio.tflog", "capture.image_py38")
        == "capture.image_py38.overhead_ratio.tflog"
    )
    assert capture_overhead.rekeyed("capture.meta", "capture.image_py38") == (
        "capture.image_py38.meta"
    )
    assert capture_overhead.rekeyed("capturemeta", "capture.image_py38") == "capturemeta"


def test_the_numpy_step_trains():
    network = capture_overhead.NumpyNetwork(batch=8, inputs=16, hidden=8)
    first = network.step(learning_rate=0.05)
    for _ in range(200):
        last = network.step(learning_rate=0.05)
    assert last < first


# ---------------------------------------------------------------- spool mix
def test_a_run_holds_exactly_the_records_asked_for_with_dense_sequence_numbers(tmp_path):
    path = tmp_path / "run.ndjson"
    written = spool_mix.write_run(path, "20260101T000000Z-0000abcd", 3000)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert written == len(records) == 3000
    assert [record["seq"] for record in records] == list(range(3000))
    kinds = {record["t"] for record in records}
    assert kinds == {"start", "hparams", "stream", "log", "metrics", "end"}
    texts = [record["text"] for record in records if record["t"] == "stream"]
    assert any(text.startswith("Epoch 1/") for text in texts)
    assert any(text.startswith("step ") and text.endswith("\n") for text in texts)
    assert any("\x1b[" in text and text.endswith("\b\r") for text in texts)


def test_the_last_state_of_a_progress_bar_ends_the_line():
    assert spool_mix.progress_state(500, 500, 0.5, 0.7, final=True).endswith("loss: 0.5000\n")
    assert spool_mix.progress_state(1, 500, 0.5, 0.7, final=False).endswith("\r")


# -------------------------------------------------------------------- ingest
def test_profile_hotspots_share_the_busy_samples_by_function_and_file():
    def node(name, url, line, hits):
        return {
            "callFrame": {"functionName": name, "url": url, "lineNumber": line},
            "hitCount": hits,
        }

    profile = {
        "nodes": [
            node("(idle)", "", -1, 90),
            node("parse", "file:///x/parser.js", 9, 6),
            node("", "file:///x/parser.js", 1, 2),
            node("(garbage collector)", "", -1, 2),
            node("unused", "a.js", 3, 0),
        ]
    }
    hotspots = ingest.profile_hotspots(profile)
    assert hotspots["busy_samples"] == 10
    assert hotspots["idle_samples"] == 90
    assert hotspots["functions"][0] == ["parse parser.js:10", 60.0]
    assert hotspots["files"] == [["parser.js", 80.0], ["(native)", 20.0]]


def test_elasticsearch_cost_is_per_line_and_per_document_for_both_shippers():
    measured = {
        "ingest.lines": 200_000,
        "ingest.documents.tflog": {"events": 200_000, "metric_points": 300_000},
        "ingest.es_cpu_s.tflog": 50.0,
        "ingest.documents.rsyslog": 200_000,
        "ingest.es_cpu_s.rsyslog": 15.0,
    }
    assert ingest.cost_figures(measured) == {
        "ingest.docs_per_line.tflog": 2.5,
        "ingest.es_cpu_ms_per_1k_lines.tflog": 250.0,
        "ingest.es_cpu_ms_per_1k_docs.tflog": 100.0,
        "ingest.es_cpu_ms_per_1k_lines.rsyslog": 75.0,
        "ingest.es_cpu_ms_per_1k_docs.rsyslog": 75.0,
    }


def test_elasticsearch_cost_is_left_out_where_the_node_was_not_measured():
    measured = {
        "ingest.lines": 1000,
        "ingest.documents.tflog": {"events": 1000, "metric_points": 500},
        "ingest.es_cpu_s.tflog": None,
    }
    assert ingest.cost_figures(measured) == {"ingest.docs_per_line.tflog": 1.5}


def test_document_cost_splits_parsed_output_as_the_service_stores_it():
    event = {
        "_id": "run-1:7:2",
        "message": "loss 0.5",
        "event": {"sequence": 7},
        "tflog": {"run_id": "run-1", "kind": "step"},
    }
    first = {**event, "_id": "run-1:8", "event": {"sequence": 8}, "tflog": {"run_id": "run-1"}}
    point = {"_id": "run-1:7:2:loss", "name": "loss", "run_id": "run-1", "value": 0.5}
    output = "\n".join(json.dumps(item) for item in (event, first, point)) + "\n"
    events, points = doc_cost.split_parsed(output)
    assert [(doc_id, source["tflog"]["part"]) for doc_id, source in events] == [
        ("run-1:7:2", 2),
        ("run-1:8", 0),
    ]
    assert all("_id" not in source for _, source in events + points)
    assert points == [("run-1:7:2:loss", {"name": "loss", "run_id": "run-1", "value": 0.5})]


def test_document_cost_bodies_carry_ids_only_when_asked():
    documents = [(f"id-{index}", {"n": index}) for index in range(2500)]
    with_ids = doc_cost.bulk_bodies("index-a", documents, with_ids=True)
    without = doc_cost.bulk_bodies("index-a", documents, with_ids=False)
    assert len(with_ids) == 3 and len(without) == 3
    lines = with_ids[2].decode().splitlines()
    assert json.loads(lines[0]) == {"create": {"_index": "index-a", "_id": "id-2000"}}
    assert json.loads(lines[1]) == {"n": 2000} and len(lines) == 1000
    assert json.loads(without[0].decode().splitlines()[0]) == {"create": {"_index": "index-a"}}


def test_document_cost_per_line_weighs_each_kind_by_its_documents_per_line():
    # 10 s of node CPU over 20 s with 0.1 s/s idle: 8 s for 100,000 documents.
    assert doc_cost.per_thousand(10.0, 0.1, 20.0, 100_000) == pytest.approx(80.0)
    assert doc_cost.per_thousand(1.0, 0.1, 20.0, 1000) == 0.0
    figures = doc_cost.lines_cost(
        {"events": 100.0, "points": 50.0, "rsyslog_lines": 40.0},
        {"events": 1.0, "points": 1.5},
    )
    assert figures == {
        "ingest.doc_cost.es_cpu_ms_per_1k_lines.tflog": 175.0,
        "ingest.doc_cost.es_cpu_ms_per_1k_lines.rsyslog": 40.0,
    }


def test_the_rsyslog_configuration_is_self_contained():
    config = ingest.rsyslog_config(
        Path("/w/rsyslog"), Path("/w/rsyslog/logs"), "http://127.0.0.1:19301", "bench-lines"
    )
    assert 'global(workDirectory="/w/rsyslog"' in config
    assert 'File="/w/rsyslog/logs/*.log"' in config
    assert 'server="127.0.0.1" serverport="19301"' in config
    assert 'searchIndex="bench-lines"' in config
    # omelasticsearch of rsyslog 8.2302 sends _type, which Elasticsearch 8+
    # refuses, unless it is told the server's major version.
    assert 'bulkmode="on" esVersion.major="8"' in config
    assert "imuxsock" not in config and "imklog" not in config


def test_watch_times_the_poll_that_first_saw_the_final_value(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(ingest.time, "monotonic", lambda: now[0])
    watch = ingest.Watch(stall_seconds=5)
    for value in (10, 20, 30, 30, 30):
        now[0] += 1
        watch.observe(value)
    assert watch.elapsed == 3.0
    assert not watch.stalled()
    now[0] += 10
    assert watch.stalled()


# ---------------------------------------------------------------------- load
def test_reliability_counts_lost_and_duplicated_records_per_run():
    written = {"a": 100, "b": 50, "c": 10}
    distinct = {"a": 100, "b": 49, "c": 7}
    extra_copies = {"b": 3}  # b: 49 distinct sequence numbers, 3 extra copies
    assert load.reliability(written, distinct, extra_copies) == {
        "records_written": 160,
        "records_stored": 156,
        "lost": 4,
        "duplicated": 3,
    }


def test_a_point_id_names_its_record_of_its_run_only():
    assert (
        load.point_sequence("20261206T010203Z-00000001:42:loss", "20261206T010203Z-00000001") == 42
    )
    assert load.point_sequence("r:42:3:val_loss", "r") == 42
    assert load.point_sequence("other:42:loss", "r") is None
    assert load.point_sequence("r:a1b2c3:loss", "r") is None


def test_backlog_growth_is_the_least_squares_slope():
    assert load.growth_per_second([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert load.growth_per_second([(0, 1.0)]) is None


# -------------------------------------------------------- support and report
def test_percentiles_are_nearest_rank_as_in_the_latency_benchmark():
    values = list(range(1, 101))
    assert bench_support.percentile(values, 95) == 95
    assert bench_support.percentile([], 50) is None
    summary = bench_support.summarise([10.0, 20.0, 30.0])
    assert summary == {"p50": 20.0, "p95": 30.0, "p99": 30.0, "mean": 20.0, "max": 30.0, "n": 3}


def test_merging_results_keeps_the_other_benchmarks_keys(tmp_path):
    path = tmp_path / "latest.json"
    path.write_text(json.dumps({"capture.x": 1, "ingest.y": 2}))
    bench_support.merge_results({"ingest.y": 3, "ingest.z": None}, path)
    assert json.loads(path.read_text()) == {"capture.x": 1, "ingest.y": 3, "ingest.z": None}


def test_merged_results_keep_text_unescaped_as_the_node_parts_write_it(tmp_path):
    path = tmp_path / "latest.json"
    bench_support.merge_results({"history.x.reason": "not run \u2014 too slow"}, path)
    assert "not run \u2014 too slow" in path.read_text(encoding="utf-8")


def test_goal_verdicts():
    assert report.goal_verdict(240.0, "<", 250) == "met"
    assert report.goal_verdict(250.0, "<", 250) == "missed"
    assert report.goal_verdict(1.2, ">=", 1.0) == "met"
    assert report.goal_verdict(None, "<", 250) == "not measured"
    assert report.goal_verdict(True, "<=", 0) == "not measured"


def test_the_report_shows_a_null_figure_with_its_reason_and_an_absent_one():
    results = {
        "ingest.docs_per_s.tflog": 21000.0,
        "ingest.docs_per_s.rsyslog": None,
        "ingest.docs_per_s.rsyslog.reason": "rsyslogd is not installed",
    }
    text = "\n".join(report.report_lines(results, ["ingest"]))
    assert "ingest.docs_per_s.rsyslog" in text and "(rsyslogd is not installed)" in text
    assert "ingest.service_rss_mb" in text and "absent" in text
    assert "ingest.ratio.tflog_to_rsyslog_lines" in text and "not measured" in text


def test_a_capture_difference_is_resolved_only_when_the_spreads_are_apart():
    assert report.separated([0.00, 0.02], [0.05, 0.09])
    assert not report.separated([0.00, 0.06], [0.05, 0.09])
    results = {
        "capture.overhead_ratio_iqr.tflog": [0.00, 0.02],
        "capture.overhead_ratio_iqr.filehandler": [0.01, 0.03],
        "capture.overhead_ratio_iqr.mlflow": [4.5, 4.7],
    }
    assert report.capture_resolution(results) == [
        "  capture: tflog vs filehandler  within the spread",
        "  capture: tflog vs mlflow       resolved",
    ]


def test_a_failed_poll_is_counted_and_the_watch_goes_on():
    watch = ingest.Watch(stall_seconds=60)

    def refused():
        raise ConnectionRefusedError("connection refused")

    assert watch.poll(refused) is None
    assert watch.poll(lambda: 42) == 42
    assert watch.failed_polls == 1 and "refused" in watch.last_failure


# --------------------------------------------------------------------- store
def test_store_spool_sets_written_together_share_no_run(tmp_path):
    first, first_lines = store.write_spool(tmp_path / "first", 300, 3, "first")
    more, more_lines = store.write_spool(tmp_path / "more", 500, 4, "more")
    written = {path: path.read_text().splitlines() for path in first + more}
    assert sum(len(lines) for lines in written.values()) == first_lines + more_lines >= 800
    run_ids = set()
    for path, lines in written.items():
        start = json.loads(lines[0])
        assert start["t"] == "start" and start["run"] == path.stem
        run_ids.add(start["run"])
    assert len(run_ids) == 7


def test_the_store_report_checks_every_goal_of_the_part():
    results = {
        "store.embedded.rss_mb.after_1m": 120.0,
        "store.embedded.rss_mb.after_10m": 180.0,
        "store.embedded.list_runs_ms.p95": 4.2,
        "store.embedded.curve_1m_points_ms.p95": None,
        "store.embedded.curve_1m_points_ms.p95.reason": "scale.mjs exited with 1",
        "store.embedded.startup_ms": 90.0,
    }
    lines = report.report_lines(results, ["store"])
    verdicts = {line.split()[0]: line.split()[-1] for line in lines if line.startswith("  ")}
    assert verdicts["store.embedded.rss_mb.after_1m"] == "met"
    assert verdicts["store.embedded.rss_mb.after_10m"] == "missed"
    assert verdicts["store.embedded.list_runs_ms.p95"] == "met"
    assert verdicts["store.embedded.startup_ms"] == "met"
    text = "\n".join(lines)
    assert "(scale.mjs exited with 1)" in text
    goals = [line.split() for line in lines[lines.index("goals") + 1 :]]
    assert ["store.embedded.curve_1m_points_ms.p95", "<", "300", "not", "measured"] in goals
    assert "store.es.ingest_docs_per_s" in text and "absent" in text


def test_a_store_figure_measured_again_loses_its_old_reason(tmp_path):
    path = tmp_path / "latest.json"
    bench_support.merge_results(
        {"store.x": None, "store.x.reason": "failed", "ingest.y": None, "ingest.y.reason": "no"},
        path,
    )
    bench_support.merge_results({"store.x": 12.5}, path)
    store.drop_stale_reasons(path)
    assert json.loads(path.read_text()) == {
        "store.x": 12.5,
        "ingest.y": None,
        "ingest.y.reason": "no",
    }


def test_the_history_report_checks_the_issue_goals_at_both_sizes():
    results = {
        "history.list_runs_ms.p95": None,
        "history.list_runs_ms.p95.reason": "not measured on every store (embedded: not run)",
        "history.tenth.list_runs_ms.p95": 120.0,
        "history.tenth.curve_1m_points_ms.p95": 310.0,
        "history.tenth.compare_20_runs_ms.p95": 450.0,
        "history.tenth.log_search_ms.p95": 900.0,
    }
    lines = report.report_lines(results, ["history"])
    goals = [line.split() for line in lines[lines.index("goals") + 1 :]]
    assert ["history.tenth.list_runs_ms.p95", "<", "300", "met"] in goals
    assert ["history.tenth.curve_1m_points_ms.p95", "<", "300", "missed"] in goals
    assert ["history.tenth.compare_20_runs_ms.p95", "<", "500", "met"] in goals
    assert ["history.tenth.log_search_ms.p95", "<", "500", "missed"] in goals
    assert ["history.list_runs_ms.p95", "<", "300", "not", "measured"] in goals
    assert "(not measured on every store (embedded: not run))" in "\n".join(lines)


def test_a_load_name_is_a_lower_case_key_prefix():
    assert load.figure_name("soak_kernels20") == "soak_kernels20"
    for bad in ("Soak", "soak.20", "20soak", "", "a" * 41):
        with pytest.raises(argparse.ArgumentTypeError):
            load.figure_name(bad)
