"""Downloader and spider middlewares: retries that honour Retry-After, a crawl kept on its
source's hosts, and callbacks that cannot read a response turned into quarantine rows."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self, cast
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import response_status_message

from spiders.base import WindowedSpider
from spiders.items import FetchFailure


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = crawler.settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def backoff(self, request: Request, response: Response) -> float:
        attempt = request.meta.get("retry_times", 0)
        delay = self.backoff_base * (2**attempt) if self.backoff_base > 0 else 0.0
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        return min(self.backoff_max, max(delay, asked or 0.0))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = self.backoff(request, response)
        if delay:
            self.crawler.stats.inc_value("exnews/backoff_seconds", delay)
            await asyncio.sleep(delay)
        return retry


class RefusedHost(IgnoreRequest):
    """A request for a host the source does not publish on, or for a private address."""


def is_private_host(host: str) -> bool:
    """``localhost`` or an IP literal that is not a public unicast address (private,
    loopback, link-local such as cloud metadata at 169.254.169.254, reserved, multicast)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global or address.is_multicast


def refusal(url: str, hosts: frozenset[str], source: str) -> str | None:
    """Why a request for ``url`` must not be sent, or None when it may be.

    The host is the real URL's: the connect-to map, which may point a real host at a
    loopback address on purpose, rewrites the address later, in the download handler.
    """
    host = (urlsplit(url).hostname or "").lower()
    if is_private_host(host):
        return f"{host} is a private, loopback or reserved address"
    if host not in hosts:
        return f"{host} is not a host of {source} ({', '.join(sorted(hosts))})"
    return None


class SourceHostsMiddleware:
    """Keep a crawl on its source's hosts: any request elsewhere, a redirect's included, is
    refused before it is sent, and its errback files the reason in ``quarantine``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = cast(WindowedSpider, self.crawler.spider)
        reason = refusal(request.url, spider.hosts(), spider.name)
        if reason is None:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("exnews/refused_requests")
        origin = request.meta.get("redirect_urls")
        refused = f"redirect from {origin[0]} to {request.url}" if origin else request.url
        raise RefusedHost(f"refused {refused}: {reason}")


class ParseFailureMiddleware:
    """A callback that raises (a changed layout, an API error payload, a broken page) yields a
    ``parse`` quarantine row naming what it missed, instead of a logged traceback and a
    silent gap. The payload itself was stored first, so ``raw_ref`` points at it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_spider_exception(
        self, response: Response, exception: Exception
    ) -> list[FetchFailure] | None:
        if isinstance(exception, HttpError):
            return None  # HttpErrorMiddleware's, and the request's errback already ran
        spider = cast(WindowedSpider, self.crawler.spider)
        return [spider.parse_failed(response, exception)]
