"""Absolute timestamps in the forms feeds send, always to aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# "2026-09-07 08:00 (UTC)", "2026-09-07 08:00:00 UTC+8", "2026-08-03 UTC"
_STAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?))?\s*"
    r"\(?(?:UTC|GMT)?(?P<offset>[+-]\d{1,2}(?::?\d{2})?)?\)?$"
)


def from_epoch(value: int | float | str) -> datetime:
    """Epoch seconds or milliseconds (told apart by size) to UTC."""
    number = float(value)
    if abs(number) > 1e11:
        number /= 1000
    return datetime.fromtimestamp(number, tz=UTC)


def _offset(text: str | None) -> timezone:
    """ "+8", "+08:00", "-0530" as a fixed zone."""
    match = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", text or "")
    if match is None:
        return UTC
    sign = -1 if match[1] == "-" else 1
    return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3] or 0)))


def parse_datetime(value: str | int | float | None) -> datetime | None:
    """ISO 8601, RFC 2822 (RSS), epoch numbers and exchange stamps; None when unreadable.

    A time without a zone is taken as UTC: exchanges publish in UTC unless they say.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        return from_epoch(value)
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return from_epoch(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None and (match := _STAMP.match(text)):
        moment = datetime.fromisoformat(f"{match['date']}T{match['time'] or '00:00'}")
        moment = moment.replace(tzinfo=_offset(match["offset"]))
    if moment is None:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
