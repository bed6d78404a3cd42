"""Absolute and relative timestamps as exchanges write them, to aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from transform.extract.dates import from_epoch, parse_datetime, resolve_relative

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the forms parse_datetime read before dateparser came in
        ("2026-09-07 08:00 (UTC)", at(2026, 9, 7, 8)),
        ("2026-09-07 08:00:00 UTC+8", at(2026, 9, 7, 0)),
        ("2026-08-03 UTC", at(2026, 8, 3)),
        ("2026-09-07T08:00:00Z", at(2026, 9, 7, 8)),
        ("2026-09-07T10:00:00+02:00", at(2026, 9, 7, 8)),
        ("2026-09-07T08:00:00", at(2026, 9, 7, 8)),
        ("Mon, 07 Sep 2026 10:00:00 +0800", at(2026, 9, 7, 2)),
        ("Mon, 07 Sep 2026 10:00:00 GMT", at(2026, 9, 7, 10)),
        ("1788768000", at(2026, 9, 7, 8)),
        ("1788768000000", at(2026, 9, 7, 8)),
        # written for people
        ("Sep 7, 2026, 10:00 UTC+8", at(2026, 9, 7, 2)),
        ("Sep 7, 2026 10:00 PM (UTC+8)", at(2026, 9, 7, 14)),
        ("September 7, 2026 10:00 AM (UTC)", at(2026, 9, 7, 10)),
        ("7 Sep 2026", at(2026, 9, 7)),
        ("7 September 2026, 10:00 (UTC+3)", at(2026, 9, 7, 7)),
        ("21:45 on November 20, 2026 (UTC)", at(2026, 11, 20, 21, 45)),
        ("2026年9月7日 08:00", at(2026, 9, 7, 8)),
        ("2026年9月7日（UTC+8）", at(2026, 9, 6, 16)),
        ("2026年9月7日 20:00（UTC+8）", at(2026, 9, 7, 12)),
        ("2026/09/07 08:00", at(2026, 9, 7, 8)),
        ("28/11/2026", at(2026, 11, 28)),
        ("1788768000.5", at(2026, 9, 7, 8) + timedelta(milliseconds=500)),
    ],
)
def test_absolute_forms(text: str, expected: datetime) -> None:
    moment = parse_datetime(text)
    assert moment == expected
    assert moment is not None and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "March", "Nov 20", "Nov 2026", "Reward 4", "garbage", "09/07/2026", "7.9.2026"],
)
def test_unreadable_or_ambiguous_is_none(text: str) -> None:
    """No day-month-year, or day and month indistinguishable (09/07): no guess."""
    assert parse_datetime(text) is None


def test_numbers_and_none() -> None:
    assert parse_datetime(None) is None
    assert parse_datetime(1788768000) == at(2026, 9, 7, 8)
    assert parse_datetime(1788768000000.0) == at(2026, 9, 7, 8)
    assert from_epoch("1788768000") == at(2026, 9, 7, 8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15h ago", at(2026, 11, 27, 21)),
        ("· 15h ago", at(2026, 11, 27, 21)),
        ("3 days ago", at(2026, 11, 25, 12)),
        ("3 Days Ago", at(2026, 11, 25, 12)),
        ("yesterday", at(2026, 11, 27, 12)),
        ("Yesterday at 09:15", at(2026, 11, 27, 9, 15)),
        ("just now", NOW),
        ("5 minutes ago", at(2026, 11, 28, 11, 55)),
        ("5m ago", at(2026, 11, 28, 11, 55)),
        ("30s ago", at(2026, 11, 28, 11, 59, 30)),
        ("an hour ago", at(2026, 11, 28, 11)),
        ("2w ago", at(2026, 11, 14, 12)),
        ("1 month ago", at(2026, 10, 28, 12)),
        ("2mo ago", at(2026, 9, 28, 12)),
        ("1y ago", at(2025, 11, 28, 12)),
        ("today 10:00", at(2026, 11, 28, 10)),
        ("2 hours 5 minutes ago", at(2026, 11, 28, 9, 55)),
        ("an hour and 30 minutes ago", at(2026, 11, 28, 10, 30)),
        ("1 day, 2 hours ago", at(2026, 11, 27, 10)),
        ("3小时前", at(2026, 11, 28, 9)),
        ("5 分钟前", at(2026, 11, 28, 11, 55)),
        ("半小时前", at(2026, 11, 28, 11, 30)),
        ("2个月前", at(2026, 9, 28, 12)),
        ("3天前", at(2026, 11, 25, 12)),
        ("昨天", at(2026, 11, 27, 12)),
        ("昨天 14:30", at(2026, 11, 27, 14, 30)),
        ("前天", at(2026, 11, 26, 12)),
        ("刚刚", NOW),
        ("2小时30分钟前", at(2026, 11, 28, 9, 30)),
    ],
)
def test_relative_forms(text: str, expected: datetime) -> None:
    assert resolve_relative(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "today",  # a day, not a time
        "1 hour",
        "4",
        "Reward",
        "Time to eat! Ministry of Finance!",
        "I bought it two years ago",
        "2 fortnights ago",
        "5 minutes and ago",
        "in 2 days",
        "2026-09-07 08:00 (UTC)",  # absolute: parse_datetime's job
    ],
)
def test_relative_is_strict(text: str) -> None:
    """Callers tell a time line from a comment with it: only whole phrases count."""
    assert resolve_relative(text, NOW) is None


def test_relative_against_other_zones_and_month_ends() -> None:
    naive = datetime(2026, 11, 28, 12)
    assert resolve_relative("15h ago", naive) == at(2026, 11, 27, 21)
    beijing = datetime(2026, 11, 28, 20, tzinfo=timezone(timedelta(hours=8)))
    assert resolve_relative("3小时前", beijing) == at(2026, 11, 28, 9)
    assert resolve_relative("1 month ago", at(2026, 3, 31, 8)) == at(2026, 2, 28, 8)
    assert resolve_relative("1 year ago", at(2028, 2, 29)) == at(2027, 2, 28)


def test_a_stamp_shaped_impossible_date_is_unreadable_not_an_error():
    assert parse_datetime("2026-13-40 08:00") is None
