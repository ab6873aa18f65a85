"""Assembling raw stream writes into segments.

A segment ends with '\\n' or '\\r' ('\\r\\n' counts as one terminator when it
arrives in one write). A segment that ends with '\\r' is one state of a
progress bar. Text is kept raw: backspaces and ANSI codes stay where they were
written, so Keras 2's `'\\b' * width + '\\r'` closes the previous bar state.
"""

import re
from typing import List, Optional, Tuple

_TERMINATOR = re.compile(r"\r\n|\r|\n")

Segment = Tuple[str, float]  # (text, time of its first write)


class StreamAssembler:
    """Per-stream buffer; not thread-safe (used by the writer thread only)."""

    def __init__(self) -> None:
        self._pending: List[str] = []
        self._first_write: Optional[float] = None
        self._last_write = 0.0

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def feed(self, text: str, written_at: float) -> List[Segment]:
        """Adds one write; returns the segments it completed, in order."""
        if not text:
            return []
        if self._first_write is None:
            self._first_write = written_at
        self._last_write = written_at
        segments: List[Segment] = []
        start = 0
        for match in _TERMINATOR.finditer(text):
            piece = text[start : match.end()]
            if self._pending:
                self._pending.append(piece)
                piece = "".join(self._pending)
                self._pending = []
            segments.append((piece, self._first_write))
            self._first_write = written_at
            start = match.end()
        if start < len(text):
            self._pending.append(text[start:])
        else:
            self._first_write = None
        return segments

    def flush_idle(self, now: float, idle_seconds: float) -> Optional[Segment]:
        """The unterminated text, once nothing was written for `idle_seconds`."""
        if not self._pending or now - self._last_write < idle_seconds:
            return None
        return self.flush()

    def flush(self) -> Optional[Segment]:
        """Whatever is pending, regardless of time (run end)."""
        if not self._pending:
            return None
        text = "".join(self._pending)
        first = self._first_write if self._first_write is not None else self._last_write
        self._pending = []
        self._first_write = None
        return text, first
