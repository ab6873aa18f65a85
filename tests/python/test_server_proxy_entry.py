"""The jupyter-server-proxy registration, as the installed proxy reads it."""

import os
from importlib.metadata import entry_points

from jupyter_server_proxy.config import make_handlers, make_server_process
from jupyter_server_proxy.handlers import NamedLocalProxyHandler

from tflog.server.config import TflogService
from tflog.server.paths import socket_host
from tflog.server.proxy import server_process_config


def registered_proxies():
    everything = entry_points()
    group = "jupyter_serverproxy_servers"
    # Python 3.10+ selects; 3.8 and 3.9 return a dict of groups.
    if hasattr(everything, "select"):
        return list(everything.select(group=group))
    return list(everything.get(group, []))


def test_the_package_registers_the_entry_point():
    found = [entry for entry in registered_proxies() if entry.name == "tflog"]
    assert len(found) == 1, "is the package installed (pip install -e .)?"
    assert found[0].load() is server_process_config


def test_the_proxy_connects_to_the_socket_the_extension_starts_the_service_on(monkeypatch):
    monkeypatch.delenv("TFLOG_SOCKET", raising=False)
    config = server_process_config()
    assert config["unix_socket"] == TflogService().socket_path
    assert config["unix_socket"].endswith(f"tflog-{socket_host()}-{os.getpid()}.sock")
    # Reached from the panel only: no launcher tile, no browser tab, and the
    # proxy must not start anything itself.
    assert config["launcher_entry"] == {"enabled": False}
    assert config["new_browser_tab"] is False
    assert "command" not in config


def test_jupyter_server_proxy_turns_it_into_a_plain_socket_proxy():
    # make_server_process and make_handlers exist, with these signatures,
    # from jupyter-server-proxy 4.2 (the oldest we support) to 4.6.
    process = make_server_process("tflog", server_process_config(), None)
    assert process.launcher_entry.enabled is False
    routes = make_handlers("/user/alice/", [process])
    proxied = [route for route in routes if route[0] == "/user/alice/tflog/(.*)"]
    assert len(proxied) == 1
    assert issubclass(proxied[0][1], NamedLocalProxyHandler)
