"""Real components for the integration suites: an Elasticsearch node, the
tflog service as a child process, and IPython kernels through jupyter_client.

Nothing here is faked: when a component cannot start, the helper raises with
what it saw, so the test fails loudly.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
SERVICE_MAIN = ROOT / "service" / "lib" / "main.js"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(method: str, url: str, body: Any = None, timeout: float = 30.0) -> Any:
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        if isinstance(body, str):
            data = body.encode()
            headers["Content-Type"] = "application/x-ndjson"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode() or "null")


def wait_for(
    condition: Callable[[], Any],
    timeout: float,
    what: str,
    interval: float = 0.25,
    explain: Callable[[], str] | None = None,
) -> Any:
    """Polls until condition() is truthy; raises with `what`, the last error
    and what `explain()` says of the state then (e.g. a status and a log)."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (OSError, ValueError, KeyError, AssertionError) as error:
            last_error = error  # reported below if the condition never holds
        time.sleep(interval)
    detail = f" (last error: {last_error!r})" if last_error else ""
    if explain is not None:
        try:
            detail += f"\n{explain()}"
        except (OSError, ValueError) as error:
            detail += f"\n(cannot say more: {error!r})"
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")


class Elasticsearch:
    """A thin client over HTTP for assertions: search, count, refresh."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url.rstrip("/")
        self.prefix = prefix

    def refresh(self) -> None:
        http_json("POST", f"{self.url}/{self.prefix}*/_refresh")

    def search(self, kind: str, query: dict, size: int = 10000, sort: Any = None) -> list[dict]:
        body: dict = {"query": query, "size": size}
        if sort is not None:
            body["sort"] = sort
        try:
            result = http_json(
                "POST",
                f"{self.url}/{self.prefix}{kind}*/_search?ignore_unavailable=true",
                body,
            )
        except urllib.error.HTTPError as error:
            raise AssertionError(f"search failed: {error.read().decode()}") from error
        return [dict(hit["_source"], _id=hit["_id"]) for hit in result["hits"]["hits"]]

    def count(self, kind: str, query: dict) -> int:
        result = http_json(
            "POST",
            f"{self.url}/{self.prefix}{kind}*/_count?ignore_unavailable=true",
            {"query": query},
        )
        return int(result["count"])

    def search_all(self, kind: str, query: dict, sort_field: str = "event.sequence") -> list[dict]:
        """Every hit, page by page (one search answers at most 10,000)."""
        hits: list[dict] = []
        after: list | None = None
        while True:
            body: dict = {"query": query, "size": 5000, "sort": [{sort_field: "asc"}]}
            if after is not None:
                body["search_after"] = after
            result = http_json(
                "POST",
                f"{self.url}/{self.prefix}{kind}*/_search?ignore_unavailable=true",
                body,
            )
            page = result["hits"]["hits"]
            hits.extend(dict(hit["_source"], _id=hit["_id"]) for hit in page)
            if len(page) < 5000:
                return hits
            after = page[-1]["sort"]

    def delete_indices(self) -> None:
        """Deletes this prefix's indices by name (wildcard deletes are refused)."""
        found = http_json("GET", f"{self.url}/_cat/indices/{self.prefix}*?format=json&h=index")
        names = [row["index"] for row in found]
        if names:
            http_json("DELETE", f"{self.url}/{','.join(names)}")


class EventListener:
    """Reads the service's event stream (`/events`) in a thread: keeps alert
    events, and hands each `run` event to `on_run` as it arrives, before the
    next is read."""

    def __init__(self, api: str, on_run: Callable[[dict], None] | None = None) -> None:
        self.alerts: list[dict] = []
        self.on_run = on_run
        self.ready = threading.Event()
        url = urllib.parse.urlsplit(f"{api}/events")
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        self.connection.request("GET", url.path, headers={"Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        self.closing = False
        self.failure: Exception | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode().strip()
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[len("data:") :])
                if event["type"] == "ready":
                    self.ready.set()
                elif event["type"] == "alert":
                    self.alerts.append(event["alert"])
                elif event["type"] == "run" and self.on_run is not None:
                    self.on_run(event)
        except (OSError, ValueError, AssertionError) as error:
            if not self.closing:  # else: the connection was shut down by close()
                self.failure = error

    def close(self) -> None:
        # Shutting the socket down ends the reader's blocked read at once;
        # closing the response first would wait for the next event.
        self.closing = True
        sock = self.connection.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        self.reader.join(10)
        self.connection.close()
        assert self.failure is None, f"the event stream failed: {self.failure!r}"


class Service:
    """The tflog service as a child process, reachable on a loopback port."""

    def __init__(self, workdir: Path, es_url: str | None, prefix: str, **extra_env: str) -> None:
        self.workdir = workdir
        self.spool_dir = workdir / "spool"
        self.state_dir = workdir / "state"
        self.store_dir = workdir / "store"
        for path in (self.spool_dir, self.state_dir, self.store_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = workdir / "service.log"
        self.env = dict(os.environ)
        self.env.update(
            TFLOG_SPOOL_DIR=str(self.spool_dir),
            TFLOG_STATE_DIR=str(self.state_dir),
            TFLOG_STORE_DIR=str(self.store_dir),
            TFLOG_PORT=str(self.port),
            TFLOG_INDEX_PREFIX=prefix,
            TFLOG_USER="alice",
        )
        self.env.pop("TFLOG_SOCKET", None)
        if es_url:
            self.env["TFLOG_ES_URLS"] = es_url
        else:
            self.env.pop("TFLOG_ES_URLS", None)
        self.env.update(extra_env)
        self.process: subprocess.Popen | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> None:
        if not SERVICE_MAIN.exists():
            raise AssertionError(f"service not built: {SERVICE_MAIN} is missing")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["node", str(SERVICE_MAIN)], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(self._answers, 30, f"the service on port {self.port}\n{self.log_tail()}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"service exited with {self.process.returncode}\n{self.log_tail()}")
        return bool(self.status())

    def status(self) -> dict:
        return http_json("GET", f"{self.api}/status", timeout=5)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is None:
            return
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no service log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Kernel:
    """A real IPython kernel started by jupyter_client."""

    def __init__(self, env: dict[str, str]) -> None:
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        kernel_env = dict(os.environ)
        kernel_env.update(env)
        self.manager.start_kernel(env=kernel_env, extra_arguments=[])
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def execute(
        self,
        code: str,
        timeout: float = 300,
        on_stream: Callable[[str, str], None] | None = None,
    ) -> dict:
        """Runs code; returns {'status', 'stdout', 'stderr', 'error'}.
        `on_stream(name, text)` sees stream output as it arrives."""
        outputs: dict[str, Any] = {"stdout": "", "stderr": "", "error": None}

        def on_output(message: dict) -> None:
            kind = message["header"]["msg_type"]
            content = message["content"]
            if kind == "stream":
                outputs[content["name"]] += content["text"]
                if on_stream is not None:
                    on_stream(content["name"], content["text"])
            elif kind == "error":
                outputs["error"] = content

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=on_output)
        outputs["status"] = reply["content"]["status"]
        return outputs

    @property
    def pid(self) -> int:
        """The kernel's process id, as the kernel itself says."""
        outcome = self.execute("import os; print(os.getpid())")
        return int(outcome["stdout"].strip())

    def shutdown(self) -> None:
        self.client.stop_channels()
        if self.manager.is_alive():
            self.manager.shutdown_kernel(now=False)
        else:  # killed by a test: only its connection files are left
            self.manager.cleanup_resources()


def python() -> str:
    return sys.executable
