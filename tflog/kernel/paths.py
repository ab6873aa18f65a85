"""Where runs are spooled and how they are named.

The Jupyter server side imports `default_spool_dir` too, so that the service
tails the same directory that kernels it did not start write to.
"""

import os
import sys
import time
from typing import Mapping, Optional

SPOOL_SUBDIR = os.path.join("tflog", "spool")


def jupyter_data_dir(env: Optional[Mapping[str, str]] = None, platform: str = "") -> str:
    """Jupyter's user data directory, computed as jupyter_core does by default."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if env.get("JUPYTER_DATA_DIR"):
        return env["JUPYTER_DATA_DIR"]
    home = os.path.expanduser("~")
    if platform == "darwin":
        return os.path.join(home, "Library", "Jupyter")
    if platform == "win32":
        appdata = env.get("APPDATA")
        if appdata:
            return os.path.join(appdata, "jupyter")
        return os.path.join(home, ".jupyter", "data")
    xdg_data_home = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(xdg_data_home, "jupyter")


def default_spool_dir(env: Optional[Mapping[str, str]] = None, platform: str = "") -> str:
    """`$TFLOG_SPOOL_DIR`, else `<Jupyter data dir>/tflog/spool`."""
    env = os.environ if env is None else env
    explicit = env.get("TFLOG_SPOOL_DIR")
    if explicit:
        return explicit
    return os.path.join(jupyter_data_dir(env, platform), SPOOL_SUBDIR)


def ensure_spool_dir(path: str) -> str:
    """Creates the spool directory private to the user (0700) when missing."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def new_run_id(now: Optional[float] = None) -> str:
    """A sortable, unique id: UTC start second plus 32 random bits."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{os.urandom(4).hex()}"
