"""Cheap polls: ask a list page only whether it changed, and skip unchanged entries.

A list (or feed, or index) page processed before is requested with ``If-None-Match`` /
``If-Modified-Since`` from its stored ETag / Last-Modified. A 304 stands for the stored
payload: the spider reads it as if it had been sent again (Scrapy's own HTTP cache does
the same), so it still finds which entries are new, and the pipeline counts it unchanged.
Scrapy's HttpCacheMiddleware is not used: it keeps a second store on disk beside the
warehouse and, by its freshness heuristics, would skip a poll altogether.
"""

from __future__ import annotations

from typing import Self, cast

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from spiders.base import WindowedSpider

# Headers of the stored payload that describe its transfer, not its content.
_TRANSFER_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


def validators(headers: dict[str, str]) -> dict[str, str]:
    """The conditional request headers a stored response's ETag / Last-Modified allow."""
    named = {key.lower(): value for key, value in headers.items()}
    conditional = {}
    if etag := named.get("etag"):
        conditional["If-None-Match"] = etag
    if last_modified := named.get("last-modified"):
        conditional["If-Modified-Since"] = last_modified
    return conditional


class ConditionalRequestMiddleware:
    """Make an incremental crawl's GET of a known list page conditional; turn its 304 into
    the stored payload, counted in ``exnews/not_modified``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def spider(self) -> WindowedSpider:
        return cast(WindowedSpider, self.crawler.spider)

    def process_request(self, request: Request) -> None:
        if request.method != "GET" or not self.spider.incremental:
            return
        stored = self.spider.known.lists.get(request.url)
        if stored is None:
            return
        for name, value in validators(stored.headers).items():
            request.headers.setdefault(name, value)
        request.meta["conditional"] = True

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 304 or not request.meta.get("conditional"):
            return response
        stored = self.spider.known.lists[request.url]
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("exnews/not_modified")
        headers = Headers(
            {k: v for k, v in stored.headers.items() if k.lower() not in _TRANSFER_HEADERS}
        )
        kind = responsetypes.from_args(headers=headers, url=request.url, body=stored.body)
        return kind(
            url=request.url,
            status=200,
            headers=headers,
            body=stored.body,
            request=request,
            flags=[*response.flags, "not_modified"],
        )
