"""The Jupyter server extension: starts the tflog service when the server
starts (not on the first browser request, so training output is shipped with
no browser open), supervises it, and stops it when the server shuts down."""

import logging
import os
from typing import Optional

from jupyter_server.extension.application import ExtensionApp

from .config import TflogService
from .node import SERVICE_BUNDLE, NodeNotFoundError, find_node
from .paths import release_socket_path
from .supervisor import LOG_PREFIX, ServiceSupervisor


class TflogExtensionApp(ExtensionApp):
    """Owns the service's lifetime; its HTTP API is reached through
    jupyter-server-proxy at `{base_url}tflog/` (see tflog.server.proxy)."""

    name = "tflog"
    classes = [TflogService]

    _supervisor: Optional[ServiceSupervisor] = None
    _socket_path: str = ""

    def initialize_settings(self) -> None:
        serverapp = self.serverapp
        export_server_root(serverapp.root_dir)
        settings = TflogService(parent=serverapp)
        self._socket_path = settings.socket_path
        self._supervisor = prepare_service(settings, serverapp.log)
        if self._supervisor is not None:
            # Runs once the loop is up: the server's start is never held up.
            serverapp.io_loop.add_callback(self._supervisor.start)

    async def stop_extension(self) -> None:
        if self._supervisor is not None:
            await self._supervisor.stop()
            self._supervisor = None
        try:
            release_socket_path(self._socket_path)
        except OSError as error:
            self.serverapp.log.warning(
                "%s could not remove the socket directory of %s: %s",
                LOG_PREFIX,
                self._socket_path,
                error,
            )


def export_server_root(root_dir: str) -> str:
    """Tells kernels started by this server its root directory (they inherit
    the environment): a kernel's JPY_SESSION_NAME is often an absolute path,
    and tflog names runs' notebooks relative to the root, as JupyterLab does."""
    root = os.path.abspath(os.path.expanduser(root_dir))
    os.environ["TFLOG_SERVER_ROOT"] = root
    return root


def export_api_address(socket_path: str) -> None:
    """Tells kernels started by this server where the service's API listens
    (`%tflog export` reads runs there): TFLOG_API_SOCKET. A TFLOG_API_URL
    inherited from the server's environment would name some other service,
    and the kernel's client prefers it, so it is not passed on."""
    os.environ["TFLOG_API_SOCKET"] = socket_path
    os.environ.pop("TFLOG_API_URL", None)


def prepare_service(settings: TflogService, log: logging.Logger) -> Optional[ServiceSupervisor]:
    """Checks the settings and exports the spool location; returns the
    supervisor to start, or None (with the reason logged) when the service
    cannot or must not run."""
    if not settings.enabled:
        log.info("%s service disabled (TflogService.enabled / TFLOG_ENABLED)", LOG_PREFIX)
        return None
    # Reported, not fatal: the service starts anyway and its status API shows
    # the same problems to the panel; only a socket it cannot listen on stops it
    # (below: the kernels still spool, for a server set up right to ship).
    for problem in settings.problems():
        log.error("%s configuration: %s", LOG_PREFIX, problem)
    # Kernels started by this server inherit its environment: this is how
    # they learn where to spool.
    os.environ["TFLOG_SPOOL_DIR"] = settings.spool_dir
    if os.path.isabs(settings.spool_dir):
        try:
            os.makedirs(settings.spool_dir, mode=0o700, exist_ok=True)
        except OSError as error:
            log.error("%s cannot create the spool directory: %s", LOG_PREFIX, error)
    if settings.socket_problem() is not None:
        log.error("%s service not started: it could not listen on its socket", LOG_PREFIX)
        return None
    try:
        node = find_node(settings.node_executable)
    except NodeNotFoundError as error:
        log.error("%s service not started: %s", LOG_PREFIX, error)
        return None
    if not os.path.isfile(SERVICE_BUNDLE):
        log.error(
            "%s service not started: its bundle %s is missing (a source checkout "
            "builds it with `npm run build:service`)",
            LOG_PREFIX,
            SERVICE_BUNDLE,
        )
        return None
    log.info("%s starting the service with %s on %s", LOG_PREFIX, node, settings.socket_path)
    export_api_address(settings.socket_path)
    return ServiceSupervisor(
        [node, *settings.node_options, SERVICE_BUNDLE],
        settings.service_environment(),
        log,
        stop_timeout=settings.stop_timeout,
    )
