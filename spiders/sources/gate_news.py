"""Gate News: the news list page (newest first, paged by its own ``rel=next`` link), then
each article page. HTML only: no API is documented (feeds §1.6).

List entries without a date are fetched whatever the window (transform drops them if they
fall outside it): a list that stopped dating its items must not silently empty the feed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from spiders.base import WindowedSpider
from transform.extract.html import parse_document
from transform.sources.gate_announcements import SITE
from transform.sources.gate_news import NewsLink, news_links, next_page

# The list's page size is not known: only an empty page (or no next link) ends the feed.
MIN_ENTRIES = 1


class GateNewsSpider(WindowedSpider):
    name = "gate_news"
    exchange = "gate"
    feed = "news"
    kind = "HTML"
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{SITE}/news (then its rel=next pages)",
        "detail": f"{SITE}/news/detail/<slug>-<id>",
    }
    lang = "en"  # the site's language code; ``-a lang=zh`` crawls the Chinese news
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml",
            "Accept-Language": "en",
        },
        # www.gate.com sits behind Akamai: one page at a time, a second apart.
        "DOWNLOAD_SLOTS": {"www.gate.com": {"concurrency": 1, "delay": 1.0}},
    }

    async def start(self) -> AsyncIterator[scrapy.Request]:
        prefix = "" if self.lang == "en" else f"/{self.lang}"
        yield self.request(f"{SITE}{prefix}/news", self.parse_list, page_no=1)

    def parse_list(self, response: Response, page_no: int) -> Iterator[Any]:
        yield self.raw_page(response, "list", context={"lang": self.lang, "page_no": page_no})
        document = parse_document(response.body)
        links = news_links(document, response.url)
        details = [
            self.link_request(link)
            for link in links
            if link.published_at is None or self.in_window(link.published_at)
        ]
        yield from filter(None, details)
        oldest = min((link.published_at for link in links if link.published_at), default=None)
        following = next_page(document, response.url)
        known = self.page_known(response, details)
        if following and self.should_page(page_no, len(links), MIN_ENTRIES, oldest, known):
            yield self.request(following, self.parse_list, page_no=page_no + 1)

    def link_request(self, link: NewsLink) -> scrapy.Request | None:
        context = {
            "lang": self.lang,
            "title": link.title,
            "published_at": link.published_at.isoformat() if link.published_at else None,
        }
        return self.detail_request(
            link.url,
            self.parse_detail,
            native_id=link.native_id,
            list_entry={**context, "url": link.url, "summary": link.summary},
            context=context,
        )

    def parse_detail(
        self, response: Response, native_id: str, context: dict[str, Any]
    ) -> Iterator[Any]:
        yield self.raw_page(response, "detail", native_id=native_id, context=context)
