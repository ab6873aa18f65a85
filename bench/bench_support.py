"""What the ingest and load benchmarks share: the results file, a small
Elasticsearch client over HTTP, the tflog service as a child process, and
CPU and memory figures of a process read from /proc.

Standard library only, so the benchmarks run in the test venv as it is.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

from tflog.server.node import SERVICE_NODE_OPTIONS

ROOT = Path(__file__).resolve().parents[1]
SERVICE_MAIN = ROOT / "service" / "lib" / "main.js"
DEFAULT_RESULTS = ROOT / "bench" / "results" / "latest.json"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def results_path() -> Path:
    """bench/results/latest.json, or TFLOG_BENCH_RESULTS (a --quick check
    writes elsewhere so that it never overwrites measured figures)."""
    return Path(os.environ.get("TFLOG_BENCH_RESULTS") or DEFAULT_RESULTS)


def merge_results(values: dict, path: Path | None = None) -> Path:
    """Writes `values` over the same keys of the results file; keeps the rest."""
    target = path or results_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    current.update(values)
    temporary = target.with_suffix(".json.tmp")
    # Written as the Node parts write it (keys sorted at the top only, text
    # unescaped), so the file does not flip between the two.
    ordered = {key: current[key] for key in sorted(current)}
    text = json.dumps(ordered, indent=2, ensure_ascii=False)
    temporary.write_text(text + "\n", encoding="utf-8")
    temporary.replace(target)
    return target


def percentile(values: list, p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100), as bench/latency/stats.mjs."""
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[min(len(ordered), max(1, rank)) - 1]


def summarise(values: list) -> dict:
    """p50, p95, p99, mean, max and count, rounded to 0.1."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "p50": rounded(percentile(values, 50)),
        "p95": rounded(percentile(values, 95)),
        "p99": rounded(percentile(values, 99)),
        "mean": rounded(sum(values) / len(values)) if values else None,
        "max": rounded(max(values)) if values else None,
        "n": len(values),
    }


def flatten(prefix: str, summary: dict) -> dict:
    return {f"{prefix}.{key}": value for key, value in summary.items()}


def random_prefix(kind: str) -> str:
    return f"tflog-bench-{kind}-{secrets.token_hex(4)}-"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(
    method: str, url: str, body: Any = None, timeout: float = 60.0, token: str | None = None
) -> Any:
    data = None
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"token {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")[:500]
        raise RuntimeError(f"{method} {url}: HTTP {error.code}: {detail}") from error


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval=0.2) -> Any:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (OSError, RuntimeError, ValueError) as error:
            last_error = error  # reported below if the condition never holds
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last_error!r})")


class Elasticsearch:
    """The few calls the benchmarks make, on index patterns."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def refresh(self, pattern: str) -> None:
        http_json("POST", f"{self.url}/{pattern}/_refresh?ignore_unavailable=true")

    def count(self, pattern: str, query: dict | None = None) -> int:
        body = {"query": query} if query else None
        options = "ignore_unavailable=true&allow_no_indices=true"
        result = http_json("POST", f"{self.url}/{pattern}/_count?{options}", body)
        return int(result["count"])

    def search(self, pattern: str, body: dict) -> dict:
        return http_json(
            "POST",
            f"{self.url}/{pattern}/_search?ignore_unavailable=true&allow_no_indices=true",
            body,
        )

    def ids(self, pattern: str, query: dict) -> Iterator[str]:
        """The `_id` of every document matching `query`, through a scroll."""
        options = "ignore_unavailable=true&allow_no_indices=true&scroll=1m"
        body = {"query": query, "size": 10_000, "_source": False, "sort": ["_doc"]}
        page = http_json("POST", f"{self.url}/{pattern}/_search?{options}", body)
        try:
            while page["hits"]["hits"]:
                for hit in page["hits"]["hits"]:
                    yield hit["_id"]
                scroll = {"scroll": "1m", "scroll_id": page["_scroll_id"]}
                page = http_json("POST", f"{self.url}/_search/scroll", scroll)
        finally:
            if page.get("_scroll_id"):
                http_json("DELETE", f"{self.url}/_search/scroll", {"scroll_id": page["_scroll_id"]})

    def create_index(self, name: str, body: dict) -> None:
        http_json("PUT", f"{self.url}/{name}", body)

    def delete_prefix(self, prefix: str) -> list:
        """Deletes the indices and index templates named `<prefix>*`."""
        found = http_json(
            "GET", f"{self.url}/_cat/indices/{prefix}*?format=json&h=index&expand_wildcards=all"
        )
        names = [row["index"] for row in found]
        if names:
            http_json("DELETE", f"{self.url}/{','.join(names)}")
        try:
            http_json("DELETE", f"{self.url}/_index_template/{prefix}*")
        except RuntimeError as error:
            if "HTTP 404" not in str(error):
                raise
        return names


# ------------------------------------------------------------------ processes
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_mb(pid: int) -> dict:
    """Current (VmRSS) and peak (VmHWM) resident memory of a live process, MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return {"rss": values.get("VmRSS", 0.0), "peak": values.get("VmHWM", 0.0)}


class Service:
    """The tflog service (service/lib/main.js) shipping `spool_dir` into
    Elasticsearch under `prefix`, or into the embedded store in `work/store`
    when `es_url` is None, answering on a loopback port. Node runs it with
    the options the Jupyter server gives it (SERVICE_NODE_OPTIONS), then
    `node_args`."""

    def __init__(
        self,
        work: Path,
        es_url: str | None,
        prefix: str,
        node_args: list | None = None,
        extra_env: dict | None = None,
        token: str | None = None,
    ) -> None:
        self.work = work
        self.token = token  # a JupyterHub token, for a hub service's API
        self.spool_dir = work / "spool"
        self.port = free_port()
        self.log_path = work / "service.log"
        self.node_args = node_args or []
        self.env = dict(os.environ)
        for name in list(self.env):
            if name.startswith("TFLOG_"):
                del self.env[name]  # only what is set here
        for directory in ("spool", "state", "store"):
            (work / directory).mkdir(parents=True, exist_ok=True)
        self.env.update(
            TFLOG_SPOOL_DIR=str(self.spool_dir),
            TFLOG_STATE_DIR=str(work / "state"),
            TFLOG_STORE_DIR=str(work / "store"),
            TFLOG_PORT=str(self.port),
            TFLOG_INDEX_PREFIX=prefix,
            TFLOG_USER="bench",
        )
        if es_url is not None:
            self.env["TFLOG_ES_URLS"] = es_url
        self.env.update(extra_env or {})
        self.process: subprocess.Popen | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the service is not running")
        return self.process.pid

    def start(self) -> None:
        if not SERVICE_MAIN.exists():
            raise RuntimeError(f"{SERVICE_MAIN} is missing: build the service (npx tsc -b service)")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["node", *SERVICE_NODE_OPTIONS, *self.node_args, str(SERVICE_MAIN)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._running, 60, f"the tflog service to ship (log: {self.log_path})")

    def _running(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            code = self.process.returncode
            raise SystemExit(f"the tflog service exited with {code}:\n{self.log_tail()}")
        return self.status()["state"] == "running"

    def status(self) -> dict:
        return http_json("GET", f"{self.api}/status", timeout=10, token=self.token)

    def stop(self) -> int | None:
        """SIGTERM (a clean stop: a --cpu-prof profile is written), then SIGKILL."""
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no service log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
