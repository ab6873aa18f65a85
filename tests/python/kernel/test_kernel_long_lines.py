"""Output without newlines and huge writes: the kernel's memory and every
spool record stay bounded, and nothing is lost or reordered."""

import logging
import time

from conftest import read_spool, spool_files

import tflog.kernel
from tflog.kernel.records import MAX_TEXT_FIELD_CHARS
from tflog.kernel.segments import MAX_SEGMENT_CHARS, StreamAssembler, cut_points
from tflog.kernel.spool import KIND_STREAM, SpoolWriter

START = {"t": "start", "ts": 1.0, "v": 1, "run": "r1", "name": None, "tags": {}, "ctx": {}}


def pending_chars(assembler):
    """What the assembler holds between writes (read from its buffer itself)."""
    return sum(len(piece) for piece in assembler._pending)


def stream_records(path, stream="stdout"):
    return [r for r in read_spool(path) if r["t"] == "stream" and r["stream"] == stream]


def test_many_small_writes_without_a_newline_keep_the_buffer_bounded():
    assembler = StreamAssembler()
    emitted = []
    writes = 3 * MAX_SEGMENT_CHARS + 1000
    for index in range(writes):
        emitted.extend(assembler.feed(".", 1000.0 + index * 0.01))
        if index % 997 == 0:
            assert pending_chars(assembler) <= MAX_SEGMENT_CHARS
    assert [len(text) for text, _, _ in emitted] == [MAX_SEGMENT_CHARS] * 3
    assert all(split for _, _, split in emitted)
    # Each piece is dated by its first write; nothing is lost.
    assert [first for _, first, _ in emitted] == [
        1000.0 + n * MAX_SEGMENT_CHARS * 0.01 for n in range(3)
    ]
    rest = assembler.flush()
    assert rest is not None
    assert "".join(text for text, _, _ in emitted) + rest[0] == "." * writes


def test_a_huge_write_is_cut_into_bounded_pieces_in_order():
    assembler = StreamAssembler()
    line = "".join(chr(0x41 + n % 26) for n in range(5 * MAX_SEGMENT_CHARS + 7))
    segments = assembler.feed("before\n" + line + "\nafter", 2.0)
    assert segments[0] == ("before\n", 2.0, False)
    pieces = segments[1:]
    assert all(len(text) <= MAX_SEGMENT_CHARS for text, _, _ in pieces)
    assert [split for _, _, split in pieces] == [True] * 5 + [False]
    assert "".join(text for text, _, _ in pieces) == line + "\n"
    assert assembler.flush() == ("after", 2.0)


def test_a_long_pending_line_continued_by_a_newline_ends_unsplit():
    assembler = StreamAssembler()
    pieces = []
    for _ in range(MAX_SEGMENT_CHARS // 100 + 5):
        pieces.extend(assembler.feed("x" * 100, 1.0))
    pieces.extend(assembler.feed("!\n", 2.0))
    assert [split for _, _, split in pieces] == [True, False]
    assert pieces[-1][0].endswith("x!\n")
    assert sum(len(text) for text, _, _ in pieces) == (MAX_SEGMENT_CHARS // 100 + 5) * 100 + 2
    assert not assembler.has_pending


def test_cuts_keep_escape_sequences_and_crlf_whole():
    text = "a" * 90 + "\x1b[31m" + "b" * 20
    cuts = cut_points(text, 93)
    assert cuts[0] == 90  # before the ESC, not inside "\x1b[31m"
    assert cut_points("a" * 99 + "\r\n", 100) == [99]
    assert cut_points("short", 100) == []
    # Always progress, even when every cut would fall in an escape sequence.
    ansi = "\x1b[0m" * 50
    pieces = cut_points(ansi, 10)
    assert all(0 < b - a <= 10 for a, b in zip([0] + pieces, pieces + [len(ansi)]))


def test_writer_many_small_writes_bounded_records_and_memory(tmp_path):
    path = tmp_path / "run.ndjson"
    # Written faster than the idle flush (as a busy loop does): only the bound cuts.
    spool = SpoolWriter(str(path), dict(START), wake_seconds=0.01, partial_after=3600)
    assembler = spool._assemblers["stdout"]
    total = 0
    for _ in range(5):
        for _ in range(MAX_SEGMENT_CHARS // 2):
            spool.put((KIND_STREAM, "stdout", ".", time.time()))
            total += 1
        assert spool.drain(30)
        assert pending_chars(assembler) <= MAX_SEGMENT_CHARS
    spool.close("finished")
    streams = stream_records(path)
    assert "".join(r["text"] for r in streams) == "." * total
    assert [len(r["text"]) for r in streams[:-1]] == [MAX_SEGMENT_CHARS] * 2
    assert all(r.get("split") and r["partial"] for r in streams[:-1])
    # The rest, flushed at the end, is an ordinary partial record.
    assert streams[-1]["partial"] is True and "split" not in streams[-1]
    seqs = [r["seq"] for r in read_spool(path)]
    assert seqs == list(range(len(seqs)))


def test_a_huge_print_in_a_run_becomes_bounded_records(spool_dir, capsys):
    # As found: a training loop printing dots without a newline, then one huge print.
    tflog.kernel.start("long lines")
    try:
        for _ in range(MAX_SEGMENT_CHARS + 500):
            print(".", end="")
        huge = "0123456789" * (4 * 1024 * 1024 // 10)  # 4 MiB on one line
        print(huge)
        print("done")
    finally:
        tflog.kernel.stop()
    assert capsys.readouterr().out.endswith(huge + "\ndone\n")  # still shown as printed
    (path,) = spool_files(spool_dir)
    streams = stream_records(path)
    assert all(len(r["text"]) <= MAX_SEGMENT_CHARS for r in streams)
    text = "".join(r["text"] for r in streams)
    assert text == "." * (MAX_SEGMENT_CHARS + 500) + huge + "\ndone\n"
    assert [r.get("split", False) for r in streams[:-2]] == [True] * (len(streams) - 2)
    assert streams[-2]["text"].endswith("\n") and "split" not in streams[-2]
    assert streams[-1]["text"] == "done\n"
    # No record of the file is anywhere near the size of the huge print.
    longest = max(len(line) for line in path.read_bytes().splitlines())
    assert longest < 2 * MAX_SEGMENT_CHARS


def test_huge_log_messages_and_tracebacks_are_bounded(spool_dir):
    message = "m" * (3 * MAX_TEXT_FIELD_CHARS) + "END OF MESSAGE"
    logger = logging.getLogger("test_kernel_long_lines")
    logger.propagate = False  # keep pytest's log capture from echoing megabytes
    tflog.kernel.start("long log")
    try:
        try:
            try:
                raise KeyError("k" * (2 * MAX_TEXT_FIELD_CHARS))
            except KeyError as cause:
                raise ValueError("boom") from cause
        except ValueError:
            logger.exception(message)
    finally:
        tflog.kernel.stop()
        logger.propagate = True
    (path,) = spool_files(spool_dir)
    (record,) = [r for r in read_spool(path) if r["t"] == "log"]
    msg, exc = record["msg"], record["exc"]
    assert len(msg) < MAX_TEXT_FIELD_CHARS + 100, len(msg)
    assert msg[:3] == "mmm" and msg[-14:] == "END OF MESSAGE"
    assert f"[tflog: {2 * MAX_TEXT_FIELD_CHARS + 14} characters cut]" in msg
    assert len(exc) < MAX_TEXT_FIELD_CHARS + 100, len(exc)
    assert exc.startswith("Traceback (most recent call last):")
    # The exception's last line survives: the service reads type and message there.
    assert exc.splitlines()[-1] == "ValueError: boom"


def test_pieces_and_the_other_stream_stay_in_write_order(tmp_path):
    path = tmp_path / "run.ndjson"
    spool = SpoolWriter(str(path), dict(START), wake_seconds=0.01)
    now = time.time()
    spool.put((KIND_STREAM, "stderr", "e" * (MAX_SEGMENT_CHARS + 1), now))
    spool.put((KIND_STREAM, "stdout", "o\n", now + 1))
    spool.close("finished")
    streams = [r for r in read_spool(path) if r["t"] == "stream"]
    assert [(r["stream"], len(r["text"])) for r in streams] == [
        ("stderr", MAX_SEGMENT_CHARS),
        ("stdout", 2),
        ("stderr", 1),
    ]
