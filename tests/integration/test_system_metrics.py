"""A real kernel samples system metrics during a `%%tflog` run with a short
interval; the service (on the embedded store, no Elasticsearch needed)
stores them as points of scope `system` beside the run, says once how GPUs
are read or that there is none, and keeps them out of the run's metrics."""

from __future__ import annotations

import ctypes
import shutil

import pytest
from harness import Kernel, Service, http_json, wait_for

INTERVAL = 0.2
CELL = f"""%%tflog sampled --system-interval {INTERVAL}
import time
import tflog
tflog.log({{"loss": 0.5}}, step=1)
end = time.time() + 2.0
while time.time() < end:
    sum(range(10000))
"""


def machine_has_nvidia_gpu() -> bool:
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return shutil.which("nvidia-smi") is not None
    return True


@pytest.fixture
def embedded(tmp_path):
    service = Service(tmp_path / "service", None, "tflog-it-")
    service.start()
    yield service
    service.stop()


@pytest.fixture
def kernel(embedded):
    k = Kernel({"TFLOG_SPOOL_DIR": str(embedded.spool_dir), "JUPYTERHUB_USER": "alice"})
    yield k
    k.shutdown()


def api(service: Service, path: str) -> dict:
    return http_json("GET", f"{service.api}{path}", timeout=30)


def finished_run(service: Service, name: str) -> dict:
    def ended():
        runs = [run for run in api(service, "/runs?size=100")["runs"] if run["name"] == name]
        return runs[0] if runs and runs[0]["status"] != "running" else None

    return wait_for(ended, 60, f"the end of run {name!r}\n{service.log_tail()}")


def test_a_short_interval_run_yields_system_points_and_says_how_gpus_are_read(embedded, kernel):
    assert kernel.execute("%load_ext tflog")["status"] == "ok"
    result = kernel.execute(CELL)
    assert result["status"] == "ok", result
    run = finished_run(embedded, "sampled")
    assert run["status"] == "finished"
    # The training value is the run's metric; samples are not.
    assert run["last_metrics"] == {"loss": 0.5}, run
    assert run["last_step"] == 1

    def system_series():
        body = api(embedded, f"/runs/{run['run_id']}/series?axis=time&scope=system")
        series = {item["name"]: item for item in body["series"]}
        rss = series.get("system.rss_mb")
        return series if rss is not None and len(rss["points"]) >= 5 else None

    series = wait_for(system_series, 30, "the system series")
    assert {item["scope"] for item in series.values()} == {"system"}
    assert {item["source"] for item in series.values()} == {"system"}
    rss = series["system.rss_mb"]["points"]
    # 2 s at 0.2 s: about 10 samples, however busy the machine.
    assert 5 <= len(rss) <= 15, rss
    assert all(point["y"] > 10 for point in rss), rss
    times = [point["x"] for point in rss]
    assert times == sorted(times) and times[-1] - times[0] >= 1000
    cpu = [point["y"] for point in series["system.cpu_percent"]["points"]]
    # The cell keeps a core busy; on a shared machine it gets part of one.
    assert len(cpu) == len(rss) - 1 and max(cpu) > 5, cpu
    (count,) = series["system.gpu_count"]["points"]

    # The series of the step axis are the training ones only.
    by_step = api(embedded, f"/runs/{run['run_id']}/series?axis=step")
    assert [item["name"] for item in by_step["series"]] == ["loss"], by_step

    logs = api(embedded, f"/runs/{run['run_id']}/logs?size=1000&order=asc")
    lines = [line for line in logs["lines"] if line["message"].startswith("System metrics")]
    assert len(lines) == 1, logs
    if machine_has_nvidia_gpu():
        assert count["y"] >= 1
        assert "GPU" in lines[0]["message"] and "no GPU" not in lines[0]["message"]
        assert "gpu0.utilization_percent" in series and "gpu0.power_w" in series
    else:
        # No GPU: nothing breaks, and the run says so once.
        assert count["y"] == 0
        assert lines[0]["message"].startswith(f"System metrics every {INTERVAL} s; no GPU: ")
        assert not any(name.startswith("gpu") for name in series), sorted(series)
