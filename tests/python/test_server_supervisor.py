"""The supervisor with a real child process (tests/python/stand_in_service.py)."""

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Callable, List

import pytest

from tflog.server.supervisor import Backoff, ServiceSupervisor

STAND_IN = str(Path(__file__).with_name("stand_in_service.py"))
WAIT_SECONDS = 20.0


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, level: int) -> List[str]:
        return [record.getMessage() for record in self.records if record.levelno == level]

    def text(self) -> str:
        return "\n".join(record.getMessage() for record in self.records)


@pytest.fixture
def log_handler():
    handler = RecordingHandler()
    logger = logging.getLogger("tflog-supervisor-test")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def make_supervisor(argv: List[str], backoff: Backoff, stop_timeout: float = 5.0):
    return ServiceSupervisor(
        [sys.executable, STAND_IN, *argv],
        dict(os.environ),
        logging.getLogger("tflog-supervisor-test"),
        stop_timeout=stop_timeout,
        backoff=backoff,
    )


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        await asyncio.sleep(0.02)


def recorded(path: Path) -> List[str]:
    return path.read_text().split() if path.exists() else []


def test_backoff_doubles_up_to_the_maximum_and_resets_after_a_stable_run():
    backoff = Backoff(initial=1.0, maximum=60.0, stable_after=60.0)
    delays = [backoff.delay_after(run_seconds=0.5) for _ in range(8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff.delay_after(run_seconds=61.0) == 1.0
    assert backoff.delay_after(run_seconds=3.0) == 2.0


def test_restarts_a_child_that_exits_and_logs_why(log_handler):
    async def scenario() -> ServiceSupervisor:
        supervisor = make_supervisor(["exit", "3"], Backoff(initial=0.01, maximum=0.05))
        supervisor.start()
        await wait_until(lambda: supervisor.starts >= 3, "three starts")
        await supervisor.stop()
        return supervisor

    supervisor = asyncio.run(scenario())
    errors = log_handler.lines(logging.ERROR)
    assert any("exited with code 3" in line for line in errors), errors
    assert any("restarting the service in" in line for line in log_handler.lines(logging.WARNING))
    assert supervisor.pid is None


def test_a_service_that_cannot_open_its_api_is_retried_slowly(log_handler):
    """Exit status 2: its socket is unusable (another server's, a bad path);
    restarting it every few seconds would change nothing."""

    async def scenario() -> int:
        supervisor = make_supervisor(["exit", "2"], Backoff(initial=0.01, maximum=30.0))
        supervisor.start()
        await wait_until(lambda: supervisor.starts >= 1, "one start")
        await wait_until(
            lambda: any(
                "could not open its API" in line for line in log_handler.lines(logging.WARNING)
            ),
            "the retry's warning",
        )
        await asyncio.sleep(0.3)
        starts = supervisor.starts
        await supervisor.stop()
        return starts

    starts = asyncio.run(scenario())
    assert starts == 1  # not again after 0.01 s
    warnings = log_handler.lines(logging.WARNING)
    assert any("trying again in 30 s" in line for line in warnings), warnings


def test_forwards_output_lines_with_the_service_log_level(log_handler):
    async def scenario() -> None:
        supervisor = make_supervisor(["exit", "0"], Backoff(initial=30.0))
        supervisor.start()
        await wait_until(lambda: "exited with code 0" in log_handler.text(), "the exit")
        await supervisor.stop()

    asyncio.run(scenario())
    # `<time> WARN component: message` keeps its level, without the timestamp.
    assert "[tflog] tailer: spool is slow" in log_handler.lines(logging.WARNING)
    # Unknown stderr lines (a crash trace) are warnings; stdout is info.
    assert "[tflog] a line in no known format" in log_handler.lines(logging.WARNING)
    assert "[tflog] hello from stdout" in log_handler.lines(logging.INFO)
    # A URL with credentials in the service's output reaches the server log without them.
    assert (
        '[tflog] store: TFLOG_ES_URLS: "https://es.example:9200" is not usable'
        in log_handler.lines(logging.WARNING)
    )
    assert "se/cr" not in log_handler.text() and "cr@et" not in log_handler.text()


def test_stop_terminates_the_child_with_sigterm_and_does_not_restart_it(tmp_path, log_handler):
    record_file = tmp_path / "record"

    async def scenario() -> ServiceSupervisor:
        supervisor = make_supervisor(["serve", str(record_file)], Backoff(initial=0.01))
        supervisor.start()
        await wait_until(lambda: "running" in recorded(record_file), "the child to run")
        await supervisor.stop()
        return supervisor

    supervisor = asyncio.run(scenario())
    assert recorded(record_file) == ["running", "sigterm"]
    assert supervisor.starts == 1
    assert supervisor.pid is None
    assert any("exited with code 0" in line for line in log_handler.lines(logging.INFO))
    assert log_handler.lines(logging.ERROR) == []


def test_stop_kills_a_child_that_ignores_sigterm(tmp_path, log_handler):
    record_file = tmp_path / "record"

    async def scenario() -> None:
        supervisor = make_supervisor(
            ["ignore-sigterm", str(record_file)], Backoff(initial=0.01), stop_timeout=0.3
        )
        supervisor.start()
        await wait_until(lambda: "running" in recorded(record_file), "the child to run")
        await supervisor.stop()

    asyncio.run(scenario())
    text = log_handler.text()
    assert "did not exit" in text
    assert "was killed by SIGKILL" in text


def test_a_child_that_cannot_be_started_is_reported_and_retried(tmp_path, log_handler):
    missing = str(tmp_path / "no-such-node")

    async def scenario() -> ServiceSupervisor:
        supervisor = ServiceSupervisor(
            [missing, "service.js"],
            {},
            logging.getLogger("tflog-supervisor-test"),
            backoff=Backoff(initial=0.01, maximum=0.02),
        )
        supervisor.start()
        await wait_until(lambda: len(log_handler.lines(logging.ERROR)) >= 2, "two failed attempts")
        await supervisor.stop()
        return supervisor

    supervisor = asyncio.run(scenario())
    assert supervisor.starts == 0
    assert "cannot start the service" in log_handler.lines(logging.ERROR)[0]
    assert missing in log_handler.lines(logging.ERROR)[0]
