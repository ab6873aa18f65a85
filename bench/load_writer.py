"""One stand-in kernel of the load benchmark: writes spool records at a
steady rate through the kernel side's own spool writer, then prints its
writer's final counts as JSON on stdout.

    python bench/load_writer.py SPOOL_DIR RUN_ID --rate 1000 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import spool_mix

TICK_SECONDS = 0.005


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spool_dir", type=Path)
    parser.add_argument("run_id")
    parser.add_argument("--rate", type=float, required=True, help="records per second")
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    writer = spool_mix.spool_writer(
        args.spool_dir / f"{args.run_id}.ndjson",
        spool_mix.start_record(args.run_id, f"load {args.run_id}"),
    )
    items = spool_mix.training_items(total + 1)
    started = time.monotonic()
    produced = 0
    while produced < total:
        due = min(total, int(args.rate * (time.monotonic() - started)) + 1)
        while produced < due:
            spool_mix.feed(writer, next(items))
            produced += 1
        time.sleep(TICK_SECONDS)
    writing = time.monotonic() - started
    stats = writer.close("finished", timeout=60).as_dict()
    stats.update(run_id=args.run_id, items=produced, seconds=writing)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
