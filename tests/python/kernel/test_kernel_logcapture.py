import io
import logging

import pytest

from tflog.kernel.logcapture import LoggingCapture, log_item
from tflog.kernel.spool import KIND_LOG
from tflog.kernel.streams import StreamTee


@pytest.fixture
def captured():
    items = []
    capture = LoggingCapture(items.append)
    original = logging.Logger.callHandlers
    capture.install()
    yield items
    capture.uninstall()
    assert logging.Logger.callHandlers is original


@pytest.fixture
def user_logger():
    """A logger with its own handler, as a user would configure one."""
    logger = logging.getLogger("tests.train")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def test_structured_record(captured, user_logger):
    logger, stream = user_logger
    logger.info("Epoch %d, Loss: %.4f", 7, 0.8765)
    (item,) = captured
    assert item[0] == KIND_LOG
    _, ts, level, name, message, exc, file, line, func, thread = item
    assert (level, name, message, exc) == ("INFO", "tests.train", "Epoch 7, Loss: 0.8765", None)
    assert file.endswith("test_kernel_logcapture.py") and func == "test_structured_record"
    assert line > 0 and thread == "MainThread" and ts > 0
    # The user's own handler still got the record, unchanged.
    assert stream.getvalue() == "INFO Epoch 7, Loss: 0.8765\n"


def test_non_propagating_loggers_are_captured(captured, user_logger):
    logger, _ = user_logger
    assert logger.propagate is False
    logger.warning("Gradient norm exceeded threshold: 15.3")
    assert [item[4] for item in captured] == ["Gradient norm exceeded threshold: 15.3"]


def test_exception_text(captured, user_logger):
    logger, _ = user_logger
    try:
        print(1 / 0)
    except ZeroDivisionError:
        logger.exception("evaluation failed")
    exc = captured[0][5]
    assert exc.startswith("Traceback (most recent call last):")
    assert "print(1 / 0)" in exc and exc.endswith("ZeroDivisionError: division by zero")


def test_bad_format_arguments_do_not_break_capture():
    record = logging.LogRecord("x", logging.INFO, "f.py", 1, "%d items", ("many",), None)
    assert log_item(record)[4] == "%d items ('many',)"


def test_levels_below_the_logger_threshold_are_not_captured(captured, user_logger):
    logger, _ = user_logger
    logger.debug("too fine")
    assert captured == []


def test_basic_config_still_works_while_capturing(captured):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        # Not a no-op: tflog added no handler to root.
        logging.basicConfig(
            level=logging.INFO, format="[%(levelname)s] %(message)s", stream=stream, force=True
        )
        logging.getLogger("tests.article").error("Loss became NaN at step 3420")
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    assert stream.getvalue() == "[ERROR] Loss became NaN at step 3420\n"
    assert [item[4] for item in captured] == ["Loss became NaN at step 3420"]


def test_uninstall_leaves_a_later_wrapper_in_place():
    items = []
    capture = LoggingCapture(items.append)
    original = logging.Logger.callHandlers
    capture.install()
    ours = logging.Logger.callHandlers

    def someone_elses(logger, record):
        return ours(logger, record)

    logging.Logger.callHandlers = someone_elses
    try:
        capture.uninstall()
        assert logging.Logger.callHandlers is someone_elses
        logging.getLogger("tests.inert").warning("not captured any more")
        assert items == []
    finally:
        logging.Logger.callHandlers = original


def test_a_failing_capture_never_reaches_the_user(user_logger):
    def broken(item):
        raise RuntimeError("disk exploded")

    capture = LoggingCapture(broken)
    capture.install()
    logger, stream = user_logger
    try:
        logger.info("still logged")
    finally:
        capture.uninstall()
    assert stream.getvalue() == "INFO still logged\n"


def test_a_handlers_echo_to_a_captured_stream_is_not_captured_twice():
    queued = []
    capture = LoggingCapture(queued.append)
    stream_text = []
    tee = StreamTee(io.StringIO(), "stderr", lambda name, text: stream_text.append(text))
    logger = logging.getLogger("tflog-test.echo")
    logger.propagate = False
    handler = logging.StreamHandler(tee)
    logger.addHandler(handler)
    capture.install()
    try:
        logger.warning("Gradient norm exceeded threshold: %s", 15.3)
        tee.write("a print of its own\n")
    finally:
        capture.uninstall()
        logger.removeHandler(handler)
    assert [item[4] for item in queued] == ["Gradient norm exceeded threshold: 15.3"]
    assert stream_text == ["a print of its own\n"]
    assert "Gradient norm exceeded threshold: 15.3" in tee.tflog_original.getvalue()


@pytest.fixture
def kernel_like_logger():
    """A logger named like ipykernel's application logger, emitting DEBUG to a handler."""
    logger = logging.getLogger("IPKernelApp")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


@pytest.mark.parametrize(
    "name",
    [
        "IPKernelApp",
        "ipykernel.comm",
        "traitlets",
        "tornado.access",
        "asyncio",
        "Comm",
        "parso.cache",
    ],
)
def test_kernel_and_jupyter_loggers_are_left_out(captured, name):
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("execute_request: {'code': 'secret = 1'}")
    finally:
        logger.setLevel(logging.NOTSET)
    assert captured == []


def test_left_out_records_still_reach_their_handlers_and_their_echo_is_not_captured(
    kernel_like_logger,
):
    logger, stream = kernel_like_logger
    items = []
    tee_target = io.StringIO()
    tee = StreamTee(tee_target, "stderr", lambda name, text: items.append(("stream", text)))
    echo = logging.StreamHandler(tee)
    logger.addHandler(echo)
    capture = LoggingCapture(items.append)
    capture.install()
    try:
        logger.debug("execute_request: secret")
    finally:
        capture.uninstall()
        logger.removeHandler(echo)
    assert items == []
    assert stream.getvalue() == tee_target.getvalue() == "execute_request: secret\n"


def test_a_logger_asked_for_by_name_is_captured(kernel_like_logger):
    logger, _ = kernel_like_logger
    items = []
    capture = LoggingCapture(items.append, include=["IPKernelApp"])
    capture.install()
    try:
        logger.debug("asked for")
        logging.getLogger("ipykernel.comm").warning("still left out")
    finally:
        capture.uninstall()
    assert [(item[3], item[4]) for item in items] == [("IPKernelApp", "asked for")]


def test_names_that_only_share_a_prefix_are_captured(captured):
    logging.getLogger("asyncio_user_code").warning("mine")
    logging.getLogger("tornadoes").warning("mine too")
    assert [item[3] for item in captured] == ["asyncio_user_code", "tornadoes"]
