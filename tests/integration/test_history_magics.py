"""`%tflog runs` and `%tflog show` in a real notebook, executed by nbclient on
a real kernel against a real tflog service (on the embedded store, and on
the harness's Elasticsearch): the table holds exactly the runs the filter
asks for, the figure has one line per series with the NaN marked, and both
outputs are saved in the notebook file, which nbconvert turns into a page
with the table and both figures, without tflog."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest
from harness import Service, http_json, wait_for
from nbclient import NotebookClient
from nbconvert import HTMLExporter

SVG = "{http://www.w3.org/2000/svg}"
NOTEBOOK = "work/history.ipynb"
HOSTILE_NAME = "alpha <&> one"

TRAINING_BY_EPOCH = f"""%%tflog '{HOSTILE_NAME}' --tag group=a
import tflog
tflog.log_hparams({{"lr": 0.1}})
for epoch, (loss, val_loss) in enumerate([(1.0, 1.1), (0.5, float("nan")), (0.25, 0.6)]):
    tflog.log({{"loss": loss, "val_loss": val_loss}}, epoch=epoch)
"""

TRAINING_BY_STEP = """%%tflog beta --tag group=b
import tflog
tflog.log_hparams({"lr": 0.01})
for step in range(20):
    tflog.log({"loss": 1.0 / (step + 1), "accuracy": step / 20}, step=step)
"""


@pytest.fixture(params=["embedded", "elasticsearch"])
def history_service(request, tmp_path: Path):
    """The service on the embedded store, or on the harness's Elasticsearch."""
    if request.param == "embedded":
        service = Service(tmp_path / "service", None, "tflog-it-")
    else:
        es_url = request.getfixturevalue("es_url")
        request.getfixturevalue("es")  # deletes the test's indices afterwards
        service = Service(tmp_path / "service", es_url, request.getfixturevalue("prefix"))
    service.start()
    yield service
    service.stop()


def outputs_of(cell) -> list:
    return [output for output in cell.outputs if output["output_type"] == "display_data"]


def series_paths(svg: str) -> dict[str, str]:
    root = ElementTree.fromstring(svg)
    return {
        element.get("data-series"): element.get("d")
        for element in root.iter(SVG + "path")
        if element.get("class") == "series"
    }


def test_runs_and_show_outputs_are_saved_in_the_notebook(history_service, tmp_path, monkeypatch):
    for name, value in {
        "TFLOG_SPOOL_DIR": str(history_service.spool_dir),
        "TFLOG_API_URL": f"http://127.0.0.1:{history_service.port}",
        "TFLOG_API_SOCKET": "",
        "TFLOG_SYSTEM_INTERVAL": "0",
        "JUPYTERHUB_USER": "alice",
    }.items():
        monkeypatch.setenv(name, value)  # the kernel inherits them
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%load_ext tflog"),
        nbformat.v4.new_code_cell(f"%tflog notebook {NOTEBOOK}"),
        nbformat.v4.new_code_cell(TRAINING_BY_EPOCH),
        nbformat.v4.new_code_cell(TRAINING_BY_STEP),
        nbformat.v4.new_code_cell("%tflog runs --tag group=a"),
        nbformat.v4.new_code_cell("%tflog show"),
        nbformat.v4.new_code_cell(f"%tflog show '{HOSTILE_NAME}' --metric loss --width 500"),
        nbformat.v4.new_code_cell("%tflog runs --hparam lr=1e-2 --since 1h"),
        nbformat.v4.new_code_cell("%tflog runs --this --sort min:loss --order asc"),
    ]
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    with client.setup_kernel():
        for index in range(4):
            client.execute_cell(notebook.cells[index], index)
        # Listed by name, as the store lists them: the default order also
        # lists the runs the service has shipped before the store lists them,
        # which a sort by a metric below does not.
        wait_for(
            lambda: (
                len(
                    http_json("GET", f"{history_service.api}/runs?status=finished&sort=name")[
                        "runs"
                    ]
                )
                == 2
            ),
            60,
            "two finished runs",
        )
        for index in range(4, len(notebook.cells)):
            client.execute_cell(notebook.cells[index], index)
    saved = tmp_path / "history.ipynb"
    nbformat.write(notebook, str(saved))
    cells = nbformat.read(str(saved), as_version=4).cells

    (table,) = outputs_of(cells[4])
    markup, text = table["data"]["text/html"], table["data"]["text/plain"]
    assert "alpha &lt;&amp;&gt; one" in markup and HOSTILE_NAME not in markup
    assert "beta" not in markup and "beta" not in text
    assert markup.count("<tr>") == 2  # the header and the one run of group a
    lines = text.splitlines()
    assert lines[0] == "tflog: 1 run"
    assert len(lines) == 3 and lines[2].startswith(f"finished  {HOSTILE_NAME}")
    assert "loss=0.25, val_loss=0.6" in lines[2] and "group=a" in lines[2]

    # This kernel's latest run (beta), on the step axis.
    (latest,) = outputs_of(cells[5])
    assert set(series_paths(latest["data"]["image/svg+xml"])) == {"loss", "accuracy"}
    summary = latest["data"]["text/plain"]
    assert summary.startswith("tflog: run beta — finished (")
    assert "  loss: last 0.05 at step 19" in summary

    # A run by name; it has only epochs, so the epoch axis.
    (by_name,) = outputs_of(cells[6])
    svg = by_name["data"]["image/svg+xml"]
    root = ElementTree.fromstring(svg)
    assert root.get("width") == "500"
    paths = series_paths(svg)
    assert set(paths) == {"loss", "val_loss"}
    assert len(re.findall("M", paths["val_loss"])) == 2  # broken at the NaN
    marks = [e for e in root.iter(SVG + "path") if e.get("class") == "nonfinite"]
    # The service counts epochs from 1, as Keras prints them.
    assert [mark.find(SVG + "title").text for mark in marks] == ["val_loss: NaN at epoch 2"]
    assert by_name["data"]["text/plain"].splitlines()[0].endswith("x axis: epoch")

    # Hyperparameters match as numbers; a sort by a metric's lowest value.
    (by_hparam,) = outputs_of(cells[7])
    lines = by_hparam["data"]["text/plain"].splitlines()
    assert lines[0] == "tflog: 1 run" and lines[2].startswith("finished  beta ")
    (sorted_runs,) = outputs_of(cells[8])
    names = [line.split("  ")[1] for line in sorted_runs["data"]["text/plain"].splitlines()[2:]]
    assert names == ["beta", HOSTILE_NAME]

    # Viewed without tflog: nbconvert's HTML has the table and both figures inline.
    page, _ = HTMLExporter().from_filename(str(saved))
    assert page.count('class="jp-tflog-runs-output"') == 3
    figures = [
        base64.b64decode(image).decode("utf-8")
        for image in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    ]
    assert len(figures) == 2
    assert [figure.count('class="nonfinite"') for figure in figures] == [0, 1]
    assert "<script>" not in page.split("alpha", 1)[1].split("</table>", 1)[0]
