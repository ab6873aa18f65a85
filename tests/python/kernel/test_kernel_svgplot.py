"""The standard-library SVG figure of `%tflog show`: well-formed XML whatever
the names, readable ticks, lines broken and marked at non-finite values, and
constant, empty and missing series drawn without numbers going astray."""

import re
import xml.etree.ElementTree as ElementTree

import pytest

from tflog.kernel import svgplot
from tflog.kernel.svgplot import Line, Panel, Point, render

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def parsed(svg):
    return ElementTree.fromstring(svg)


def elements(root, tag, css_class=None):
    return [
        element
        for element in root.iter(SVG + tag)
        if css_class is None or element.get("class") == css_class
    ]


def texts(root):
    return [element.text for element in root.iter(SVG + "text")]


def coordinates(root):
    """Every number in every path and position attribute."""
    values = []
    for element in root.iter():
        for name in ("d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy"):
            if element.get(name) is not None:
                values.append(element.get(name))
    return " ".join(values)


def line(label, values, dashed=False):
    points = []
    for x, value in enumerate(values):
        if isinstance(value, str):
            points.append(Point(x, None, value))
        else:
            points.append(Point(x, value))
    return Line(label, points, dashed)


def test_a_train_and_validation_pair_share_a_panel_and_a_colour():
    svg = render(
        "mnist — finished",
        "run 1",
        [Panel("loss", [line("loss", [2.0, 1.0, 0.5]), line("val_loss", [2.2, 1.3, 0.9], True)])],
    )
    root = parsed(svg)
    paths = elements(root, "path", "series")
    assert [path.get("data-series") for path in paths] == ["loss", "val_loss"]
    assert paths[0].get("stroke") == paths[1].get("stroke")
    assert paths[1].get("stroke-dasharray") and not paths[0].get("stroke-dasharray")
    assert root.get("width") == "720"
    assert "mnist — finished" in texts(root)


def test_ticks_are_round_numbers():
    root = parsed(render("t", "", [Panel("loss", [line("loss", [0.03, 0.92, 0.41])])]))
    y_labels = [e.text for e in root.iter(SVG + "text") if e.get("dominant-baseline")]
    assert y_labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    x_labels = [e.text for e in root.iter(SVG + "text") if e.get("text-anchor") == "middle"]
    # The x axis counts whole steps.
    assert x_labels == ["0", "1", "2"]
    assert "step" in texts(root)


@pytest.mark.parametrize(
    "value, step, label",
    [
        (0.30000000000000004, 0.1, "0.3"),
        (-0.0, 0.5, "0.0"),
        (1500.0, 500.0, "1500"),
        (2e-05, 1e-05, "2.00e-5"),
        (3e7, 1e7, "3.00e7"),
        (-1e-17, 0.2, "0.0"),
        (-1e-17, 1.0, "0"),
    ],
)
def test_number_labels(value, step, label):
    assert svgplot.number_label(value, step) == label


def test_time_ticks_are_clock_times():
    start = 1769853600000.0  # 2026-01-31T10:00:00Z
    panel = Panel("loss", [Line("loss", [Point(start, 1.0), Point(start + 600_000, 0.5)])])
    labels = texts(parsed(render("t", "", [panel], axis="time")))
    assert "10:00" in labels and "10:10" in labels and "time" in labels
    # Half a year of samples: a handful of ticks, with dates.
    months = Panel("gpu", [Line("gpu", [Point(start, 1.0), Point(start + 180 * 86400_000, 2.0)])])
    root = parsed(render("t", "", [months], axis="time"))
    x_labels = [e.text for e in root.iter(SVG + "text") if e.get("text-anchor") == "middle"]
    assert 2 <= len(x_labels) <= 8 and x_labels[0] == "2026-03-08"


def test_non_finite_values_break_the_line_and_are_marked():
    values = [1.0, 0.8, "NaN", 0.6, "Infinity", 0.5, 0.4]
    root = parsed(render("t", "", [Panel("loss", [line("loss", values)])]))
    (path,) = elements(root, "path", "series")
    assert path.get("d").count("M") == 3
    marks = elements(root, "path", "nonfinite")
    assert [mark.find(SVG + "title").text for mark in marks] == [
        "loss: NaN at step 2",
        "loss: Infinity at step 4",
    ]
    # A lone finite point between two non-finite ones is drawn as a dot.
    assert len(elements(root, "circle")) == 1
    assert "nan" not in coordinates(root).lower() and "inf" not in coordinates(root).lower()


def test_a_constant_series_gets_a_range_around_its_value():
    root = parsed(render("t", "", [Panel("lr", [line("lr", [0.001, 0.001, 0.001])])]))
    (path,) = elements(root, "path", "series")
    ys = {float(pair.split()[1]) for pair in path.get("d")[1:].split(" L")}
    assert len(ys) == 1
    (y,) = ys
    top = svgplot.TITLE_HEIGHT + svgplot.MARGIN_TOP
    assert top < y < svgplot.TITLE_HEIGHT + svgplot.PANEL_HEIGHT - svgplot.MARGIN_BOTTOM
    assert "nan" not in coordinates(root).lower()


def test_empty_and_all_nan_series_say_so():
    root = parsed(
        render(
            "t",
            "",
            [Panel("acc", [line("acc", [])]), Panel("loss", [line("loss", ["NaN", "NaN"])])],
        )
    )
    assert "no values" in texts(root) and "no finite values" in texts(root)
    assert len(elements(root, "path", "nonfinite")) == 2
    assert elements(root, "path", "series") == []


def test_no_panels_at_all():
    root = parsed(render("t", "", []))
    assert "no metrics recorded" in texts(root)


def test_hostile_names_stay_text():
    name = 'loss</text><script>alert("x")</script>\x00\x1b\ud800'
    svg = render(name, "<b>&</b>", [Panel(name, [line(name, [1.0, "NaN"])])])
    root = parsed(svg)
    assert elements(root, "script") == []
    assert "<script" not in svg
    assert (
        root.find(SVG + "title").text == 'loss</text><script>alert("x")</script>\ufffd\ufffd\ufffd'
    )
    svg.encode("utf-8")  # no lone surrogate left


def test_two_columns_on_a_wide_figure_one_on_a_narrow():
    panels = [Panel(name, [line(name, [1.0, 2.0])]) for name in ("a", "b", "c")]
    wide = parsed(render("t", "", panels, width=800))
    narrow = parsed(render("t", "", panels, width=400))
    assert int(wide.get("height")) == svgplot.TITLE_HEIGHT + 2 * svgplot.PANEL_HEIGHT
    assert int(narrow.get("height")) == svgplot.TITLE_HEIGHT + 3 * svgplot.PANEL_HEIGHT
    with pytest.raises(ValueError, match="axis must be one of"):
        render("t", "", panels, axis="wall")
