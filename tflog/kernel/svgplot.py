"""Metric curves as a standalone SVG document, built with the standard library.

`%tflog show` puts this SVG in the cell's output, so a saved notebook keeps
the figure and any viewer shows it without the extension. One panel per base
metric (`loss` with `val_loss`), one line per series; non-finite values break
the line and are marked at the panel's edge. Colours are fixed on a white
background: the figure is an image and cannot follow the viewer's theme.
"""

import html
import math
import re
import time
from typing import List, NamedTuple, Optional, Sequence, Tuple

AXES = ("step", "epoch", "time")
DEFAULT_WIDTH = 720
MIN_WIDTH = 240
MAX_WIDTH = 2400
PANEL_HEIGHT = 210
TITLE_HEIGHT = 44
MARGIN_LEFT = 62
MARGIN_RIGHT = 14
MARGIN_TOP = 28
MARGIN_BOTTOM = 34
TICK_COUNT = 5
# Two panels side by side from this figure width on.
TWO_COLUMNS_FROM = 640
# Colours that read on white; red is kept for the non-finite marks.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
NONFINITE_COLOR = "#d62728"
TEXT_COLOR = "#333333"
GRID_COLOR = "#e6e6e6"
FRAME_COLOR = "#b0b0b0"
# XML 1.0 refuses these characters even escaped; lone surrogates cannot be encoded.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
TIME_STEPS_S = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    172800,
    604800,
    1209600,
    2592000,
    7776000,
    31536000,
)


class Point(NamedTuple):
    x: float
    y: Optional[float]  # None: not finite
    nonfinite: Optional[str] = None  # "NaN", "Infinity", "-Infinity"


class Line(NamedTuple):
    label: str
    points: Sequence[Point]
    dashed: bool = False


class Panel(NamedTuple):
    title: str
    lines: Sequence[Line]


def text(value: object) -> str:
    """Text or an attribute value, escaped for SVG (hostile names included)."""
    return html.escape(NOT_XML.sub("\ufffd", str(value)), quote=True)


def coordinate(value: float) -> str:
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def nice_step(span: float, count: int = TICK_COUNT) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about `count` ticks."""
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def padded(low: float, high: float, whole: bool = False) -> Tuple[float, float]:
    """A range with some width: a single value gets room on both sides."""
    if high > low:
        return low, high
    if whole:
        return low - 1, high + 1
    pad = abs(low) * 0.1 or 1.0
    return low - pad, high + pad


def number_ticks(low: float, high: float, whole: bool = False) -> Tuple[float, float, List[float]]:
    """The domain widened to whole steps, and its ticks. `whole`: integer steps."""
    low, high = padded(low, high, whole)
    step = nice_step(high - low)
    if whole:
        step = max(1.0, round(step))
    start = math.floor(low / step) * step
    end = math.ceil(high / step) * step
    count = int(round((end - start) / step))
    ticks = [start + index * step for index in range(count + 1)]
    return start, end, ticks


def time_ticks(low_ms: float, high_ms: float) -> Tuple[float, float, List[float], float]:
    """Ticks on the time axis at round seconds, minutes, hours or days."""
    if high_ms <= low_ms:
        low_ms, high_ms = low_ms - 30_000, high_ms + 30_000
    wanted = (high_ms - low_ms) / 1000 / TICK_COUNT
    step_s = next((step for step in TIME_STEPS_S if step >= wanted), TIME_STEPS_S[-1])
    step_ms = step_s * 1000.0
    first = math.ceil(low_ms / step_ms) * step_ms
    ticks = []
    tick = first
    while tick <= high_ms:
        ticks.append(tick)
        tick += step_ms
    return low_ms, high_ms, ticks, step_s


def number_label(value: float, step: float) -> str:
    """A tick label with as many decimals as the step needs (all labels of an
    axis alike), and no `-0`."""
    decimals = min(10, max(0, -int(math.floor(math.log10(step))))) if step > 0 else 0
    magnitude = abs(value)
    if magnitude < abs(step) * 1e-9 or magnitude == 0:
        # Float noise of a tick at zero (0.1 * 3 - 0.3).
        return f"{0:.{decimals}f}"
    if magnitude >= 1e6 or magnitude < 1e-4:
        return f"{value:.2e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    return f"{value:.{decimals}f}"


def time_label(value_ms: float, step_s: float, span_ms: float) -> str:
    moment = time.gmtime(value_ms / 1000)
    if step_s >= 86400:
        return time.strftime("%Y-%m-%d", moment)
    if span_ms >= 2 * 86400_000:
        return time.strftime("%m-%d %H:%M", moment)
    if step_s >= 60:
        return time.strftime("%H:%M", moment)
    return time.strftime("%H:%M:%S", moment)


def value_text(value: float) -> str:
    """A value in a tooltip or summary: four significant digits."""
    return f"{value:.4g}"


class _Scale:
    """Maps a domain onto a pixel range (the y range runs upwards)."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        share = (value - self.low) / span if span else 0.5
        return self.start + share * (self.end - self.start)


Domain = Tuple[float, float, List[float], List[str]]  # low, high, ticks, tick labels


def _number_domain(low: float, high: float, whole: bool = False) -> Domain:
    low, high, ticks = number_ticks(low, high, whole)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return low, high, ticks, [number_label(tick, step) for tick in ticks]


def _x_domain(panel: Panel, axis: str) -> Optional[Domain]:
    xs = [point.x for line in panel.lines for point in line.points]
    if not xs:
        return None
    low, high = min(xs), max(xs)
    if axis == "time":
        low, high, ticks, step_s = time_ticks(low, high)
        span = high - low
        return low, high, ticks, [time_label(tick, step_s, span) for tick in ticks]
    return _number_domain(low, high, whole=True)


def _y_domain(panel: Panel) -> Optional[Domain]:
    ys = [point.y for line in panel.lines for point in line.points if point.y is not None]
    if not ys:
        return None
    return _number_domain(min(ys), max(ys))


def _segments(points: Sequence[Point]) -> List[List[Point]]:
    """Runs of finite points: a non-finite value breaks the line."""
    segments: List[List[Point]] = [[]]
    for point in sorted(points, key=lambda point: point.x):
        if point.y is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(point)
    return [segment for segment in segments if segment]


def _legend(panel: Panel, colors: Sequence[str], right: float, y: float) -> List[str]:
    parts: List[str] = []
    for line, color in reversed(list(zip(panel.lines, colors))):
        label_width = 6.2 * len(line.label)
        label_x = right - label_width
        sample_end = label_x - 4
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        parts.append(
            f'<line x1="{coordinate(sample_end - 18)}" y1="{coordinate(y - 4)}" '
            f'x2="{coordinate(sample_end)}" y2="{coordinate(y - 4)}" stroke="{color}" '
            f'stroke-width="2"{dash}/>'
            f'<text x="{coordinate(label_x)}" y="{coordinate(y)}">{text(line.label)}</text>'
        )
        right = sample_end - 30
    return parts


def _panel(
    panel: Panel, axis: str, left: float, top: float, width: float, colors: Sequence[str]
) -> List[str]:
    plot_left, plot_right = left + MARGIN_LEFT, left + width - MARGIN_RIGHT
    plot_top, plot_bottom = top + MARGIN_TOP, top + PANEL_HEIGHT - MARGIN_BOTTOM
    parts = [
        f'<g class="panel"><text x="{coordinate(plot_left)}" y="{coordinate(top + 16)}" '
        f'font-weight="bold">{text(panel.title)}</text>'
    ]
    parts.extend(_legend(panel, colors, plot_right, top + 16))
    parts.append(
        f'<rect x="{coordinate(plot_left)}" y="{coordinate(plot_top)}" '
        f'width="{coordinate(plot_right - plot_left)}" '
        f'height="{coordinate(plot_bottom - plot_top)}" fill="none" stroke="{FRAME_COLOR}"/>'
    )
    x_domain, y_domain = _x_domain(panel, axis), _y_domain(panel)
    if x_domain is None or y_domain is None:
        message = "no values" if x_domain is None else "no finite values"
        parts.append(
            f'<text x="{coordinate((plot_left + plot_right) / 2)}" '
            f'y="{coordinate((plot_top + plot_bottom) / 2)}" text-anchor="middle" '
            f'fill="#777777">{message}</text>'
        )
    x_scale = y_scale = None
    if x_domain is not None:
        low, high, ticks, labels = x_domain
        x_scale = _Scale(low, high, plot_left, plot_right)
        for tick, label in zip(ticks, labels):
            x = coordinate(x_scale(tick))
            parts.append(
                f'<line x1="{x}" y1="{coordinate(plot_top)}" x2="{x}" '
                f'y2="{coordinate(plot_bottom)}" stroke="{GRID_COLOR}"/>'
                f'<text x="{x}" y="{coordinate(plot_bottom + 14)}" '
                f'text-anchor="middle">{text(label)}</text>'
            )
        parts.append(
            f'<text x="{coordinate(plot_right)}" y="{coordinate(plot_bottom + 28)}" '
            f'text-anchor="end" fill="#777777">{axis}</text>'
        )
    if y_domain is not None:
        low, high, ticks, labels = y_domain
        y_scale = _Scale(low, high, plot_bottom, plot_top)
        for tick, label in zip(ticks, labels):
            y = coordinate(y_scale(tick))
            parts.append(
                f'<line x1="{coordinate(plot_left)}" y1="{y}" x2="{coordinate(plot_right)}" '
                f'y2="{y}" stroke="{GRID_COLOR}"/>'
                f'<text x="{coordinate(plot_left - 6)}" y="{y}" text-anchor="end" '
                f'dominant-baseline="middle">{text(label)}</text>'
            )
    if x_scale is not None:
        for line, color in zip(panel.lines, colors):
            parts.extend(_line(line, color, x_scale, y_scale, axis, plot_top, plot_bottom))
    parts.append("</g>")
    return parts


def _line(
    line: Line,
    color: str,
    x_scale: _Scale,
    y_scale: Optional[_Scale],
    axis: str,
    plot_top: float,
    plot_bottom: float,
) -> List[str]:
    parts: List[str] = []
    dash = ' stroke-dasharray="5 3"' if line.dashed else ""
    if y_scale is not None:
        commands = []
        for segment in _segments(line.points):
            xy = [(x_scale(point.x), y_scale(point.y or 0.0)) for point in segment]
            if len(xy) == 1:
                # A lone point between non-finite values: a dot, not an invisible path.
                parts.append(
                    f'<circle cx="{coordinate(xy[0][0])}" cy="{coordinate(xy[0][1])}" r="2" '
                    f'fill="{color}"/>'
                )
            commands.append("M" + " L".join(f"{coordinate(x)} {coordinate(y)}" for x, y in xy))
        if commands:
            parts.append(
                f'<path class="series" data-series="{text(line.label)}" '
                f'd="{" ".join(commands)}" fill="none" stroke="{color}" '
                f'stroke-width="1.6"{dash}/>'
            )
    for point in line.points:
        if point.y is not None:
            continue
        kind = point.nonfinite or "NaN"
        # +Infinity and NaN at the top edge, -Infinity at the bottom.
        y = plot_bottom - 5 if kind == "-Infinity" else plot_top + 5
        x = x_scale(point.x)
        where = time_label(point.x, 1, 0) + " UTC" if axis == "time" else f"{axis} {point.x:g}"
        parts.append(
            f'<path class="nonfinite" d="M{coordinate(x - 3.5)} {coordinate(y - 3.5)} '
            f"L{coordinate(x + 3.5)} {coordinate(y + 3.5)} M{coordinate(x - 3.5)} "
            f'{coordinate(y + 3.5)} L{coordinate(x + 3.5)} {coordinate(y - 3.5)}" '
            f'stroke="{NONFINITE_COLOR}" stroke-width="2">'
            f"<title>{text(line.label)}: {kind} at {text(where)}</title></path>"
        )
    return parts


def render(
    title: str,
    subtitle: str,
    panels: Sequence[Panel],
    axis: str = "step",
    width: int = DEFAULT_WIDTH,
) -> str:
    """The figure: `title` and `subtitle` above a grid of `panels`."""
    if axis not in AXES:
        raise ValueError(f"axis must be one of {', '.join(AXES)}, not {axis!r}")
    width = max(MIN_WIDTH, min(MAX_WIDTH, int(width)))
    columns = 2 if width >= TWO_COLUMNS_FROM and len(panels) > 1 else 1
    rows = max(1, math.ceil(len(panels) / columns))
    height = TITLE_HEIGHT + rows * PANEL_HEIGHT
    panel_width = width / columns
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
        f'fill="{TEXT_COLOR}">',
        f"<title>{text(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{text(title)}</text>',
        f'<text x="10" y="36" fill="#666666">{text(subtitle)}</text>',
    ]
    if not panels:
        parts.append(
            f'<text x="{width // 2}" y="{TITLE_HEIGHT + PANEL_HEIGHT // 2}" '
            'text-anchor="middle" fill="#777777">no metrics recorded</text>'
        )
    for index, panel in enumerate(panels):
        row, column = divmod(index, columns)
        colors = [PALETTE[(index + offset) % len(PALETTE)] for offset in range(len(panel.lines))]
        if len(panel.lines) == 2 and panel.lines[1].dashed:
            # A train/validation pair: one colour, the validation dashed.
            colors = [colors[0], colors[0]]
        parts.extend(
            _panel(
                panel,
                axis,
                column * panel_width,
                TITLE_HEIGHT + row * PANEL_HEIGHT,
                panel_width,
                colors,
            )
        )
    parts.append("</svg>")
    return "\n".join(parts)
