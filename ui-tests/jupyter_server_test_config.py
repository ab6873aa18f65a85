"""Jupyter server configuration of the UI tests and the latency benchmark.

Galata's test settings (no token, no XSRF check, the galata helper extension,
root directory from JUPYTERLAB_GALATA_ROOT_DIR), on the port given in
TFLOG_UI_PORT. The tflog service reads its settings from the TFLOG_*
variables that playwright.config.ts (or bench/latency.mjs) puts in the
server's environment. Never use this configuration outside tests.
"""

import os

from jupyterlab.galata import configure_jupyter_server

# The config loader runs this file with `c`, the Config being loaded, in its namespace.
c = globals()["c"]

configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("TFLOG_UI_PORT", "18900"))
c.ServerApp.allow_root = os.geteuid() == 0
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
