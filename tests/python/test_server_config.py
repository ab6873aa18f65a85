"""Configuration: traitlets config, TFLOG_* environment fallback, the
service's environment, and the checks that name what is wrong."""

import logging
import os
import stat
import sys

import pytest
from traitlets import TraitError, Unicode
from traitlets.config import Config, Configurable

from tflog.server import extension
from tflog.server.config import (
    TflogService,
    current_user,
    redact_credentials,
    redact_url,
    url_problem,
)
from tflog.server.extension import prepare_service
from tflog.server.node import SERVICE_NODE_OPTIONS
from tflog.server.paths import socket_host


class FakeServer(Configurable):
    """Stands in for the ServerApp: its config and directories."""

    data_dir = Unicode()
    runtime_dir = Unicode()


def settings(environ=None, config=None, tmp_path=None, **server_traits):
    if tmp_path is not None:
        server_traits.setdefault("data_dir", str(tmp_path / "data"))
        server_traits.setdefault("runtime_dir", str(tmp_path / "run"))
    parent = FakeServer(config=config or Config(), **server_traits)
    return TflogService(environ=environ or {}, parent=parent)


def test_defaults_come_from_the_servers_data_and_runtime_directories(tmp_path):
    service = settings(tmp_path=tmp_path)
    assert service.enabled is True
    assert service.spool_dir == str(tmp_path / "data" / "tflog" / "spool")
    assert service.state_dir == str(tmp_path / "data" / "tflog" / "state")
    assert service.store_dir == str(tmp_path / "data" / "tflog" / "store")
    assert service.socket_path == str(
        tmp_path / "run" / f"tflog-{socket_host()}-{os.getpid()}.sock"
    )
    assert service.elasticsearch_urls == []
    assert service.retention_days is None
    assert service.problems() == []


def test_environment_variables_are_the_fallback(tmp_path):
    service = settings(
        environ={
            "TFLOG_ES_URLS": "https://a.example:9200, https://b.example:9200,",
            "TFLOG_ES_API_KEY": "key-from-env",
            "TFLOG_ES_VERIFY_CERTS": "no",
            "TFLOG_RETENTION_DAYS": "30",
            "TFLOG_SPOOL_DIR": "/srv/spool",
            "TFLOG_ENABLED": "false",
            "TFLOG_LOG_LEVEL": "DEBUG",
        },
        tmp_path=tmp_path,
    )
    assert service.elasticsearch_urls == ["https://a.example:9200", "https://b.example:9200"]
    assert service.elasticsearch_api_key == "key-from-env"
    assert service.elasticsearch_verify_certs is False
    assert service.retention_days == 30
    assert service.spool_dir == "/srv/spool"
    assert service.enabled is False
    assert service.log_level == "debug"


def test_config_wins_over_the_environment(tmp_path):
    config = Config()
    config.TflogService.elasticsearch_urls = ["https://configured.example:9200"]
    config.TflogService.spool_dir = "/configured/spool"
    config.TflogService.retention_days = 7
    service = settings(
        environ={
            "TFLOG_ES_URLS": "https://env.example:9200",
            "TFLOG_SPOOL_DIR": "/env/spool",
            "TFLOG_RETENTION_DAYS": "30",
        },
        config=config,
        tmp_path=tmp_path,
    )
    assert service.elasticsearch_urls == ["https://configured.example:9200"]
    assert service.spool_dir == "/configured/spool"
    assert service.retention_days == 7


def test_service_environment_carries_the_settings_and_the_identity(tmp_path):
    config = Config()
    config.TflogService.elasticsearch_urls = ["https://a.example:9200", "https://b.example:9200"]
    config.TflogService.elasticsearch_username = "shipper"
    config.TflogService.elasticsearch_password = "pa ss "
    config.TflogService.index_prefix = "team-"
    service = settings(
        environ={
            "PATH": "/usr/bin",
            "JUPYTERHUB_USER": "alice",
            "JUPYTERHUB_API_TOKEN": "hub-token",
            "JUPYTER_TOKEN": "server-token",
            "TFLOG_USER": "mallory",
            "TFLOG_PORT": "8080",
            "TFLOG_ES_PASSWORD": "password-from-env",
            "TFLOG_BATCH_MAX_DOCS": "500",
        },
        config=config,
        tmp_path=tmp_path,
    )
    environment = service.service_environment()
    assert environment["TFLOG_ES_URLS"] == "https://a.example:9200,https://b.example:9200"
    assert environment["TFLOG_ES_USERNAME"] == "shipper"
    assert environment["TFLOG_ES_PASSWORD"] == "pa ss "
    assert environment["TFLOG_INDEX_PREFIX"] == "team-"
    assert environment["TFLOG_ES_VERIFY_CERTS"] == "true"
    assert environment["TFLOG_SPOOL_DIR"] == service.spool_dir
    assert environment["TFLOG_SOCKET"] == service.socket_path
    # Identity is derived here, never inherited.
    assert environment["TFLOG_USER"] == "alice"
    assert environment["TFLOG_EXIT_ON_STDIN_EOF"] == "1"
    # The server's own credentials and a competing listen address stay behind.
    for withheld in ("JUPYTERHUB_API_TOKEN", "JUPYTER_TOKEN", "TFLOG_PORT"):
        assert withheld not in environment
    assert "TFLOG_ES_API_KEY" not in environment
    # Everything else passes through (PATH, the service's tuning variables).
    assert environment["PATH"] == "/usr/bin"
    assert environment["TFLOG_BATCH_MAX_DOCS"] == "500"
    # Unset settings are not sent as empty strings.
    assert "TFLOG_RETENTION_DAYS" not in environment
    assert "TFLOG_PATTERNS_FILE" not in environment


def test_each_setting_falls_back_on_its_own(tmp_path):
    config = Config()
    config.TflogService.elasticsearch_username = "shipper"
    config.TflogService.elasticsearch_password = "secret"
    service = settings(
        environ={"TFLOG_ES_API_KEY": "key-from-env"}, config=config, tmp_path=tmp_path
    )
    assert service.elasticsearch_api_key == "key-from-env"
    assert len(service.problems()) == 1
    assert "not both" in service.problems()[0]


def test_without_a_hub_the_identity_is_the_operating_system_user():
    import pwd

    assert current_user({}) == pwd.getpwuid(os.getuid()).pw_name
    assert current_user({"JUPYTERHUB_USER": "  "}) == pwd.getpwuid(os.getuid()).pw_name


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("localhost:9200", "'localhost:9200' is not an http(s) URL"),
        ("ftp://es.example:21", "'ftp://es.example:21' is not an http(s) URL"),
        ("https://", "'https://' has no host name"),
        ("http://es.example:notaport", "is not a URL"),
        ("https://es.example:0", "has port 0"),
    ],
)
def test_url_problems_say_what_is_wrong(url, expected):
    problem = url_problem(url)
    assert problem is not None
    assert expected in problem


def test_good_urls_have_no_problem():
    for url in ("http://127.0.0.1:9200", "https://es.example.org", "https://[::1]:9200/prefix"):
        assert url_problem(url) is None


def test_url_messages_never_show_a_password(tmp_path):
    service = settings(environ={"TFLOG_ES_URLS": "ftp://bob:hunter2@es.example"}, tmp_path=tmp_path)
    problems = service.problems()
    assert problems == [
        "TflogService.elasticsearch_urls (TFLOG_ES_URLS): 'ftp://es.example' is not an "
        "http(s) URL (expected e.g. https://es.example.org:9200)"
    ]
    assert redact_url("https://bob:hunter2@es.example:9200/x") == "https://es.example:9200/x"


PASSWORD = "p@s/s:w#o?rd%"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://elastic:pa/ss@es.example:9200", "https://es.example:9200"),
        ("https://elastic:9200/x@es.example:9200/", "https://es.example:9200/"),
        ("https://elastic:p@ss@es.example:9200", "https://es.example:9200"),
        ("https://elastic:pa#ss@es.example:9200", "https://es.example:9200"),
        ("https://elastic:pa?ss@es.example:9200", "https://es.example:9200"),
        ("https://elastic:pa:ss@es.example:9200", "https://es.example:9200"),
        ("https://el/as@tic:a/b@c#d?e:f@es.example/prefix", "https://es.example/prefix"),
        ("//elastic:pa/ss@es.example", "//es.example"),
        ("bob:pa/ss@es.example:9200", "es.example:9200"),
    ],
)
def test_redaction_leaves_no_part_of_a_password(url, expected):
    redacted = redact_url(url)
    assert redacted == expected
    for piece in ("pa", "ss", "elastic", "tic", "bob"):
        assert piece not in redacted


def test_urls_with_any_password_are_accepted_and_never_shown(tmp_path):
    urls = f"https://elastic:{PASSWORD}@es1.example:9200, https://elastic:{PASSWORD}@es2.example"
    service = settings(environ={"TFLOG_ES_URLS": urls}, tmp_path=tmp_path)
    assert service.problems() == []
    assert url_problem(f"https://elastic:{PASSWORD}@es.example:9200") is None
    problem = url_problem(f"ftp://elastic:{PASSWORD}@es.example")
    assert problem is not None and "'ftp://es.example' is not an http(s) URL" in problem
    assert "p@s" not in problem and "w#o" not in problem
    # The service gets the URLs as they were written: it takes the login out itself.
    environment = service.service_environment(base={})
    assert environment["TFLOG_ES_URLS"] == (
        f"https://elastic:{PASSWORD}@es1.example:9200,https://elastic:{PASSWORD}@es2.example"
    )


def test_configuration_problems_in_the_jupyter_log_show_no_password(tmp_path, caplog):
    service = settings(
        environ={"TFLOG_ES_URLS": f"https://elastic:{PASSWORD}@es.example:0"},
        tmp_path=tmp_path,
    )
    with caplog.at_level(logging.ERROR):
        for problem in service.problems():
            logging.getLogger("jupyter").error("[tflog] configuration: %s", problem)
    assert "'https://es.example:0' has port 0" in caplog.text
    assert "p@s" not in caplog.text and "w#o" not in caplog.text and "elastic:" not in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'TFLOG_ES_URLS: "https://elastic:pa/ss@es.example:9200" is not a URL',
            'TFLOG_ES_URLS: "https://es.example:9200" is not a URL',
        ),
        ("at https://u:p@ss@es:9200, retrying", "at https://es:9200, retrying"),
        ("https://u:pa#ss@es https://u:pa?ss@es2/x", "https://es https://es2/x"),
        ("mail me at a@b.c", "mail me at a@b.c"),
    ],
)
def test_credentials_are_removed_from_any_text(text, expected):
    assert redact_credentials(text) == expected


def test_problems_name_the_setting_and_its_variable(tmp_path):
    config = Config()
    config.TflogService.elasticsearch_api_key = "key"
    config.TflogService.elasticsearch_username = "bob"
    config.TflogService.state_dir = "relative/state"
    config.TflogService.log_level = "loud"
    service = settings(
        environ={"TFLOG_ES_VERIFY_CERTS": "maybe", "TFLOG_RETENTION_DAYS": "ten"},
        config=config,
        tmp_path=tmp_path,
    )
    problems = service.problems()
    assert "TFLOG_ES_VERIFY_CERTS: 'maybe' is not a boolean (use true or false)" in problems
    assert "TFLOG_RETENTION_DAYS: 'ten' is not a whole number of days" in problems
    assert (
        "set either TflogService.elasticsearch_api_key (TFLOG_ES_API_KEY) or "
        "TflogService.elasticsearch_username (TFLOG_ES_USERNAME) and "
        "TflogService.elasticsearch_password (TFLOG_ES_PASSWORD), not both"
    ) in problems
    assert (
        "TflogService.state_dir (TFLOG_STATE_DIR): 'relative/state' must be an absolute path"
        in (problems)
    )
    assert (
        "TflogService.log_level (TFLOG_LOG_LEVEL): 'loud' is not one of debug, info, warn, error"
        in problems
    )
    assert len(problems) == 5


def test_username_without_password_is_a_problem(tmp_path):
    service = settings(environ={"TFLOG_ES_USERNAME": "bob"}, tmp_path=tmp_path)
    assert service.problems() == [
        "TflogService.elasticsearch_username (TFLOG_ES_USERNAME) and "
        "TflogService.elasticsearch_password (TFLOG_ES_PASSWORD) go together: "
        "set both or neither"
    ]


def test_a_too_long_configured_socket_path_is_a_problem(tmp_path):
    config = Config()
    config.TflogService.socket_path = "/" + "s" * 120 + ".sock"
    problems = settings(config=config, tmp_path=tmp_path).problems()
    assert len(problems) == 1
    assert "longer than a unix socket path may be (103 bytes)" in problems[0]


@pytest.fixture
def fake_bundle(tmp_path, monkeypatch):
    bundle = tmp_path / "tflog-service.js"
    bundle.write_text("// stand-in bundle\n")
    monkeypatch.setattr(extension, "SERVICE_BUNDLE", str(bundle))
    return str(bundle)


@pytest.fixture
def server_environment(monkeypatch):
    """prepare_service exports TFLOG_SPOOL_DIR and TFLOG_API_SOCKET (and drops
    TFLOG_API_URL): keep them out of other tests."""
    for variable in ("TFLOG_SPOOL_DIR", "TFLOG_API_SOCKET", "TFLOG_API_URL"):
        monkeypatch.delenv(variable, raising=False)


def test_credentials_reach_the_service_by_environment_never_by_argv(
    tmp_path, fake_bundle, server_environment
):
    config = Config()
    config.TflogService.node_executable = sys.executable
    config.TflogService.elasticsearch_urls = ["https://es.example:9200"]
    config.TflogService.elasticsearch_api_key = "api-key-secret"
    service = settings(config=config, tmp_path=tmp_path)
    supervisor = prepare_service(service, logging.getLogger("test"))
    assert supervisor is not None
    assert supervisor.argv == [sys.executable, *SERVICE_NODE_OPTIONS, fake_bundle]
    assert not any("api-key-secret" in argument for argument in supervisor.argv)
    assert supervisor.environment["TFLOG_ES_API_KEY"] == "api-key-secret"


def test_prepare_exports_the_spool_directory_for_kernels(tmp_path, fake_bundle, server_environment):
    config = Config()
    config.TflogService.node_executable = sys.executable
    service = settings(config=config, tmp_path=tmp_path)
    assert prepare_service(service, logging.getLogger("test")) is not None
    assert os.environ["TFLOG_SPOOL_DIR"] == service.spool_dir
    assert stat.S_IMODE(os.stat(service.spool_dir).st_mode) == 0o700


def test_prepare_exports_the_api_socket_for_kernels(
    tmp_path, fake_bundle, server_environment, monkeypatch
):
    from tflog.kernel.service_client import ServiceClient

    # A URL in the server's own environment names some other service.
    monkeypatch.setenv("TFLOG_API_URL", "http://127.0.0.1:9/")
    config = Config()
    config.TflogService.node_executable = sys.executable
    service = settings(config=config, tmp_path=tmp_path)
    assert prepare_service(service, logging.getLogger("test")) is not None
    assert os.environ["TFLOG_API_SOCKET"] == service.socket_path
    assert "TFLOG_API_URL" not in os.environ
    # What a kernel started by this server then talks to.
    client = ServiceClient.from_environment(dict(os.environ))
    assert client.socket_path == service.socket_path


def test_a_disabled_service_is_neither_started_nor_exported(
    tmp_path, fake_bundle, server_environment, caplog
):
    service = settings(environ={"TFLOG_ENABLED": "0"}, tmp_path=tmp_path)
    with caplog.at_level(logging.INFO):
        assert prepare_service(service, logging.getLogger("test")) is None
    assert "TFLOG_SPOOL_DIR" not in os.environ
    assert "TFLOG_API_SOCKET" not in os.environ
    assert "service disabled" in caplog.text


@pytest.mark.parametrize("socket_path", ["run/tflog.sock", "/" + "s" * 120 + ".sock"])
def test_a_socket_the_service_could_not_listen_on_starts_nothing(
    tmp_path, fake_bundle, server_environment, caplog, socket_path
):
    config = Config()
    config.TflogService.node_executable = sys.executable
    config.TflogService.socket_path = socket_path
    service = settings(config=config, tmp_path=tmp_path)
    with caplog.at_level(logging.ERROR):
        assert prepare_service(service, logging.getLogger("test")) is None
    assert "could not listen on its socket" in caplog.text
    assert "socket_path" in caplog.text
    # Kernels still spool, for a server set up right to ship.
    assert os.environ["TFLOG_SPOOL_DIR"] == service.spool_dir


@pytest.mark.parametrize("trait", ["elasticsearch_password", "elasticsearch_api_key"])
def test_a_secret_of_the_wrong_type_is_refused_without_showing_it(tmp_path, trait):
    config = Config()
    setattr(config.TflogService, trait, 20240611)
    with pytest.raises(TraitError) as refused:
        settings(config=config, tmp_path=tmp_path)
    assert trait in str(refused.value) and "not int" in str(refused.value)
    assert "20240611" not in str(refused.value)


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf"), 301])
def test_a_stop_timeout_that_would_kill_at_once_or_hang_is_refused(tmp_path, seconds):
    config = Config()
    config.TflogService.stop_timeout = seconds
    with pytest.raises(TraitError, match="stop_timeout: .* must be a number of seconds above 0"):
        settings(config=config, tmp_path=tmp_path)
    config.TflogService.stop_timeout = 6
    assert settings(config=config, tmp_path=tmp_path).stop_timeout == 6.0


def test_a_missing_bundle_is_reported(tmp_path, monkeypatch, server_environment, caplog):
    missing = str(tmp_path / "not-built.js")
    monkeypatch.setattr(extension, "SERVICE_BUNDLE", missing)
    config = Config()
    config.TflogService.node_executable = sys.executable
    with caplog.at_level(logging.ERROR):
        assert (
            prepare_service(settings(config=config, tmp_path=tmp_path), logging.getLogger()) is None
        )
    assert missing in caplog.text
    assert "npm run build:service" in caplog.text


def test_a_missing_node_is_reported(tmp_path, fake_bundle, server_environment, caplog):
    config = Config()
    config.TflogService.node_executable = str(tmp_path / "no-node")
    with caplog.at_level(logging.ERROR):
        assert (
            prepare_service(settings(config=config, tmp_path=tmp_path), logging.getLogger()) is None
        )
    assert "TflogService.node_executable" in caplog.text


def test_configuration_problems_are_logged_and_the_service_still_starts(
    tmp_path, fake_bundle, server_environment, caplog
):
    config = Config()
    config.TflogService.node_executable = sys.executable
    config.TflogService.elasticsearch_urls = ["localhost:9200"]
    with caplog.at_level(logging.ERROR):
        supervisor = prepare_service(
            settings(config=config, tmp_path=tmp_path), logging.getLogger()
        )
    # The service reports the same problem in its status, where the panel shows it.
    assert supervisor is not None
    assert "[tflog] configuration: TflogService.elasticsearch_urls" in caplog.text


def test_on_a_hub_the_service_gets_the_hub_url_and_the_servers_own_token(tmp_path):
    service = settings(
        environ={
            "JUPYTERHUB_USER": "alice",
            "JUPYTERHUB_API_TOKEN": "alices-server-token",
            "TFLOG_HUB_URL": "http://127.0.0.1:19500/services/tflog/",
            "TFLOG_HUB_TOKEN": "forged",
        },
        tmp_path=tmp_path,
    )
    environment = service.service_environment()
    assert environment["TFLOG_HUB_URL"] == "http://127.0.0.1:19500/services/tflog/"
    # The token is the server's own, never one inherited under the service's name.
    assert environment["TFLOG_HUB_TOKEN"] == "alices-server-token"
    assert "JUPYTERHUB_API_TOKEN" not in environment


def test_without_a_hub_url_no_token_reaches_the_service(tmp_path):
    service = settings(
        environ={"JUPYTERHUB_API_TOKEN": "alices-server-token", "TFLOG_HUB_TOKEN": "stray"},
        tmp_path=tmp_path,
    )
    environment = service.service_environment()
    assert "TFLOG_HUB_TOKEN" not in environment
    assert "JUPYTERHUB_API_TOKEN" not in environment


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, list(SERVICE_NODE_OPTIONS)),
        (
            {"TFLOG_NODE_OPTIONS": "--max-old-space-size=512  --trace-gc"},
            ["--max-old-space-size=512", "--trace-gc"],
        ),
        ({"TFLOG_NODE_OPTIONS": ""}, []),
    ],
)
def test_node_options_come_before_the_bundle(
    tmp_path, fake_bundle, server_environment, environ, expected
):
    config = Config()
    config.TflogService.node_executable = sys.executable
    service = settings(environ=environ, config=config, tmp_path=tmp_path)
    supervisor = prepare_service(service, logging.getLogger("test"))
    assert supervisor is not None
    assert supervisor.argv == [sys.executable, *expected, fake_bundle]


def test_configured_node_options_win_over_the_environment(
    tmp_path, fake_bundle, server_environment
):
    config = Config()
    config.TflogService.node_executable = sys.executable
    config.TflogService.node_options = ["--max-semi-space-size=8"]
    service = settings(
        environ={"TFLOG_NODE_OPTIONS": "--trace-gc"}, config=config, tmp_path=tmp_path
    )
    supervisor = prepare_service(service, logging.getLogger("test"))
    assert supervisor is not None
    assert supervisor.argv == [sys.executable, "--max-semi-space-size=8", fake_bundle]
