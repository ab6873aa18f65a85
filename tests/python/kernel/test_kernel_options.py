import pytest

from tflog.kernel.options import (
    DEFAULT_BATCH_INTERVAL,
    HelpRequested,
    OptionsError,
    RunOptions,
    full_help,
    parse_cell_line,
    parse_line,
)


def test_start_with_every_option():
    command = parse_line(
        'start "resnet on cifar" --tag team=vision --tag lr=1e-3 --no-keras --batch-interval 2.5'
    )
    assert command.action == "start"
    assert command.run == RunOptions(
        "resnet on cifar", {"team": "vision", "lr": "1e-3"}, False, 2.5
    )


def test_loggers_asked_for_by_name():
    command = parse_line("start --logger IPKernelApp --logger ipykernel.comm")
    assert command.run.loggers == ("IPKernelApp", "ipykernel.comm")
    assert parse_cell_line("--logger tornado").loggers == ("tornado",)
    assert parse_line("start").run.loggers == ()
    with pytest.raises(OptionsError, match="not a logger name"):
        parse_line("start --logger .bad")


def test_defaults():
    assert parse_line("start").run == RunOptions(None, {}, True, DEFAULT_BATCH_INTERVAL)
    assert parse_cell_line("").keras is True
    assert parse_line("").action == "status"


@pytest.mark.parametrize("action", ["stop", "status"])
def test_plain_commands(action):
    assert parse_line(action).action == action


def test_notebook_path():
    assert parse_line("notebook 'dir with space/train.ipynb'").path == "dir with space/train.ipynb"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("start --tag noequals", "'noequals' is not key=value"),
        ("start --tag bad/key=1", "tag key 'bad/key' must be 1-64 characters"),
        ("start --tag " + "k" * 65 + "=1", "must be 1-64 characters"),
        ("start --batch-interval soon", "'soon' is not a number of seconds"),
        ("start --batch-interval -1", "must be a number of seconds >= 0"),
        ("start --batch-interval nan", "must be a number of seconds >= 0"),
        ("start --bogus", "%tflog start: unrecognized arguments: --bogus"),
        # An unknown option before any command: no command to name.
        ("--foo", "%tflog: unrecognized arguments: --foo"),
        ("--foo --bar=1", "%tflog: unrecognized arguments: --foo --bar=1"),
        ("stop now", "%tflog stop: unrecognized arguments: now"),
        ("launch", "invalid choice: 'launch'"),
        ("notebook", "the following arguments are required: path"),
        ('start "unclosed', "cannot read the options: No closing quotation"),
    ],
)
def test_bad_options_give_one_clear_message(line, expected):
    with pytest.raises(OptionsError) as raised:
        parse_line(line)
    message = str(raised.value)
    assert expected in message
    assert "usage:" in message or "cannot read" in message
    assert "Traceback" not in message


def test_bad_cell_options():
    with pytest.raises(OptionsError, match="%%tflog: unrecognized arguments: --fast"):
        parse_cell_line("name --fast")


def test_help_documents_every_command_and_option():
    with pytest.raises(HelpRequested) as raised:
        parse_line("--help")
    text = raised.value.text
    assert text == full_help()
    for word in (
        "start",
        "stop",
        "status",
        "notebook",
        "--tag",
        "--no-keras",
        "--batch-interval",
        "%%tflog",
        "stopped",
    ):
        assert word in text, word


def test_command_help():
    with pytest.raises(HelpRequested) as raised:
        parse_line("start --help")
    assert raised.value.text.startswith("usage: %tflog start")
    with pytest.raises(HelpRequested) as raised:
        parse_cell_line("-h")
    assert raised.value.text.startswith("usage: %%tflog")
