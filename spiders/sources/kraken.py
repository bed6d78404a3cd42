"""Kraken: the blog through WordPress REST (windowed, newest first) and the status history RSS.

Kraken has no announcements API: listings and product news are blog posts, incidents and
maintenance are on its Statuspage. A post's ``content.rendered`` is the whole body, so the
list is all there is to fetch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import json_payload
from spiders.feeds import FeedSpider
from transform.extract.dates import parse_datetime

POSTS = "https://blog.kraken.com/wp-json/wp/v2/posts"
STATUS = "https://status.kraken.com/history.rss"
# WordPress compares after/before with post_date, the site's local time: the filter is
# widened by the largest UTC offset and the flow applies the exact window.
SITE_OFFSET = timedelta(hours=14)


def _wp_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class KrakenSpider(FeedSpider):
    name = "kraken"
    exchange = "kraken"
    feed = "blog"
    kind = "site JSON"
    api_requests = True
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{POSTS}?after=<since>&before=<until>&page=<n>&per_page=10&_embed=author,wp:term",
        "status": STATUS,
    }
    # Small pages: every post comes with its whole rendered body.
    page_size = 10
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {"Accept": "application/json", "Accept-Language": "en"},
        "DOWNLOAD_SLOTS": {
            "blog.kraken.com": {"concurrency": 1, "delay": 1.0},
            "status.kraken.com": {"concurrency": 1, "delay": 1.0},
        },
    }

    def posts_request(self, page_no: int) -> scrapy.Request:
        query: dict[str, str | int] = {
            "page": page_no,
            "per_page": self.page_size,
            "orderby": "date",
            "order": "desc",
            "_embed": "author,wp:term",
        }
        if self.since is not None:
            query["after"] = _wp_time(self.since - SITE_OFFSET)
        if self.until is not None:
            query["before"] = _wp_time(self.until + SITE_OFFSET)
        return self.request(f"{POSTS}?{urlencode(query)}", self.parse_posts, page_no=page_no)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.posts_request(1)
        yield self.feed_request(STATUS, "status")

    def parse_posts(self, response: Response, page_no: int) -> Iterator[Any]:
        yield self.raw_page(response, "list", context={"page_no": page_no})
        posts = json_payload(response)
        dates = [parse_datetime(post.get("date_gmt")) for post in posts]
        total_pages = int(response.headers.get(b"X-WP-TotalPages") or 1)
        oldest = min((moment for moment in dates if moment), default=None)
        # X-WP-TotalPages ends the window's pages; past it WordPress answers 400.
        if page_no < total_pages and self.should_page(page_no, len(posts), self.page_size, oldest):
            yield self.posts_request(page_no + 1)
