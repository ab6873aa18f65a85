"""The parse benchmark's pure parts: its generated input and its figures."""

import importlib
import importlib.util
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
report = importlib.import_module("report")
# bench/parse.py under a name of its own: `parse` is also a PyPI package's.
_spec = importlib.util.spec_from_file_location("tflog_bench_parse", BENCH / "parse.py")
parse_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(parse_bench)


def visible_lines(text: str) -> int:
    """Segments cut at every newline and carriage return that hold something."""
    return sum(1 for segment in re.split(r"[\r\n]", text) if segment)


def test_the_input_holds_exactly_the_lines_asked_for_and_is_the_same_each_time(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    counts = parse_bench.write_input(first, 20_000, seed=3)
    parse_bench.write_input(second, 20_000, seed=3)
    text = first.read_bytes().decode("utf-8")
    assert text == second.read_bytes().decode("utf-8")
    assert visible_lines(text) == 20_000
    assert sum(counts[kind] for kind, _ in parse_bench.MIX) == 20_000
    # Lines that carry values: what the benchmark checks the parse output against.
    assert 0 < counts["with_metrics"] < 20_000


def test_the_input_mixes_the_kinds_in_their_shares(tmp_path):
    counts = parse_bench.write_input(tmp_path / "mix.txt", 50_000, seed=7)
    for kind, share in parse_bench.MIX:
        assert counts[kind] / 50_000 == pytest.approx(share, abs=0.05), kind


def test_keras_bars_come_as_keras_writes_them(tmp_path):
    path = tmp_path / "mix.txt"
    parse_bench.write_input(path, 5_000, seed=1)
    text = path.read_bytes().decode("utf-8")
    # Keras 3: colours, bars of ━, and '\b' runs before the next '\r'.
    assert re.search(r"\x1b\[1m *\d+/\d+\x1b\[0m \x1b\[32m━*\x1b\[0m", text)
    assert "\b\r" in text
    # Keras 2: [====>....] with ETA, then a final line ended by '\n'.
    assert re.search(r"\d+/\d+ \[=*>\.*\] - ETA: 0s - loss: ", text)
    assert re.search(r"\[={30}\] - 1s 9ms/step - loss: [\d.]+ .* - val_accuracy: [\d.]+\n", text)


def test_the_spread_of_the_repeats():
    figure = parse_bench.spread([100.0, 300.0, 200.0, 400.0, 500.0])
    assert figure["median"] == 300
    assert (figure["min"], figure["max"]) == (100, 500)
    assert figure["samples"] == [100, 300, 200, 400, 500]
    assert figure["iqr"][0] <= 300 <= figure["iqr"][1]
    assert parse_bench.spread([7.0])["iqr"] == [7, 7]


def test_the_report_checks_the_parse_goal():
    results = {
        "parse.lines_per_s": 150_000,
        "parse.floor_lines_per_s": 300_000,
        "parse.ratio_to_floor": 0.5,
    }
    lines = report.report_lines(results, ["parse"])
    assert any("parse.lines_per_s" in line and "150000" in line for line in lines)
    assert any(
        line.split()[:2] == ["parse.lines_per_s", ">="] and "missed" in line for line in lines
    )
    results["parse.lines_per_s"] = 210_000
    lines = report.report_lines(results, ["parse"])
    assert any(
        line.split()[:2] == ["parse.lines_per_s", ">="] and line.endswith("met") for line in lines
    )
