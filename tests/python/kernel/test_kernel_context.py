import ntpath
import os
import posixpath
import sys
import types

from conftest import read_spool

import tflog.kernel
from tflog.kernel import context, paths


def test_kernel_id_from_connection_file_names():
    find = context.kernel_id_from_connection_file
    assert find("/run/user/1000/jupyter/runtime/kernel-4f6c9d1e-aa.json") == "4f6c9d1e-aa"
    assert find(r"C:\Users\a\AppData\jupyter\runtime\kernel-abc.json") == "abc"
    assert find("/tmp/tmp_x1y2.json") is None
    assert find(None) is None


def test_kernel_id_outside_a_kernel_falls_back_to_the_environment():
    assert context.detect_kernel_id({"TFLOG_KERNEL_ID": "from-env"}) == "from-env"
    assert context.detect_kernel_id({}) is None


def deleted_connection_file(monkeypatch, tmp_path):
    """ipykernel whose connection file was deleted: traitlets' filefind raises OSError."""
    from traitlets.utils import filefind

    connect = types.ModuleType("ipykernel.connect")
    connect.get_connection_file = lambda: filefind("kernel-gone.json", [str(tmp_path)])
    package = types.ModuleType("ipykernel")
    package.connect = connect
    monkeypatch.setitem(sys.modules, "ipykernel", package)
    monkeypatch.setitem(sys.modules, "ipykernel.connect", connect)


def test_kernel_id_without_its_connection_file_falls_back_to_the_environment(monkeypatch, tmp_path):
    deleted_connection_file(monkeypatch, tmp_path)
    assert context.detect_kernel_id({"TFLOG_KERNEL_ID": "from-env"}) == "from-env"
    assert context.detect_kernel_id({}) is None


def test_a_run_starts_without_the_connection_file(monkeypatch, tmp_path, spool_dir):
    deleted_connection_file(monkeypatch, tmp_path)
    monkeypatch.setenv("TFLOG_KERNEL_ID", "from-env")
    run_id = tflog.kernel.start("no connection file")
    tflog.kernel.stop()
    start = read_spool(spool_dir / f"{run_id}.ndjson")[0]
    assert start["ctx"]["kernel_id"] == "from-env"


def test_user_prefers_jupyterhub():
    assert context.detect_user({"JUPYTERHUB_USER": "alice"}) == "alice"
    assert context.detect_user({}) == context.detect_user({"JUPYTERHUB_USER": ""})
    assert context.detect_user({})  # the OS user


def test_notebook_from_frontend_else_session_name():
    env = {"JPY_SESSION_NAME": "start/path.ipynb"}
    assert context.detect_notebook("renamed.ipynb", env) == "renamed.ipynb"
    assert context.detect_notebook(None, env) == "start/path.ipynb"
    assert context.detect_notebook(None, {}) is None


def test_an_absolute_session_name_is_named_relative_to_the_server_root():
    # jupyter_server gives a kernel started for a notebook the absolute path;
    # JupyterLab names the same notebook relative to the server root.
    env = {"JPY_SESSION_NAME": "/home/alice/notebooks/proj/train.ipynb"}
    assert context.detect_notebook(None, env) == "/home/alice/notebooks/proj/train.ipynb"
    with_root = dict(env, TFLOG_SERVER_ROOT="/home/alice/notebooks")
    assert context.detect_notebook(None, with_root) == "proj/train.ipynb"
    terminal_root = dict(env, JUPYTER_SERVER_ROOT="/home/alice/notebooks/")
    assert context.detect_notebook(None, terminal_root) == "proj/train.ipynb"
    outside = dict(env, TFLOG_SERVER_ROOT="/srv/other")
    assert context.detect_notebook(None, outside) == "/home/alice/notebooks/proj/train.ipynb"
    relative = {"JPY_SESSION_NAME": "proj/train.ipynb", "TFLOG_SERVER_ROOT": "/home/alice"}
    assert context.detect_notebook(None, relative) == "proj/train.ipynb"


def test_server_relative_paths():
    relative = context.server_relative
    assert relative("/r/a/../b/n.ipynb", "/r", posixpath) == "b/n.ipynb"
    assert relative("/r", "/r", posixpath) == "/r"
    assert relative("/rx/n.ipynb", "/r", posixpath) == "/rx/n.ipynb"
    assert relative("/r/n.ipynb", None, posixpath) == "/r/n.ipynb"
    assert relative(r"C:\Users\a\nb\t.ipynb", "C:\\Users\\a", ntpath) == "nb/t.ipynb"
    assert relative(r"D:\nb\t.ipynb", "C:\\Users\\a", ntpath) == r"D:\nb\t.ipynb"


def test_run_context_fields():
    ctx = context.run_context(None, {"JUPYTERHUB_USER": "bob", "JPY_SESSION_NAME": "n.ipynb"})
    assert ctx["user"] == "bob" and ctx["notebook"] == "n.ipynb"
    assert ctx["pid"] == os.getpid() and ctx["host"]
    assert set(ctx) == {
        "notebook",
        "kernel_id",
        "user",
        "host",
        "pid",
        "python",
        "tflog_version",
        "utc_offset",
    }


def test_utc_offset_matches_the_local_clock(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert context.utc_offset_seconds() == 8 * 3600
    finally:
        monkeypatch.undo()
        time.tzset()


def test_spool_dir_resolution(tmp_path):
    home = os.path.expanduser("~")
    assert paths.default_spool_dir({"TFLOG_SPOOL_DIR": "/x"}) == "/x"
    assert paths.default_spool_dir({"JUPYTER_DATA_DIR": "/d"}) == os.path.join(
        "/d", "tflog", "spool"
    )
    assert paths.default_spool_dir({}, "linux") == os.path.join(
        home, ".local", "share", "jupyter", "tflog", "spool"
    )
    assert paths.default_spool_dir({"XDG_DATA_HOME": "/xdg"}, "linux") == os.path.join(
        "/xdg", "jupyter", "tflog", "spool"
    )
    assert paths.default_spool_dir({}, "darwin") == os.path.join(
        home, "Library", "Jupyter", "tflog", "spool"
    )
    assert paths.default_spool_dir({"APPDATA": "/appdata"}, "win32") == os.path.join(
        "/appdata", "jupyter", "tflog", "spool"
    )


def test_run_ids_sort_by_time_and_are_unique():
    early = paths.new_run_id(1_800_000_000.0)
    late = paths.new_run_id(1_800_000_001.0)
    assert early.startswith("20270115T") and early < late
    assert len({paths.new_run_id(1_800_000_000.0) for _ in range(200)}) == 200
