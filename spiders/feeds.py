"""What spiders with RSS feeds share: one request per feed, and a feed name on every page.

RSS has no time filter and no pages: the whole feed is stored once, the window is applied
per item (detail requests here, articles in the flow).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.base import WindowedSpider
from spiders.items import RawPage


class FeedSpider(WindowedSpider):
    """A source with several feeds (blog, status) whose pages say which one they came from."""

    def raw_page(
        self,
        response: Response,
        page_kind: str,
        native_id: str | None = None,
        context: dict[str, Any] | None = None,
        feed: str | None = None,
    ) -> RawPage:
        """The stored page, labelled with ``feed`` (default: the spider's main feed)."""
        page = super().raw_page(response, page_kind, native_id, context)
        page.feed = feed or self.feed
        return page

    def feed_request(self, url: str, feed: str) -> scrapy.Request:
        return self.request(url, self.parse_feed, page=True, feed=feed)

    def parse_feed(self, response: Response, feed: str) -> Iterator[Any]:
        yield self.raw_page(response, "list", feed=feed)
        yield from self.feed_details(response, feed)

    def feed_details(self, response: Response, feed: str) -> Iterator[scrapy.Request]:
        """Detail requests for a feed's in-window items; none where items are whole."""
        return iter(())
