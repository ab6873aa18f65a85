"""A real `jupyter server` with the tflog extension: the service starts with
the server (no browser involved), answers through jupyter-server-proxy with
Jupyter's authentication, comes back after being killed, stops with the
server, and kernels started by the server inherit the spool location.

Needs the built service bundle (`npm run build:service`); without it this
test fails, it never skips.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from harness import ROOT, Kernel, free_port, wait_for
from runs import (
    assert_exactly_once,
    expected_lines,
    kernel_for,
    printing_cell,
    run_id_of,
    start_cell,
    stdout_lines,
)

from tflog.server.paths import socket_host

BUNDLE = ROOT / "tflog" / "service" / "tflog-service.js"
TOKEN = "tflog-integration-token"


def child_pids(parent: int) -> List[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return children


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def process_environment(pid: int) -> Dict[str, str]:
    raw = (Path("/proc") / str(pid) / "environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


def service_pid(server_pid: int) -> Optional[int]:
    for pid in child_pids(server_pid):
        if BUNDLE.name in command_line(pid):
            return pid
    return None


def is_running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class JupyterServer:
    def __init__(self, base: Path, extra_env: Optional[Dict[str, str]] = None) -> None:
        self.base = base
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "server.log"
        self.runtime_dir = base / "runtime"
        self.data_dir = base / "data"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        config_dir = self.base / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "ServerApp": {
                        "jpserver_extensions": {"tflog": True, "jupyter_server_proxy": True}
                    }
                }
            )
        )
        (self.base / "notebooks").mkdir(exist_ok=True)
        # A server of its own: private directories, no inherited tflog settings
        # (the embedded store is used), and no ambient hub identity.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TFLOG_", "JUPYTER"))
        }
        env.update(
            JUPYTER_CONFIG_DIR=str(config_dir),
            JUPYTER_DATA_DIR=str(self.data_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTERHUB_USER="integration-user",
        )
        env.update(self.extra_env)
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.open_browser=False",
                "--ServerApp.allow_root=True",
                f"--ServerApp.root_dir={self.base / 'notebooks'}",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def socket_path(self) -> Path:
        return self.runtime_dir / f"tflog-{socket_host()}-{self.pid}.sock"

    def request(self, method: str, path: str, token: Optional[str] = TOKEN, body: bytes = b""):
        headers = {"Authorization": f"token {token}"} if token else {}
        request = urllib.request.Request(
            self.url + path, data=body if method == "POST" else None, method=method, headers=headers
        )
        opener = urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> Optional[int]:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self.log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def server(tmp_path):
    if not BUNDLE.is_file():
        pytest.fail(
            f"{BUNDLE} is missing: build the service bundle with `npm run build:service`",
            pytrace=False,
        )
    jupyter = JupyterServer(tmp_path)
    jupyter.start()
    yield jupyter
    jupyter.stop()


def status_of(server: JupyterServer):
    code, body = server.request("GET", "/tflog/api/v1/status")
    return json.loads(body) if code == 200 else None


def test_service_lives_and_dies_with_the_jupyter_server(server):
    # Started with the server: the socket appears with no request made.
    wait_for(server.socket_path.exists, 60, f"the service socket {server.socket_path}")
    first_pid = wait_for(lambda: service_pid(server.pid), 10, "the service process")

    # Through the proxy, with Jupyter's authentication.
    status = wait_for(lambda: status_of(server), 30, "GET /tflog/api/v1/status")
    # Identity is derived by the server (JUPYTERHUB_USER here), never by a request.
    assert status["user"] == "integration-user", status
    code, _ = server.request("GET", "/tflog/api/v1/status", token=None)
    assert code in (302, 401, 403), code
    code, _ = server.request("GET", "/tflog/api/v1/status", token="wrong")
    assert code in (302, 401, 403), code

    # Killed: the supervisor starts it again, and the proxy reaches the new one.
    os.kill(first_pid, signal.SIGKILL)
    second_pid = wait_for(
        lambda: (service_pid(server.pid) or first_pid) != first_pid and service_pid(server.pid),
        30,
        "the service to be restarted",
    )
    wait_for(lambda: status_of(server), 30, "the restarted service to answer")
    assert "was killed by SIGKILL" in server.log_text()

    # Stopped with the server.
    assert server.stop() == 0, server.log_text()
    wait_for(lambda: not is_running(second_pid), 10, "the service to stop")
    assert not server.socket_path.exists()


def test_kernels_inherit_the_spool_directory(server):
    wait_for(server.socket_path.exists, 60, f"the service socket {server.socket_path}")
    code, body = server.request("POST", "/api/kernels", body=b"{}")
    assert code == 201, body
    kernel_id = json.loads(body)["id"]
    kernel_pid = wait_for(
        lambda: next(
            (pid for pid in child_pids(server.pid) if "ipykernel" in command_line(pid)), None
        ),
        30,
        "the kernel process",
    )
    environment = process_environment(kernel_pid)
    assert environment["TFLOG_SPOOL_DIR"] == str(server.data_dir / "tflog" / "spool")
    # The service's credentials and socket stay with the service.
    assert "TFLOG_SOCKET" not in environment
    code, _ = server.request("DELETE", f"/api/kernels/{kernel_id}")
    assert code == 204


def test_a_run_from_a_kernel_started_outside_lab_is_listed_under_its_notebook(server):
    """Such a kernel did not learn the server's root and reports the absolute
    path of its notebook; the service files the run under the path JupyterLab
    uses, so the panel's "This notebook" list (`?notebook=<path>`) has it."""
    wait_for(server.socket_path.exists, 60, f"the service socket {server.socket_path}")
    notebook = server.base / "notebooks" / "work" / "train.ipynb"
    kernel = Kernel(
        {
            "TFLOG_SPOOL_DIR": str(server.data_dir / "tflog" / "spool"),
            "JUPYTERHUB_USER": "integration-user",
            "JPY_SESSION_NAME": str(notebook),
            "TFLOG_SERVER_ROOT": "",
            "JUPYTER_SERVER_ROOT": "",
        }
    )
    try:
        cell, outcome = start_cell(kernel, printing_cell("outside-lab", 10, 0.1))
        cell.join(timeout=120)
        assert outcome.get("status") == "ok", outcome

        def listed() -> Optional[list]:
            code, body = server.request("GET", "/tflog/api/v1/runs?notebook=work%2Ftrain.ipynb")
            assert code == 200, body
            runs = [run for run in json.loads(body)["runs"] if run["name"] == "outside-lab"]
            return runs or None

        runs = wait_for(listed, 60, "the run in its notebook's list")
        assert [run["notebook"] for run in runs] == ["work/train.ipynb"]
        # The absolute path finds it too: it is read as the relative one.
        absolute = urllib.parse.quote(str(notebook), safe="")
        code, body = server.request("GET", f"/tflog/api/v1/runs?notebook={absolute}")
        assert code == 200, body
        assert [run["run_id"] for run in json.loads(body)["runs"]] == [runs[0]["run_id"]]
    finally:
        kernel.shutdown()


def test_records_spooled_across_a_jupyter_server_restart_are_stored_once(
    tmp_path, es_url, prefix, es, capsys
):
    if not BUNDLE.is_file():
        pytest.fail(f"{BUNDLE} is missing: run `npm run build:service`", pytrace=False)
    server = JupyterServer(tmp_path, {"TFLOG_ES_URLS": es_url, "TFLOG_INDEX_PREFIX": prefix})
    server.start()
    kernel = None
    try:
        wait_for(server.socket_path.exists, 60, f"the service socket {server.socket_path}")
        # A kernel outside the server keeps writing the spool while the server is down.
        kernel = kernel_for(server.data_dir / "tflog" / "spool")
        cell, outcome = start_cell(kernel, printing_cell("server-restart", 20000, 20))
        run_id = run_id_of(es, "server-restart")
        wait_for(lambda: stdout_lines(es, run_id) > 1000, 120, "the first lines to be stored")
        first_service = service_pid(server.pid)
        assert server.stop() == 0, server.log_text()
        assert first_service is not None
        wait_for(lambda: not is_running(first_service), 30, "the service to stop with the server")
        stopped_at = stdout_lines(es, run_id)
        time.sleep(3)
        server.start()
        wait_for(server.socket_path.exists, 60, "the service socket after the restart")
        cell.join(timeout=300)
        assert outcome.get("status") == "ok", outcome
        assert stopped_at < 20000
        assert_exactly_once(es, run_id, expected_lines(20000), capsys, "server_restart")
    finally:
        if kernel is not None:
            kernel.shutdown()
        server.stop()
