"""The extension in a real IPython shell: magics, cell outcomes, run lifecycle."""

import logging
import sys

import pytest
from conftest import ipython_shell, read_spool, spool_files
from IPython.core.error import UsageError

import tflog.kernel
from tflog.kernel import run as runs
from tflog.kernel import state


@pytest.fixture(scope="module")
def shell():
    ip = ipython_shell()
    ip.run_line_magic("load_ext", "tflog")
    yield ip
    ip.run_line_magic("unload_ext", "tflog")


def only_spool(directory):
    files = spool_files(directory)
    assert len(files) == 1, files
    return read_spool(files[0])


def test_a_finished_cell(shell, spool_dir, capsys):
    stdout, stderr = sys.stdout, sys.stderr
    call_handlers = logging.Logger.callHandlers
    result = shell.run_cell(
        "%%tflog demo --tag team=vision\n"
        "import logging\n"
        "logging.getLogger('train').warning('Gradient norm exceeded threshold: 15.3')\n"
        "print('step 100 loss=0.41 lr=1e-4')\n"
    )
    assert result.success
    assert sys.stdout is stdout and sys.stderr is stderr
    assert logging.Logger.callHandlers is call_handlers
    records = only_spool(spool_dir)
    start, end = records[0], records[-1]
    assert start["t"] == "start" and start["name"] == "demo" and start["tags"] == {"team": "vision"}
    assert start["ctx"]["pid"] > 0 and start["v"] == 1
    assert end == {**end, "t": "end", "status": "finished", "error": None}
    logs = [r for r in records if r["t"] == "log"]
    assert logs[0]["msg"] == "Gradient norm exceeded threshold: 15.3"
    assert logs[0]["level"] == "WARNING" and logs[0]["logger"] == "train"
    streams = [r["text"] for r in records if r["t"] == "stream" and r["stream"] == "stdout"]
    assert streams == ["step 100 loss=0.41 lr=1e-4\n"]
    assert "step 100 loss=0.41 lr=1e-4" in capsys.readouterr().out  # still shown to the user


def test_a_failing_cell_ends_failed_and_fails_the_cell(shell, spool_dir):
    result = shell.run_cell("%%tflog broken\nx = 1\nraise ValueError('boom')\n")
    assert isinstance(result.error_in_exec, ValueError)
    end = only_spool(spool_dir)[-1]
    assert end["status"] == "failed"
    error = end["error"]
    assert error["type"] == "ValueError" and error["message"] == "boom"
    assert "raise ValueError('boom')" in error["stack_trace"]
    assert "interactiveshell" not in error["stack_trace"]
    assert state.active_run is None


def test_a_failed_run_names_its_cell(shell, spool_dir):
    # JupyterLab sends the cell's id with the execute request; ipykernel passes it on.
    result = shell.run_cell(
        "%%tflog broken\nraise ValueError('boom')\n", store_history=True, cell_id="c0ffee-42"
    )
    assert isinstance(result.error_in_exec, ValueError)
    error = only_spool(spool_dir)[-1]["error"]
    assert error["cell_id"] == "c0ffee-42"
    assert error["execution_count"] == result.execution_count > 0


def test_a_failed_run_without_a_cell_id_keeps_its_execution_count(shell, spool_dir):
    result = shell.run_cell("%%tflog broken\nraise ValueError('boom')\n", store_history=True)
    error = only_spool(spool_dir)[-1]["error"]
    assert "cell_id" not in error
    assert error["execution_count"] == result.execution_count


def test_the_cell_is_found_best_effort(monkeypatch):
    class Exploding:
        @property
        def info(self):
            raise RuntimeError("no info")

    assert runs.cell_reference(Exploding()) == {}
    assert runs.cell_reference(None) == {}


def test_keyboard_interrupt_ends_interrupted(shell, spool_dir):
    result = shell.run_cell("%%tflog\nraise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    end = only_spool(spool_dir)[-1]
    assert end["status"] == "interrupted" and end["error"] is None


def test_a_syntax_error_ends_failed(shell, spool_dir):
    result = shell.run_cell("%%tflog\ndef broken(:\n")
    assert not result.success
    assert only_spool(spool_dir)[-1]["error"]["type"] == "SyntaxError"


def test_a_bad_option_is_one_message_and_runs_nothing(shell, spool_dir, capsys):
    result = shell.run_cell("%%tflog --bogus\nran = True\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert "ran" not in shell.user_ns
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "unrecognized arguments: --bogus" in output
    assert "See %tflog --help." in output
    assert "Traceback" not in output
    assert spool_files(spool_dir) == []


def test_an_unknown_option_before_any_command_is_one_message(shell, spool_dir, capsys):
    result = shell.run_cell("%tflog --foo")
    assert isinstance(result.error_in_exec, UsageError)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "%tflog: unrecognized arguments: --foo" in output
    assert "usage: %tflog" in output
    assert "Traceback" not in output and "KeyError" not in output
    assert spool_files(spool_dir) == []


def test_help(shell, capsys):
    assert shell.run_cell("%tflog --help").success
    out = capsys.readouterr().out
    assert "--batch-interval" in out and "%%tflog" in out


def test_line_magics_and_a_second_start(shell, spool_dir, capsys):
    shell.run_line_magic("tflog", "start first --tag a=1")
    first = state.active_run
    assert first is not None and first.kind == "line"
    shell.run_cell("print('in first')")
    shell.run_line_magic("tflog", "start second")
    second = state.active_run
    assert second is not first
    out = capsys.readouterr().out
    assert f"run {first.label} stopped: a new run was started" in out
    shell.run_line_magic("tflog", "status")
    status = capsys.readouterr().out
    assert second.id in status and "active" in status and "records:" in status
    shell.run_line_magic("tflog", "stop")
    assert state.active_run is None
    ends = {read_spool(path)[0]["name"]: read_spool(path)[-1] for path in spool_files(spool_dir)}
    assert ends["first"]["status"] == "stopped" and ends["second"]["status"] == "stopped"
    shell.run_line_magic("tflog", "stop")
    assert "no active run" in capsys.readouterr().out


def test_notebook_path_from_the_frontend(shell, spool_dir, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "old/name.ipynb")
    tflog.kernel.set_notebook_path("first.ipynb")
    shell.run_line_magic("tflog", "start")
    tflog.kernel.set_notebook_path("renamed/second.ipynb")
    tflog.kernel.set_notebook_path("renamed/second.ipynb")  # no duplicate record
    shell.run_line_magic("tflog", "notebook third.ipynb")
    shell.run_line_magic("tflog", "stop")
    records = only_spool(spool_dir)
    assert records[0]["ctx"]["notebook"] == "first.ipynb"
    contexts = [r["notebook"] for r in records if r["t"] == "context"]
    assert contexts == ["renamed/second.ipynb", "third.ipynb"]


def test_session_name_is_the_fallback_notebook(shell, spool_dir, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "from/server.ipynb")
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    shell.run_cell("%%tflog\npass\n")
    ctx = only_spool(spool_dir)[0]["ctx"]
    assert ctx["notebook"] == "from/server.ipynb" and ctx["user"] == "alice"


def test_set_notebook_path_never_raises():
    class Unprintable:
        def __str__(self):
            raise RuntimeError("no")

    tflog.kernel.set_notebook_path(Unprintable())


@pytest.mark.parametrize(("kind", "status"), [("line", "stopped"), ("cell", "interrupted")])
def test_kernel_shutdown_ends_the_active_run(spool_dir, kind, status):
    runs.start_run(runs.RunOptions(), kind)
    runs._end_on_exit()
    assert state.active_run is None
    assert only_spool(spool_dir)[-1]["status"] == status


def test_python_api(spool_dir):
    run_id = tflog.kernel.start("api", {"k": "v"})
    assert tflog.kernel.active_run_id() == run_id
    assert run_id in tflog.kernel.status()
    assert tflog.kernel.stop() == run_id
    assert tflog.kernel.stop() is None
    assert only_spool(spool_dir)[0]["tags"] == {"k": "v"}
