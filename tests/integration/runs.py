"""Training runs for the fault suites: a cell that prints numbered lines, and
the exactly-once check that prints `records written / stored / lost /
duplicated` (also to the JSON file named by TFLOG_FAULT_RESULTS, which
`bench/fault_soak.py` reads)."""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from pathlib import Path

from harness import Elasticsearch, Kernel, wait_for


def printing_cell(name: str, lines: int, seconds: float) -> str:
    """A cell that prints numbered lines spread over `seconds`."""
    return (
        f"%%tflog {name}\n"
        "import time\n"
        f"for i in range({lines}):\n"
        "    print(f'line {i} loss={1.0 / (i + 1):.6f}')\n"
        f"    if i % 500 == 499: time.sleep({seconds * 500 / lines:.4f})\n"
    )


def expected_lines(lines: int) -> set[str]:
    return {f"line {i} loss={1.0 / (i + 1):.6f}" for i in range(lines)}


def stdout_query(run_id: str) -> dict:
    return {
        "bool": {
            "filter": [
                {"term": {"tflog.run_id": run_id}},
                {"term": {"tflog.source": "stdout"}},
            ]
        }
    }


def stdout_lines(es: Elasticsearch, run_id: str) -> int:
    es.refresh()
    return es.count("logs", stdout_query(run_id))


def run_id_of(es: Elasticsearch, name: str) -> str:
    def found():
        es.refresh()
        runs = es.search("runs", {"term": {"name": name}})
        return runs[0]["run_id"] if runs else None

    return wait_for(found, 120, f"run {name!r} in Elasticsearch")


def tally(written: set[str], stored: list[str]) -> dict[str, int]:
    counts = collections.Counter(stored)
    return {
        "records_written": len(written),
        "records_stored": len(written & counts.keys()),
        "lost": len(written - counts.keys()),
        "duplicated": sum(count - 1 for count in counts.values() if count > 1),
        "unexpected": len(counts.keys() - written),
    }


def report(capsys, test: str, figures: dict[str, int]) -> None:
    """Prints the figures past pytest's capture, and keeps them for the soak."""
    with capsys.disabled():
        print(
            f"\n[{test}] records written {figures['records_written']} / "
            f"stored {figures['records_stored']} / lost {figures['lost']} / "
            f"duplicated {figures['duplicated']}"
        )
    results = os.environ.get("TFLOG_FAULT_RESULTS")
    if results:
        path = Path(results)
        kept = json.loads(path.read_text()) if path.exists() else {}
        kept[test] = figures
        path.write_text(json.dumps(kept, indent=2) + "\n")


def assert_stored_once(
    es: Elasticsearch, query: dict, written: set[str], capsys, test: str
) -> None:
    """Every message of `written` is stored once under `query`, nothing else."""

    def stored_count() -> int:
        es.refresh()
        return es.count("logs", query)

    wait_for(lambda: stored_count() >= len(written), 300, f"{len(written)} records of {test}")
    time.sleep(2)  # anything extra (a duplicate) would have arrived by now
    es.refresh()
    stored = [document["message"] for document in es.search_all("logs", query)]
    figures = tally(written, stored)
    report(capsys, test, figures)
    assert figures["lost"] == 0 and figures["duplicated"] == 0, figures
    assert figures["unexpected"] == 0, figures


def assert_exactly_once(
    es: Elasticsearch, run_id: str, written: set[str], capsys, test: str
) -> None:
    """The run's printed lines (stdout) are stored once each."""
    assert_stored_once(es, stdout_query(run_id), written, capsys, test)


def kernel_for(spool_dir: Path) -> Kernel:
    return Kernel({"TFLOG_SPOOL_DIR": str(spool_dir), "JUPYTERHUB_USER": "alice"})


def start_cell(kernel: Kernel, code: str) -> tuple[threading.Thread, dict]:
    assert kernel.execute("%load_ext tflog")["status"] == "ok"
    outcome: dict = {}
    # A daemon: a cell whose kernel a test killed never answers, and must not
    # keep pytest from exiting.
    cell = threading.Thread(
        target=lambda: outcome.update(kernel.execute(code, timeout=1800)), daemon=True
    )
    cell.start()
    return cell, outcome
