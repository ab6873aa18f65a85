"""Keeps one child process running on the Jupyter server's asyncio loop:
restarts it with exponential backoff when it exits, forwards its output lines
into the server log, and stops it with SIGTERM, then SIGKILL."""

import asyncio
import atexit
import contextlib
import logging
import os
import re
import signal
from typing import Mapping, Optional, Sequence

from .config import redact_credentials

LOG_PREFIX = "[tflog]"

# The service writes `<ISO time> <LEVEL> <component>: <message>` lines; the
# server log has its own timestamps, so only the level and the rest are kept.
SERVICE_LINE = re.compile(r"^\S+ (DEBUG|INFO|WARN|ERROR) (.*)$")
SERVICE_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
}
# Longer lines are logged in pieces: a runaway line must not grow memory.
MAX_LINE_BYTES = 64 * 1024


# The service's exit status when its API cannot start (service/src/main.ts):
# its socket is unusable, which restarting at once will not change.
EXIT_CANNOT_LISTEN = 2


class Backoff:
    """Restart delays 1 s, 2 s, 4 s ... up to 60 s; back to the start once the
    child has run `stable_after` seconds, so a crash a day restarts at once."""

    def __init__(self, initial: float = 1.0, maximum: float = 60.0, stable_after: float = 60.0):
        self.initial = initial
        self.maximum = maximum
        self.stable_after = stable_after
        self._next = initial

    def delay_after(self, run_seconds: float) -> float:
        """The wait before the next start, given how long the last run lasted."""
        if run_seconds >= self.stable_after:
            self._next = self.initial
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay


class ServiceSupervisor:
    """Runs `argv` with `environment` until `stop()`. Call `start()` on the loop."""

    def __init__(
        self,
        argv: Sequence[str],
        environment: Mapping[str, str],
        log: logging.Logger,
        stop_timeout: float = 10.0,
        backoff: Optional[Backoff] = None,
    ) -> None:
        self.argv = list(argv)
        self.environment = dict(environment)
        self.log = log
        self.stop_timeout = stop_timeout
        self.backoff = backoff or Backoff()
        self.starts = 0
        self._process: Optional[asyncio.subprocess.Process] = None
        self._stopping: Optional[asyncio.Event] = None
        self._task: Optional[asyncio.Future] = None

    @property
    def pid(self) -> Optional[int]:
        process = self._process
        if process is None or process.returncode is not None:
            return None
        return process.pid

    def start(self) -> None:
        """Begins supervising; returns at once. Must run on the event loop."""
        if self._task is not None:
            return
        self._stopping = asyncio.Event()
        self._task = asyncio.ensure_future(self._supervise())
        # Last resort when the server exits without its shutdown hooks.
        atexit.register(self._terminate_at_exit)

    async def stop(self) -> None:
        """Stops the child (SIGTERM, SIGKILL after stop_timeout) and the restarts."""
        if self._task is None or self._stopping is None:
            return
        self._stopping.set()
        await self._task
        atexit.unregister(self._terminate_at_exit)

    async def _supervise(self) -> None:
        assert self._stopping is not None
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            started = loop.time()
            code: Optional[int] = None
            try:
                code = await self._run_once()
            except (OSError, ValueError) as error:
                # A missing or non-executable node, or an unusable environment.
                self.log.error("%s cannot start the service (%s): %s", LOG_PREFIX, self.argv, error)
            if self._stopping.is_set():
                break
            delay = self.backoff.delay_after(loop.time() - started)
            if code == EXIT_CANNOT_LISTEN:
                # Its last lines say why; only a change outside (another
                # server freeing the socket) can help: no fast retries.
                delay = self.backoff.maximum
                self.log.warning(
                    "%s the service could not open its API (its socket; see above): "
                    "trying again in %.0f s",
                    LOG_PREFIX,
                    delay,
                )
            else:
                self.log.warning("%s restarting the service in %.0f s", LOG_PREFIX, delay)
            stop_requested = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({stop_requested}, timeout=delay)
            stop_requested.cancel()

    async def _run_once(self) -> int:
        """Runs the child once; its exit status."""
        assert self._stopping is not None
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            env=self.environment,
            # Kept open and never written: the child sees EOF on stdin when the
            # server dies without stopping it, and can exit instead of lingering.
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Own process group: Ctrl+C in the server's terminal must not kill
            # the service behind the server's back; the server stops it.
            start_new_session=True,
        )
        self._process = process
        self.starts += 1
        self.log.info("%s service started (pid %d)", LOG_PREFIX, process.pid)
        assert process.stdout is not None and process.stderr is not None
        forwarders = [
            asyncio.ensure_future(self._forward_lines(process.stdout, logging.INFO)),
            asyncio.ensure_future(self._forward_lines(process.stderr, logging.WARNING)),
        ]
        exited = asyncio.ensure_future(process.wait())
        stop_requested = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({exited, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
        stop_requested.cancel()
        if not exited.done():
            await self._terminate(process, exited)
        # The last lines explain the exit: read them before reporting it.
        await asyncio.wait(forwarders, timeout=2.0)
        for forwarder in forwarders:
            forwarder.cancel()
        if process.stdin is not None:
            process.stdin.close()
        code = exited.result()
        self._report_exit(process, code)
        return code

    async def _terminate(self, process: asyncio.subprocess.Process, exited: asyncio.Future) -> None:
        # ProcessLookupError: it exited between the check and the signal.
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        finished, _ = await asyncio.wait({exited}, timeout=self.stop_timeout)
        if not finished:
            self.log.warning(
                "%s service (pid %d) did not exit %.0f s after SIGTERM; killing it",
                LOG_PREFIX,
                process.pid,
                self.stop_timeout,
            )
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await exited

    def _report_exit(self, process: asyncio.subprocess.Process, code: int) -> None:
        assert self._stopping is not None
        how = f"was killed by {_signal_name(-code)}" if code < 0 else f"exited with code {code}"
        level = logging.INFO if self._stopping.is_set() else logging.ERROR
        self.log.log(level, "%s service (pid %d) %s", LOG_PREFIX, process.pid, how)

    async def _forward_lines(self, stream: asyncio.StreamReader, default_level: int) -> None:
        pending = b""
        while True:
            chunk = await stream.read(MAX_LINE_BYTES)
            if not chunk:
                break
            pending += chunk
            lines = pending.split(b"\n")
            pending = lines.pop()
            if len(pending) >= MAX_LINE_BYTES:
                lines.append(pending)
                pending = b""
            for line in lines:
                self._log_line(line, default_level)
        if pending:
            self._log_line(pending, default_level)

    def _log_line(self, raw: bytes, default_level: int) -> None:
        # The service never prints credentials; should a URL with some slip
        # into its output, the server log still does not get them.
        line = redact_credentials(raw.decode("utf-8", errors="replace").rstrip("\r"))
        if not line.strip():
            return
        match = SERVICE_LINE.match(line)
        if match:
            self.log.log(SERVICE_LEVELS[match.group(1)], "%s %s", LOG_PREFIX, match.group(2))
        else:
            self.log.log(default_level, "%s %s", LOG_PREFIX, line)

    def _terminate_at_exit(self) -> None:
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(pid, signal.SIGTERM)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
