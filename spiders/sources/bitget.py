"""Bitget announcements: the official v2 list, a month at a time (newest first), then pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import AnnouncementPagesSpider, json_payload
from transform.extract.dates import parse_datetime

API = "https://api.bitget.com/api/v2/public/annoucements"  # sic: the API spells it so
# "Search for announcements within one month": a longer window is asked month by month.
SEARCH_SPAN = timedelta(days=30)

Span = tuple[datetime, datetime] | None


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class BitgetSpider(AnnouncementPagesSpider):
    name = "bitget"
    exchange = "bitget"
    feed = "announcements"
    kind = "official API"
    api_requests = True
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{API}?language=en_US&limit=10&startTime=<ms>&endTime=<ms>&cursor=<annId>",
        "detail": "https://www.bitget.com/support/articles/<id> (__NEXT_DATA__)",
    }
    page_size = 10  # the API's maximum
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/json, text/html;q=0.9",
            "Accept-Language": "en-US,en;q=0.8",
        },
        # The announcements endpoint allows 20 requests per second per IP; www is behind
        # Cloudflare with no published limit, so its pages go one at a time.
        "DOWNLOAD_SLOTS": {
            "api.bitget.com": {"concurrency": 1, "delay": 0.2},
            "www.bitget.com": {"concurrency": 1, "delay": 1.0},
        },
    }

    def search_spans(self) -> list[Span]:
        """``[since, until or now)`` cut into month-long spans, newest first.

        Without ``since`` there is no time filter (None): the API's own newest-first feed,
        with ``until`` checked per entry.
        """
        if self.since is None:
            return [None]
        spans: list[Span] = []
        end = self.until or datetime.now(UTC)
        while end > self.since:
            start = max(self.since, end - SEARCH_SPAN)
            spans.append((start, end))
            end = start
        return spans

    def list_request(self, span: Span, page_no: int, cursor: str | None) -> scrapy.Request:
        query: dict[str, Any] = {"language": "en_US", "limit": self.page_size}
        if span is not None:
            query |= {"startTime": _ms(span[0]), "endTime": _ms(span[1])}
        if cursor is not None:
            query["cursor"] = cursor
        url = f"{API}?{urlencode(query)}"
        return self.request(url, self.parse_list, span=span, page_no=page_no)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for span in self.search_spans():
            yield self.list_request(span, 1, None)

    def parse_list(self, response: Response, span: Span, page_no: int) -> Iterator[Any]:
        """Next page: ``cursor`` = the last annId, until a short page, ``since`` or the cap."""
        yield self.raw_page(response, "list", context={"page_no": page_no})
        entries = json_payload(response)["data"]
        dated = [(entry, parse_datetime(entry.get("cTime"))) for entry in entries]
        last_id = str(entries[-1]["annId"]) if entries else None
        details = [
            self.page_request(entry["annUrl"], str(entry["annId"]), entry)
            for entry, moment in dated
            if self.in_window(moment) and entry.get("annUrl") and entry.get("annId")
        ]
        yield from filter(None, details)
        oldest = min((moment for _, moment in dated if moment), default=None)
        known = self.page_known(response, details)
        if self.should_page(page_no, len(entries), self.page_size, oldest, known):
            yield self.list_request(span, page_no + 1, last_id)
