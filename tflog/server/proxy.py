"""Registration with jupyter-server-proxy (entry point group
`jupyter_serverproxy_servers`, name `tflog`): requests to `{base_url}tflog/...`
are authenticated by Jupyter and forwarded, without the prefix, to the service's
unix socket. The proxy never starts the service (it has no command here): the
extension does, at server start."""

from typing import Dict, Optional

from traitlets.config import Application

from .config import TflogService


def server_process_config() -> Dict[str, object]:
    settings = TflogService(parent=_running_server())
    return {
        "unix_socket": settings.socket_path,
        "launcher_entry": {"enabled": False},
        "new_browser_tab": False,
        # The panel refreshes on its own; that must not count as the user's
        # activity, or an idle server would never be culled.
        "update_last_activity": False,
    }


def _running_server() -> Optional[Application]:
    """The ServerApp this entry point is loaded into, for its config and
    directories; None outside a server."""
    from jupyter_server.serverapp import ServerApp

    return ServerApp.instance() if ServerApp.initialized() else None
