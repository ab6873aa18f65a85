"""The acceptance test of docs/admin-hub.md: a real JupyterHub configured with
the guide's own blocks (the tflog hub service holding the Elasticsearch
credential, TFLOG_HUB_URL for the users' servers, tflog loaded in every
kernel), users alice and bob training with `%%tflog`, and what each of them
can and cannot do to the other.

The blocks marked `<!-- tested: NAME -->` in the guide are taken from it as
they are; only the values that differ per machine (ports, the cluster's URL,
the API key, the CA file, the quota for the flood) are replaced, each of
which must be found in its block. Elasticsearch is the node named by
TFLOG_TEST_ES_URL, else a node this module starts (scripts/es-start.sh).
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import certifi
import pytest
import requests
from guide import guide_block, hub_mode_config
from hub_harness import ROOT, Hub, descendants, free_port, wait_for

USERS = ("alice", "bob")
# The flood test's quota: low, so that a few thousand printed lines exceed
# it (a burst of 10 s of it is allowed), but drained within a minute.
QUOTA_DOCS_PER_S = 150
FLOOD_LINES = 4000
CREDENTIAL_VARIABLES = (
    "TFLOG_ES_URLS",
    "TFLOG_ES_API_KEY",
    "TFLOG_ES_USERNAME",
    "TFLOG_ES_PASSWORD",
    "TFLOG_ES_CA_CERTS",
)


# Elasticsearch --------------------------------------------------------------


class Elasticsearch:
    def __init__(self, url: str, prefix: str) -> None:
        self.url = url.rstrip("/")
        self.prefix = prefix

    def request(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/{path}", json=body, timeout=30)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def refresh(self) -> None:
        self.request("POST", f"{self.prefix}*/_refresh")

    def search(self, kind: str, query: dict, size: int = 1000) -> list[dict]:
        """Documents of `<prefix><kind>*` (logs, metrics, runs) matching `query`."""
        self.refresh()
        found = self.request(
            "POST",
            f"{self.prefix}{kind}*/_search",
            {"query": query, "size": size, "sort": ["_doc"]},
        )
        return [dict(hit["_source"], _index=hit["_index"]) for hit in found["hits"]["hits"]]

    def count(self, kind: str, query: dict) -> int:
        self.refresh()
        return self.request("POST", f"{self.prefix}{kind}*/_count", {"query": query})["count"]

    def indices(self) -> list[str]:
        return [
            row["index"] for row in self.request("GET", f"_cat/indices/{self.prefix}*?format=json")
        ]

    def delete_ours(self) -> None:
        # One name at a time: clusters refuse wildcard deletes by default.
        for index in self.indices():
            requests.delete(f"{self.url}/{index}", timeout=30)


@pytest.fixture(scope="module")
def elasticsearch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Elasticsearch]:
    prefix = f"tflog-hubmode-{secrets.token_hex(4)}-"
    given = os.environ.get("TFLOG_TEST_ES_URL", "").strip()
    if given:
        es = Elasticsearch(given, prefix)
        yield es
        es.delete_ours()
        return
    data_dir = tmp_path_factory.mktemp("es")
    started = subprocess.run(
        ["bash", str(ROOT / "scripts" / "es-start.sh"), "0", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode == 0, (
        "the test Elasticsearch node did not start:\n" + started.stdout + started.stderr
    )
    try:
        yield Elasticsearch(started.stdout.strip().splitlines()[-1], prefix)
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "es-stop.sh"), str(data_dir)], timeout=120)


# The hub --------------------------------------------------------------------


class Secrets:
    """The values the hub service's environment holds, to look for elsewhere."""

    def __init__(self, es_url: str, base: Path) -> None:
        key_id = "tflog-hub-" + secrets.token_hex(4)
        self.api_key_secret = secrets.token_urlsafe(24)
        self.api_key = base64.b64encode(f"{key_id}:{self.api_key_secret}".encode()).decode()
        self.es_url = es_url
        # A real PEM bundle (the cluster here is http, so it is not used).
        self.ca_file = base / "tflog-hubmode-es-ca.pem"
        shutil.copyfile(certifi.where(), self.ca_file)

    def found_in(self, text: str) -> list[str]:
        return [
            name
            for name, value in (
                ("the API key", self.api_key),
                ("the API key's secret", self.api_key_secret),
            )
            if value in text
        ]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, elasticsearch: Elasticsearch) -> Iterator[Hub]:
    base = tmp_path_factory.mktemp("hubmode")
    credentials = Secrets(elasticsearch.url, base)
    service_url = f"http://127.0.0.1:{free_port()}"
    config = hub_mode_config(
        service_url,
        elasticsearch.url,
        credentials.api_key,
        str(credentials.ca_file),
        elasticsearch.prefix,
        quota_docs_per_s=QUOTA_DOCS_PER_S,
    )
    # The kernel config in each user's IPython profile: the users' Python is
    # the test's venv, whose system paths other suites use too.
    kernel_config = guide_block("ipython_kernel_config")
    for user in USERS:
        profile = base / "home" / user / ".ipython" / "profile_default"
        profile.mkdir(parents=True)
        (profile / "ipython_kernel_config.py").write_text(kernel_config)
    harness = Hub(base, USERS, extra_config=config)
    harness.service_url = service_url  # type: ignore[attr-defined]
    harness.credentials = credentials  # type: ignore[attr-defined]
    harness.es = elasticsearch  # type: ignore[attr-defined]
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


def hub_service(hub: Hub, user: str, path: str, via_proxy: bool = True) -> requests.Response:
    """`GET <hub service>/api/v1/<path>` with the user's token, through the
    hub's proxy (`/services/tflog/`) or at the service's own URL."""
    base = f"{hub.url}/services/tflog" if via_proxy else hub.service_url  # type: ignore[attr-defined]
    return requests.get(
        f"{base}/api/v1/{path}",
        headers={"Authorization": f"token {hub.token(user)}"},
        timeout=30,
    )


def hub_usage(hub: Hub, user: str) -> dict:
    response = hub_service(hub, user, "status")
    assert response.status_code == 200, response.text
    return response.json()["hub"]["usage"]


def training_cell(name: str, user: str) -> str:
    """`%%tflog` with Keras-like prints and a logging record (no TensorFlow;
    no %load_ext: the guide's kernel config loads tflog)."""
    return (
        f"%%tflog {name}\n"
        "import logging\n"
        "log = logging.getLogger('trainer')\n"
        "log.setLevel(logging.INFO)\n"
        "print('Epoch 1/2')\n"
        "print('10/10 [==============================] - 1s 5ms/step - loss: 0.5000')\n"
        f"log.info('checkpoint written for {user}')\n"
        "print('Epoch 2/2')\n"
        "print('10/10 [==============================] - 1s 5ms/step - loss: 0.2500')\n"
    )


def utc_day() -> str:
    return datetime.now(timezone.utc).strftime("%Y.%m.%d")


def run_ok(hub: Hub, user: str, code: str, timeout: float = 120) -> dict:
    outcome = hub.run_cell(user, code, timeout=timeout)
    assert outcome["status"] == "ok", outcome
    return outcome


def finished_run(hub: Hub, user: str, name: str) -> dict | None:
    """The user's run of that name once it is finished and stored so: the
    service lists a run as finished as soon as it has shipped the batch that
    ends it, a moment before the hub service has stored that batch."""
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    for run in hub.tflog_json(user, "runs")["runs"]:
        if run["name"] == name and run["status"] == "finished":
            stored = es.search("runs", {"ids": {"values": [run["run_id"]]}})
            if stored and stored[0]["status"] == "finished":
                return run
    return None


@pytest.fixture(scope="module")
def trained(hub: Hub) -> dict[str, dict]:
    """Both users have trained; their finished runs by user."""
    for user in USERS:
        outcome = run_ok(hub, user, training_cell(f"{user}-fit", user))
        assert "Epoch 2/2" in outcome["stdout"], outcome
    return {
        user: wait_for(
            lambda user=user: finished_run(hub, user, f"{user}-fit"),
            60,
            f"{user}'s run stored as finished",
        )
        for user in USERS
    }


def spool_dir(hub: Hub, user: str) -> str:
    return run_ok(hub, user, "import os; print(os.environ['TFLOG_SPOOL_DIR'])")["stdout"].strip()


def write_spool_file(hub: Hub, user: str, run_id: str, records: list[dict]) -> None:
    """Appends records to `<spool>/<run_id>.ndjson` from the user's kernel,
    as any code in a notebook can."""
    code = (
        "import json, os\n"
        f"path = os.path.join(os.environ['TFLOG_SPOOL_DIR'], {run_id + '.ndjson'!r})\n"
        "with open(path, 'a') as spool:\n"
        f"    for record in json.loads({json.dumps(json.dumps(records))}):\n"
        "        spool.write(json.dumps(record) + '\\n')\n"
    )
    run_ok(hub, user, code)


def start_record(run_id: str, name: str, claimed_user: str) -> dict:
    return {
        "t": "start",
        "seq": 0,
        "ts": time.time(),
        "v": 1,
        "run": run_id,
        "name": name,
        "tags": {},
        "ctx": {
            "notebook": "forged.ipynb",
            "kernel_id": "forged",
            "user": claimed_user,
            "host": "forged-host",
            "pid": 1,
            "python": "3.8.10",
            "tflog_version": "0",
        },
    }


# Tests ------------------------------------------------------------------------


def test_every_document_carries_the_token_user(hub: Hub, trained: dict[str, dict]):
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    for user, run in trained.items():
        assert run["user"] == user, run
        assert run["last_metrics"] == {"loss": 0.25}, run
        run_query = {"term": {"tflog.run_id": run["run_id"]}}
        events = es.search("logs", run_query)
        messages = [event["message"] for event in events]
        assert "Epoch 2/2" in messages and f"checkpoint written for {user}" in messages, messages
        assert {event["user"]["name"] for event in events} == {user}, events
        points = es.search("metrics", {"term": {"run_id": run["run_id"]}})
        assert points, f"no metric point of {user}'s run in Elasticsearch"
        assert {point["user"] for point in points} == {user}, points
        summaries = es.search("runs", {"ids": {"values": [run["run_id"]]}})
        assert [summary["user"] for summary in summaries] == [user], summaries


def test_each_user_reads_only_their_own_runs(hub: Hub, trained: dict[str, dict]):
    for user, other in (("alice", "bob"), ("bob", "alice")):
        listed = hub.tflog_json(user, "runs")["runs"]
        assert listed and {run["user"] for run in listed} == {user}, listed
        assert trained[other]["run_id"] not in {run["run_id"] for run in listed}, listed
        foreign = trained[other]["run_id"]
        for path in (f"runs/{foreign}", f"runs/{foreign}/series", f"runs/{foreign}/logs"):
            response = hub.tflog_api(user, path)
            assert response.status_code == 404, (user, path, response.status_code, response.text)
            # Asking the hub service directly with the user's token: the same.
            direct = hub_service(hub, user, path)
            assert direct.status_code == 404, (user, path, direct.status_code, direct.text)


def test_the_hub_service_answers_at_both_urls_for_the_tokens_user(hub: Hub):
    for via_proxy in (True, False):
        for user in USERS:
            response = hub_service(hub, user, "status", via_proxy=via_proxy)
            assert response.status_code == 200, (via_proxy, response.text)
            assert response.json()["user"] == user, response.text
            assert response.json()["hub"]["user"] == user, response.text
    # Full batches are written as many at once as the node has write threads.
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    pools = es.request("GET", "_nodes/thread_pool")["nodes"]
    write_threads = max(node["thread_pool"]["write"]["size"] for node in pools.values())
    writes = hub_service(hub, "alice", "status").json()["hub"]["writes"]
    assert writes["maxInFlight"] == write_threads, writes
    assert writes["waiting"] == 0, writes  # the users' runs are stored: nothing waits
    anonymous = requests.get(f"{hub.url}/services/tflog/api/v1/runs", timeout=30)
    assert anonymous.status_code == 401, anonymous.text
    # Each user's own service sends to the hub service.
    for user in USERS:
        status = hub.tflog_json(user, "status")
        assert status["storeInUse"]["kind"] == "hub", status
        assert status["store"]["healthy"] is True, status


def test_records_for_another_users_run_are_refused(hub: Hub, trained: dict[str, dict]):
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    bobs = trained["bob"]
    before = hub.tflog_json("bob", f"runs/{bobs['run_id']}")
    refused_before = hub_usage(hub, "alice")["refusedForeignRun"]
    rejected_before = hub.tflog_json("alice", "status")["counters"]["rejected"]
    huge = 10**12
    write_spool_file(
        hub,
        "alice",
        bobs["run_id"],
        [
            start_record(bobs["run_id"], "hijacked", "bob"),
            {
                "t": "metrics",
                "seq": huge,
                "ts": time.time(),
                "scope": "epoch",
                "epoch": 98,
                "batch": None,
                "step": 99999,
                "values": {"loss": 1000.0},
            },
            {
                "t": "end",
                "seq": huge + 1,
                "ts": time.time(),
                "status": "failed",
                "error": {"type": "Forged", "message": "forged", "stack_trace": ""},
            },
        ],
    )
    wait_for(
        lambda: hub_usage(hub, "alice")["refusedForeignRun"] > refused_before,
        60,
        "the hub service to count alice's items for bob's run as refused",
    )
    wait_for(
        lambda: hub.tflog_json("alice", "status")["counters"]["rejected"] > rejected_before,
        30,
        "alice's service to count the refused items",
    )
    # Give anything that did get through time to show, then compare.
    time.sleep(2)
    after = hub.tflog_json("bob", f"runs/{bobs['run_id']}")
    for field in ("name", "user", "status", "last_metrics", "last_epoch", "last_step", "ended"):
        assert after.get(field) == before.get(field), (field, before, after)
    assert after["status"] == "finished", after
    events = es.search("logs", {"term": {"tflog.run_id": bobs["run_id"]}})
    assert {event["user"]["name"] for event in events} == {"bob"}, events
    assert max(event["event"]["sequence"] for event in events) < huge, events
    # And alice still cannot read bob's run, not even what she tried to send.
    for path in (f"runs/{bobs['run_id']}", f"runs/{bobs['run_id']}/series"):
        response = hub.tflog_api("alice", path)
        assert response.status_code == 404, (path, response.status_code, response.text)


def test_a_claimed_user_is_ignored(hub: Hub, trained: dict[str, dict]):
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    # A kernel that says it is bob, then trains.
    run_ok(hub, "alice", "import os\nos.environ['JUPYTERHUB_USER'] = 'bob'")
    try:
        run_ok(hub, "alice", training_cell("spoofed-env", "alice"))
    finally:
        run_ok(hub, "alice", "import os\nos.environ['JUPYTERHUB_USER'] = 'alice'")
    # A spool record that says it is bob's, for a run id nobody has.
    forged_id = "forged-" + uuid.uuid4().hex
    write_spool_file(
        hub,
        "alice",
        forged_id,
        [
            start_record(forged_id, "spoofed-record", "bob"),
            {
                "t": "stream",
                "seq": 1,
                "ts": time.time(),
                "stream": "stdout",
                "text": "a line that claims to be bob's\n",
            },
            {"t": "end", "seq": 2, "ts": time.time(), "status": "finished"},
        ],
    )
    for name in ("spoofed-env", "spoofed-record"):
        run = wait_for(
            lambda name=name: finished_run(hub, "alice", name), 60, f"alice's run {name}"
        )
        assert run["user"] == "alice", run
        events = es.search("logs", {"term": {"tflog.run_id": run["run_id"]}})
        assert events and {event["user"]["name"] for event in events} == {"alice"}, events
        points = es.search("metrics", {"term": {"run_id": run["run_id"]}})
        assert {point["user"] for point in points} <= {"alice"}, points
    bobs_names = {run["name"] for run in hub.tflog_json("bob", "runs")["runs"]}
    assert not bobs_names & {"spoofed-env", "spoofed-record"}, bobs_names


def test_a_kernel_posting_to_the_hub_service_itself_stays_its_user(
    hub: Hub, trained: dict[str, dict]
):
    """A kernel has its server's token and TFLOG_HUB_URL: what it sends the
    hub service directly is stamped with its own user, and refused for a run
    id of another user."""
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    own_id = "direct-" + uuid.uuid4().hex
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")

    def document(run_id: str, seq: int) -> dict:
        return {
            "_id": f"{run_id}:{seq}",
            "@timestamp": now,
            "message": f"posted directly for {run_id}",
            "user": {"name": "bob"},
            "event": {"sequence": seq, "dataset": "tflog.stream"},
            "tflog": {"run_id": run_id, "kind": "log"},
        }

    batch = {
        "documents": [document(own_id, 1), document(trained["bob"]["run_id"], 10**9)],
        "points": [],
        "runs": [],
    }
    code = (
        "import json, os, urllib.request\n"
        "request = urllib.request.Request(\n"
        "    os.environ['TFLOG_HUB_URL'].rstrip('/') + '/api/v1/ingest',\n"
        f"    data={json.dumps(json.dumps(batch))}.encode(),\n"
        "    headers={'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN'],\n"
        "             'Content-Type': 'application/json'},\n"
        ")\n"
        "print(urllib.request.urlopen(request, timeout=30).read().decode())\n"
    )
    answer = json.loads(run_ok(hub, "alice", code)["stdout"])
    assert answer["created"] == 1, answer
    assert [item["id"] for item in answer["rejected"]] == [f"{trained['bob']['run_id']}:{10**9}"], (
        answer
    )
    stored = es.search("logs", {"term": {"tflog.run_id": own_id}})
    assert [event["user"]["name"] for event in stored] == ["alice"], stored
    assert not es.search("logs", {"ids": {"values": [f"{trained['bob']['run_id']}:{10**9}"]}})


def test_no_credential_reaches_a_users_kernel_service_or_browser(
    hub: Hub, trained: dict[str, dict]
):
    credentials: Secrets = hub.credentials  # type: ignore[attr-defined]
    environment = json.loads(
        run_ok(hub, "alice", "import json, os; print(json.dumps(dict(os.environ)))")["stdout"]
    )
    assert not [key for key in environment if key.startswith("TFLOG_ES_")], environment
    values = json.dumps(environment)
    assert not credentials.found_in(values), credentials.found_in(values)
    for value in (credentials.es_url, str(credentials.ca_file)):
        assert value not in values, value
    assert environment.get("TFLOG_HUB_URL") == hub.service_url, environment  # type: ignore[attr-defined]
    # The user's own tflog service (a child of their server) has none either.
    services = [
        pid
        for pid in descendants(hub.process.pid)  # type: ignore[union-attr]
        if "tflog-service.js" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    ]
    alices = []
    for pid in services:
        variables = dict(
            entry.split("=", 1)
            for entry in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
            if "=" in entry
        )
        if variables.get("TFLOG_USER") == "alice":
            alices.append(variables)
    assert len(alices) == 1, f"expected alice's one tflog service among {services}"
    # (The server extension passes TFLOG_ES_VERIFY_CERTS=true, a flag, not a credential.)
    assert not [key for key in alices[0] if key in CREDENTIAL_VARIABLES], alices[0]
    assert not credentials.found_in(json.dumps(alices[0]))
    assert alices[0]["TFLOG_HUB_TOKEN"] == environment["JUPYTERHUB_API_TOKEN"]
    # Everything the browser can get from alice's server and the hub service.
    own = trained["alice"]["run_id"]
    bodies = []
    for path in (
        "status",
        "runs",
        f"runs/{own}",
        f"runs/{own}/series",
        f"runs/{own}/logs",
        f"runs/{trained['bob']['run_id']}",
    ):
        bodies.append(hub.tflog_api("alice", path).text)
        bodies.append(hub_service(hub, "alice", path).text)
    with hub.login("alice") as browser:
        bodies.append(browser.get(hub.user_url("alice", "tflog/api/v1/status"), timeout=30).text)
    for body in bodies:
        assert not credentials.found_in(body), (credentials.found_in(body), body[:2000])
    assert any('"kind":"hub"' in body.replace(" ", "") for body in bodies), bodies[0]


def test_a_printed_date_creates_no_index_of_that_day(hub: Hub, trained: dict[str, dict]):
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    written_from = utc_day()
    run_ok(
        hub,
        "alice",
        "%%tflog dated\nprint('2000-01-01 12:00:00,000 INFO a line that says it is from 2000')\n",
    )
    run = wait_for(lambda: finished_run(hub, "alice", "dated"), 60, "alice's run dated")

    def dated_lines() -> list[dict]:
        events = es.search("logs", {"term": {"tflog.run_id": run["run_id"]}})
        return [event for event in events if "says it is from 2000" in event["message"]]

    dated = wait_for(dated_lines, 60, "the dated line in Elasticsearch")
    # The line was read as dated 2000 (else this test would prove nothing) ...
    assert dated and dated[0]["@timestamp"].startswith("2000-01-01"), dated
    # ... and stored in the index of the day it was written.
    days = {f"{es.prefix}logs-{day}" for day in (written_from, utc_day())}
    assert dated[0]["_index"] in days, (dated, days)
    assert not [index for index in es.indices() if "2000.01.01" in index], es.indices()


def test_a_flooding_user_is_slowed_down_and_the_other_is_not(hub: Hub, trained: dict[str, dict]):
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    refused_before = hub_usage(hub, "alice")["refusedRate"]
    flood = run_ok(
        hub,
        "alice",
        f"%%tflog flood\nfor i in range({FLOOD_LINES}):\n    print('flood line', i)\n",
        timeout=180,
    )
    assert flood["error"] is None, flood["error"]

    def throttled() -> dict | None:
        status = hub.tflog_json("alice", "status")
        message = (status.get("lastError") or {}).get("message", "")
        if status["state"] == "retrying" and "TFLOG_HUB_QUOTA_DOCS_PER_S" in message:
            return status
        return None

    status = wait_for(throttled, 60, "alice's service to be retrying on the quota", 0.1)
    assert status["backlog"]["bytes"] > 0, status
    assert hub_usage(hub, "alice")["refusedRate"] > refused_before

    # Meanwhile bob trains, and his curve grows point by point.
    run_ok(hub, "bob", "%tflog start bob-live")
    bob_run = wait_for(
        lambda: next(
            (run for run in hub.tflog_json("bob", "runs")["runs"] if run["name"] == "bob-live"),
            None,
        ),
        30,
        "bob's live run",
    )
    for epoch in (1, 2):
        run_ok(
            hub,
            "bob",
            f"print('Epoch {epoch}/2')\n"
            "print('10/10 [==============================] - 1s 5ms/step - "
            f"loss: {1 / epoch:.4f}')\n",
        )

        def points(epoch: int = epoch) -> bool:
            series = hub.tflog_json("bob", f"runs/{bob_run['run_id']}/series")["series"]
            loss = [s for s in series if s["name"] == "loss"]
            return bool(loss) and len(loss[0]["points"]) >= epoch

        wait_for(points, 30, f"bob's loss curve to show epoch {epoch}")
    stored_so_far = es.count("logs", {"term": {"user.name": "alice"}})
    run_ok(hub, "bob", "%tflog stop")
    # Alice was still held back while bob's curve grew.
    alice_status = hub.tflog_json("alice", "status")
    assert alice_status["backlog"]["bytes"] > 0 or stored_so_far < FLOOD_LINES, alice_status

    # Nothing of the flood is lost: once the quota lets it through, all of it is stored.
    flood_run = wait_for(lambda: finished_run(hub, "alice", "flood"), 150, "alice's flood run")
    stored = wait_for(
        lambda: (
            es.count(
                "logs",
                {
                    "bool": {
                        "filter": [
                            {"term": {"tflog.run_id": flood_run["run_id"]}},
                            {"match_phrase": {"message": "flood line"}},
                        ]
                    }
                },
            )
            == FLOOD_LINES
        ),
        150,
        f"all {FLOOD_LINES} flood lines stored",
        1.0,
    )
    assert stored
    assert hub.tflog_json("alice", "status")["backlog"]["bytes"] == 0


def process_environment(pid: int) -> dict[str, str]:
    return dict(
        entry.split("=", 1)
        for entry in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
        if "=" in entry
    )


def hub_service_environment(hub: Hub) -> dict[str, str]:
    """The environment JupyterHub gave the tflog hub service (section 2)."""
    for pid in descendants(hub.process.pid):  # type: ignore[union-attr]
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            environment = process_environment(pid)
        except OSError:
            continue
        if "tflog-service.js" in command and environment.get("TFLOG_MODE") == "hub":
            return environment
    raise AssertionError("no tflog hub service process under the hub")


@contextlib.contextmanager
def refusing_cluster() -> Iterator[str]:
    """An HTTP server answering every request as a secured Elasticsearch
    answers a wrong API key: 401 with a security_exception."""
    body = json.dumps(
        {
            "error": {
                "type": "security_exception",
                "reason": "unable to authenticate with provided credentials and anonymous "
                "access is not allowed for this request",
            },
            "status": 401,
        }
    ).encode()

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("WWW-Authenticate", 'ApiKey, Basic realm="security"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_HEAD = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def doctor(environment: dict[str, str]) -> subprocess.CompletedProcess:
    tflog = str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "tflog")
    if not Path(tflog).exists():
        tflog = str(ROOT / ".venv" / "bin" / "tflog")
    return subprocess.run(
        [tflog, "doctor", "--plain"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tflog_doctor_is_clean_on_the_hub_and_names_what_to_fix(hub: Hub, trained: dict[str, dict]):
    # As a user's server sees it: in alice's kernel, with its environment.
    checked = run_ok(
        hub,
        "alice",
        "import os, subprocess, sys\n"
        "tflog = os.path.join(os.path.dirname(sys.executable), 'tflog')\n"
        "done = subprocess.run([tflog, 'doctor', '--plain'], capture_output=True, text=True)\n"
        "print(done.returncode); print(done.stdout); print(done.stderr)\n",
    )["stdout"]
    assert checked.startswith("0\n"), checked
    assert re.search(r"ok\s+token: accepted \(user alice\)", checked), checked
    assert "FAIL" not in checked, checked

    # As the hub service sees it: its own environment, as JupyterHub set it.
    service = hub_service_environment(hub)
    clean = doctor(service)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "FAIL" not in clean.stdout, clean.stdout
    assert re.search(r"ok\s+index template \S+logs: version", clean.stdout), clean.stdout

    # A template deleted: doctor fails and says how to get it back.
    es: Elasticsearch = hub.es  # type: ignore[attr-defined]
    name = f"{es.prefix}metrics"
    template = es.request("GET", f"_index_template/{name}")["index_templates"][0]
    es.request("DELETE", f"_index_template/{name}")
    try:
        broken = doctor(service)
    finally:
        # Back as it was, less what Elasticsearch sets itself.
        body = {
            key: value
            for key, value in template["index_template"].items()
            if not key.startswith(("created_date", "modified_date"))
        }
        es.request("PUT", f"_index_template/{name}", body)
    assert broken.returncode == 1, broken.stdout
    assert re.search(rf"FAIL\s+index template {re.escape(name)}: missing", broken.stdout)
    assert "fix: start the service (or the hub service) once" in broken.stdout

    # A wrong API key: the test node has no security, so a stand-in for a
    # secured cluster answers as Elasticsearch does to a key it refuses.
    with refusing_cluster() as refusing_url:
        refused = doctor(dict(service, TFLOG_ES_URLS=refusing_url))
    assert refused.returncode == 1, refused.stdout
    assert re.search(r"FAIL\s+credentials: wrong API key or password", refused.stdout)
    assert "fix: set TFLOG_ES_API_KEY" in refused.stdout, refused.stdout

    # A wrong Elasticsearch address: the report says which setting to fix.
    wrong = doctor(dict(service, TFLOG_ES_URLS=f"http://127.0.0.1:{free_port()}"))
    assert wrong.returncode == 1, wrong.stdout
    assert "TFLOG_ES_URLS" in wrong.stdout, wrong.stdout
