"""`%tflog export` and `tflog.export_runs()` against a stand-in service that
answers `GET /api/v1/runs` over a real unix socket (and, once, a loopback
port): paging, the rows' columns, CSV and JSON files, and the errors (no
service, a refused request with the API's message)."""

import csv
import http.server
import json
import math
import os
import socket
import socketserver
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ipython_shell
from IPython.core.error import UsageError

import tflog
from tflog.kernel import export as exporting
from tflog.kernel.run import RUNS
from tflog.kernel.service_client import ServiceClient


def summary(index, notebook="work/train.ipynb", status="finished", **extra):
    run = {
        "run_id": f"20260131T1000{index:02d}-r{index:04d}",
        "name": f"lr-{index}",
        "status": status,
        "notebook": notebook,
        "kernel_id": "k-1",
        "user": "alice",
        "host": "node-1",
        "tags": {},
        "hparams": {},
        "started": "2026-01-31T10:00:00.000Z",
        "ended": "2026-01-31T10:02:30.500Z" if status != "running" else None,
        "updated": "2026-01-31T10:02:30.500Z",
        "last_metrics": {},
        "last_epoch": None,
        "last_step": None,
        "counts": {"events": 1, "errors": 0, "warnings": 0, "nan": 0},
        "error": None,
        "dropped": 0,
    }
    run.update(extra)
    return run


class StandIn:
    """What the stand-in answers and what it was asked."""

    def __init__(self, runs):
        self.runs = runs
        self.requests = []
        self.refusal = None  # (status, body bytes) answered to every request


def handler_for(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            state.requests.append((url.path, query))
            if state.refusal is not None:
                status, body = state.refusal
                return self.answer(status, body)
            if url.path != "/api/v1/runs":
                return self.answer(
                    404, b'{"error": {"status": 404, "message": "no such endpoint"}}'
                )
            runs = state.runs
            if "notebook" in query:
                runs = [run for run in runs if run["notebook"] in query["notebook"]]
            if "status" in query:
                wanted = ",".join(query["status"]).split(",")
                runs = [run for run in runs if run["status"] in wanted]
            size = int(query.get("size", ["50"])[0])
            start = int(query.get("after", ["0"])[0])
            page = {"runs": runs[start : start + size], "total": len(runs)}
            if start + size < len(runs):
                page["next"] = str(start + size)
            return self.answer(200, json.dumps(page).encode())

        def answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass  # requests are recorded in state.requests

    return Handler


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def short_dir():
    # A unix socket path must stay under about 100 bytes: pytest's tmp_path may not.
    import tempfile

    directory = tempfile.mkdtemp(prefix="tflog-x-", dir="/tmp")
    yield directory
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))
    os.rmdir(directory)


@pytest.fixture
def stand_in(short_dir, monkeypatch):
    state = StandIn([])
    path = os.path.join(short_dir, "api.sock")
    server = UnixServer(path, handler_for(state))
    serve(server)
    monkeypatch.delenv("TFLOG_API_URL", raising=False)
    monkeypatch.setenv("TFLOG_API_SOCKET", path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    yield state
    server.shutdown()
    server.server_close()


def test_every_page_is_read_with_the_largest_size(stand_in):
    stand_in.runs = [summary(i % 60, status="finished") for i in range(2345)]
    rows = tflog.export_runs(notebook="work/train.ipynb")
    assert len(rows) == 2345
    assert [request[1].get("after") for request in stand_in.requests] == [
        None,
        ["1000"],
        ["2000"],
    ]
    assert all(request[1]["size"] == ["1000"] for request in stand_in.requests)
    assert all(request[0] == "/api/v1/runs" for request in stand_in.requests)


def test_a_run_becomes_one_flat_row(stand_in):
    stand_in.runs = [
        summary(
            1,
            hparams={"optimizer": "Adam", "learning_rate": 0.001, "epochs": 10, "amsgrad": False},
            tags={"team": "vision"},
            last_metrics={"loss": 0.25, "val_loss": "NaN", "acc": "Infinity"},
            health={
                "score": 62,
                "components": {"outcome": 100, "stability": 0},
                "losses": {
                    "loss": {"first": 2.3, "best": 0.2, "last": 0.25, "from": "exact"},
                    "val_loss": {"first": 2.4, "best": 0.31, "last": 0.4, "from": "exact"},
                },
            },
        ),
        summary(2, status="running", hparams={"learning_rate": 0.1, "batch_size": 64}),
    ]
    first, second = tflog.export_runs(notebook="work/train.ipynb")
    assert {key: value for key, value in first.items() if key != "final.val_loss"} == {
        "run_id": "20260131T100001-r0001",
        "name": "lr-1",
        "notebook": "work/train.ipynb",
        "status": "finished",
        "started": "2026-01-31T10:00:00.000Z",
        "ended": "2026-01-31T10:02:30.500Z",
        "duration_s": 150.5,
        "health_score": 62,
        "best.loss": 0.2,
        "best.val_loss": 0.31,
        "hparam.amsgrad": False,
        "hparam.epochs": 10,
        "hparam.learning_rate": 0.001,
        "hparam.optimizer": "Adam",
        "tag.team": "vision",
        "final.acc": math.inf,
        "final.loss": 0.25,
    }
    assert math.isnan(first["final.val_loss"])
    # A running run without a health score: no duration, no score, no best values.
    assert second["ended"] is None and second["duration_s"] is None
    assert second["health_score"] is None
    assert "best.loss" not in second
    assert exporting.columns([first, second]) == [
        "run_id",
        "name",
        "notebook",
        "status",
        "started",
        "ended",
        "duration_s",
        "health_score",
        "best.loss",
        "best.val_loss",
        "hparam.amsgrad",
        "hparam.batch_size",
        "hparam.epochs",
        "hparam.learning_rate",
        "hparam.optimizer",
        "tag.team",
        "final.acc",
        "final.loss",
        "final.val_loss",
    ]


def two_runs():
    return [
        summary(
            1,
            hparams={"learning_rate": 0.001, "amsgrad": True},
            last_metrics={"loss": 0.25, "val_loss": "NaN"},
            health={"score": 55, "components": {}, "losses": {}},
        ),
        summary(2, hparams={"learning_rate": 0.1, "batch_size": 64}, tags={"seed": "7"}),
    ]


def test_csv_has_the_union_of_columns(stand_in, tmp_path):
    stand_in.runs = two_runs()
    target = tmp_path / "runs.csv"
    rows = tflog.export_runs(str(target), notebook="work/train.ipynb")
    with open(target, newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert table[0] == exporting.columns(rows)
    assert table[0][-6:] == [
        "hparam.amsgrad",
        "hparam.batch_size",
        "hparam.learning_rate",
        "tag.seed",
        "final.loss",
        "final.val_loss",
    ]
    one, two = (dict(zip(table[0], line)) for line in table[1:])
    assert len(table) == 3
    assert one["hparam.amsgrad"] == "true" and one["hparam.batch_size"] == ""
    assert one["final.val_loss"] == "NaN" and math.isnan(float(one["final.val_loss"]))
    assert one["health_score"] == "55" and two["health_score"] == ""
    assert two["tag.seed"] == "7" and float(two["hparam.learning_rate"]) == 0.1
    assert one["duration_s"] == "150.5"


def test_json_is_a_list_of_objects_without_bare_nan(stand_in, tmp_path):
    stand_in.runs = two_runs()
    target = tmp_path / "runs.json"  # the extension picks the format

    def refuse(constant):
        raise AssertionError(f"bare {constant} in the file")

    tflog.export_runs(str(target), notebook="work/train.ipynb")
    written = json.loads(target.read_text(encoding="utf-8"), parse_constant=refuse)
    assert isinstance(written, list) and len(written) == 2
    assert written[0]["final.val_loss"] == "NaN"
    assert written[0]["hparam.amsgrad"] is True
    assert written[1]["tag.seed"] == "7"
    assert "final.loss" not in written[1]
    # An explicit format wins over the extension.
    tflog.export_runs(str(tmp_path / "runs.txt"), format="json", notebook="work/train.ipynb")
    assert json.loads((tmp_path / "runs.txt").read_text())[1]["run_id"] == written[1]["run_id"]


def test_this_notebook_by_default_all_notebooks_on_request(stand_in):
    stand_in.runs = [
        summary(1, notebook="work/train.ipynb"),
        summary(2, notebook="other.ipynb", status="failed"),
        summary(3, notebook="work/train.ipynb", status="stopped"),
    ]
    with pytest.raises(tflog.ExportError, match="does not know this notebook's path"):
        tflog.export_runs()
    assert stand_in.requests == []
    RUNS.notebook = "work/train.ipynb"
    assert [row["name"] for row in tflog.export_runs()] == ["lr-1", "lr-3"]
    assert stand_in.requests[-1][1]["notebook"] == ["work/train.ipynb"]
    assert [row["name"] for row in tflog.export_runs(all_notebooks=True)] == [
        "lr-1",
        "lr-2",
        "lr-3",
    ]
    assert "notebook" not in stand_in.requests[-1][1]
    rows = tflog.export_runs(all_notebooks=True, status=["failed", "stopped"])
    assert [row["name"] for row in rows] == ["lr-2", "lr-3"]
    assert stand_in.requests[-1][1]["status"] == ["failed,stopped"]
    assert [row["name"] for row in tflog.export_runs(notebook="other.ipynb")] == ["lr-2"]
    with pytest.raises(tflog.ExportError, match="not both"):
        tflog.export_runs(notebook="other.ipynb", all_notebooks=True)


def test_the_server_session_name_is_this_notebook(stand_in, monkeypatch):
    stand_in.runs = [summary(1, notebook="proj/a.ipynb")]
    monkeypatch.setenv("TFLOG_SERVER_ROOT", "/srv/root")
    monkeypatch.setenv("JPY_SESSION_NAME", "/srv/root/proj/a.ipynb")
    assert len(tflog.export_runs()) == 1
    assert stand_in.requests[-1][1]["notebook"] == ["proj/a.ipynb"]


def test_a_refusal_carries_the_apis_message(stand_in):
    stand_in.refusal = (
        400,
        json.dumps(
            {
                "error": {
                    "status": 400,
                    "message": "status: 'done' is not one of running, finished",
                    "reason": "invalid_parameter",
                    "parameter": "status",
                }
            }
        ).encode(),
    )
    with pytest.raises(tflog.ServiceError) as caught:
        tflog.export_runs(all_notebooks=True, status="done")
    assert str(caught.value) == (
        "the tflog service refused GET /runs: 400 invalid_parameter: "
        "status: 'done' is not one of running, finished"
    )
    stand_in.refusal = (502, b"<html>Bad Gateway</html>")
    with pytest.raises(tflog.ServiceError, match="502 '<html>Bad Gateway</html>'"):
        tflog.export_runs(all_notebooks=True)


def test_a_service_that_is_down_is_named(short_dir, monkeypatch):
    monkeypatch.delenv("TFLOG_API_URL", raising=False)
    missing = os.path.join(short_dir, "gone.sock")
    monkeypatch.setenv("TFLOG_API_SOCKET", missing)
    with pytest.raises(tflog.ServiceError) as caught:
        tflog.export_runs(all_notebooks=True)
    assert str(caught.value) == (
        f"the tflog service is not reachable at {missing}: No such file or directory"
    )
    # A socket file nobody listens on any more (a service that died).
    stale = os.path.join(short_dir, "stale.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(stale)
    listener.close()
    monkeypatch.setenv("TFLOG_API_SOCKET", stale)
    with pytest.raises(
        tflog.ServiceError, match="not reachable at .*stale.sock: Connection refused"
    ):
        tflog.export_runs(all_notebooks=True)


def test_no_address_at_all(monkeypatch):
    monkeypatch.delenv("TFLOG_API_URL", raising=False)
    monkeypatch.delenv("TFLOG_API_SOCKET", raising=False)
    with pytest.raises(tflog.ServiceError, match="neither TFLOG_API_SOCKET nor TFLOG_API_URL"):
        tflog.export_runs(all_notebooks=True)


def test_a_service_that_does_not_answer_in_time(short_dir):
    path = os.path.join(short_dir, "mute.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    try:
        client = ServiceClient(socket_path=path, timeout=0.3)
        with pytest.raises(tflog.ServiceError, match="did not answer within 0.3 s"):
            client.get_json("/runs")
    finally:
        listener.close()


def test_a_url_wins_over_the_socket(stand_in, monkeypatch):
    state = StandIn([summary(9, notebook="n.ipynb")])
    server = TCPServer(("127.0.0.1", 0), handler_for(state))
    serve(server)
    try:
        monkeypatch.setenv("TFLOG_API_URL", f"http://127.0.0.1:{server.server_address[1]}/")
        rows = tflog.export_runs(notebook="n.ipynb")
    finally:
        server.shutdown()
        server.server_close()
    assert [row["name"] for row in rows] == ["lr-9"]
    assert stand_in.requests == [] and len(state.requests) == 1
    monkeypatch.setenv("TFLOG_API_URL", "ftp://example.org")
    with pytest.raises(tflog.ServiceError, match="TFLOG_API_URL: 'ftp://example.org' is not"):
        tflog.export_runs(notebook="n.ipynb")


@pytest.fixture(scope="module")
def shell():
    ip = ipython_shell()
    ip.run_line_magic("load_ext", "tflog")
    yield ip
    ip.run_line_magic("unload_ext", "tflog")


def test_the_magic_writes_a_file_named_by_the_time(shell, stand_in, tmp_path, monkeypatch, capsys):
    stand_in.runs = two_runs()
    monkeypatch.chdir(tmp_path)
    shell.run_line_magic("tflog", "notebook work/train.ipynb")
    assert shell.run_cell("%tflog export").success
    written = sorted(tmp_path.glob("tflog-runs-*.csv"))
    assert len(written) == 1
    assert written[0].name[len("tflog-runs-") :].endswith("Z.csv")
    out = capsys.readouterr().out
    assert f"tflog: 2 runs of notebook work/train.ipynb written to {written[0]} (csv)" in out
    assert shell.run_cell("%tflog export --all --format json --status finished").success
    written = sorted(tmp_path.glob("tflog-runs-*.json"))
    assert len(json.loads(written[0].read_text())) == 2
    assert stand_in.requests[-1][1]["status"] == ["finished"]
    assert shell.run_cell("%tflog export one.json --notebook other.ipynb").success
    assert json.loads((tmp_path / "one.json").read_text()) == []
    assert "tflog: 0 runs of notebook other.ipynb written to" in capsys.readouterr().out


def test_the_magic_says_what_went_wrong_in_one_line(shell, stand_in, tmp_path, capsys):
    stand_in.refusal = (
        503,
        b'{"error": {"status": 503, "message": "the store cannot be reached", '
        b'"reason": "store_unavailable"}}',
    )
    result = shell.run_cell(f"%tflog export {tmp_path / 'x.csv'} --all")
    assert isinstance(result.error_in_exec, UsageError)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert (
        "%tflog export: the tflog service refused GET /runs: 503 store_unavailable: "
        "the store cannot be reached"
    ) in output
    assert "Traceback" not in output
    assert not (tmp_path / "x.csv").exists()
    result = shell.run_cell("%tflog export --status done --all")
    assert isinstance(result.error_in_exec, UsageError)
    assert "a comma-separated list of running, finished" in capsys.readouterr().err
    result = shell.run_cell("%tflog export --all --notebook a.ipynb")
    assert isinstance(result.error_in_exec, UsageError)
    stand_in.refusal = None
    result = shell.run_cell(f"%tflog export {tmp_path / 'missing' / 'x.csv'} --all")
    assert isinstance(result.error_in_exec, UsageError)
    assert "cannot write" in capsys.readouterr().err


def test_help_lists_export(shell, capsys):
    assert shell.run_cell("%tflog --help").success
    out = capsys.readouterr().out
    assert "--- %tflog export ---" in out and "hparam.<name>" in out
