"""Bad input reaching the service: invalid UTF-8, a 5 MB line, 100,000 lines
of ANSI noise, a malformed admin grok pattern. Each gets a clear error or is
stored as well as it can be; the service stays up and nothing else is lost."""

from __future__ import annotations

import json
import time
from pathlib import Path

from harness import Service, wait_for

CONTEXT = {"notebook": "bad.ipynb", "kernel_id": "k-1", "user": "alice", "host": "h", "pid": 7}


class SpoolFile:
    """Writes spool records the way the kernel side does, one JSON per line."""

    def __init__(self, spool_dir: Path, run_id: str) -> None:
        self.path = spool_dir / f"{run_id}.ndjson"
        self.run_id = run_id
        self.seq = 0
        self.append(
            {"t": "start", "v": 1, "run": run_id, "name": run_id, "tags": {}, "ctx": CONTEXT}
        )

    def append(self, record: dict) -> None:
        self.append_bytes(json.dumps(dict(record, seq=self.seq, ts=time.time())).encode())

    def append_bytes(self, line: bytes) -> None:
        with open(self.path, "ab") as spool:
            spool.write(line + b"\n")
        self.seq += 1

    def stream(self, text: str) -> None:
        self.append({"t": "stream", "stream": "stdout", "text": text})

    def end(self) -> None:
        self.append({"t": "end", "status": "finished"})


def run_docs(es, run_id: str) -> list[dict]:
    es.refresh()
    return es.search("logs", {"bool": {"filter": [{"term": {"tflog.run_id": run_id}}]}}, size=10000)


def wait_for_run_end(es, run_id: str) -> list[dict]:
    def ended():
        docs = run_docs(es, run_id)
        return docs if any(d["tflog"]["kind"] == "run_end" for d in docs) else None

    return wait_for(ended, 120, f"the end of run {run_id}")


def test_invalid_utf8_is_replaced_not_fatal(service, es):
    spool = SpoolFile(service.spool_dir, "bad-utf8")
    spool.stream("before\n")
    # A record whose text holds bytes that are not UTF-8 (as a broken writer would).
    raw = json.dumps({"t": "stream", "stream": "stdout", "text": "XX\n", "seq": spool.seq})
    spool.append_bytes(raw.replace('"XX', '"bad \xff\xfe bytes loss=0.5').encode("latin-1"))
    spool.append_bytes(b"{this is not json")
    spool.stream("after\n")
    spool.end()
    docs = wait_for_run_end(es, "bad-utf8")
    messages = [d["message"] for d in docs]
    assert "before" in messages and "after" in messages
    replaced = [m for m in messages if m.startswith("bad ")]
    assert replaced and "\ufffd" in replaced[0]
    assert service.status()  # still answering


def test_five_megabyte_line_arrives(service, es):
    spool = SpoolFile(service.spool_dir, "big-line")
    spool.stream("x" * (5 * 1024 * 1024) + " loss=0.25\n")
    spool.stream("after the big line\n")
    spool.end()
    docs = wait_for_run_end(es, "big-line")
    big = [d for d in docs if d["message"].startswith("xxxx")]
    assert big, "the 5 MB line is missing"
    assert any(d["message"] == "after the big line" for d in docs)


def test_ansi_noise_is_digested_and_the_rest_arrives(service, es):
    spool = SpoolFile(service.spool_dir, "ansi-noise")
    noise = "\x1b[31m\x1b[1m\x1b[2K\x1b[0m\x1b[?25l\x1b]0;title\x07\r"
    with open(spool.path, "ab") as out:
        for _ in range(100_000):
            record = {"t": "stream", "stream": "stdout", "text": noise}
            out.write(json.dumps(dict(record, seq=spool.seq, ts=time.time())).encode() + b"\n")
            spool.seq += 1
    spool.stream("\x1b[32mEpoch 3, Loss: 0.125\x1b[0m\n")
    spool.end()
    docs = wait_for_run_end(es, "ansi-noise")
    epoch = [d for d in docs if d["message"] == "Epoch 3, Loss: 0.125"]
    assert epoch and epoch[0]["tflog"]["metrics"]["loss"] == 0.125
    assert all("\x1b" not in d["message"] for d in docs)


def test_malformed_admin_pattern_is_reported_and_good_ones_work(tmp_path, es_url, prefix, es):
    patterns = tmp_path / "patterns.json"
    patterns.write_text(
        json.dumps(
            [
                {"name": "broken", "grok": "%{NUMBER:loss:float"},
                {"name": "unknown", "grok": "%{NO_SUCH_PATTERN:x}"},
                {"name": "throughput", "grok": "throughput %{NUMBER:images_per_sec:float} img/s"},
            ]
        )
    )
    service = Service(tmp_path / "svc", es_url, prefix, TFLOG_PATTERNS_FILE=str(patterns))
    service.start()
    try:
        status = json.dumps(service.status())
        assert "broken" in status and "unknown" in status, status
        spool = SpoolFile(service.spool_dir, "patterns")
        spool.stream("throughput 1234.5 img/s\n")
        spool.end()
        docs = wait_for_run_end(es, "patterns")
        matched = [d for d in docs if d["message"] == "throughput 1234.5 img/s"]
        assert matched and matched[0]["tflog"]["metrics"] == {"images_per_sec": 1234.5}
        assert matched[0]["tflog"]["pattern"] == "throughput"
    finally:
        service.stop()
