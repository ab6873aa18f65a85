"""`tflog.export_runs()` and `%tflog export` against a real tflog service on
the embedded store (no Elasticsearch needed): runs written to its spool by a
real kernel come back as rows with their hyperparameters, final and best
metrics and health score. Once over a unix socket, as the Jupyter server
extension starts the service (TFLOG_API_SOCKET), once on a loopback port
(TFLOG_API_URL) from a plain Python process."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from harness import ROOT, Kernel, Service, http_json, wait_for

from tflog import ServiceError
from tflog.kernel.service_client import ServiceClient


def training_cell(name: str, rate: float, losses: list[tuple[float, float]]) -> str:
    lines = [
        f"%%tflog {name} --tag sweep=lr",
        "import tflog",
        f"tflog.log_hparams({{'learning_rate': {rate}, 'batch_size': 32}})",
    ]
    for epoch, (loss, val_loss) in enumerate(losses):
        lines.append(f"tflog.log({{'loss': {loss}, 'val_loss': {val_loss}}}, epoch={epoch})")
    return "\n".join(lines) + "\n"


RUNS = {
    "lr-small": (0.001, [(2.0, 2.1), (1.0, 1.2), (0.5, 0.8), (0.4, 0.9)]),
    "lr-large": (0.1, [(2.0, 2.2), (1.5, 1.9), (1.6, 2.0)]),
}


class SocketService(Service):
    """The service on a unix socket, as the server extension starts it."""

    def __init__(self, workdir: Path, socket_path: str) -> None:
        super().__init__(workdir, None, "tflog-it-")
        self.socket_path = socket_path
        self.env.pop("TFLOG_PORT")
        self.env["TFLOG_SOCKET"] = socket_path

    def status(self) -> dict:
        try:
            return ServiceClient(socket_path=self.socket_path, timeout=5).get_json("/status")
        except ServiceError as error:
            raise OSError(str(error)) from None


@pytest.fixture
def socket_service(tmp_path):
    directory = tempfile.mkdtemp(prefix="tflog-it-", dir="/tmp")
    service = SocketService(tmp_path / "service", str(Path(directory) / "api.sock"))
    service.start()
    yield service
    service.stop()
    Path(service.socket_path).unlink(missing_ok=True)
    Path(directory).rmdir()


def finished_runs(read, count: int) -> list[dict]:
    def ready():
        runs = read()
        done = [run for run in runs if run["status"] == "finished"]
        return runs if len(done) == count else None

    return wait_for(ready, 60, f"{count} finished runs")


def check_rows(rows: list[dict]) -> None:
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == set(RUNS), rows
    for name, (rate, losses) in RUNS.items():
        row = by_name[name]
        assert row["notebook"] == "work/sweep.ipynb"
        assert row["status"] == "finished"
        assert row["hparam.learning_rate"] == rate
        assert row["hparam.batch_size"] == 32
        assert row["tag.sweep"] == "lr"
        assert row["final.loss"] == losses[-1][0]
        assert row["final.val_loss"] == losses[-1][1]
        assert row["best.loss"] == min(loss for loss, _ in losses)
        assert row["best.val_loss"] == min(val for _, val in losses)
        assert isinstance(row["health_score"], int) and 0 <= row["health_score"] <= 100
        assert row["duration_s"] is not None and row["duration_s"] >= 0
    # The run that ended further from its best scores lower.
    assert by_name["lr-small"]["health_score"] > by_name["lr-large"]["health_score"]


def test_a_kernel_exports_its_notebooks_runs_over_the_services_socket(socket_service, tmp_path):
    kernel = Kernel(
        {
            "TFLOG_SPOOL_DIR": str(socket_service.spool_dir),
            "TFLOG_API_SOCKET": socket_service.socket_path,
            "TFLOG_API_URL": "",
            "JUPYTERHUB_USER": "alice",
        }
    )
    try:
        assert kernel.execute("%load_ext tflog")["status"] == "ok"
        assert kernel.execute("%tflog notebook work/sweep.ipynb")["status"] == "ok"
        for name, (rate, losses) in RUNS.items():
            result = kernel.execute(training_cell(name, rate, losses))
            assert result["status"] == "ok", result
        assert kernel.execute("%tflog notebook other.ipynb")["status"] == "ok"
        assert kernel.execute(training_cell("elsewhere", 0.01, [(1.0, 1.0)]))["status"] == "ok"
        assert kernel.execute("%tflog notebook work/sweep.ipynb")["status"] == "ok"
        client = ServiceClient(socket_path=socket_service.socket_path)
        finished_runs(lambda: client.get_json("/runs", [("size", "100")])["runs"], 3)

        result = kernel.execute("import json, tflog\nprint(json.dumps(tflog.export_runs()))")
        assert result["status"] == "ok", result
        check_rows(json.loads(result["stdout"]))

        target = tmp_path / "all.csv"
        result = kernel.execute(f"%tflog export {target} --all")
        assert result["status"] == "ok", result
        assert f"tflog: 3 runs of all notebooks written to {target} (csv)" in result["stdout"]
        with open(target, newline="", encoding="utf-8") as handle:
            table = list(csv.DictReader(handle))
        assert sorted(row["name"] for row in table) == ["elsewhere", "lr-large", "lr-small"]
        small = next(row for row in table if row["name"] == "lr-small")
        assert float(small["best.val_loss"]) == 0.8 and float(small["final.loss"]) == 0.4

        # The service's own refusal reaches the user as one line.
        result = kernel.execute("tflog.export_runs(all_notebooks=True, status='done')")
        assert result["status"] == "error"
        assert result["error"]["ename"] == "ServiceError"
        assert "refused GET /runs: 400 invalid_parameter: " in result["error"]["evalue"]
    finally:
        kernel.shutdown()


@pytest.fixture
def port_service(tmp_path):
    service = Service(tmp_path / "service", None, "tflog-it-")
    service.start()
    yield service
    service.stop()


def test_a_python_process_exports_from_a_service_on_a_port(port_service):
    env = {
        "TFLOG_SPOOL_DIR": str(port_service.spool_dir),
        "TFLOG_API_URL": f"http://127.0.0.1:{port_service.port}",
        "TFLOG_SYSTEM_INTERVAL": "0",
        "JUPYTERHUB_USER": "alice",
        "PYTHONPATH": str(ROOT),
    }
    script = ["import tflog, tflog.kernel", "tflog.kernel.set_notebook_path('work/sweep.ipynb')"]
    for name, (rate, losses) in RUNS.items():
        script.append(f"tflog.kernel.start({name!r}, tags={{'sweep': 'lr'}})")
        script.append(f"tflog.log_hparams({{'learning_rate': {rate}, 'batch_size': 32}})")
        for epoch, (loss, val_loss) in enumerate(losses):
            script.append(f"tflog.log({{'loss': {loss}, 'val_loss': {val_loss}}}, epoch={epoch})")
        script.append("tflog.kernel.stop()")
    subprocess.run([sys.executable, "-c", "\n".join(script)], env=env, check=True, timeout=60)
    # `stop` ends a run 'stopped'; the rows say so.
    wait_for(
        lambda: len(http_json("GET", f"{port_service.api}/runs?status=stopped")["runs"]) == 2,
        60,
        "two stopped runs",
    )
    exporting = (
        "import json, tflog, tflog.kernel\n"
        "tflog.kernel.set_notebook_path('work/sweep.ipynb')\n"
        "print(json.dumps(tflog.export_runs(status='stopped')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", exporting],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    rows = json.loads(done.stdout)
    assert len(rows) == 2
    for row in rows:
        row["status"] = "finished" if row["status"] == "stopped" else row["status"]
    check_rows(rows)
