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

# What converting a value that is not one number raises.
NOT_A_SCALAR = (TypeError, ValueError, OverflowError, IndexError)

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
    (anything with `__float__`, or `.item()`). Converting a tensor may wait
    for the device, which is why this runs in the writer thread, not in the
    training loop.
    """
    if isinstance(value, bool):
        return float(value)
    number: Any = None
    if not getattr(value, "ndim", 0):
        try:
            number = float(value)
        except NOT_A_SCALAR:
            number = None
    if number is None:
        # Size-1 arrays and tensors (float() of them is deprecated), and
        # scalars without __float__.
        number = python_scalar(value)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            # Lists, strings and multi-element arrays are not metrics we can plot.
            return None
        try:
            number = float(number)
        except OverflowError:
            return None
    if math.isfinite(number):
        return number
    return nonfinite_name(number)


def python_scalar(value: Any) -> Any:
    """A NumPy scalar or size-1 array, or a scalar tensor, as a Python scalar; else None.

    An object's own failure (say, a device error behind a tensor) propagates:
    the writer reports it and skips that one record.
    """
    if isinstance(value, (type, str, bytes)):
        return None
    try:
        numpy = getattr(value, "numpy", None)
        if callable(numpy):
            value = numpy()
        item = getattr(value, "item", None)
        if not callable(item):
            return None
        result = item()
    except NOT_A_SCALAR:  # e.g. a multi-element array
        return None
    return result if isinstance(result, (bool, int, float, str)) else None


def count_value(value: Any) -> Optional[int]:
    """A step as an int >= 0 (Python or NumPy integers, integer tensors); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if not isinstance(value, (int, float)):
        value = python_scalar(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value >= 0 else None


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
    scalar = python_scalar(value)
    if isinstance(scalar, float) and getattr(getattr(value, "dtype", None), "itemsize", 0) == 4:
        # float32: 7 significant digits give back the value typed (1e-3, not
        # 0.0010000000474974513), as for the optimizer's learning rate.
        scalar = float(f"{scalar:.7g}")
    if scalar is not None:
        return hparam_value(scalar)
    return bounded_text(str(value))


def hparam_values(values: Mapping[str, Any]) -> Dict[str, HparamValue]:
    return {str(name): hparam_value(value) for name, value in values.items()}


def error_info(type_name: str, message: str, stack_trace: Optional[str]) -> Dict[str, str]:
    """IErrorInfo of an end record."""
    info = {"type": type_name, "message": message}
    if stack_trace:
        info["stack_trace"] = stack_trace
    return info
