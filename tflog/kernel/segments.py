"""Assembling raw stream writes into segments.

A segment ends with '\\n' or '\\r' ('\\r\\n' counts as one terminator when it
arrives in one write). A segment that ends with '\\r' is one state of a
progress bar. Text is kept raw: backspaces and ANSI codes stay where they were
written, so Keras 2's `'\\b' * width + '\\r'` closes the previous bar state.

No segment is longer than `MAX_SEGMENT_CHARS`. Text that goes on longer than
that without a terminator (`while True: print('.', end='')`, or one huge
`print`) is cut into pieces of at most that many characters, marked `split`:
each ends where the next one of the same stream begins. So the unterminated
text kept between writes stays bounded, every spool record stays bounded, and
nothing is lost.
"""

import re
from typing import List, Optional, Tuple

_TERMINATOR = re.compile(r"\r\n|\r|\n")

# Longest segment (and so the longest stream text of one spool record), in
# characters. It matches the service's own bounds on one line: the partial
# line it carries to the next record and the text custom patterns see are
# 64 KiB too.
MAX_SEGMENT_CHARS = 64 * 1024

# A cut never falls inside an ANSI escape sequence that starts this close
# before it: the piece ends before the ESC instead.
_ESCAPE_LOOKBACK = 32

Segment = Tuple[str, float]  # (text, time of its first write)
# (text, time of its first write, split): `split` when the text was cut at
# MAX_SEGMENT_CHARS and the next segment of the stream goes on with it.
FedSegment = Tuple[str, float, bool]


def cut_points(text: str, limit: int = MAX_SEGMENT_CHARS) -> List[int]:
    """Where to cut `text` so that no piece is longer than `limit`.

    Returns the end offsets of every piece but the last (empty when the text
    fits). A cut avoids separating '\\r' from '\\n' and splitting an escape
    sequence that starts just before it.
    """
    cuts: List[int] = []
    start = 0
    length = len(text)
    while length - start > limit:
        end = start + limit
        escape = text.rfind("\x1b", max(start + 1, end - _ESCAPE_LOOKBACK), end)
        if escape > start:
            end = escape
        if text[end - 1] == "\r" and text[end] == "\n" and end - 1 > start:
            end -= 1
        cuts.append(end)
        start = end
    return cuts


class StreamAssembler:
    """Per-stream buffer; not thread-safe (used by the writer thread only).

    The unterminated text it holds never exceeds `limit` characters.
    """

    def __init__(self, limit: int = MAX_SEGMENT_CHARS) -> None:
        self._limit = limit
        self._pending: List[str] = []
        self._pending_chars = 0
        self._first_write: Optional[float] = None
        self._last_write = 0.0

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    @property
    def pending_chars(self) -> int:
        """Characters waiting for a terminator (at most the limit)."""
        return self._pending_chars

    def feed(self, text: str, written_at: float) -> List[FedSegment]:
        """Adds one write; returns the segments it completed, in order."""
        if not text:
            return []
        if self._first_write is None:
            self._first_write = written_at
        self._last_write = written_at
        segments: List[FedSegment] = []
        start = 0
        for match in _TERMINATOR.finditer(text):
            piece = text[start : match.end()]
            if self._pending:
                self._pending.append(piece)
                piece = "".join(self._pending)
                self._pending = []
                self._pending_chars = 0
            self._emit(segments, piece, self._first_write)
            self._first_write = written_at
            start = match.end()
        if start < len(text):
            rest = text[start:] if start else text
            self._pending.append(rest)
            self._pending_chars += len(rest)
            if self._pending_chars > self._limit:
                self._cut_pending(segments, written_at)
        else:
            self._first_write = None
        return segments

    def _emit(self, segments: List[FedSegment], text: str, first_write: float) -> None:
        """A terminated segment, cut into split pieces when it is too long."""
        start = 0
        for end in cut_points(text, self._limit):
            segments.append((text[start:end], first_write, True))
            start = end
        segments.append((text[start:] if start else text, first_write, False))

    def _cut_pending(self, segments: List[FedSegment], written_at: float) -> None:
        """Writes out all but the last (at most `limit` characters) of the pending text."""
        text = "".join(self._pending)
        first_write = self._first_write if self._first_write is not None else written_at
        start = 0
        for end in cut_points(text, self._limit):
            segments.append((text[start:end], first_write, True))
            start = end
        rest = text[start:]
        self._pending = [rest]
        self._pending_chars = len(rest)
        self._first_write = written_at

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
        self._pending_chars = 0
        self._first_write = None
        return text, first
