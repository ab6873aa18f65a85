"""The `%tflog` line magic and `%%tflog` cell magic (IPython glue only)."""

import logging
from typing import Any, Callable, Dict, Optional, Tuple

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from tflog import ExportError, HistoryError, ServiceError
from tflog.kernel import run as runs
from tflog.kernel import state
from tflog.kernel.diagnostics import INTERNAL_LOGGER_NAME, at
from tflog.kernel.options import (
    ExportOptions,
    HelpRequested,
    OptionsError,
    RunOptions,
    RunsOptions,
    ShowOptions,
    parse_cell_line,
    parse_line,
)
from tflog.kernel.report import problems_after, say, status_text

internal_logger = logging.getLogger(INTERNAL_LOGGER_NAME)


@magics_class
class TflogMagics(Magics):
    @line_cell_magic
    def tflog(self, line: str, cell: Optional[str] = None) -> None:
        """Capture training runs; `%tflog --help` lists every command and option."""
        try:
            if cell is None:
                command = parse_line(line)
            else:
                options = parse_cell_line(line)
        except HelpRequested as requested:
            say(requested.text.rstrip("\n"))
            return
        except OptionsError as error:
            # IPython shows a UsageError as one line, without a traceback.
            raise UsageError(f"{error}\nSee %tflog --help.") from None
        if cell is None and command.action == "export" and command.export is not None:
            self._export(command.export)
        elif cell is None and command.action == "runs" and command.runs is not None:
            self._history("runs", lambda: self._runs_table(command.runs))
        elif cell is None and command.action == "show" and command.show is not None:
            self._history("show", lambda: self._figure(command.show))
        elif cell is None:
            self._line(command)
        else:
            self._cell(options, cell)

    def _line(self, command: Any) -> None:
        try:
            if command.action == "start":
                run = runs.start_run(command.run, "line", notify=say)
                say(f"tflog: run {run.label} started; spooling to {run.path}")
            elif command.action == "stop":
                stopped = runs.stop_active("stopped")
                if stopped is None:
                    say("tflog: no active run")
                else:
                    say(problems_after(stopped) or f"tflog: run {stopped.label} stopped")
            elif command.action == "notebook":
                runs.set_notebook_path(command.path)
                say(f"tflog: notebook path set to {command.path}")
            else:
                say(status_text())
        except Exception:
            internal_logger.exception("magic failed", extra=at(f"%tflog {command.action}"))

    def _export(self, options: ExportOptions) -> None:
        from tflog.kernel.export import export

        try:
            exported = export(
                path=options.path,
                format=options.format,
                notebook=options.notebook,
                all_notebooks=options.all_notebooks,
                status=options.status,
                default_path=True,
            )
        except (ExportError, ServiceError) as error:
            raise UsageError(f"%tflog export: {error}") from None
        except Exception as error:
            internal_logger.exception("export failed", extra=at("%tflog export"))
            raise UsageError(
                f"%tflog export failed: {type(error).__name__}: {error} (see %tflog status)"
            ) from None
        count = len(exported.rows)
        say(
            f"tflog: {count} run{'' if count == 1 else 's'} of {exported.scope} written to "
            f"{exported.path} ({exported.format})"
        )

    @staticmethod
    def _runs_table(options: RunsOptions) -> Dict[str, str]:
        from tflog.kernel import history

        found = history.runs(
            notebook=options.notebook,
            this_notebook=options.this_notebook,
            status=options.status,
            tags=options.tags,
            hparams=options.hparams,
            since=options.since,
            search=options.search,
            sort=options.sort,
            order=options.order,
            # One more than shown tells whether more runs match.
            limit=options.limit + 1,
        )
        return history.runs_table(found[: options.limit], more=len(found) > options.limit)

    @staticmethod
    def _figure(options: ShowOptions) -> Dict[str, str]:
        from tflog.kernel import history

        return history.figure(options.run, options.metrics, options.axis, options.width)

    @staticmethod
    def _history(action: str, build: Callable[[], Dict[str, str]]) -> None:
        from tflog.kernel.history import publish

        try:
            bundle = build()
        except (HistoryError, ServiceError) as error:
            raise UsageError(f"%tflog {action}: {error}") from None
        except Exception as error:
            internal_logger.exception(f"{action} failed", extra=at(f"%tflog {action}"))
            raise UsageError(
                f"%tflog {action} failed: {type(error).__name__}: {error} (see %tflog status)"
            ) from None
        publish(bundle)

    def _cell(self, options: RunOptions, cell: str) -> None:
        run = None
        try:
            run = runs.start_run(options, "cell", notify=say)
        except Exception:
            # The user's cell runs anyway, only without capture.
            internal_logger.exception("start failed", extra=at("%%tflog start"))
        shell = self.shell
        outer = getattr(shell.displayhook, "exec_result", None)
        result = None
        try:
            result = shell.run_cell(cell)
        finally:
            if outer is not None:
                shell.displayhook.exec_result = outer
            if run is not None:
                self._end_cell_run(run, result)
        self._report_failure_to_outer(outer, result)

    def _end_cell_run(self, run: runs.Run, result: Any) -> None:
        try:
            status, error = self._outcome(result)
            if runs.end_run(run, status, error) is not None:
                notice = problems_after(run)
                if notice:
                    say(notice)
        except Exception:
            internal_logger.exception("end failed", extra=at("%%tflog end"))
        finally:
            if state.active_run is run:
                # Should the end above have failed half-way: never leave
                # capture running past the cell.
                run.end("interrupted")

    def _outcome(self, result: Any) -> Tuple[str, Optional[dict]]:
        if result is None:
            # run_cell itself was interrupted (KeyboardInterrupt outside the cell).
            return "interrupted", None
        error = result.error_before_exec or result.error_in_exec
        if error is None:
            return "finished", None
        if isinstance(error, KeyboardInterrupt):
            return "interrupted", None
        return "failed", runs.describe_exception(error, self.shell.user_global_ns)

    @staticmethod
    def _report_failure_to_outer(outer: Any, result: Any) -> None:
        """Makes the %%tflog cell itself fail when its body failed.

        The body ran in a nested run_cell, which displayed the traceback. The
        kernel's reply (status 'error', ename, which stops "run all") comes
        from the outer cell's result, so the body's error is copied there
        rather than raised again (which would show a second traceback).
        """
        if outer is None or result is None or result.success:
            return
        if outer.error_in_exec is None and outer.error_before_exec is None:
            outer.error_in_exec = result.error_before_exec or result.error_in_exec


def register(ipython: Any) -> None:
    ipython.register_magics(TflogMagics)


def unregister(ipython: Any) -> None:
    magics = getattr(getattr(ipython, "magics_manager", None), "magics", {})
    for kind in ("line", "cell"):
        magics.get(kind, {}).pop("tflog", None)
