"""Gate announcements: the official list API (newest first), each body from the site's
Next.js data route.

The data route's path holds the site's build id, which only a server-rendered page names
(``__NEXT_DATA__.buildId``), so the crawl fetches the announcements page first. If that page
fails or names no build id the list is still crawled and lands as partial articles.
The list API takes its parameters in a JSON body; ``lang`` and ``page`` also ride in the
query string so stored pages, quarantine rows and test servers tell pages apart.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.base import WindowedSpider, json_payload
from transform.sources.gate_announcements import SITE, released_at

API = "https://api.gateio.ws/api/v4/ann/list_article"
DATA_ROUTE = SITE + "/announcements/_next/data/{build_id}/{lang}/announcements/article/{id}.json"
# The API names Chinese "cn" where the site says "zh" (WebSocket payload ["cn"], feeds §1.1).
API_LANGUAGE = {"zh": "cn", "zh-tw": "tw"}


class GateAnnouncementsSpider(WindowedSpider):
    name = "gate_announcements"
    exchange = "gate"
    feed = "announcements"
    kind = "official API"
    api_requests = True
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"POST {API} {{page, size, lang, timer}}",
        "detail": DATA_ROUTE.format(build_id="<buildId>", lang="<lang>", id="<id>"),
    }
    page_size = 15  # what the site's own list asks for
    lang = "en"  # the site's language code; ``-a lang=zh`` crawls the Chinese announcements
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {"Accept": "application/json", "Accept-Language": "en"},
        # No published limit for the announcement API; www.gate.com sits behind Akamai.
        "DOWNLOAD_SLOTS": {
            "api.gateio.ws": {"concurrency": 1, "delay": 0.25},
            "www.gate.com": {"concurrency": 1, "delay": 1.0},
        },
    }

    def timer_days(self) -> int:
        """``timer`` counts calendar days up to today, today included (feeds §1.1b)."""
        assert self.since is not None
        return max((datetime.now(UTC).date() - self.since.date()).days + 1, 1)

    def list_request(self, page_no: int, build_id: str | None) -> scrapy.Request:
        api_lang = API_LANGUAGE.get(self.lang, self.lang)
        body = {"page": str(page_no), "size": str(self.page_size), "lang": api_lang}
        if self.since is not None:
            body["timer"] = str(self.timer_days())
        url = f"{API}?{urlencode({'lang': api_lang, 'page': page_no})}"
        return self.request(
            url, self.parse_list, json_body=body, page_no=page_no, build_id=build_id
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        prefix = "" if self.lang == "en" else f"/{self.lang}"
        request = self.request(f"{SITE}{prefix}/announcements", self.parse_index, page=True)
        request.errback = self.index_failed
        request.headers["Accept"] = "text/html"
        yield request

    def parse_index(self, response: Response) -> Iterator[Any]:
        yield self.raw_page(response, "index", context={"lang": self.lang})
        try:
            build_id = json.loads(response.css("script#__NEXT_DATA__::text").get() or "")["buildId"]
        except (ValueError, KeyError, TypeError):
            build_id = None  # the stored page is quarantined by transform with the reason
        yield self.list_request(1, build_id)

    def index_failed(self, failure: Failure) -> Iterator[Any]:
        """No build id, no bodies: the list still lands, as partial articles."""
        yield self.fetch_failed(failure)
        yield self.list_request(1, None)

    def parse_list(self, response: Response, page_no: int, build_id: str | None) -> Iterator[Any]:
        yield self.raw_page(response, "list", context={"lang": self.lang, "page_no": page_no})
        entries = json_payload(response)["data"]["list"]
        dated = [(entry, released_at(entry)) for entry in entries]
        details = [
            self.entry_request(entry, moment, build_id)
            for entry, moment in dated
            if build_id and self.in_window(moment)
        ]
        yield from filter(None, details)
        # Pinned entries head the list whatever their age: they say nothing about the rest.
        oldest = min((m for e, m in dated if m and not e.get("is_top")), default=None)
        known = self.page_known(response, details)
        if self.should_page(page_no, len(entries), self.page_size, oldest, known):
            yield self.list_request(page_no + 1, build_id)

    def entry_request(
        self, entry: dict[str, Any], moment: datetime | None, build_id: str
    ) -> scrapy.Request | None:
        native_id = str(entry["id"])
        url = DATA_ROUTE.format(build_id=build_id, lang=self.lang, id=native_id)
        context = {
            "lang": self.lang,
            "title": entry.get("title"),
            "published_at": moment.isoformat() if moment else None,
            "cate_id": entry.get("cate_id"),
            "cate": entry.get("cate"),
        }
        return self.detail_request(
            f"{url}?{urlencode({'slug': native_id})}",
            self.parse_detail,
            native_id=native_id,
            list_entry=entry,
            context=context,
        )

    def parse_detail(
        self, response: Response, native_id: str, context: dict[str, Any]
    ) -> Iterator[Any]:
        yield self.raw_page(response, "detail", native_id=native_id, context=context)
