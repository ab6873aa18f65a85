"""A real JupyterHub for the hub suites: the hub, its configurable-http-proxy,
and one single-user Jupyter server per user (SimpleLocalProcessSpawner: this OS
account, a HOME of its own under the harness directory), each with the tflog
server extension and its service.

Everything is reached the way a browser or a script reaches a hub: the hub's
REST API with an admin service token, the users' servers through the hub's
public URL with each user's own token, kernels over the Jupyter server's
websocket. Nothing is faked: a component that does not start fails the test
with the hub's log (the users' servers log there too).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urljoin

import requests
import websocket

ROOT = Path(__file__).resolve().parents[2]
# The same interpreter (venv) as the tests: the hub, the users' servers and
# their kernels all import tflog from it.
VENV_BIN = Path(sys.prefix) / "bin"
DEFAULT_PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE_BUNDLE = ROOT / "tflog" / "service" / "tflog-service.js"
ADMIN_SERVICE = "tflog-test-admin"
PASSWORD = "tflog-hub-password"


_GIVEN_PORTS: set[int] = set()


def free_port() -> int:
    """A free loopback port not handed out before in this process: the
    kernel may give a just-released port again, and the hub, its proxy's
    API and the service are picked one after another before any binds."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _GIVEN_PORTS:
            _GIVEN_PORTS.add(port)
            return port


def env_seconds(name: str, fallback: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return fallback
    try:
        return float(text)
    except ValueError:
        raise AssertionError(f"{name}={text!r} is not a number of seconds") from None


def wait_for(
    condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25
) -> Any:
    """Polls until condition() is truthy and returns it; raises with `what`
    and the last error seen."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (OSError, ValueError, KeyError, AssertionError, requests.RequestException) as error:
            last_error = error  # reported below if the condition never holds
        time.sleep(interval)
    detail = f" (last error: {last_error!r})" if last_error else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")


def descendants(root: int) -> list[int]:
    """Every live process below `root` (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        fields = stat.rsplit(")", 1)[1].split()
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def is_running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "(gone)"


class UserSession(requests.Session):
    """A requests session whose relative URLs are taken from `base_url` (a
    user's server through the hub, ending in '/'), sending `token`."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        super().__init__()
        self.base_url = base_url
        self.timeout = timeout
        self.headers["Authorization"] = f"token {token}"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, urljoin(self.base_url, url), *args, **kwargs)


class HubKernel:
    """A kernel of a user's server, driven over the server's websocket
    (Jupyter's JSON message protocol) through the hub's proxy."""

    def __init__(self, hub: Hub, user: str) -> None:
        self.user = user
        self.session_id = uuid.uuid4().hex
        self.api = hub.user_api(user)
        response = self.api.post("api/kernels", json={"name": "python3"})
        if response.status_code != 201:
            raise AssertionError(
                f"{user}: starting a kernel answered {response.status_code}: {response.text}"
            )
        self.kernel_id: str = response.json()["id"]
        url = hub.user_url(user, f"api/kernels/{self.kernel_id}/channels")
        ws_url = "ws" + url[len("http") :] + f"?session_id={self.session_id}"
        self.ws = websocket.create_connection(
            ws_url, header=[f"Authorization: token {hub.token(user)}"], timeout=30
        )
        self._wait_ready(60)

    def _message(self, msg_type: str, content: dict, channel: str = "shell") -> dict:
        return {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "username": self.user,
                "session": self.session_id,
                "msg_type": msg_type,
                "version": "5.3",
                "date": datetime.now(timezone.utc).isoformat(),
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }

    def _receive(self, deadline: float) -> dict | None:
        """The next JSON message, or None for a binary frame (messages with
        buffers, which the helpers here never ask for)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{self.user}: no answer from kernel {self.kernel_id} in time")
        self.ws.settimeout(remaining)
        try:
            frame = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            raise AssertionError(
                f"{self.user}: no answer from kernel {self.kernel_id} in time"
            ) from None
        if isinstance(frame, bytes):
            return None
        return json.loads(frame)

    def _wait_ready(self, timeout: float) -> None:
        """Asks for kernel_info until the kernel answers (it may still be starting)."""
        deadline = time.monotonic() + timeout
        while True:
            request = self._message("kernel_info_request", {})
            self.ws.send(json.dumps(request))
            retry_at = min(deadline, time.monotonic() + 2)
            while time.monotonic() < retry_at:
                self.ws.settimeout(max(0.05, retry_at - time.monotonic()))
                try:
                    frame = self.ws.recv()
                except websocket.WebSocketTimeoutException:
                    break
                if isinstance(frame, bytes):
                    continue
                message = json.loads(frame)
                if (
                    message.get("msg_type") == "kernel_info_reply"
                    and message["parent_header"].get("msg_id") == request["header"]["msg_id"]
                ):
                    return
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{self.user}: kernel {self.kernel_id} did not answer kernel_info "
                    f"within {timeout:.0f}s"
                )

    def execute(self, code: str, timeout: float = 120) -> dict:
        """Runs `code`; returns {'status', 'stdout', 'stderr', 'error'} once the
        kernel has replied and gone idle."""
        request = self._message(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        msg_id = request["header"]["msg_id"]
        self.ws.send(json.dumps(request))
        outcome: dict[str, Any] = {"status": None, "stdout": "", "stderr": "", "error": None}
        idle = False
        deadline = time.monotonic() + timeout
        while outcome["status"] is None or not idle:
            message = self._receive(deadline)
            if message is None or message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            content = message["content"]
            if kind == "stream":
                outcome[content["name"]] += content["text"]
            elif kind == "error":
                outcome["error"] = content
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                outcome["status"] = content["status"]
                if content["status"] == "error" and outcome["error"] is None:
                    outcome["error"] = content
        return outcome

    def shutdown(self) -> None:
        self.ws.close()
        response = self.api.delete(f"api/kernels/{self.kernel_id}")
        if response.status_code not in (204, 404):
            raise AssertionError(
                f"{self.user}: deleting kernel {self.kernel_id} answered "
                f"{response.status_code}: {response.text}"
            )


class Hub:
    """A JupyterHub on 127.0.0.1 with free ports; everything it writes (its
    database, cookie secret, log, the users' homes) lives under `base`.

    `extra_config` is Python appended to jupyterhub_config.py (for suites
    that add hub services); `user_environment` is added to every user's
    server environment (Spawner.environment)."""

    def __init__(
        self,
        base: Path,
        users: Iterable[str] = ("alice", "bob"),
        extra_config: str = "",
        user_environment: Mapping[str, str] | None = None,
    ) -> None:
        self.base = base
        self.users = list(users)
        self.extra_config = extra_config
        self.user_environment = dict(user_environment or {})
        self.port = free_port()
        self.hub_port = free_port()
        self.proxy_api_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = secrets.token_hex(32)
        self.log_path = base / "jupyterhub.log"
        self.homes = base / "home"
        self.process: subprocess.Popen | None = None
        self._log_file: Any = None
        self._tokens: dict[str, str] = {}
        self._kernels: dict[str, HubKernel] = {}
        self.start_timeout = env_seconds("TFLOG_HUB_START_TIMEOUT", 120)
        self.proxy_command = os.environ.get("TFLOG_HUB_PROXY") or str(DEFAULT_PROXY)

    # Locations ------------------------------------------------------------

    def home(self, user: str) -> Path:
        return self.homes / user

    def data_dir(self, user: str) -> Path:
        """The user's Jupyter data directory (Jupyter's default under HOME),
        where the tflog extension keeps its spool, state and store."""
        return self.home(user) / ".local" / "share" / "jupyter"

    def user_url(self, user: str, path: str = "") -> str:
        """`<hub public URL>/user/<user>/<path>`."""
        return f"{self.url}/user/{user}/{path}"

    # Lifetime -------------------------------------------------------------

    def _config_text(self) -> str:
        singleuser = VENV_BIN / "jupyterhub-singleuser"
        settings = {
            "proxy_port": self.port,
            "hub_port": self.hub_port,
            "proxy_api_url": f"http://127.0.0.1:{self.proxy_api_port}",
            # Longer than any suite: Playwright's request client reuses idle
            # keep-alive sockets and gets ECONNRESET when the proxy closes
            # one at the same moment (its default is 5 s), which a browser
            # would retry but a Galata route handler does not.
            "proxy_command": [self.proxy_command, "--keep-alive-timeout", "900000"],
            "proxy_pid_file": str(self.base / "proxy.pid"),
            "db_url": f"sqlite:///{self.base / 'jupyterhub.sqlite'}",
            "cookie_secret_file": str(self.base / "cookie_secret"),
            "pid_file": str(self.base / "jupyterhub.pid"),
            "password": PASSWORD,
            "users": self.users,
            "home_template": str(self.homes / "{username}"),
            "cmd": [str(singleuser)],
            # The servers run as this account, which may be root in CI.
            "args": ["--ServerApp.allow_root=True"] if os.geteuid() == 0 else [],
            "environment": self.user_environment,
            "admin_service": ADMIN_SERVICE,
            "admin_token": self.admin_token,
            "start_timeout": int(self.start_timeout),
        }
        return (
            "import json\n"
            f"s = json.loads({json.dumps(json.dumps(settings))})\n"
            "c = get_config()  # noqa\n"
            'c.JupyterHub.ip = "127.0.0.1"\n'
            'c.JupyterHub.port = s["proxy_port"]\n'
            'c.JupyterHub.hub_ip = "127.0.0.1"\n'
            'c.JupyterHub.hub_port = s["hub_port"]\n'
            'c.ConfigurableHTTPProxy.api_url = s["proxy_api_url"]\n'
            'c.ConfigurableHTTPProxy.command = s["proxy_command"]\n'
            'c.ConfigurableHTTPProxy.pid_file = s["proxy_pid_file"]\n'
            'c.JupyterHub.db_url = s["db_url"]\n'
            'c.JupyterHub.cookie_secret_file = s["cookie_secret_file"]\n'
            'c.JupyterHub.pid_file = s["pid_file"]\n'
            # The shared password of JupyterHub's testing authenticators (the
            # `dummy` authenticator's password setting moved here in 5.3).
            'c.JupyterHub.authenticator_class = "shared-password"\n'
            'c.SharedPasswordAuthenticator.user_password = s["password"]\n'
            'c.Authenticator.allowed_users = set(s["users"])\n'
            'c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"\n'
            'c.SimpleLocalProcessSpawner.home_dir_template = s["home_template"]\n'
            'c.Spawner.cmd = s["cmd"]\n'
            'c.Spawner.args = s["args"]\n'
            'c.Spawner.environment = s["environment"]\n'
            'c.Spawner.start_timeout = s["start_timeout"]\n'
            'c.Spawner.http_timeout = s["start_timeout"]\n'
            # Starting a server answers at once (202) instead of after up to
            # 10 s: the users' servers start side by side.
            'c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}\n'
            "c.JupyterHub.cleanup_servers = True\n"
            "c.JupyterHub.cleanup_proxy = True\n"
            'c.JupyterHub.services = [{"name": s["admin_service"], '
            '"api_token": s["admin_token"]}]\n'
            "c.JupyterHub.load_roles = [\n"
            "    {\n"
            '        "name": "tflog-test-admin",\n'
            '        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],\n'
            '        "services": [s["admin_service"]],\n'
            "    }\n"
            "]\n" + self.extra_config
        )

    def start(self) -> None:
        """Starts the hub and waits for its API; creates the users and a token
        for each; starts their servers and waits until each server and its
        tflog service answer through the hub."""
        for path, what in (
            (VENV_BIN / "jupyterhub", "JupyterHub (pip install -r requirements/test.txt)"),
            (Path(self.proxy_command), "configurable-http-proxy (npm ci)"),
            (SERVICE_BUNDLE, "the service bundle (npm run build:service)"),
        ):
            if not path.exists():
                raise AssertionError(f"{path} is missing: {what}")
        self.base.mkdir(parents=True, exist_ok=True)
        self.homes.mkdir(exist_ok=True)
        secret = self.base / "cookie_secret"
        secret.write_text(secrets.token_hex(32))
        secret.chmod(0o600)
        config = self.base / "jupyterhub_config.py"
        config.write_text(self._config_text())
        # The hub's own environment: no inherited Jupyter or tflog settings
        # (the spawner passes its env_keep list on to the servers anyway).
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TFLOG_", "JUPYTER", "CONFIGPROXY_"))
        }
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        env["HOME"] = str(self.base)
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
            cwd=self.base,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._wait(lambda: self.hub_api("GET", "").ok, self.start_timeout, "the hub's API")
        for user in self.users:
            self.create_user(user)
            self._tokens[user] = self.create_token(user)
        for user in self.users:
            self.start_server(user)
        for user in self.users:
            self.wait_for_server(user)

    def _wait(self, condition: Callable[[], Any], timeout: float, what: str) -> Any:
        """wait_for, but failing at once with the hub's log if the hub exits."""

        def check() -> Any:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterHub exited with {self.process.returncode} while waiting for "
                    f"{what}\n{self.log_tail()}"
                )
            return condition()

        try:
            return wait_for(check, timeout, what)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- hub log ---\n{self.log_tail()}") from None

    def stop(self) -> None:
        """shutdown(), raising with the hub's log if anything did not stop cleanly."""
        problems = self.shutdown()
        if problems:
            raise AssertionError(
                "the hub did not stop cleanly:\n"
                + "\n".join(problems)
                + f"\n--- hub log ---\n{self.log_tail()}"
            )

    def shutdown(self) -> list[str]:
        """Shuts kernels and servers down through the APIs, then stops the hub
        (which stops its proxy). Every process the hub started must be gone
        afterwards: any left is killed. Returns what went wrong."""
        problems: list[str] = []
        if self.process is None:
            return problems
        started = descendants(self.process.pid)
        if self.process.poll() is None:
            for user, kernel in list(self._kernels.items()):
                try:
                    kernel.shutdown()
                except (OSError, AssertionError, requests.RequestException) as error:
                    problems.append(f"{user}: kernel shutdown: {error!r}")
            self._kernels.clear()
            for user in self.users:
                try:
                    self.stop_server(user)
                except (OSError, AssertionError, requests.RequestException) as error:
                    problems.append(f"{user}: server stop: {error!r}")
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait()
                problems.append("JupyterHub did not stop within 60 s of SIGTERM")
            if code not in (0, -signal.SIGTERM):
                problems.append(f"JupyterHub exited with {code}")
        else:
            problems.append(f"JupyterHub had already exited with {self.process.returncode}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(is_running(pid) for pid in started):
            time.sleep(0.25)
        for pid in started:
            if is_running(pid):
                problems.append(f"left running, killed: {pid} {command_line(pid)}")
                with contextlib.suppress(ProcessLookupError):  # ended just now
                    os.kill(pid, signal.SIGKILL)
        self.process = None
        self._log_file.close()
        return problems

    def log_tail(self, lines: int = 80) -> str:
        if not self.log_path.exists():
            return "(no hub log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # The hub's REST API, as the admin service -------------------------------

    def hub_api(self, method: str, path: str, body: Any = None) -> requests.Response:
        """`<hub>/hub/api/<path>` with the admin service's token."""
        return requests.request(
            method,
            f"{self.url}/hub/api/{path}",
            json=body,
            headers={"Authorization": f"token {self.admin_token}"},
            timeout=30,
        )

    def _hub_json(self, method: str, path: str, body: Any, expected: tuple[int, ...]) -> Any:
        response = self.hub_api(method, path, body)
        if response.status_code not in expected:
            raise AssertionError(
                f"{method} /hub/api/{path} answered {response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def create_user(self, user: str) -> None:
        self._hub_json("POST", f"users/{user}", None, (201, 409))

    def create_token(self, user: str, note: str = "tflog hub tests") -> str:
        """A new API token of `user` (it carries the user's own permissions)."""
        return self._hub_json("POST", f"users/{user}/tokens", {"note": note}, (200, 201))["token"]

    def token(self, user: str) -> str:
        return self._tokens[user]

    def user_model(self, user: str) -> dict:
        return self._hub_json("GET", f"users/{user}", None, (200,))

    def start_server(self, user: str) -> None:
        self._hub_json("POST", f"users/{user}/server", None, (201, 202, 400))

    def wait_for_server(self, user: str) -> None:
        """Until the hub reports the server ready and its tflog service answers."""

        def ready() -> bool:
            server = self.user_model(user)["servers"].get("")
            return bool(server and server["ready"])

        self._wait(ready, self.start_timeout, f"{user}'s server to be ready")
        self._wait(
            lambda: self.tflog_api(user, "status").status_code == 200,
            self.start_timeout,
            f"{user}'s tflog service through the hub",
        )

    def stop_server(self, user: str) -> None:
        self._hub_json("DELETE", f"users/{user}/server", None, (202, 204, 400))
        self._wait(
            lambda: "" not in self.user_model(user)["servers"],
            self.start_timeout,
            f"{user}'s server to stop",
        )

    # Talking to users' servers ----------------------------------------------

    def user_api(self, user: str, as_user: str | None = None) -> UserSession:
        """A session for `user`'s server through the hub's public URL; relative
        URLs resolve against `/user/<user>/`. It sends the token of `as_user`
        (default: `user` itself)."""
        return UserSession(self.user_url(user), self.token(as_user or user))

    def login(self, user: str, password: str = PASSWORD) -> requests.Session:
        """A browser-like session: logged in to the hub with the shared
        password; it reaches the user's server through the hub's OAuth
        redirects and cookies, as JupyterLab in a browser does."""
        session = requests.Session()
        login_url = f"{self.url}/hub/login"
        page = session.get(login_url, timeout=30)
        page.raise_for_status()
        response = session.post(
            login_url,
            data={
                "username": user,
                "password": password,
                "_xsrf": session.cookies.get("_xsrf", path="/hub/") or "",
            },
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302:
            raise AssertionError(
                f"{user}: logging in answered {response.status_code}: {response.text[:500]}"
            )
        return session

    def tflog_api(
        self,
        user: str,
        path: str,
        method: str = "GET",
        as_user: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """`<method> /user/<user>/tflog/api/v1/<path>` as `as_user` (default
        `user`); redirects are not followed."""
        kwargs.setdefault("allow_redirects", False)
        session = self.user_api(user, as_user)
        with session:
            return session.request(method, f"tflog/api/v1/{path}", **kwargs)

    def tflog_json(self, user: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a `GET` that must answer 200."""
        response = self.tflog_api(user, path, **kwargs)
        if response.status_code != 200:
            raise AssertionError(
                f"{user}: GET tflog/api/v1/{path} answered {response.status_code}: {response.text}"
            )
        return response.json()

    def kernel(self, user: str) -> HubKernel:
        """The user's kernel for run_cell, started on first use (and shut
        down by stop())."""
        if user not in self._kernels:
            self._kernels[user] = HubKernel(self, user)
        return self._kernels[user]

    def run_cell(self, user: str, code: str, timeout: float = 120) -> dict:
        """Runs `code` in the user's kernel; {'status', 'stdout', 'stderr', 'error'}."""
        return self.kernel(user).execute(code, timeout=timeout)
