"""Timestamps in the forms feeds and pages send, always to aware UTC datetimes.

Absolute times (:func:`parse_datetime`) come first from the fast exact forms (ISO 8601,
epoch numbers, "2026-09-07 08:00 (UTC)", RFC 2822), then from dateparser for what exchanges
write for people ("Sep 7, 2026, 10:00 UTC+8", "2026年9月7日 08:00"). Relative times
(:func:`resolve_relative`: "15h ago", "昨天") only mean something against the moment the page
was fetched, so they are resolved against it and never against the clock.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from transform.limits import MAX_DATE_CHARS

# "2026-09-07 08:00 (UTC)", "2026-09-07 08:00:00 UTC+8", "2026-08-03 UTC"
_STAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?))?\s*"
    r"\(?(?:UTC|GMT)?(?P<offset>[+-]\d{1,2}(?::?\d{2})?)?\)?$"
)
# RFC 2822 as RSS sends it; email.utils reads more than that, and misreads it: "Sep 7, 2026,
# 10:00 PM UTC+8" would come back as 10:00 UTC.
_RFC_2822 = re.compile(
    r"^(?:[a-z]{3},\s*)?\d{1,2}\s+[a-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|ut|utc|gmt|z|[ecmp][sd]t))?$",
    re.IGNORECASE,
)
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")
# "09/07/2026" or "7.9.2026": day-month or month-day is anyone's guess, so no answer.
_AMBIGUOUS = re.compile(r"^(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-]\d{4}\b")
# dateparser, made deterministic: English and Chinese only, no locale date order, the zone
# UTC unless the text names one, and all of day, month and year ("March" is not a date).
_LANGUAGES = ["en", "zh"]
_ABSOLUTE_SETTINGS: dict[str, Any] = {
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "DATE_ORDER": "MDY",
    "PREFER_LOCALE_DATE_ORDER": False,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PARSERS": ["absolute-time"],
}

# Relative times as sites print them: "15h ago", "3 days ago", "2w ago", "5 minutes ago",
# "2 hours 5 minutes ago", "an hour and 30 minutes ago": one or more amounts of a unit.
_EN_AMOUNT = r"(?<![a-z])(?:\d+|(?:an?|one)(?=\s))"
_EN_UNIT = (
    r"(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mos?|months?"
    r"|y|yrs?|years?)(?![a-z])"
)
_AGO_PART = re.compile(rf"(?P<amount>{_EN_AMOUNT})\s*(?P<unit>{_EN_UNIT})")
_AGO = re.compile(
    rf"(?:{_EN_AMOUNT}\s*{_EN_UNIT}(?:\s*,\s*|\s+and\s+|\s+))*{_EN_AMOUNT}\s*{_EN_UNIT}\s+ago"
)
# "3小时前", "5 分钟前", "2个月前", "半小时前", "2小时30分钟前"
_AGO_ZH_PART = re.compile(
    r"(?P<amount>\d+|半)\s*(?:个)?\s*(?P<unit>秒|分钟|分|小时|天|日|周|星期|月|年)"
)
_AGO_ZH = re.compile(rf"(?:{_AGO_ZH_PART.pattern}\s*)+前")
# Longer text is no relative time (and is not worth matching).
_MAX_PHRASE = 40
# "yesterday", "yesterday at 14:30", "昨天 14:30", "前天"
_DAY_WORD = re.compile(
    r"^(?P<word>yesterday|today|昨天|前天|今天)(?:\s*(?:at\s*)?(?P<time>\d{1,2}:\d{2}))?$"
)
_NOW_WORDS = frozenset({"just now", "now", "moments ago", "a moment ago", "刚刚", "刚才"})
_DAYS_BACK = {"yesterday": 1, "昨天": 1, "前天": 2, "today": 0, "今天": 0}
_UNIT_EN = {
    "s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks", "mo": "months",
    "y": "years",
}  # fmt: skip
_UNIT_ZH = {
    "秒": "seconds", "分钟": "minutes", "分": "minutes", "小时": "hours", "天": "days",
    "日": "days", "周": "weeks", "星期": "weeks", "月": "months", "年": "years",
}  # fmt: skip


def from_epoch(value: int | float | str) -> datetime | None:
    """Epoch seconds or milliseconds (told apart by size) to UTC; None past year 9999."""
    number = float(value)
    if abs(number) > 1e11:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):  # beyond what datetime (or time_t) holds
        return None


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
    if not text or len(text) > MAX_DATE_CHARS:  # no date is written that long
        return None
    if text.isdigit():
        return from_epoch(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None and (match := _STAMP.match(text)):
        try:
            moment = datetime.fromisoformat(f"{match['date']}T{match['time'] or '00:00'}")
        except ValueError:  # "2026-13-40": the shape of a stamp, not a date
            return None
        moment = moment.replace(tzinfo=_offset(match["offset"]))
    if moment is None and _RFC_2822.match(text):
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            moment = None
    if moment is None:
        return _written_date(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _written_date(text: str) -> datetime | None:
    """Dates written for people: "Sep 7, 2026, 10:00 UTC+8", "7 Sep 2026", "2026年9月7日"."""
    if _EPOCH.match(text):  # "1757232000.5", epoch seconds with a fraction
        return from_epoch(text)
    text = unicodedata.normalize("NFKC", text)  # full-width "（UTC+8）" and digits
    if (match := _AMBIGUOUS.match(text)) and int(match["a"]) <= 12 and int(match["b"]) <= 12:
        return None
    import dateparser  # slow to import; most timestamps never get here

    moment = dateparser.parse(text, languages=_LANGUAGES, settings=_ABSOLUTE_SETTINGS)
    return moment.astimezone(UTC) if moment is not None else None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _back(now: datetime, unit: str, amount: float) -> datetime | None:
    """``now`` minus an amount of a unit; months and years by the calendar (Mar 31 - 1
    month is Feb 28/29). None before year 1 ("99999999 days ago")."""
    try:
        if unit in ("months", "years"):
            months = round(amount * (12 if unit == "years" else 1))
            index = now.year * 12 + now.month - 1 - months
            year, month = divmod(index, 12)
            day = min(now.day, calendar.monthrange(year, month + 1)[1])
            return now.replace(year=year, month=month + 1, day=day)
        return now - timedelta(**{unit: amount})
    except (OverflowError, ValueError):
        return None


def resolve_relative(text: str, now: datetime) -> datetime | None:
    """ "15h ago", "3 days ago", "2w ago", "yesterday", "just now", "3小时前", "昨天 14:30"
    against ``now`` (the page's fetch time; naive means UTC); None for anything else.

    Strict on purpose: callers use it to tell a time line from text (a comment saying
    "today" or "1 hour" is not a time), so only whole relative phrases count, compound ones
    ("2 hours 5 minutes ago", "2小时30分钟前") included, each amount taken back in turn.
    """
    now = _utc(now)
    phrase = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip(" ·•").lower()
    if not phrase or len(phrase) > _MAX_PHRASE:
        return None
    if phrase in _NOW_WORDS:
        return now
    if _AGO.fullmatch(phrase):
        return _ago(now, map(_english_part, _AGO_PART.finditer(phrase)))
    if _AGO_ZH.fullmatch(phrase):
        return _ago(now, map(_chinese_part, _AGO_ZH_PART.finditer(phrase)))
    if match := _DAY_WORD.match(phrase):
        day = now - timedelta(days=_DAYS_BACK[match["word"]])
        if match["time"] is None:
            return None if match["word"] in ("today", "今天") else day
        hour, minute = (int(part) for part in match["time"].split(":"))
        if hour > 23 or minute > 59:
            return None
        return day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return None


def _english_part(part: re.Match[str]) -> tuple[str, float]:
    """ "15h", "an hour", "2 mos" as (timedelta unit, amount)."""
    unit, amount = part["unit"], part["amount"]
    key = "mo" if unit.startswith("mo") else unit[0]
    return _UNIT_EN[key], 1 if amount in ("a", "an", "one") else int(amount)


def _chinese_part(part: re.Match[str]) -> tuple[str, float]:
    """ "3小时", "半小时", "2个月" as (timedelta unit, amount)."""
    return _UNIT_ZH[part["unit"]], 0.5 if part["amount"] == "半" else int(part["amount"])


def _ago(now: datetime, parts: Iterable[tuple[str, float]]) -> datetime | None:
    """``now`` minus each ``(unit, amount)`` in turn; None out of datetime's range."""
    moment: datetime | None = now
    for unit, amount in parts:
        moment = _back(moment, unit, amount) if moment else None
    return moment
