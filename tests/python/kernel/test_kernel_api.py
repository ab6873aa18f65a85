"""tflog.log() and tflog.log_hparams(): exact values from custom training loops."""

import math

import pytest
from conftest import ipython_shell, read_spool, spool_files

import tflog
import tflog.kernel


class ItemScalar:
    """Like a NumPy scalar: `.item()` and `__float__`, a dtype."""

    def __init__(self, value, itemsize=8):
        self._value = value
        self.dtype = type("dtype", (), {"itemsize": itemsize})()
        self.ndim = 0
        self.shape = ()

    def item(self):
        return self._value

    def __float__(self):
        return float(self._value)


class LazyTensor:
    """Like an eager tensor: converted by float() only in the writer thread."""

    converted_on = None

    def __init__(self, value, shape=()):
        self._value = value
        self.shape = shape
        self.ndim = len(shape)

    def numpy(self):
        return ItemScalar(self._value)

    def __float__(self):
        import threading

        LazyTensor.converted_on = threading.current_thread().name
        return float(self._value)


class Variable(LazyTensor):
    """Like tf.Variable: read at the call, assigned later."""

    def read_value(self):
        return LazyTensor(self._value)

    def assign(self, value):
        self._value = value


def records_of(directory):
    (path,) = spool_files(directory)
    return read_spool(path)


def metrics_of(records):
    return [
        {key: value for key, value in r.items() if key not in ("seq", "ts", "t")}
        for r in records
        if r["t"] == "metrics"
    ]


def test_outside_a_run_it_says_how_to_start_one():
    with pytest.raises(tflog.NoActiveRun, match=r"%tflog start") as raised:
        tflog.log({"loss": 0.5}, step=1)
    assert "%%tflog" in str(raised.value)
    with pytest.raises(tflog.NoActiveRun):
        tflog.log_hparams({"lr": 1e-3})
    assert isinstance(raised.value, RuntimeError)


def test_step_epoch_and_the_next_step(spool_dir):
    tflog.kernel.start("loop")
    tflog.log({"loss": 0.6974999904632568, "acc": 1}, step=10)
    tflog.log({"val_loss": 0.25}, epoch=0)
    tflog.log({"loss": 0.5}, step=20, epoch=1)
    tflog.log({"loss": 0.4})
    tflog.log({"loss": 0.3})
    tflog.kernel.stop()
    assert metrics_of(records_of(spool_dir)) == [
        {"scope": "batch", "step": 10, "values": {"loss": 0.6974999904632568, "acc": 1.0}},
        {"scope": "epoch", "epoch": 0, "values": {"val_loss": 0.25}},
        {"scope": "batch", "epoch": 1, "step": 20, "values": {"loss": 0.5}},
        {"scope": "batch", "step": 21, "values": {"loss": 0.4}},
        {"scope": "batch", "step": 22, "values": {"loss": 0.3}},
    ]


def test_numpy_and_tensor_like_scalars_and_non_finite_values(spool_dir):
    tflog.kernel.start("values")
    variable = Variable(1.5)
    LazyTensor.converted_on = None
    tflog.log(
        {
            "np": ItemScalar(0.25),
            "np_int": ItemScalar(7),
            "tensor": LazyTensor(0.125),
            "size_one": LazyTensor(2.0, shape=(1,)),
            "variable": variable,
            "nan": float("nan"),
            "inf": math.inf,
            "neg_inf": ItemScalar(-math.inf),
            "flag": True,
        },
        step=ItemIndex(3),
    )
    variable.assign(99.0)
    tflog.kernel.stop()
    (record,) = metrics_of(records_of(spool_dir))
    assert record["step"] == 3
    assert record["values"] == {
        "np": 0.25,
        "np_int": 7.0,
        "tensor": 0.125,
        "size_one": 2.0,
        "variable": 1.5,
        "nan": "NaN",
        "inf": "Infinity",
        "neg_inf": "-Infinity",
        "flag": 1.0,
    }
    assert LazyTensor.converted_on == "tflog-spool-writer"


class ItemIndex:
    """Like a NumPy integer: usable as an index."""

    def __init__(self, value):
        self._value = value

    def __index__(self):
        return self._value


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: tflog.log([("loss", 1.0)]), TypeError, "dict"),
        (lambda: tflog.log({"name": "resnet"}), TypeError, "'name' is a str"),
        (lambda: tflog.log({"none": None}), TypeError, "NoneType, not a number"),
        (lambda: tflog.log({"vec": LazyTensor(1.0, shape=(3,))}), TypeError, "not a scalar"),
        (lambda: tflog.log({"loss": 1.0}, step=-1), ValueError, "step must be >= 0"),
        (lambda: tflog.log({"loss": 1.0}, step=1.5), TypeError, "step must be an integer"),
        (lambda: tflog.log({"loss": 1.0}, epoch=True), TypeError, "epoch must be an integer"),
        (lambda: tflog.log_hparams(["lr"]), TypeError, "dict"),
    ],
)
def test_mistakes_in_the_call_raise_and_record_nothing(spool_dir, call, error, match):
    tflog.kernel.start("mistakes")
    with pytest.raises(error, match=match):
        call()
    tflog.kernel.stop()
    assert [r for r in records_of(spool_dir) if r["t"] in ("metrics", "hparams")] == []


def test_hparams(spool_dir):
    tflog.kernel.start("hparams")
    tflog.log_hparams(
        {
            "optimizer": "sgd",
            "lr": ItemScalar(0.0010000000474974513, itemsize=4),
            "layers": ItemScalar(4),
            "dropout": None,
            "augment": True,
            "schedule": [1, 2],
            3: "three",
        }
    )
    tflog.kernel.stop()
    (record,) = [r for r in records_of(spool_dir) if r["t"] == "hparams"]
    assert record["values"] == {
        "optimizer": "sgd",
        "lr": 0.001,
        "layers": 4,
        "dropout": None,
        "augment": True,
        "schedule": "[1, 2]",
        "3": "three",
    }


def test_in_cell_and_line_runs_of_a_shell(spool_dir):
    shell = ipython_shell()
    shell.run_line_magic("load_ext", "tflog")
    try:
        result = shell.run_cell(
            "%%tflog cell\nimport tflog\nfor s in (1, 2):\n    tflog.log({'loss': 1 / s}, step=s)\n"
        )
        assert result.success
        shell.run_line_magic("tflog", "start line")
        assert shell.run_cell("tflog.log({'acc': 0.75}, epoch=2)").success
        shell.run_line_magic("tflog", "stop")
        outside = shell.run_cell("tflog.log({'acc': 0.8})")
        assert isinstance(outside.error_in_exec, tflog.NoActiveRun)
    finally:
        shell.run_line_magic("unload_ext", "tflog")
    runs = {}
    for path in spool_files(spool_dir):
        records = read_spool(path)
        runs[records[0]["name"]] = metrics_of(records)
    assert runs == {
        "cell": [
            {"scope": "batch", "step": 1, "values": {"loss": 1.0}},
            {"scope": "batch", "step": 2, "values": {"loss": 0.5}},
        ],
        "line": [{"scope": "epoch", "epoch": 2, "values": {"acc": 0.75}}],
    }


@pytest.mark.parametrize(
    "arguments, error, match",
    [
        ({"batch_interval": None}, TypeError, "batch_interval must be a number of seconds"),
        ({"batch_interval": "0.5"}, TypeError, "batch_interval must be a number of seconds"),
        ({"batch_interval": True}, TypeError, "batch_interval must be a number of seconds"),
        ({"batch_interval": -1}, ValueError, "batch_interval must be a number of seconds >= 0"),
        ({"batch_interval": math.inf}, ValueError, "batch_interval must be .* >= 0, not inf"),
        ({"batch_interval": math.nan}, ValueError, "batch_interval must be .* >= 0, not nan"),
        ({"system_interval": math.inf}, ValueError, "system_interval must be .* >= 0, not inf"),
        ({"system_interval": 0.01}, ValueError, r"system_interval must be 0 \(off\) or at least"),
        ({"system_interval": "10"}, TypeError, "system_interval must be a number of seconds"),
        ({"tags": {"when": object()}}, TypeError, r"tags\['when'\] must be a string or a number"),
        ({"tags": {"at": [1]}}, TypeError, r"tags\['at'\] must be a string or a number, not list"),
        ({"tags": {"bad/key": "1"}}, ValueError, "tag key 'bad/key' must be 1-64 characters"),
        ({"tags": {1: "one"}}, TypeError, "tag key 1 must be a string"),
        ({"tags": {"k": "v" * 1025}}, ValueError, r"tags\['k'\] is longer than 1024"),
        ({"tags": ["team=vision"]}, TypeError, "tags must be a dict of strings, not list"),
        ({"name": 3}, TypeError, "name must be a string or None, not int"),
        ({"keras": "no"}, TypeError, "keras must be True or False"),
        ({"loggers": "tornado"}, TypeError, "loggers must be a list of logger names"),
        ({"loggers": [".bad"]}, ValueError, "loggers: '.bad' is not a logger name"),
        ({"loggers": [None]}, TypeError, "loggers: None is not a logger name"),
    ],
)
def test_start_refuses_bad_arguments_before_anything_starts(spool_dir, arguments, error, match):
    active = tflog.kernel.start("goes on")
    with pytest.raises(error, match="^tflog.kernel.start: " + match):
        tflog.kernel.start(**arguments)
    # Nothing started, and the active run was not ended for it.
    assert tflog.kernel.active_run_id() == active
    tflog.kernel.stop()
    assert len(spool_files(spool_dir)) == 1


def test_start_takes_what_the_magic_takes(spool_dir):
    from fractions import Fraction  # any real number, as NumPy's floats are

    tflog.kernel.start(
        "typed",
        tags={"team": "vision", "lr": "1e-3", "epochs": 10, "dropout": 0.5, "augment": True},
        batch_interval=Fraction(1, 4),
        loggers=("tornado",),
        system_interval=0,
    )
    assert "batch metrics every 0.25s" in tflog.kernel.status()
    tflog.kernel.stop()
    (start,) = [r for r in records_of(spool_dir) if r["t"] == "start"]
    assert start["tags"] == {
        "team": "vision",
        "lr": "1e-3",
        "epochs": "10",
        "dropout": "0.5",
        "augment": "true",
    }
