"""KuCoin announcements: the official v3 list for the window (newest first), then each
article from the site CMS for the body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import WindowedSpider, json_payload
from transform.extract.dates import parse_datetime
from transform.sources.kucoin import article_path

API = "https://api.kucoin.com/api/v3/announcements"
CMS = "https://www.kucoin.com/_api/cms/articles/{path}?lang={lang}"
LANG = "en_US"
# Every announcement carries this type beside its own (delistings, new-listings, ...).
ANN_TYPE = "latest-announcements"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class KucoinSpider(WindowedSpider):
    name = "kucoin"
    exchange = "kucoin"
    feed = "announcements"
    kind = "official API"
    api_requests = True
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{API}?annType={ANN_TYPE}&lang={LANG}&startTime=<ms>&endTime=<ms>"
        "&currentPage=<n>&pageSize=50",
        "detail": CMS.format(path="<path>", lang=LANG),
    }
    page_size = 50
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {"Accept": "application/json", "Accept-Language": "en-US"},
        # The list costs weight 20 of the public per-IP pool; the CMS publishes no limit.
        "DOWNLOAD_SLOTS": {
            "api.kucoin.com": {"concurrency": 1, "delay": 0.5},
            "www.kucoin.com": {"concurrency": 1, "delay": 1.0},
        },
    }

    def list_request(self, page_no: int) -> scrapy.Request:
        """The API filters by time itself: ``startTime``/``endTime`` (ms, inclusive).

        Without a window start it answers its default, the last month.
        """
        query: dict[str, Any] = {"annType": ANN_TYPE, "lang": LANG}
        if self.since is not None:
            query["startTime"] = epoch_ms(self.since)
        if self.until is not None:
            query["endTime"] = epoch_ms(self.until - timedelta(milliseconds=1))
        query |= {"currentPage": page_no, "pageSize": self.page_size}
        return self.request(f"{API}?{urlencode(query)}", self.parse_list, page_no=page_no)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.list_request(1)

    def parse_list(self, response: Response, page_no: int) -> Iterator[Any]:
        yield self.raw_page(response, "list", context={"page_no": page_no})
        data = json_payload(response)["data"]
        items, total_pages = data["items"], int(data["totalPage"])
        # The server may serve fewer than asked (its spec's example answers 15 to 50).
        served = int(data.get("pageSize") or self.page_size)
        dated = [(item, parse_datetime(item.get("cTime"))) for item in items]
        details = [
            self.detail_request(
                CMS.format(path=article_path(item["annUrl"]), lang=LANG),
                self.parse_detail,
                native_id=article_path(item["annUrl"]),
                list_entry=item,
                entry=item,
            )
            for item, moment in dated
            if self.in_window(moment) and item.get("annUrl")
        ]
        yield from filter(None, details)
        oldest = min((moment for _, moment in dated if moment), default=None)
        more = page_no < total_pages
        known = self.page_known(response, details)
        if more and self.should_page(page_no, len(items), served, oldest, known):
            yield self.list_request(page_no + 1)

    def parse_detail(
        self, response: Response, native_id: str, entry: dict[str, Any]
    ) -> Iterator[Any]:
        """The list item travels along: its summary and types complete the CMS article."""
        yield self.raw_page(response, "detail", native_id=native_id, context={"entry": entry})
