"""The fault suite, longer: the same tests as tests/integration/test_faults.py
(and the Jupyter server restart of test_server_proxy.py), with a run of
500,000 printed lines over 10 minutes and Elasticsearch stopped for 3 minutes
in the middle of it, the service SIGKILLed, a write block set and lifted, a
kernel SIGKILLed mid-write and the spool disk filled.

Prints `records written / stored / lost / duplicated` per fault and merges
`faults.<test>.{records_written,records_stored,lost,duplicated}` and their
sums `faults.{records_written,records_stored,lost,duplicated}` into the
results file (bench_support.results_path()).

    TFLOG_TEST_ES_URL=http://127.0.0.1:9200 .venv/bin/python bench/fault_soak.py \
        [--lines 500000] [--run-seconds 600] [--es-down-seconds 180]

Needs the built service (`npm run build:service`), root (the full-disk test
mounts a tmpfs) and an Elasticsearch for the tests that do not start their
own node.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_support import ROOT, merge_results

FIGURES = ("records_written", "records_stored", "lost", "duplicated")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--run-seconds", type=float, default=600)
    parser.add_argument("--es-down-seconds", type=float, default=180)
    options = parser.parse_args()
    if not os.environ.get("TFLOG_TEST_ES_URL"):
        print("fault_soak: set TFLOG_TEST_ES_URL to an Elasticsearch", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tflog-fault-soak-") as work:
        results = Path(work) / "faults.json"
        env = dict(
            os.environ,
            TFLOG_FAULT_LINES=str(options.lines),
            TFLOG_FAULT_RUN_SECONDS=str(options.run_seconds),
            TFLOG_FAULT_ES_DOWN_SECONDS=str(options.es_down_seconds),
            TFLOG_FAULT_RESULTS=str(results),
        )
        tests = [
            "tests/integration/test_faults.py",
            "tests/integration/test_server_proxy.py::"
            "test_records_spooled_across_a_jupyter_server_restart_are_stored_once",
        ]
        outcome = subprocess.run(
            [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
        )
        measured = json.loads(results.read_text()) if results.exists() else {}
    values: dict = {}
    for test, figures in measured.items():
        for figure in FIGURES:
            values[f"faults.{test}.{figure}"] = figures[figure]
    for figure in FIGURES:
        values[f"faults.{figure}"] = sum(figures[figure] for figures in measured.values())
    values["faults.meta"] = {
        "lines": options.lines,
        "run_seconds": options.run_seconds,
        "es_down_seconds": options.es_down_seconds,
        "tests_passed": outcome.returncode == 0,
    }
    print(json.dumps(values, indent=2))
    path = merge_results(values)
    print(f"fault_soak: merged into {path}")
    return outcome.returncode


if __name__ == "__main__":
    sys.exit(main())
