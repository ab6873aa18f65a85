"""Spool record shapes (service/src/types.ts, SpoolRecord) and value cleaning.

JSON cannot carry NaN or infinities, and Elasticsearch cannot index them, so
non-finite metric values are spelt out as "NaN", "Infinity", "-Infinity".
"""

import math
from typing import Any, Dict, Mapping, Optional, Union

SPOOL_FORMAT_VERSION = 1

# Longest text field of one record other than stream text (which is cut into
# several records at segments.MAX_SEGMENT_CHARS instead): a log record's `msg`
# and `exc`, a hyperparameter's value. Longer text keeps its first and last
# halves around a marker, so a traceback keeps its final exception line. With
# JSON escapes (at most 6 bytes a character) two such fields stay under the
# service's 8 MiB line cap; the service stores 32 KiB of each anyway.
MAX_TEXT_FIELD_CHARS = 512 * 1024

MetricValue = Union[float, str]
HparamValue = Union[str, int, float, bool, None]

RUN_STATUSES = ("finished", "failed", "interrupted", "stopped")


def bounded_text(text: str, limit: int = MAX_TEXT_FIELD_CHARS) -> str:
    """`text`, or its head and tail around a marker when longer than `limit`."""
    if len(text) <= limit:
        return text
    half = limit // 2
    omitted = len(text) - 2 * half
    return f"{text[:half]}\n[tflog: {omitted} characters cut]\n{text[-half:]}"


def nonfinite_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def metric_value(value: Any) -> Optional[MetricValue]:
    """A scalar metric as a JSON-safe value, or None when it is not a scalar.

    Accepts Python numbers, NumPy scalars and 0-d arrays, and eager tensors
    (anything with `__float__`). Converting a tensor may wait for the device,
    which is why this runs in the writer thread, not in the training loop.
    """
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        # Lists, strings and multi-element arrays are not metrics we can plot.
        return None
    if math.isfinite(number):
        return number
    return nonfinite_name(number)


def metric_values(logs: Optional[Mapping[str, Any]]) -> Dict[str, MetricValue]:
    """The scalar entries of a Keras `logs` dict, JSON-safe."""
    values: Dict[str, MetricValue] = {}
    if not logs:
        return values
    for name, raw in logs.items():
        converted = metric_value(raw)
        if converted is not None:
            values[str(name)] = converted
    return values


def hparam_value(value: Any) -> HparamValue:
    """A hyperparameter as a JSON-safe scalar (strings for anything else)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return bounded_text(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else nonfinite_name(value)
    return bounded_text(str(value))


def hparam_values(values: Mapping[str, Any]) -> Dict[str, HparamValue]:
    return {str(name): hparam_value(value) for name, value in values.items()}


def error_info(type_name: str, message: str, stack_trace: Optional[str]) -> Dict[str, str]:
    """IErrorInfo of an end record."""
    info = {"type": type_name, "message": message}
    if stack_trace:
        info["stack_trace"] = stack_trace
    return info
