"""GET requests from the kernel to the user's tflog service (standard library only).

The Jupyter server extension starts the service on a unix socket and exports
its path to the kernels it starts as `TFLOG_API_SOCKET`. A service listening
on a loopback port (development, tests) is named by `TFLOG_API_URL`
(`http://127.0.0.1:PORT`), which wins when both are set. Every failure
becomes one `tflog.ServiceError` whose text says what went wrong: the service
is not reachable, or the API's own error message.
"""

import http.client
import json
import os
import socket
from typing import Any, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlencode, urlsplit

from tflog import ServiceError

SOCKET_ENV = "TFLOG_API_SOCKET"
URL_ENV = "TFLOG_API_URL"
API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = 30.0
MAX_ERROR_TEXT = 200


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket: `connect()` opens the socket at `socket_path`."""

    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class ServiceClient:
    """The service at a unix socket path or at an http(s) URL."""

    def __init__(
        self,
        socket_path: Optional[str] = None,
        url: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if (socket_path is None) == (url is None):
            raise ValueError("give either socket_path or url")
        self.socket_path = socket_path
        self.timeout = timeout
        self._scheme = "http"
        self._netloc = ""
        self._base_path = ""
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ServiceError(
                    f"{URL_ENV}: {url!r} is not an http:// or https:// address of the tflog service"
                )
            self._scheme = parts.scheme
            self._netloc = parts.netloc
            base = parts.path.rstrip("/")
            if base.endswith(API_PREFIX):
                base = base[: -len(API_PREFIX)]
            self._base_path = base
        self.where = socket_path if socket_path is not None else url

    @classmethod
    def from_environment(
        cls, env: Optional[Mapping[str, str]] = None, timeout: float = DEFAULT_TIMEOUT
    ) -> "ServiceClient":
        env = os.environ if env is None else env
        url = (env.get(URL_ENV) or "").strip()
        if url:
            return cls(url=url, timeout=timeout)
        socket_path = (env.get(SOCKET_ENV) or "").strip()
        if socket_path:
            return cls(socket_path=socket_path, timeout=timeout)
        raise ServiceError(
            f"the tflog service is not reachable: neither {SOCKET_ENV} nor {URL_ENV} is set "
            "(a kernel started by a Jupyter server with tflog's server extension gets "
            f"{SOCKET_ENV}; for a service on a port, set {URL_ENV}=http://127.0.0.1:PORT)"
        )

    def _connection(self) -> http.client.HTTPConnection:
        if self.socket_path is not None:
            return UnixHTTPConnection(self.socket_path, self.timeout)
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._netloc, timeout=self.timeout)
        return http.client.HTTPConnection(self._netloc, timeout=self.timeout)

    def get_json(self, path: str, params: Sequence[Tuple[str, str]] = ()) -> Any:
        """GET `/api/v1` + `path` with the query `params`; the decoded JSON body."""
        target = self._base_path + API_PREFIX + path
        if params:
            target += "?" + urlencode(list(params))
        connection = self._connection()
        try:
            connection.request("GET", target, headers={"Accept": "application/json"})
            response = connection.getresponse()
            status = response.status
            body = response.read()
        except socket.timeout:
            raise ServiceError(
                f"the tflog service at {self.where} did not answer within {self.timeout:g} s"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            reason = reason or type(error).__name__
            raise ServiceError(
                f"the tflog service is not reachable at {self.where}: {reason}"
            ) from None
        finally:
            connection.close()
        if status >= 400:
            raise ServiceError(
                f"the tflog service refused GET {path}: {error_text(status, body)}", status
            )
        try:
            return json.loads(body.decode("utf-8"))
        except ValueError:
            raise ServiceError(
                f"the tflog service answered GET {path} with something that is not JSON: "
                f"{snippet(body)!r}"
            ) from None


def error_text(status: int, body: bytes) -> str:
    """The API's error message (docs/api.md "Errors"), else the body's start."""
    try:
        error = json.loads(body.decode("utf-8"))["error"]
        message = str(error["message"])
    except (ValueError, KeyError, TypeError):
        return f"{status} {snippet(body)!r}"
    reason = error.get("reason") if isinstance(error, dict) else None
    return f"{status}{' ' + str(reason) if reason else ''}: {message}"


def snippet(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:MAX_ERROR_TEXT] + ("…" if len(text) > MAX_ERROR_TEXT else "")
