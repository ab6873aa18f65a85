"""Fixtures of the hub suites: a real JupyterHub with users alice and bob,
their servers started and their tflog services answering (see hub_harness)."""

from __future__ import annotations

import pytest
from hub_harness import Hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    # pytest's temporary directory keeps its last runs: the hub's log and the
    # users' homes stay there for a look after a failure.
    harness = Hub(tmp_path_factory.mktemp("hub"))
    try:
        harness.start()
    except BaseException as error:
        problems = harness.shutdown()
        if problems:
            raise AssertionError(
                "after the hub failed to start (above), stopping it: " + "; ".join(problems)
            ) from error
        raise
    yield harness
    harness.stop()
