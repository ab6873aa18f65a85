import io
import queue
import sys
import threading
import types

from tflog.kernel.streams import FdWatchCapture, StdStreamsCapture, StreamTee


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_tee_forwards_unchanged_and_captures():
    target = Terminal()
    seen = []
    tee = StreamTee(target, "stdout", lambda name, text: seen.append((name, text)))
    raw = "\x1b[1m1/8\x1b[0m ━━ loss: 0.7\b\b\b\r8/8\n"
    assert tee.write(raw) == len(raw)
    tee.writelines(["a\n", "b\n"])
    tee.flush()
    assert target.getvalue() == raw + "a\nb\n"
    assert seen == [("stdout", raw), ("stdout", "a\n"), ("stdout", "b\n")]
    assert tee.isatty() is True  # delegated: progress bars keep their dynamic display
    assert tee.getvalue() == target.getvalue()


def test_tee_keeps_forwarding_when_capture_fails():
    target = io.StringIO()

    def broken(name, text):
        raise RuntimeError("queue gone")

    tee = StreamTee(target, "stderr", broken)
    tee.write("warning\n")
    assert target.getvalue() == "warning\n"


def test_tee_propagates_the_wrapped_streams_own_errors():
    target = io.StringIO()
    target.close()
    tee = StreamTee(target, "stdout", lambda name, text: None)
    try:
        tee.write("x")
    except ValueError as error:
        assert "closed" in str(error)
    else:
        raise AssertionError("writing to a closed stream must fail as before")


def fake_sys():
    return types.SimpleNamespace(stdout=io.StringIO(), stderr=io.StringIO())


def test_install_and_uninstall_restore_the_streams():
    module = fake_sys()
    stdout, stderr = module.stdout, module.stderr
    seen = []
    streams = StdStreamsCapture(lambda name, text: seen.append((name, text)), module)
    streams.install()
    print("hello", file=module.stdout)
    module.stderr.write("oops\n")
    assert streams.uninstall() == []
    assert module.stdout is stdout and module.stderr is stderr
    assert seen == [("stdout", "hello"), ("stdout", "\n"), ("stderr", "oops\n")]


def test_uninstall_does_not_unwrap_a_later_wrapper():
    module = fake_sys()
    seen = []
    streams = StdStreamsCapture(lambda name, text: seen.append(text), module)
    streams.install()
    ours = module.stdout
    later = StreamTee(ours, "stdout", lambda name, text: None)  # someone wraps after us
    module.stdout = later
    assert streams.uninstall() == ["stdout"]
    assert module.stdout is later
    module.stdout.write("still forwarded\n")
    assert seen == []
    assert ours.tflog_original.getvalue() == "still forwarded\n"


class WatchedStream:
    """Mimics ipykernel's OutStream: a watcher thread calls `self.write`."""

    def __init__(self):
        self.written = []
        self._should_watch = True
        self._incoming = queue.Queue()
        self._done = queue.Queue()
        self.watch_fd_thread = threading.Thread(target=self._watch, daemon=True)
        self.watch_fd_thread.start()

    def write(self, text):
        self.written.append(text)
        return len(text)

    def _watch(self):
        for text in iter(self._incoming.get, None):
            self.write(text)  # looked up on the instance, as ipykernel does
            self._done.put(True)

    def from_fd(self, text):
        self._incoming.put(text)
        self._done.get(timeout=5)

    def stop(self):
        self._incoming.put(None)


def test_fd_level_output_is_captured_once():
    stream = WatchedStream()
    assert FdWatchCapture.applies_to(stream)
    module = types.SimpleNamespace(stdout=io.StringIO(), stderr=stream)
    seen = []
    streams = StdStreamsCapture(lambda name, text: seen.append(text), module)
    streams.install()
    try:
        module.stderr.write("python-level\n")
        stream.from_fd("I0000 cpu_feature_guard.cc:227] optimized\n")
        # IPython puts the plain method back on the stream after each cell...
        stream.write = types.MethodType(WatchedStream.write, stream)
        stream.from_fd("between cells\n")
        # ...and the pre_run_cell hook puts our capture back on top.
        streams.before_cell()
        stream.from_fd("E0000 cuda_platform.cc:52] failed call to cuInit\n")
    finally:
        streams.uninstall()
    stream.from_fd("after the run\n")
    stream.stop()
    assert seen == [
        "python-level\n",
        "I0000 cpu_feature_guard.cc:227] optimized\n",
        "E0000 cuda_platform.cc:52] failed call to cuInit\n",
    ]
    assert stream.written == [
        "python-level\n",
        "I0000 cpu_feature_guard.cc:227] optimized\n",
        "between cells\n",
        "E0000 cuda_platform.cc:52] failed call to cuInit\n",
        "after the run\n",
    ]


def test_plain_streams_get_no_fd_capture():
    assert not FdWatchCapture.applies_to(io.StringIO())
    assert not FdWatchCapture.applies_to(sys.__stderr__)
