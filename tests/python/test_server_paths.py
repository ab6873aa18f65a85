"""Socket path: in the runtime directory, or a private directory when too long."""

import os
import stat
import tempfile

from tflog.server import paths
from tflog.server.paths import (
    MAX_SOCKET_PATH_BYTES,
    default_socket_path,
    release_socket_path,
    socket_host,
    socket_path_fits,
)


def test_the_socket_lives_in_the_runtime_directory_named_after_the_host_and_server_pid():
    assert default_socket_path("/run/user/1000/jupyter", pid=4242, host="node-1") == (
        "/run/user/1000/jupyter/tflog-node-1-4242.sock"
    )
    assert default_socket_path("/rt") == f"/rt/tflog-{socket_host()}-{os.getpid()}.sock"


def test_servers_of_one_pid_on_two_hosts_sharing_a_home_get_two_sockets(monkeypatch):
    # Containers start the server under the same pid each time.
    monkeypatch.setattr(paths.socket, "gethostname", lambda: "jupyter-alice-gpu")
    on_gpu = default_socket_path("/home/alice/.local/share/jupyter/runtime", pid=7)
    monkeypatch.setattr(paths.socket, "gethostname", lambda: "jupyter-alice-cpu")
    on_cpu = default_socket_path("/home/alice/.local/share/jupyter/runtime", pid=7)
    assert on_gpu != on_cpu
    assert on_gpu.endswith("/tflog-jupyter-alice-gpu-7.sock")


def test_a_host_name_is_made_safe_and_short_for_a_file_name(monkeypatch):
    monkeypatch.setattr(paths.socket, "gethostname", lambda: "a b/c" + "x" * 40)
    assert socket_host() == "a_b_c" + "x" * 27
    monkeypatch.setattr(paths.socket, "gethostname", lambda: "")
    assert socket_host() == "host"


def test_the_limit_is_counted_in_bytes():
    assert socket_path_fits("/" + "a" * (MAX_SOCKET_PATH_BYTES - 1))
    assert not socket_path_fits("/" + "a" * MAX_SOCKET_PATH_BYTES)
    # Two bytes per character in UTF-8.
    assert not socket_path_fits("/" + "\u00e9" * (MAX_SOCKET_PATH_BYTES // 2 + 1))


def test_a_too_long_runtime_directory_falls_back_to_a_private_temporary_one(tmp_path):
    long_runtime_dir = str(tmp_path / ("r" * 120))
    first = default_socket_path(long_runtime_dir, pid=77, host="h" * 32)
    try:
        assert socket_path_fits(first)
        assert os.path.basename(first) == f"tflog-{'h' * 32}-77.sock"
        directory = os.path.dirname(first)
        assert os.path.basename(directory).startswith("tflog-")
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        # The proxy entry point and the extension must get the same path.
        assert default_socket_path(long_runtime_dir, pid=77, host="h" * 32) == first
    finally:
        release_socket_path(first)
    assert not os.path.exists(os.path.dirname(first))


def test_a_long_tmpdir_falls_back_to_tmp(tmp_path, monkeypatch):
    long_tmpdir = tmp_path / ("t" * 110)
    long_tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmpdir))
    path = default_socket_path(str(tmp_path / ("r" * 120)), pid=78)
    try:
        assert path.startswith("/tmp/tflog-")
        assert list(long_tmpdir.iterdir()) == []
    finally:
        release_socket_path(path)


def test_release_removes_a_left_over_socket_file_but_leaves_runtime_sockets_alone(tmp_path):
    path = default_socket_path(str(tmp_path / ("r" * 120)), pid=79)
    with open(path, "w"):
        pass  # what a killed service leaves behind
    release_socket_path(path)
    assert not os.path.exists(os.path.dirname(path))
    assert path not in paths._fallback_socket_paths.values()

    in_runtime_dir = tmp_path / "tflog-80.sock"
    in_runtime_dir.write_text("")
    release_socket_path(str(in_runtime_dir))
    assert in_runtime_dir.exists()
