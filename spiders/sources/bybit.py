"""Bybit announcements: the official v5 list (newest first), then each article page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import AnnouncementPagesSpider, json_payload
from transform.sources.bybit import article_uid, entry_time

API = "https://api.bybit.com/v5/announcements/index"
LOCALE = "en-US"


class BybitSpider(AnnouncementPagesSpider):
    name = "bybit"
    exchange = "bybit"
    feed = "announcements"
    kind = "official API"
    api_requests = True
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{API}?locale={LOCALE}&page=<n>&limit=10",
        "detail": f"https://announcements.bybit.com/{LOCALE}/article/<slug>/ (__NEXT_DATA__)",
    }
    page_size = 10
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/json, text/html;q=0.9",
            "Accept-Language": "en-US,en;q=0.8",
        },
        # v5 public endpoints allow 600 requests per 5 s per IP (past it: 403 and a 10-minute
        # ban); the CloudFront-served article pages publish no limit, so one at a time.
        "DOWNLOAD_SLOTS": {
            "api.bybit.com": {"concurrency": 2, "delay": 0.2},
            "announcements.bybit.com": {"concurrency": 1, "delay": 1.0},
        },
    }

    def list_request(self, page_no: int) -> scrapy.Request:
        query = urlencode({"locale": LOCALE, "page": page_no, "limit": self.page_size})
        return self.request(f"{API}?{query}", self.parse_list, page_no=page_no)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.list_request(1)

    def parse_list(self, response: Response, page_no: int) -> Iterator[Any]:
        """The API has no time filter: page until the window's start, ``total`` or the cap."""
        yield self.raw_page(response, "list", context={"page_no": page_no})
        result = json_payload(response)["result"]
        entries = result["list"]
        more = "total" not in result or page_no * self.page_size < int(result["total"])
        dated = [(entry, entry_time(entry)) for entry in entries]
        details = [
            self.page_request(entry["url"], article_uid(entry["url"]), entry)
            for entry, moment in dated
            if self.in_window(moment) and entry.get("url")
        ]
        yield from filter(None, details)
        oldest = min((moment for _, moment in dated if moment), default=None)
        known = self.page_known(response, details)
        if more and self.should_page(page_no, len(entries), self.page_size, oldest, known):
            yield self.list_request(page_no + 1)
