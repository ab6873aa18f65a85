#!/usr/bin/env bash
# Installs everything and starts JupyterLab with tflog: the service on the
# embedded local store (no Elasticsearch needed) and the demo notebook open.
# Set TFLOG_ES_URLS=http://host:9200 first to use an Elasticsearch cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/install.sh
export PATH="$root/.venv/bin:$PATH"

# Keep the demo's data inside the checkout, apart from any other Jupyter.
export JUPYTER_DATA_DIR="$root/.tflog-dev/data"
mkdir -p "$JUPYTER_DATA_DIR"
extra=()
if [ "$(id -u)" = "0" ]; then
  extra+=(--ServerApp.allow_root=True)
fi
exec jupyter lab examples/demo.ipynb \
  --ServerApp.root_dir="$root" \
  --ip="${TFLOG_DEV_IP:-127.0.0.1}" --port="${TFLOG_DEV_PORT:-8888}" \
  "${extra[@]}" "$@"
