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


class FeedSpider(WindowedSpider):
    """A source with several feeds (blog, status) whose pages say which one they came from."""

    def feed_request(self, url: str, feed: str) -> scrapy.Request:
        return self.request(url, self.parse_feed, page=True, feed=feed)

    def parse_feed(self, response: Response, feed: str) -> Iterator[Any]:
        yield self.raw_page(response, "list", feed=feed)
        yield from filter(None, self.feed_details(response, feed))

    def feed_details(self, response: Response, feed: str) -> Iterator[scrapy.Request | None]:
        """Detail requests for a feed's in-window items (None: skipped as unchanged); none
        where items are whole."""
        return iter(())
