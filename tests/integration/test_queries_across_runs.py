"""The queries across runs of the History view, through the real service
(the process the Jupyter server starts, not the store alone) on
Elasticsearch and on the embedded store: values of a metric past a
threshold, runs that produced NaN and where, errors per run, one metric of
several runs (the Compare view). Runs are written to the service's spool by
a real kernel."""

from __future__ import annotations

import urllib.parse

import pytest
from harness import Kernel, Service, http_json, wait_for

NOTEBOOK = "work/queries.ipynb"

CELLS = {
    "steady": "%%tflog steady\nimport tflog\n"
    "for step, value in enumerate([0.9, 0.5, 0.2], 1):\n"
    "    tflog.log({'loss': value}, step=step)\n",
    "exploding": "%%tflog exploding\nimport tflog\n"
    "for step, value in enumerate([1.5, 3.0, float('nan')], 1):\n"
    "    tflog.log({'loss': value}, step=step)\n",
    "broken": "%%tflog broken\nimport tflog\n"
    "tflog.log({'loss': 2.5}, step=1)\n"
    "raise RuntimeError('diverged')\n",
}


@pytest.fixture(params=["elasticsearch", "embedded"])
def store_service(request, tmp_path, es_url: str, prefix: str):
    url = es_url if request.param == "elasticsearch" else None
    service = Service(tmp_path / "service", url, prefix)
    service.start()
    yield service
    service.stop()


def get(service: Service, path: str, **params: str) -> dict:
    return http_json("GET", f"{service.api}/{path}?{urllib.parse.urlencode(params)}")


def test_points_nonfinite_and_errors_answer_through_the_service(store_service: Service):
    kernel = Kernel(
        {
            "TFLOG_SPOOL_DIR": str(store_service.spool_dir),
            "JPY_SESSION_NAME": NOTEBOOK,
            "JUPYTERHUB_USER": "alice",
        }
    )
    try:
        assert kernel.execute("%load_ext tflog")["status"] == "ok"
        for cell in CELLS.values():
            kernel.execute(cell)
    finally:
        kernel.shutdown()

    def ended_runs():
        runs = get(store_service, "runs", notebook=NOTEBOOK)["runs"]
        ended = {run["name"]: run for run in runs if run["status"] != "running"}
        return ended if len(ended) == len(CELLS) else None

    runs = wait_for(ended_runs, 60, "the three runs stored as ended")
    assert runs["broken"]["status"] == "failed"

    def points_above(value: str):
        answer = get(store_service, "points", metric="loss", gt=value, notebook=NOTEBOOK)
        hits = sorted((hit["run_name"], hit["step"], hit["value"]) for hit in answer["points"])
        return hits if len(hits) == 3 else None

    assert wait_for(lambda: points_above("1.0"), 30, "three loss values above 1.0") == [
        ("broken", 1, 2.5),
        ("exploding", 1, 1.5),
        ("exploding", 2, 3.0),
    ]

    nonfinite = get(store_service, "nonfinite", notebook=NOTEBOOK)["runs"]
    assert [(run["run_name"], run["metric"], run["value"], run["step"]) for run in nonfinite] == [
        ("exploding", "loss", "NaN", 3)
    ]

    errors = get(store_service, "errors", notebook=NOTEBOOK)
    assert [(run["name"], run["status"]) for run in errors["runs"]][:1] == [("broken", "failed")]
    assert errors["runs"][0]["errors"] >= 1

    # The Compare view's request: one metric of the runs at once; a run
    # the service does not have answers empty.
    run_ids = [runs[name]["run_id"] for name in ("steady", "exploding", "broken")]
    compared = get(store_service, "compare", runs=",".join([*run_ids, "not-a-run"]))
    assert compared["metric"] == "loss"
    assert [(entry["run"] or {}).get("name") for entry in compared["runs"]] == [
        "steady",
        "exploding",
        "broken",
        None,
    ]
    drawn = [entry["series"]["points"] for entry in compared["runs"][:3]]
    assert [[point["y"] for point in points] for points in drawn] == [
        [0.9, 0.5, 0.2],
        [1.5, 3.0, None],
        [2.5],
    ]
    missing = {"run_id": "not-a-run", "run": None, "metrics": [], "series": None}
    assert compared["runs"][3] == missing
