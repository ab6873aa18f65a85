"""Who and where a run happens: the `ctx` of the start record.

Every probe here is best effort: a missing piece becomes None (or a
placeholder for the user), never an exception.
"""

import getpass
import os
import platform
import re
import socket
import sys
import time
from typing import Any, Dict, Mapping, Optional, Union

from tflog import __version__

ContextValue = Union[str, int, None]

_CONNECTION_FILE = re.compile(r"kernel-(?P<id>[^/\\]+)\.json$")


def kernel_id_from_connection_file(path: Optional[str]) -> Optional[str]:
    """`.../kernel-<id>.json` → `<id>`, as Jupyter names connection files."""
    if not path:
        return None
    match = _CONNECTION_FILE.search(path)
    return match.group("id") if match else None


def detect_kernel_id(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The id Jupyter gave this kernel, from ipykernel's connection file."""
    env = os.environ if env is None else env
    # Only ask ipykernel when it is what runs us: importing it elsewhere
    # would be slow and pointless.
    if "ipykernel" in sys.modules:
        try:
            from ipykernel.connect import get_connection_file

            found = kernel_id_from_connection_file(get_connection_file())
        except (ImportError, RuntimeError, AttributeError, ValueError, TypeError, OSError):
            # Not a running kernel app (an IPython shell that merely imported
            # ipykernel), or its connection file deleted since (traitlets'
            # filefind raises OSError): a run must start anyway, so fall back
            # to the environment.
            found = None
        if found:
            return found
    return env.get("TFLOG_KERNEL_ID") or None


def detect_user(env: Optional[Mapping[str, str]] = None) -> str:
    """JupyterHub's user name, else the OS account running the kernel."""
    env = os.environ if env is None else env
    hub_user = env.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):
        # No passwd entry and no LOGNAME/USER (e.g. an arbitrary container uid).
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def detect_notebook(
    explicit: Optional[str], env: Optional[Mapping[str, str]] = None
) -> Optional[str]:
    """The path the frontend reported, else the session name the server set.

    Both name the notebook relative to the server's root, as JupyterLab
    does: jupyter_server gives a kernel started for a notebook (with a name)
    the absolute path in JPY_SESSION_NAME, which is made relative to the root
    the tflog server extension exports (TFLOG_SERVER_ROOT; JUPYTER_SERVER_ROOT
    too, which terminals get). Without a known root, or outside it, the path
    stays as it is.
    """
    if explicit:
        return explicit
    env = os.environ if env is None else env
    session = env.get("JPY_SESSION_NAME")
    if not session:
        return None
    root = env.get("TFLOG_SERVER_ROOT") or env.get("JUPYTER_SERVER_ROOT")
    return server_relative(session, root)


def server_relative(path: str, root: Optional[str], module: Any = os.path) -> str:
    """`path` relative to `root` with `/` separators, when absolute and inside it."""
    if not root or not module.isabs(path) or not module.isabs(root):
        return path
    try:
        relative = module.relpath(module.normpath(path), module.normpath(root))
    except ValueError:  # another drive on Windows
        return path
    if relative == module.curdir or relative.split(module.sep)[0] == module.pardir:
        return path
    return relative.replace(module.sep, "/")


def utc_offset_seconds(now: Optional[float] = None) -> int:
    """Seconds east of UTC of the kernel's local time: log lines such as
    `2026-11-28 20:16:59,470` carry no zone, and the service reads them with it."""
    local = time.localtime(now)
    offset = local.tm_gmtoff
    return int(offset) if offset is not None else -time.timezone


def run_context(
    notebook: Optional[str], env: Optional[Mapping[str, str]] = None
) -> Dict[str, ContextValue]:
    """The `ctx` object of a start record (IRunContext)."""
    return {
        "notebook": detect_notebook(notebook, env),
        "kernel_id": detect_kernel_id(env),
        "user": detect_user(env),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "tflog_version": __version__,
        "utc_offset": utc_offset_seconds(),
    }
