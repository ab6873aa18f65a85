"""Fixtures for the integration suites. They need a real Elasticsearch:
scripts/test.sh starts one and sets TFLOG_TEST_ES_URL; point the variable at
any cluster to run the same tests there."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from harness import Elasticsearch, Service


@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("TFLOG_TEST_ES_URL")
    if not url:
        pytest.fail(
            "TFLOG_TEST_ES_URL is not set: run scripts/test.sh (it starts a real "
            "Elasticsearch node) or point the variable at a cluster",
            pytrace=False,
        )
    return url


@pytest.fixture
def prefix() -> str:
    """A private index prefix, so tests never see each other's documents."""
    return f"tflog-it-{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def es(es_url: str, prefix: str):
    client = Elasticsearch(es_url, prefix)
    yield client
    client.delete_indices()


@pytest.fixture
def service(tmp_path: Path, es_url: str, prefix: str):
    svc = Service(tmp_path / "service", es_url, prefix)
    svc.start()
    yield svc
    svc.stop()
