"""Stands in for the tflog service in the supervisor tests; argv picks the
behaviour: `exit CODE`, `serve RECORD_FILE` or `ignore-sigterm RECORD_FILE`.
`serve` and `ignore-sigterm` append their pid to RECORD_FILE once running."""

import signal
import sys
import time


def record(path: str, text: str) -> None:
    with open(path, "a") as out:
        out.write(text + "\n")


def main() -> None:
    mode = sys.argv[1]
    sys.stderr.write("2026-01-01T00:00:00.000Z WARN tailer: spool is slow\n")
    sys.stderr.write("a line in no known format\n")
    sys.stderr.write(
        "2026-01-01T00:00:00.000Z WARN store: TFLOG_ES_URLS: "
        '"https://elastic:se/cr@et#1@es.example:9200" is not usable\n'
    )
    sys.stdout.write("hello from stdout\n")
    sys.stdout.flush()
    sys.stderr.flush()
    if mode == "exit":
        sys.exit(int(sys.argv[2]))
    record_file = sys.argv[2]
    if mode == "serve":

        def on_sigterm(number: int, frame: object) -> None:
            record(record_file, "sigterm")
            sys.exit(0)

        signal.signal(signal.SIGTERM, on_sigterm)
    else:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    record(record_file, "running")
    while True:
        time.sleep(0.05)


main()
