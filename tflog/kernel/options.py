"""Parsing `%tflog ...` and `%%tflog ...` arguments.

argparse with an error path of our own: a bad option becomes `OptionsError`
(shown by the magic as one clear message, never a traceback) and `--help`
becomes `HelpRequested` carrying the text.
"""

import argparse
import math
import re
import shlex
from typing import Dict, List, NamedTuple, NoReturn, Optional, Tuple

from tflog.kernel.sysmetrics import DEFAULT_SYSTEM_INTERVAL, INTERVAL_ENV, MIN_SYSTEM_INTERVAL

DEFAULT_BATCH_INTERVAL = 0.5
TAG_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_TAG_VALUE = 1024


class OptionsError(Exception):
    """A bad option; `str()` is the message to show, with the usage line."""


class HelpRequested(Exception):
    """`--help` was given; `.text` is what to print."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class RunOptions(NamedTuple):
    name: Optional[str] = None
    tags: Dict[str, str] = {}
    keras: bool = True
    batch_interval: float = DEFAULT_BATCH_INTERVAL
    # Kernel/Jupyter loggers to capture anyway (logcapture.KERNEL_LOGGERS).
    loggers: Tuple[str, ...] = ()
    # Seconds between system metrics samples; 0 = off; None = TFLOG_SYSTEM_INTERVAL or 10.
    system_interval: Optional[float] = None


class ExportOptions(NamedTuple):
    path: Optional[str] = None
    format: Optional[str] = None  # None: from the file's extension, else csv
    notebook: Optional[str] = None
    all_notebooks: bool = False
    status: Tuple[str, ...] = ()


class Command(NamedTuple):
    action: str  # 'start', 'stop', 'status', 'notebook', 'export'
    run: Optional[RunOptions] = None
    path: Optional[str] = None
    export: Optional[ExportOptions] = None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise OptionsError(f"{self.prog}: {message}\n{self.format_usage().rstrip()}")

    def print_help(self, file: object = None) -> None:
        raise HelpRequested(self.format_help())

    def exit(self, status: int = 0, message: Optional[str] = None) -> NoReturn:
        raise OptionsError(message or f"{self.prog}: exit {status}")


def tag(text: str) -> Tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator:
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    if not TAG_KEY.fullmatch(key):
        raise argparse.ArgumentTypeError(
            f"tag key {key!r} must be 1-64 characters of A-Z a-z 0-9 _ . -"
        )
    if len(value) > MAX_TAG_VALUE:
        raise argparse.ArgumentTypeError(f"tag {key!r}: value longer than {MAX_TAG_VALUE}")
    return key, value


def logger_name(text: str) -> str:
    if not text or text != text.strip() or text.startswith(".") or text.endswith("."):
        raise argparse.ArgumentTypeError(f"{text!r} is not a logger name")
    return text


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds >= 0")
    return value


def system_seconds(text: str) -> float:
    value = seconds(text)
    if 0 < value < MIN_SYSTEM_INTERVAL:
        raise argparse.ArgumentTypeError(
            f"{text!r}: 0 (off) or at least {MIN_SYSTEM_INTERVAL:g} seconds"
        )
    return value


RUN_STATUSES = ("running", "finished", "failed", "interrupted", "stopped")


def status_list(text: str) -> Tuple[str, ...]:
    words = tuple(word.strip() for word in text.split(",") if word.strip())
    unknown = [word for word in words if word not in RUN_STATUSES]
    if not words or unknown:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a comma-separated list of {', '.join(RUN_STATUSES)}"
        )
    return words


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="where to write (default: tflog-runs-<UTC time>.csv or .json in the working "
        "directory)",
    )
    parser.add_argument(
        "--format",
        choices=("csv", "json"),
        default=None,
        help="csv (a header, one row per run) or json (a list of objects). Default: json "
        "when FILE ends with .json, else csv",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--notebook",
        metavar="PATH",
        default=None,
        help="the runs of this notebook (relative to the server root) instead of this one's",
    )
    which.add_argument(
        "--all", dest="all_notebooks", action="store_true", help="the runs of every notebook"
    )
    parser.add_argument(
        "--status",
        type=status_list,
        default=(),
        metavar="LIST",
        help="only runs with these statuses, e.g. finished,stopped",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="a name for the run (shown in the panel)")
    parser.add_argument(
        "--tag",
        dest="tags",
        action="append",
        type=tag,
        default=[],
        metavar="KEY=VALUE",
        help="a custom tag for every record of the run; repeatable. KEY: 1-64 of A-Z a-z 0-9 _ . -",
    )
    parser.add_argument(
        "--no-keras",
        dest="keras",
        action="store_false",
        help="do not attach tflog's callback to Model.fit in this run "
        "(output and logging are still captured)",
    )
    parser.add_argument(
        "--batch-interval",
        type=seconds,
        default=DEFAULT_BATCH_INTERVAL,
        metavar="SECONDS",
        help="record per-batch Keras metrics at most this often "
        f"(default {DEFAULT_BATCH_INTERVAL}; 0 = every batch). Epoch metrics are always "
        "recorded",
    )
    parser.add_argument(
        "--system-interval",
        type=system_seconds,
        default=None,
        metavar="SECONDS",
        help="sample process CPU and memory and GPU utilisation, memory, temperature and "
        f"power this often (default ${INTERVAL_ENV} or {DEFAULT_SYSTEM_INTERVAL:g}; 0 = off)",
    )
    parser.add_argument(
        "--logger",
        dest="loggers",
        action="append",
        type=logger_name,
        default=[],
        metavar="NAME",
        help="capture this logger (and its children) although it is one of the kernel's or "
        "Jupyter's own, which are left out by default (IPKernelApp, ipykernel, traitlets, "
        "tornado, asyncio, comm, jupyter_client, zmq, debugpy, IPython, jedi, parso); "
        "repeatable. At DEBUG the kernel logs cell sources and message ids",
    )


def _run_options(namespace: argparse.Namespace) -> RunOptions:
    return RunOptions(
        name=namespace.name,
        tags=dict(namespace.tags),
        keras=namespace.keras,
        batch_interval=namespace.batch_interval,
        loggers=tuple(namespace.loggers),
        system_interval=namespace.system_interval,
    )


LINE_DESCRIPTION = """\
Capture a training run: Python logging records, everything written to stdout
and stderr (progress bars included), and exact Keras metrics and
hyperparameters from Model.fit. Records are spooled to disk and shipped by the
tflog service; see them in JupyterLab's tflog panel.

One run at a time: starting a run while another is active ends the active one
with status 'stopped' (and says so)."""


def line_parsers() -> Tuple[_Parser, Dict[str, _Parser]]:
    """The `%tflog` parser and its commands' parsers by name."""
    parser = _Parser(
        prog="%tflog",
        description=LINE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="action", metavar="COMMAND", parser_class=_Parser)
    start = commands.add_parser("start", help="start a run that lasts until %%tflog stop")
    _add_run_options(start)
    stop = commands.add_parser("stop", help="end the active run (status 'stopped')")
    status = commands.add_parser("status", help="show the active run, the spool and any problems")
    notebook = commands.add_parser(
        "notebook", help="tell tflog the notebook's path (the frontend does this for you)"
    )
    notebook.add_argument("path", help="notebook path, relative to the server root")
    export = commands.add_parser(
        "export",
        help="write this notebook's runs (hyperparameters, final and best metrics, health "
        "score) to a CSV or JSON file for a hyperparameter search",
        description="Write runs as rows: run_id, name, notebook, status, started, ended, "
        "duration_s, health_score, best.loss, best.val_loss, hparam.<name>, tag.<name>, "
        "final.<name>. Read from the tflog service; the same from Python: "
        "tflog.export_runs().",
    )
    _add_export_options(export)
    return parser, {
        "start": start,
        "stop": stop,
        "status": status,
        "notebook": notebook,
        "export": export,
    }


def cell_parser() -> _Parser:
    parser = _Parser(
        prog="%%tflog",
        description="Run this cell as one tflog run. It ends 'finished', 'failed' (with "
        "the exception) or 'interrupted'.",
    )
    _add_run_options(parser)
    return parser


def full_help() -> str:
    """`%tflog --help`: the command list, then every command's options."""
    parser, commands = line_parsers()
    sections = [parser.format_help()]
    for name, command in commands.items():
        sections.append(f"--- %tflog {name} ---\n" + command.format_help())
    sections.append("--- %%tflog (cell magic) ---\n" + cell_parser().format_help())
    return "\n".join(sections)


def _split(line: str, prog: str) -> List[str]:
    try:
        return shlex.split(line)
    except ValueError as error:
        raise OptionsError(f"{prog}: cannot read the options: {error}") from None


def parse_line(line: str) -> Command:
    """`%tflog ...` → Command. Raises OptionsError or HelpRequested."""
    words = _split(line, "%tflog")
    if not words:
        return Command("status")
    if words[0] in ("-h", "--help"):
        raise HelpRequested(full_help())
    parser, commands = line_parsers()
    namespace, extra = parser.parse_known_args(words)
    if extra:
        # Name the command whose options were wrong, not just "%tflog".
        commands[namespace.action].error("unrecognized arguments: " + " ".join(extra))
    if namespace.action == "start":
        return Command("start", run=_run_options(namespace))
    if namespace.action == "notebook":
        return Command("notebook", path=namespace.path)
    if namespace.action == "export":
        return Command(
            "export",
            export=ExportOptions(
                path=namespace.file,
                format=namespace.format,
                notebook=namespace.notebook,
                all_notebooks=namespace.all_notebooks,
                status=tuple(namespace.status),
            ),
        )
    return Command(namespace.action)


def parse_cell_line(line: str) -> RunOptions:
    """`%%tflog ...` → RunOptions. Raises OptionsError or HelpRequested."""
    return _run_options(cell_parser().parse_args(_split(line, "%%tflog")))
