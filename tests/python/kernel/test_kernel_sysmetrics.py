"""System and GPU metrics: the nvidia-smi CSV parser and the NVML reader on
outputs recorded on an NVIDIA H200 (tests/fixtures/gpu), the process reader,
TensorFlow's device memory, the sampler thread, and runs that sample."""

import ctypes
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import read_spool, spool_files

import tflog.kernel
from tflog.kernel import sysmetrics
from tflog.kernel.diagnostics import DIAGNOSTICS
from tflog.kernel.options import OptionsError, parse_cell_line, parse_line
from tflog.kernel.report import status_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gpu"
# The fields of query-gpu.csv, in order (see the fixtures' README).
RECORDED_FIELDS = (
    "index",
    "uuid",
    "name",
    "utilization.gpu",
    "utilization.memory",
    "memory.used",
    "memory.total",
    "temperature.gpu",
    "power.draw",
    "power.limit",
    "clocks.sm",
)
H200_SMI = {
    "utilization_percent": 0.0,
    "memory_used_mb": 0.0,
    "memory_total_mb": 143771.0,
    "temperature_c": 42.0,
    "power_w": 130.26,
}


def recorded_nvml() -> dict:
    return json.loads((FIXTURES / "nvml.json").read_text())


# ----------------------------------------------------------- nvidia-smi CSV


def test_the_recorded_noheader_csv_is_read_by_field():
    rows = sysmetrics.parse_query_gpu((FIXTURES / "query-gpu.csv").read_text(), RECORDED_FIELDS)
    assert len(rows) == 1
    assert rows[0]["uuid"] == "GPU-fecb9a30-8f0e-67b8-c38c-96d64a408b55"
    assert rows[0]["power.limit"] == "700.00"
    assert sysmetrics.smi_readings(rows) == [(0, "NVIDIA H200", H200_SMI)]


def test_the_recorded_csv_with_header_and_units_gives_the_same_reading():
    rows = sysmetrics.parse_query_gpu((FIXTURES / "query-gpu-header.csv").read_text())
    assert rows[0]["utilization.gpu"] == "0 %" and rows[0]["memory.total"] == "143771 MiB"
    assert sysmetrics.smi_readings(rows) == [(0, "NVIDIA H200", H200_SMI)]


def test_values_nvidia_smi_cannot_give_are_left_out():
    text = (
        "0, Tesla T4, 37, 1024, 15360, 51, [N/A]\n"
        "1, Tesla T4, [Not Supported], 0, 15360, 40, 27.5\n"
    )
    rows = sysmetrics.parse_query_gpu(text, sysmetrics.SMI_FIELDS)
    assert sysmetrics.smi_readings(rows) == [
        (
            0,
            "Tesla T4",
            {
                "utilization_percent": 37.0,
                "memory_used_mb": 1024.0,
                "memory_total_mb": 15360.0,
                "temperature_c": 51.0,
            },
        ),
        (
            1,
            "Tesla T4",
            {
                "memory_used_mb": 0.0,
                "memory_total_mb": 15360.0,
                "temperature_c": 40.0,
                "power_w": 27.5,
            },
        ),
    ]


def test_rows_of_the_wrong_width_and_blank_lines_are_skipped():
    text = "\n0, A100, 1, 2, 3, 4, 5\nNVIDIA-SMI has failed\n"
    rows = sysmetrics.parse_query_gpu(text, sysmetrics.SMI_FIELDS)
    assert [row["name"] for row in rows] == ["A100"]
    assert sysmetrics.parse_query_gpu("") == []


def recorded_smi_output(fields=sysmetrics.SMI_FIELDS) -> bytes:
    """What nvidia-smi prints for our query on the recorded H200: the recorded
    values (query-gpu.csv) in the order asked."""
    (row,) = sysmetrics.parse_query_gpu((FIXTURES / "query-gpu.csv").read_text(), RECORDED_FIELDS)
    return (", ".join(row[field] for field in fields) + "\n").encode()


class FakeRun:
    """subprocess.run for nvidia-smi: answers, fails or times out as told."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, command, **kwargs):
        self.calls.append((command, kwargs))
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        returncode, stdout, stderr = outcome
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)


def test_the_nvidia_smi_reader_asks_for_csv_without_units_and_with_a_time_limit():
    run = FakeRun((0, recorded_smi_output(), b""))
    reader = sysmetrics.SmiReader("/usr/bin/nvidia-smi", run)
    assert reader.names == ["NVIDIA H200"] and reader.count == 1
    assert reader.read() == [(0, H200_SMI)]
    command, kwargs = run.calls[0]
    assert command == [
        "/usr/bin/nvidia-smi",
        "--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw",
        "--format=csv,noheader,nounits",
    ]
    assert kwargs["timeout"] == sysmetrics.NVIDIA_SMI_TIMEOUT
    assert kwargs["stdin"] == subprocess.DEVNULL


def test_nvidia_smi_failing_in_a_sample_leaves_that_sample_without_gpu_values():
    timeout = subprocess.TimeoutExpired(["nvidia-smi"], 5)
    run = FakeRun((0, recorded_smi_output(), b""), timeout, (0, recorded_smi_output(), b""))
    reader = sysmetrics.SmiReader("nvidia-smi", run)
    assert reader.read() == []
    assert reader.read() == [(0, H200_SMI)]
    # Failing every time: asked NVIDIA_SMI_MAX_FAILURES times, then no more.
    run.outcomes = [OSError("gone")]
    for _ in range(sysmetrics.NVIDIA_SMI_MAX_FAILURES + 2):
        assert reader.read() == []
    assert len(run.calls) == 3 + sysmetrics.NVIDIA_SMI_MAX_FAILURES


def test_no_gpu_says_why():
    no_nvml = lambda: (None, "libnvidia-ml.so.1 not found")  # noqa: E731
    assert sysmetrics.find_gpus(no_nvml, lambda name: None) == (
        None,
        "libnvidia-ml.so.1 not found; no nvidia-smi on PATH",
    )
    failing = FakeRun(
        (9, b"", b"NVIDIA-SMI has failed because it couldn't communicate with the driver")
    )
    reader, reason = sysmetrics.find_gpus(no_nvml, lambda name: "/bin/nvidia-smi", failing)
    assert reader is None
    assert reason.startswith(
        "libnvidia-ml.so.1 not found; nvidia-smi exited with 9: NVIDIA-SMI has failed"
    )
    slow = FakeRun(subprocess.TimeoutExpired(["nvidia-smi"], 5))
    _, reason = sysmetrics.find_gpus(no_nvml, lambda name: "/bin/nvidia-smi", slow)
    assert reason == "libnvidia-ml.so.1 not found; nvidia-smi did not answer within 5 s"


def test_without_nvml_nvidia_smi_is_used():
    run = FakeRun((0, recorded_smi_output(), b""))
    reader, reason = sysmetrics.find_gpus(lambda: (None, "x"), lambda name: "nvidia-smi", run)
    assert reason == "" and reader.source == "nvidia-smi" and reader.names == ["NVIDIA H200"]


# --------------------------------------------------------------------- NVML


class FakeNvml:
    """libnvidia-ml through ctypes, answering with the readings of nvml.json.

    Each call receives what ctypes would pass to the C function (byref()
    arguments, c_uint/c_int values, string buffers) and fills the
    structures the way NVML does.
    """

    def __init__(self, recorded: dict, unsupported=(), init_code=0):
        self.gpus = recorded["gpus"]
        self.driver = recorded["nvml_version"]
        self.unsupported = set(unsupported)
        self.init_code = init_code
        self.calls = []

    @staticmethod
    def _target(reference):
        return reference._obj  # what ctypes.byref() points to

    def _gpu(self, handle):
        return self.gpus[handle.value - 1]

    def nvmlInit_v2(self):
        self.calls.append("init")
        return self.init_code

    def nvmlDeviceGetCount_v2(self, count):
        self._target(count).value = len(self.gpus)
        return 0

    def nvmlDeviceGetHandleByIndex_v2(self, index, handle):
        self._target(handle).value = index.value + 1  # any non-null pointer
        return 0

    def nvmlDeviceGetName(self, handle, buffer, length):
        buffer.value = self._gpu(handle)["name"].encode()[: length.value - 1]
        return 0

    def nvmlSystemGetDriverVersion(self, buffer, length):
        buffer.value = self.driver.encode()
        return 0

    def nvmlDeviceGetUtilizationRates(self, handle, utilization):
        if "utilization" in self.unsupported:
            return 3  # NVML_ERROR_NOT_SUPPORTED
        target = self._target(utilization)
        target.gpu = self._gpu(handle)["util_gpu"]
        target.memory = self._gpu(handle)["util_mem"]
        return 0

    def nvmlDeviceGetMemoryInfo(self, handle, memory):
        target = self._target(memory)
        gpu = self._gpu(handle)
        target.total = gpu["mem_total"]
        target.used = gpu["mem_used"]
        target.free = gpu["mem_total"] - gpu["mem_used"]
        return 0

    def nvmlDeviceGetTemperature(self, handle, sensor, temperature):
        assert sensor.value == 0  # NVML_TEMPERATURE_GPU
        self._target(temperature).value = self._gpu(handle)["temp"]
        return 0

    def nvmlDeviceGetPowerUsage(self, handle, milliwatts):
        if "power" in self.unsupported:
            return 3
        self._target(milliwatts).value = self._gpu(handle)["power_mw"]
        return 0


def test_the_nvml_reader_gives_the_recorded_h200_values_in_our_units():
    recorded = recorded_nvml()
    reader = sysmetrics.NvmlReader(FakeNvml(recorded))
    assert reader.count == 1 and reader.names == ["NVIDIA H200"]
    assert reader.driver == "580.159.04"
    ((index, reading),) = reader.read()
    gpu = recorded["gpus"][0]
    assert index == 0
    assert reading == {
        "utilization_percent": 0.0,
        "memory_used_mb": pytest.approx(gpu["mem_used"] / 2**20, abs=1e-3),
        "memory_total_mb": 143771.0,  # what nvidia-smi shows, in MiB
        "temperature_c": 40.0,
        "power_w": 80.247,
    }


def test_values_the_gpu_does_not_support_are_left_out():
    reader = sysmetrics.NvmlReader(FakeNvml(recorded_nvml(), unsupported={"power", "utilization"}))
    ((_, reading),) = reader.read()
    assert set(reading) == {"memory_used_mb", "memory_total_mb", "temperature_c"}


def test_nvml_is_loaded_once_and_a_missing_library_is_a_reason(monkeypatch):
    monkeypatch.setattr(sysmetrics, "_nvml", None)
    loaded = []

    def missing(name):
        loaded.append(name)
        raise OSError(f"{name}: cannot open shared object file")

    assert sysmetrics.load_nvml(missing) == (None, "libnvidia-ml.so.1 not found")
    assert sysmetrics.load_nvml(missing) == (None, "libnvidia-ml.so.1 not found")
    assert loaded == ["libnvidia-ml.so.1"]

    monkeypatch.setattr(sysmetrics, "_nvml", None)
    fake = FakeNvml(recorded_nvml(), init_code=9)  # NVML_ERROR_DRIVER_NOT_LOADED
    assert sysmetrics.load_nvml(lambda name: fake) == (None, "NVML: nvmlInit returned 9")

    monkeypatch.setattr(sysmetrics, "_nvml", None)
    fake = FakeNvml(recorded_nvml())
    reader, reason = sysmetrics.load_nvml(lambda name: fake)
    assert reason == "" and reader.names == ["NVIDIA H200"]
    assert sysmetrics.load_nvml(lambda name: FakeNvml(recorded_nvml()))[0] is reader
    assert fake.calls == ["init"]


def test_the_real_loader_on_this_machine_never_raises(monkeypatch):
    monkeypatch.setattr(sysmetrics, "_nvml", None)
    reader, reason = sysmetrics.load_nvml()
    assert (reader is None) == bool(reason)
    if reader is None:
        assert reason


# ------------------------------------------------------------------ process


def test_process_cpu_and_memory_from_a_proc_stat_line(tmp_path):
    stat = tmp_path / "stat"
    ticks = sysmetrics._sysconf("SC_CLK_TCK", 100)
    page = sysmetrics._sysconf("SC_PAGE_SIZE", 4096)

    def write(utime, stime, rss_pages):
        # The command name may hold spaces and parentheses.
        fields = ["S"] + ["0"] * 10 + [str(utime), str(stime)] + ["0"] * 8 + [str(rss_pages)]
        stat.write_text("4242 (python (a) b) " + " ".join(fields) + " 0 0 0\n")

    now = [100.0]
    write(ticks * 3, ticks * 1, 256 * 1024 * 1024 // page)
    reader = sysmetrics.ProcessReader(str(stat), clock=lambda: now[0])
    assert reader.source == "proc"
    assert reader.read() == {"system.rss_mb": 256.0}  # no CPU percent from one reading
    write(ticks * 4, ticks * 2, 512 * 1024 * 1024 // page)  # 2 CPU seconds in 4 s
    now[0] = 104.0
    assert reader.read() == {"system.rss_mb": 512.0, "system.cpu_percent": 50.0}


def test_process_metrics_without_proc_come_from_resource(tmp_path):
    now = [0.0]
    reader = sysmetrics.ProcessReader(str(tmp_path / "no-proc"), clock=lambda: now[0])
    assert reader.source == "resource"
    first = reader.read()
    assert set(first) == {"system.max_rss_mb"} and first["system.max_rss_mb"] > 1
    now[0] = 1.0
    assert set(reader.read()) == {"system.max_rss_mb", "system.cpu_percent"}


def test_the_real_proc_of_this_process():
    reader = sysmetrics.ProcessReader()
    first = reader.read()
    end = time.process_time() + 0.1
    while time.process_time() < end:
        pass
    second = reader.read()
    assert first["system.rss_mb"] > 1 and second["system.cpu_percent"] > 0


# --------------------------------------------------------------- TensorFlow


class FakeContext:
    def __init__(self, initialised):
        self._context_handle = object() if initialised else None


def fake_tensorflow(initialised=True, gpus=1, context=True):
    calls = []

    class Experimental:
        @staticmethod
        def get_memory_info(device):
            calls.append(device)
            if device == "GPU:1":
                raise ValueError("no allocator stats")
            return {"current": 3 * 2**30, "peak": 5 * 2**30}

    class Config:
        experimental = Experimental

        @staticmethod
        def list_logical_devices(kind):
            calls.append(kind)
            return [f"/device:GPU:{n}" for n in range(gpus)]

    tf = type("tensorflow", (), {"config": Config})
    eager = type("context", (), {})
    eager.context_safe = staticmethod(lambda: FakeContext(initialised) if context else None)
    return {"tensorflow": tf, "tensorflow.python.eager.context": eager}, calls


def test_tensorflow_memory_per_gpu_once_its_devices_are_initialised():
    modules, calls = fake_tensorflow(gpus=2)
    assert sysmetrics.tensorflow_memory(modules) == {
        "gpu0.tf_memory_mb": 3072.0,
        "gpu0.tf_memory_peak_mb": 5120.0,
    }
    assert calls == ["GPU", "GPU:0", "GPU:1"]


@pytest.mark.parametrize(
    "modules",
    [
        {},  # TensorFlow not imported: never imported by tflog
        fake_tensorflow(context=False)[0],  # imported, no eager context yet
        fake_tensorflow(initialised=False)[0],  # context not initialised
    ],
)
def test_tensorflow_is_never_asked_before_it_initialised_its_devices(modules):
    assert sysmetrics.tensorflow_memory(modules) == {}


def test_tensorflow_memory_never_imports_tensorflow():
    code = (
        "import sys; from tflog.kernel import sysmetrics; "
        "assert sysmetrics.tensorflow_memory() == {}; "
        "assert 'tensorflow' not in sys.modules, 'imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()


# ------------------------------------------------------------------ sampler


class FakeGpuReader:
    source = "nvml"
    names = ["NVIDIA H200"]
    driver = "580.159.04"
    count = 1

    def __init__(self, delay=0.0):
        self.delay = delay
        self.reads = 0

    def read(self):
        self.reads += 1
        time.sleep(self.delay)
        return [(0, {"utilization_percent": 7.0, "power_w": 80.247})]


class Collected:
    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def __call__(self, ts, values, info):
        with self.lock:
            self.items.append((ts, dict(values), info))


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_sampler_samples_at_once_then_every_interval_and_stops():
    put = Collected()
    gpu = FakeGpuReader()
    sampler = sysmetrics.SystemSampler(
        put, 0.05, gpus=lambda: (gpu, ""), tf_memory=lambda: {"gpu0.tf_memory_mb": 12.5}
    )
    sampler.start()
    wait_until(lambda: len(put.items) >= 4)
    sampler.stop()
    assert not sampler.alive
    count = len(put.items)
    time.sleep(0.2)
    assert len(put.items) == count, "sampled after stop()"
    first_ts, first, info = put.items[0]
    assert info == {
        "interval": 0.05,
        "gpu_count": 1,
        "gpu_source": "nvml",
        "gpus": ["NVIDIA H200"],
        "driver": "580.159.04",
    }
    assert first["system.gpu_count"] == 1.0 and "system.rss_mb" in first
    assert first["gpu0.utilization_percent"] == 7.0 and first["gpu0.power_w"] == 80.247
    assert first["gpu0.tf_memory_mb"] == 12.5
    assert abs(first_ts - time.time()) < 60
    for _, values, later_info in put.items[1:]:
        assert later_info is None and "system.gpu_count" not in values
        assert "system.cpu_percent" in values
    assert sampler.samples == count and sampler.gpu_source == "nvml"


def test_no_gpu_is_said_once_in_the_first_sample():
    put = Collected()
    sampler = sysmetrics.SystemSampler(put, 0.05, gpus=lambda: (None, "no NVIDIA driver"))
    sampler.start()
    wait_until(lambda: len(put.items) >= 2)
    sampler.stop()
    assert put.items[0][2] == {"interval": 0.05, "gpu_count": 0, "no_gpu": "no NVIDIA driver"}
    assert put.items[0][1]["system.gpu_count"] == 0.0
    assert all(info is None for _, _, info in put.items[1:])
    assert not any(name.startswith("gpu") for _, values, _ in put.items for name in values)
    assert sampler.no_gpu == "no NVIDIA driver"


def test_stopping_never_waits_for_a_slow_gpu_read_and_nothing_comes_after():
    put = Collected()
    gpu = FakeGpuReader(delay=1.5)
    sampler = sysmetrics.SystemSampler(put, 10.0, gpus=lambda: (gpu, ""))
    sampler.start()
    wait_until(lambda: gpu.reads == 1)
    started = time.monotonic()
    sampler.stop(timeout=0.2)
    assert time.monotonic() - started < 1.0  # not the 1.5 s the read takes
    wait_until(lambda: not sampler.alive)
    assert put.items == [] and gpu.reads == 1


def test_a_failing_reader_costs_its_values_not_the_sampler():
    put = Collected()

    class Broken(FakeGpuReader):
        def read(self):
            self.reads += 1
            raise RuntimeError("driver fell over")

    def broken_tf():
        raise RuntimeError("tf fell over")

    gpu = Broken()
    sampler = sysmetrics.SystemSampler(put, 0.05, gpus=lambda: (gpu, ""), tf_memory=broken_tf)
    sampler.start()
    wait_until(lambda: len(put.items) >= 3)
    assert sampler.alive
    sampler.stop()
    assert gpu.reads >= 3
    for _, values, _ in put.items:
        assert "system.rss_mb" in values
        assert not any(name.startswith("gpu") for name in values)
    assert "system metrics" in DIAGNOSTICS.summary()


def test_a_reader_that_cannot_even_name_its_gpus_ends_the_thread_quietly(capsys):
    class Nameless(FakeGpuReader):
        @property
        def names(self):
            raise RuntimeError("no names")

    put = Collected()
    errors = DIAGNOSTICS.error_count
    sampler = sysmetrics.SystemSampler(put, 0.05, gpus=lambda: (Nameless(), ""))
    sampler.start()
    wait_until(lambda: not sampler.alive)
    sampler.stop()
    assert put.items == []
    # Counted as tflog's own error; no thread traceback on the user's stderr.
    assert DIAGNOSTICS.error_count == errors + 1
    assert "Traceback" not in capsys.readouterr().err


def test_gpu_discovery_failing_is_no_gpu():
    put = Collected()

    def broken():
        raise RuntimeError("probe fell over")

    sampler = sysmetrics.SystemSampler(put, 0.05, gpus=broken)
    sampler.start()
    wait_until(lambda: len(put.items) >= 1)
    sampler.stop()
    assert put.items[0][2]["gpu_count"] == 0
    assert "GPU discovery failed" in put.items[0][2]["no_gpu"]


# ------------------------------------------------------------ options, env


def test_the_interval_option():
    assert parse_line("start --system-interval 0.2").run.system_interval == 0.2
    assert parse_cell_line("--system-interval 0").system_interval == 0.0
    assert parse_cell_line("").system_interval is None
    with pytest.raises(OptionsError, match="at least 0.1"):
        parse_line("start --system-interval 0.05")
    with pytest.raises(OptionsError, match="seconds"):
        parse_cell_line("--system-interval soon")


@pytest.mark.parametrize(
    "value, interval",
    [
        (None, 10.0),
        ("", 10.0),
        ("0", 0.0),
        ("2.5", 2.5),
        ("abc", 10.0),
        ("0.01", 10.0),
        ("-1", 10.0),
    ],
)
def test_the_environment_variable(value, interval):
    environ = {} if value is None else {"TFLOG_SYSTEM_INTERVAL": value}
    assert sysmetrics.interval_from_environment(environ) == interval


# --------------------------------------------------------------------- runs


def system_records(records):
    return [r for r in records if r["t"] == "metrics" and r["scope"] == "system"]


def test_a_run_spools_system_samples_and_ends_them_before_its_end_record(spool_dir):
    tflog.kernel.start("sampled", system_interval=0.1)
    time.sleep(0.5)
    assert "system metrics: every 0.1s" in status_text()
    tflog.kernel.stop()
    (path,) = spool_files(spool_dir)
    records = read_spool(path)
    samples = system_records(records)
    assert len(samples) >= 3
    assert records[-1]["t"] == "end"
    assert [r["seq"] for r in records] == list(range(len(records)))
    first = samples[0]
    assert first["system"]["interval"] == 0.1 and "gpu_count" in first["system"]
    assert first["values"]["system.gpu_count"] == first["system"]["gpu_count"]
    assert all("system" not in sample for sample in samples[1:])
    for sample in samples:
        assert "step" not in sample and "epoch" not in sample
        assert sample["values"]["system.rss_mb"] > 1
    assert all("system.cpu_percent" in sample["values"] for sample in samples[1:])
    threads = [t.name for t in threading.enumerate()]
    assert "tflog-system-sampler" not in threads


def test_the_environment_sets_the_default_and_zero_turns_sampling_off(spool_dir, monkeypatch):
    monkeypatch.setenv("TFLOG_SYSTEM_INTERVAL", "0.1")
    tflog.kernel.start("from env")
    time.sleep(0.35)
    tflog.kernel.stop()
    tflog.kernel.start("off", system_interval=0)
    time.sleep(0.35)
    assert "system metrics: off" in status_text()
    tflog.kernel.stop()
    # Run ids sort by the second they started in: tell the two apart by name.
    runs = {records[0]["name"]: records for records in map(read_spool, spool_files(spool_dir))}
    env_run, off_run = runs["from env"], runs["off"]
    assert len(system_records(env_run)) >= 2
    assert system_records(off_run) == []


def test_a_bad_interval_in_the_python_api_is_the_callers_mistake():
    with pytest.raises(ValueError, match="system_interval"):
        tflog.kernel.start(system_interval=0.01)


def test_no_gpu_on_this_machine_is_said_in_the_first_sample(spool_dir, monkeypatch):
    monkeypatch.setattr(sysmetrics, "find_gpus", lambda: (None, "no NVIDIA GPU here"))
    tflog.kernel.start("cpu only", system_interval=0.1)
    time.sleep(0.25)
    tflog.kernel.stop()
    (path,) = spool_files(spool_dir)
    first = system_records(read_spool(path))[0]
    assert first["system"] == {"interval": 0.1, "gpu_count": 0, "no_gpu": "no NVIDIA GPU here"}


def test_a_sampler_started_with_the_run_uses_the_nvml_reader(spool_dir, monkeypatch):
    reader = sysmetrics.NvmlReader(FakeNvml(recorded_nvml()))
    monkeypatch.setattr(sysmetrics, "find_gpus", lambda: (reader, ""))
    tflog.kernel.start("h200", system_interval=0.1)
    time.sleep(0.25)
    tflog.kernel.stop()
    (path,) = spool_files(spool_dir)
    first = system_records(read_spool(path))[0]
    assert first["system"]["gpus"] == ["NVIDIA H200"] and first["system"]["gpu_source"] == "nvml"
    values = first["values"]
    assert values["gpu0.memory_total_mb"] == 143771.0 and values["gpu0.power_w"] == 80.247
    assert values["gpu0.temperature_c"] == 40.0 and values["gpu0.utilization_percent"] == 0.0


def test_ctypes_structures_match_nvml():
    # nvmlUtilization_t: two unsigned ints; nvmlMemory_t: three unsigned long longs.
    assert ctypes.sizeof(sysmetrics.NvmlUtilization) == 8
    assert ctypes.sizeof(sysmetrics.NvmlMemory) == 24
