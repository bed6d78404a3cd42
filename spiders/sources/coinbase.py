"""Coinbase: the blog RSS (then each in-window post page) and the status history RSS.

Coinbase has no announcements API; listings go out on X, which needs a paid API. The blog
feed carries summaries only, so every in-window post page is fetched for its body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from spiders.feeds import FeedSpider
from transform.extract.dates import parse_datetime
from transform.sources.coinbase import listed_post
from transform.sources.feeds import feed_items

BLOG = "https://www.coinbase.com/blog/rss.xml"
STATUS = "https://status.coinbase.com/history.rss"


class CoinbaseSpider(FeedSpider):
    name = "coinbase"
    exchange = "coinbase"
    feed = "blog"
    kind = "RSS"
    endpoints: ClassVar[dict[str, str]] = {
        "list": BLOG,
        "detail": "https://www.coinbase.com/blog/<slug>",
        "status": STATUS,
    }
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/rss+xml, application/xml;q=0.9, text/html;q=0.8",
            "Accept-Language": "en",
        },
        "DOWNLOAD_SLOTS": {
            "www.coinbase.com": {"concurrency": 1, "delay": 1.0},
            "status.coinbase.com": {"concurrency": 1, "delay": 1.0},
        },
    }

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.feed_request(BLOG, "blog")
        yield self.feed_request(STATUS, "status")

    def feed_details(self, response: Response, feed: str) -> Iterator[scrapy.Request | None]:
        """Each in-window blog post the feed only summarises; status items are whole."""
        if feed != "blog":
            return
        for item in feed_items(response.body):
            whole = item.content is not None
            if item.link and not whole and self.in_window(parse_datetime(item.published)):
                listed = listed_post(item)
                yield self.detail_request(
                    item.link,
                    self.parse_post,
                    native_id=item.native_id,
                    list_entry=listed,
                    listed=listed,
                )

    def parse_post(
        self, response: Response, native_id: str, listed: dict[str, Any]
    ) -> Iterator[Any]:
        yield self.raw_page(response, "detail", native_id=native_id, context=listed)
