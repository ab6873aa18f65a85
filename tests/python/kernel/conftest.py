"""Shared fixtures for the kernel-side tests (run from the repository root:
`.venv/bin/python -m pytest tests/python`, which puts the checkout on sys.path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tflog.kernel import state
from tflog.kernel.run import RUNS


def read_spool(path: Path) -> list[dict]:
    """The records of one spool file, strictly parsed (no NaN allowed)."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"bare {constant} in the spool")

    text = Path(path).read_text(encoding="utf-8")
    assert text.endswith("\n"), "the last record is not terminated"
    return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


def ipython_shell():
    """The test IPython shell (started once per process, shared by test files)."""
    from IPython.testing import globalipapp

    return globalipapp.start_ipython() or globalipapp.get_ipython()


def spool_files(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.ndjson"))


@pytest.fixture
def spool_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "spool"
    monkeypatch.setenv("TFLOG_SPOOL_DIR", str(directory))
    return directory


@pytest.fixture(autouse=True, scope="session")
def no_system_sampling():
    """Runs sample no system metrics unless a test asks (`system_interval`):
    a sample at the start of every run would come first in every spool file.
    For the whole session, so that kernels started by module fixtures inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TFLOG_SYSTEM_INTERVAL", "0")
        yield


@pytest.fixture(autouse=True)
def no_run_left_behind():
    """Every test starts and ends without an active run or a notebook path."""
    yield
    run = state.active_run
    if run is not None:
        run.end("stopped")
    RUNS.notebook = None
    RUNS.last = None
    assert state.active_run is None
