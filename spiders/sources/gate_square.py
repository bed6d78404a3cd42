"""Gate Square: the feed and topic pages (HTML) link to posts; then one request per post page.

Assumptions (reference §1.7; Square has no documented API): ``/post`` and
``/post/topic/<TAG>`` are server-rendered, newest first, with links to
``/post/status/<id>`` and, on some pages, a ``__NEXT_DATA__`` that dates them; older
posts are on ``?page=<n>`` with ``PAGE_SIZE`` cards a page (both UNVERIFIED). A page with
fewer cards is the last one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from spiders.base import WindowedSpider
from transform.extract.html import parse_document
from transform.sources.gate_square import ARTICLE_URL, list_entries

SITE = "https://www.gate.com"
FEED_URL = f"{SITE}/post"
TOPIC_URL = f"{SITE}/post/topic/{{topic}}"
TOPICS = ("BTC", "ETH")


class GateSquareSpider(WindowedSpider):
    name = "gate_square"
    exchange = "gate"
    feed = "square"
    kind = "HTML"
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{FEED_URL}?page=<n> and {TOPIC_URL.format(topic='<TAG>')}?page=<n>",
        "detail": ARTICLE_URL.format(post_id="<id>"),
    }
    page_size = 10
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml",
            "Accept-Language": "en",
            "Cookie": "lang=en",  # Gate picks the page language by cookie (reference §1.5)
        },
        # Akamai fronts www.gate.com and blocks bursts: one page at a time.
        "DOWNLOAD_SLOTS": {"www.gate.com": {"concurrency": 1, "delay": 1.0}},
    }

    def __init__(self, topics: str | None = None, **kwargs: Any) -> None:
        """``topics``: comma-separated Square topic tags to read besides the feed."""
        super().__init__(**kwargs)
        self.topics = tuple(t.strip() for t in topics.split(",") if t.strip()) if topics else TOPICS

    def list_request(self, list_url: str, page_no: int) -> scrapy.Request:
        url = list_url if page_no == 1 else f"{list_url}?page={page_no}"
        return self.request(url, self.parse_list, list_url=list_url, page_no=page_no)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.list_request(FEED_URL, 1)
        for topic in self.topics:
            yield self.list_request(TOPIC_URL.format(topic=topic), 1)

    def parse_list(self, response: Response, list_url: str, page_no: int) -> Iterator[Any]:
        yield self.raw_page(response, "list", context={"list": list_url, "page_no": page_no})
        entries = list_entries(parse_document(response.body), datetime.now(UTC))
        # The card as shown (text, counts, its relative time) is what the list says of a post.
        details = [
            self.detail_request(
                ARTICLE_URL.format(post_id=entry.post_id),
                self.parse_detail,
                native_id=entry.post_id,
                list_entry=" ".join(entry.card.text_content().split()),
            )
            for entry in entries
            if self.in_window(entry.published_at)
        ]
        yield from filter(None, details)
        oldest = min((e.published_at for e in entries if e.published_at), default=None)
        known = self.page_known(response, details)
        if self.should_page(page_no, len(entries), self.page_size, oldest, known):
            yield self.list_request(list_url, page_no + 1)

    def parse_detail(self, response: Response, native_id: str) -> Iterator[Any]:
        yield self.raw_page(response, "detail", native_id=native_id)
