"""tflog: watch TensorFlow/Keras training from inside JupyterLab.

`%load_ext tflog` in a notebook loads the kernel side (magics and capture).
Nothing beyond the standard library is imported here: the Jupyter server and
the kernel both import this package, and each pulls in only its own half.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython):
    """Called by `%load_ext tflog`: registers the `%tflog` magics."""
    from tflog.kernel import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):
    """Called by `%unload_ext tflog`: ends an active run and removes the hooks."""
    from tflog.kernel import unload_ipython_extension as unload

    unload(ipython)


# --- Jupyter server and JupyterLab entry points -------------------------------


def _jupyter_server_extension_points():
    """The Jupyter server extension (tflog.server): starts and supervises the service."""
    from tflog.server import _jupyter_server_extension_points as points

    return points()


def _jupyter_labextension_paths():
    """The prebuilt JupyterLab extension shipped in the package."""
    return [{"src": "labextension", "dest": "tflog"}]


# --- end of server entry points -----------------------------------------------
