"""The Training panel in Chromium through a real JupyterHub: starts a hub
with user alice (hub_harness.Hub, alice's server with the tflog extension),
in hub mode as docs/admin-hub.md sets it up when TFLOG_TEST_ES_URL names an
Elasticsearch node (the tflog hub service stores alice's runs there), else
with alice's own embedded store; runs the Galata specs of ui-tests/tests-hub against
`<hub>/user/alice/` (ui-tests/playwright.hub.config.ts), and stops the hub.

    python tests/hub/run_galata.py [playwright args...]

Exit status 0 only when every spec passed and the hub stopped cleanly. A
missing piece (Chromium, the ui-tests npm packages, JupyterHub, the service
bundle, the labextension) or a hub that does not start is an error, never a
skip. The work directory (hub log `hub/jupyterhub.log`, alice's home,
Playwright's `test-results/` and `report/`) is removed after a clean run and
kept after a failure. TFLOG_HUB_UI_KEEP=1 keeps it anyway.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import certifi

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guide import hub_mode_config  # noqa: E402
from hub_harness import PASSWORD, ROOT, VENV_BIN, Hub, free_port  # noqa: E402

USER = "alice"
UI_TESTS = ROOT / "ui-tests"
CHROMIUM = Path("/usr/bin/chromium")
LABEXTENSION = ROOT / "tflog" / "labextension" / "package.json"
# What `jupyter labextension develop` (scripts/ui-test.sh) links into the venv.
LINKED_LABEXTENSION = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "tflog"

# alice's server configuration on top of the venv's (which enables the tflog
# server extension and jupyter-server-proxy): Galata's in-page helpers and
# `window.jupyterapp`. Unlike the plain UI suite's server, authentication and
# XSRF checks stay on: the page reaches the server as a logged-in hub user.
GALATA_SERVER_CONFIG = """\
from pathlib import Path

import jupyterlab.galata

c = get_config()  # noqa
c.LabServerApp.extra_labextensions_path = [str(Path(jupyterlab.galata.__file__).parent)]
c.LabApp.expose_app_in_browser = True
c.LabApp.workspaces_dir = {workspaces!r}
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
"""


def log(message: str) -> None:
    print(f"[ui-hub] {message}", file=sys.stderr, flush=True)


def missing_pieces() -> list[str]:
    """What the run needs and cannot find (the hub's own needs are checked by
    Hub.start)."""
    problems = []
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"{CHROMIUM} is missing: apt-get install chromium")
    for package in ("@playwright/test", "@jupyterlab/galata"):
        if not (UI_TESTS / "node_modules" / package / "package.json").exists():
            problems.append(f"ui-tests/node_modules/{package} is missing: (cd ui-tests && npm ci)")
    if shutil.which("npx") is None:
        problems.append("npx is not on PATH")
    try:
        import jupyterlab.galata  # noqa: F401
    except ImportError as error:
        problems.append(f"jupyterlab.galata does not import: {error}")
    return problems


def link_labextension() -> None:
    """Links tflog/labextension into the venv, as scripts/ui-test.sh does, if
    it is not there yet (the users' servers load it from the venv)."""
    if (LINKED_LABEXTENSION / "package.json").exists():
        return
    if not LABEXTENSION.exists():
        raise RuntimeError(f"{LABEXTENSION} is missing: npm run build:labextension")
    log("linking the labextension into the venv (jupyter labextension develop)")
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(
        [str(VENV_BIN / "jupyter"), "labextension", "develop", "--overwrite", "."],
        cwd=ROOT,
        env=env,
        check=True,
    )
    if not (LINKED_LABEXTENSION / "package.json").exists():
        raise RuntimeError(f"{LINKED_LABEXTENSION} is still missing after linking")


def run_playwright(hub: Hub, work: Path, arguments: list[str]) -> int:
    env = dict(os.environ)
    env.update(
        {
            "TFLOG_HUB_UI_URL": hub.url,
            "TFLOG_HUB_UI_USER": USER,
            "TFLOG_HUB_UI_USER_URL": hub.user_url(USER),
            "TFLOG_HUB_UI_PASSWORD": PASSWORD,
            "TFLOG_HUB_UI_TOKEN": hub.token(USER),
            "TFLOG_HUB_UI_WORK_DIR": str(work),
        }
    )
    command = ["npx", "playwright", "test", "--config", "playwright.hub.config.ts", *arguments]
    log(f"{' '.join(command)} against {hub.user_url(USER)}")
    return subprocess.run(command, cwd=UI_TESTS, env=env, check=False).returncode


def main(arguments: list[str]) -> int:
    problems = missing_pieces()
    if problems:
        for problem in problems:
            log(problem)
        return 1
    try:
        link_labextension()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        log(f"cannot link the labextension: {error}")
        return 1

    work = Path(tempfile.mkdtemp(prefix="tflog-ui-hub-"))
    config_dir = work / "alice-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.py").write_text(
        GALATA_SERVER_CONFIG.format(workspaces=str(work / "workspaces"))
    )
    es_url = os.environ.get("TFLOG_TEST_ES_URL", "")
    extra_config = ""
    if es_url:
        # The node has no security: the key and the CA file are stand-ins
        # that the guide's configuration needs.
        ca_file = work / "elasticsearch-ca.pem"
        shutil.copyfile(certifi.where(), ca_file)
        extra_config = hub_mode_config(
            f"http://127.0.0.1:{free_port()}",
            es_url,
            "dGZsb2ctdWk6aHViLW1vZGU=",
            str(ca_file),
            f"tflog-uihub-{secrets.token_hex(4)}-",
        )
        log(f"hub mode: the tflog hub service stores in {es_url}")
    else:
        log("no TFLOG_TEST_ES_URL: alice's service keeps its own embedded store")
    hub = Hub(
        work / "hub",
        users=(USER,),
        extra_config=extra_config,
        user_environment={"JUPYTER_CONFIG_PATH": str(config_dir)},
    )
    code = 1
    try:
        log(f"starting a hub with {USER} under {work}")
        try:
            hub.start()
        except (AssertionError, RuntimeError, OSError) as error:
            log(f"the hub did not start: {error}")
        else:
            log(f"hub at {hub.url}; {USER}'s server and tflog service answer")
            store = hub.tflog_json(USER, "status").get("storeInUse") or {}
            wanted = "hub" if es_url else "embedded"
            if store.get("kind") != wanted:
                log(f"{USER}'s service stores in {store}, not in the {wanted} store")
            else:
                code = run_playwright(hub, work, arguments)
            if code != 0:
                log(f"playwright exited with {code}")
    finally:
        problems = hub.shutdown()
        if problems:
            code = code or 1
            log("the hub did not stop cleanly:\n" + "\n".join(problems))
            log(f"--- hub log ---\n{hub.log_tail()}")
        if code != 0 or os.environ.get("TFLOG_HUB_UI_KEEP") == "1":
            log(f"kept {work} (hub/jupyterhub.log, test-results/, report/)")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
