"""The server extension exports its root directory to the kernels it starts."""

import os

from tflog.kernel import context
from tflog.server.extension import export_server_root


def test_kernels_learn_the_server_root(monkeypatch, tmp_path):
    monkeypatch.delenv("TFLOG_SERVER_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    root = export_server_root("work")
    assert root == os.environ["TFLOG_SERVER_ROOT"] == str(tmp_path / "work")
    # What a kernel started for work/proj/train.ipynb then names its notebook.
    session = os.path.join(root, "proj", "train.ipynb")
    kernel_env = dict(os.environ, JPY_SESSION_NAME=session)
    assert context.detect_notebook(None, kernel_env) == "proj/train.ipynb"
