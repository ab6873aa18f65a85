"""The build hook (hatch_build.py): which npm builds it runs, and when none.

- the rules: an output is rebuilt when one of its inputs is newer, never in
  an unpacked sdist or with TFLOG_SKIP_NPM=1;
- an sdist of this checkout builds a wheel with neither node nor npm on PATH,
  even when its sources look newer than its built outputs;
- in a copy of the project, a change to service/src alone rebuilds the service
  bundle (with the real npm and esbuild) and leaves the labextension as it was.

Needs the built outputs (`npm run build`) and, for the last test, npm and the
project's node_modules.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HATCHLING = Path(sys.executable).parent / "hatchling"
SERVICE_BUNDLE = "tflog/service/tflog-service.js"
LABEXTENSION_MANIFEST = "tflog/labextension/package.json"


def load_hook_module():
    spec = importlib.util.spec_from_file_location("tflog_hatch_build", ROOT / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = load_hook_module()


def touch(path: Path, mtime: float, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(text)
    os.utime(path, (mtime, mtime))


def set_tree_mtime(paths: list[Path], mtime: float) -> None:
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            os.utime(file, (mtime, mtime))


def require_outputs() -> None:
    missing = [
        target
        for output in hook.OUTPUTS
        for target in output.targets
        if not (ROOT / target).is_file()
    ]
    if missing:
        pytest.fail(f"built outputs missing: {missing}: run `npm run build`", pytrace=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Every input at t=1000, every output at t=2000: up to date."""
    for output in hook.OUTPUTS:
        for source in output.inputs:
            name = "file.ts" if "." not in Path(source).name else ""
            touch(tmp_path / source / name if name else tmp_path / source, 1000)
        for target in output.targets:
            touch(tmp_path / target, 2000)
    return tmp_path


def test_up_to_date_outputs_need_no_npm(tree):
    assert hook.outputs_to_build(tree, {}) == {}


def test_service_src_alone_makes_the_service_bundle_stale(tree):
    touch(tree / "service/src/store/new.ts", 3000)
    assert hook.outputs_to_build(tree, {}) == {
        "service bundle": "service/src is newer than tflog/service/tflog-service.js"
    }


def test_src_alone_makes_the_labextension_stale(tree):
    touch(tree / "src/panel.tsx", 3000)
    assert list(hook.outputs_to_build(tree, {})) == ["JupyterLab extension"]


def test_the_lock_file_makes_both_stale(tree):
    touch(tree / "package-lock.json", 3000)
    assert list(hook.outputs_to_build(tree, {})) == ["service bundle", "JupyterLab extension"]


def test_a_missing_output_is_stale(tree):
    (tree / "tflog/service/tflog-cli.js").unlink()
    assert hook.outputs_to_build(tree, {}) == {
        "service bundle": "tflog/service/tflog-cli.js missing"
    }


def test_an_unpacked_sdist_or_skip_npm_never_builds(tree):
    touch(tree / "service/src/new.ts", 3000)
    touch(tree / "src/new.ts", 3000)
    assert hook.outputs_to_build(tree, {"TFLOG_SKIP_NPM": "1"}) == {}
    (tree / "PKG-INFO").write_text("Metadata-Version: 2.3\nName: tflog\n")
    assert hook.outputs_to_build(tree, {}) == {}
    assert list(hook.outputs_to_build(tree, {"TFLOG_FORCE_NPM": "1"})) == []


def test_force_npm_builds_both(tree):
    assert list(hook.outputs_to_build(tree, {"TFLOG_FORCE_NPM": "1"})) == [
        "service bundle",
        "JupyterLab extension",
    ]


def build_sdist(out: Path) -> Path:
    """The sdist of this checkout, built as a release is (hooks on)."""
    subprocess.run([str(HATCHLING), "build", "-t", "sdist", "-d", str(out)], cwd=ROOT, check=True)
    (sdist,) = out.glob("tflog-*.tar.gz")
    return sdist


def test_an_sdist_builds_a_wheel_without_node_or_npm(tmp_path):
    require_outputs()
    sdist = build_sdist(tmp_path / "sdist")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path / "unpacked", filter="data")
    for shipped in (
        SERVICE_BUNDLE,
        "tflog/service/tflog-cli.js",
        LABEXTENSION_MANIFEST,
        "tflog/labextension/install.json",
        "hatch_build.py",
        "PKG-INFO",
    ):
        assert f"tflog-0.1.0/{shipped}" in names, shipped
    assert not [n for n in names if "/node_modules/" in n or "/.tflog-test/" in n]
    source = tmp_path / "unpacked" / "tflog-0.1.0"
    # Sources newer than the outputs (as an unpacking tool may leave them):
    # an sdist still takes its outputs as they are.
    set_tree_mtime([source / "service" / "src", source / "src"], 4_000_000_000)

    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "-w",
            str(tmp_path / "wheel"),
            str(source),
        ],
        env={"PATH": str(empty_bin), "HOME": str(tmp_path), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "wheel").glob("tflog-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shared = "tflog-0.1.0.data/data/share/jupyter/labextensions/tflog/"
        for shipped in (
            SERVICE_BUNDLE,
            "tflog/service/tflog-cli.js",
            "tflog/cli.py",
            shared + "package.json",
            shared + "install.json",
            "tflog-0.1.0.data/data/etc/jupyter/jupyter_server_config.d/tflog.json",
        ):
            assert shipped in names, shipped
        install = json.loads(archive.read(shared + "install.json"))
        entry_points = archive.read("tflog-0.1.0.dist-info/entry_points.txt").decode()
    assert install["packageManager"] == "python"
    assert install["packageName"] == "tflog"
    assert "tflog" in install["uninstallInstructions"]
    assert "[console_scripts]\ntflog = tflog.cli:main" in entry_points


def copy_project(destination: Path) -> None:
    """What a wheel build needs, as the working tree has it (what `npm run
    build` here would build), with the checkout's node_modules."""
    for name in (
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "pyproject.toml",
        "hatch_build.py",
        "README.md",
        "service/tsconfig.json",
    ):
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    for name in ("jupyter_config", "scripts", "service/src", "src", "style", "schema", "tflog"):
        shutil.copytree(
            ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    (destination / "node_modules").symlink_to(ROOT / "node_modules")


def test_a_change_to_service_src_alone_rebuilds_the_service_bundle(tmp_path):
    require_outputs()
    if shutil.which("npm") is None or not (ROOT / "node_modules").is_dir():
        pytest.fail("needs npm on PATH and node_modules (npm ci)", pytrace=False)
    project = tmp_path / "project"
    copy_project(project)
    inputs = sorted({project / s for output in hook.OUTPUTS for s in output.inputs})
    set_tree_mtime([p for p in inputs if p.exists()], 1_500_000_000)
    set_tree_mtime([project / "tflog/service", project / "tflog/labextension"], 1_600_000_000)
    # One service source changed after the last build; nothing else did.
    changed = project / "service/src/main.ts"
    changed.write_text(changed.read_text() + "\n// changed after the last build\n")
    os.utime(changed, (1_700_000_000, 1_700_000_000))
    old_bundle = (project / SERVICE_BUNDLE).read_bytes()
    (project / SERVICE_BUNDLE).write_bytes(old_bundle + b"\n// stale bundle\n")
    os.utime(project / SERVICE_BUNDLE, (1_600_000_000, 1_600_000_000))

    result = subprocess.run(
        [str(HATCHLING), "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    bundle = project / SERVICE_BUNDLE
    assert bundle.stat().st_mtime > 1_700_000_000, "the service bundle was not rebuilt"
    assert not bundle.read_bytes().endswith(b"// stale bundle\n")
    # The labextension's sources did not change: it was not rebuilt.
    assert (project / LABEXTENSION_MANIFEST).stat().st_mtime == 1_600_000_000
    assert hook.outputs_to_build(project, {}) == {}
    (wheel,) = (tmp_path / "dist").glob("tflog-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(SERVICE_BUNDLE) == bundle.read_bytes()
