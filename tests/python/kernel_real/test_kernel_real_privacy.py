"""A real ipykernel at DEBUG: a line run captures the user's logging, never
the kernel's own (which dumps execute requests with the cell's source).

Here rather than in tests/python/kernel: it needs ipykernel and
jupyter_client, which the Python 3.8 kernel-side suite does not install.
"""

import json
import os
import time
from pathlib import Path

import pytest

import tflog

CHECKOUT = str(Path(tflog.__file__).resolve().parents[1])
SECRET = "S3CRET-7f3a9c"


def spool_files(directory: Path) -> list:
    return sorted(Path(directory).glob("*.ndjson"))


def read_spool(path: Path) -> list:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def debug_kernel(tmp_path):
    from jupyter_client.manager import KernelManager

    spool = tmp_path / "spool"
    env = dict(os.environ, TFLOG_SPOOL_DIR=str(spool))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [CHECKOUT, env.get("PYTHONPATH")]))
    manager = KernelManager(kernel_name="python3")
    # --debug: the kernel application logs every message it handles at DEBUG.
    manager.start_kernel(env=env, extra_arguments=["--debug"])
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)

        def execute(code: str) -> None:
            reply = client.execute_interactive(code, timeout=60, output_hook=lambda _: None)
            assert reply["content"]["status"] == "ok", (code, reply["content"])

        yield client, execute, spool
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def requests_with_the_secret(client) -> None:
    """Completion, inspection and history requests: each is logged with its content."""
    client.complete(f"{SECRET.lower()}_x = 1; secret.up", 30, reply=True, timeout=30)
    client.inspect("secret", 6, reply=True, timeout=30)
    client.history(reply=True, timeout=30)
    client.comm_info(reply=True, timeout=30)


def test_a_line_run_leaves_the_kernels_own_logging_out(debug_kernel):
    client, execute, spool = debug_kernel
    execute("%load_ext tflog")
    execute("%tflog start private")
    execute(
        f"secret = {SECRET!r}\n"
        "import logging\n"
        "logging.basicConfig(level=logging.DEBUG, force=True)\n"
        "logging.getLogger('train').info('epoch 1 done')"
    )
    requests_with_the_secret(client)
    execute("import asyncio; print('after the requests')")
    execute("%tflog stop")

    (path,) = spool_files(spool)
    text = path.read_text(encoding="utf-8")
    records = read_spool(path)
    assert records[-1]["t"] == "end"
    loggers = {record["logger"] for record in records if record["t"] == "log"}
    # The user's logging is captured, and so is the cell's output.
    assert "train" in loggers
    assert any("after the requests" in r.get("text", "") for r in records if r["t"] == "stream")
    assert SECRET not in text and SECRET.lower() not in text
    assert "execute_request" not in text and "msg_id" not in text
    assert loggers == {"train"}, loggers


def test_the_kernels_logger_is_captured_when_asked_for_by_name(debug_kernel):
    client, execute, spool = debug_kernel
    execute("%load_ext tflog")
    execute("%tflog start asked --logger IPKernelApp")
    execute(f"secret = {SECRET!r}")
    execute("%tflog stop")
    # The stop cell's own request is logged before the run ends.
    time.sleep(0.1)
    (path,) = spool_files(spool)
    records = read_spool(path)
    kernel_records = [r for r in records if r["t"] == "log" and r["logger"] == "IPKernelApp"]
    assert kernel_records, "the kernel logged nothing at DEBUG: the other test proves nothing"
    assert any(SECRET in record["msg"] for record in kernel_records)
