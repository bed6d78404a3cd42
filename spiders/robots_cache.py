"""robots.txt kept for an hour, shared by every crawl of a host on this machine.

Scrapy asks a host for robots.txt once per crawl; an ingest crawls each source in its own
process, so Gate's three sources asked www.gate.com for it three times a run, each ask a
second of that host's one-request-a-second budget. RFC 9309 (2.4) lets a crawler keep
robots.txt for up to 24 hours; this keeps an answer (a file, or a 4xx: no rules) for
``ROBOTSTXT_CACHE_SECONDS`` beside the hosts' slots (spiders.host_limits), keyed the same
way. A 5xx or a failed fetch is never kept: the next crawl asks again.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from spiders.connect_to import parse_connect_to
from spiders.host_limits import host_key, key_path

_KEPT_HEADERS = ("content-type",)


def is_robots_txt(request: Request) -> bool:
    return request.method == "GET" and urlsplit(request.url).path == "/robots.txt"


class RobotsTxtCacheMiddleware:
    """Answer a crawl's robots.txt request from a fresh kept copy; keep each answer."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.directory = Path(crawler.settings.get("EXNEWS_HOSTS_DIR"))
        self.max_age = crawler.settings.getfloat("ROBOTSTXT_CACHE_SECONDS", 3600)
        self.mapping = parse_connect_to(crawler.settings.get("CONNECT_TO", ""))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _path(self, request: Request) -> Path:
        return key_path(self.directory, host_key(request.url, self.mapping), "robots.json")

    def process_request(self, request: Request) -> Response | None:
        if not is_robots_txt(request):
            return None
        try:
            kept = json.loads(self._path(request).read_text())
        except (OSError, ValueError):
            return None
        age = time.time() - kept["fetched_at"]
        if not 0 <= age < self.max_age:
            return None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("exnews/robots_cached")
        headers = Headers(kept["headers"])
        body = kept["body"].encode("latin-1")
        kind = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return kind(
            url=request.url,
            status=kept["status"],
            headers=headers,
            body=body,
            request=request,
            flags=["robots_cached"],
        )

    def process_response(self, request: Request, response: Response) -> Response:
        if not is_robots_txt(request) or "robots_cached" in response.flags:
            return response
        if not 200 <= response.status < 500:
            return response
        headers = {
            key.decode("latin-1"): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
            if key.decode("latin-1").lower() in _KEPT_HEADERS
        }
        kept = {
            "fetched_at": time.time(),
            "status": response.status,
            "headers": headers,
            "body": response.body.decode("latin-1"),
        }
        path = self._path(request)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then renamed: a reader never sees half.
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as handle:
            json.dump(kept, handle)
        Path(handle.name).replace(path)
        return response
