"""Bad input reaching the service: invalid UTF-8, a 5 MB line, 100,000 lines
of ANSI noise, a malformed admin grok pattern. Each gets a clear error or is
stored as well as it can be; the service stays up and nothing else is lost."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
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


def test_random_bytes_and_deeply_nested_json_lose_nothing_valid(service, es):
    spool = SpoolFile(service.spool_dir, "garbage")
    spool.stream("before the garbage loss=0.5\n")
    noise = random.Random(7)
    for _ in range(200):
        line = bytes(noise.randrange(256) for _ in range(noise.randrange(1, 2000)))
        spool.append_bytes(line.replace(b"\n", b" "))
    depth = 100_000
    spool.append_bytes(b'{"t":"stream","extra":' + b"[" * depth + b"]" * depth + b"}")
    spool.append_bytes(b'{"t":"log","msg":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}")
    spool.stream("after the garbage loss=0.25\n")
    spool.end()
    docs = wait_for_run_end(es, "garbage")
    messages = [d["message"] for d in docs]
    assert "before the garbage loss=0.5" in messages
    assert "after the garbage loss=0.25" in messages
    status = service.status()
    # Each bad line is counted and logged, none stops the rest.
    assert status["counters"]["invalidLines"] >= 150, status["counters"]
    assert status["state"] == "running", status


def api_error(service, path: str, method: str = "GET", body: bytes | None = None, **headers):
    request = urllib.request.Request(service.api + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_malformed_api_requests_get_clear_errors_and_the_service_stays_up(service, es):
    spool = SpoolFile(service.spool_dir, "api-run")
    spool.stream("epoch 1 loss=0.5\n")
    spool.end()
    wait_for_run_end(es, "api-run")
    cases = [
        ("/runs?size=abc", 400, "size"),
        ("/runs?size=0", 400, "size"),
        ("/runs?size=1&size=2", 400, "size"),
        ("/runs?after=not-a-cursor", 400, None),
        ("/runs?from=yesterday", 400, "from"),
        ("/runs?status=exploded", 400, "status"),
        ("/runs?q=" + "x" * 5000, 400, "q"),
        ("/runs?no_such_parameter=1", 400, "no_such_parameter"),
        ("/runs?user=bob", 403, None),
        ("/runs/%zz", 400, "path"),
        ("/runs/no-such-run", 404, None),
        ("/runs/api-run/series?axis=sideways", 400, "axis"),
        ("/runs/api-run/series?max_points=1e9", 400, "max_points"),
        ("/runs/api-run/logs?order=random", 400, "order"),
        ("/runs/api-run/logs?kind=log,bogus", 400, "kind"),
        ("/no/such/endpoint", 404, None),
        ("/events", 406, None),
    ]
    for path, expected, parameter in cases:
        status, body = api_error(service, path)
        assert status == expected, (path, status, body)
        error = body["error"]
        assert error["status"] == expected and error["message"], (path, body)
        if parameter is not None:
            assert error.get("parameter") == parameter, (path, body)
    # State changes need the XSRF check, whatever the body.
    status, body = api_error(service, "/flush", "POST", b"\x00\xff{not json")
    assert status == 403 and body["error"]["reason"] == "xsrf", body
    status, body = api_error(service, "/runs", "DELETE")
    assert status in (403, 405), body
    # Still answering, and the good run is intact.
    status, body = api_error(service, "/runs/api-run/series?axis=epoch")
    assert status == 200, body
    assert [point["y"] for point in body["series"][0]["points"]] == [0.5], body
