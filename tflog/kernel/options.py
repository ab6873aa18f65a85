"""Parsing `%tflog ...` and `%%tflog ...` arguments.

argparse with an error path of our own: a bad option becomes `OptionsError`
(shown by the magic as one clear message, never a traceback) and `--help`
becomes `HelpRequested` carrying the text.
"""

import argparse
import math
import numbers
import re
import shlex
from collections import abc
from typing import Dict, List, NamedTuple, NoReturn, Optional, Tuple

from tflog.kernel.svgplot import AXES, DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH
from tflog.kernel.sysmetrics import DEFAULT_SYSTEM_INTERVAL, INTERVAL_ENV, MIN_SYSTEM_INTERVAL
from tflog.kernel.when import since_time

DEFAULT_BATCH_INTERVAL = 0.5
DEFAULT_RUNS_LIMIT = 20
MAX_RUNS_LIMIT = 1000
MAX_SEARCH = 256
SORT_KEY = re.compile(r"started|duration|updated|name|health|(last|min|max):.+")
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


class RunsOptions(NamedTuple):
    notebook: Optional[str] = None
    this_notebook: bool = False
    status: Tuple[str, ...] = ()
    tags: Tuple[Tuple[str, str], ...] = ()
    hparams: Tuple[Tuple[str, str], ...] = ()
    since: Optional[str] = None  # ISO 8601 UTC, already resolved from "2h"
    search: Optional[str] = None
    sort: Optional[str] = None
    order: Optional[str] = None
    limit: int = DEFAULT_RUNS_LIMIT


class ShowOptions(NamedTuple):
    run: Optional[str] = None  # None: this kernel's latest run
    metrics: Tuple[str, ...] = ()
    axis: Optional[str] = None  # None: step, else epoch or time when the run has no steps
    width: int = DEFAULT_WIDTH


class Command(NamedTuple):
    action: str  # 'start', 'stop', 'status', 'notebook', 'export', 'runs', 'show'
    run: Optional[RunOptions] = None
    path: Optional[str] = None
    export: Optional[ExportOptions] = None
    runs: Optional[RunsOptions] = None
    show: Optional[ShowOptions] = None


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


def _add_status_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--status", type=status_list, default=(), metavar="LIST", help=help_text)


def _add_tag_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--tag",
        dest="tags",
        action="append",
        type=tag,
        default=[],
        metavar="KEY=VALUE",
        help=help_text,
    )


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
    _add_status_option(parser, "only runs with these statuses, e.g. finished,stopped")


def hparam(text: str) -> Tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    return key, value


def since(text: str) -> str:
    try:
        return since_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def search_text(text: str) -> str:
    if len(text) > MAX_SEARCH:
        raise argparse.ArgumentTypeError(f"at most {MAX_SEARCH} characters")
    return text


def sort_key(text: str) -> str:
    if not SORT_KEY.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: started, duration, updated, name, health, or last:METRIC, "
            "min:METRIC, max:METRIC"
        )
    return text


def _whole_number_within(text: str, lowest: int, highest: int) -> Optional[int]:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if lowest <= value <= highest else None


def runs_limit(text: str) -> int:
    value = _whole_number_within(text, 1, MAX_RUNS_LIMIT)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number from 1 to {MAX_RUNS_LIMIT}")
    return value


def figure_width(text: str) -> int:
    value = _whole_number_within(text, MIN_WIDTH, MAX_WIDTH)
    if value is None:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a width in pixels from {MIN_WIDTH} to {MAX_WIDTH}"
        )
    return value


def _add_runs_options(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--notebook",
        metavar="PATH",
        default=None,
        help="only the runs of this notebook (relative to the server root)",
    )
    which.add_argument(
        "--this",
        dest="this_notebook",
        action="store_true",
        help="only the runs of this notebook (default: every notebook's)",
    )
    _add_status_option(parser, "only runs with these statuses, e.g. running,failed")
    _add_tag_option(parser, "only runs with this tag; repeatable, all must match")
    parser.add_argument(
        "--hparam",
        dest="hparams",
        action="append",
        type=hparam,
        default=[],
        metavar="KEY=VALUE",
        help="only runs with this hyperparameter value (numbers compare as numbers); "
        "repeatable, all must match",
    )
    parser.add_argument(
        "--since",
        type=since,
        default=None,
        metavar="WHEN",
        help="only runs started since then: a duration back from now (90s, 30m, 2h, 3d, 1w) "
        "or an ISO date or time (2026-01-31, 2026-01-31T09:00; UTC unless it has an offset)",
    )
    parser.add_argument(
        "--search",
        type=search_text,
        default=None,
        metavar="TEXT",
        help="only runs whose id, name, notebook or tags contain TEXT (any case)",
    )
    parser.add_argument(
        "--sort",
        type=sort_key,
        default=None,
        metavar="KEY",
        help="started (default), duration, updated, name, health, or a metric's last, "
        "lowest or highest value: last:val_loss, min:loss, max:accuracy",
    )
    parser.add_argument(
        "--order",
        choices=("asc", "desc"),
        default=None,
        help="ascending or descending (default: descending)",
    )
    parser.add_argument(
        "--limit",
        type=runs_limit,
        default=DEFAULT_RUNS_LIMIT,
        metavar="N",
        help=f"show at most N runs (default {DEFAULT_RUNS_LIMIT}, at most {MAX_RUNS_LIMIT})",
    )


def _add_show_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run",
        nargs="?",
        metavar="RUN",
        help="a run id, or a run name (its newest run). Default: this kernel's latest run, "
        "else this notebook's newest",
    )
    parser.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        default=[],
        metavar="NAME",
        help="draw this metric (with its val_ partner); repeatable. Default: every metric",
    )
    parser.add_argument(
        "--axis",
        choices=AXES,
        default=None,
        help="x axis: step (default; epoch, then time, for a run without steps), epoch or "
        "time (UTC)",
    )
    parser.add_argument(
        "--width",
        type=figure_width,
        default=DEFAULT_WIDTH,
        metavar="PX",
        help=f"figure width in pixels (default {DEFAULT_WIDTH})",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="a name for the run (shown in the panel)")
    _add_tag_option(
        parser,
        "a custom tag for every record of the run; repeatable. KEY: 1-64 of A-Z a-z 0-9 _ . -",
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


def start_options(
    name: object = None,
    tags: object = None,
    keras: object = True,
    batch_interval: object = DEFAULT_BATCH_INTERVAL,
    loggers: object = (),
    system_interval: object = None,
) -> RunOptions:
    """`tflog.kernel.start(...)`'s arguments → RunOptions, checked as the magic's
    options are, before anything starts: a mistake raises one TypeError or
    ValueError naming the argument (later, it would fail in a hook or thread)."""
    where = "tflog.kernel.start"
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{where}: name must be a string or None, not {type(name).__name__}")
    if not isinstance(keras, bool):
        raise TypeError(f"{where}: keras must be True or False, not {keras!r}")
    return RunOptions(
        name=name,
        tags=_start_tags(tags, where),
        keras=keras,
        batch_interval=_start_seconds("batch_interval", batch_interval, where),
        loggers=_start_loggers(loggers, where),
        system_interval=_start_system_interval(system_interval, where),
    )


def _start_seconds(argument: str, value: object, where: str) -> float:
    # bool is an int: True seconds is a mistake. NumPy floats are numbers.Real.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: {argument} must be a number of seconds, not {type(value).__name__}"
        )
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{where}: {argument} must be a number of seconds >= 0, not {value!r}")
    return seconds


def _start_system_interval(value: object, where: str) -> Optional[float]:
    if value is None:
        return None
    seconds = _start_seconds("system_interval", value, where)
    if 0 < seconds < MIN_SYSTEM_INTERVAL:
        raise ValueError(
            f"{where}: system_interval must be 0 (off) or at least {MIN_SYSTEM_INTERVAL:g} "
            f"seconds, not {value!r}"
        )
    return seconds


def _start_tags(tags: object, where: str) -> Dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, abc.Mapping):
        raise TypeError(f"{where}: tags must be a dict of strings, not {type(tags).__name__}")
    checked: Dict[str, str] = {}
    for key, value in tags.items():
        # The spool's start record and the service take tags as text, as
        # `--tag KEY=VALUE` gives them.
        if not isinstance(key, str):
            raise TypeError(f"{where}: tag key {key!r} must be a string")
        if not TAG_KEY.fullmatch(key):
            raise ValueError(
                f"{where}: tag key {key!r} must be 1-64 characters of A-Z a-z 0-9 _ . -"
            )
        # A number or a flag is taken as `--tag KEY=VALUE` would write it.
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, numbers.Real):
            value = str(value)
        if not isinstance(value, str):
            raise TypeError(
                f"{where}: tags[{key!r}] must be a string or a number, not {type(value).__name__}"
            )
        if len(value) > MAX_TAG_VALUE:
            raise ValueError(f"{where}: tags[{key!r}] is longer than {MAX_TAG_VALUE} characters")
        checked[key] = value
    return checked


def _start_loggers(loggers: object, where: str) -> Tuple[str, ...]:
    if isinstance(loggers, str) or not isinstance(loggers, abc.Iterable):
        raise TypeError(f"{where}: loggers must be a list of logger names, not {loggers!r}")
    names = tuple(loggers)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{where}: loggers: {name!r} is not a logger name (a string)")
        try:
            logger_name(name)
        except argparse.ArgumentTypeError:
            raise ValueError(f"{where}: loggers: {name!r} is not a logger name") from None
    return names


LINE_DESCRIPTION = """\
Capture a training run: Python logging records, everything written to stdout
and stderr (progress bars included), and exact Keras metrics and
hyperparameters from Model.fit. Records are spooled to disk and shipped by the
tflog service; see them in JupyterLab's tflog panel.

One run at a time: starting a run while another is active ends the active one
with status 'stopped' (and says so). Past runs: `%tflog runs` lists them,
`%tflog show` draws one's curves in the notebook."""


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
    runs = commands.add_parser(
        "runs",
        help="show a table of past runs (all notebooks', newest first), filtered",
        description="A table of runs: status, name, id, notebook, start, duration, final "
        "metrics, tags. Read from the tflog service; the summaries from Python: tflog.runs().",
    )
    _add_runs_options(runs)
    show = commands.add_parser(
        "show",
        help="draw a run's metric curves in the cell's output (kept in the saved notebook)",
        description="Draw a run's curves as an SVG figure (one panel per metric, train and "
        "validation together, non-finite values marked) and a text summary of the last "
        "values. The same from Python: tflog.show().",
    )
    _add_show_options(show)
    return parser, {
        "start": start,
        "stop": stop,
        "status": status,
        "notebook": notebook,
        "export": export,
        "runs": runs,
        "show": show,
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
    if words[0] in ("-h", "--help") or words == ["help"]:
        raise HelpRequested(full_help())
    parser, commands = line_parsers()
    namespace, extra = parser.parse_known_args(words)
    if extra:
        # Name the command whose options were wrong, not just "%tflog"; an
        # unknown option before any command has no command to name.
        commands.get(namespace.action, parser).error("unrecognized arguments: " + " ".join(extra))
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
    if namespace.action == "runs":
        return Command(
            "runs",
            runs=RunsOptions(
                notebook=namespace.notebook,
                this_notebook=namespace.this_notebook,
                status=tuple(namespace.status),
                tags=tuple(namespace.tags),
                hparams=tuple(namespace.hparams),
                since=namespace.since,
                search=namespace.search,
                sort=namespace.sort,
                order=namespace.order,
                limit=namespace.limit,
            ),
        )
    if namespace.action == "show":
        return Command(
            "show",
            show=ShowOptions(
                run=namespace.run,
                metrics=tuple(namespace.metrics),
                axis=namespace.axis,
                width=namespace.width,
            ),
        )
    return Command(namespace.action)


def parse_cell_line(line: str) -> RunOptions:
    """`%%tflog ...` → RunOptions. Raises OptionsError or HelpRequested."""
    return _run_options(cell_parser().parse_args(_split(line, "%%tflog")))
