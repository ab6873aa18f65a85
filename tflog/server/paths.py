"""Where the service keeps its files and listens.

The socket path must be the same for the extension that starts the service and
for the jupyter-server-proxy entry point that routes to it. Both run inside the
one Jupyter server process, so a path derived from the runtime directory, the
host and the server's pid, remembered once computed, is the same for both.
The host is in the name because the runtime directory is usually in the home
directory, which servers on several machines (or containers, where the pid is
the same every time) may share.
"""

import os
import re
import socket
import tempfile
from typing import Dict, Optional, Tuple

# sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL
# included: 103 bytes fit both.
MAX_SOCKET_PATH_BYTES = 103

# Fallback directories already created, per (runtime dir, pid): a second
# lookup must not create a second directory.
_fallback_socket_paths: Dict[Tuple[str, int], str] = {}


def data_subdirectory(data_dir: str, name: str) -> str:
    """`<jupyter data dir>/tflog/<name>`: spool, state or store."""
    return os.path.join(data_dir, "tflog", name)


def socket_path_fits(path: str) -> bool:
    return len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES


def socket_host() -> str:
    """This machine's name as it goes into a socket's name: letters, digits,
    '.', '_' and '-', at most 32 of them."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", socket.gethostname())[:32]
    return name or "host"


def default_socket_path(
    runtime_dir: str, pid: Optional[int] = None, host: Optional[str] = None
) -> str:
    """`<runtime_dir>/tflog-<host>-<pid>.sock`, or the same name in a private
    temporary directory when the runtime directory's path is too long for a
    unix socket."""
    server_pid = os.getpid() if pid is None else pid
    name = f"tflog-{socket_host() if host is None else host}-{server_pid}.sock"
    preferred = os.path.join(runtime_dir, name)
    if socket_path_fits(preferred):
        return preferred
    key = (runtime_dir, server_pid)
    if key not in _fallback_socket_paths:
        _fallback_socket_paths[key] = os.path.join(_private_temporary_directory(), name)
    return _fallback_socket_paths[key]


def _private_temporary_directory() -> str:
    """A new directory only this user can enter (mkdtemp creates it 0700).
    TMPDIR may itself be long; /tmp is the short last resort."""
    directory = tempfile.mkdtemp(prefix="tflog-")
    if socket_path_fits(os.path.join(directory, f"tflog-{'h' * 32}-4194304.sock")):
        return directory
    os.rmdir(directory)
    return tempfile.mkdtemp(prefix="tflog-", dir="/tmp")


def release_socket_path(path: str) -> None:
    """Removes the private temporary directory behind a fallback socket path,
    with the socket file a killed service may have left in it. A socket in the
    runtime directory is left alone: the service removes it when it closes,
    and replaces a stale one when it starts."""
    for key, fallback in list(_fallback_socket_paths.items()):
        if fallback != path:
            continue
        del _fallback_socket_paths[key]
        if os.path.lexists(path):
            os.unlink(path)
        os.rmdir(os.path.dirname(path))
