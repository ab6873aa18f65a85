"""Jupyter server side of tflog: configuration, the service's lifetime, and
its registration with jupyter-server-proxy. Kept thin: the service does the
work."""

from typing import Dict, List


def _jupyter_server_extension_points() -> List[Dict[str, object]]:
    from .extension import TflogExtensionApp

    return [{"module": "tflog.server.extension", "app": TflogExtensionApp}]
