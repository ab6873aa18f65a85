"""Build hook of the tflog wheel and sdist (hatchling's `custom` hook).

Two outputs are built with npm and shipped inside the Python package:

- the service bundle `tflog/service/` (`npm run build:service`), from
  `service/src` and the bundler script;
- the prebuilt JupyterLab extension `tflog/labextension/`
  (`npm run build:labextension`), from `src/`, `style/` and `schema/`.

Each is rebuilt only when one of its inputs is newer than its oldest output
(or an output is missing), and npm is looked for only then. In an unpacked
sdist (it has PKG-INFO) both outputs are taken as they are: the sdist was made
by a build that brought them up to date, so installing from it needs neither
Node.js nor npm. The hook then writes `tflog/labextension/install.json`, which
tells `jupyter labextension list` that the Python package tflog installed the
extension, and checks that every shipped output exists.

Environment: TFLOG_SKIP_NPM=1 never runs npm (the outputs must exist already);
TFLOG_FORCE_NPM=1 rebuilds both even when they look up to date.

Python 3.8 compatible: the TensorFlow 2.9 images build sdists with it.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The Python package that `jupyter labextension build` needs (its `jupyter`
# command); asked for only when the labextension is to be built.
JUPYTERLAB_REQUIREMENT = "jupyterlab>=4.0.0,<5"

INSTALL_JSON = {
    "packageManager": "python",
    "packageName": "tflog",
    "uninstallInstructions": "Uninstall the Python package tflog with the tool that "
    "installed it (pip uninstall tflog, or conda remove tflog)",
}


class Output(NamedTuple):
    """One npm-built output: what it is built from and how."""

    name: str
    npm_script: str
    inputs: List[str]  # files or directories, relative to the project root
    targets: List[str]  # files that must exist after the build, relative to the root


# Inputs shared by both outputs: the npm dependencies.
NPM_INPUTS = ["package.json", "package-lock.json"]

OUTPUTS = [
    Output(
        name="service bundle",
        npm_script="build:service",
        inputs=[
            "service/src",
            "service/tsconfig.json",
            "scripts/bundle-service.mjs",
            *NPM_INPUTS,
        ],
        targets=["tflog/service/tflog-service.js", "tflog/service/tflog-cli.js"],
    ),
    Output(
        name="JupyterLab extension",
        npm_script="build:labextension",
        inputs=["src", "style", "schema", "tsconfig.json", *NPM_INPUTS],
        targets=["tflog/labextension/package.json", "tflog/labextension/static/style.js"],
    ),
]


def newest_mtime(paths: Iterable[Path]) -> Optional[float]:
    """The newest modification time of any file under `paths` (None: no file)."""
    newest: Optional[float] = None
    for path in paths:
        if path.is_file():
            files: Iterable[Path] = [path]
        elif path.is_dir():
            files = (p for p in path.rglob("*") if p.is_file())
        else:
            continue
        for file in files:
            mtime = file.stat().st_mtime
            if newest is None or mtime > newest:
                newest = mtime
    return newest


def stale_reason(root: Path, output: Output) -> Optional[str]:
    """Why `output` must be rebuilt, or None when it is up to date."""
    targets = [root / target for target in output.targets]
    missing = [str(t.relative_to(root)) for t in targets if not t.is_file()]
    if missing:
        return f"{', '.join(missing)} missing"
    oldest_target = min(t.stat().st_mtime for t in targets)
    for source in output.inputs:
        newest = newest_mtime([root / source])
        if newest is not None and newest > oldest_target:
            return f"{source} is newer than {output.targets[0]}"
    return None


def is_unpacked_sdist(root: Path) -> bool:
    return (root / "PKG-INFO").is_file()


def outputs_to_build(root: Path, environ: Dict[str, str]) -> Dict[str, str]:
    """{output name: reason} for every output this build must run npm for."""
    if environ.get("TFLOG_SKIP_NPM") == "1" or is_unpacked_sdist(root):
        return {}
    if environ.get("TFLOG_FORCE_NPM") == "1":
        return {output.name: "TFLOG_FORCE_NPM=1" for output in OUTPUTS}
    reasons = {}
    for output in OUTPUTS:
        reason = stale_reason(root, output)
        if reason is not None:
            reasons[output.name] = reason
    return reasons


def write_install_json(root: Path) -> Path:
    """Writes tflog/labextension/install.json (rewritten only when it differs)."""
    path = root / "tflog" / "labextension" / "install.json"
    text = json.dumps(INSTALL_JSON, indent=2) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


class TflogBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def dependencies(self) -> List[str]:
        """JupyterLab joins the build requirements only when the extension is
        to be built: an sdist installs with hatchling alone."""
        if self.target_name not in ("wheel", "sdist"):
            return []
        todo = outputs_to_build(Path(self.root), dict(os.environ))
        return [JUPYTERLAB_REQUIREMENT] if "JupyterLab extension" in todo else []

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name not in ("wheel", "sdist"):
            return
        root = Path(self.root)
        todo = outputs_to_build(root, dict(os.environ))
        if is_unpacked_sdist(root):
            self.app.display_info(
                "tflog: building from an sdist: its service bundle and "
                "JupyterLab extension are used as they are (no npm)"
            )
        for output in OUTPUTS:
            if output.name not in todo:
                continue
            message = f"tflog: building the {output.name} ({todo[output.name]})"
            try:
                self._npm_build(root, output, message)
            except (OSError, subprocess.CalledProcessError, RuntimeError) as error:
                if version != "editable":
                    raise
                # `pip install -e .` still works; the server then says the
                # bundle is missing.
                self.app.display_warning(f"tflog: the {output.name} was not built: {error}")
        if (root / "tflog" / "labextension").is_dir() or version != "editable":
            write_install_json(root)
        if version != "editable":
            missing = [
                target
                for output in OUTPUTS
                for target in output.targets
                if not (root / target).is_file()
            ]
            if missing:
                raise RuntimeError(
                    f"tflog: built outputs missing: {', '.join(missing)} "
                    "(build them with `npm run build`, or unset TFLOG_SKIP_NPM)"
                )

    def _npm_build(self, root: Path, output: Output, message: str) -> None:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                f"{message}: npm is not on PATH. Install Node.js >= 18 with npm, or build "
                "from an sdist or wheel of tflog, which carry the built outputs."
            )
        self.app.display_info(message)
        # `jupyter labextension build` runs the `jupyter` of this build's
        # Python (in an isolated build, the build environment's).
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        if not (root / "node_modules").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, env=env, check=True)
        started = time.time()
        subprocess.run([npm, "run", output.npm_script], cwd=root, env=env, check=True)
        # Each output must have been written by this build (a source dated in
        # the future would still look newer: that is not an error).
        unwritten = [
            target
            for target in output.targets
            if not (root / target).is_file() or (root / target).stat().st_mtime < started - 2
        ]
        if unwritten:
            raise RuntimeError(
                f"`npm run {output.npm_script}` did not write {', '.join(unwritten)}"
            )
