"""`%tflog export` and `tflog.export_runs()`: runs as rows for a hyperparameter search.

Reads every page of the service's `GET /api/v1/runs` (this notebook's runs by
default, or one notebook's, or all) and turns each run summary into one flat
row: who and when, the health score, `hparam.<name>`, `tag.<name>`,
`final.<name>` (the run's last metrics) and `best.loss` / `best.val_loss`
(from the health score's losses). Rows can be written as CSV or JSON.
"""

import csv
import json
import math
import os
import time
from datetime import datetime
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

from tflog import ExportError, ServiceError
from tflog.kernel.context import detect_notebook
from tflog.kernel.run import RUNS
from tflog.kernel.service_client import ServiceClient

FORMATS = ("csv", "json")
PAGE_SIZE = 1000
BASE_COLUMNS = (
    "run_id",
    "name",
    "notebook",
    "status",
    "started",
    "ended",
    "duration_s",
    "health_score",
)
BEST_COLUMNS = ("best.loss", "best.val_loss")
GROUPS = ("hparam.", "tag.", "final.")
NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

StatusFilter = Union[None, str, Iterable[str]]


class Exported(NamedTuple):
    rows: List[Dict[str, Any]]
    path: Optional[str]
    format: str
    scope: str  # "notebook X" or "all notebooks"


def current_notebook() -> Optional[str]:
    """The path the frontend reported, else the one the server gave the kernel."""
    return detect_notebook(RUNS.notebook)


def statuses(status: StatusFilter) -> List[str]:
    if status is None:
        return []
    words = status.split(",") if isinstance(status, str) else [str(item) for item in status]
    return [word.strip() for word in words if word.strip()]


def choose_format(format: Optional[str], path: Optional[str]) -> str:
    if format is None:
        return "json" if path is not None and path.lower().endswith(".json") else "csv"
    chosen = str(format).lower()
    if chosen not in FORMATS:
        raise ExportError(f"format must be csv or json, not {format!r}")
    return chosen


def fetch_runs(
    client: ServiceClient, params: Sequence[Tuple[str, str]], limit: Optional[int] = None
) -> List[dict]:
    """Every run summary the query matches (the first `limit` of them), following
    `next` page by page."""
    runs: List[dict] = []
    after: Optional[str] = None
    while True:
        wanted = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(runs))
        page_params = list(params) + [("size", str(wanted))]
        if after is not None:
            page_params.append(("after", after))
        page = client.get_json("/runs", page_params)
        if not isinstance(page, dict) or not isinstance(page.get("runs"), list):
            raise ServiceError("the tflog service answered GET /runs without a list of runs")
        runs.extend(run for run in page["runs"] if isinstance(run, dict))
        following = page.get("next")
        if limit is not None and len(runs) >= limit:
            return runs[:limit]
        if not following:
            return runs
        if following == after:
            raise ServiceError("the tflog service answered GET /runs with the same page twice")
        after = str(following)


def metric_value(value: Any) -> Any:
    """A metric as a number: the API's "NaN", "Infinity", "-Infinity" become floats."""
    if isinstance(value, str) and value in NONFINITE:
        return NONFINITE[value]
    return value


def parse_time(text: Any) -> Optional[datetime]:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None


def duration_seconds(started: Any, ended: Any) -> Optional[float]:
    start, end = parse_time(started), parse_time(ended)
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _mapping(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def run_row(run: dict) -> Dict[str, Any]:
    """One run summary (IRunSummary) as a flat row."""
    health = _mapping(run.get("health"))
    row: Dict[str, Any] = {
        "run_id": run.get("run_id"),
        "name": run.get("name"),
        "notebook": run.get("notebook"),
        "status": run.get("status"),
        "started": run.get("started"),
        "ended": run.get("ended"),
        "duration_s": duration_seconds(run.get("started"), run.get("ended")),
        "health_score": health.get("score"),
    }
    losses = _mapping(health.get("losses"))
    for name in ("loss", "val_loss"):
        best = _mapping(losses.get(name)).get("best")
        if best is not None:
            row["best." + name] = metric_value(best)
    for name, value in sorted(_mapping(run.get("hparams")).items()):
        row["hparam." + name] = value
    for name, value in sorted(_mapping(run.get("tags")).items()):
        row["tag." + name] = value
    for name, value in sorted(_mapping(run.get("last_metrics")).items()):
        row["final." + name] = metric_value(value)
    return row


def columns(rows: Sequence[Dict[str, Any]]) -> List[str]:
    """The union of the rows' columns: fixed ones first, then each group by name."""
    present = set()
    for row in rows:
        present.update(row)
    ordered = list(BASE_COLUMNS) + [name for name in BEST_COLUMNS if name in present]
    for prefix in GROUPS:
        ordered.extend(sorted(name for name in present if name.startswith(prefix)))
    return ordered


def text_value(value: Any) -> Any:
    """A value for JSON text: non-finite numbers as the API writes them."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(text_value(value))


def write_rows(rows: Sequence[Dict[str, Any]], path: str, format: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            if format == "json":
                json.dump(
                    [{key: text_value(value) for key, value in row.items()} for row in rows],
                    out,
                    indent=1,
                    allow_nan=False,
                )
                out.write("\n")
                return
            header = columns(rows)
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                writer.writerow([csv_cell(row.get(name)) for name in header])
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


def default_file_name(format: str, now: Optional[float] = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return f"tflog-runs-{stamp}.{format}"


def export(
    path: Optional[str] = None,
    format: Optional[str] = None,
    notebook: Optional[str] = None,
    all_notebooks: bool = False,
    status: StatusFilter = None,
    default_path: bool = False,
    client: Optional[ServiceClient] = None,
) -> Exported:
    """Reads the runs and writes them to `path` (or, with `default_path`, to
    `tflog-runs-<UTC time>.<format>` in the working directory)."""
    if notebook is not None and all_notebooks:
        raise ExportError("give a notebook or all notebooks, not both")
    chosen = choose_format(format, path)
    params: List[Tuple[str, str]] = []
    if all_notebooks:
        scope = "all notebooks"
    else:
        notebook = str(notebook) if notebook else current_notebook()
        if not notebook:
            raise ExportError(
                "tflog does not know this notebook's path: name one (--notebook PATH, "
                "notebook=...) or export all notebooks' runs (--all, all_notebooks=True)"
            )
        params.append(("notebook", notebook))
        scope = f"notebook {notebook}"
    wanted = statuses(status)
    if wanted:
        params.append(("status", ",".join(wanted)))
    service = client if client is not None else ServiceClient.from_environment()
    rows = [run_row(run) for run in fetch_runs(service, params)]
    if path is None and default_path:
        path = default_file_name(chosen)
    written = None
    if path is not None:
        written = os.path.abspath(os.path.expanduser(str(path)))
        write_rows(rows, written, chosen)
    return Exported(rows, written, chosen, scope)


def export_runs(
    path: Optional[str] = None,
    format: Optional[str] = None,
    notebook: Optional[str] = None,
    all_notebooks: bool = False,
    status: StatusFilter = None,
) -> List[Dict[str, Any]]:
    """`tflog.export_runs()`: the rows, also written to `path` when given."""
    return export(path, format, notebook, all_notebooks, status).rows
