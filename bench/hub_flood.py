"""One user's live curve while another floods, on a real JupyterHub in hub
mode: the tflog hub service (docs/admin-hub.md, a per-user quota) storing in
Elasticsearch, users alice and bob.

bob runs a `%%tflog` cell printing Keras-like epoch lines, one every
--interval seconds for --seconds, each with a loss that is its own counter;
the kernel notes when it printed each line. Meanwhile bob's series is read
through his tflog API (/user/bob/tflog/api/v1/runs/<id>/series) every
--poll seconds, and the time each point first shows is noted. The latency of
a line is first-seen minus printed (same machine, same clock; the poll
period is part of it). This is done twice: with alice idle, then while alice
runs a `%%tflog` cell printing as fast as it can (from a moment before bob's
cell until it ends), over her quota.

Figures (merged into bench/results/latest.json, or TFLOG_BENCH_RESULTS):
hub.bob_curve_latency_ms.{idle,alice_flooding}.{p50,p95,p99,mean,max,n},
hub.bob_curve_missing.{idle,alice_flooding} (lines never seen),
hub.alice_flood_lines_per_s, hub.alice_quota_refusals (the hub service's
count of 429s for alice: its /status hub.usage.refusedRate), hub.meta.

Elasticsearch: TFLOG_TEST_ES_URL, else a node of its own
(scripts/es-start.sh on a free port). Needs the built service bundle
(npm run build:service).

    .venv/bin/python bench/hub_flood.py [--quick] [--seconds 60] [--quota 500]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench_support as support

sys.path.insert(0, str(support.ROOT / "tests" / "hub"))

import certifi  # noqa: E402  (after the path of the hub harness)
import requests  # noqa: E402
import websocket  # noqa: E402
from guide import guide_block, hub_mode_config  # noqa: E402
from hub_harness import Hub, wait_for  # noqa: E402

USERS = ("alice", "bob")


def bob_cell(name: str, lines: int, interval: float, times_file: Path) -> str:
    """Keras-like epochs, one line each `interval` s; the loss of line i is
    i + 0.5 (exact in a float), and the print times go to `times_file`."""
    return (
        f"%%tflog {name}\n"
        "import json, time\n"
        "printed = {}\n"
        "start = time.time()\n"
        f"for i in range({lines}):\n"
        f"    time.sleep(max(0.0, start + i * {interval} - time.time()))\n"
        f"    print(f'Epoch {{i + 1}}/{lines}')\n"
        "    printed[i] = time.time()\n"
        "    print('10/10 [==============================] - 0s 20ms/step - '\n"
        "          f'loss: {i + 0.5:.4f}')\n"
        f"with open({str(times_file)!r}, 'w') as out:\n"
        "    json.dump(printed, out)\n"
    )


def alice_cell(seconds: float, count_file: Path) -> str:
    """Prints as fast as it can for `seconds`; the count goes to `count_file`."""
    return (
        "%%tflog alice-flood\n"
        "import json, time\n"
        "n = 0\n"
        "start = time.time()\n"
        f"end = start + {seconds}\n"
        "while time.time() < end:\n"
        "    print('flood line', n)\n"
        "    n += 1\n"
        f"with open({str(count_file)!r}, 'w') as out:\n"
        "    json.dump({'lines': n, 'seconds': time.time() - start}, out)\n"
    )


def run_ok(hub: Hub, user: str, code: str, timeout: float) -> dict:
    outcome = hub.run_cell(user, code, timeout=timeout)
    if outcome["status"] != "ok":
        raise RuntimeError(f"{user}'s cell failed: {outcome}")
    return outcome


def refused_rate(hub: Hub, user: str) -> int:
    response = requests.get(
        f"{hub.url}/services/tflog/api/v1/status",
        headers={"Authorization": f"token {hub.token(user)}"},
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(f"hub service status for {user}: {response.status_code} {response.text}")
    return int(response.json()["hub"]["usage"]["refusedRate"])


class CellThread(threading.Thread):
    """A cell run in the background; its outcome or error kept."""

    def __init__(self, hub: Hub, user: str, code: str, timeout: float) -> None:
        super().__init__(daemon=True)
        self.hub, self.user, self.code, self.timeout = hub, user, code, timeout
        self.outcome: dict | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.outcome = run_ok(self.hub, self.user, self.code, self.timeout)
        except (
            AssertionError,
            OSError,
            RuntimeError,
            ValueError,
            requests.RequestException,
            websocket.WebSocketException,
        ) as error:  # reported by result()
            self.error = error

    def result(self) -> dict:
        self.join(self.timeout + 30)
        if self.error is not None:
            raise RuntimeError(f"{self.user}'s cell: {self.error}") from self.error
        if self.outcome is None:
            raise RuntimeError(f"{self.user}'s cell did not finish in time")
        return self.outcome


def bob_phase(hub: Hub, args: argparse.Namespace, work: Path, name: str) -> dict:
    """Runs bob's cell and polls his series; {line: latency ms} and missing."""
    lines = int(args.seconds / args.interval)
    times_file = work / f"{name}-printed.json"
    cell = CellThread(
        hub, "bob", bob_cell(name, lines, args.interval, times_file), args.seconds + 120
    )
    cell.start()
    run = wait_for(
        lambda: next(
            (run for run in hub.tflog_json("bob", "runs")["runs"] if run["name"] == name), None
        ),
        60,
        f"bob's run {name}",
        0.05,
    )
    seen: dict[int, float] = {}
    session = hub.user_api("bob")
    path = f"tflog/api/v1/runs/{run['run_id']}/series?names=loss&max_points=10000"
    stop_at: float | None = None
    while True:
        response = session.get(path)
        now = time.time()
        if response.status_code != 200:
            raise RuntimeError(f"bob's series: {response.status_code} {response.text[:300]}")
        for series in response.json()["series"]:
            if series["name"] != "loss":
                continue
            for point in series["points"]:
                if point["y"] is not None:
                    seen.setdefault(int(point["y"]), now)
        if stop_at is None and not cell.is_alive():
            stop_at = time.monotonic() + args.grace
        if len(seen) >= lines or (stop_at is not None and time.monotonic() > stop_at):
            break
        time.sleep(args.poll)
    session.close()
    cell.result()
    printed = {int(key): value for key, value in json.loads(times_file.read_text()).items()}
    latencies = [(seen[i] - printed[i]) * 1000 for i in sorted(printed) if i in seen]
    return {"latencies": latencies, "missing": len(printed) - len(latencies)}


def start_elasticsearch(work: Path) -> tuple[str, Path | None]:
    given = os.environ.get("TFLOG_TEST_ES_URL", "").strip()
    if given:
        return given, None
    data_dir = work / "es"
    started = subprocess.run(
        ["bash", str(support.ROOT / "scripts" / "es-start.sh"), "0", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if started.returncode != 0:
        raise SystemExit("Elasticsearch did not start:\n" + started.stdout + started.stderr)
    return started.stdout.strip().splitlines()[-1], data_dir


def start_hub(work: Path, es_url: str, prefix: str, quota: int) -> Hub:
    key = f"tflog-hub-bench-{secrets.token_hex(4)}:{secrets.token_urlsafe(24)}"
    ca_file = work / "es-ca.pem"  # a real bundle; the dev node is http
    shutil.copyfile(certifi.where(), ca_file)
    service_url = f"http://127.0.0.1:{support.free_port()}"
    config = hub_mode_config(
        service_url,
        es_url,
        base64.b64encode(key.encode()).decode(),
        str(ca_file),
        prefix,
        quota_docs_per_s=quota,
    )
    kernel_config = guide_block("ipython_kernel_config")
    for user in USERS:
        profile = work / "home" / user / ".ipython" / "profile_default"
        profile.mkdir(parents=True)
        (profile / "ipython_kernel_config.py").write_text(kernel_config)
    hub = Hub(work, USERS, extra_config=config)
    try:
        hub.start()
    except BaseException:
        problems = hub.shutdown()
        if problems:
            print("[hub] stopping the hub after a failed start: " + "; ".join(problems))
        raise
    return hub


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s phases: checks the script")
    parser.add_argument("--seconds", type=float, default=60.0, help="bob's cell, each phase")
    parser.add_argument("--interval", type=float, default=0.2, help="between bob's lines")
    parser.add_argument("--poll", type=float, default=0.1, help="between reads of bob's series")
    parser.add_argument("--quota", type=int, default=500, help="TFLOG_HUB_QUOTA_DOCS_PER_S")
    parser.add_argument("--lead", type=float, default=3.0, help="alice floods this long first")
    parser.add_argument("--grace", type=float, default=30.0, help="polling after bob's cell")
    parser.add_argument("--keep", action="store_true", help="keep the hub's directory")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 10.0
        if not os.environ.get("TFLOG_BENCH_RESULTS"):  # never over measured figures
            os.environ["TFLOG_BENCH_RESULTS"] = str(
                Path(tempfile.gettempdir()) / "tflog-hub-quick.json"
            )
    if not (support.ROOT / "tflog" / "service" / "tflog-service.js").exists():
        raise SystemExit("the service bundle is missing: npm run build:service")
    started = time.monotonic()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="tflog-bench-hub-"))
    prefix = support.random_prefix("hub")
    es_url, es_dir = start_elasticsearch(work)
    results: dict = {}
    hub: Hub | None = None
    try:
        print(f"[hub] Elasticsearch at {es_url}; starting the hub (quota {args.quota} docs/s)")
        hub = start_hub(work, es_url, prefix, args.quota)
        # Kernels started, tflog loaded, the day's indices created: a short
        # run each, and bob's curve seen once.
        for user in USERS:
            run_ok(hub, user, bob_cell(f"{user}-warm-up", 3, 0.1, work / f"{user}-warm.json"), 120)
        warm = wait_for(
            lambda: next(
                (
                    run
                    for run in hub.tflog_json("bob", "runs")["runs"]
                    if run["name"] == "bob-warm-up"
                ),
                None,
            ),
            60,
            "bob's warm-up run",
        )
        wait_for(
            lambda: any(
                series["points"]
                for series in hub.tflog_json("bob", f"runs/{warm['run_id']}/series")["series"]
            ),
            60,
            "bob's warm-up curve",
        )

        print(f"[hub] bob trains {args.seconds:g} s, alice idle")
        idle = bob_phase(hub, args, work, "bob-idle")

        print(f"[hub] bob trains {args.seconds:g} s while alice floods")
        refused_before = refused_rate(hub, "alice")
        count_file = work / "alice-count.json"
        flood = CellThread(
            hub, "alice", alice_cell(args.seconds + args.lead, count_file), args.seconds + 300
        )
        flood.start()
        time.sleep(args.lead)
        flooded = bob_phase(hub, args, work, "bob-flooded")
        flood.result()
        refusals = refused_rate(hub, "alice") - refused_before
        count = json.loads(count_file.read_text())

        for phase, found in (("idle", idle), ("alice_flooding", flooded)):
            results.update(
                support.flatten(
                    f"hub.bob_curve_latency_ms.{phase}", support.summarise(found["latencies"])
                )
            )
            results[f"hub.bob_curve_missing.{phase}"] = found["missing"]
        results["hub.alice_flood_lines_per_s"] = round(count["lines"] / count["seconds"], 1)
        results["hub.alice_quota_refusals"] = refusals
    finally:
        if hub is not None:
            hub.stop()
        if es_dir is not None:
            subprocess.run(
                ["bash", str(support.ROOT / "scripts" / "es-stop.sh"), str(es_dir)], timeout=120
            )
        else:
            support.Elasticsearch(es_url).delete_prefix(prefix)
        if args.keep:
            print(f"[hub] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["hub.meta"] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_before": [round(value, 2) for value in load_before],
        "python": platform.python_version(),
        "quota_docs_per_s": args.quota,
        "bob_seconds": args.seconds,
        "bob_interval_s": args.interval,
        "poll_s": args.poll,
        "alice_lead_s": args.lead,
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
    }
    for key, value in sorted(results.items()):
        shown = f"{value:.1f}" if isinstance(value, float) else value
        print(f"{key:48} {shown}")
    print(f"merged into {support.merge_results(results)}")


if __name__ == "__main__":
    main()
