"""What `%tflog status` and the magics tell the user."""

import sys
import time
from typing import Any, List, Optional, TextIO

from tflog.kernel import state
from tflog.kernel.diagnostics import DIAGNOSTICS
from tflog.kernel.paths import default_spool_dir
from tflog.kernel.run import RUNS, Run


def real_stdout() -> TextIO:
    """The stdout under our tee: tflog's own messages are never captured."""
    stream = sys.stdout
    while getattr(stream, "tflog_original", None) is not None:
        stream = stream.tflog_original
    return stream


def say(text: str) -> None:
    stream = real_stdout()
    stream.write(text + "\n")
    stream.flush()


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def _spool_lines(stats: Any) -> List[str]:
    lines = [
        f"  spool file: {stats.path}",
        f"  records: {stats.written} written, {stats.queued + stats.unwritten} waiting, "
        f"{stats.dropped} dropped",
    ]
    if stats.failure:
        lines.append(f"  spool unwritable: {stats.failure} (retrying; training goes on)")
    elif stats.last_failure:
        lines.append(f"  spool was unwritable earlier: {stats.last_failure}")
    return lines


def run_lines(run: Run, active: bool) -> List[str]:
    started = "started " + _when(run.started)
    how = "%%tflog cell" if run.kind == "cell" else "%tflog start"
    header = (
        ("tflog: " if active else "")
        + f"run {run.label}: "
        + (f"active, {started} ({how})" if active else f"{run.status}, {started}")
    )
    lines = [header]
    if run.tags:
        lines.append("  tags: " + ", ".join(f"{k}={v}" for k, v in sorted(run.tags.items())))
    ctx = run.context
    lines.append(
        f"  notebook: {ctx.get('notebook') or '(unknown)'}, kernel: "
        f"{ctx.get('kernel_id') or '(unknown)'}, user: {ctx.get('user')}"
    )
    if run.keras_enabled:
        lines.append(f"  keras: metrics callback on, batch metrics every {run.batch_interval:g}s")
    else:
        lines.append("  keras: callback off (--no-keras)")
    lines.append("  " + system_line(run))
    # Live even for an ended run: an item put after its end counts as dropped then.
    stats = run.writer.stats()
    lines.extend(_spool_lines(stats))
    return lines


def system_line(run: Run) -> str:
    sampler = run.system
    if sampler is None:
        return "system metrics: off"
    line = f"system metrics: every {sampler.interval:g}s"
    if sampler.gpu_source is not None:
        line += f", {sampler.gpu_count} GPU(s) through {sampler.gpu_source}"
    elif sampler.no_gpu is not None:
        line += f", no GPU ({sampler.no_gpu})"
    return line + f", {sampler.samples} samples"


def status_text() -> str:
    active = state.active_run
    if active is not None:
        lines = run_lines(active, True)
    else:
        lines = ["tflog: no active run"]
        if RUNS.last is not None:
            lines.append("last run:")
            lines.extend("  " + line for line in run_lines(RUNS.last, False))
        lines.append(f"  spool directory: {RUNS.spool_dir or default_spool_dir()}")
    if RUNS.notebook:
        lines.append(f"  notebook path (from the frontend): {RUNS.notebook}")
    errors = DIAGNOSTICS.summary()
    if errors:
        lines.append("  tflog internal errors (training was not affected):")
        lines.extend(f"    {where}: {what}" for where, what in errors.items())
    return "\n".join(lines)


def problems_after(run: Run) -> Optional[str]:
    """A one-line notice when a finished run lost records; None when all is well."""
    stats = run.final_stats
    if stats is None or not stats.dropped:
        return None
    return (
        f"tflog: run {run.label} ended {run.status}; {stats.dropped} records could not be "
        f"spooled ({stats.last_failure or 'queue full'}). See %tflog status."
    )
