"""Two users of a real JupyterHub, each with the tflog extension in their own
server: runs are labelled with the hub's user name, each user's API lists
their own run only, and the hub keeps one user's token out of the other's
server (its tflog API included)."""

from __future__ import annotations

import pytest
import requests
from hub_harness import Hub, wait_for

USERS = ("alice", "bob")


def training_cell(user: str) -> str:
    """A `%%tflog` cell printing Keras-like progress and logging through `logging`."""
    return (
        f"%%tflog {user}-fit\n"
        "import logging\n"
        "log = logging.getLogger('trainer')\n"
        "log.setLevel(logging.INFO)\n"
        "print('Epoch 1/2')\n"
        "print('10/10 [==============================] - 1s 5ms/step - loss: 0.5000')\n"
        f"log.info('checkpoint written for {user}')\n"
        "print('Epoch 2/2')\n"
        "print('10/10 [==============================] - 1s 5ms/step - loss: 0.2500')\n"
    )


def finished_runs(hub: Hub, user: str) -> list[dict]:
    runs = hub.tflog_json(user, "runs")["runs"]
    return runs if runs and all(run["status"] == "finished" for run in runs) else []


@pytest.fixture(scope="module")
def trained(hub: Hub) -> Hub:
    """Both users have run their training cell."""
    for user in USERS:
        loaded = hub.run_cell(user, "%load_ext tflog")
        assert loaded["status"] == "ok", loaded
        outcome = hub.run_cell(user, training_cell(user))
        assert outcome["status"] == "ok", outcome
        assert "Epoch 2/2" in outcome["stdout"], outcome
    return hub


@pytest.mark.parametrize("user", USERS)
def test_each_user_lists_exactly_their_own_run(trained: Hub, user: str):
    runs = wait_for(
        lambda: finished_runs(trained, user), 60, f"{user}'s run to be stored as finished"
    )
    assert [run["name"] for run in runs] == [f"{user}-fit"], runs
    run = runs[0]
    assert run["user"] == user, run
    # The Keras-like lines were read as two epochs of a loss.
    assert run["last_metrics"] == {"loss": 0.25}, run
    assert run["last_epoch"] == 2, run

    logs = trained.tflog_json(user, f"runs/{run['run_id']}/logs", params={"size": 1000})
    lines = logs["lines"]
    messages = [line["message"] for line in lines]
    assert "Epoch 2/2" in messages, messages
    assert f"checkpoint written for {user}" in messages, messages
    assert {line["user"]["name"] for line in lines} == {user}, lines

    # The service answers for its own user only, whoever asks through it.
    other = next(name for name in USERS if name != user)
    refused = trained.tflog_api(user, "runs", params={"user": other})
    assert refused.status_code == 403, refused.text


@pytest.mark.parametrize("user", USERS)
def test_status_through_the_hub(hub: Hub, user: str):
    status = hub.tflog_json(user, "status")
    assert status["user"] == user, status
    assert status["state"] == "running", status
    # Each user's spool lies in their own Jupyter data directory (under HOME).
    spool = str(hub.data_dir(user) / "tflog" / "spool")
    assert status["spoolDir"] == spool, status


@pytest.mark.parametrize(("owner", "intruder"), [("bob", "alice"), ("alice", "bob")])
def test_another_users_token_is_refused(hub: Hub, owner: str, intruder: str):
    for path in ("tflog/api/v1/status", "tflog/api/v1/runs", "api/status"):
        with hub.user_api(owner, as_user=intruder) as session:
            response = session.get(path, allow_redirects=False)
        assert response.status_code == 403, (path, response.status_code, response.text)
        # Without any token, the hub sends the browser to log in.
        response = requests.get(hub.user_url(owner, path), allow_redirects=False, timeout=30)
        assert response.status_code in (302, 401, 403), (path, response.status_code)
        # The owner's own token is let in.
        with hub.user_api(owner) as session:
            assert session.get(path, allow_redirects=False).status_code == 200, path


def test_a_logged_in_browser_reaches_its_own_tflog_only(hub: Hub):
    # The way JupyterLab reaches the API: hub login, then OAuth cookies.
    with hub.login("alice") as browser:
        own = browser.get(hub.user_url("alice", "tflog/api/v1/status"), timeout=30)
        assert own.status_code == 200, own.text
        assert own.json()["user"] == "alice", own.text
        other = browser.get(hub.user_url("bob", "tflog/api/v1/status"), timeout=30)
        assert other.status_code == 403, (other.url, other.status_code)
