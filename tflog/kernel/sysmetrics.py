"""System and GPU metrics, sampled in a daemon thread while a run is active.

Every `interval` seconds (10 by default; `--system-interval`, or the
`TFLOG_SYSTEM_INTERVAL` environment variable; 0 turns sampling off) the
sampler thread reads:

- the kernel process's CPU use (percent of one core, so 250 means two and a
  half cores busy) and resident memory, from `/proc/self/stat`; where there
  is no `/proc`, CPU time and the peak resident memory from `resource`;
- per NVIDIA GPU: utilisation, memory used and total, temperature and power,
  through NVML (`libnvidia-ml.so.1` loaded with ctypes), else by running
  `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` (with a time
  limit) in the sampler thread;
- TensorFlow's own device memory (`tf.config.experimental.get_memory_info`),
  only when TensorFlow is already imported and has initialised its devices:
  tflog never imports TensorFlow nor makes it initialise a device.

Each sample is one `metrics` record of scope `system` put on the run's spool
queue (which never blocks). The first one also carries a `system` field:
the interval, how GPUs were read, or why there are none ("no GPU" for the
panel). Nothing here runs on the training thread except starting and
stopping the sampler, and no failure reaches user code: a reader that fails
is left out of that sample, errors in tflog's own code go to diagnostics.
"""

import csv
import ctypes
import logging
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from tflog.kernel.diagnostics import DIAGNOSTICS, INTERNAL_LOGGER_NAME, at

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

DEFAULT_SYSTEM_INTERVAL = 10.0
# Shorter intervals than this (other than 0, which is off) are refused.
MIN_SYSTEM_INTERVAL = 0.1
INTERVAL_ENV = "TFLOG_SYSTEM_INTERVAL"
# How long ending a run waits for the sampler thread (it is a daemon thread:
# one stuck in nvidia-smi is left to finish on its own and writes nothing).
JOIN_TIMEOUT = 0.5
NVIDIA_SMI_TIMEOUT = 5.0
# nvidia-smi failing this many samples in a row is not asked again in the run.
NVIDIA_SMI_MAX_FAILURES = 3

MIB = 1024.0 * 1024.0
NVML_LIBRARY = "nvml.dll" if sys.platform == "win32" else "libnvidia-ml.so.1"
NVML_SUCCESS = 0
NVML_TEMPERATURE_GPU = 0
NVML_NAME_LENGTH = 96

# The nvidia-smi fields asked for, and the metric each becomes (None: a key).
SMI_FIELDS: Tuple[str, ...] = (
    "index",
    "name",
    "utilization.gpu",
    "memory.used",
    "memory.total",
    "temperature.gpu",
    "power.draw",
)
SMI_METRICS: Dict[str, str] = {
    "utilization.gpu": "utilization_percent",
    "memory.used": "memory_used_mb",
    "memory.total": "memory_total_mb",
    "temperature.gpu": "temperature_c",
    "power.draw": "power_w",
}

GpuReading = Dict[str, float]  # metric (without the gpuN. prefix) -> value


def interval_from_environment(environ: Optional[Mapping[str, str]] = None) -> float:
    """`TFLOG_SYSTEM_INTERVAL` in seconds (0: off); the default when unset or unusable."""
    text = (os.environ if environ is None else environ).get(INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_SYSTEM_INTERVAL
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value == 0 or (math.isfinite(value) and value >= MIN_SYSTEM_INTERVAL):
        return value
    DIAGNOSTICS.warn_once(
        "system-interval-env",
        f"tflog: {INTERVAL_ENV}={text!r} is not 0 (off) or a number of seconds >= "
        f"{MIN_SYSTEM_INTERVAL}; system metrics are sampled every "
        f"{DEFAULT_SYSTEM_INTERVAL:g} s",
    )
    return DEFAULT_SYSTEM_INTERVAL


def _rounded(value: float) -> float:
    return round(value, 3)


# ------------------------------------------------------------------ process


class ProcessReader:
    """The process's CPU percent and resident memory, from /proc or `resource`."""

    def __init__(
        self,
        stat_path: str = "/proc/self/stat",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stat_path = stat_path
        self._clock = clock
        self._use_proc = os.path.exists(stat_path)
        self._ticks = _sysconf("SC_CLK_TCK", 100)
        self._page_size = _sysconf("SC_PAGE_SIZE", 4096)
        self._previous: Optional[Tuple[float, float]] = None  # (cpu seconds, clock)

    @property
    def source(self) -> str:
        return "proc" if self._use_proc else "resource"

    def read(self) -> Dict[str, float]:
        """`system.cpu_percent` (from the second reading on) and the memory."""
        values: Dict[str, float] = {}
        if self._use_proc:
            try:
                cpu_seconds, rss_bytes = self._read_proc()
                values["system.rss_mb"] = _rounded(rss_bytes / MIB)
            except (OSError, ValueError, IndexError):
                # /proc went away or reads oddly: the portable way from now on.
                self._use_proc = False
                self._previous = None
        if not self._use_proc:
            cpu_seconds, peak_bytes = _resource_usage()
            if peak_bytes is not None:
                values["system.max_rss_mb"] = _rounded(peak_bytes / MIB)
        now = self._clock()
        previous = self._previous
        self._previous = (cpu_seconds, now)
        if previous is not None and now > previous[1]:
            used = max(0.0, cpu_seconds - previous[0])
            values["system.cpu_percent"] = _rounded(100.0 * used / (now - previous[1]))
        return values

    def _read_proc(self) -> Tuple[float, float]:
        with open(self._stat_path, "rb") as stat:
            text = stat.read().decode("ascii", "replace")
        # The command name (field 2) may hold spaces and parentheses: the
        # fields after it start behind the last ')'.
        fields = text[text.rindex(")") + 2 :].split()
        # Fields 14 and 15 (utime, stime, in clock ticks) and 24 (rss, pages),
        # counted from 1 with field 3 first here.
        cpu_seconds = (int(fields[11]) + int(fields[12])) / self._ticks
        return cpu_seconds, float(int(fields[21]) * self._page_size)


def _sysconf(name: str, default: int) -> int:
    try:
        value = os.sysconf(name)
    except (AttributeError, ValueError, OSError):
        return default
    return value if value > 0 else default


def _resource_usage() -> Tuple[float, Optional[float]]:
    """CPU seconds and peak resident bytes, without /proc."""
    try:
        import resource
    except ImportError:  # Windows: CPU time only
        times = os.times()
        return times.user + times.system, None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale


# --------------------------------------------------------------------- NVML


class NvmlUtilization(ctypes.Structure):
    _fields_ = [("gpu", ctypes.c_uint), ("memory", ctypes.c_uint)]


class NvmlMemory(ctypes.Structure):
    _fields_ = [
        ("total", ctypes.c_ulonglong),
        ("free", ctypes.c_ulonglong),
        ("used", ctypes.c_ulonglong),
    ]


class NvmlError(Exception):
    """An NVML call that did not return NVML_SUCCESS."""


class NvmlReader:
    """Reads every GPU through an NVML library (a ctypes.CDLL or a stand-in)."""

    source = "nvml"

    def __init__(self, lib: Any) -> None:
        self._lib = lib
        init = getattr(lib, "nvmlInit_v2", None) or lib.nvmlInit
        self._check("nvmlInit", init())
        count = ctypes.c_uint(0)
        get_count = getattr(lib, "nvmlDeviceGetCount_v2", None) or lib.nvmlDeviceGetCount
        self._check("nvmlDeviceGetCount", get_count(ctypes.byref(count)))
        by_index = (
            getattr(lib, "nvmlDeviceGetHandleByIndex_v2", None) or lib.nvmlDeviceGetHandleByIndex
        )
        self._handles: List[ctypes.c_void_p] = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            self._check(
                "nvmlDeviceGetHandleByIndex", by_index(ctypes.c_uint(index), ctypes.byref(handle))
            )
            self._handles.append(handle)
        self.names = [self._name(handle) for handle in self._handles]
        self.driver = self._text(lib.nvmlSystemGetDriverVersion)

    @staticmethod
    def _check(call: str, code: int) -> None:
        if code != NVML_SUCCESS:
            raise NvmlError(f"{call} returned {code}")

    def _text(self, function: Any, *args: Any) -> Optional[str]:
        buffer = ctypes.create_string_buffer(NVML_NAME_LENGTH)
        try:
            code = function(*args, buffer, ctypes.c_uint(NVML_NAME_LENGTH))
        except Exception:  # a stand-in or an old library without the call
            internal_logger.debug("NVML text call failed", exc_info=True)
            return None
        if code != NVML_SUCCESS:
            return None
        return buffer.value.decode("utf-8", "replace") or None

    def _name(self, handle: ctypes.c_void_p) -> str:
        return self._text(self._lib.nvmlDeviceGetName, handle) or "GPU"

    @property
    def count(self) -> int:
        return len(self._handles)

    def read(self) -> List[Tuple[int, GpuReading]]:
        """(NVML index, reading) per GPU; a value NVML cannot give (not supported) is left out."""
        lib = self._lib
        readings = []
        for index, handle in enumerate(self._handles):
            reading: GpuReading = {}
            utilization = NvmlUtilization()
            if lib.nvmlDeviceGetUtilizationRates(handle, ctypes.byref(utilization)) == 0:
                reading["utilization_percent"] = float(utilization.gpu)
            memory = NvmlMemory()
            if lib.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory)) == 0:
                reading["memory_used_mb"] = _rounded(memory.used / MIB)
                reading["memory_total_mb"] = _rounded(memory.total / MIB)
            temperature = ctypes.c_uint(0)
            sensor = ctypes.c_int(NVML_TEMPERATURE_GPU)
            if lib.nvmlDeviceGetTemperature(handle, sensor, ctypes.byref(temperature)) == 0:
                reading["temperature_c"] = float(temperature.value)
            milliwatts = ctypes.c_uint(0)
            if lib.nvmlDeviceGetPowerUsage(handle, ctypes.byref(milliwatts)) == 0:
                reading["power_w"] = _rounded(milliwatts.value / 1000.0)
            readings.append((index, reading))
        return readings


_nvml_lock = threading.Lock()
_nvml: Optional[Tuple[Optional[NvmlReader], str]] = None


def load_nvml(loader: Callable[[str], Any] = ctypes.CDLL) -> Tuple[Optional[NvmlReader], str]:
    """The process's NVML reader (loaded and initialised once), or None and why not."""
    global _nvml
    with _nvml_lock:
        if _nvml is None:
            try:
                _nvml = (NvmlReader(loader(NVML_LIBRARY)), "")
            except OSError:
                _nvml = (None, f"{NVML_LIBRARY} not found")
            except (AttributeError, NvmlError) as error:
                _nvml = (None, f"NVML: {error}")
        return _nvml


# --------------------------------------------------------------- nvidia-smi


def _smi_number(text: str) -> Optional[float]:
    """A value of nvidia-smi's CSV ('0', '130.26', '0 %', '143771 MiB'); None for '[N/A]'."""
    word = text.strip().split(" ")[0] if text.strip() else ""
    try:
        value = float(word)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_query_gpu(text: str, fields: Optional[Sequence[str]] = None) -> List[Dict[str, str]]:
    """The rows of `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`.

    With `fields` the output has no header and the columns are these fields;
    without, the first line is the header (`utilization.gpu [%]`: the field
    name is read before the unit). Each row maps a field to its text.
    """
    rows = [row for row in csv.reader(text.splitlines(), skipinitialspace=True) if row]
    if fields is None:
        if not rows:
            return []
        header, rows = rows[0], rows[1:]
        fields = [column.split(" [")[0].strip() for column in header]
    return [
        {field: value.strip() for field, value in zip(fields, row)}
        for row in rows
        if len(row) == len(fields)
    ]


def smi_readings(rows: List[Dict[str, str]]) -> List[Tuple[int, str, GpuReading]]:
    """(index, name, reading) per row of `parse_query_gpu`, unreadable values left out."""
    readings = []
    for position, row in enumerate(rows):
        index_value = _smi_number(row.get("index", ""))
        index = int(index_value) if index_value is not None else position
        reading: GpuReading = {}
        for field, metric in SMI_METRICS.items():
            value = _smi_number(row.get(field, ""))
            if value is not None:
                reading[metric] = _rounded(value)
        readings.append((index, row.get("name", "GPU"), reading))
    return readings


class SmiReader:
    """Reads every GPU by running nvidia-smi (only ever in the sampler thread)."""

    source = "nvidia-smi"

    def __init__(
        self,
        executable: str,
        run: Callable[..., Any] = subprocess.run,
        timeout: float = NVIDIA_SMI_TIMEOUT,
    ) -> None:
        self._command = [
            executable,
            "--query-gpu=" + ",".join(SMI_FIELDS),
            "--format=csv,noheader,nounits",
        ]
        self._run = run
        self._timeout = timeout
        self.failures = 0
        self.driver: Optional[str] = None
        rows = self._query()
        if not rows:
            raise NvmlError("nvidia-smi listed no GPU")
        self.names = [name for _, name, _ in smi_readings(rows)]

    @property
    def count(self) -> int:
        return len(self.names)

    def _query(self) -> List[Dict[str, str]]:
        result = self._run(
            self._command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=self._timeout,
        )
        if result.returncode != 0:
            message = (
                result.stderr.decode("utf-8", "replace").strip()
                or result.stdout.decode("utf-8", "replace").strip()
            )
            raise NvmlError(f"nvidia-smi exited with {result.returncode}: {message[:200]}")
        return parse_query_gpu(result.stdout.decode("utf-8", "replace"), SMI_FIELDS)

    def read(self) -> List[Tuple[int, GpuReading]]:
        """(nvidia-smi index, reading) per GPU; nothing while nvidia-smi fails."""
        if self.failures >= NVIDIA_SMI_MAX_FAILURES:
            return []
        try:
            rows = self._query()
        except (OSError, subprocess.SubprocessError, NvmlError):
            self.failures += 1
            return []
        self.failures = 0
        return [(index, reading) for index, _, reading in smi_readings(rows)]


def find_gpus(
    nvml: Callable[[], Tuple[Optional[NvmlReader], str]] = load_nvml,
    which: Callable[[str], Optional[str]] = shutil.which,
    run: Callable[..., Any] = subprocess.run,
) -> Tuple[Any, str]:
    """A GPU reader (NVML, else nvidia-smi), or None and why there is none."""
    reader, nvml_problem = nvml()
    if reader is not None and reader.count > 0:
        return reader, ""
    reasons = [nvml_problem or "NVML lists no GPU"]
    executable = which("nvidia-smi")
    if executable is None:
        reasons.append("no nvidia-smi on PATH")
    else:
        try:
            return SmiReader(executable, run), ""
        except subprocess.TimeoutExpired:
            reasons.append(f"nvidia-smi did not answer within {NVIDIA_SMI_TIMEOUT:g} s")
        except (OSError, subprocess.SubprocessError, NvmlError) as error:
            reasons.append(str(error))
    return None, "; ".join(reasons)


# --------------------------------------------------------------- TensorFlow


def tensorflow_memory(modules: Optional[Mapping[str, Any]] = None) -> Dict[str, float]:
    """`gpuN.tf_memory_mb` and `gpuN.tf_memory_peak_mb` per TensorFlow GPU device.

    Only when TensorFlow is imported and its eager context already
    initialised its devices: asking earlier would initialise them (and take
    GPU memory) from this thread. N is TensorFlow's device number (`GPU:N`).
    """
    loaded = sys.modules if modules is None else modules
    tf = loaded.get("tensorflow")
    context_module = loaded.get("tensorflow.python.eager.context")
    if tf is None or context_module is None:
        return {}
    context_safe = getattr(context_module, "context_safe", None)
    context = context_safe() if callable(context_safe) else None
    if context is None or getattr(context, "_context_handle", None) is None:
        return {}
    values: Dict[str, float] = {}
    for number, _ in enumerate(tf.config.list_logical_devices("GPU")):
        try:
            info = tf.config.experimental.get_memory_info(f"GPU:{number}")
        except ValueError:  # no allocator statistics for this device
            continue
        values[f"gpu{number}.tf_memory_mb"] = _rounded(info["current"] / MIB)
        values[f"gpu{number}.tf_memory_peak_mb"] = _rounded(info["peak"] / MIB)
    return values


# ------------------------------------------------------------------ sampler


class SystemSampler:
    """The sampler thread of one run; `put(values, info)` queues one record."""

    def __init__(
        self,
        put: Callable[[float, Dict[str, float], Optional[Dict[str, Any]]], None],
        interval: float,
        process: Optional[ProcessReader] = None,
        gpus: Optional[Callable[[], Tuple[Any, str]]] = None,
        tf_memory: Optional[Callable[[], Dict[str, float]]] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._put = put
        self._process = process or ProcessReader(clock=clock)
        self._find_gpus = gpus or find_gpus
        self._tf_memory = tf_memory or tensorflow_memory
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self.gpu_source: Optional[str] = None
        self.gpu_count = 0
        self.no_gpu: Optional[str] = None
        self.samples = 0

    def start(self) -> None:
        thread = threading.Thread(target=self._run, name="tflog-system-sampler", daemon=True)
        self._thread = thread
        thread.start()

    def stop(self, timeout: float = JOIN_TIMEOUT) -> None:
        """Stops sampling; waits at most `timeout` for the thread, which then puts nothing."""
        with self._lock:
            self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._sample_until_stopped()
        except Exception:  # the thread ends; nothing reaches the user's output
            internal_logger.exception("sampler failed", extra=at("system metrics"))

    def _sample_until_stopped(self) -> None:
        try:
            reader, reason = self._find_gpus()
        except Exception:
            internal_logger.exception("GPU discovery failed", extra=at("system metrics"))
            reader, reason = None, "GPU discovery failed (see %tflog status)"
        info: Dict[str, Any] = {"interval": self.interval}
        if reader is None:
            self.no_gpu = reason
            info.update(gpu_count=0, no_gpu=reason)
        else:
            self.gpu_source = reader.source
            self.gpu_count = reader.count
            info.update(gpu_count=reader.count, gpu_source=reader.source, gpus=list(reader.names))
            if reader.driver:
                info["driver"] = reader.driver
        next_at = self._clock()
        first = True
        while not self._stop.is_set():
            try:
                values = self.sample(reader)
                if first:
                    values["system.gpu_count"] = float(info["gpu_count"])
                self._emit(values, info if first else None)
                first = False
            except Exception:
                internal_logger.exception("sampling failed", extra=at("system metrics"))
            next_at += self.interval
            now = self._clock()
            if next_at < now:  # a slow sample: start again from now, no burst
                next_at = now + self.interval
            if self._stop.wait(next_at - now):
                break

    def sample(self, reader: Any) -> Dict[str, float]:
        """One sample's values (for tests, and the thread)."""
        values = self._process.read()
        try:
            readings = reader.read() if reader is not None else []
        except Exception:
            # That sample goes without GPU values; the next one tries again.
            internal_logger.exception("GPU read failed", extra=at("system metrics"))
            readings = []
        for index, reading in readings:
            for metric, value in reading.items():
                values[f"gpu{index}.{metric}"] = value
        try:
            values.update(self._tf_memory())
        except Exception:
            internal_logger.exception("TensorFlow memory failed", extra=at("system metrics"))
        return values

    def _emit(self, values: Dict[str, float], info: Optional[Dict[str, Any]]) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self._put(time.time(), values, info)
            self.samples += 1
