"""`%tflog runs` / `tflog.runs()` and `%tflog show` / `tflog.show()` against a
stand-in service on a real unix socket: the queries sent, the table (HTML
escaped, a plain-text twin), finding a run by id or name, the figure's SVG,
and one-line errors. Also the option parsing and `--since` times."""

import contextlib
import json
import os
import re
import socket
import socketserver
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ipython_shell
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import tflog
from tflog.kernel import history
from tflog.kernel.options import OptionsError, parse_line
from tflog.kernel.run import RUNS
from tflog.kernel.when import duration_text, since_time

SVG = "{http://www.w3.org/2000/svg}"
NOW = 1769853600.0  # 2026-01-31T10:00:00Z


def summary(index, name=None, status="finished", **extra):
    run = {
        "run_id": f"20260131T0900{index:02d}Z-0000{index:04x}",
        "name": name if name is not None else f"run-{index}",
        "status": status,
        "notebook": "work/train.ipynb",
        "tags": {},
        "hparams": {},
        "started": "2026-01-31T09:00:00.000Z",
        "ended": "2026-01-31T09:02:30.500Z" if status != "running" else None,
        "last_metrics": {},
        "counts": {"events": 1, "errors": 0, "warnings": 0, "nan": 0},
    }
    run.update(extra)
    return run


def points(values, start=0):
    out = []
    for offset, value in enumerate(values):
        x = start + offset
        if isinstance(value, str):
            out.append({"x": x, "y": None, "nonfinite": value, "time": "2026-01-31T09:00:00Z"})
        else:
            out.append({"x": x, "y": value, "time": "2026-01-31T09:00:00Z"})
    return out


class StandIn:
    def __init__(self):
        self.runs = []
        self.series = {}  # run id -> axis -> list of series
        self.requests = []


def handler_for(state):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            state.requests.append((url.path, query))
            parts = url.path.split("/")
            if url.path == "/api/v1/runs":
                runs = state.runs
                if "q" in query:
                    needle = query["q"][0].lower()
                    runs = [r for r in runs if needle in (r["name"] + r["run_id"]).lower()]
                for pair in query.get("tag", []):
                    key, _, value = pair.partition(":")
                    runs = [r for r in runs if r["tags"].get(key) == value]
                size = int(query["size"][0])
                return self.answer(200, {"runs": runs[:size], "total": len(runs)})
            if len(parts) == 6 and parts[5] == "series":
                run = next((r for r in state.runs if r["run_id"] == parts[4]), None)
                if run is None:
                    return self.answer(
                        404,
                        {"error": {"status": 404, "message": "no such run", "reason": "not_found"}},
                    )
                series = state.series.get(parts[4], {}).get(query["axis"][0], [])
                if "names" in query:
                    names = query["names"][0].split(",")
                    series = [s for s in series if s["name"] in names]
                return self.answer(200, {"run": run, "series": series})
            return self.answer(404, {"error": {"status": 404, "message": "no such endpoint"}})

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            pass

    return Handler


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def stand_in(monkeypatch):
    directory = tempfile.mkdtemp(prefix="tflog-h-", dir="/tmp")
    path = os.path.join(directory, "api.sock")
    state = StandIn()
    server = UnixServer(path, handler_for(state))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.delenv("TFLOG_API_URL", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("TFLOG_API_SOCKET", path)
    yield state
    server.shutdown()
    server.server_close()
    os.unlink(path)
    os.rmdir(directory)


# --- options and times ----------------------------------------------------------


def test_runs_options_become_a_query():
    command = parse_line(
        "runs --this --status finished,failed --tag team=vision --tag seed=7 "
        "--hparam lr=0.1 --search 'res net' --sort last:val_loss --order asc --limit 5"
    )
    options = command.runs
    assert command.action == "runs"
    assert options.this_notebook and options.notebook is None
    assert options.status == ("finished", "failed")
    assert options.tags == (("team", "vision"), ("seed", "7"))
    assert options.hparams == (("lr", "0.1"),)
    assert (options.search, options.sort, options.order, options.limit) == (
        "res net",
        "last:val_loss",
        "asc",
        5,
    )
    assert parse_line("runs").runs.limit == 20


def test_show_options():
    options = parse_line("show lr-small --metric loss --metric acc --axis epoch --width 400").show
    assert options.run == "lr-small"
    assert options.metrics == ("loss", "acc")
    assert (options.axis, options.width) == ("epoch", 400)
    assert parse_line("show").show.run is None


@pytest.mark.parametrize(
    "line, message",
    [
        ("runs --status done", "--status"),
        ("runs --tag novalue", "is not key=value"),
        ("runs --hparam =1", "is not key=value"),
        ("runs --limit 0", "from 1 to 1000"),
        ("runs --limit many", "from 1 to 1000"),
        ("runs --since yesterday", "neither a duration"),
        ("runs --since 0001-01-01T00:00+05:00", "out of range"),
        ("runs --since 9999-12-31T23:00-05:00", "out of range"),
        ("runs --sort loss", "last:METRIC"),
        ("runs --notebook a.ipynb --this", "not allowed with argument"),
        ("runs --colour red", "unrecognized arguments: --colour"),
        ("show --axis wall", "invalid choice"),
        ("show --width 10", "from 240 to 2400"),
        ("show a b", "unrecognized arguments: b"),
    ],
)
def test_bad_options_are_one_clear_error(line, message):
    with pytest.raises(OptionsError, match=message):
        parse_line(line)


def test_help_lists_the_history_commands():
    from tflog.kernel.options import HelpRequested

    for line in ("help", "--help"):
        with pytest.raises(HelpRequested) as caught:
            parse_line(line)
        assert "--- %tflog runs ---" in caught.value.text
        assert "--- %tflog show ---" in caught.value.text
        assert re.search(r"\n +runs +show a table of past runs", caught.value.text)
        assert re.search(r"\n +show +draw a run's metric curves", caught.value.text)


def test_since_takes_a_duration_or_an_iso_time():
    assert since_time("2h", now=NOW) == "2026-01-31T08:00:00.000Z"
    assert since_time("90s", now=NOW) == "2026-01-31T09:58:30.000Z"
    assert since_time("1.5H", now=NOW) == "2026-01-31T08:30:00.000Z"
    assert since_time("30min", now=NOW) == "2026-01-31T09:30:00.000Z"
    assert since_time("3d", now=NOW) == "2026-01-28T10:00:00.000Z"
    assert since_time("1w", now=NOW) == "2026-01-24T10:00:00.000Z"
    assert since_time("2026-01-30") == "2026-01-30T00:00:00.000Z"
    assert since_time("2026-01-30T09:15") == "2026-01-30T09:15:00.000Z"
    assert since_time("2026-01-30T09:15:00Z") == "2026-01-30T09:15:00.000Z"
    assert since_time("2026-01-30T09:15:00.250+02:00") == "2026-01-30T07:15:00.250Z"
    for bad in ("", "2", "h", "-2h", "2 hours ago", "2026-13-01", "1000000w"):
        with pytest.raises(ValueError):
            since_time(bad, now=NOW)
    # Valid ISO times whose UTC moment is outside years 1-9999.
    for far in ("0001-01-01T00:00+05:00", "9999-12-31T23:00-05:00"):
        with pytest.raises(ValueError, match="out of range: years 1 to 9999 in UTC"):
            since_time(far)
    # Years before 1000 keep ISO's four digits.
    assert since_time("0999-05-01") == "0999-05-01T00:00:00.000Z"
    assert since_time("0001-01-01T05:00+05:00") == "0001-01-01T00:00:00.000Z"


def test_durations_read_in_two_units():
    assert [duration_text(s) for s in (0, 42.9, 725, 11220, 187200)] == [
        "0s",
        "42s",
        "12m 05s",
        "3h 07m",
        "2d 04h",
    ]


# --- the table --------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script>'


def hostile_run():
    return summary(
        1,
        name=HOSTILE + "\nsecond line",
        notebook='a&b/"quoted" <nb>.ipynb',
        tags={"team": "<img src=x onerror=alert(1)>"},
        last_metrics={"loss": 0.25, "val_loss": "NaN", "<b>": 1},
    )


def test_the_table_escapes_every_value():
    table = history.runs_table([hostile_run()], now=NOW)
    markup = table["text/html"]
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in markup
    assert "a&amp;b/&quot;quoted&quot; &lt;nb&gt;.ipynb" in markup
    assert "team=&lt;img src=x onerror=alert(1)&gt;" in markup
    assert "loss=0.25, val_loss=NaN, &lt;b&gt;=1" in markup
    # Styled inline: no stylesheet is needed to read it.
    assert 'style="border-collapse:collapse' in markup and "<style" not in markup
    # The markup is well formed (every tag closed).
    ElementTree.fromstring(markup.replace("&nbsp;", " "))


def test_the_plain_table_keeps_one_line_per_run():
    running = summary(2, status="running", name="live", started="2026-01-31T09:50:00.000Z")
    text = history.runs_table([hostile_run(), running], more=True, now=NOW)["text/plain"]
    lines = text.splitlines()
    assert lines[0] == "tflog: 2 runs (more match: raise --limit or narrow the filters)"
    assert lines[1].split()[:4] == ["status", "name", "run", "id"]
    assert len(lines) == 4
    assert lines[2].startswith('finished  <script>alert("x")</script> second line')
    assert "2m 30s" in lines[2] and "2026-01-31 09:00:00" in lines[2]
    assert "10m 00s so far" in lines[3]


def test_an_empty_table_says_so():
    table = history.runs_table([], now=NOW)
    assert table["text/plain"] == "tflog: 0 runs"
    assert "no runs match" in table["text/html"]


# --- tflog.runs() and %tflog runs against the stand-in ---------------------------


def test_runs_sends_the_filters_and_returns_numbers(stand_in):
    stand_in.runs = [summary(1, last_metrics={"loss": 0.5, "val_loss": "NaN"})]
    found = tflog.runs(
        notebook="work/train.ipynb",
        status="finished,failed",
        tags={"team": "vision"},
        hparams={"lr": 0.1},
        since="2026-01-30",
        search="res",
        sort="min:loss",
        order="asc",
        limit=3,
    )
    path, query = stand_in.requests[-1]
    assert path == "/api/v1/runs"
    assert query == {
        "notebook": ["work/train.ipynb"],
        "status": ["finished,failed"],
        "tag": ["team:vision"],
        "hparam": ["lr:0.1"],
        "from": ["2026-01-30T00:00:00.000Z"],
        "q": ["res"],
        "sort": ["min:loss"],
        "order": ["asc"],
        "size": ["3"],
    }
    assert found == []  # the stand-in filters by tag: none has team=vision
    stand_in.runs[0]["tags"] = {"team": "vision"}
    (run,) = tflog.runs(tags={"team": "vision"})
    assert run["last_metrics"]["loss"] == 0.5 and run["last_metrics"]["val_loss"] != 0.0
    assert str(run["last_metrics"]["val_loss"]) == "nan"


def test_runs_refuses_bad_arguments_with_one_line(stand_in):
    with pytest.raises(tflog.HistoryError, match="neither a duration"):
        tflog.runs(since="yesterday")
    with pytest.raises(tflog.HistoryError, match="out of range"):
        tflog.runs(since="0001-01-01T00:00+05:00")
    with pytest.raises(tflog.HistoryError, match="at least 1"):
        tflog.runs(limit=0)
    with pytest.raises(tflog.HistoryError, match="does not know this notebook's path"):
        tflog.runs(this_notebook=True)
    assert stand_in.requests == []


def test_the_magic_displays_html_and_text(stand_in):
    shell = ipython_shell()
    shell.run_line_magic("load_ext", "tflog")
    stand_in.runs = [summary(i, tags={"team": "vision"}) for i in range(1, 4)]
    with capture_output() as captured:
        shell.run_line_magic("tflog", "runs --tag team=vision --limit 2")
    (output,) = captured.outputs
    assert set(output.data) == {"text/plain", "text/html"}
    assert "2 runs (more match" in output.data["text/plain"]
    assert output.data["text/html"].count("<tr>") == 3  # header and two runs
    # One more than shown is asked for, to know whether more match.
    assert stand_in.requests[-1][1]["size"] == ["3"]
    assert stand_in.requests[-1][1]["tag"] == ["team:vision"]


def test_the_magic_says_in_one_line_when_the_service_is_away(monkeypatch):
    shell = ipython_shell()
    shell.run_line_magic("load_ext", "tflog")
    monkeypatch.delenv("TFLOG_API_URL", raising=False)
    monkeypatch.setenv("TFLOG_API_SOCKET", "/nonexistent/tflog.sock")
    with pytest.raises(UsageError) as caught:
        shell.run_line_magic("tflog", "runs")
    message = str(caught.value)
    assert message.startswith("%tflog runs: the tflog service is not reachable at ")
    assert "\n" not in message
    with pytest.raises(UsageError, match="^%tflog show: the tflog service is not reachable"):
        shell.run_line_magic("tflog", "show some-name")


# --- show ---------------------------------------------------------------------------


def loss_series(axis):
    batch = {
        "name": "loss",
        "scope": "batch",
        "source": "callback",
        "downsampled": False,
        "points": points([2.0, 1.5, "NaN", 1.2, 1.0]),
    }
    parsed = dict(batch, source="stdout", points=points([9.0, 9.0]))
    val = {
        "name": "val_loss",
        "scope": "epoch",
        "source": "callback",
        "downsampled": False,
        "points": points([2.2, 1.4]),
    }
    acc = {
        "name": "accuracy",
        "scope": "batch",
        "source": "callback",
        "downsampled": False,
        "points": points([0.5, 0.5, 0.5]),
    }
    cpu = {"name": "cpu", "scope": "system", "source": "system", "points": points([3.0])}
    return [parsed, batch, val, acc, cpu]


def paths_by_series(svg):
    root = ElementTree.fromstring(svg)
    return {
        element.get("data-series"): element.get("d")
        for element in root.iter(SVG + "path")
        if element.get("class") == "series"
    }


def test_show_finds_a_run_by_name_and_draws_each_series(stand_in):
    stand_in.runs = [summary(2, name="lr-small"), summary(1, name="lr-small"), summary(3)]
    newest = stand_in.runs[0]["run_id"]
    stand_in.series[newest] = {"step": loss_series("step")}
    bundle = history.figure("lr-small")
    assert stand_in.requests[0][1]["q"] == ["lr-small"]
    assert stand_in.requests[1][0] == f"/api/v1/runs/{newest}/series"
    assert stand_in.requests[1][1]["axis"] == ["step"]
    paths = paths_by_series(bundle["image/svg+xml"])
    # The exact (callback) loss, not the parsed one; no system samples.
    assert set(paths) == {"loss", "val_loss", "accuracy"}
    assert paths["loss"].count("M") == 2  # the NaN breaks the line
    root = ElementTree.fromstring(bundle["image/svg+xml"])
    marks = [e for e in root.iter(SVG + "path") if e.get("class") == "nonfinite"]
    assert len(marks) == 1
    assert marks[0].find(SVG + "title").text == "loss: NaN at step 2"
    texts = [element.text for element in root.iter(SVG + "text")]
    assert "lr-small — finished" in texts
    text = bundle["text/plain"]
    assert text.startswith(f"tflog: run lr-small — finished ({newest} · work/train.ipynb")
    assert "  loss: last 1 at step 4, min 1, max 2 (5 points, 1 not finite)" in text
    assert "  accuracy: last 0.5 at step 2, min 0.5, max 0.5 (3 points)" in text


def test_show_asks_for_a_metric_with_its_validation_partner(stand_in):
    stand_in.runs = [summary(1)]
    run_id = stand_in.runs[0]["run_id"]
    stand_in.series[run_id] = {"step": loss_series("step")}
    bundle = history.figure(run_id, metrics=["val_loss"])
    assert stand_in.requests[0][1]["names"] == ["loss,val_loss"]
    assert set(paths_by_series(bundle["image/svg+xml"])) == {"loss", "val_loss"}


def test_a_series_with_points_beats_an_empty_better_one():
    exact = {"name": "loss", "scope": "batch", "source": "callback", "points": []}
    parsed = {"name": "loss", "scope": "epoch", "source": "stdout", "points": points([1.0])}
    assert history.select_series([exact, parsed], "epoch", ["loss"]) == [parsed]
    assert history.select_series([parsed, exact], "epoch", ["loss"]) == [parsed]
    assert history.select_series([exact], "epoch", ["loss"]) == [exact]
    assert history.select_series([exact], "epoch") == []


def test_show_falls_back_to_the_epoch_axis_for_a_run_without_steps(stand_in):
    stand_in.runs = [summary(1)]
    run_id = stand_in.runs[0]["run_id"]
    epochs = [{"name": "loss", "scope": "epoch", "source": "callback", "points": points([1, 0.5])}]
    stand_in.series[run_id] = {"step": [dict(epochs[0], points=[])], "epoch": epochs}
    bundle = history.figure(run_id)
    assert [request[1]["axis"] for request in stand_in.requests] == [["step"], ["epoch"]]
    assert bundle["text/plain"].splitlines()[0].endswith("x axis: epoch")
    assert set(paths_by_series(bundle["image/svg+xml"])) == {"loss"}


def test_show_defaults_to_this_kernels_latest_run(stand_in):
    with pytest.raises(tflog.HistoryError, match="no run in this kernel yet"):
        history.figure()
    stand_in.runs = [summary(1), summary(2)]

    class Latest:
        id = stand_in.runs[1]["run_id"]

    RUNS.last = Latest()
    history.figure()
    assert stand_in.requests[-1][0] == f"/api/v1/runs/{Latest.id}/series"
    RUNS.last = None
    RUNS.notebook = "work/train.ipynb"
    stand_in.requests.clear()
    history.figure()
    assert stand_in.requests[0] == (
        "/api/v1/runs",
        {"notebook": ["work/train.ipynb"], "size": ["1"]},
    )
    assert stand_in.requests[1][0] == f"/api/v1/runs/{stand_in.runs[0]['run_id']}/series"


def test_show_says_which_run_it_cannot_find(stand_in):
    stand_in.runs = [summary(1, name="lr-small-2")]
    with pytest.raises(tflog.HistoryError, match="no run has the id or name 'lr-small'"):
        history.figure("lr-small")
    with pytest.raises(tflog.HistoryError, match="no run has the id '20990101T000000Z-0000000f'"):
        history.figure("20990101T000000Z-0000000f")

    class JustStarted:
        id = "20990101T000000Z-0000000e"

    RUNS.last = JustStarted()
    with pytest.raises(tflog.HistoryError, match=f"run {JustStarted.id} is not stored yet"):
        history.figure()


def test_the_show_magic_displays_svg_and_text(stand_in):
    shell = ipython_shell()
    shell.run_line_magic("load_ext", "tflog")
    stand_in.runs = [summary(1)]
    run_id = stand_in.runs[0]["run_id"]
    stand_in.series[run_id] = {"step": loss_series("step")}
    with capture_output() as captured:
        shell.run_line_magic("tflog", f"show {run_id} --width 500")
    (output,) = captured.outputs
    assert set(output.data) == {"text/plain", "image/svg+xml"}
    assert ElementTree.fromstring(output.data["image/svg+xml"]).get("width") == "500"
    with capture_output() as captured:
        tflog.show(run_id, metrics="accuracy")
    assert set(paths_by_series(captured.outputs[0].data["image/svg+xml"])) == {"accuracy"}


def test_tflog_show_never_raises_into_a_training_loop(stand_in, monkeypatch, capsys):
    stand_in.runs = [summary(1, name="lr-small")]
    tflog.show("no-such-name")
    assert capsys.readouterr().out == "tflog.show: no run has the id or name 'no-such-name'\n"
    monkeypatch.setenv("TFLOG_API_SOCKET", "/nonexistent/tflog.sock")
    tflog.show("lr-small")
    assert capsys.readouterr().out.startswith(
        "tflog.show: the tflog service is not reachable at /nonexistent/tflog.sock"
    )

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(history, "figure", broken)
    tflog.show()
    assert capsys.readouterr().out == (
        "tflog.show failed: ZeroDivisionError: division by zero (see %tflog status)\n"
    )


@pytest.fixture
def hung_service(monkeypatch):
    """A service socket that takes requests and never answers (it hangs up after 3 s)."""
    directory = tempfile.mkdtemp(prefix="tflog-hung-", dir="/tmp")
    path = os.path.join(directory, "api.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    listener.settimeout(0.05)
    done = threading.Event()

    def hold():
        held = []  # (connection, when accepted)
        while not done.is_set():
            with contextlib.suppress(socket.timeout):
                held.append((listener.accept()[0], time.monotonic()))
            while held and time.monotonic() - held[0][1] > 3.0:
                held.pop(0)[0].close()
        for connection, _ in held:
            connection.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    monkeypatch.delenv("TFLOG_API_URL", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("TFLOG_API_SOCKET", path)
    yield path
    done.set()
    thread.join(5)
    listener.close()
    os.unlink(path)
    os.rmdir(directory)


def test_tflog_show_waits_briefly_for_a_service_that_does_not_answer(
    hung_service, monkeypatch, capsys
):
    # A few seconds (SHOW_TIMEOUT), shortened here to keep the test quick.
    documented = getattr(history, "SHOW_TIMEOUT", None)
    monkeypatch.setattr(history, "SHOW_TIMEOUT", 0.3, raising=False)
    started = time.monotonic()
    tflog.show("lr-small")
    elapsed = time.monotonic() - started
    assert capsys.readouterr().out == (
        f"tflog.show: the tflog service at {hung_service} did not answer within 0.3 s\n"
    )
    assert elapsed < 2.0
    assert documented == 5.0
