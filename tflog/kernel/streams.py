"""Capturing stdout and stderr exactly as the kernel emits them.

`StreamTee` replaces `sys.stdout` / `sys.stderr` during a run. Every write is
forwarded unchanged to the stream it wraps first, then handed to the capture
callback (an append to the spool queue). Everything else (flush, isatty,
fileno, encoding, ...) is delegated, so progress bars behave as before.

Output written at the file-descriptor level (TensorFlow's C++ logging,
subprocesses) never passes through `sys.stdout`. ipykernel (6+) redirects
fds 1 and 2 into a pipe and a watcher thread calls `OutStream.write` on the
stream object itself with what it reads. `FdWatchCapture` wraps `write` on
that object (an instance attribute, removed at the end) and keeps only the
calls made by the watcher thread, so Python-level writes are not counted
twice.
"""

import logging
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional

from tflog.kernel.diagnostics import INTERNAL_LOGGER_NAME, at
from tflog.kernel.logcapture import echo_of_captured_record

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)

Capture = Callable[[str, str], None]  # (stream name, text)


class StreamTee:
    """Forwards every write to `original`, then captures it."""

    def __init__(self, original: Any, name: str, capture: Capture) -> None:
        # Plain attributes (not delegated): real_stderr() and uninstall use them.
        self.tflog_original = original
        self.tflog_name = name
        self._capture: Optional[Capture] = capture

    def write(self, text: str) -> Any:
        result = self.tflog_original.write(text)
        capture = self._capture
        if capture is not None and text and not echo_of_captured_record():
            try:
                capture(self.tflog_name, text)
            except Exception:
                internal_logger.exception("capture failed", extra=at(self.tflog_name + " tee"))
        return result

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def detach_capture(self) -> None:
        """Keeps forwarding but stops capturing (when we cannot unwrap)."""
        self._capture = None

    @property
    def capturing(self) -> bool:
        return self._capture is not None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tflog_original, name)

    def __repr__(self) -> str:
        return f"<tflog tee of {self.tflog_original!r}>"


class FdWatchCapture:
    """Captures what ipykernel's fd watcher thread writes to an OutStream.

    IPython itself sets `write` on the stream object for the duration of each
    cell (to record outputs in its history) and puts the plain method back at
    the end, dropping anything stacked on top. So `install` is idempotent and
    called again before every cell while the run is active.
    """

    def __init__(self, stream: Any, name: str, capture: Capture) -> None:
        self._stream = stream
        self._name = name
        self._capture: Optional[Capture] = capture
        self._watcher = getattr(stream, "watch_fd_thread", None)
        self._installed: Any = None
        self._previous: Any = None

    @staticmethod
    def applies_to(stream: Any) -> bool:
        """True for an ipykernel OutStream whose fd watcher thread is running."""
        watcher = getattr(stream, "watch_fd_thread", None)
        return (
            isinstance(watcher, threading.Thread)
            and watcher.is_alive()
            and bool(getattr(stream, "_should_watch", False))
        )

    def install(self) -> None:
        if self._capture is None:
            return
        if self._installed is not None and vars(self._stream).get("write") is self._installed:
            return
        previous = self._stream.write
        capture_owner = self

        def write(text: str) -> Any:
            result = previous(text)
            capture = capture_owner._capture
            if capture is not None and threading.current_thread() is capture_owner._watcher:
                try:
                    capture(capture_owner._name, text)
                except Exception:
                    internal_logger.exception(
                        "capture failed", extra=at(capture_owner._name + " fd watcher")
                    )
            return result

        self._previous = previous
        self._installed = write
        self._stream.write = write

    def uninstall(self) -> None:
        self._capture = None
        if self._installed is not None and vars(self._stream).get("write") is self._installed:
            self._stream.write = self._previous
        self._installed = None
        self._previous = None


class StdStreamsCapture:
    """Installs and removes the tees (and fd captures) on sys.stdout/stderr."""

    def __init__(self, capture: Capture, sys_module: Any = None) -> None:
        import sys

        self._sys = sys_module or sys
        self._capture = capture
        self._tees: Dict[str, StreamTee] = {}
        self._fd_captures: List[FdWatchCapture] = []

    def install(self) -> None:
        for name in ("stdout", "stderr"):
            original = getattr(self._sys, name)
            if original is None:
                continue
            if FdWatchCapture.applies_to(original):
                fd_capture = FdWatchCapture(original, name, self._capture)
                fd_capture.install()
                self._fd_captures.append(fd_capture)
            tee = StreamTee(original, name, self._capture)
            setattr(self._sys, name, tee)
            self._tees[name] = tee

    def before_cell(self, *_info: Any) -> None:
        """IPython `pre_run_cell` hook: puts the fd captures back on top."""
        try:
            for fd_capture in self._fd_captures:
                fd_capture.install()
        except Exception:
            internal_logger.exception("reinstall failed", extra=at("fd watcher capture"))

    @property
    def watches_fds(self) -> bool:
        return bool(self._fd_captures)

    def uninstall(self) -> List[str]:
        """Restores the streams we still own; returns the names left wrapped."""
        left_wrapped = []
        for name, tee in self._tees.items():
            if getattr(self._sys, name) is tee:
                setattr(self._sys, name, tee.tflog_original)
            else:
                # Someone wrapped our tee after us: unwrapping would drop their
                # wrapper, so ours stays in the chain, forwarding only.
                tee.detach_capture()
                left_wrapped.append(name)
        self._tees = {}
        for fd_capture in self._fd_captures:
            fd_capture.uninstall()
        self._fd_captures = []
        return left_wrapped
