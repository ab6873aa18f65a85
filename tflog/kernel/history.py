"""`%tflog runs` / `tflog.runs()` and `%tflog show` / `tflog.show()`: past runs in the notebook.

Both read the user's tflog service through `ServiceClient` (the socket the
server extension names to the kernel) and put ordinary outputs in the cell: a
table as escaped, inline-styled HTML with a plain-text twin, and a run's
curves as a standard-library SVG with a plain-text summary. A saved notebook
keeps them, and they show without the extension.
"""

import logging
import math
import re
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from tflog import HistoryError, ServiceError
from tflog.kernel import state
from tflog.kernel.diagnostics import INTERNAL_LOGGER_NAME, at
from tflog.kernel.export import (
    current_notebook,
    duration_seconds,
    fetch_runs,
    metric_value,
    parse_time,
    statuses,
)
from tflog.kernel.report import say
from tflog.kernel.run import RUNS
from tflog.kernel.service_client import ServiceClient
from tflog.kernel.svgplot import AXES, DEFAULT_WIDTH, Line, Panel, Point, render, value_text
from tflog.kernel.svgplot import text as escaped
from tflog.kernel.when import duration_text, since_time

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

Pairs = Union[None, Mapping[str, Any], Iterable[Tuple[str, Any]]]
Bundle = Dict[str, str]

# Ids the kernel makes (paths.new_run_id); anything else is looked up as a name too.
RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")
MAX_SEARCH = 256
NOT_FOUND = 404
MAX_METRICS_IN_TABLE = 6
MAX_PLAIN_CELL = 40
# tflog.show()'s limit per request, in seconds (the magic keeps the client's
# 30 s): it may run inside a training loop, and a hung service must not hold
# that loop for minutes. The service answers these in milliseconds.
SHOW_TIMEOUT = 5.0
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
VALIDATION_PREFIX = "val_"
STATUS_COLORS = {
    "running": "#1f6fb4",
    "finished": "#23862f",
    "failed": "#c62828",
    "interrupted": "#b35900",
    "stopped": "#6b6b6b",
}
# Which scope reads best on an axis (as in the panel): epoch-end values on the
# epoch axis, the densest otherwise; exact callback values beat parsed ones.
SCOPE_PREFERENCE = {
    "step": ("batch", "epoch", "log"),
    "time": ("batch", "epoch", "log"),
    "epoch": ("epoch", "batch", "log"),
}
COLUMNS = (
    "status",
    "name",
    "run id",
    "notebook",
    "started (UTC)",
    "duration",
    "final metrics",
    "tags",
)


# --- runs ---------------------------------------------------------------------


def key_values(pairs: Pairs) -> List[str]:
    """`{"team": "vision"}` or `[("team", "vision")]` as the API's `team:vision`."""
    if pairs is None:
        return []
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return [f"{key}:{value}" for key, value in items]


def with_numbers(summary: dict) -> dict:
    """A summary with its metric values as numbers (`"NaN"` → `math.nan`)."""
    for field in ("last_metrics", "min_metrics", "max_metrics"):
        values = summary.get(field)
        if isinstance(values, dict):
            summary[field] = {name: metric_value(value) for name, value in values.items()}
    return summary


def runs(
    notebook: Optional[str] = None,
    this_notebook: bool = False,
    status: Union[None, str, Iterable[str]] = None,
    tags: Pairs = None,
    hparams: Pairs = None,
    since: Optional[str] = None,
    search: Optional[str] = None,
    sort: Optional[str] = None,
    order: Optional[str] = None,
    limit: Optional[int] = None,
    client: Optional[ServiceClient] = None,
) -> List[dict]:
    """`tflog.runs()`: the matching run summaries, newest first (or as sorted)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise HistoryError(f"limit must be a whole number of at least 1, not {limit!r}")
    if notebook and this_notebook:
        raise HistoryError("give a notebook or this notebook, not both")
    params: List[Tuple[str, str]] = []
    if this_notebook:
        notebook = current_notebook()
        if not notebook:
            raise HistoryError(
                "tflog does not know this notebook's path: name it (--notebook PATH, "
                "notebook=...) or leave the notebook out for every notebook's runs"
            )
    if notebook:
        params.append(("notebook", str(notebook)))
    wanted = statuses(status)
    if wanted:
        params.append(("status", ",".join(wanted)))
    params.extend(("tag", pair) for pair in key_values(tags))
    params.extend(("hparam", pair) for pair in key_values(hparams))
    if since:
        try:
            params.append(("from", since_time(since)))
        except ValueError as error:
            raise HistoryError(str(error)) from None
    if search:
        if len(search) > MAX_SEARCH:
            raise HistoryError(f"search text longer than {MAX_SEARCH} characters")
        params.append(("q", search))
    if sort:
        params.append(("sort", sort))
    if order:
        params.append(("order", order))
    service = client if client is not None else ServiceClient.from_environment()
    return [with_numbers(summary) for summary in fetch_runs(service, params, limit)]


def clean(value: Any) -> str:
    """One line of text: control characters (newlines included) become spaces."""
    return CONTROL.sub(" ", "" if value is None else str(value))


def shortened(value: str, width: int = MAX_PLAIN_CELL) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def number_text(value: Any) -> str:
    number = metric_value(value)
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return clean(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return value_text(number)


def metric_order(names: Iterable[str]) -> List[str]:
    """`loss` and `val_loss` first, then by name."""
    first = ("loss", "val_loss")
    present = sorted(set(names))
    return [name for name in first if name in present] + [
        name for name in present if name not in first
    ]


def started_text(summary: Mapping[str, Any]) -> str:
    moment = parse_time(summary.get("started"))
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def run_duration(summary: Mapping[str, Any], now: float) -> str:
    seconds = duration_seconds(summary.get("started"), summary.get("ended"))
    if seconds is not None:
        return duration_text(seconds)
    started = parse_time(summary.get("started"))
    if summary.get("status") == "running" and started is not None:
        return duration_text(now - started.timestamp()) + " so far"
    return ""


def metric_items(summary: Mapping[str, Any]) -> List[Tuple[str, str]]:
    values = summary.get("last_metrics")
    if not isinstance(values, dict):
        return []
    return [(name, number_text(values[name])) for name in metric_order(values)]


def tag_items(summary: Mapping[str, Any]) -> List[Tuple[str, str]]:
    tags = summary.get("tags")
    return sorted((str(k), str(v)) for k, v in tags.items()) if isinstance(tags, dict) else []


def table_cells(summary: Mapping[str, Any], now: float) -> Dict[str, str]:
    """A run's cells as plain text, by column."""
    metrics = metric_items(summary)
    shown = ", ".join(f"{name}={value}" for name, value in metrics[:MAX_METRICS_IN_TABLE])
    if len(metrics) > MAX_METRICS_IN_TABLE:
        shown += f", +{len(metrics) - MAX_METRICS_IN_TABLE} more"
    return {
        "status": clean(summary.get("status")),
        "name": clean(summary.get("name")),
        "run id": clean(summary.get("run_id")),
        "notebook": clean(summary.get("notebook")),
        "started (UTC)": started_text(summary),
        "duration": run_duration(summary, now),
        "final metrics": clean(shown),
        "tags": clean(", ".join(f"{key}={value}" for key, value in tag_items(summary))),
    }


def caption(count: int, more: bool) -> str:
    text = f"{count} run{'' if count == 1 else 's'}"
    if more:
        text += " (more match: raise --limit or narrow the filters)"
    return text


CELL_STYLE = (
    "padding:3px 10px 3px 0;text-align:left;vertical-align:top;"
    "border-bottom:1px solid rgba(128,128,128,0.3)"
)
HEAD_STYLE = (
    "padding:3px 10px 3px 0;text-align:left;white-space:nowrap;font-weight:600;"
    "border-bottom:1px solid rgba(128,128,128,0.7)"
)


def html_table(summaries: Sequence[Mapping[str, Any]], more: bool, now: float) -> str:
    """The table as HTML: every value escaped, styles inline (no stylesheet needed)."""
    rows = []
    for summary in summaries:
        cells = table_cells(summary, now)
        status = cells["status"]
        color = STATUS_COLORS.get(status, "#6b6b6b")
        badge = (
            f'<span style="background:{color};color:#ffffff;border-radius:3px;'
            f'padding:0 5px;white-space:nowrap">{escaped(status)}</span>'
        )
        tds = [badge]
        for column in COLUMNS[1:]:
            value = escaped(cells[column])
            if column == "run id":
                value = f'<code style="font-size:11px;white-space:nowrap">{value}</code>'
            elif column in ("started (UTC)", "duration"):
                value = f'<span style="white-space:nowrap">{value}</span>'
            tds.append(value)
        rows.append(
            "<tr>" + "".join(f'<td style="{CELL_STYLE}">{cell}</td>' for cell in tds) + "</tr>"
        )
    head = "".join(f'<th style="{HEAD_STYLE}">{escaped(column)}</th>' for column in COLUMNS)
    body = "".join(rows) or (
        f'<tr><td colspan="{len(COLUMNS)}" style="{CELL_STYLE}">no runs match</td></tr>'
    )
    return (
        '<div class="jp-tflog-runs-output" style="font-size:12px;line-height:1.4">'
        '<div style="margin-bottom:4px;opacity:0.75">'
        f"tflog: {escaped(caption(len(summaries), more))}</div>"
        '<table style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def plain_table(summaries: Sequence[Mapping[str, Any]], more: bool, now: float) -> str:
    """The same table as fixed-width text, long cells cut."""
    rows = [
        [shortened(table_cells(summary, now)[column]) for column in COLUMNS]
        for summary in summaries
    ]
    lines = [f"tflog: {caption(len(summaries), more)}"]
    if rows:
        widths = [
            max(len(row[index]) for row in rows + [list(COLUMNS)]) for index in range(len(COLUMNS))
        ]
        for row in [list(COLUMNS)] + rows:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return "\n".join(lines)


def runs_table(
    summaries: Sequence[Mapping[str, Any]], more: bool = False, now: Optional[float] = None
) -> Bundle:
    """The display bundle of `%tflog runs`."""
    moment = time.time() if now is None else now
    return {
        "text/plain": plain_table(summaries, more, moment),
        "text/html": html_table(summaries, more, moment),
    }


# --- show ---------------------------------------------------------------------


def resolve_run(client: ServiceClient, run: Optional[str]) -> str:
    """A run id: the given id, the newest run with the given name, else this
    kernel's latest run, else this notebook's newest."""
    if run is None:
        latest = state.active_run or RUNS.last
        if latest is not None:
            return str(latest.id)
        notebook = current_notebook()
        if not notebook:
            raise HistoryError("no run in this kernel yet: name one (a run id or a run name)")
        found = fetch_runs(client, [("notebook", notebook)], 1)
        if not found:
            raise HistoryError(f"no run of notebook {notebook} yet: name one (a run id or name)")
        return str(found[0].get("run_id"))
    wanted = str(run).strip()
    if RUN_ID.fullmatch(wanted):
        return wanted
    if not wanted or len(wanted) > MAX_SEARCH:
        raise HistoryError(f"{run!r} is not a run id or name")
    # Free text matches ids, names, notebooks and tags; keep the exact name.
    for summary in fetch_runs(client, [("q", wanted)]):
        if wanted in (summary.get("run_id"), summary.get("name")):
            return str(summary.get("run_id"))
    raise HistoryError(f"no run has the id or name {wanted!r}")


def metric_base(name: str) -> Tuple[str, bool]:
    """`val_loss` → (`loss`, True): the validation series of the `loss` panel."""
    if name.startswith(VALIDATION_PREFIX) and len(name) > len(VALIDATION_PREFIX):
        return name[len(VALIDATION_PREFIX) :], True
    return name, False


def series_names(metrics: Sequence[str]) -> List[str]:
    """The metrics asked for, each with its train/validation partner."""
    names: List[str] = []
    for metric in metrics:
        base, _ = metric_base(metric)
        for name in (base, VALIDATION_PREFIX + base):
            if name not in names:
                names.append(name)
    return names


def series_rank(series: Mapping[str, Any], axis: str) -> int:
    scopes = SCOPE_PREFERENCE[axis]
    scope = series.get("scope")
    scope_rank = len(scopes) - scopes.index(scope) if scope in scopes else 0
    return (100 if series.get("source") == "callback" else 0) + scope_rank


def select_series(
    all_series: Sequence[Mapping[str, Any]], axis: str, requested: Sequence[str] = ()
) -> List[Mapping[str, Any]]:
    """The best series of each metric with points on the axis; system samples
    and empty series only when asked for by name."""
    best: Dict[str, Mapping[str, Any]] = {}
    for series in all_series:
        name = series.get("name")
        if not isinstance(name, str) or not isinstance(series.get("points"), list):
            continue
        if name not in requested and (series.get("scope") == "system" or not series["points"]):
            continue
        current = best.get(name)
        # A series with points on this axis beats an empty one of any rank.
        if current is None or (bool(series["points"]), series_rank(series, axis)) > (
            bool(current["points"]),
            series_rank(current, axis),
        ):
            best[name] = series
    return list(best.values())


def plot_point(point: Mapping[str, Any]) -> Optional[Point]:
    x = point.get("x")
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    y = point.get("y")
    if isinstance(y, (int, float)) and not isinstance(y, bool) and math.isfinite(y):
        return Point(float(x), float(y))
    nonfinite = point.get("nonfinite")
    return Point(float(x), None, nonfinite if isinstance(nonfinite, str) else "NaN")


def series_points(series: Mapping[str, Any]) -> List[Point]:
    points = (plot_point(point) for point in series["points"] if isinstance(point, dict))
    return [point for point in points if point is not None]


def panel_order(bases: Iterable[str], requested: Sequence[str]) -> List[str]:
    present = set(bases)
    if requested:
        ordered = [metric_base(name)[0] for name in requested]
        return [
            base
            for index, base in enumerate(ordered)
            if base in present and base not in ordered[:index]
        ]
    return metric_order(present)


def build_panels(
    selected: Sequence[Mapping[str, Any]], requested: Sequence[str] = ()
) -> List[Panel]:
    """One panel per base metric: the train series, then its validation series dashed."""
    groups: Dict[str, List[Tuple[bool, str, List[Point]]]] = {}
    for series in selected:
        base, validation = metric_base(series["name"])
        groups.setdefault(base, []).append((validation, series["name"], series_points(series)))
    panels = []
    for base in panel_order(groups, requested):
        members = sorted(groups[base], key=lambda member: (member[0], member[1]))
        lines = [Line(name, points, dashed=validation) for validation, name, points in members]
        panels.append(Panel(base, lines))
    return panels


def series_summary(series: Mapping[str, Any], axis: str) -> str:
    points = series_points(series)
    finite = [point for point in points if point.y is not None]
    nonfinite = len(points) - len(finite)
    line = f"  {clean(series['name'])}:"
    if not points:
        return line + f" no values on the {axis} axis"
    last = points[-1]
    last_value = value_text(last.y) if last.y is not None else str(last.nonfinite)
    at = (
        time.strftime("%H:%M:%S UTC", time.gmtime(last.x / 1000))
        if axis == "time"
        else f"{axis} {last.x:g}"
    )
    line += f" last {last_value} at {at}"
    if finite:
        low = min(point.y for point in finite if point.y is not None)
        high = max(point.y for point in finite if point.y is not None)
        line += f", min {value_text(low)}, max {value_text(high)}"
    line += f" ({len(points)} points"
    if nonfinite:
        line += f", {nonfinite} not finite"
    if series.get("downsampled"):
        line += ", thinned"
    return line + ")"


def fetch_series(
    client: ServiceClient,
    run_id: str,
    names: Sequence[str],
    axis: Optional[str],
    max_points: int,
) -> Tuple[str, Mapping[str, Any], List[Mapping[str, Any]]]:
    """The axis used, the run summary and its selected series. Without an
    axis: step, else epoch, else time, the first with something to draw."""
    if axis is not None and axis not in AXES:
        raise HistoryError(f"axis must be one of {', '.join(AXES)}, not {axis!r}")
    params = [("max_points", str(max_points))]
    if names:
        params.append(("names", ",".join(names)))
    answer: Mapping[str, Any] = {}
    selected: List[Mapping[str, Any]] = []
    for candidate in (axis,) if axis is not None else AXES:
        answer = client.get_json(f"/runs/{run_id}/series", params + [("axis", candidate)])
        if not isinstance(answer, dict) or not isinstance(answer.get("series"), list):
            raise HistoryError(
                f"the tflog service answered GET /runs/{run_id}/series without series"
            )
        selected = select_series(answer["series"], candidate, names)
        if any(series["points"] for series in selected):
            return candidate, answer, selected
    return axis or AXES[0], answer, selected


def figure(
    run: Optional[str] = None,
    metrics: Union[None, str, Sequence[str]] = None,
    axis: Optional[str] = None,
    width: int = DEFAULT_WIDTH,
    client: Optional[ServiceClient] = None,
) -> Bundle:
    """The display bundle of `%tflog show`: the SVG figure and a text summary."""
    if isinstance(metrics, str):
        metrics = [metrics]
    requested = series_names([str(metric) for metric in metrics or ()])
    service = client if client is not None else ServiceClient.from_environment()
    run_id = resolve_run(service, run)
    try:
        used_axis, answer, selected = fetch_series(
            service, run_id, requested, axis, max(100, min(int(width), 2000))
        )
    except ServiceError as error:
        if error.status != NOT_FOUND:
            raise
        if run is None:
            raise HistoryError(
                f"run {run_id} is not stored yet (the service stores a run within seconds "
                "of its first records): try again in a moment"
            ) from None
        raise HistoryError(f"no run has the id {run_id!r}") from None
    summary = answer.get("run") if isinstance(answer.get("run"), dict) else {}
    label = clean(summary.get("name") or run_id)
    status = clean(summary.get("status") or "unknown")
    title = f"{label} — {status}"
    details = [run_id]
    if summary.get("notebook"):
        details.append(clean(summary.get("notebook")))
    if started_text(summary):
        details.append(f"started {started_text(summary)} UTC")
    duration = run_duration(summary, time.time())
    if duration:
        details.append(duration)
    subtitle = " · ".join(details)
    svg = render(title, subtitle, build_panels(selected, requested), used_axis, width)
    lines = [f"tflog: run {title} ({subtitle}); x axis: {used_axis}"]
    lines.extend(series_summary(series, used_axis) for series in selected)
    if not selected:
        lines.append("  no metrics recorded" + (" with those names" if requested else ""))
    return {"text/plain": "\n".join(lines), "image/svg+xml": svg}


# --- output -------------------------------------------------------------------


def publish(bundle: Bundle) -> None:
    """Shows a bundle in the cell's output; as text outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        say(bundle["text/plain"])
        return
    if get_ipython() is None:
        say(bundle["text/plain"])
        return
    display(bundle, raw=True)


def show(
    run: Optional[str] = None,
    metrics: Union[None, str, Sequence[str]] = None,
    axis: Optional[str] = None,
    width: int = DEFAULT_WIDTH,
) -> None:
    """`tflog.show()`: draws a run's curves in the cell's output. Never raises:
    it may be called from a training loop, which a hiccup must not stop; a
    problem is one line of text instead. Each request to the service waits at
    most SHOW_TIMEOUT seconds, so a service that does not answer holds the
    loop that long, once: the first unanswered request ends the call."""
    try:
        client = ServiceClient.from_environment(timeout=SHOW_TIMEOUT)
        bundle = figure(run, metrics, axis, width, client=client)
    except (HistoryError, ServiceError) as error:
        say(f"tflog.show: {error}")
        return
    except Exception as error:
        internal_logger.exception("show failed", extra=at("tflog.show"))
        say(f"tflog.show failed: {type(error).__name__}: {error} (see %tflog status)")
        return
    publish(bundle)
