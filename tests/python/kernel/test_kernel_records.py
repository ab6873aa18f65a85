import math

from tflog.kernel.records import hparam_values, metric_value, metric_values


class FakeTensor:
    """Like an eager tensor: converts through __float__ only."""

    def __init__(self, value):
        self._value = value

    def __float__(self):
        return float(self._value)


def test_metric_values():
    assert metric_value(1) == 1.0
    assert metric_value(FakeTensor(0.25)) == 0.25
    assert metric_value(float("nan")) == "NaN"
    assert metric_value(FakeTensor(math.inf)) == "Infinity"
    assert metric_value(-math.inf) == "-Infinity"
    assert metric_value([1, 2]) is None
    assert metric_value("text") is None
    assert metric_values({"loss": 0.5, "names": ["a"]}) == {"loss": 0.5}
    assert metric_values(None) == {}


def test_hparam_values():
    values = hparam_values(
        {"lr": 1e-3, "epochs": 3, "nan": float("nan"), "flag": True, "none": None, "obj": object}
    )
    assert values["lr"] == 1e-3 and values["epochs"] == 3 and values["flag"] is True
    assert values["nan"] == "NaN" and values["none"] is None
    assert values["obj"] == "<class 'object'>"
