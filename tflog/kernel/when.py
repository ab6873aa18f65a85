"""Times for the history commands: `--since 2h` or an ISO time, and durations as text."""

import re
import time
from datetime import datetime, timedelta, timezone
from typing import Optional

SINCE_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)", re.IGNORECASE)
UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
# Far enough back for anything, near enough for datetime's range.
MAX_SINCE_SECONDS = 100 * 365 * 86400


def parse_iso(text: str) -> Optional[datetime]:
    """An ISO 8601 date or date-time (`Z` allowed); None when it is not one.
    A time without an offset is UTC, as a date is midnight UTC."""
    text = text.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def iso_utc(moment: datetime) -> str:
    """`2026-01-31T10:00:00.000Z`, the API's own form. Raises OverflowError when
    the moment in UTC falls outside datetime's years 1-9999."""
    utc = moment.astimezone(timezone.utc)
    # Not strftime("%Y"): glibc writes year 999 as "999", not ISO's "0999".
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def since_time(text: str, now: Optional[float] = None) -> str:
    """`2h` (that long before `now`) or an ISO date or time, as an ISO UTC time.
    Raises ValueError naming what is accepted."""
    text = str(text).strip()
    duration = SINCE_DURATION.fullmatch(text)
    if duration:
        seconds = float(duration.group(1)) * UNIT_SECONDS[duration.group(2).lower()]
        if seconds > MAX_SINCE_SECONDS:
            raise ValueError(f"{text!r} is too long ago")
        moment = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)
        return iso_utc(moment - timedelta(seconds=seconds))
    moment = parse_iso(text) if text else None
    if moment is None:
        raise ValueError(
            f"{text!r} is neither a duration (90s, 30m, 2h, 3d, 1w) nor an ISO date or time "
            "(2026-01-31, 2026-01-31T09:00, 2026-01-31T09:00:00+02:00)"
        )
    try:
        return iso_utc(moment)
    except OverflowError:
        # 0001-01-01T00:00+05:00 is a valid ISO time but before year 1 in UTC.
        raise ValueError(f"{text!r} is out of range: years 1 to 9999 in UTC") from None


def duration_text(seconds: float) -> str:
    """`42s`, `12m 05s`, `3h 07m`, `2d 04h`: two units at most."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"
